package server_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/store/storetest"
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
