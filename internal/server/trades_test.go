package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// callAuction turns continuous matching off: orders and lots rest until a
// clearing.
func callAuction(c *config.Config) { c.ContinuousMatching = false }

// restDo calls the gateway with secret and decodes a 200 answer into out.
func restDo(t *testing.T, ts *testServer, secret, method, path string, body proto.Message, out proto.Message) {
	t.Helper()
	b := ""
	if body != nil {
		b = jsonBody(t, body)
	}
	res := ts.restAs(t, secret, method, path, b)
	restOK(t, method+" "+path, res, out)
}

// lotOf is a valid lot of grams from the fixture's two members (2/3 and
// 1/3), of the group and colour, at the ask.
func (f lotFixture) lotOf(group string, grams, ask int64) *millwav1.Lot {
	l := f.lot(group)
	l.NetWeightGrams, l.AskPricePerKg = grams, ask
	l.Contributions[0].Grams = grams * 2 / 3
	l.Contributions[1].Grams = grams - grams*2/3
	return l
}

// TestMarketFullFlowOverREST follows a sale over the REST gateway only:
// two associations' lots are pooled into one processor's order by a
// clearing, both sides confirm, the fibre is delivered 2% short, the
// processor pays, and the members' payouts sum to what was paid.
func TestMarketFullFlowOverREST(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServerWith(t, dbURL, callAuction)
		puno, cusco := ts.lotFixture(t, "210101"), ts.lotFixture(t, "080101")
		proc, procKey := ts.createProcessor(t, "040101")

		var lotA, lotB millwav1.Lot
		restDo(t, ts, puno.secret, "POST", "/v1/"+puno.assoc.GetName()+"/lots", puno.lotOf("BABY", 46_000, 2200), &lotA)
		restDo(t, ts, cusco.secret, "POST", "/v1/"+cusco.assoc.GetName()+"/lots", cusco.lotOf("BABY", 30_000, 2000), &lotB)
		order := newOrder()
		order.QuantityGrams = 70_000
		var placed millwav1.PurchaseOrder
		restDo(t, ts, procKey, "POST", "/v1/"+proc.GetName()+"/purchaseOrders", order, &placed)
		if placed.GetState() != millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_OPEN {
			t.Fatalf("order placed in a call auction is %v, want OPEN until the clearing", placed.GetState())
		}

		// A dry run writes nothing; the clearing pools both lots: all of
		// the cheaper Cusco lot and 40 kg of the Puno one.
		var dry millwav1.RunClearingResponse
		restDo(t, ts, adminSecret, "POST", "/v1/market:clear", &millwav1.RunClearingRequest{DryRun: true}, &dry)
		if dry.GetSummary().GetTradesCreated() != 2 || dry.GetSummary().GetClearingId() != "" || countRows(t, ts, "SELECT COUNT(*) FROM trades") != 0 {
			t.Fatalf("dry run: %v, with %d trades written", dry.GetSummary(), countRows(t, ts, "SELECT COUNT(*) FROM trades"))
		}
		var run millwav1.RunClearingResponse
		restDo(t, ts, adminSecret, "POST", "/v1/market:clear", &millwav1.RunClearingRequest{RequestId: "clear-1"}, &run)
		sum := run.GetSummary()
		// Surplus: 30 kg × (2500 − 2000) + 40 kg × (2500 − 2200) = 27,000.
		if sum.GetTradesCreated() != 2 || sum.GetAllocatedGrams() != 70_000 || sum.GetTotalSurplus() != 27_000 || sum.GetClearingId() == "" {
			t.Fatalf("clearing summary %v, want 2 trades, 70,000 g, surplus 27,000", sum)
		}
		var got millwav1.PurchaseOrder
		restDo(t, ts, procKey, "GET", "/v1/"+placed.GetName(), nil, &got)
		if got.GetState() != millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_FILLED || got.GetFilledGrams() != 70_000 {
			t.Fatalf("order after clearing: %v %d g, want FILLED 70,000 g", got.GetState(), got.GetFilledGrams())
		}
		var list millwav1.ListTradesResponse
		restDo(t, ts, procKey, "GET", "/v1/trades?filter="+url.QueryEscape(`purchase_order = "`+placed.GetName()+`"`)+"&orderBy=grams", nil, &list)
		if len(list.GetTrades()) != 2 {
			t.Fatalf("processor lists %d trades of its order, want 2", len(list.GetTrades()))
		}
		trades := map[string]*millwav1.Trade{}
		for _, tr := range list.GetTrades() {
			trades[tr.GetLot()] = tr
			if tr.GetClearingId() != sum.GetClearingId() || tr.GetState() != millwav1.TradeState_TRADE_STATE_MATCHED {
				t.Fatalf("trade %v: want MATCHED by clearing %s", tr, sum.GetClearingId())
			}
		}
		trA, trB := trades[lotA.GetName()], trades[lotB.GetName()]
		if trA.GetGrams() != 40_000 || trB.GetGrams() != 30_000 || trA.GetPricePerKg() != 2350 || trB.GetPricePerKg() != 2250 {
			t.Fatalf("trades %v and %v: want 40 kg at 23.50 and 30 kg at 22.50 (midpoints)", trA, trB)
		}

		// Both sides confirm the Puno trade; a stale etag is refused.
		var confirmed millwav1.ConfirmTradeResponse
		restDo(t, ts, puno.secret, "POST", "/v1/"+trA.GetName()+":confirm", &millwav1.ConfirmTradeRequest{Etag: trA.GetEtag()}, &confirmed)
		if confirmed.GetTrade().GetState() != millwav1.TradeState_TRADE_STATE_MATCHED || confirmed.GetTrade().GetAssociationConfirmTime() == nil {
			t.Fatalf("after the association's confirmation: %v", confirmed.GetTrade())
		}
		res := ts.restAs(t, procKey, "POST", "/v1/"+trA.GetName()+":confirm", jsonBody(t, &millwav1.ConfirmTradeRequest{Etag: trA.GetEtag()}))
		restError(t, "confirm with a stale etag", res, http.StatusConflict, codes.Aborted)
		restDo(t, ts, procKey, "POST", "/v1/"+trA.GetName()+":confirm", &millwav1.ConfirmTradeRequest{}, &confirmed)
		if confirmed.GetTrade().GetState() != millwav1.TradeState_TRADE_STATE_CONFIRMED || confirmed.GetTrade().GetConfirmTime() == nil {
			t.Fatalf("after both confirmations: %v", confirmed.GetTrade())
		}

		// Delivered 2% short: 39,200 g of 40,000; the amount due follows.
		var delivered millwav1.RecordDeliveryResponse
		weighed := timestamppb.New(time.Now().Add(-time.Hour))
		res = ts.restAs(t, procKey, "POST", "/v1/"+trA.GetName()+":recordDelivery",
			jsonBody(t, &millwav1.RecordDeliveryRequest{DeliveredGrams: 40_001, WeighTime: weighed}))
		restError(t, "delivery above the trade's grams", res, http.StatusBadRequest, codes.InvalidArgument)
		restDo(t, ts, procKey, "POST", "/v1/"+trA.GetName()+":recordDelivery",
			&millwav1.RecordDeliveryRequest{DeliveredGrams: 39_200, WeighTime: weighed, RequestId: "deliver-1"}, &delivered)
		due := delivered.GetTrade().GetAmountDue()
		if delivered.GetTrade().GetState() != millwav1.TradeState_TRADE_STATE_DELIVERED || due != 92_120 {
			t.Fatalf("delivery: %v, amount due %d; want DELIVERED, 2350 × 39.2 = 92,120", delivered.GetTrade().GetState(), due)
		}

		// Paying more than due is refused; paying it computes the payouts.
		res = ts.restAs(t, procKey, "POST", "/v1/"+trA.GetName()+":recordPayment",
			jsonBody(t, &millwav1.RecordPaymentRequest{PaidAmount: due + 1, PaymentReference: "BCP-0001"}))
		if st := restError(t, "overpayment", res, http.StatusBadRequest, codes.InvalidArgument); !slices.Equal(badRequestFields(st), []string{"paid_amount"}) {
			t.Fatalf("overpayment names %v, want paid_amount", badRequestFields(st))
		}
		var paid millwav1.RecordPaymentResponse
		restDo(t, ts, procKey, "POST", "/v1/"+trA.GetName()+":recordPayment",
			&millwav1.RecordPaymentRequest{PaidAmount: due, PaymentReference: "BCP-0001"}, &paid)
		if paid.GetTrade().GetState() != millwav1.TradeState_TRADE_STATE_PAID || len(paid.GetTrade().GetPayouts()) != 0 {
			t.Fatalf("processor's answer to its payment: %v; want PAID without payouts", paid.GetTrade())
		}
		var seen millwav1.Trade
		restDo(t, ts, puno.secret, "GET", "/v1/"+trA.GetName(), nil, &seen)
		var grams, amount int64
		for _, p := range seen.GetPayouts() {
			grams += p.GetGrams()
			amount += p.GetAmount()
			if !slices.Contains(puno.members, p.GetMember()) || p.GetMemberDisplayName() == "" {
				t.Fatalf("payout %v is not to a named member of the association", p)
			}
		}
		if len(seen.GetPayouts()) != 2 || grams != 39_200 || amount != due {
			t.Fatalf("payouts %v sum to %d g and %d, want 2 payouts summing to 39,200 g and %d", seen.GetPayouts(), grams, amount, due)
		}
		// The members contributed 30,666 g and 15,334 g of the 46,000 g
		// lot: 92,120 × 30,666 / 46,000 = 61,411.998 and 30,708.002, so
		// the unit left over after rounding down goes to the first.
		if p := seen.GetPayouts(); max(p[0].GetAmount(), p[1].GetAmount()) != 61_412 || min(p[0].GetAmount(), p[1].GetAmount()) != 30_708 {
			t.Fatalf("payouts %v: want 61,412 and 30,708 by largest remainder", p)
		}
		restDo(t, ts, procKey, "GET", "/v1/"+trA.GetName(), nil, &seen)
		if len(seen.GetPayouts()) != 0 {
			t.Fatalf("the processor sees payouts: %v", seen.GetPayouts())
		}
		// The Puno lot still has 6 kg on offer, so it is not SOLD.
		var lot millwav1.Lot
		restDo(t, ts, puno.secret, "GET", "/v1/"+lotA.GetName(), nil, &lot)
		if lot.GetState() != millwav1.LotState_LOT_STATE_ALLOCATED || lot.GetAllocatedGrams() != 40_000 {
			t.Fatalf("Puno lot: %v with %d g allocated, want ALLOCATED 40,000", lot.GetState(), lot.GetAllocatedGrams())
		}

		// The Cusco trade runs to the end too; its lot is then SOLD.
		restDo(t, ts, cusco.secret, "POST", "/v1/"+trB.GetName()+":confirm", &millwav1.ConfirmTradeRequest{}, &confirmed)
		restDo(t, ts, procKey, "POST", "/v1/"+trB.GetName()+":confirm", &millwav1.ConfirmTradeRequest{}, &confirmed)
		restDo(t, ts, procKey, "POST", "/v1/"+trB.GetName()+":recordDelivery", &millwav1.RecordDeliveryRequest{DeliveredGrams: 30_000, WeighTime: weighed}, &delivered)
		restDo(t, ts, procKey, "POST", "/v1/"+trB.GetName()+":recordPayment",
			&millwav1.RecordPaymentRequest{PaidAmount: delivered.GetTrade().GetAmountDue(), PaymentReference: "BCP-0002"}, &paid)
		restDo(t, ts, cusco.secret, "GET", "/v1/"+lotB.GetName(), nil, &lot)
		if lot.GetState() != millwav1.LotState_LOT_STATE_SOLD {
			t.Fatalf("Cusco lot after its only trade was paid: %v, want SOLD", lot.GetState())
		}

		// Market statistics are public; two associations are too few to
		// publish the cell.
		var stats millwav1.GetMarketStatsResponse
		restDo(t, ts, "", "GET", "/v1/market/stats", nil, &stats)
		if len(stats.GetCells()) != 0 || stats.GetSuppressedCellCount() != 2 || stats.GetNote().GetEs() == "" {
			t.Fatalf("stats with two sellers: %v, want no cell and 2 suppressed (Puno, Cusco)", &stats)
		}
	})
}

// TestContinuousMatchingAndCancellation checks matching at once: a new
// order takes the cheapest lots, a new lot serves the resting order, and
// cancelling the order returns its unconfirmed grams to their lots while
// its confirmed trade stands.
func TestContinuousMatchingAndCancellation(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		f := ts.lotFixture(t, "210101")
		proc, procKey := ts.createProcessor(t, "040101")
		reg := millwav1.NewRegistryServiceClient(ts.dial(t, f.secret))
		mkt := millwav1.NewMarketServiceClient(ts.dial(t, procKey))
		var lots []*millwav1.Lot
		for _, ask := range []int64{2400, 2000, 2600} { // the last asks more than the bid
			l, err := reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: f.lotOf("BABY", 20_000, ask)})
			if err != nil {
				t.Fatal(err)
			}
			lots = append(lots, l.GetLot())
		}
		order := newOrder()
		order.QuantityGrams = 50_000
		placed, err := mkt.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: order})
		if err != nil {
			t.Fatal(err)
		}
		o := placed.GetPurchaseOrder()
		if o.GetState() != millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_PARTIALLY_FILLED || o.GetFilledGrams() != 40_000 {
			t.Fatalf("new order: %v %d g, want PARTIALLY_FILLED with the two lots at or under the bid (40,000 g)", o.GetState(), o.GetFilledGrams())
		}
		// A new lot serves the resting order at once.
		newLot, err := reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: f.lotOf("BABY", 20_000, 1900)})
		if err != nil {
			t.Fatal(err)
		}
		if newLot.GetLot().GetState() != millwav1.LotState_LOT_STATE_ALLOCATED || newLot.GetLot().GetAllocatedGrams() != 10_000 {
			t.Fatalf("new lot: %v with %d g, want ALLOCATED 10,000 g (what the order still wanted)", newLot.GetLot().GetState(), newLot.GetLot().GetAllocatedGrams())
		}
		list, err := mkt.ListTrades(t.Context(), &millwav1.ListTradesRequest{Filter: `purchase_order = "` + o.GetName() + `"`})
		if err != nil || len(list.GetTrades()) != 3 {
			t.Fatalf("ListTrades: %v, %d trades, want 3", err, len(list.GetTrades()))
		}
		// Confirm the trade on the cheapest first lot by both sides.
		var standing *millwav1.Trade
		for _, tr := range list.GetTrades() {
			if tr.GetLot() == lots[1].GetName() {
				standing = tr
			}
		}
		assocMkt := millwav1.NewMarketServiceClient(ts.dial(t, f.secret))
		for _, c := range []millwav1.MarketServiceClient{assocMkt, mkt} {
			if _, err := c.ConfirmTrade(t.Context(), &millwav1.ConfirmTradeRequest{Name: standing.GetName()}); err != nil {
				t.Fatalf("ConfirmTrade: %v", err)
			}
		}
		// An admin is not a party.
		_, err = millwav1.NewMarketServiceClient(ts.conn).ConfirmTrade(t.Context(), &millwav1.ConfirmTradeRequest{Name: standing.GetName()})
		wantCode(t, "admin confirms", err, codes.PermissionDenied)

		cancelled, err := mkt.CancelPurchaseOrder(t.Context(), &millwav1.CancelPurchaseOrderRequest{Name: o.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		if got := cancelled.GetPurchaseOrder(); got.GetState() != millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_CANCELLED || got.GetFilledGrams() != 20_000 {
			t.Fatalf("cancelled order: %v %d g, want CANCELLED holding the confirmed 20,000 g", got.GetState(), got.GetFilledGrams())
		}
		for i, want := range []struct {
			state     millwav1.LotState
			allocated int64
		}{{millwav1.LotState_LOT_STATE_AVAILABLE, 0}, {millwav1.LotState_LOT_STATE_ALLOCATED, 20_000}, {millwav1.LotState_LOT_STATE_AVAILABLE, 0}} {
			got, err := reg.GetLot(t.Context(), &millwav1.GetLotRequest{Name: lots[i].GetName()})
			if err != nil || got.GetLot().GetState() != want.state || got.GetLot().GetAllocatedGrams() != want.allocated {
				t.Fatalf("lot %d after cancel: %v, %v %d g; want %v %d g", i, err, got.GetLot().GetState(), got.GetLot().GetAllocatedGrams(), want.state, want.allocated)
			}
		}
		states := map[millwav1.TradeState]int{}
		list, _ = mkt.ListTrades(t.Context(), &millwav1.ListTradesRequest{Filter: `purchase_order = "` + o.GetName() + `"`})
		for _, tr := range list.GetTrades() {
			states[tr.GetState()]++
		}
		if states[millwav1.TradeState_TRADE_STATE_CANCELLED] != 2 || states[millwav1.TradeState_TRADE_STATE_CONFIRMED] != 1 {
			t.Fatalf("trades after cancel: %v, want 2 CANCELLED and 1 CONFIRMED", states)
		}
		checkMarketInvariants(t, ts)
	})
}

// TestOrdersExpireAndReleaseTheirGrams checks the sweep: an order past its
// expire time becomes EXPIRED in the database, and its MATCHED trades are
// cancelled, their grams back on offer.
func TestOrdersExpireAndReleaseTheirGrams(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServerWith(t, dbURL, func(c *config.Config) { c.MarketSweep = 50 * time.Millisecond })
		f := ts.lotFixture(t, "210101")
		proc, procKey := ts.createProcessor(t, "040101")
		reg := millwav1.NewRegistryServiceClient(ts.dial(t, f.secret))
		l, err := reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: f.lotOf("BABY", 20_000, 2000)})
		if err != nil {
			t.Fatal(err)
		}
		order := newOrder()
		order.ExpireTime = timestamppb.New(time.Now().Add(time.Second))
		placed, err := millwav1.NewMarketServiceClient(ts.dial(t, procKey)).CreatePurchaseOrder(t.Context(),
			&millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: order})
		if err != nil || placed.GetPurchaseOrder().GetFilledGrams() != 20_000 {
			t.Fatalf("CreatePurchaseOrder: %v, %v", err, placed)
		}
		deadline := time.Now().Add(10 * time.Second)
		for countRows(t, ts, "SELECT COUNT(*) FROM purchase_orders WHERE state = 'EXPIRED'") != 1 {
			if time.Now().After(deadline) {
				t.Fatal("the order was not expired by the sweep")
			}
			time.Sleep(50 * time.Millisecond)
		}
		got, err := reg.GetLot(t.Context(), &millwav1.GetLotRequest{Name: l.GetLot().GetName()})
		if err != nil || got.GetLot().GetState() != millwav1.LotState_LOT_STATE_AVAILABLE || got.GetLot().GetAllocatedGrams() != 0 {
			t.Fatalf("lot after expiry: %v %v", err, got.GetLot())
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM trades WHERE state = 'CANCELLED' AND cancel_time IS NOT NULL"); n != 1 {
			t.Fatalf("%d cancelled trades, want 1", n)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM audit_events WHERE action = 'expire' AND actor = 'system'"); n != 1 {
			t.Fatalf("%d audit events of the expiry, want 1", n)
		}
		checkMarketInvariants(t, ts)
	})
}

// checkMarketInvariants checks, in SQL, that no gram is sold twice: every
// lot's allocated grams are the grams of its trades that hold them and at
// most its weight, every order's filled grams likewise, and every
// allocation belongs to exactly one trade of the same grams.
func checkMarketInvariants(t *testing.T, ts *testServer) {
	t.Helper()
	for what, query := range map[string]string{
		"lots allocated beyond their weight": `SELECT COUNT(*) FROM lots WHERE allocated_grams > net_weight_grams`,
		"lots whose allocated grams are not their trades'": `SELECT COUNT(*) FROM lots l WHERE allocated_grams <>
			(SELECT COALESCE(SUM(grams), 0) FROM trades WHERE lot_id = l.id AND state <> 'CANCELLED')`,
		"orders whose filled grams are not their trades'": `SELECT COUNT(*) FROM purchase_orders o WHERE filled_grams <>
			(SELECT COALESCE(SUM(grams), 0) FROM trades WHERE purchase_order_id = o.id AND state <> 'CANCELLED')`,
		"orders filled beyond their quantity": `SELECT COUNT(*) FROM purchase_orders WHERE filled_grams > quantity_grams`,
		"allocations without exactly one trade": `SELECT COUNT(*) FROM allocations a WHERE
			(SELECT COUNT(*) FROM trades WHERE allocation_id = a.id AND grams = a.grams) <> 1`,
		"trades without their allocation": `SELECT COUNT(*) FROM trades t WHERE NOT EXISTS (SELECT 1 FROM allocations WHERE id = t.allocation_id)`,
		"available lots holding grams":    `SELECT COUNT(*) FROM lots WHERE state = 'AVAILABLE' AND allocated_grams <> 0`,
		"allocated lots holding nothing":  `SELECT COUNT(*) FROM lots WHERE state = 'ALLOCATED' AND allocated_grams = 0`,
	} {
		if n := countRows(t, ts, query); n != 0 {
			t.Errorf("%d %s", n, what)
		}
	}
}

// marketEventIDs lists the ids of events as strings, for messages.
func marketEventIDs(events []*millwav1.MarketEvent) []string {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = fmt.Sprintf("%s:%s", e.GetId(), e.GetType())
	}
	return ids
}

var _ = protojson.Marshal

// TestMarketStatsOverAPI checks GetMarketStats without a key: a cell with
// three Puno associations' confirmed trades is published with its
// volume-weighted price, unconfirmed trades do not count, and bad ranges
// are refused field by field.
func TestMarketStatsOverAPI(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		proc, procKey := ts.createProcessor(t, "040101")
		mkt := millwav1.NewMarketServiceClient(ts.dial(t, procKey))
		for i, ask := range []int64{2000, 2100, 2400, 2200} {
			f := ts.lotFixture(t, fmt.Sprintf("2101%02d", i+1))
			if _, err := millwav1.NewRegistryServiceClient(ts.dial(t, f.secret)).CreateLot(t.Context(),
				&millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: f.lotOf("BABY", 10_000, ask)}); err != nil {
				t.Fatal(err)
			}
			o := newOrder()
			o.QuantityGrams = 10_000
			placed, err := mkt.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: o})
			if err != nil {
				t.Fatal(err)
			}
			list, err := mkt.ListTrades(t.Context(), &millwav1.ListTradesRequest{Filter: `purchase_order = "` + placed.GetPurchaseOrder().GetName() + `"`})
			if err != nil || len(list.GetTrades()) != 1 {
				t.Fatalf("trades: %v %v", list, err)
			}
			if i == 3 {
				break // the fourth stays MATCHED: not counted
			}
			name := list.GetTrades()[0].GetName()
			for _, c := range []millwav1.MarketServiceClient{mkt, millwav1.NewMarketServiceClient(ts.dial(t, f.secret))} {
				if _, err := c.ConfirmTrade(t.Context(), &millwav1.ConfirmTradeRequest{Name: name}); err != nil {
					t.Fatal(err)
				}
			}
		}
		public := millwav1.NewMarketServiceClient(ts.dial(t, ""))
		stats, err := public.GetMarketStats(t.Context(), &millwav1.GetMarketStatsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		// Prices are the midpoints with the bid of 2500: 2250, 2300, 2450;
		// 10 kg each, so the VWAP is their mean, 2333.33, published to 10
		// céntimos, 2330; the lowest and highest price are withheld.
		if len(stats.GetCells()) != 1 || stats.GetSuppressedCellCount() != 0 {
			t.Fatalf("stats: %v, want one published cell", stats)
		}
		c := stats.GetCells()[0]
		if c.GetRegion() != "21" || c.GetRegionName() != "Puno" || c.GetQualityGroup() != "BABY" || c.GetTradedGrams() != 30_000 ||
			c.GetTradeCount() != 3 || c.GetVwapPricePerKg() != 2330 || c.GetMinPricePerKg() != 0 || c.GetMaxPricePerKg() != 0 {
			t.Fatalf("cell %v, want Puno BABY 30 kg in 3 trades, VWAP 2330, no lowest or highest price", c)
		}
		for _, tt := range []struct {
			req  *millwav1.GetMarketStatsRequest
			want []string
		}{
			{&millwav1.GetMarketStatsRequest{StartWeek: "2026-W60"}, []string{"start_week"}},
			{&millwav1.GetMarketStatsRequest{StartWeek: "2026-W10", EndWeek: "2026-W09"}, []string{"end_week"}},
			{&millwav1.GetMarketStatsRequest{StartWeek: "2025-W01", EndWeek: "2026-W02"}, []string{"end_week"}},
			{&millwav1.GetMarketStatsRequest{Region: "99", QualityGroup: "SILK", CurrencyCode: "soles"}, []string{"region", "currency_code", "quality_group"}},
		} {
			_, err := public.GetMarketStats(t.Context(), tt.req)
			if got := fieldViolations(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("GetMarketStats(%v): fields %v, want %v", tt.req, got, tt.want)
			}
		}
	})
}
