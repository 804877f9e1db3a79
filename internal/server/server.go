// Package server wires Millwa together: the database, the gRPC services and
// their interceptors, health and reflection, the REST gateway and metrics,
// and a graceful stop.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	// Registers the gzip compressor, so that clients may send and ask
	// for compressed messages (grpc.UseCompressor(gzip.Name)).
	_ "google.golang.org/grpc/encoding/gzip"

	"github.com/millwa/millwa/gateway"
	"github.com/millwa/millwa/internal/allocation"
	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/feed"
	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/webhook"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/audit"
	gradingsvc "github.com/millwa/millwa/services/grading"
	"github.com/millwa/millwa/services/identity"
	"github.com/millwa/millwa/services/market"
	"github.com/millwa/millwa/services/observatory"
	"github.com/millwa/millwa/services/registry"
)

// Limits on what a client may send, chosen so that one client cannot exhaust
// the server: messages are small (batches are capped at 500 items), streams
// per connection are bounded, and idle or long-lived connections are
// recycled so that load spreads over replicas.
const (
	maxRecvMsgBytes      = 1 << 20
	maxConcurrentStreams = 100
	keepaliveMinTime     = 10 * time.Second
	maxConnectionIdle    = 15 * time.Minute
	maxConnectionAge     = 30 * time.Minute
	maxConnectionGrace   = 30 * time.Second
	healthCheckInterval  = 5 * time.Second
	healthCheckTimeout   = 2 * time.Second
	// gatewayStreamsPerConn is how many event streams the gateway puts on
	// one connection: below maxConcurrentStreams, leaving room for streams
	// that are ending.
	gatewayStreamsPerConn = maxConcurrentStreams * 9 / 10
	// streamCutDelay is how long a stop lets the last answers flush before
	// it cuts long-lived streams.
	streamCutDelay = 250 * time.Millisecond
)

// streamWorkers are goroutines that serve calls one after another, keeping
// the stacks they grew: a call on a new goroutine grows its stack several
// times on the way to the database (a tenth of GetLot's CPU on SQLite went
// to copying stacks). A call that finds them all busy, or held by
// long-lived streams, gets a goroutine of its own, as every call did
// before.
const streamWorkers = 64

// Server is a running Millwa: both listeners are bound when New returns.
type Server struct {
	cfg     config.Config
	log     *slog.Logger
	store   *store.Store
	metrics *grpcprom.ServerMetrics
	// market is told about clearings and WatchMarket streams.
	market *marketMetrics
	// events is the replica's one reader of the market event outbox,
	// feeding every WatchMarket stream and SSE client.
	events *feed.Hub
	// housekeeping expires lapsed orders and runs scheduled clearings
	// while the server runs.
	housekeeping *allocation.Scheduler
	// audit serves AuditService and signs the audit checkpoints.
	audit *audit.Server
	// webhooks delivers market events to the organisations' endpoints.
	webhooks *webhook.Worker
	// tracing is nil unless spans are exported.
	tracing *tracing
	// admit authenticates a call and charges it to its rate bucket.
	admit func(context.Context) (context.Context, error)
	// codec decodes requests, noting those that do not decode for
	// checkInput.
	codec *inputCodec
	// gatewayToken is the secret by which this process's REST gateway
	// proves its calls, whose x-forwarded-for is then trusted.
	gatewayToken string
	// streams ends open streams whose key is revoked or expires.
	streams *auth.StreamGuard

	grpc   *grpc.Server
	health *health.Server
	// inflight counts unary calls being handled, so that a stop waits for
	// them but not for long-lived streams.
	inflight inflight
	// refusals samples the log lines of calls refused for their rate.
	refusals logSampler
	fresh    freshConns
	http     *http.Server
	gwConn   *grpc.ClientConn
	// gwStreams holds the gateway's connections for event streams.
	gwStreams *gateway.StreamPool
	grpcLis   net.Listener
	httpLis   net.Listener
	// metricsHTTP serves /metrics on metricsLis, apart from the public
	// ports; both nil when MetricsAddr is empty.
	metricsHTTP *http.Server
	metricsLis  net.Listener
	// certs is the TLS certificate of both listeners; nil without TLS.
	certs *certFiles
	// stopping is set when a stop begins: readiness answers no from then.
	stopping atomic.Bool
	stopOnce sync.Once
}

// Option changes how New builds a Server.
type Option func(*options)

type options struct {
	extra       []func(*grpc.Server)
	extraPolicy map[string]auth.Access
	secrets     io.Writer
	spans       sdktrace.SpanExporter
	keys        func(auth.KeyStore) auth.KeyStore
	webhooks    webhook.Options
}

// WithGRPCService registers more services on the gRPC server, beside
// Millwa's own; they run behind the same interceptors, with access to their
// methods as policy says.
func WithGRPCService(register func(*grpc.Server), policy map[string]auth.Access) Option {
	return func(o *options) {
		o.extra = append(o.extra, register)
		for m, a := range policy {
			o.extraPolicy[m] = a
		}
	}
}

// WithSecretOutput sets where the secret of a generated first admin key is
// written, once (by default standard output, never the log).
func WithSecretOutput(w io.Writer) Option {
	return func(o *options) { o.secrets = w }
}

// WithSpanExporter traces calls and sends each span to exp as it ends,
// whatever the configuration says about OTLP: for tests, or a debugging
// exporter. The server shuts exp down when it stops.
func WithSpanExporter(exp sdktrace.SpanExporter) Option {
	return func(o *options) { o.spans = exp }
}

// WithWebhookOptions tunes the webhook worker (its backoff schedule,
// retry window and timeout), for tests that cannot wait for real minutes.
func WithWebhookOptions(opts webhook.Options) Option {
	return func(o *options) { o.webhooks = opts }
}

// WithKeyStore has authentication read keys through wrap(the store), for
// tests that count or delay what authentication reads.
func WithKeyStore(wrap func(auth.KeyStore) auth.KeyStore) Option {
	return func(o *options) { o.keys = wrap }
}

// New opens and migrates the database, builds the gRPC server and the REST
// gateway and binds both listeners. Call Run to serve.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) (_ *Server, err error) {
	o := options{extraPolicy: map[string]auth.Access{}, secrets: os.Stdout}
	for _, opt := range opts {
		opt(&o)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	s := &Server{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			s.close()
		}
	}()

	if s.store, err = store.Open(ctx, cfg.DatabaseURL); err != nil {
		return nil, fmt.Errorf("opening database %s: %w", config.Redact(cfg.DatabaseURL), err)
	}
	if err := s.store.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrating database: %w", err)
	}
	if cfg.DatabaseReadURL != "" {
		if err := s.store.UseReplica(ctx, cfg.DatabaseReadURL, cfg.MaxReplicaLag); err != nil {
			return nil, fmt.Errorf("opening read replica %s: %w", config.Redact(cfg.DatabaseReadURL), err)
		}
	}
	// From boot, so that this replica also takes over the events a
	// replica that died left pending.
	s.store.StartSequencer()
	pageKey, err := s.store.PageTokenKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the page token key: %w", err)
	}
	if err := millwa.InstallPageTokenKey(pageKey); err != nil {
		return nil, err
	}
	boot, err := auth.EnsureAdminKey(ctx, s.store, cfg.AdminKey)
	if err != nil {
		return nil, fmt.Errorf("making sure an admin key exists: %w", err)
	}
	if boot.Created {
		log.Info("created the first admin key", "key", "apiKeys/"+boot.Key.ID, "from_env", boot.Secret == "")
	}
	if boot.Secret != "" {
		auth.AnnounceSecret(o.secrets, boot.Secret)
	}
	policy := make(map[string]auth.Access, len(auth.Policy)+len(o.extraPolicy))
	for m, a := range auth.Policy {
		policy[m] = a
	}
	for m, a := range o.extraPolicy {
		policy[m] = a
	}
	gatewayToken, err := randomToken()
	if err != nil {
		return nil, err
	}
	s.gatewayToken = gatewayToken
	var keys auth.KeyStore = s.store
	if o.keys != nil {
		keys = o.keys(keys)
	}
	authn := auth.NewAuthenticator(keys, policy, log)
	s.admit = mapAdmission(log, auth.Admit(authn, auth.NewRateLimiter(cfg.RateLimit, cfg.RateBurst, gatewayToken)))
	s.streams = auth.NewStreamGuard(s.store, log)

	standards, err := grading.Load(cfg.StandardsDir)
	if err != nil {
		return nil, fmt.Errorf("loading grading standards: %w", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.metrics = grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram())
	reg.MustRegister(s.metrics)
	s.market = newMarketMetrics(reg)
	reg.MustRegister(newDBCollector(s.store))
	s.housekeeping = allocation.NewScheduler(s.store, allocation.NewClearer(s.store, s.market), log,
		cfg.MarketSweep, cfg.ClearingInterval)

	if s.tracing, err = newTracing(ctx, cfg.TracesEndpoint, o.spans, log.Warn); err != nil {
		return nil, fmt.Errorf("setting up OpenTelemetry tracing: %w", err)
	}
	var tracingOpts []grpc.ServerOption
	if s.tracing != nil {
		tracingOpts = append(tracingOpts, grpc.StatsHandler(s.tracing.serverHandler()))
	}

	serverCreds := insecure.NewCredentials()
	clientCreds := insecure.NewCredentials()
	if cfg.TLS() {
		if s.certs, err = loadCertFiles(cfg.TLSCertFile, cfg.TLSKeyFile, log); err != nil {
			return nil, err
		}
		serverCreds = credentials.NewTLS(s.certs.serverConfig())
		clientCreds = credentials.NewTLS(s.certs.gatewayConfig())
	}

	s.codec = newInputCodec()
	unary, stream := s.interceptors()
	s.grpc = grpc.NewServer(append(tracingOpts,
		grpc.Creds(serverCreds),
		grpc.ForceServerCodecV2(s.codec),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
		grpc.StatsHandler(&s.inflight),
		grpc.MaxRecvMsgSize(maxRecvMsgBytes),
		grpc.MaxConcurrentStreams(maxConcurrentStreams),
		grpc.NumStreamWorkers(streamWorkers),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: keepaliveMinTime, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle:     maxConnectionIdle,
			MaxConnectionAge:      maxConnectionAge,
			MaxConnectionAgeGrace: maxConnectionGrace,
		}),
	)...)
	millwav1.RegisterGradingServiceServer(s.grpc, gradingsvc.New(standards))
	millwav1.RegisterIdentityServiceServer(s.grpc, identity.New(s.store,
		// A key revoked here is refused here at once, and its streams end.
		identity.OnRevoke(func(id string) { authn.Forget(id); s.streams.Revoked(id) }),
		identity.OnCreate(authn.Created),
		identity.IssueSessions(authn.IssueSessionToken)))
	// Labels link to the public URL; unset, to the HTTP listener, whose
	// port is known only once it listens (read after Serve starts).
	publicURL := func() string {
		bound := ""
		if s.httpLis != nil {
			bound = s.httpLis.Addr().String()
		}
		return cfg.PublicBaseURL(bound)
	}
	millwav1.RegisterRegistryServiceServer(s.grpc, registry.New(s.store, standards, cfg.ContinuousMatching, registry.WithPublicURL(publicURL)))
	s.events = feed.NewHub(s.store, feed.HubOptions{OnRead: s.market.OutboxRead})
	millwav1.RegisterMarketServiceServer(s.grpc, market.New(s.store, standards, cfg.ContinuousMatching, market.WithObserver(s.market),
		market.WithStreamLimits(cfg.MaxWatchStreamsPerKey, cfg.MaxWatchStreams), market.WithHub(s.events),
		market.WithWebhookAllowPrivate(cfg.WebhookAllowPrivate)))
	if o.webhooks.Log == nil {
		o.webhooks.Log = log
	}
	o.webhooks.AllowPrivate = cfg.WebhookAllowPrivate
	o.webhooks.EncodeAudit = audit.EncodeWebhookEvent
	s.webhooks = webhook.New(s.store, market.EncodeWebhookEvent, o.webhooks)
	signingKey, err := auditSigningKey(ctx, cfg, s.store)
	if err != nil {
		return nil, err
	}
	s.audit = audit.New(s.store, standards, audit.WithSigningKey(signingKey))
	millwav1.RegisterAuditServiceServer(s.grpc, s.audit)
	millwav1.RegisterObservatoryServiceServer(s.grpc, observatory.New(s.store, standards))
	for _, register := range o.extra {
		register(s.grpc)
	}
	s.health = health.NewServer()
	healthpb.RegisterHealthServer(s.grpc, s.health)
	if err := s.ready(ctx); err != nil {
		return nil, fmt.Errorf("database does not answer after migrating: %w", err)
	}
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	reflection.Register(s.grpc)
	s.metrics.InitializeMetrics(s.grpc)

	if s.grpcLis, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
		return nil, fmt.Errorf("listening for gRPC on %s: %w", cfg.GRPCAddr, err)
	}
	if s.httpLis, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("listening for HTTP on %s: %w", cfg.HTTPAddr, err)
	}

	dialOpts := []grpc.DialOption{
		grpc.WithTransportCredentials(clientCreds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64 << 20)),
	}
	dialOpts = append(dialOpts, gateway.DialOptions()...)
	if s.tracing != nil {
		dialOpts = append(dialOpts, grpc.WithStatsHandler(s.tracing.clientHandler()))
	}
	s.gwConn, err = grpc.NewClient(dialTarget(s.grpcLis.Addr()), dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("connecting the gateway to gRPC: %w", err)
	}
	// Event streams get connections of their own, so that REST calls never
	// wait behind them for the gRPC server's per-connection stream slots.
	s.gwStreams = gateway.NewStreamPool(func() (*grpc.ClientConn, error) {
		return grpc.NewClient(dialTarget(s.grpcLis.Addr()), dialOpts...)
	}, gatewayStreamsPerConn)
	handler, err := gateway.NewHandler(ctx, s.gwConn, gateway.Options{
		Ready:    s.readyToServe,
		Metadata: metadata.Pairs(auth.GatewayHeader, gatewayToken),
		Streams:  s.gwStreams,
		// Checked by config.Validate.
		CORSOrigins: s.cfg.Origins(),
	})
	if err != nil {
		return nil, err
	}
	if s.tracing != nil {
		handler = s.tracing.httpHandler(handler)
	}
	s.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ConnState:         s.fresh.track,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if s.certs != nil {
		s.http.TLSConfig = s.certs.serverConfig()
	}
	if err := s.listenMetrics(reg); err != nil {
		return nil, err
	}
	return s, nil
}

// listenMetrics binds the metrics listener, when one is configured.
func (s *Server) listenMetrics(reg *prometheus.Registry) error {
	if s.cfg.MetricsAddr == "" {
		return nil
	}
	lis, err := net.Listen("tcp", s.cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("listening for metrics on %s: %w", s.cfg.MetricsAddr, err)
	}
	s.metricsLis = lis
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s.metricsHTTP = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      30 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return nil
}

// randomToken returns 32 random bytes in hex.
func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generating the gateway token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// dialTarget is the address the in-process gateway dials: the gRPC
// listener's port on loopback when the listener is on every interface.
func dialTarget(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}

// TracingEnabled reports whether the server traces calls: an OTLP
// endpoint is configured, or WithSpanExporter was given.
func (s *Server) TracingEnabled() bool { return s.tracing != nil }

// GRPCAddr is the address the gRPC listener is bound to.
func (s *Server) GRPCAddr() string { return s.grpcLis.Addr().String() }

// HTTPAddr is the address the HTTP listener is bound to.
func (s *Server) HTTPAddr() string { return s.httpLis.Addr().String() }

// MetricsAddr is the address the metrics listener is bound to, or "" when
// there is none.
func (s *Server) MetricsAddr() string {
	if s.metricsLis == nil {
		return ""
	}
	return s.metricsLis.Addr().String()
}

// errStopping is what readiness says once a stop has begun.
var errStopping = errors.New("the server is stopping")

// readyToServe is the HTTP readiness check (/healthz): the database
// answers and no stop has begun, so that load balancers stop sending
// requests here as soon as the stop begins, as the gRPC health service
// says NOT_SERVING then.
func (s *Server) readyToServe(ctx context.Context) error {
	if s.stopping.Load() {
		return errStopping
	}
	return s.ready(ctx)
}

// ready reports whether the database answers.
func (s *Server) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, healthCheckTimeout)
	defer cancel()
	return s.store.Ping(ctx)
}

// watchHealth keeps the health service's status in line with the database
// until ctx ends.
func (s *Server) watchHealth(ctx context.Context) {
	t := time.NewTicker(healthCheckInterval)
	defer t.Stop()
	last := healthpb.HealthCheckResponse_SERVING
	for {
		st := healthpb.HealthCheckResponse_SERVING
		if err := s.ready(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			st = healthpb.HealthCheckResponse_NOT_SERVING
			if last != st {
				s.log.Warn("database does not answer: not serving", "err", err)
			}
		} else if last != st {
			s.log.Info("database answers again: serving")
		}
		s.health.SetServingStatus("", st)
		last = st
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// close releases what New acquired; it is safe on a half-built Server.
func (s *Server) close() {
	s.stopOnce.Do(func() {
		if s.gwConn != nil {
			_ = s.gwConn.Close()
		}
		if s.gwStreams != nil {
			s.gwStreams.Close()
		}
		if s.grpcLis != nil {
			_ = s.grpcLis.Close()
		}
		if s.httpLis != nil {
			_ = s.httpLis.Close()
		}
		if s.metricsLis != nil {
			_ = s.metricsLis.Close()
		}
		// After both sides have stopped, so that the spans of the last
		// calls are exported too.
		if s.tracing != nil {
			if err := s.tracing.shutdown(); err != nil {
				s.log.Warn("exporting the last spans", "err", err)
			}
		}
		// Before the database, which it reads.
		if s.events != nil {
			s.events.Close()
		}
		if s.store != nil {
			if err := s.store.Close(); err != nil {
				s.log.Warn("closing database", "err", err)
			}
		}
	})
}

// Version is the binary's version, as the OpenAPI document gives it: the
// one set at build time (-X github.com/millwa/millwa/gateway.version=…),
// else the module version or VCS revision recorded in the binary.
func Version() string { return gateway.BuildVersion() }
