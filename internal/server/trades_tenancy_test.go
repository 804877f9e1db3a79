package server_test

import (
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestTradesTenancy checks that two associations and two processors see
// and change only their own trades: another party's trade answers
// NotFound exactly as a missing one, nothing is written, lists hold only
// one's own, and an agency has no access to trades at all.
func TestTradesTenancy(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		fa, fb := ts.lotFixture(t, "210101"), ts.lotFixture(t, "080101")
		pa, paKey := ts.createProcessor(t, "040101")
		pb, pbKey := ts.createProcessor(t, "040101")
		// A's lot goes to processor A's order, B's lot to processor B's.
		trade := func(f lotFixture, p *millwav1.Processor, key, colour string) *millwav1.Trade {
			lot := f.lotOf("BABY", 20_000, 2000)
			lot.Colour = colour
			if _, err := millwav1.NewRegistryServiceClient(ts.dial(t, f.secret)).CreateLot(t.Context(),
				&millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: lot}); err != nil {
				t.Fatal(err)
			}
			o := newOrder()
			o.AcceptedColours = []string{colour}
			mkt := millwav1.NewMarketServiceClient(ts.dial(t, key))
			placed, err := mkt.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: p.GetName(), PurchaseOrder: o})
			if err != nil {
				t.Fatal(err)
			}
			list, err := mkt.ListTrades(t.Context(), &millwav1.ListTradesRequest{Filter: `purchase_order = "` + placed.GetPurchaseOrder().GetName() + `"`})
			if err != nil || len(list.GetTrades()) != 1 {
				t.Fatalf("trades of the new order: %v %v", list, err)
			}
			return list.GetTrades()[0]
		}
		ta := trade(fa, pa, paKey, "WHITE")
		tb := trade(fb, pb, pbKey, "LIGHT_FAWN")
		missingID := newID()
		missing := "trades/" + missingID

		before := countState(t, ts)
		trades := countRows(t, ts, "SELECT COUNT(*) FROM trades WHERE revision = 1")
		for _, who := range []struct {
			name string
			key  string
			own  *millwav1.Trade
		}{{"association A", fa.secret, ta}, {"association B", fb.secret, tb}, {"processor A", paKey, ta}, {"processor B", pbKey, tb}} {
			other := ta
			if who.own == ta {
				other = tb
			}
			c := millwav1.NewMarketServiceClient(ts.dial(t, who.key))
			_, hidden := c.GetTrade(t.Context(), &millwav1.GetTradeRequest{Name: other.GetName()})
			_, absent := c.GetTrade(t.Context(), &millwav1.GetTradeRequest{Name: missing})
			sameNotFound(t, who.name+" GetTrade", hidden, idOf(other.GetName()), absent, missingID)
			_, hidden = c.ConfirmTrade(t.Context(), &millwav1.ConfirmTradeRequest{Name: other.GetName()})
			_, absent = c.ConfirmTrade(t.Context(), &millwav1.ConfirmTradeRequest{Name: missing})
			sameNotFound(t, who.name+" ConfirmTrade", hidden, idOf(other.GetName()), absent, missingID)
			if who.key == paKey || who.key == pbKey {
				_, hidden = c.RecordDelivery(t.Context(), &millwav1.RecordDeliveryRequest{Name: other.GetName(), DeliveredGrams: 1, WeighTime: timestamppb.New(time.Now())})
				_, absent = c.RecordDelivery(t.Context(), &millwav1.RecordDeliveryRequest{Name: missing, DeliveredGrams: 1, WeighTime: timestamppb.New(time.Now())})
				sameNotFound(t, who.name+" RecordDelivery", hidden, idOf(other.GetName()), absent, missingID)
				_, hidden = c.RecordPayment(t.Context(), &millwav1.RecordPaymentRequest{Name: other.GetName(), PaidAmount: 1, PaymentReference: "x"})
				_, absent = c.RecordPayment(t.Context(), &millwav1.RecordPaymentRequest{Name: missing, PaidAmount: 1, PaymentReference: "x"})
				sameNotFound(t, who.name+" RecordPayment", hidden, idOf(other.GetName()), absent, missingID)
			}
			list, err := c.ListTrades(t.Context(), &millwav1.ListTradesRequest{})
			if err != nil || len(list.GetTrades()) != 1 || list.GetTrades()[0].GetName() != who.own.GetName() {
				t.Fatalf("%s lists %v %v, want only its own trade", who.name, list, err)
			}
			list, err = c.ListTrades(t.Context(), &millwav1.ListTradesRequest{Filter: `lot = "` + other.GetLot() + `"`})
			if err != nil || len(list.GetTrades()) != 0 {
				t.Fatalf("%s filters on the other's lot: %v %v, want nothing", who.name, list, err)
			}
			for _, call := range []struct{ method, path, body string }{
				{http.MethodGet, "/v1/" + other.GetName(), ""},
				{http.MethodPost, "/v1/" + other.GetName() + ":confirm", "{}"},
			} {
				restError(t, who.name+": "+call.method+" "+call.path, ts.restAs(t, who.key, call.method, call.path, call.body), http.StatusNotFound, codes.NotFound)
			}
		}
		checkNothingWritten(t, ts, before)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM trades WHERE revision = 1"); n != trades {
			t.Fatalf("%d untouched trades after the refused calls, want %d", n, trades)
		}
		got, err := millwav1.NewMarketServiceClient(ts.dial(t, paKey)).GetTrade(t.Context(), &millwav1.GetTradeRequest{Name: ta.GetName()})
		if err != nil || !proto.Equal(got.GetTrade(), ta) {
			t.Fatalf("A's trade changed: %v %v", got, err)
		}

		// An agency has no business with trades.
		agency := ts.insertAgency(t, "21")
		_, agencyKey := ts.createKey(t, millwav1.Role_ROLE_AGENCY, agency, false)
		_, err = millwav1.NewMarketServiceClient(ts.dial(t, agencyKey)).GetTrade(t.Context(), &millwav1.GetTradeRequest{Name: ta.GetName()})
		wantCode(t, "agency gets a trade", err, codes.PermissionDenied)
	})
}
