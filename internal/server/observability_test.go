package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/server"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// scrape reads /metrics and returns every sample by its series, written as
// in the exposition format with its labels sorted by name:
// `name{a="1",b="2"}`.
func scrape(t *testing.T, ts *testServer) map[string]float64 {
	t.Helper()
	res := ts.metrics(t)
	if res.code != http.StatusOK {
		t.Fatalf("/metrics: HTTP %d\n%.500s", res.code, res.body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(res.body)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cut := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[cut+1:], 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		out[line[:cut]] = v
	}
	return out
}

// series writes a series as scrape keys it, from label names and values
// in pairs: with the labels sorted by name, as Prometheus writes them.
func series(name string, labels ...string) string {
	if len(labels) == 0 {
		return name
	}
	var pairs []string
	for i := 0; i+1 < len(labels); i += 2 {
		pairs = append(pairs, fmt.Sprintf("%s=%q", labels[i], labels[i+1]))
	}
	slices.Sort(pairs)
	return name + "{" + strings.Join(pairs, ",") + "}"
}

// metric returns one sample, failing the test when /metrics lacks it.
func metric(t *testing.T, m map[string]float64, name string, labels ...string) float64 {
	t.Helper()
	s := series(name, labels...)
	v, ok := m[s]
	if !ok {
		var near []string
		for k := range m {
			if strings.HasPrefix(k, name) {
				near = append(near, k)
			}
		}
		t.Fatalf("/metrics lacks %s; series of that name: %v", s, near)
	}
	return v
}

// waitMetric scrapes until the sample satisfies ok, or fails after a few
// seconds: some are updated just after the answer that caused them.
func waitMetric(t *testing.T, ts *testServer, ok func(float64) bool, name string, labels ...string) float64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v := metric(t, scrape(t, ts), name, labels...)
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v: never reached the value wanted", series(name, labels...), v)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func equals(want float64) func(float64) bool { return func(v float64) bool { return v == want } }

// TestMetricsRPCLatencyAndErrors checks the per-method gRPC metrics
// (handling-time histogram, calls by code), and that the database pools
// and transaction conflicts are on /metrics from the start.
func TestMetricsRPCLatencyAndErrors(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		reg := millwav1.NewRegistryServiceClient(ts.conn)
		a := ts.createAssociation(t, "210101")
		if _, err := reg.GetAssociation(t.Context(), &millwav1.GetAssociationRequest{Name: a.GetName()}); err != nil {
			t.Fatal(err)
		}
		missing := "associations/01900000-0000-7000-8000-000000000000"
		for range 2 {
			_, err := reg.GetAssociation(t.Context(), &millwav1.GetAssociationRequest{Name: missing})
			if status.Code(err) != codes.NotFound {
				t.Fatalf("GetAssociation(%s): %v, want NotFound", missing, err)
			}
		}
		// A REST call is a gRPC call too, through the gateway.
		if res := ts.rest(t, "GET", "/v1/"+missing, ""); res.code != http.StatusNotFound {
			t.Fatalf("GET /v1/%s: HTTP %d, want 404", missing, res.code)
		}

		m := scrape(t, ts)
		method := []string{"grpc_method", "GetAssociation", "grpc_service", "millwa.v1.RegistryService", "grpc_type", "unary"}
		withCode := func(code string) []string { return append([]string{"grpc_code", code}, method...) }
		if got := metric(t, m, "grpc_server_handled_total", withCode("OK")...); got != 1 {
			t.Errorf("GetAssociation calls answered OK = %v, want 1", got)
		}
		if got := metric(t, m, "grpc_server_handled_total", withCode("NotFound")...); got != 3 {
			t.Errorf("GetAssociation calls answered NotFound = %v, want 3", got)
		}
		if got := metric(t, m, "grpc_server_handling_seconds_count", method...); got != 4 {
			t.Errorf("GetAssociation handling-time observations = %v, want 4", got)
		}
		if got := metric(t, m, "grpc_server_handling_seconds_bucket", append(method, "le", "+Inf")...); got != 4 {
			t.Errorf("GetAssociation handling-time +Inf bucket = %v, want 4", got)
		}

		pools := []string{"writer", "reader"}
		if strings.HasPrefix(dbURL, "postgres") {
			pools = []string{"main"}
		}
		for _, pool := range pools {
			if got := metric(t, m, "millwa_db_pool_max_open_connections", "pool", pool); got < 1 {
				t.Errorf("pool %s: max open connections %v, want at least 1", pool, got)
			}
			if got := metric(t, m, "millwa_db_pool_open_connections", "pool", pool); got < 1 {
				t.Errorf("pool %s: open connections %v after calls, want at least 1", pool, got)
			}
			for _, name := range []string{"millwa_db_pool_in_use_connections", "millwa_db_pool_idle_connections",
				"millwa_db_pool_wait_count_total", "millwa_db_pool_wait_duration_seconds_total"} {
				metric(t, m, name, "pool", pool)
			}
			metric(t, m, "millwa_db_pool_closed_connections_total", "pool", pool, "reason", "max_lifetime")
		}
		for _, reason := range []string{"serialization", "deadlock", "busy", "lock_timeout", "primary_lost"} {
			metric(t, m, "millwa_db_tx_retries_total", "reason", reason)
			metric(t, m, "millwa_db_tx_aborted_total", "reason", reason)
		}
	})
}

// TestMetricsClearingAndWatch drives clearings by RunClearing (a dry run,
// a real one and its replay) with a WatchMarket stream receiving the
// trade, and checks the clearing and stream metrics.
func TestMetricsClearingAndWatch(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServerWith(t, dbURL, callAuction)
		f := ts.lotFixture(t, "210101")
		proc, procKey := ts.createProcessor(t, "040101")

		watchCtx, stopWatching := context.WithCancel(t.Context())
		defer stopWatching()
		watch, err := millwav1.NewMarketServiceClient(ts.dial(t, f.secret)).WatchMarket(watchCtx, &millwav1.WatchMarketRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := watch.Header(); err != nil {
			t.Fatalf("WatchMarket: %v", err)
		}
		waitMetric(t, ts, equals(1), "millwa_market_watch_streams")

		var lot millwav1.Lot
		restDo(t, ts, f.secret, "POST", "/v1/"+f.assoc.GetName()+"/lots", f.lotOf("BABY", 20_000, 2000), &lot)
		o := newOrder()
		o.QuantityGrams = 20_000
		var order millwav1.PurchaseOrder
		restDo(t, ts, procKey, "POST", "/v1/"+proc.GetName()+"/purchaseOrders", o, &order)

		market := millwav1.NewMarketServiceClient(ts.conn)
		if _, err := market.RunClearing(t.Context(), &millwav1.RunClearingRequest{DryRun: true}); err != nil {
			t.Fatalf("dry RunClearing: %v", err)
		}
		for range 2 { // the second is replayed: no clearing runs
			if _, err := market.RunClearing(t.Context(), &millwav1.RunClearingRequest{RequestId: "clear-1"}); err != nil {
				t.Fatalf("RunClearing: %v", err)
			}
		}
		ev, err := watch.Recv()
		if err != nil {
			t.Fatalf("WatchMarket.Recv: %v", err)
		}
		if ev.GetEvent().GetType() != millwav1.MarketEventType_MARKET_EVENT_TYPE_TRADE_MATCHED {
			t.Fatalf("first event %v, want TRADE_MATCHED", ev.GetEvent())
		}

		m := scrape(t, ts)
		written := []string{"dry_run", "false", "mode", "optimal", "trigger", "rpc"}
		dry := []string{"dry_run", "true", "mode", "optimal", "trigger", "rpc"}
		for _, tc := range []struct {
			name   string
			labels []string
			want   float64
		}{
			{"millwa_clearing_runs_total", append(written[:6:6], "outcome", "ok"), 1},
			{"millwa_clearing_runs_total", append(written[:6:6], "outcome", "error"), 0},
			{"millwa_clearing_runs_total", append(dry[:6:6], "outcome", "ok"), 1},
			{"millwa_clearing_duration_seconds_count", written, 1},
			{"millwa_clearing_solve_duration_seconds_count", written, 1},
			{"millwa_clearing_duration_seconds_count", dry, 1},
			{"millwa_clearing_last_lots_considered", written, 1},
			{"millwa_clearing_last_orders_considered", written, 1},
			{"millwa_clearing_last_trades", written, 1},
			{"millwa_clearing_last_allocated_grams", written, 20_000},
			{"millwa_clearing_trades_total", written, 1},
			{"millwa_clearing_allocated_grams_total", written, 20_000},
			{"millwa_clearing_last_trades", dry, 1},
		} {
			if got := metric(t, m, tc.name, tc.labels...); got != tc.want {
				t.Errorf("%s = %v, want %v", series(tc.name, tc.labels...), got, tc.want)
			}
		}
		if got := metric(t, m, "millwa_clearing_duration_seconds_sum", written...); !(got > 0) {
			t.Errorf("clearing duration sum %v, want above zero", got)
		}
		// The stream sent one event, live: at the head, and recent.
		if got := metric(t, m, "millwa_market_watch_event_lag_events_count"); got != 1 {
			t.Errorf("events sent = %v, want 1", got)
		}
		if got := metric(t, m, "millwa_market_watch_event_lag_events_sum"); got < 0 || got > 2 {
			t.Errorf("lag of the one event sent = %v events, want at most the order's own events ahead of it", got)
		}
		if got := metric(t, m, "millwa_market_watch_event_age_seconds_count"); got != 1 {
			t.Errorf("event ages observed = %v, want 1", got)
		}
		if got := metric(t, m, "millwa_market_watch_event_age_seconds_sum"); math.IsNaN(got) || got < 0 || got > 10 {
			t.Errorf("age of the event sent = %vs, want a few milliseconds", got)
		}

		stopWatching()
		waitMetric(t, ts, equals(0), "millwa_market_watch_streams")
	})
}

// TestMetricsScheduledClearing checks that a clearing run on the schedule
// is counted under trigger="schedule".
func TestMetricsScheduledClearing(t *testing.T) {
	t.Parallel()
	ts := startServerWith(t, storetest.SQLiteURL(t), func(c *config.Config) {
		c.ContinuousMatching = false
		c.ClearingInterval = 50 * time.Millisecond
	})
	f := ts.lotFixture(t, "210101")
	proc, procKey := ts.createProcessor(t, "040101")
	var lot millwav1.Lot
	restDo(t, ts, f.secret, "POST", "/v1/"+f.assoc.GetName()+"/lots", f.lotOf("BABY", 20_000, 2000), &lot)
	o := newOrder()
	o.QuantityGrams = 20_000
	var order millwav1.PurchaseOrder
	restDo(t, ts, procKey, "POST", "/v1/"+proc.GetName()+"/purchaseOrders", o, &order)

	labels := []string{"dry_run", "false", "mode", "optimal", "trigger", "schedule"}
	waitMetric(t, ts, equals(20_000), "millwa_clearing_allocated_grams_total", labels...)
	m := scrape(t, ts)
	if got := metric(t, m, "millwa_clearing_runs_total", append(labels, "outcome", "ok")...); got < 1 {
		t.Errorf("scheduled clearings counted %v, want at least 1", got)
	}
	if got := metric(t, m, "millwa_clearing_trades_total", labels...); got != 1 {
		t.Errorf("trades of scheduled clearings %v, want 1", got)
	}
}

// waitSpans returns the exported spans once every name wanted has a span
// of the kind, or fails after a few seconds: a server span ends after its
// answer is sent.
func waitSpans(t *testing.T, exp *tracetest.InMemoryExporter, kind trace.SpanKind, names ...string) tracetest.SpanStubs {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		spans := exp.GetSpans()
		found := 0
		for _, n := range names {
			for _, s := range spans {
				if s.Name == n && s.SpanKind == kind {
					found++
					break
				}
			}
		}
		if found == len(names) {
			return spans
		}
		if time.Now().After(deadline) {
			var got []string
			for _, s := range spans {
				got = append(got, s.Name+" "+s.SpanKind.String())
			}
			t.Fatalf("spans %v, want %s spans named %v", got, kind, names)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// span returns the span of that name and kind.
func span(t *testing.T, spans tracetest.SpanStubs, name string, kind trace.SpanKind) tracetest.SpanStub {
	t.Helper()
	for _, s := range spans {
		if s.Name == name && s.SpanKind == kind {
			return s
		}
	}
	t.Fatalf("no %s span named %s", kind, name)
	return tracetest.SpanStub{}
}

// TestTracing checks that with a span exporter a gRPC call and a REST call
// make spans named by their RPC method, that the gateway's span is the
// parent of the server's in one trace, and that a REST client's
// traceparent is continued; and that without configuration nothing traces.
func TestTracing(t *testing.T) {
	t.Parallel()
	if ts := startServer(t, storetest.SQLiteURL(t)); ts.srv.TracingEnabled() {
		t.Fatal("a server configured without an OTLP endpoint or span exporter traces calls")
	}

	exp := tracetest.NewInMemoryExporter()
	ts := startServer(t, storetest.SQLiteURL(t), server.WithSpanExporter(exp))
	if !ts.srv.TracingEnabled() {
		t.Fatal("a server given a span exporter does not trace")
	}

	// gRPC: a server span, the root of its trace.
	const getMethod = "millwa.v1.RegistryService/GetAssociation"
	a := ts.createAssociation(t, "210101")
	if _, err := millwav1.NewRegistryServiceClient(ts.conn).GetAssociation(t.Context(), &millwav1.GetAssociationRequest{Name: a.GetName()}); err != nil {
		t.Fatal(err)
	}
	spans := waitSpans(t, exp, trace.SpanKindServer, getMethod)
	grpcSpan := span(t, spans, getMethod, trace.SpanKindServer)
	if grpcSpan.Parent.IsValid() {
		t.Errorf("span of a gRPC call without trace context has parent %v, want none", grpcSpan.Parent)
	}
	if grpcSpan.Status.Code.String() == "Error" {
		t.Errorf("span of a successful call has status %v", grpcSpan.Status)
	}
	exp.Reset()

	// REST, continuing the client's trace: the gateway's client span is a
	// child of the client's span, the server's span a child of the
	// gateway's, all in the client's trace.
	const listMethod = "millwa.v1.RegistryService/ListAssociations"
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	const parentID = "00f067aa0ba902b7"
	req, err := http.NewRequestWithContext(t.Context(), "GET", ts.baseURL+"/v1/associations", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminSecret)
	req.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/associations: HTTP %d", resp.StatusCode)
	}
	spans = waitSpans(t, exp, trace.SpanKindServer, listMethod)
	spans = waitSpans(t, exp, trace.SpanKindClient, listMethod)
	client := span(t, spans, listMethod, trace.SpanKindClient)
	srv := span(t, spans, listMethod, trace.SpanKindServer)
	if got := client.SpanContext.TraceID().String(); got != traceID {
		t.Errorf("gateway span trace %s, want the client's %s", got, traceID)
	}
	if got := client.Parent.SpanID().String(); got != parentID {
		t.Errorf("gateway span parent %s, want the client's span %s", got, parentID)
	}
	if srv.SpanContext.TraceID() != client.SpanContext.TraceID() || srv.Parent.SpanID() != client.SpanContext.SpanID() {
		t.Errorf("server span %s/%s (parent %s), want a child of the gateway's span %s/%s",
			srv.SpanContext.TraceID(), srv.SpanContext.SpanID(), srv.Parent.SpanID(), client.SpanContext.TraceID(), client.SpanContext.SpanID())
	}
	// Health checks are not traced.
	if res := ts.rest(t, "GET", "/healthz", ""); res.code != http.StatusOK {
		t.Fatalf("/healthz: HTTP %d", res.code)
	}
	for _, s := range exp.GetSpans() {
		if strings.HasPrefix(s.Name, "grpc.health") {
			t.Errorf("health check traced: %s", s.Name)
		}
	}
}

// startServerLogging is startServer that also returns the server's log.
func startServerLogging(t *testing.T, dbURL string) (*testServer, *syncBuffer) {
	t.Helper()
	cfg := config.Default()
	cfg.AdminKey = adminSecret
	cfg.GRPCAddr = "127.0.0.1:0"
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.MetricsAddr = "127.0.0.1:0"
	cfg.DatabaseURL = dbURL
	cfg.ShutdownGrace = 5 * time.Second
	logs := &syncBuffer{}
	srv, err := server.New(t.Context(), cfg, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
	conn, err := grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.Bearer{Secret: adminSecret, Insecure: true}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		if err := stop(); err != nil {
			t.Errorf("server stopped with error: %v\nlogs:\n%s", err, logs.String())
		}
	})
	return &testServer{dbURL: dbURL, srv: srv, conn: conn, baseURL: "http://" + srv.HTTPAddr(), stop: stop}, logs
}

// TestLogsNamePrincipalNotSecret checks that each finished call's log line
// names its request id and who called (key id, role, organisation), over
// gRPC and REST, and that no key's secret appears anywhere in the log, not
// even a wrong one.
func TestLogsNamePrincipalNotSecret(t *testing.T) {
	t.Parallel()
	ts, logs := startServerLogging(t, storetest.SQLiteURL(t))
	a := ts.createAssociation(t, "210101")
	keyName, secret := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a.GetName(), false)
	keyID := strings.TrimPrefix(keyName, "apiKeys/")

	asA := millwav1.NewRegistryServiceClient(ts.dial(t, secret))
	if _, err := asA.GetAssociation(t.Context(), &millwav1.GetAssociationRequest{Name: a.GetName()}); err != nil {
		t.Fatal(err)
	}
	if res := ts.restAs(t, secret, "GET", "/v1/"+a.GetName()+"/members", ""); res.code != http.StatusOK {
		t.Fatalf("GET members: HTTP %d %s", res.code, res.body)
	}
	const wrongSecret = "mlw_not-a-key-but-must-not-be-logged-0123456789"
	_, err := millwav1.NewRegistryServiceClient(ts.dial(t, wrongSecret)).GetAssociation(t.Context(), &millwav1.GetAssociationRequest{Name: a.GetName()})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("GetAssociation with a wrong key: %v, want Unauthenticated", err)
	}
	// The last call's line is written as it ends, just after its answer.
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(logs.String(), `"grpc.code":"Unauthenticated"`) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}

	type line struct {
		Msg          string `json:"msg"`
		Method       string `json:"grpc.method"`
		Code         string `json:"grpc.code"`
		RequestID    string `json:"request_id"`
		KeyID        string `json:"principal.key_id"`
		Role         string `json:"principal.role"`
		Organisation string `json:"principal.organisation"`
	}
	var calls []line
	for _, s := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l line
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, s)
		}
		if l.Msg == "finished call" {
			calls = append(calls, l)
		}
	}
	find := func(method, code string) line {
		t.Helper()
		for _, l := range calls {
			if l.Method == method && l.Code == code && (l.KeyID == keyID || code != "OK") {
				return l
			}
		}
		t.Fatalf("no finished-call line of %s answered %s by the association's key; lines: %+v", method, code, calls)
		return line{}
	}
	for _, l := range []line{find("GetAssociation", "OK"), find("ListMembers", "OK")} {
		if l.RequestID == "" || l.Role != "association" || l.Organisation != a.GetName() {
			t.Errorf("%s line: %+v, want the request id and the association's key, role and organisation", l.Method, l)
		}
	}
	if l := find("GetAssociation", "Unauthenticated"); l.KeyID != "" || l.Role != "" || l.RequestID == "" {
		t.Errorf("line of a call with a wrong key: %+v, want a request id and no principal", l)
	}
	// The admin's calls are named too, without an organisation.
	adminLogged := false
	for _, l := range calls {
		if l.Method == "CreateApiKey" && l.Role == "admin" && l.KeyID != "" && l.Organisation == "" {
			adminLogged = true
		}
	}
	if !adminLogged {
		t.Errorf("no CreateApiKey line names the admin key; lines: %+v", calls)
	}

	all := logs.String()
	for _, s := range []string{secret, adminSecret, wrongSecret} {
		if strings.Contains(all, s) {
			t.Errorf("the log contains a key's secret %q", s)
		}
	}
}
