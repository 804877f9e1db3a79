package config

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	c := Default()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	err := c.Bind(fs, env(map[string]string{
		"MILLWA_GRPC_ADDR":      ":7000",
		"MILLWA_HTTP_ADDR":      ":7001",
		"MILLWA_SHUTDOWN_GRACE": "3s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"--http-addr", ":7002"}); err != nil {
		t.Fatal(err)
	}
	if c.GRPCAddr != ":7000" || c.HTTPAddr != ":7002" || c.ShutdownGrace != 3*time.Second || c.DatabaseURL != "sqlite:millwa.db" {
		t.Fatalf("want variable over default and flag over variable, got %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestBadValues(t *testing.T) {
	t.Parallel()
	c := Default()
	err := c.Bind(flag.NewFlagSet("t", flag.ContinueOnError), env(map[string]string{"MILLWA_RPC_TIMEOUT": "soon"}))
	if err == nil || !strings.Contains(err.Error(), "MILLWA_RPC_TIMEOUT") {
		t.Fatalf("bad duration: %v, want an error naming the variable", err)
	}
	c = Default()
	c.GRPCAddr, c.DatabaseURL, c.LogLevel, c.MaxRPCTimeout, c.ShutdownDelay = "9090", "mysql://x", "loud", time.Second, -time.Second
	err = c.Validate()
	for _, want := range []string{"grpc-addr", "database-url", "log-level", "rpc-timeout", "MILLWA_SHUTDOWN_DELAY"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want it to name %s", err, want)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"postgres://millwa:s3cret@db:5432/millwa":          "postgres://millwa:REDACTED@db:5432/millwa",
		"postgres://db/millwa?password=s3cret&sslmode=off": "postgres://db/millwa?password=REDACTED&sslmode=off",
		"sqlite:millwa.db": "sqlite:millwa.db",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	c := Default()
	c.DatabaseURL = "postgres://u:s3cret@h/db"
	for _, v := range c.Redacted() {
		if s, ok := v.(string); ok && strings.Contains(s, "s3cret") {
			t.Fatalf("Redacted() leaks the password: %v", c.Redacted())
		}
	}
}

func TestTracesEndpoint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"nothing set", nil, ""},
		{"general endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}, "http://collector:4317"},
		{"traces endpoint wins", map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT":        "http://collector:4317",
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://traces:4317",
		}, "https://traces:4317"},
		{"blank is unset", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": " "}, ""},
		{"SDK disabled", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "OTEL_SDK_DISABLED": "true"}, ""},
		{"exporter none", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "OTEL_TRACES_EXPORTER": "none"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			if err := c.Bind(flag.NewFlagSet("t", flag.ContinueOnError), env(tc.env)); err != nil {
				t.Fatal(err)
			}
			if c.TracesEndpoint != tc.want {
				t.Errorf("TracesEndpoint = %q, want %q", c.TracesEndpoint, tc.want)
			}
		})
	}
	c := Default()
	c.TracesEndpoint = "https://user:s3cret@traces.example.org:4317/v1/traces"
	for _, v := range c.Redacted() {
		if s, ok := v.(string); ok && strings.Contains(s, "s3cret") {
			t.Fatalf("Redacted() leaks the endpoint's password: %v", c.Redacted())
		}
	}
}

func TestWatchStreamCaps(t *testing.T) {
	t.Parallel()
	c := Default()
	if c.MaxWatchStreams < 1000 || c.MaxWatchStreamsPerKey < 1 || c.MaxWatchStreamsPerKey > c.MaxWatchStreams {
		t.Fatalf("defaults %d in all and %d a key: want thousands in all and fewer a key", c.MaxWatchStreams, c.MaxWatchStreamsPerKey)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	err := c.Bind(fs, env(map[string]string{"MILLWA_MAX_WATCH_STREAMS": "500", "MILLWA_MAX_WATCH_STREAMS_PER_KEY": "many"}))
	if err == nil || !strings.Contains(err.Error(), "MILLWA_MAX_WATCH_STREAMS_PER_KEY") {
		t.Fatalf("bad number: %v, want an error naming the variable", err)
	}
	if err := fs.Parse([]string{"--max-watch-streams-per-key", "5"}); err != nil {
		t.Fatal(err)
	}
	if c.MaxWatchStreams != 500 || c.MaxWatchStreamsPerKey != 5 {
		t.Fatalf("caps %d and %d, want 500 from the variable and 5 from the flag", c.MaxWatchStreams, c.MaxWatchStreamsPerKey)
	}
	c.MaxWatchStreamsPerKey = 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "MILLWA_MAX_WATCH_STREAMS_PER_KEY") {
		t.Fatalf("Validate with a zero cap: %v, want an error naming the variable", err)
	}
}

func TestPublicURL(t *testing.T) {
	t.Parallel()
	c := Default()
	if err := c.Bind(flag.NewFlagSet("t", flag.ContinueOnError), env(map[string]string{"MILLWA_PUBLIC_URL": "https://millwa.example/"})); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.PublicBaseURL("127.0.0.1:5555"); got != "https://millwa.example" {
		t.Errorf("PublicBaseURL = %q, want the variable without its trailing slash", got)
	}
	dump := c.Redacted()
	found := false
	for i := 0; i+1 < len(dump); i += 2 {
		if dump[i] == "public_url" && dump[i+1] == "https://millwa.example" {
			found = true
		}
	}
	if !found {
		t.Errorf("the config dump does not show public_url: %v", dump)
	}

	for _, tt := range []struct{ httpAddr, bound, want string }{
		{":8080", "", "http://localhost:8080"},
		{"0.0.0.0:8080", "", "http://localhost:8080"},
		{"[::]:8080", "", "http://localhost:8080"},
		{"millwa.internal:80", "", "http://millwa.internal:80"},
		{":0", "[::]:43123", "http://localhost:43123"},
		{"127.0.0.1:0", "127.0.0.1:43123", "http://127.0.0.1:43123"},
	} {
		c := Default()
		c.HTTPAddr = tt.httpAddr
		if got := c.PublicBaseURL(tt.bound); got != tt.want {
			t.Errorf("HTTPAddr %q bound at %q: PublicBaseURL = %q, want %q", tt.httpAddr, tt.bound, got, tt.want)
		}
	}

	for _, bad := range []string{"millwa.example", "/v1", "ftp://millwa.example", "https://", "https://u:p@millwa.example", "https://millwa.example/?a=1", "https://millwa.example/#x", "http://%zz"} {
		c := Default()
		c.PublicURL = bad
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "MILLWA_PUBLIC_URL") {
			t.Errorf("MILLWA_PUBLIC_URL=%q: Validate = %v, want an error naming the variable", bad, err)
		}
	}
}

func TestCORSOrigins(t *testing.T) {
	t.Parallel()
	c := Default()
	if len(c.Origins()) != 0 {
		t.Fatalf("default origins %q, want none", c.Origins())
	}
	if err := c.Bind(flag.NewFlagSet("t", flag.ContinueOnError), env(map[string]string{"MILLWA_CORS_ORIGINS": " https://Console.example , http://localhost:5173/"})); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := []string{"https://console.example", "http://localhost:5173"}
	if got := c.Origins(); !slices.Equal(got, want) {
		t.Errorf("Origins = %q, want %q", got, want)
	}
	dump := fmt.Sprintln(c.Redacted()...)
	if !strings.Contains(dump, "cors_origins https://console.example,http://localhost:5173") {
		t.Errorf("the configuration dump does not list the origins: %s", dump)
	}
	for _, bad := range []string{"*", "https://*.example", "console.example", "https://console.example/app", "ftp://console.example"} {
		c.CORSOrigins = bad
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "MILLWA_CORS_ORIGINS") {
			t.Errorf("Validate with origins %q: %v, want an error naming the variable", bad, err)
		}
	}
}

// TestTLSAndMetricsSettings: the TLS files come both or neither, the
// metrics listener is on loopback unless set (empty turns it off), and
// with TLS the derived public URL is https.
func TestTLSAndMetricsSettings(t *testing.T) {
	vars := map[string]string{"MILLWA_TLS_CERT_FILE": "/etc/tls/tls.crt", "MILLWA_METRICS_ADDR": ":9464"}
	c := Default()
	if c.MetricsAddr != "127.0.0.1:9464" {
		t.Errorf("default metrics address %q; want loopback 127.0.0.1:9464", c.MetricsAddr)
	}
	if err := c.Bind(flag.NewFlagSet("t", flag.ContinueOnError), env(vars)); err != nil {
		t.Fatal(err)
	}
	if c.MetricsAddr != ":9464" {
		t.Errorf("MILLWA_METRICS_ADDR=:9464 gave %q", c.MetricsAddr)
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "MILLWA_TLS_KEY_FILE") {
		t.Errorf("a certificate without a key: Validate = %v; want an error naming MILLWA_TLS_KEY_FILE", err)
	}
	c.TLSKeyFile = "/etc/tls/tls.key"
	if err := c.Validate(); err != nil {
		t.Errorf("both TLS files: %v", err)
	}
	if got := c.PublicBaseURL("127.0.0.1:8443"); got != "https://127.0.0.1:8443" {
		t.Errorf("PublicBaseURL with TLS = %q; want https", got)
	}
	c.MetricsAddr = ""
	if err := c.Validate(); err != nil {
		t.Errorf("no metrics listener: %v", err)
	}
	c.MetricsAddr = "9464"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "MILLWA_METRICS_ADDR") {
		t.Errorf("MILLWA_METRICS_ADDR=9464: Validate = %v; want an error naming it", err)
	}
}

// TestWebhookAllowPrivate: private webhook endpoints are refused unless
// the operator allows them; the setting takes true or false only and is
// in the configuration dump.
func TestWebhookAllowPrivate(t *testing.T) {
	t.Parallel()
	c := Default()
	if c.WebhookAllowPrivate {
		t.Fatal("private webhook endpoints allowed by default")
	}
	if err := c.Bind(flag.NewFlagSet("t", flag.ContinueOnError), env(map[string]string{"MILLWA_WEBHOOK_ALLOW_PRIVATE": "true"})); err != nil {
		t.Fatal(err)
	}
	if !c.WebhookAllowPrivate {
		t.Error("MILLWA_WEBHOOK_ALLOW_PRIVATE=true did not allow private endpoints")
	}
	if dump := fmt.Sprintln(c.Redacted()...); !strings.Contains(dump, "webhook_allow_private true") {
		t.Errorf("the configuration dump does not show the setting: %s", dump)
	}
	bad := Default()
	err := bad.Bind(flag.NewFlagSet("t", flag.ContinueOnError), env(map[string]string{"MILLWA_WEBHOOK_ALLOW_PRIVATE": "maybe"}))
	if err == nil || !strings.Contains(err.Error(), "MILLWA_WEBHOOK_ALLOW_PRIVATE") {
		t.Errorf("MILLWA_WEBHOOK_ALLOW_PRIVATE=maybe: %v, want an error naming the variable", err)
	}
}

func TestReadReplicaSettings(t *testing.T) {
	t.Parallel()
	if c := Default(); c.DatabaseReadURL != "" || c.MaxReplicaLag != 5*time.Second {
		t.Fatalf("defaults: read URL %q, max lag %v; want none and 5s", c.DatabaseReadURL, c.MaxReplicaLag)
	}
	c := Default()
	err := c.Bind(flag.NewFlagSet("t", flag.ContinueOnError), env(map[string]string{
		"MILLWA_DATABASE_URL":      "postgres://millwa:s3cret@pg-0:5432,pg-1:5432,pg-2:5432/millwa?target_session_attrs=read-write",
		"MILLWA_DATABASE_READ_URL": "postgres://millwa:s3cret@pg-1:5432,pg-2:5432/millwa?target_session_attrs=prefer-standby",
		"MILLWA_MAX_REPLICA_LAG":   "2s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	dump := fmt.Sprintln(c.Redacted()...)
	if strings.Contains(dump, "s3cret") || !strings.Contains(dump, "database_read_url postgres://millwa:REDACTED@pg-1:5432,pg-2:5432/millwa") ||
		!strings.Contains(dump, "max_replica_lag 2s") {
		t.Errorf("the configuration dump shows the settings wrongly: %s", dump)
	}
	for name, vars := range map[string]map[string]string{
		"MILLWA_DATABASE_READ_URL": {"MILLWA_DATABASE_READ_URL": "sqlite:replica.db"},
		"a read replica needs PostgreSQL": {"MILLWA_DATABASE_URL": "sqlite:millwa.db",
			"MILLWA_DATABASE_READ_URL": "postgres://pg-1/millwa?target_session_attrs=prefer-standby"},
		"MILLWA_MAX_REPLICA_LAG": {"MILLWA_MAX_REPLICA_LAG": "0s"},
	} {
		c := Default()
		if err := c.Bind(flag.NewFlagSet("t", flag.ContinueOnError), env(vars)); err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Validate with %v: %v, want an error saying %q", vars, err, name)
		}
	}
}
