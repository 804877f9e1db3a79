package server_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/store/storetest"
	"github.com/millwa/millwa/internal/webhook"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestWebhookAgencies checks that an agency manages webhooks of its own,
// over gRPC and REST, and nothing of another agency's or a trading
// organisation's.
func TestWebhookAgencies(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		f := ts.lotFixture(t, "210101")
		agency, agencyKey := ts.createAgency(t, "21")
		other, otherKey := ts.createAgency(t, "04")
		ac := millwav1.NewMarketServiceClient(ts.dial(t, agencyKey))

		var created millwav1.CreateWebhookResponse
		restDo(t, ts, agencyKey, "POST", "/v1/"+agency.GetName()+"/webhooks", &millwav1.Webhook{DisplayName: "Sistema regional", Url: "https://dra.example.pe/millwa"}, &created)
		name := created.GetWebhook().GetName()
		if !strings.HasPrefix(name, agency.GetName()+"/webhooks/") || !strings.HasPrefix(created.GetSecret(), "whsec_") {
			t.Fatalf("POST over REST: %v", &created)
		}
		var list millwav1.ListWebhooksResponse
		restDo(t, ts, agencyKey, "GET", "/v1/"+agency.GetName()+"/webhooks", nil, &list)
		if len(list.GetWebhooks()) != 1 || list.GetWebhooks()[0].GetName() != name {
			t.Fatalf("GET the list over REST: %v", &list)
		}
		if got, err := ac.GetWebhook(t.Context(), &millwav1.GetWebhookRequest{Name: name}); err != nil || got.GetWebhook().GetName() != name {
			t.Fatalf("GetWebhook: %v %v", got, err)
		}

		oc := millwav1.NewMarketServiceClient(ts.dial(t, otherKey))
		if _, err := oc.GetWebhook(t.Context(), &millwav1.GetWebhookRequest{Name: name}); status.Code(err) != codes.NotFound {
			t.Errorf("another agency's GetWebhook: %v, want NotFound", err)
		}
		if _, err := oc.DeleteWebhook(t.Context(), &millwav1.DeleteWebhookRequest{Name: name}); status.Code(err) != codes.NotFound {
			t.Errorf("another agency's DeleteWebhook: %v, want NotFound", err)
		}
		for _, parent := range []string{agency.GetName(), f.assoc.GetName()} {
			_, err := oc.CreateWebhook(t.Context(), &millwav1.CreateWebhookRequest{Parent: parent,
				Webhook: &millwav1.Webhook{DisplayName: "x", Url: "https://x.example.pe/"}})
			if status.Code(err) != codes.NotFound {
				t.Errorf("%s creating a webhook of %s: %v, want NotFound", other.GetName(), parent, err)
			}
		}
		mine, err := oc.ListWebhooks(t.Context(), &millwav1.ListWebhooksRequest{Parent: other.GetName()})
		if err != nil || len(mine.GetWebhooks()) != 0 {
			t.Errorf("the other agency's own list: %v %v, want none", mine, err)
		}
		if _, err := ac.DeleteWebhook(t.Context(), &millwav1.DeleteWebhookRequest{Name: name}); err != nil {
			t.Fatalf("DeleteWebhook: %v", err)
		}
	})
}

// TestWebhookAddressGuard checks that without MILLWA_WEBHOOK_ALLOW_PRIVATE
// a URL whose host is, or resolves to, a private, loopback, link-local or
// unspecified address is refused, and http even to loopback, writing
// nothing.
func TestWebhookAddressGuard(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServerWith(t, dbURL, func(c *config.Config) { c.WebhookAllowPrivate = false })
		f := ts.lotFixture(t, "210101")
		mc := millwav1.NewMarketServiceClient(ts.dial(t, f.secret))
		for _, url := range []string{
			"http://127.0.0.1:8080/hook",
			"https://127.0.0.1/hook",
			"https://localhost/hook",
			"https://[::1]/hook",
			"https://10.20.30.40/hook",
			"https://192.168.1.10/hook",
			"https://169.254.169.254/latest/meta-data",
			"https://0.0.0.0/hook",
			"https://[::ffff:10.0.0.1]/hook",
		} {
			_, err := mc.CreateWebhook(t.Context(), &millwav1.CreateWebhookRequest{Parent: f.assoc.GetName(),
				Webhook: &millwav1.Webhook{DisplayName: "ERP", Url: url}})
			if got := fieldViolations(t, err); !slices.Equal(got, []string{"webhook.url"}) {
				t.Errorf("%s: violations %v, want webhook.url", url, got)
			}
		}
		list, err := mc.ListWebhooks(t.Context(), &millwav1.ListWebhooksRequest{Parent: f.assoc.GetName()})
		if err != nil || len(list.GetWebhooks()) != 0 {
			t.Fatalf("after refusals: %v %v, want none", list, err)
		}
	})
}

// TestWebhookAuditEvents checks that an agency's webhook taking audit
// events receives those of its region (and of itself), in sequence order,
// signed, and none of another region's; that its deliveries list them;
// and that a processor's or an association's webhook may not take them,
// since neither reads the audit log.
func TestWebhookAuditEvents(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServerWith(t, dbURL, func(*config.Config) {}, fastWebhooks(time.Hour))
		agency, agencyKey := ts.createAgency(t, "21")
		recv := newReceiver(t, answerOK)
		hook, err := millwav1.NewMarketServiceClient(ts.dial(t, agencyKey)).CreateWebhook(t.Context(), &millwav1.CreateWebhookRequest{
			Parent: agency.GetName(), Webhook: &millwav1.Webhook{DisplayName: "Sistema regional", Url: recv.URL, AuditEvents: true}})
		if err != nil || !hook.GetWebhook().GetAuditEvents() {
			t.Fatalf("CreateWebhook with audit events: %v %v", hook, err)
		}

		puno := ts.lotFixture(t, "210101")
		cusco := ts.lotFixture(t, "080101")
		var pLot, cLot millwav1.Lot
		restDo(t, ts, cusco.secret, "POST", "/v1/"+cusco.assoc.GetName()+"/lots", cusco.lotOf("BABY", 20_000, 2000), &cLot)
		restDo(t, ts, puno.secret, "POST", "/v1/"+puno.assoc.GetName()+"/lots", puno.lotOf("BABY", 20_000, 2000), &pLot)

		var events []*millwav1.AuditEvent
		waitFor(t, "the audit event of the lot of the agency's region", func() bool {
			events = events[:0]
			for _, p := range recv.delivered() {
				var b body
				if err := json.Unmarshal(p.body, &b); err != nil {
					t.Fatal(err)
				}
				var e millwav1.AuditEvent
				if err := protojson.Unmarshal(b.Event, &e); err != nil {
					t.Fatalf("event %s: %v", b.ID, err)
				}
				if b.Type != "AUDIT_EVENT" || b.ID != "audit-"+strconv.FormatInt(e.GetSequence(), 10) || p.header.Get("webhook-id") != b.ID {
					t.Fatalf("body %s (header %s), want an AUDIT_EVENT with id audit-%d", p.body, p.header.Get("webhook-id"), e.GetSequence())
				}
				if err := webhook.Verify(hook.GetSecret(), p.header, p.body, time.Now()); err != nil {
					t.Errorf("delivery %s: %v", b.ID, err)
				}
				events = append(events, &e)
			}
			return slices.ContainsFunc(events, func(e *millwav1.AuditEvent) bool { return e.GetResource() == pLot.GetName() })
		})
		for i, e := range events {
			if i > 0 && e.GetSequence() <= events[i-1].GetSequence() {
				t.Errorf("audit event %d delivered after %d", e.GetSequence(), events[i-1].GetSequence())
			}
			mine := strings.HasPrefix(e.GetRegion(), "21") || e.GetActorOrganisation() == agency.GetName() ||
				strings.HasPrefix(e.GetResource(), agency.GetName())
			if !mine || strings.HasPrefix(e.GetResource(), cusco.assoc.GetName()) {
				t.Errorf("delivered %v, not of the agency's region", e)
			}
		}

		deliveries, err := millwav1.NewMarketServiceClient(ts.dial(t, agencyKey)).ListWebhookDeliveries(t.Context(),
			&millwav1.ListWebhookDeliveriesRequest{Parent: hook.GetWebhook().GetName()})
		if err != nil || len(deliveries.GetDeliveries()) == 0 || !strings.HasPrefix(deliveries.GetDeliveries()[0].GetEventId(), "audit-") {
			t.Errorf("ListWebhookDeliveries: %v %v, want audit deliveries", deliveries, err)
		}

		proc, procKey := ts.createProcessor(t, "040101")
		for parent, key := range map[string]string{proc.GetName(): procKey, puno.assoc.GetName(): puno.secret} {
			_, err := millwav1.NewMarketServiceClient(ts.dial(t, key)).CreateWebhook(t.Context(), &millwav1.CreateWebhookRequest{
				Parent: parent, Webhook: &millwav1.Webhook{DisplayName: "ERP", Url: recv.URL, AuditEvents: true}})
			if status.Code(err) != codes.PermissionDenied {
				t.Errorf("%s taking audit events: %v, want PermissionDenied", parent, err)
			}
		}
	})
}

// TestWebhookAuditRetriedApart checks that an agency's endpoint whose
// receiver refuses every audit event is disabled after the retry window
// even while market events keep coming: their progress (the agency sees
// none of them, its market cursor only moves past them) must not reset
// the audit event's failures, which are retried on their own backoff.
func TestWebhookAuditRetriedApart(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServerWith(t, dbURL, func(*config.Config) {}, fastWebhooks(400*time.Millisecond))
		agency, agencyKey := ts.createAgency(t, "21")
		recv := newReceiver(t, answer500)
		mc := millwav1.NewMarketServiceClient(ts.dial(t, agencyKey))
		hook, err := mc.CreateWebhook(t.Context(), &millwav1.CreateWebhookRequest{
			Parent: agency.GetName(), Webhook: &millwav1.Webhook{DisplayName: "Sistema regional", Url: recv.URL, AuditEvents: true}})
		if err != nil {
			t.Fatal(err)
		}
		f := ts.lotFixture(t, "210101")
		proc, procKey := ts.createProcessor(t, "040101")
		deadline := time.Now().Add(15 * time.Second)
		var w *millwav1.Webhook
		for trades := 0; ; trades++ {
			r, err := mc.GetWebhook(t.Context(), &millwav1.GetWebhookRequest{Name: hook.GetWebhook().GetName()})
			if err != nil {
				t.Fatal(err)
			}
			if w = r.GetWebhook(); w.GetState() == millwav1.WebhookState_WEBHOOK_STATE_DISABLED {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the endpoint refusing every audit event is still enabled after %d trades and %d refused posts; want it disabled after the retry window",
					trades, recv.count(answer500))
			}
			// A lot of the agency's region (an audit event for it) and an
			// order that buys it (market events it does not see).
			restDo(t, ts, f.secret, "POST", "/v1/"+f.assoc.GetName()+"/lots", f.lotOf("BABY", 20_000, 2000), &millwav1.Lot{})
			o := newOrder()
			o.QuantityGrams = 20_000
			restDo(t, ts, procKey, "POST", "/v1/"+proc.GetName()+"/purchaseOrders", o, &millwav1.PurchaseOrder{})
			time.Sleep(50 * time.Millisecond)
		}
		if !strings.Contains(w.GetDisabledReason(), "audit-") || !strings.Contains(w.GetDisabledReason(), "HTTP 500") {
			t.Errorf("disabled reason %q; want the audit event that failed and its last error", w.GetDisabledReason())
		}
		ds, err := mc.ListWebhookDeliveries(t.Context(), &millwav1.ListWebhookDeliveriesRequest{Parent: w.GetName()})
		if err != nil || len(ds.GetDeliveries()) == 0 {
			t.Fatalf("deliveries %v %v", ds, err)
		}
		if d := ds.GetDeliveries()[0]; d.GetState() != millwav1.WebhookDeliveryState_WEBHOOK_DELIVERY_STATE_FAILED ||
			!strings.HasPrefix(d.GetEventId(), "audit-") || d.GetAttemptCount() < 2 {
			t.Errorf("last delivery %v; want the audit event FAILED after its attempts", d)
		}
	})
}
