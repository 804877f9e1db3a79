package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/server"
	"github.com/millwa/millwa/internal/store/storetest"
	"github.com/millwa/millwa/internal/webhook"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// Receiver modes.
const (
	answerOK = iota
	answer500
	answerLate // answers after the worker's timeout
)

// received is one post a receiver got.
type received struct {
	header http.Header
	body   []byte
	mode   int
}

// receiver is a local webhook endpoint whose answer the test chooses.
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	mode  int
	posts []received
	// late is closed when the test ends, so that late answers stop.
	late chan struct{}
}

func newReceiver(t *testing.T, mode int) *receiver {
	r := &receiver{mode: mode, late: make(chan struct{})}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		mode := r.mode
		r.posts = append(r.posts, received{header: req.Header.Clone(), body: body, mode: mode})
		r.mu.Unlock()
		switch mode {
		case answer500:
			http.Error(w, "down for maintenance", http.StatusInternalServerError)
		case answerLate:
			select {
			case <-req.Context().Done():
			case <-r.late:
			}
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(func() { close(r.late); r.Close() })
	return r
}

func (r *receiver) set(mode int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mode = mode
}

// stop closes the receiver's listener and its connections: posts find
// nothing listening, as when the receiving system is down.
func (r *receiver) stop() {
	r.Listener.Close()
	r.CloseClientConnections()
}

// restart listens again on the same address, answering in mode.
func (r *receiver) restart(t *testing.T, mode int) {
	t.Helper()
	r.set(mode)
	ln, err := net.Listen("tcp", r.Listener.Addr().String())
	if err != nil {
		t.Fatalf("listening again on %s: %v", r.Listener.Addr(), err)
	}
	r.Listener = ln
	go func() { _ = r.Config.Serve(ln) }()
}

// count is how many posts the receiver got in mode.
func (r *receiver) count(mode int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, p := range r.posts {
		if p.mode == mode {
			n++
		}
	}
	return n
}

// delivered returns the posts the receiver answered 2xx, in order.
func (r *receiver) delivered() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []received
	for _, p := range r.posts {
		if p.mode == answerOK {
			out = append(out, p)
		}
	}
	return out
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline (the worker is woken by commits; polling only observes it).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fastWebhooks retries at once and gives up on a post after 300 ms.
func fastWebhooks(window time.Duration) server.Option {
	return server.WithWebhookOptions(webhook.Options{
		Backoff:     func(int) time.Duration { return 10 * time.Millisecond },
		RetryWindow: window,
		Timeout:     300 * time.Millisecond,
		SafetyPoll:  100 * time.Millisecond,
	})
}

func createWebhook(t *testing.T, ts *testServer, secret, parent, url string, types ...millwav1.MarketEventType) *millwav1.CreateWebhookResponse {
	t.Helper()
	resp, err := millwav1.NewMarketServiceClient(ts.dial(t, secret)).CreateWebhook(t.Context(), &millwav1.CreateWebhookRequest{
		Parent: parent, Webhook: &millwav1.Webhook{DisplayName: "ERP", Url: url, EventTypes: types}})
	if err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	return resp
}

// webhookURL is an endpoint on a loopback port where nothing listens:
// deliveries to it fail at once, without leaving the machine.
const webhookURL = "http://127.0.0.1:9/millwa"

// newWebhook is a valid webhook to create, posting to webhookURL.
func newWebhook() *millwav1.Webhook {
	return &millwav1.Webhook{DisplayName: "ERP de la planta", Url: webhookURL}
}

// body is a delivery's JSON body.
type body struct {
	ID    string          `json:"id"`
	Type  string          `json:"type"`
	Time  string          `json:"time"`
	Event json.RawMessage `json:"event"`
}

// TestWebhookDeliversInOrderThroughFailures checks delivery to a receiver
// that is down (nothing listens), then answers 500, then too late, then
// recovers: it gets every event once
// among the posts it accepted, in order, each signed so that the README's
// recipe verifies it, and a tampered body fails that recipe. A processor's
// webhook gets only the processor's events; the deliveries list the
// failed attempts.
func TestWebhookDeliversInOrderThroughFailures(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServerWith(t, dbURL, func(*config.Config) {}, fastWebhooks(time.Hour))
		f := ts.lotFixture(t, "210101")
		proc, procKey := ts.createProcessor(t, "040101")
		other, otherKey := ts.createProcessor(t, "040101")

		down := newReceiver(t, answer500)
		hook := createWebhook(t, ts, f.secret, f.assoc.GetName(), down.URL)
		otherRecv := newReceiver(t, answerOK)
		createWebhook(t, ts, otherKey, other.GetName(), otherRecv.URL)
		procRecv := newReceiver(t, answerOK)
		createWebhook(t, ts, procKey, proc.GetName(), procRecv.URL, millwav1.MarketEventType_MARKET_EVENT_TYPE_TRADE_MATCHED)

		// A trade: its TRADE_MATCHED event fails at the association's
		// endpoint, first with nothing listening, then with 500s, then
		// with timeouts.
		down.stop()
		var lot millwav1.Lot
		restDo(t, ts, f.secret, "POST", "/v1/"+f.assoc.GetName()+"/lots", f.lotOf("BABY", 20_000, 2000), &lot)
		o := newOrder()
		o.QuantityGrams = 20_000
		var order millwav1.PurchaseOrder
		restDo(t, ts, procKey, "POST", "/v1/"+proc.GetName()+"/purchaseOrders", o, &order)
		waitFor(t, "two refused connections", func() bool {
			ds, err := millwav1.NewMarketServiceClient(ts.dial(t, f.secret)).ListWebhookDeliveries(t.Context(),
				&millwav1.ListWebhookDeliveriesRequest{Parent: hook.GetWebhook().GetName()})
			if err != nil {
				t.Fatalf("ListWebhookDeliveries: %v", err)
			}
			if len(ds.GetDeliveries()) != 1 {
				return false
			}
			d := ds.GetDeliveries()[0]
			if d.GetState() != millwav1.WebhookDeliveryState_WEBHOOK_DELIVERY_STATE_RETRYING || d.GetLastStatusCode() != 0 || d.GetLastError() == "" {
				t.Fatalf("delivery to a receiver that is down: %v; want RETRYING with no status and the error", d)
			}
			return d.GetAttemptCount() >= 2
		})
		if n := down.count(answerOK) + down.count(answer500) + down.count(answerLate); n != 0 {
			t.Fatalf("a receiver that is down got %d posts", n)
		}
		down.restart(t, answer500)
		waitFor(t, "two 500 answers", func() bool { return down.count(answer500) >= 2 })
		down.set(answerLate)
		waitFor(t, "a timed-out post", func() bool { return down.count(answerLate) >= 2 })

		// The trade is confirmed meanwhile: that event waits behind.
		trades, err := millwav1.NewMarketServiceClient(ts.dial(t, f.secret)).ListTrades(t.Context(), &millwav1.ListTradesRequest{})
		if err != nil || len(trades.GetTrades()) != 1 {
			t.Fatalf("ListTrades: %v %v", trades, err)
		}
		var confirmed millwav1.ConfirmTradeResponse
		restDo(t, ts, f.secret, "POST", "/v1/"+trades.GetTrades()[0].GetName()+":confirm", &millwav1.ConfirmTradeRequest{}, &confirmed)
		if n := len(down.delivered()); n != 0 {
			t.Fatalf("%d posts delivered while the receiver was down", n)
		}
		down.set(answerOK)
		waitFor(t, "both events delivered", func() bool { return len(down.delivered()) >= 2 })

		got := down.delivered()
		var types, ids []string
		for _, p := range got {
			if err := webhook.Verify(hook.GetSecret(), p.header, p.body, time.Now()); err != nil {
				t.Errorf("delivery %s: %v", p.header.Get("webhook-id"), err)
			}
			var b body
			if err := json.Unmarshal(p.body, &b); err != nil {
				t.Fatalf("body %s: %v", p.body, err)
			}
			var e millwav1.MarketEvent
			if err := protojson.Unmarshal(b.Event, &e); err != nil {
				t.Fatalf("event %s: %v", b.Event, err)
			}
			if b.ID != p.header.Get("webhook-id") || e.GetId() != b.ID || e.GetTrade().GetLot() != lot.GetName() {
				t.Errorf("body %s with webhook-id %s", p.body, p.header.Get("webhook-id"))
			}
			types, ids = append(types, b.Type), append(ids, b.ID)
		}
		if want := []string{"MARKET_EVENT_TYPE_TRADE_MATCHED", "MARKET_EVENT_TYPE_TRADE_CONFIRMED"}; !slices.Equal(types, want) {
			t.Errorf("delivered %v, want each event once, in order: %v", types, want)
		}
		tampered := strings.Replace(string(got[0].body), "TRADE_MATCHED", "TRADE_PAID", 1)
		if err := webhook.Verify(hook.GetSecret(), got[0].header, []byte(tampered), time.Now()); err == nil {
			t.Error("a tampered body verifies")
		}
		if err := webhook.Verify(hook.GetSecret(), got[0].header, got[0].body, time.Now().Add(10*time.Minute)); err == nil {
			t.Error("a delivery ten minutes old verifies")
		}

		// The deliveries list the attempts, newest event first, once the
		// worker has recorded the last answer.
		var ds *millwav1.ListWebhookDeliveriesResponse
		waitFor(t, "both deliveries recorded", func() bool {
			var err error
			ds, err = millwav1.NewMarketServiceClient(ts.dial(t, f.secret)).ListWebhookDeliveries(t.Context(),
				&millwav1.ListWebhookDeliveriesRequest{Parent: hook.GetWebhook().GetName()})
			if err != nil {
				t.Fatalf("ListWebhookDeliveries: %v", err)
			}
			return len(ds.GetDeliveries()) == 2 &&
				ds.GetDeliveries()[0].GetState() == millwav1.WebhookDeliveryState_WEBHOOK_DELIVERY_STATE_DELIVERED
		})
		if len(ds.GetDeliveries()) != 2 || ds.GetDeliveries()[1].GetEventId() != ids[0] {
			t.Fatalf("deliveries %v, want the two events", ds.GetDeliveries())
		}
		first := ds.GetDeliveries()[1]
		if first.GetState() != millwav1.WebhookDeliveryState_WEBHOOK_DELIVERY_STATE_DELIVERED || first.GetAttemptCount() < 5 ||
			first.GetLastStatusCode() != http.StatusNoContent || first.GetLastError() != "" {
			t.Errorf("first delivery %v, want DELIVERED after at least 5 attempts", first)
		}

		// The processor's webhook takes TRADE_MATCHED only, of its own
		// trades; another processor's gets nothing.
		waitFor(t, "the processor's delivery", func() bool { return len(procRecv.delivered()) >= 1 })
		var b body
		if err := json.Unmarshal(procRecv.delivered()[0].body, &b); err != nil || b.Type != "MARKET_EVENT_TYPE_TRADE_MATCHED" {
			t.Errorf("processor got %s", procRecv.delivered()[0].body)
		}
		if strings.Contains(string(procRecv.delivered()[0].body), "payouts") {
			t.Error("a processor's webhook shows member payouts")
		}
		if n := otherRecv.count(answerOK); n != 0 {
			t.Errorf("another processor's webhook got %d posts", n)
		}
		waitFor(t, "the other processor's cursor past the events it may not see", func() bool {
			w, err := millwav1.NewMarketServiceClient(ts.dial(t, otherKey)).ListWebhooks(t.Context(), &millwav1.ListWebhooksRequest{Parent: other.GetName()})
			if err != nil || len(w.GetWebhooks()) != 1 {
				t.Fatalf("other processor's webhooks %v %v", w, err)
			}
			return w.GetWebhooks()[0].GetLastEventId() == ids[1]
		})
		if n := otherRecv.count(answerOK); n != 0 {
			t.Errorf("another processor's webhook got %d posts", n)
		}
	})
}

// TestWebhookDisabledThenReplayed checks that an endpoint failing for
// longer than the retry window is disabled, with its reason and the
// delivery FAILED, and that ReplayWebhook enables it and sends again.
func TestWebhookDisabledThenReplayed(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServerWith(t, dbURL, func(*config.Config) {}, fastWebhooks(50*time.Millisecond))
		f := ts.lotFixture(t, "210101")
		proc, procKey := ts.createProcessor(t, "040101")
		recv := newReceiver(t, answer500)
		hook := createWebhook(t, ts, f.secret, f.assoc.GetName(), recv.URL)
		mc := millwav1.NewMarketServiceClient(ts.dial(t, f.secret))

		restDo(t, ts, f.secret, "POST", "/v1/"+f.assoc.GetName()+"/lots", f.lotOf("BABY", 20_000, 2000), &millwav1.Lot{})
		o := newOrder()
		o.QuantityGrams = 20_000
		restDo(t, ts, procKey, "POST", "/v1/"+proc.GetName()+"/purchaseOrders", o, &millwav1.PurchaseOrder{})
		var w *millwav1.Webhook
		waitFor(t, "the webhook disabled", func() bool {
			r, err := mc.GetWebhook(t.Context(), &millwav1.GetWebhookRequest{Name: hook.GetWebhook().GetName()})
			if err != nil {
				t.Fatalf("GetWebhook: %v", err)
			}
			w = r.GetWebhook()
			return w.GetState() == millwav1.WebhookState_WEBHOOK_STATE_DISABLED
		})
		if !strings.Contains(w.GetDisabledReason(), "HTTP 500") {
			t.Errorf("disabled reason %q, want the last error", w.GetDisabledReason())
		}
		// The disabling is recorded in the audit log, by the system, on
		// the webhook.
		audit, err := millwav1.NewAuditServiceClient(ts.conn).ListAuditEvents(t.Context(), &millwav1.ListAuditEventsRequest{
			Filter: fmt.Sprintf("resource = %q AND method = %q", w.GetName(), webhook.DisableMethod)})
		if err != nil || len(audit.GetAuditEvents()) != 1 || audit.GetAuditEvents()[0].GetAction() != "disable" ||
			audit.GetAuditEvents()[0].GetActor() != "system" {
			t.Errorf("audit events of the disabling: %v %v; want one system/DisableWebhook by the system", audit, err)
		}
		ds, err := mc.ListWebhookDeliveries(t.Context(), &millwav1.ListWebhookDeliveriesRequest{Parent: w.GetName()})
		if err != nil || len(ds.GetDeliveries()) != 1 || ds.GetDeliveries()[0].GetState() != millwav1.WebhookDeliveryState_WEBHOOK_DELIVERY_STATE_FAILED {
			t.Fatalf("deliveries %v %v, want one FAILED", ds, err)
		}
		if d := ds.GetDeliveries()[0]; d.GetLastStatusCode() != http.StatusInternalServerError || !strings.Contains(d.GetLastError(), "HTTP 500") ||
			d.GetAttemptCount() < 2 {
			t.Errorf("failed delivery %v; want its attempts, the last one's status 500 and error", d)
		}
		attempts := recv.count(answer500)

		// Disabled, it gets nothing more until replayed.
		recv.set(answerOK)
		replayed, err := mc.ReplayWebhook(t.Context(), &millwav1.ReplayWebhookRequest{Name: w.GetName(), AfterEventId: "0", RequestId: "replay-1"})
		if err != nil || replayed.GetWebhook().GetState() != millwav1.WebhookState_WEBHOOK_STATE_ENABLED {
			t.Fatalf("ReplayWebhook: %v %v", replayed, err)
		}
		waitFor(t, "the replayed delivery", func() bool { return len(recv.delivered()) == 1 })
		if n := recv.count(answer500); n != attempts {
			t.Errorf("%d posts after the webhook was disabled, before the replay", n-attempts)
		}
		if err := webhook.Verify(hook.GetSecret(), recv.delivered()[0].header, recv.delivered()[0].body, time.Now()); err != nil {
			t.Errorf("replayed delivery: %v", err)
		}
		_, err = mc.ReplayWebhook(t.Context(), &millwav1.ReplayWebhookRequest{Name: w.GetName()})
		if got := fieldViolations(t, err); !slices.Equal(got, []string{"after_event_id"}) {
			t.Errorf("replay without a start: violations %v", got)
		}
	})
}

// TestWebhookRequests checks CreateWebhook's validation (nothing written),
// its request_id (the same webhook and secret again), and that another
// organisation's webhooks answer NotFound; DeleteWebhook removes one.
func TestWebhookRequests(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		f := ts.lotFixture(t, "210101")
		proc, procKey := ts.createProcessor(t, "040101")
		mc := millwav1.NewMarketServiceClient(ts.dial(t, f.secret))

		for _, tt := range []struct {
			name   string
			parent string
			hook   *millwav1.Webhook
			fields []string
		}{
			{"no webhook", f.assoc.GetName(), nil, []string{"webhook"}},
			{"plain http", f.assoc.GetName(), &millwav1.Webhook{DisplayName: "ERP", Url: "http://erp.example.pe/hook"}, []string{"webhook.url"}},
			{"credentials", f.assoc.GetName(), &millwav1.Webhook{DisplayName: "ERP", Url: "https://u:p@erp.example.pe/hook"}, []string{"webhook.url"}},
			{"not a URL", f.assoc.GetName(), &millwav1.Webhook{DisplayName: "ERP", Url: "erp"}, []string{"webhook.url"}},
			{"no name", f.assoc.GetName(), &millwav1.Webhook{Url: "https://erp.example.pe/hook"}, []string{"webhook.display_name"}},
			{"unspecified type", f.assoc.GetName(), &millwav1.Webhook{DisplayName: "ERP", Url: "https://erp.example.pe/hook",
				EventTypes: []millwav1.MarketEventType{millwav1.MarketEventType_MARKET_EVENT_TYPE_UNSPECIFIED}}, []string{"webhook.event_types[0]"}},
			{"output only", f.assoc.GetName(), &millwav1.Webhook{DisplayName: "ERP", Url: "https://erp.example.pe/hook", Etag: "1"}, []string{"webhook.etag"}},
			{"bad parent", "members/x", &millwav1.Webhook{DisplayName: "ERP", Url: "https://erp.example.pe/hook"}, []string{"parent"}},
		} {
			_, err := mc.CreateWebhook(t.Context(), &millwav1.CreateWebhookRequest{Parent: tt.parent, Webhook: tt.hook})
			if got := fieldViolations(t, err); !slices.Equal(got, tt.fields) {
				t.Errorf("%s: violations %v, want %v", tt.name, got, tt.fields)
			}
		}
		list, err := mc.ListWebhooks(t.Context(), &millwav1.ListWebhooksRequest{Parent: f.assoc.GetName()})
		if err != nil || len(list.GetWebhooks()) != 0 {
			t.Fatalf("after refusals: %v %v, want none", list, err)
		}

		req := &millwav1.CreateWebhookRequest{Parent: f.assoc.GetName(), RequestId: "hook-1",
			Webhook: &millwav1.Webhook{DisplayName: "ERP", Url: "https://erp.example.pe/hook"}}
		first, err := mc.CreateWebhook(t.Context(), req)
		if err != nil || !strings.HasPrefix(first.GetSecret(), "whsec_") {
			t.Fatalf("CreateWebhook: %v %v", first, err)
		}
		again, err := mc.CreateWebhook(t.Context(), req)
		if err != nil || again.GetWebhook().GetName() != first.GetWebhook().GetName() || again.GetSecret() != first.GetSecret() {
			t.Fatalf("retry: %v %v, want the first answer", again, err)
		}
		list, err = mc.ListWebhooks(t.Context(), &millwav1.ListWebhooksRequest{Parent: f.assoc.GetName()})
		if err != nil || len(list.GetWebhooks()) != 1 {
			t.Fatalf("after a retry: %v %v, want one webhook", list, err)
		}
		name := first.GetWebhook().GetName()
		if got, err := mc.GetWebhook(t.Context(), &millwav1.GetWebhookRequest{Name: name}); err != nil ||
			got.GetWebhook().GetState() != millwav1.WebhookState_WEBHOOK_STATE_ENABLED {
			t.Fatalf("GetWebhook: %v %v", got, err)
		}

		// Another organisation sees nothing of it, nor may it add any.
		pc := millwav1.NewMarketServiceClient(ts.dial(t, procKey))
		for what, call := range map[string]func() error{
			"get": func() error {
				_, err := pc.GetWebhook(t.Context(), &millwav1.GetWebhookRequest{Name: name})
				return err
			},
			"list": func() error {
				_, err := pc.ListWebhooks(t.Context(), &millwav1.ListWebhooksRequest{Parent: f.assoc.GetName()})
				return err
			},
			"deliveries": func() error {
				_, err := pc.ListWebhookDeliveries(t.Context(), &millwav1.ListWebhookDeliveriesRequest{Parent: name})
				return err
			},
			"delete": func() error {
				_, err := pc.DeleteWebhook(t.Context(), &millwav1.DeleteWebhookRequest{Name: name})
				return err
			},
			"replay": func() error {
				_, err := pc.ReplayWebhook(t.Context(), &millwav1.ReplayWebhookRequest{Name: name, AfterEventId: "0"})
				return err
			},
			"create": func() error {
				_, err := pc.CreateWebhook(t.Context(), &millwav1.CreateWebhookRequest{Parent: f.assoc.GetName(),
					Webhook: &millwav1.Webhook{DisplayName: "x", Url: "https://x.example.pe/"}})
				return err
			},
		} {
			if code := status.Code(call()); code != codes.NotFound {
				t.Errorf("%s as another organisation: %v, want NotFound", what, code)
			}
		}
		// The admin manages any organisation's webhooks, over REST too.
		var got millwav1.Webhook
		restDo(t, ts, adminSecret, "GET", "/v1/"+name, nil, &got)
		if got.GetName() != name || got.GetUrl() != "https://erp.example.pe/hook" {
			t.Errorf("GET over REST: %v", &got)
		}
		var created millwav1.CreateWebhookResponse
		restDo(t, ts, adminSecret, "POST", "/v1/"+proc.GetName()+"/webhooks", &millwav1.Webhook{DisplayName: "ERP", Url: "https://erp.example.pe/p"}, &created)
		if !strings.HasPrefix(created.GetWebhook().GetName(), proc.GetName()+"/webhooks/") || created.GetSecret() == "" {
			t.Errorf("POST over REST: %v", &created)
		}

		if _, err := mc.DeleteWebhook(t.Context(), &millwav1.DeleteWebhookRequest{Name: name, Etag: "stale"}); status.Code(err) != codes.Aborted {
			t.Errorf("delete with a stale etag: %v, want Aborted", err)
		}
		if _, err := mc.DeleteWebhook(t.Context(), &millwav1.DeleteWebhookRequest{Name: name}); err != nil {
			t.Fatalf("DeleteWebhook: %v", err)
		}
		if _, err := mc.GetWebhook(t.Context(), &millwav1.GetWebhookRequest{Name: name}); status.Code(err) != codes.NotFound {
			t.Errorf("after delete: %v, want NotFound", err)
		}
	})
}

// TestWebhookContinuesAfterRestart checks that delivery state lives in
// the database: a server stops while its endpoint is down, and the server
// started after it delivers what was left, then what follows, in order and
// once each.
func TestWebhookContinuesAfterRestart(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		first := startServerWith(t, dbURL, func(*config.Config) {}, fastWebhooks(time.Hour))
		f := first.lotFixture(t, "210101")
		proc, procKey := first.createProcessor(t, "040101")
		recv := newReceiver(t, answer500)
		hook := createWebhook(t, first, f.secret, f.assoc.GetName(), recv.URL)
		restDo(t, first, f.secret, "POST", "/v1/"+f.assoc.GetName()+"/lots", f.lotOf("BABY", 20_000, 2000), &millwav1.Lot{})
		o := newOrder()
		o.QuantityGrams = 20_000
		restDo(t, first, procKey, "POST", "/v1/"+proc.GetName()+"/purchaseOrders", o, &millwav1.PurchaseOrder{})
		waitFor(t, "failed posts", func() bool { return recv.count(answer500) >= 2 })
		if err := first.stop(); err != nil {
			t.Fatalf("stopping the first server: %v", err)
		}

		recv.set(answerOK)
		second := startServerWith(t, dbURL, func(*config.Config) {}, fastWebhooks(time.Hour))
		waitFor(t, "the event left undelivered", func() bool { return len(recv.delivered()) >= 1 })
		trades, err := millwav1.NewMarketServiceClient(second.dial(t, f.secret)).ListTrades(t.Context(), &millwav1.ListTradesRequest{})
		if err != nil || len(trades.GetTrades()) != 1 {
			t.Fatalf("ListTrades: %v %v", trades, err)
		}
		restDo(t, second, f.secret, "POST", "/v1/"+trades.GetTrades()[0].GetName()+":confirm", &millwav1.ConfirmTradeRequest{}, &millwav1.ConfirmTradeResponse{})
		waitFor(t, "the next event", func() bool { return len(recv.delivered()) >= 2 })
		var types []string
		for _, p := range recv.delivered() {
			if err := webhook.Verify(hook.GetSecret(), p.header, p.body, time.Now()); err != nil {
				t.Errorf("delivery %s: %v", p.header.Get("webhook-id"), err)
			}
			var b body
			if err := json.Unmarshal(p.body, &b); err != nil {
				t.Fatal(err)
			}
			types = append(types, b.Type)
		}
		if want := []string{"MARKET_EVENT_TYPE_TRADE_MATCHED", "MARKET_EVENT_TYPE_TRADE_CONFIRMED"}; !slices.Equal(types, want) {
			t.Errorf("delivered %v, want %v", types, want)
		}
	})
}
