package faults_test

import (
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestDatabaseRulesHoldThroughDeclines runs the database rules over a
// market where trades were declined and rematched, a lot's rest was
// withdrawn and a trade on it was paid: the sums and states that declines
// and withdrawals change still add up, and a declined pair is never
// matched again.
func TestDatabaseRulesHoldThroughDeclines(t *testing.T) {
	t.Parallel()
	type database struct {
		name string
		url  func(testing.TB) string
	}
	databases := []database{{"sqlite", storetest.SQLiteURL}, {"postgres", storetest.PostgresURL}}
	concurrently(t, databases, func(db database) string { return db.name }, func(t *testing.T, db database) {
		dbURL := db.url(t)
		srv := startServer(t, serverEnv(dbURL))
		admin := srv.dial(t, adminSecret)
		awaitHealth(t, srv.dial(t, ""), healthpb.HealthCheckResponse_SERVING, 30*time.Second, srv.logs)
		m := setUpMarket(t, admin, 1, 3)
		c := connect(t, srv, m)
		ctx := t.Context()

		// Two orders of 20 kg take 40 kg of a 46 kg lot, a third of 14 kg
		// the 6 kg left; the first trade is declined, so 8 of its 20 kg go
		// to the third order, and the rest of the lot is withdrawn.
		for k, bid := range []int64{2600, 2500} {
			if _, err := c.buyer(k).CreatePurchaseOrder(ctx, m.buyers[k].orderRequest(20_000, bid, "")); err != nil {
				t.Fatalf("CreatePurchaseOrder: %v", err)
			}
		}
		lot, err := c.seller(0).CreateLot(ctx, m.sellers[0].lotRequest("BABY", 46_000, 2000, ""))
		if err != nil {
			t.Fatalf("CreateLot: %v", err)
		}
		trades := func() []*millwav1.Trade {
			list, err := millwav1.NewMarketServiceClient(admin).ListTrades(ctx, &millwav1.ListTradesRequest{
				Filter: `lot = "` + lot.GetLot().GetName() + `" AND state = MATCHED`, OrderBy: "create_time"})
			if err != nil {
				t.Fatalf("ListTrades: %v", err)
			}
			return list.GetTrades()
		}
		first := trades()
		if len(first) != 2 {
			t.Fatalf("trades of the lot: %v, want 2", first)
		}
		if _, err := c.buyer(2).CreatePurchaseOrder(ctx, m.buyers[2].orderRequest(14_000, 2400, "")); err != nil {
			t.Fatalf("CreatePurchaseOrder: %v", err)
		}
		if _, err := c.sellerMarket(0).DeclineTrade(ctx, &millwav1.DeclineTradeRequest{Name: first[0].GetName(), Reason: "sold elsewhere"}); err != nil {
			t.Fatalf("DeclineTrade: %v", err)
		}

		// One trade is paid and the others declined: the lot ends SOLD,
		// with all but the paid grams withdrawn.
		got, err := c.seller(0).GetLot(ctx, &millwav1.GetLotRequest{Name: lot.GetLot().GetName()})
		if err != nil {
			t.Fatalf("GetLot: %v", err)
		}
		if _, err := c.seller(0).WithdrawLot(ctx, &millwav1.WithdrawLotRequest{Name: got.GetLot().GetName(), Etag: got.GetLot().GetEtag()}); err != nil {
			t.Fatalf("WithdrawLot: %v", err)
		}
		live := trades()
		if len(live) != 3 {
			t.Fatalf("trades of the lot after the decline: %v, want 20 kg, 6 kg and 8 kg", live)
		}
		buyerOf := map[string]int{m.buyers[0].name: 0, m.buyers[1].name: 1, m.buyers[2].name: 2}
		keep := live[0]
		k := buyerOf[keep.GetProcessor()]
		if _, err := c.sellerMarket(0).ConfirmTrade(ctx, &millwav1.ConfirmTradeRequest{Name: keep.GetName()}); err != nil {
			t.Fatalf("ConfirmTrade: %v", err)
		}
		if _, err := c.buyer(k).ConfirmTrade(ctx, &millwav1.ConfirmTradeRequest{Name: keep.GetName()}); err != nil {
			t.Fatalf("ConfirmTrade: %v", err)
		}
		d, err := c.buyer(k).RecordDelivery(ctx, &millwav1.RecordDeliveryRequest{Name: keep.GetName(), DeliveredGrams: keep.GetGrams(),
			WeighTime: timestamppb.New(time.Now().Add(-time.Hour))})
		if err != nil {
			t.Fatalf("RecordDelivery: %v", err)
		}
		if _, err := c.buyer(k).RecordPayment(ctx, &millwav1.RecordPaymentRequest{Name: keep.GetName(),
			PaidAmount: d.GetTrade().GetAmountDue(), PaymentReference: "BCP-1"}); err != nil {
			t.Fatalf("RecordPayment: %v", err)
		}
		for _, drop := range live[1:] {
			if _, err := c.sellerMarket(0).DeclineTrade(ctx, &millwav1.DeclineTradeRequest{Name: drop.GetName(), Reason: "kept for the fair"}); err != nil {
				t.Fatalf("DeclineTrade: %v", err)
			}
		}
		got, err = c.seller(0).GetLot(ctx, &millwav1.GetLotRequest{Name: lot.GetLot().GetName()})
		if l := got.GetLot(); err != nil || l.GetState() != millwav1.LotState_LOT_STATE_SOLD || l.GetWithdrawnGrams() != 46_000-keep.GetGrams() {
			t.Fatalf("lot at the end: %v, %v; want SOLD with all but the %d g paid withdrawn", l, err, keep.GetGrams())
		}
		checkDatabase(t, dbURL)
	})
}
