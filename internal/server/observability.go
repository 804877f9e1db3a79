package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"

	"github.com/millwa/millwa/internal/allocation"
	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
)

// Metrics Millwa adds to /metrics beside the gRPC server's
// (grpc_server_handled_total and grpc_server_handling_seconds by method and
// code) and the Go and process collectors'.

// clearingLabels label the clearing metrics: mode (optimal or
// first_come_first_served), trigger (rpc or schedule) and dry_run.
var clearingLabels = []string{"mode", "trigger", "dry_run"}

// clearingBuckets span a clearing from a tiny book (about a millisecond)
// to a very large one (a minute); a book of 10,000 lots solves in about
// 60 ms.
var clearingBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// marketMetrics is the market's observer (an allocation.Observer, and the
// market service's): clearing duration and size, and the WatchMarket
// streams and how far behind they send.
type marketMetrics struct {
	clearingDuration *prometheus.HistogramVec
	clearingSolve    *prometheus.HistogramVec
	clearingRuns     *prometheus.CounterVec
	clearingTrades   *prometheus.CounterVec
	clearingGrams    *prometheus.CounterVec
	lastLots         *prometheus.GaugeVec
	lastOrders       *prometheus.GaugeVec
	lastTrades       *prometheus.GaugeVec
	lastGrams        *prometheus.GaugeVec

	watchStreams prometheus.Gauge
	watchBehind  prometheus.Histogram
	watchAge     prometheus.Histogram
	watchReads   prometheus.Counter
}

var _ allocation.Observer = (*marketMetrics)(nil)

// newMarketMetrics makes the market's metrics and registers them on reg.
func newMarketMetrics(reg prometheus.Registerer) *marketMetrics {
	gauge := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, clearingLabels)
	}
	counter := func(name, help string, labels []string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	m := &marketMetrics{
		clearingDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "millwa_clearing_duration_seconds",
			Help:    "Wall time of successful clearings: the transaction with its retries, reading the book, solving, writing the trades and committing.",
			Buckets: clearingBuckets,
		}, clearingLabels),
		clearingSolve: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "millwa_clearing_solve_duration_seconds",
			Help:    "Time the matching engine took to solve the book of successful clearings.",
			Buckets: clearingBuckets,
		}, clearingLabels),
		clearingRuns: counter("millwa_clearing_runs_total",
			"Clearings run, by outcome (ok or error); a RunClearing answered from its stored first answer is not one.",
			append(append([]string{}, clearingLabels...), "outcome")),
		clearingTrades: counter("millwa_clearing_trades_total",
			"Trades created by successful clearings (that a dry run would create, for dry_run=\"true\").", clearingLabels),
		clearingGrams: counter("millwa_clearing_allocated_grams_total",
			"Grams of fibre allocated by successful clearings.", clearingLabels),
		lastLots:   gauge("millwa_clearing_last_lots_considered", "Lots on offer that the last successful clearing considered."),
		lastOrders: gauge("millwa_clearing_last_orders_considered", "Live purchase orders that the last successful clearing considered."),
		lastTrades: gauge("millwa_clearing_last_trades", "Trades the last successful clearing created."),
		lastGrams:  gauge("millwa_clearing_last_allocated_grams", "Grams of fibre the last successful clearing allocated."),

		watchStreams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "millwa_market_watch_streams",
			Help: "WatchMarket streams open on this replica (gRPC and the gateway's server-sent events alike).",
		}),
		watchBehind: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "millwa_market_watch_event_lag_events",
			Help:    "How many events the market outbox's head was past each event when a WatchMarket stream sent it.",
			Buckets: []float64{0, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000, 10000},
		}),
		watchReads: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "millwa_market_watch_outbox_reads_total",
			Help: "Reads of the market event outbox (its head, or a batch of events) made for WatchMarket streams: by the replica's event hub, whatever the number of streams, and by each stream catching up from the database.",
		}),
		watchAge: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "millwa_market_watch_event_age_seconds",
			Help:    "How long ago each event sent by a WatchMarket stream was recorded: delivery latency when live, more when a client resumes.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 3600},
		}),
	}
	reg.MustRegister(m.clearingDuration, m.clearingSolve, m.clearingRuns, m.clearingTrades, m.clearingGrams,
		m.lastLots, m.lastOrders, m.lastTrades, m.lastGrams, m.watchStreams, m.watchBehind, m.watchAge, m.watchReads)
	// Show the clearings that can happen from the start, at zero, so that
	// rates and alerts work before the first one.
	for _, k := range allocation.Kinds() {
		l := k.Labels()
		m.clearingDuration.WithLabelValues(l...)
		m.clearingSolve.WithLabelValues(l...)
		m.clearingTrades.WithLabelValues(l...)
		m.clearingGrams.WithLabelValues(l...)
		m.clearingRuns.WithLabelValues(append(l, "ok")...)
		m.clearingRuns.WithLabelValues(append(l, "error")...)
	}
	return m
}

func (m *marketMetrics) ObserveClearing(run allocation.ClearingRun) {
	l := run.Labels()
	if run.Err != nil {
		m.clearingRuns.WithLabelValues(append(l, "error")...).Inc()
		return
	}
	m.clearingRuns.WithLabelValues(append(l, "ok")...).Inc()
	sum := run.Summary
	m.clearingDuration.WithLabelValues(l...).Observe(run.Duration.Seconds())
	m.clearingSolve.WithLabelValues(l...).Observe(sum.SolveDuration.Seconds())
	m.clearingTrades.WithLabelValues(l...).Add(float64(sum.TradesCreated))
	m.clearingGrams.WithLabelValues(l...).Add(float64(sum.AllocatedGrams))
	m.lastLots.WithLabelValues(l...).Set(float64(sum.LotsConsidered))
	m.lastOrders.WithLabelValues(l...).Set(float64(sum.OrdersConsidered))
	m.lastTrades.WithLabelValues(l...).Set(float64(sum.TradesCreated))
	m.lastGrams.WithLabelValues(l...).Set(float64(sum.AllocatedGrams))
}

func (m *marketMetrics) WatchStarted() { m.watchStreams.Inc() }

func (m *marketMetrics) WatchEnded() { m.watchStreams.Dec() }

// OutboxRead counts a read of the outbox made for streams.
func (m *marketMetrics) OutboxRead() { m.watchReads.Inc() }

func (m *marketMetrics) EventSent(behind int64, age time.Duration) {
	m.watchBehind.Observe(float64(behind))
	// Clocks of replicas differ a little: an event recorded by another
	// replica may look as if it came from the near future.
	m.watchAge.Observe(max(age, 0).Seconds())
}

// dbCollector reads the store's connection pools and transaction conflict
// counts at each scrape, so that nothing is counted twice and the store
// needs no knowledge of Prometheus.
type dbCollector struct {
	store *store.Store

	maxOpen, open, inUse, idle, waitCount, waitSeconds, closed *prometheus.Desc
	retries, aborted                                           *prometheus.Desc
	staleReads, replicaLag                                     *prometheus.Desc
}

func newDBCollector(st *store.Store) *dbCollector {
	pool := []string{"pool"}
	return &dbCollector{
		store:       st,
		maxOpen:     prometheus.NewDesc("millwa_db_pool_max_open_connections", "Most connections the pool may open (writer and reader on SQLite, main on PostgreSQL).", pool, nil),
		open:        prometheus.NewDesc("millwa_db_pool_open_connections", "Connections the pool has open, in use or idle.", pool, nil),
		inUse:       prometheus.NewDesc("millwa_db_pool_in_use_connections", "Connections of the pool in use.", pool, nil),
		idle:        prometheus.NewDesc("millwa_db_pool_idle_connections", "Idle connections of the pool.", pool, nil),
		waitCount:   prometheus.NewDesc("millwa_db_pool_wait_count_total", "Times a query waited for a free connection of the pool.", pool, nil),
		waitSeconds: prometheus.NewDesc("millwa_db_pool_wait_duration_seconds_total", "Time spent waiting for a free connection of the pool.", pool, nil),
		closed:      prometheus.NewDesc("millwa_db_pool_closed_connections_total", "Connections the pool closed, by reason (max_idle, max_idle_time, max_lifetime).", []string{"pool", "reason"}, nil),
		retries:     prometheus.NewDesc("millwa_db_tx_retries_total", "Transaction attempts run again after a conflict with a concurrent one or after the primary was lost (a failover), by reason (serialization, deadlock, busy, lock_timeout, primary_lost).", []string{"reason"}, nil),
		staleReads:  prometheus.NewDesc("millwa_db_stale_reads_total", "Reads that tolerate staleness (market statistics, the observatory, processors' lot lists), by the pool that served them: replica while the standbys' lag is under MILLWA_MAX_REPLICA_LAG, main otherwise.", pool, nil),
		replicaLag:  prometheus.NewDesc("millwa_db_replica_lag_seconds", "Worst replay lag last measured over the standbys of MILLWA_DATABASE_READ_URL; absent when it cannot be measured.", nil, nil),
		aborted:     prometheus.NewDesc("millwa_db_tx_aborted_total", "Transactions given up with a conflict (out of retries, the caller gone, or a lock timeout, which is not retried), by reason.", []string{"reason"}, nil),
	}
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.maxOpen, c.open, c.inUse, c.idle, c.waitCount, c.waitSeconds, c.closed, c.retries, c.aborted, c.staleReads, c.replicaLag} {
		ch <- d
	}
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	for name, st := range c.store.PoolStats() {
		ch <- prometheus.MustNewConstMetric(c.maxOpen, prometheus.GaugeValue, float64(st.MaxOpenConnections), name)
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(st.OpenConnections), name)
		ch <- prometheus.MustNewConstMetric(c.inUse, prometheus.GaugeValue, float64(st.InUse), name)
		ch <- prometheus.MustNewConstMetric(c.idle, prometheus.GaugeValue, float64(st.Idle), name)
		ch <- prometheus.MustNewConstMetric(c.waitCount, prometheus.CounterValue, float64(st.WaitCount), name)
		ch <- prometheus.MustNewConstMetric(c.waitSeconds, prometheus.CounterValue, st.WaitDuration.Seconds(), name)
		ch <- prometheus.MustNewConstMetric(c.closed, prometheus.CounterValue, float64(st.MaxIdleClosed), name, "max_idle")
		ch <- prometheus.MustNewConstMetric(c.closed, prometheus.CounterValue, float64(st.MaxIdleTimeClosed), name, "max_idle_time")
		ch <- prometheus.MustNewConstMetric(c.closed, prometheus.CounterValue, float64(st.MaxLifetimeClosed), name, "max_lifetime")
	}
	if rs := c.store.ReplicaStats(); rs.InUse {
		ch <- prometheus.MustNewConstMetric(c.staleReads, prometheus.CounterValue, float64(rs.OnReplica), store.PoolReplica)
		ch <- prometheus.MustNewConstMetric(c.staleReads, prometheus.CounterValue, float64(rs.OnPrimary), store.PoolMain)
		if rs.LagKnown {
			ch <- prometheus.MustNewConstMetric(c.replicaLag, prometheus.GaugeValue, rs.Lag.Seconds())
		}
	}
	tx := c.store.TxStats()
	for _, reason := range store.ConflictReasons() {
		ch <- prometheus.MustNewConstMetric(c.retries, prometheus.CounterValue, float64(tx.Retries[reason]), reason)
		ch <- prometheus.MustNewConstMetric(c.aborted, prometheus.CounterValue, float64(tx.Aborted[reason]), reason)
	}
}

// serviceName names Millwa's spans' service when OTEL_SERVICE_NAME does
// not.
const serviceName = "millwa"

// tracerShutdownTimeout bounds how long a stop waits for the last spans to
// be exported.
const tracerShutdownTimeout = 5 * time.Second

// tracing is the server's OpenTelemetry tracing: a tracer provider of its
// own, handed to the instrumentation explicitly rather than installed as
// the process's global, so that a server that does not trace costs
// nothing and servers in one process (tests) do not share spans.
type tracing struct {
	provider   *sdktrace.TracerProvider
	propagator propagation.TextMapPropagator
}

// newTracing returns the server's tracing, or nil when it has none: with
// exporter set (WithSpanExporter) spans go there as each one ends; else
// with cfg's TracesEndpoint set they are batched to it over OTLP/gRPC;
// else nothing is traced.
func newTracing(ctx context.Context, endpoint string, exporter sdktrace.SpanExporter, log func(msg string, args ...any)) (*tracing, error) {
	var processor sdktrace.TracerProviderOption
	switch {
	case exporter != nil:
		processor = sdktrace.WithSyncer(exporter)
	case endpoint != "":
		var opts []otlptracegrpc.Option
		// The exporter reads OTEL_EXPORTER_OTLP_* itself; a URL is also
		// passed on, so that a configuration built in code without the
		// variables goes to the same place. Other forms (a bare
		// host:port, unix:) are left to the exporter's reading.
		if u, err := url.Parse(endpoint); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			opts = append(opts, otlptracegrpc.WithEndpointURL(endpoint))
		}
		exp, err := otlptracegrpc.New(ctx, opts...)
		if err != nil {
			return nil, err
		}
		processor = sdktrace.WithBatcher(exp)
		// Export failures are reported through OpenTelemetry's global
		// handler; send them to the server's log rather than stderr.
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log("opentelemetry", "err", err) }))
	default:
		return nil, nil
	}
	// The default name comes first so that OTEL_SERVICE_NAME and
	// OTEL_RESOURCE_ATTRIBUTES override it.
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(serviceName)),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
	)
	if err != nil {
		if res == nil {
			return nil, err
		}
		// A partial resource (a malformed OTEL_RESOURCE_ATTRIBUTES) still
		// names the service.
		log("opentelemetry resource is incomplete", "err", err)
	}
	// Without a WithSampler option the SDK takes OTEL_TRACES_SAMPLER and
	// OTEL_TRACES_SAMPLER_ARG, by default parentbased_always_on.
	return &tracing{
		provider:   sdktrace.NewTracerProvider(processor, sdktrace.WithResource(res)),
		propagator: propagation.TraceContext{},
	}, nil
}

// otelOptions are the instrumentation's options: this server's provider
// and W3C trace context, and no OpenTelemetry metrics (Prometheus has the
// RPC metrics already).
func (t *tracing) otelOptions() []otelgrpc.Option {
	return []otelgrpc.Option{
		otelgrpc.WithTracerProvider(t.provider),
		otelgrpc.WithPropagators(t.propagator),
		otelgrpc.WithMeterProvider(metricnoop.NewMeterProvider()),
	}
}

// serverHandler traces each call the gRPC server handles, continuing the
// trace of the caller (the gateway, or a client that sends traceparent).
// Health checks, which load balancers make every few seconds, are left
// out.
func (t *tracing) serverHandler() stats.Handler {
	return otelgrpc.NewServerHandler(append(t.otelOptions(), otelgrpc.WithFilter(filters.Not(filters.HealthCheck())))...)
}

// clientHandler traces each call the gateway makes and sends its trace
// context to the server.
func (t *tracing) clientHandler() stats.Handler {
	return otelgrpc.NewClientHandler(t.otelOptions()...)
}

// httpHandler lets a REST call continue the trace of an HTTP client that
// sends traceparent: the gateway's call to gRPC, and so its span, is then
// part of the client's trace.
func (t *tracing) httpHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := t.propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// shutdown exports the spans still buffered and stops the exporter.
func (t *tracing) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), tracerShutdownTimeout)
	defer cancel()
	return t.provider.Shutdown(ctx)
}

// callInfoKey carries a call's *callInfo in its context.
type callInfoKey struct{}

// callInfo is what inner interceptors learn about a call for the outer
// logging interceptor, whose context is made before authentication: the
// principal is set once the key is checked and read when the call ends.
type callInfo struct {
	requestID string
	// client is the REST client's address for a call of the gateway.
	client    string
	principal atomic.Pointer[millwa.Principal]
}

// callInfoFrom returns the callInfo of the call ctx belongs to, or nil.
func callInfoFrom(ctx context.Context) *callInfo {
	info, _ := ctx.Value(callInfoKey{}).(*callInfo)
	return info
}

// notePrincipal records the principal authentication put in ctx, if any,
// in the call's callInfo.
func notePrincipal(ctx context.Context) {
	info := callInfoFrom(ctx)
	if info == nil {
		return
	}
	if p, ok := auth.FromContext(ctx); ok {
		info.principal.Store(&p)
	}
}

// logFields are the fields of a call's log lines: its request id, the
// trace id when the call is traced, and who called: the key's id, role
// and organisation. Never the key's secret, which only the authorization
// header holds and nothing logs.
func logFields(ctx context.Context) logging.Fields {
	return appendLogFields(make(logging.Fields, 0, 10), ctx)
}

// appendLogFields appends logFields(ctx) to f.
func appendLogFields(f logging.Fields, ctx context.Context) logging.Fields {
	info := callInfoFrom(ctx)
	if info != nil {
		f = append(f, "request_id", info.requestID)
		if info.client != "" {
			f = append(f, "client.address", info.client)
		}
	} else {
		f = append(f, "request_id", "")
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		f = append(f, "trace_id", sc.TraceID().String())
	}
	if info != nil {
		if p := info.principal.Load(); p != nil {
			f = append(f, "principal.key_id", p.KeyID, "principal.role", string(p.Role))
			if p.Organisation != "" {
				f = append(f, "principal.organisation", p.Organisation)
			}
		}
	}
	return f
}

// logUnary writes a unary call's "finished call" line, the line
// go-grpc-middleware's logging interceptor writes for streams (with
// logging.FinishCall and logFields), field for field and at the same
// level: logFields, then protocol, grpc.component, grpc.service,
// grpc.method, grpc.method_type, peer.address, grpc.start_time,
// grpc.request.deadline, grpc.code, grpc.error and grpc.time_ms. Every
// unary call pays for it, so it builds the line once, at the end of the
// call, as attributes (which, unlike key-value arguments, box nothing)
// rather than merging field lists at its start and end.
func (s *Server) logUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := handler(ctx, req)
	logErr := err
	if errors.Is(logErr, io.EOF) {
		logErr = nil
	}
	code := status.Code(logErr)
	lvl := slog.Level(logging.DefaultServerCodeToLevel(code))
	if !s.log.Enabled(ctx, lvl) {
		return resp, err
	}
	skipped := 0
	if code == codes.ResourceExhausted {
		var logged bool
		if logged, skipped = s.refusals.admit(logClient(ctx), start); !logged {
			return resp, err
		}
	}
	service, method := splitMethod(info.FullMethod)
	var buf [20]slog.Attr
	a := buf[:0]
	if ci := callInfoFrom(ctx); ci != nil {
		a = append(a, slog.String("request_id", ci.requestID))
		if ci.client != "" {
			a = append(a, slog.String("client.address", ci.client))
		}
	} else {
		a = append(a, slog.String("request_id", ""))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		a = append(a, slog.String("trace_id", sc.TraceID().String()))
	}
	if ci := callInfoFrom(ctx); ci != nil {
		if p := ci.principal.Load(); p != nil {
			a = append(a, slog.String("principal.key_id", p.KeyID), slog.String("principal.role", string(p.Role)))
			if p.Organisation != "" {
				a = append(a, slog.String("principal.organisation", p.Organisation))
			}
		}
	}
	a = append(a,
		slog.String("protocol", "grpc"),
		slog.String("grpc.component", "server"),
		slog.String("grpc.service", service),
		slog.String("grpc.method", method),
		slog.String("grpc.method_type", "unary"))
	if p, ok := peer.FromContext(ctx); ok {
		a = append(a, slog.String("peer.address", p.Addr.String()))
	}
	a = append(a, slog.String("grpc.start_time", start.Format(time.RFC3339)))
	if d, ok := ctx.Deadline(); ok {
		a = append(a, slog.String("grpc.request.deadline", d.Format(time.RFC3339)))
	}
	a = append(a, slog.String("grpc.code", code.String()))
	if logErr != nil {
		a = append(a, slog.String("grpc.error", logErr.Error()))
	}
	a = append(a, slog.String("grpc.time_ms", timeMillis(time.Since(start))))
	if skipped > 0 {
		// The same client's refusals left out of the log since its last.
		a = append(a, slog.Int("log.skipped", skipped))
	}
	s.log.LogAttrs(ctx, lvl, "finished call", a...)
	return resp, err
}

// timeMillis is logging.DurationToTimeMillisFields's value of d: the
// milliseconds, to the microsecond, as a float32 formatted by %v.
func timeMillis(d time.Duration) string {
	return strconv.FormatFloat(float64(float32(d.Nanoseconds()/1000)/1000), 'g', -1, 32)
}

// splitMethod splits "/package.Service/Method" into the service and the
// method, as go-grpc-middleware names them in log lines.
func splitMethod(fullMethod string) (service, method string) {
	name := strings.TrimPrefix(fullMethod, "/")
	if i := strings.Index(name, "/"); i >= 0 {
		return name[:i], name[i+1:]
	}
	return "unknown", "unknown"
}
