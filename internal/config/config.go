// Package config holds the server's configuration: defaults, MILLWA_*
// environment variables and command-line flags, in that order of precedence
// (a flag beats a variable beats a default).
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of the millwa server.
type Config struct {
	// GRPCAddr is the gRPC listen address; ":0" picks a free port.
	GRPCAddr string
	// HTTPAddr is the REST gateway's listen address; ":0" picks a free port.
	HTTPAddr string
	// MetricsAddr is where Prometheus metrics are served, at /metrics, on
	// a listener of their own (plain HTTP) apart from the public ports;
	// loopback by default. Empty turns the listener off.
	MetricsAddr string
	// TLSCertFile and TLSKeyFile, both or neither, are PEM files of the
	// certificate (with its chain) and private key that the gRPC and HTTP
	// listeners serve TLS with; neither set, both speak plain text. The
	// files are read again when they change, so a renewed certificate is
	// taken without a restart.
	TLSCertFile string
	TLSKeyFile  string
	// PublicURL is the address people reach the REST gateway at, such as
	// "https://millwa.example": printed labels link to it (a lot's QR code
	// is PublicURL + "/v1/" + the lot's name). Empty, it is derived from
	// HTTPAddr (see PublicBaseURL).
	PublicURL string
	// DatabaseURL is "sqlite:PATH" or "postgres://…", on PostgreSQL
	// possibly with several hosts and target_session_attrs=read-write, so
	// that the pool follows the primary through a failover.
	DatabaseURL string
	// DatabaseReadURL, when set, is a "postgres://…" URL of standbys
	// (target_session_attrs=prefer-standby) for the reads that tolerate a
	// bounded staleness; empty, every read goes to DatabaseURL.
	DatabaseReadURL string
	// MaxReplicaLag is the staleness those reads tolerate: beyond it they
	// go to the primary.
	MaxReplicaLag time.Duration
	// ShutdownGrace bounds how long in-flight requests may run after SIGTERM.
	ShutdownGrace time.Duration
	// ShutdownDelay is how long a replica keeps serving after SIGTERM,
	// not ready, before it drains: the time load balancers take to see
	// it not ready and send nothing new (Kubernetes removes a stopping
	// pod from its Service's endpoints a few seconds late). 0 drains at
	// once.
	ShutdownDelay time.Duration
	// DefaultRPCTimeout is the deadline given to a call that came without one.
	DefaultRPCTimeout time.Duration
	// MaxRPCTimeout caps any deadline a client asks for.
	MaxRPCTimeout time.Duration
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// RateLimit is the calls a second each API key (or each client address
	// without a key) may make on average, in bursts of up to RateBurst.
	RateLimit float64
	RateBurst int
	// MaxWatchStreams caps the market event streams (WatchMarket and the
	// REST event route alike) open on one replica, and
	// MaxWatchStreamsPerKey those of any one API key, so that neither a
	// crowd nor one key can wear the replica down.
	MaxWatchStreams       int
	MaxWatchStreamsPerKey int
	// StandardsDir, when set, holds JSON files of grading standards that
	// correct shipped editions or add new ones.
	StandardsDir string
	// MarketSweep is how often each replica expires lapsed purchase orders
	// (releasing their unconfirmed trades) and drops market events past
	// their retention.
	MarketSweep time.Duration
	// ContinuousMatching matches each new purchase order and lot at once
	// against the resting book. When false the market is a call auction:
	// orders and lots rest until a clearing (RunClearing, or every
	// ClearingInterval) allocates the whole book at once.
	ContinuousMatching bool
	// ClearingInterval, when positive, clears the book of every currency
	// this often (one replica at a time, under the market lock); zero
	// leaves clearing to RunClearing.
	ClearingInterval time.Duration
	// AuditSigningKeyFile, when set, is a PEM file (PKCS #8) holding the
	// Ed25519 key that signs audit checkpoints, so that the key stays out
	// of the database whose history it vouches for. Unset, the first
	// replica generates a key and keeps it in the database for the others.
	AuditSigningKeyFile string
	// AuditCheckpointInterval, when positive, is how often each replica
	// signs the audit chain's head and writes the checkpoint to its log,
	// a copy kept outside the database; zero signs only on request.
	AuditCheckpointInterval time.Duration
	// AdminKey is the secret of the first admin key, taken from
	// MILLWA_ADMIN_KEY only (never a flag, so that it stays out of process
	// listings) and never logged.
	AdminKey string
	// TracesEndpoint, when set, turns OpenTelemetry tracing on: spans are
	// exported there over OTLP/gRPC. It comes from the standard variables
	// only, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or else
	// OTEL_EXPORTER_OTLP_ENDPOINT, and stays empty when OTEL_SDK_DISABLED
	// is true or OTEL_TRACES_EXPORTER is none. The exporter reads its
	// other settings (headers, TLS, timeout) and the SDK the service name
	// and sampler from their standard variables themselves.
	TracesEndpoint string
	// CORSOrigins, comma-separated origins such as
	// "https://console.example,https://erp.example", lets browser pages of
	// those origins call the REST gateway (CORS). Empty, the default,
	// answers no cross-origin request.
	CORSOrigins string
	// WebhookAllowPrivate lets webhook URLs point at private, loopback,
	// link-local, multicast and unspecified addresses (and http to a
	// loopback one): for tests and receivers on the operator's own
	// network. Off, such URLs are refused at creation and connections to
	// such addresses at delivery.
	WebhookAllowPrivate bool
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		GRPCAddr:          ":9090",
		HTTPAddr:          ":8080",
		MetricsAddr:       DefaultMetricsAddr,
		DatabaseURL:       "sqlite:millwa.db",
		MaxReplicaLag:     5 * time.Second,
		ShutdownGrace:     20 * time.Second,
		DefaultRPCTimeout: 30 * time.Second,
		MaxRPCTimeout:     2 * time.Minute,
		LogLevel:          "info",
		RateLimit:         50,
		RateBurst:         100,
		// A stream costs a connection (two descriptors through the
		// gateway), a goroutine or two and a few KiB: thousands are fine
		// on one replica.
		MaxWatchStreams:       10_000,
		MaxWatchStreamsPerKey: 100,
		MarketSweep:           5 * time.Second,

		AuditCheckpointInterval: time.Hour,

		ContinuousMatching: true,
	}
}

// DefaultMetricsAddr is where metrics are served unless set otherwise: on
// loopback, so that only the host (or the pod, whose scraper sets
// MILLWA_METRICS_ADDR=:9464) reads them.
const DefaultMetricsAddr = "127.0.0.1:9464"

// Var describes one setting: its flag, its environment variable and its help.
type Var struct {
	Flag, Env, Help string
}

// The settings, each with its flag and variable.
var (
	grpcAddrVar   = Var{"grpc-addr", "MILLWA_GRPC_ADDR", "gRPC listen address (\":0\" picks a free port)"}
	httpAddrVar   = Var{"http-addr", "MILLWA_HTTP_ADDR", "REST gateway listen address (\":0\" picks a free port)"}
	metricsVar    = Var{"metrics-addr", "MILLWA_METRICS_ADDR", "listen address of /metrics (plain HTTP), apart from the public ports; empty for none"}
	tlsCertVar    = Var{"tls-cert-file", "MILLWA_TLS_CERT_FILE", "PEM certificate (with its chain) for TLS on the gRPC and HTTP listeners; set with tls-key-file, reloaded when it changes"}
	tlsKeyVar     = Var{"tls-key-file", "MILLWA_TLS_KEY_FILE", "PEM private key of tls-cert-file"}
	publicURLVar  = Var{"public-url", "MILLWA_PUBLIC_URL", "absolute http(s) URL people reach the REST gateway at, for the links printed on labels; default http://localhost:PORT of http-addr"}
	databaseVar   = Var{"database-url", "MILLWA_DATABASE_URL", "database: sqlite:PATH or postgres://user@host:port/db (several host:port, comma-separated, with target_session_attrs=read-write for a Patroni cluster)"}
	readURLVar    = Var{"database-read-url", "MILLWA_DATABASE_READ_URL", "PostgreSQL standbys (postgres://…?target_session_attrs=prefer-standby) for reads that may be stale: market statistics, the observatory, processors' lot lists; empty for none"}
	replicaLagVar = Var{"max-replica-lag", "MILLWA_MAX_REPLICA_LAG", "how far behind the primary the standbys of database-read-url may be before those reads go to the primary"}
	graceVar      = Var{"shutdown-grace", "MILLWA_SHUTDOWN_GRACE", "how long in-flight requests may finish after SIGTERM"}
	delayVar      = Var{"shutdown-delay", "MILLWA_SHUTDOWN_DELAY", "how long to keep serving after SIGTERM, not ready, before draining, so that load balancers stop sending first; 0 drains at once"}
	continuousVar = Var{"continuous-matching", "MILLWA_CONTINUOUS_MATCHING", "match new orders and lots at once (true), or leave them to clearings (false)"}
	clearingVar   = Var{"clearing-interval", "MILLWA_CLEARING_INTERVAL", "clear the whole book this often; 0 for clearings by RunClearing only"}
	sweepVar      = Var{"market-sweep", "MILLWA_MARKET_SWEEP", "how often lapsed purchase orders are expired and old market events and request_id records dropped"}
	rpcTimeoutVar = Var{"rpc-timeout", "MILLWA_RPC_TIMEOUT", "deadline given to calls that come without one"}
	maxTimeoutVar = Var{"max-rpc-timeout", "MILLWA_MAX_RPC_TIMEOUT", "cap on any deadline a client asks for"}
	logLevelVar   = Var{"log-level", "MILLWA_LOG_LEVEL", "log level: debug, info, warn or error"}
	rateLimitVar  = Var{"rate-limit", "MILLWA_RATE_LIMIT", "calls a second each API key (or client address without a key) may make on average"}
	standardsVar  = Var{"standards-dir", "MILLWA_STANDARDS_DIR", "folder of grading-standard JSON files that correct or add editions"}
	rateBurstVar  = Var{"rate-burst", "MILLWA_RATE_BURST", "calls each API key may make in a burst"}
	streamsVar    = Var{"max-watch-streams", "MILLWA_MAX_WATCH_STREAMS", "market event streams (WatchMarket and /v1/market/events) this replica holds open at most"}
	keyStreamsVar = Var{"max-watch-streams-per-key", "MILLWA_MAX_WATCH_STREAMS_PER_KEY", "market event streams one API key may hold open on this replica"}
	auditKeyVar   = Var{"audit-signing-key-file", "MILLWA_AUDIT_SIGNING_KEY_FILE", "PEM file (PKCS #8) of the Ed25519 key that signs audit checkpoints; unset, a key kept in the database"}
	corsVar       = Var{"cors-origins", "MILLWA_CORS_ORIGINS", "comma-separated origins (scheme://host[:port]) whose browser pages may call the REST gateway; empty for none"}
	privHooksVar  = Var{"webhook-allow-private", "MILLWA_WEBHOOK_ALLOW_PRIVATE", "let webhooks post to private, loopback, link-local, multicast and unspecified addresses (and http to loopback): tests and on-premise receivers only"}
	checkpointVar = Var{"audit-checkpoint-interval", "MILLWA_AUDIT_CHECKPOINT_INTERVAL", "how often the audit chain's head is signed and the checkpoint logged; 0 for on request only"}
)

// Vars lists every setting, for flags and documentation.
var Vars = []Var{grpcAddrVar, httpAddrVar, metricsVar, tlsCertVar, tlsKeyVar, publicURLVar, databaseVar, readURLVar, replicaLagVar, graceVar, delayVar, rpcTimeoutVar, maxTimeoutVar, logLevelVar, rateLimitVar, rateBurstVar, standardsVar, sweepVar, continuousVar, clearingVar, streamsVar, keyStreamsVar, auditKeyVar, checkpointVar, privHooksVar, corsVar}

// adminKeyEnv is the variable that holds the first admin key's secret.
const adminKeyEnv = "MILLWA_ADMIN_KEY"

// The OpenTelemetry variables that decide whether traces are exported
// (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/).
const (
	otlpTracesEndpointEnv = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	otlpEndpointEnv       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	otelDisabledEnv       = "OTEL_SDK_DISABLED"
	otelTracesExporterEnv = "OTEL_TRACES_EXPORTER"
)

// tracesEndpoint is where lookup's OpenTelemetry variables send traces, or
// "" when they turn tracing off or name no endpoint. Any exporter other
// than "none" in OTEL_TRACES_EXPORTER is taken as OTLP, the one Millwa has.
func tracesEndpoint(lookup func(string) (string, bool)) string {
	if v, _ := lookup(otelDisabledEnv); strings.EqualFold(strings.TrimSpace(v), "true") {
		return ""
	}
	if v, _ := lookup(otelTracesExporterEnv); strings.EqualFold(strings.TrimSpace(v), "none") {
		return ""
	}
	for _, name := range []string{otlpTracesEndpointEnv, otlpEndpointEnv} {
		if v, _ := lookup(name); strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Bind registers the settings as flags on fs, with defaults taken from the
// environment (lookup, usually os.LookupEnv) over the built-in defaults. It
// returns an error naming each variable whose value does not parse.
func (c *Config) Bind(fs *flag.FlagSet, lookup func(string) (string, bool)) error {
	var errs []error
	// fromEnv parses v's variable, when set, with parse.
	fromEnv := func(v Var, want string, parse func(string) error) {
		if s, ok := lookup(v.Env); ok {
			if err := parse(s); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: want %s: %w", v.Env, s, want, err))
			}
		}
	}
	help := func(v Var) string { return v.Help + " [" + v.Env + "]" }
	str := func(p *string, v Var) {
		fromEnv(v, "text", func(s string) error { *p = s; return nil })
		fs.StringVar(p, v.Flag, *p, help(v))
	}
	dur := func(p *time.Duration, v Var) {
		fromEnv(v, "a duration such as 30s", func(s string) (err error) { *p, err = parseDuration(s, *p); return err })
		fs.DurationVar(p, v.Flag, *p, help(v))
	}
	num := func(p *int, v Var) {
		fromEnv(v, "a whole number", func(s string) (err error) { *p, err = parseInt(s, *p); return err })
		fs.IntVar(p, v.Flag, *p, help(v))
	}
	flt := func(p *float64, v Var) {
		fromEnv(v, "a number", func(s string) (err error) { *p, err = parseFloat(s, *p); return err })
		fs.Float64Var(p, v.Flag, *p, help(v))
	}
	boolean := func(p *bool, v Var) {
		fromEnv(v, "true or false", func(s string) (err error) { *p, err = parseBool(s, *p); return err })
		fs.BoolVar(p, v.Flag, *p, help(v))
	}
	str(&c.GRPCAddr, grpcAddrVar)
	str(&c.HTTPAddr, httpAddrVar)
	str(&c.MetricsAddr, metricsVar)
	str(&c.TLSCertFile, tlsCertVar)
	str(&c.TLSKeyFile, tlsKeyVar)
	str(&c.PublicURL, publicURLVar)
	str(&c.DatabaseURL, databaseVar)
	str(&c.DatabaseReadURL, readURLVar)
	dur(&c.MaxReplicaLag, replicaLagVar)
	dur(&c.ShutdownGrace, graceVar)
	dur(&c.ShutdownDelay, delayVar)
	dur(&c.MarketSweep, sweepVar)
	dur(&c.ClearingInterval, clearingVar)
	boolean(&c.ContinuousMatching, continuousVar)
	dur(&c.DefaultRPCTimeout, rpcTimeoutVar)
	dur(&c.MaxRPCTimeout, maxTimeoutVar)
	str(&c.LogLevel, logLevelVar)
	str(&c.StandardsDir, standardsVar)
	str(&c.AuditSigningKeyFile, auditKeyVar)
	dur(&c.AuditCheckpointInterval, checkpointVar)
	str(&c.CORSOrigins, corsVar)
	boolean(&c.WebhookAllowPrivate, privHooksVar)
	flt(&c.RateLimit, rateLimitVar)
	num(&c.RateBurst, rateBurstVar)
	num(&c.MaxWatchStreams, streamsVar)
	num(&c.MaxWatchStreamsPerKey, keyStreamsVar)
	if s, ok := lookup(adminKeyEnv); ok {
		c.AdminKey = s
	}
	c.TracesEndpoint = tracesEndpoint(lookup)
	return errors.Join(errs...)
}

// The parsers keep the old value when the text does not parse.
func parseDuration(s string, old time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return old, err
	}
	return d, nil
}

func parseFloat(s string, old float64) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return old, err
	}
	return f, nil
}

func parseBool(s string, old bool) (bool, error) {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return old, err
	}
	return b, nil
}

func parseInt(s string, old int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return old, err
	}
	return n, nil
}

// FromEnv returns the defaults overridden by the process environment.
func FromEnv() (Config, error) {
	c := Default()
	err := c.Bind(flag.NewFlagSet("env", flag.ContinueOnError), os.LookupEnv)
	return c, err
}

// Validate reports every setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	for _, a := range []struct{ name, addr string }{{"grpc-addr", c.GRPCAddr}, {"http-addr", c.HTTPAddr}} {
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: want host:port such as :9090: %w", a.name, a.addr, err))
		}
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: want host:port such as 127.0.0.1:9464, or empty for no metrics listener: %w", metricsVar.Env, c.MetricsAddr, err))
		}
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, fmt.Errorf("%s and %s: set both (certificate and key) or neither", tlsCertVar.Env, tlsKeyVar.Env))
	}
	if c.PublicURL != "" {
		if err := CheckPublicURL(c.PublicURL); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", publicURLVar.Env, c.PublicURL, err))
		}
	}
	if !strings.HasPrefix(c.DatabaseURL, "sqlite:") && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, fmt.Errorf("database-url %q: want sqlite:PATH or postgres://…", Redact(c.DatabaseURL)))
	}
	if c.DatabaseReadURL != "" {
		if !strings.HasPrefix(c.DatabaseReadURL, "postgres://") && !strings.HasPrefix(c.DatabaseReadURL, "postgresql://") {
			errs = append(errs, fmt.Errorf("%s %q: want postgres://… (standbys of the PostgreSQL database), or empty for none", readURLVar.Env, Redact(c.DatabaseReadURL)))
		} else if strings.HasPrefix(c.DatabaseURL, "sqlite:") {
			errs = append(errs, fmt.Errorf("%s is set but %s is SQLite: a read replica needs PostgreSQL", readURLVar.Env, databaseVar.Env))
		}
	}
	if c.MaxReplicaLag <= 0 {
		errs = append(errs, fmt.Errorf("%s must be positive, got %v", replicaLagVar.Env, c.MaxReplicaLag))
	}
	if c.ClearingInterval < 0 {
		errs = append(errs, fmt.Errorf("%s must be zero or positive, got %v", clearingVar.Env, c.ClearingInterval))
	}
	if c.AuditCheckpointInterval < 0 {
		errs = append(errs, fmt.Errorf("%s must be zero or positive, got %v", checkpointVar.Env, c.AuditCheckpointInterval))
	}
	if c.MarketSweep <= 0 {
		errs = append(errs, fmt.Errorf("%s must be positive, got %v", sweepVar.Env, c.MarketSweep))
	}
	if c.ShutdownGrace <= 0 {
		errs = append(errs, errors.New("shutdown-grace must be positive"))
	}
	if c.ShutdownDelay < 0 || c.ShutdownDelay > 5*time.Minute {
		errs = append(errs, fmt.Errorf("%s must be between 0 and 5m, got %v", delayVar.Env, c.ShutdownDelay))
	}
	if c.DefaultRPCTimeout <= 0 || c.MaxRPCTimeout < c.DefaultRPCTimeout {
		errs = append(errs, errors.New("rpc-timeout must be positive and not above max-rpc-timeout"))
	}
	if !(c.RateLimit > 0) || c.RateBurst < 1 {
		errs = append(errs, errors.New("rate-limit must be positive and rate-burst at least 1"))
	}
	if c.MaxWatchStreams < 1 || c.MaxWatchStreamsPerKey < 1 {
		errs = append(errs, fmt.Errorf("%s and %s must be at least 1, got %d and %d",
			streamsVar.Env, keyStreamsVar.Env, c.MaxWatchStreams, c.MaxWatchStreamsPerKey))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	if _, err := ParseOrigins(c.CORSOrigins); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", corsVar.Env, err))
	}
	return errors.Join(errs...)
}

// Origins returns the origins of CORSOrigins, checked by Validate.
func (c Config) Origins() []string {
	origins, _ := ParseOrigins(c.CORSOrigins)
	return origins
}

// ParseOrigins splits a comma-separated list of web origins, each
// scheme://host[:port] with scheme http or https and nothing after the
// host: no path, no wildcard (a listed origin is trusted with the caller's
// key, so each one is named).
func ParseOrigins(list string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(list, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Contains(u.Host, "*") ||
			u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("origin %q: want scheme://host[:port], such as https://console.example", o)
		}
		out = append(out, u.Scheme+"://"+strings.ToLower(u.Host))
	}
	return out, nil
}

// TLS reports whether the listeners serve TLS.
func (c Config) TLS() bool { return c.TLSCertFile != "" }

// Redacted returns the configuration as key/value pairs safe to log: the
// database password is replaced.
func (c Config) Redacted() []any {
	return []any{
		"grpc_addr", c.GRPCAddr,
		"http_addr", c.HTTPAddr,
		"metrics_addr", c.MetricsAddr,
		"tls_cert_file", c.TLSCertFile,
		"tls_key_file", c.TLSKeyFile,
		"public_url", c.PublicBaseURL(""),
		"database_url", Redact(c.DatabaseURL),
		"database_read_url", redactOptional(c.DatabaseReadURL),
		"max_replica_lag", c.MaxReplicaLag.String(),
		"shutdown_grace", c.ShutdownGrace.String(),
		"shutdown_delay", c.ShutdownDelay.String(),
		"market_sweep", c.MarketSweep.String(),
		"continuous_matching", c.ContinuousMatching,
		"clearing_interval", c.ClearingInterval.String(),
		"rpc_timeout", c.DefaultRPCTimeout.String(),
		"max_rpc_timeout", c.MaxRPCTimeout.String(),
		"log_level", c.LogLevel,
		"rate_limit", c.RateLimit,
		"rate_burst", c.RateBurst,
		"max_watch_streams", c.MaxWatchStreams,
		"max_watch_streams_per_key", c.MaxWatchStreamsPerKey,
		"standards_dir", c.StandardsDir,
		"audit_signing_key_file", c.AuditSigningKeyFile,
		"audit_checkpoint_interval", c.AuditCheckpointInterval.String(),
		"admin_key_set", c.AdminKey != "",
		"cors_origins", strings.Join(c.Origins(), ","),
		"webhook_allow_private", c.WebhookAllowPrivate,
		"traces_endpoint", redactEndpoint(c.TracesEndpoint),
	}
}

// CheckPublicURL reports what keeps u from being a public base URL: it
// must be an absolute http or https URL with a host and without user
// information, query or fragment.
func CheckPublicURL(u string) error {
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return fmt.Errorf("want an absolute http(s) URL such as https://millwa.example: %w", err)
	case p.Scheme != "http" && p.Scheme != "https":
		return errors.New("want an absolute http(s) URL such as https://millwa.example: the scheme must be http or https")
	case p.Host == "":
		return errors.New("want an absolute http(s) URL such as https://millwa.example: the host is missing")
	case p.User != nil || p.RawQuery != "" || p.Fragment != "" || strings.HasSuffix(u, "?") || strings.HasSuffix(u, "#"):
		return errors.New("want a base URL without user, query or fragment, such as https://millwa.example")
	}
	return nil
}

// PublicBaseURL is PublicURL without a trailing slash or, when PublicURL is
// empty, http://HOST:PORT (https with TLS) of the HTTP listen address: localhost for an
// address that names no host (":8080", "0.0.0.0:8080"), and the port bound,
// given as boundAddr (the listener's address, "" before it is bound), in
// place of port 0.
func (c Config) PublicBaseURL(boundAddr string) string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	addr := c.HTTPAddr
	if boundAddr != "" {
		addr = boundAddr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	scheme := "http://"
	if c.TLS() {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(host, port)
}

// redactEndpoint shows an OTLP endpoint without credentials: its scheme
// and host when it is a URL with a host, "(set)" otherwise, and "" when
// empty. Credentials belong in OTEL_EXPORTER_OTLP_HEADERS, but a URL may
// carry them too.
func redactEndpoint(endpoint string) string {
	if endpoint == "" {
		return ""
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return "(set)"
	}
	return u.Scheme + "://" + u.Host
}

// Redact hides the password of a database URL.
func Redact(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "(unparsable database URL)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "REDACTED")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// redactOptional is Redact for a URL that may be unset ("").
func redactOptional(dbURL string) string {
	if dbURL == "" {
		return ""
	}
	return Redact(dbURL)
}
