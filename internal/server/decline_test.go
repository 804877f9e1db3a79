package server_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// declineMarket is one association's lot and two processors' orders on
// the same book: first, which bids higher, and second.
type declineMarket struct {
	seller        lotFixture
	reg           millwav1.RegistryServiceClient
	asSeller      millwav1.MarketServiceClient
	first, second *millwav1.PurchaseOrder
	asFirst       millwav1.MarketServiceClient
	asSecond      millwav1.MarketServiceClient
	lot           *millwav1.Lot
}

// newDeclineMarket places the two orders of grams each, first at 2600 a
// kilogram and second at 2500, then a lot of lotGrams at 2200: with
// continuous matching the lot goes to first, the higher bid.
func (ts *testServer) newDeclineMarket(t *testing.T, grams, lotGrams int64) declineMarket {
	t.Helper()
	m := declineMarket{seller: ts.lotFixture(t, "210101")}
	m.reg = millwav1.NewRegistryServiceClient(ts.dial(t, m.seller.secret))
	m.asSeller = millwav1.NewMarketServiceClient(ts.dial(t, m.seller.secret))
	place := func(bid int64) (*millwav1.PurchaseOrder, millwav1.MarketServiceClient) {
		proc, key := ts.createProcessor(t, "040101")
		client := millwav1.NewMarketServiceClient(ts.dial(t, key))
		o := newOrder()
		o.QuantityGrams, o.BidPricePerKg = grams, bid
		placed, err := client.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: o})
		if err != nil {
			t.Fatalf("CreatePurchaseOrder: %v", err)
		}
		return placed.GetPurchaseOrder(), client
	}
	m.first, m.asFirst = place(2600)
	m.second, m.asSecond = place(2500)
	created, err := m.reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: m.seller.assoc.GetName(), Lot: m.seller.lotOf("BABY", lotGrams, 2200)})
	if err != nil {
		t.Fatalf("CreateLot: %v", err)
	}
	m.lot = created.GetLot()
	return m
}

// tradesOf lists, as admin, the trades of the lot by state name.
func (ts *testServer) tradesOf(t *testing.T, lot string) map[millwav1.TradeState][]*millwav1.Trade {
	t.Helper()
	list, err := millwav1.NewMarketServiceClient(ts.conn).ListTrades(t.Context(), &millwav1.ListTradesRequest{Filter: `lot = "` + lot + `"`})
	if err != nil {
		t.Fatalf("ListTrades of lot %s: %v", lot, err)
	}
	out := map[millwav1.TradeState][]*millwav1.Trade{}
	for _, tr := range list.GetTrades() {
		out[tr.GetState()] = append(out[tr.GetState()], tr)
	}
	return out
}

// getOrder reads a purchase order as admin.
func (ts *testServer) getOrder(t *testing.T, name string) *millwav1.PurchaseOrder {
	t.Helper()
	got, err := millwav1.NewMarketServiceClient(ts.conn).GetPurchaseOrder(t.Context(), &millwav1.GetPurchaseOrderRequest{Name: name})
	if err != nil {
		t.Fatalf("GetPurchaseOrder %s: %v", name, err)
	}
	return got.GetPurchaseOrder()
}

// TestDeclineTradeRematchesToAnotherOrder follows an association that
// declines the trade continuous matching made of its lot: only it may, a
// stale etag or a missing reason is refused, a retry with the same
// request_id answers the same, the order can be filled again, the lot's
// grams go at once to the other order and never back to the first, the
// buyer reads the reason and is told by WatchMarket, and a CONFIRMED trade
// cannot be declined.
func TestDeclineTradeRematchesToAnotherOrder(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		m := ts.newDeclineMarket(t, 46_000, 46_000)
		matched := ts.tradesOf(t, m.lot.GetName())[millwav1.TradeState_TRADE_STATE_MATCHED]
		if len(matched) != 1 || matched[0].GetPurchaseOrder() != m.first.GetName() || matched[0].GetGrams() != 46_000 {
			t.Fatalf("trades of the new lot: %v; want one of 46,000 g to the higher bid", matched)
		}
		tr := matched[0]
		decline := func(c millwav1.MarketServiceClient, req *millwav1.DeclineTradeRequest) (*millwav1.Trade, error) {
			res, err := c.DeclineTrade(t.Context(), req)
			return res.GetTrade(), err
		}

		// The buyer may not decline, another association does not see
		// the trade, and bad input writes nothing.
		_, err := decline(m.asFirst, &millwav1.DeclineTradeRequest{Name: tr.GetName(), Reason: "no"})
		wantCode(t, "the processor declines", err, codes.PermissionDenied)
		other := ts.lotFixture(t, "080101")
		_, err = decline(millwav1.NewMarketServiceClient(ts.dial(t, other.secret)), &millwav1.DeclineTradeRequest{Name: tr.GetName(), Reason: "no"})
		wantCode(t, "another association declines", err, codes.NotFound)
		_, err = decline(m.asSeller, &millwav1.DeclineTradeRequest{Name: tr.GetName(), Reason: "  "})
		if st := wantCode(t, "a blank reason", err, codes.InvalidArgument); !slices.Equal(badRequestFields(st), []string{"reason"}) {
			t.Fatalf("a blank reason names %v, want reason", badRequestFields(st))
		}
		res := ts.restAs(t, m.seller.secret, "POST", "/v1/"+tr.GetName()+":decline",
			jsonBody(t, &millwav1.DeclineTradeRequest{Etag: "r99", Reason: "sold at the fair"}))
		restError(t, "decline with a stale etag", res, http.StatusConflict, codes.Aborted)
		if again := ts.tradesOf(t, m.lot.GetName()); len(again[millwav1.TradeState_TRADE_STATE_MATCHED]) != 1 || len(again) != 1 {
			t.Fatalf("refused declines changed the lot's trades: %v", again)
		}

		req := &millwav1.DeclineTradeRequest{Name: tr.GetName(), Etag: tr.GetEtag(), RequestId: "decline-1", Reason: "sold at the fair in Macusani"}
		declined, err := decline(m.asSeller, req)
		if err != nil {
			t.Fatalf("DeclineTrade: %v", err)
		}
		if declined.GetState() != millwav1.TradeState_TRADE_STATE_DECLINED || declined.GetDeclineReason() != req.GetReason() || declined.GetDeclineTime() == nil {
			t.Fatalf("declined trade: %v", declined)
		}
		replayed, err := decline(m.asSeller, req)
		if err != nil || !proto.Equal(replayed, declined) {
			t.Fatalf("DeclineTrade again with the same request_id: %v, %v; want the first answer %v", replayed, err, declined)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM audit_events WHERE resource = ? AND action = 'decline'", tr.GetName()); n != 1 {
			t.Fatalf("%d decline audit events about the trade, want 1", n)
		}

		// The grams went at once to the second order, never back to the
		// first, which is open again for other lots.
		byState := ts.tradesOf(t, m.lot.GetName())
		again := byState[millwav1.TradeState_TRADE_STATE_MATCHED]
		if len(again) != 1 || again[0].GetPurchaseOrder() != m.second.GetName() || again[0].GetGrams() != 46_000 || len(byState) != 2 {
			t.Fatalf("trades of the lot after the decline: %v; want the declined one and 46,000 g to the second order", byState)
		}
		if o := ts.getOrder(t, m.first.GetName()); o.GetState() != millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_OPEN || o.GetFilledGrams() != 0 {
			t.Fatalf("first order after the decline: %v with %d g filled, want OPEN with 0", o.GetState(), o.GetFilledGrams())
		}
		lot, err := m.reg.GetLot(t.Context(), &millwav1.GetLotRequest{Name: m.lot.GetName()})
		if err != nil || lot.GetLot().GetAllocatedGrams() != 46_000 || lot.GetLot().GetState() != millwav1.LotState_LOT_STATE_ALLOCATED {
			t.Fatalf("lot after the rematch: %v, %v; want ALLOCATED, 46,000 g", lot.GetLot(), err)
		}

		// The buyer reads the reason, and is told.
		seen, err := m.asFirst.GetTrade(t.Context(), &millwav1.GetTradeRequest{Name: tr.GetName()})
		if err != nil || seen.GetTrade().GetDeclineReason() != req.GetReason() {
			t.Fatalf("the buyer reads %v, %v; want the reason %q", seen.GetTrade(), err, req.GetReason())
		}
		watchCtx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		stream, err := m.asFirst.WatchMarket(watchCtx, &millwav1.WatchMarketRequest{AfterEventId: "0",
			EventTypes: []millwav1.MarketEventType{millwav1.MarketEventType_MARKET_EVENT_TYPE_TRADE_DECLINED}})
		if err != nil {
			t.Fatalf("WatchMarket: %v", err)
		}
		ev, err := stream.Recv()
		if err != nil || ev.GetEvent().GetResource() != tr.GetName() || ev.GetEvent().GetTrade().GetDeclineReason() != req.GetReason() {
			t.Fatalf("the buyer's first TRADE_DECLINED event: %v, %v", ev.GetEvent(), err)
		}

		// A CONFIRMED trade stands.
		name := again[0].GetName()
		if _, err := m.asSeller.ConfirmTrade(t.Context(), &millwav1.ConfirmTradeRequest{Name: name}); err != nil {
			t.Fatalf("association's ConfirmTrade: %v", err)
		}
		if _, err := m.asSecond.ConfirmTrade(t.Context(), &millwav1.ConfirmTradeRequest{Name: name}); err != nil {
			t.Fatalf("processor's ConfirmTrade: %v", err)
		}
		_, err = decline(m.asSeller, &millwav1.DeclineTradeRequest{Name: name, Reason: "changed our mind"})
		if st := wantCode(t, "declining a CONFIRMED trade", err, codes.FailedPrecondition); !strings.Contains(st.Message(), "CONFIRMED") {
			t.Fatalf("the refusal %q does not name the state CONFIRMED", st.Message())
		}
	})
}

// TestDeclinedPairIsNotClearedAgain checks that a clearing leaves a
// declined pair out: the lot goes to the lower bid, although the order
// that was declined bids higher and is open again.
func TestDeclinedPairIsNotClearedAgain(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServerWith(t, dbURL, callAuction)
		m := ts.newDeclineMarket(t, 46_000, 46_000)
		admin := millwav1.NewMarketServiceClient(ts.conn)
		clear := func(id string) *millwav1.ClearingSummary {
			res, err := admin.RunClearing(t.Context(), &millwav1.RunClearingRequest{RequestId: id})
			if err != nil {
				t.Fatalf("RunClearing %s: %v", id, err)
			}
			return res.GetSummary()
		}
		if sum := clear("clear-1"); sum.GetTradesCreated() != 1 {
			t.Fatalf("first clearing: %v, want one trade", sum)
		}
		matched := ts.tradesOf(t, m.lot.GetName())[millwav1.TradeState_TRADE_STATE_MATCHED]
		if len(matched) != 1 || matched[0].GetPurchaseOrder() != m.first.GetName() {
			t.Fatalf("first clearing's trades of the lot: %v; want one to the higher bid", matched)
		}
		res, err := m.asSeller.DeclineTrade(t.Context(), &millwav1.DeclineTradeRequest{Name: matched[0].GetName(), Reason: "price too low for this lot"})
		if err != nil || res.GetTrade().GetState() != millwav1.TradeState_TRADE_STATE_DECLINED {
			t.Fatalf("DeclineTrade: %v, %v", res.GetTrade(), err)
		}
		// In a call auction nothing is matched until the next clearing.
		if byState := ts.tradesOf(t, m.lot.GetName()); len(byState[millwav1.TradeState_TRADE_STATE_MATCHED]) != 0 {
			t.Fatalf("trades matched without a clearing: %v", byState)
		}
		if sum := clear("clear-2"); sum.GetTradesCreated() != 1 || sum.GetAllocatedGrams() != 46_000 {
			t.Fatalf("second clearing: %v, want one trade of 46,000 g", sum)
		}
		again := ts.tradesOf(t, m.lot.GetName())[millwav1.TradeState_TRADE_STATE_MATCHED]
		if len(again) != 1 || again[0].GetPurchaseOrder() != m.second.GetName() {
			t.Fatalf("second clearing's trades of the lot: %v; want one to the second order", again)
		}
		if o := ts.getOrder(t, m.first.GetName()); o.GetState() != millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_OPEN || o.GetFilledGrams() != 0 {
			t.Fatalf("declined order after the second clearing: %v with %d g, want OPEN with none", o.GetState(), o.GetFilledGrams())
		}
	})
}

// TestWithdrawRestOfAllocatedLot withdraws the unallocated rest of a
// partly allocated lot: its trade stands, the lot stays ALLOCATED with the
// rest withdrawn, a later order gets none of it, and when the trade is
// declined its grams are withdrawn too and the lot becomes WITHDRAWN.
func TestWithdrawRestOfAllocatedLot(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		// Each order wants 20 kg: the first takes 20 kg of the 46 kg lot,
		// the second the next 20, leaving 6 kg on offer.
		m := ts.newDeclineMarket(t, 20_000, 46_000)
		lotName := m.lot.GetName()
		before := ts.tradesOf(t, lotName)[millwav1.TradeState_TRADE_STATE_MATCHED]
		if len(before) != 2 {
			t.Fatalf("trades of the new lot: %v; want two of 20 kg", before)
		}
		got, err := m.reg.GetLot(t.Context(), &millwav1.GetLotRequest{Name: lotName})
		if err != nil || got.GetLot().GetAllocatedGrams() != 40_000 {
			t.Fatalf("GetLot: %v, %v; want 40,000 g allocated", got.GetLot(), err)
		}

		w, err := m.reg.WithdrawLot(t.Context(), &millwav1.WithdrawLotRequest{Name: lotName, Etag: got.GetLot().GetEtag(), RequestId: "withdraw-rest"})
		if err != nil {
			t.Fatalf("WithdrawLot of the rest: %v", err)
		}
		if l := w.GetLot(); l.GetState() != millwav1.LotState_LOT_STATE_ALLOCATED || l.GetAllocatedGrams() != 40_000 || l.GetWithdrawnGrams() != 6_000 {
			t.Fatalf("lot after withdrawing the rest: %v %d g allocated, %d g withdrawn; want ALLOCATED, 40,000, 6,000",
				l.GetState(), l.GetAllocatedGrams(), l.GetWithdrawnGrams())
		}
		_, err = m.reg.WithdrawLot(t.Context(), &millwav1.WithdrawLotRequest{Name: lotName})
		wantCode(t, "withdrawing the rest twice", err, codes.FailedPrecondition)

		// A new order on the same book finds nothing of it.
		proc, key := ts.createProcessor(t, "040101")
		late := newOrder()
		late.QuantityGrams, late.BidPricePerKg = 50_000, 3000
		placed, err := millwav1.NewMarketServiceClient(ts.dial(t, key)).CreatePurchaseOrder(t.Context(),
			&millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: late})
		if err != nil || placed.GetPurchaseOrder().GetFilledGrams() != 0 {
			t.Fatalf("a later order: %v, %v; want nothing filled", placed.GetPurchaseOrder(), err)
		}
		after := ts.tradesOf(t, lotName)
		if len(after) != 1 || !slices.EqualFunc(after[millwav1.TradeState_TRADE_STATE_MATCHED], before, func(a, b *millwav1.Trade) bool {
			return a.GetName() == b.GetName() && a.GetGrams() == b.GetGrams() && a.GetEtag() == b.GetEtag()
		}) {
			t.Fatalf("trades of the lot after the withdrawal and a later order: %v; want the two trades as they were", after)
		}
		summary, err := millwav1.NewMarketServiceClient(ts.conn).RunClearing(t.Context(), &millwav1.RunClearingRequest{})
		if err != nil || summary.GetSummary().GetTradesCreated() != 0 {
			t.Fatalf("a clearing after the withdrawal: %v, %v; want no trade", summary.GetSummary(), err)
		}

		// Declined trades give their grams to the withdrawn rest; with
		// nothing left allocated the lot is WITHDRAWN.
		for _, tr := range before {
			if _, err := m.asSeller.DeclineTrade(t.Context(), &millwav1.DeclineTradeRequest{Name: tr.GetName(), Reason: "the lot is no longer for sale"}); err != nil {
				t.Fatalf("DeclineTrade: %v", err)
			}
		}
		got, err = m.reg.GetLot(t.Context(), &millwav1.GetLotRequest{Name: lotName})
		if l := got.GetLot(); err != nil || l.GetState() != millwav1.LotState_LOT_STATE_WITHDRAWN || l.GetAllocatedGrams() != 0 || l.GetWithdrawnGrams() != 46_000 {
			t.Fatalf("lot after declining its trades: %v, %v; want WITHDRAWN, 0 allocated, 46,000 withdrawn", l, err)
		}
		if byState := ts.tradesOf(t, lotName); len(byState[millwav1.TradeState_TRADE_STATE_MATCHED]) != 0 || len(byState[millwav1.TradeState_TRADE_STATE_DECLINED]) != 2 {
			t.Fatalf("trades of the withdrawn lot: %v; want the two declined and no other", byState)
		}
	})
}

// TestDeclinedLotWaitsForAnotherOrder declines the only trade of a lot
// when no other order wants it: the grams stay on offer, the declined
// order, open again, does not take them back, and the next order does.
func TestDeclinedLotWaitsForAnotherOrder(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		m := ts.newDeclineMarket(t, 46_000, 46_000)
		// The second order is cancelled first, so that nothing else
		// wants the lot.
		if _, err := m.asSecond.CancelPurchaseOrder(t.Context(), &millwav1.CancelPurchaseOrderRequest{Name: m.second.GetName()}); err != nil {
			t.Fatalf("CancelPurchaseOrder: %v", err)
		}
		tr := ts.tradesOf(t, m.lot.GetName())[millwav1.TradeState_TRADE_STATE_MATCHED]
		if len(tr) != 1 {
			t.Fatalf("trades of the lot: %v, want one", tr)
		}
		if _, err := m.asSeller.DeclineTrade(t.Context(), &millwav1.DeclineTradeRequest{Name: tr[0].GetName(), Reason: "wrong bale"}); err != nil {
			t.Fatalf("DeclineTrade: %v", err)
		}
		lot, err := m.reg.GetLot(t.Context(), &millwav1.GetLotRequest{Name: m.lot.GetName()})
		if l := lot.GetLot(); err != nil || l.GetState() != millwav1.LotState_LOT_STATE_AVAILABLE || l.GetAllocatedGrams() != 0 {
			t.Fatalf("lot after the decline: %v, %v; want AVAILABLE with nothing allocated", l, err)
		}
		if o := ts.getOrder(t, m.first.GetName()); o.GetState() != millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_OPEN || o.GetFilledGrams() != 0 {
			t.Fatalf("declined order: %v with %d g, want OPEN with none", o.GetState(), o.GetFilledGrams())
		}

		proc, key := ts.createProcessor(t, "040101")
		next := newOrder()
		next.QuantityGrams, next.BidPricePerKg = 46_000, 2300
		placed, err := millwav1.NewMarketServiceClient(ts.dial(t, key)).CreatePurchaseOrder(t.Context(),
			&millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: next})
		if err != nil || placed.GetPurchaseOrder().GetState() != millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_FILLED {
			t.Fatalf("the next order: %v, %v; want FILLED by the declined lot", placed.GetPurchaseOrder(), err)
		}
		byState := ts.tradesOf(t, m.lot.GetName())
		if got := byState[millwav1.TradeState_TRADE_STATE_MATCHED]; len(got) != 1 || got[0].GetPurchaseOrder() != placed.GetPurchaseOrder().GetName() {
			t.Fatalf("trades of the lot: %v; want the declined one and one to the next order", byState)
		}
	})
}
