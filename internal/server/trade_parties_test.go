package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// soldTrade is a trade run to PAID on a lot it takes whole, so that the
// lot is SOLD: off the market for every processor but the buyer.
type soldTrade struct {
	seller lotFixture
	proc   *millwav1.Processor
	key    string
	lot    *millwav1.Lot
	trade  *millwav1.Trade
}

// sellWholeLot matches a new lot numbered lotNumber whole to a new order
// of the same grams (continuous matching), and has both sides confirm it
// and the processor record its delivery; the trade is left DELIVERED.
func (ts *testServer) sellWholeLot(t *testing.T, lotNumber string) soldTrade {
	t.Helper()
	s := soldTrade{seller: ts.lotFixture(t, "210101")}
	s.proc, s.key = ts.createProcessor(t, "040101")
	reg := millwav1.NewRegistryServiceClient(ts.dial(t, s.seller.secret))
	l := s.seller.lotOf("BABY", 46_000, 2200)
	l.LotNumber = lotNumber
	created, err := reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: s.seller.assoc.GetName(), Lot: l})
	if err != nil {
		t.Fatalf("CreateLot: %v", err)
	}
	s.lot = created.GetLot()
	asProc := millwav1.NewMarketServiceClient(ts.dial(t, s.key))
	order := newOrder()
	order.QuantityGrams = 46_000
	placed, err := asProc.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: s.proc.GetName(), PurchaseOrder: order})
	if err != nil {
		t.Fatalf("CreatePurchaseOrder: %v", err)
	}
	list, err := asProc.ListTrades(t.Context(), &millwav1.ListTradesRequest{Filter: `purchase_order = "` + placed.GetPurchaseOrder().GetName() + `"`})
	if err != nil || len(list.GetTrades()) != 1 || list.GetTrades()[0].GetGrams() != 46_000 {
		t.Fatalf("ListTrades of the order: %v, %v; want one trade of the whole lot", list.GetTrades(), err)
	}
	name := list.GetTrades()[0].GetName()
	asSeller := millwav1.NewMarketServiceClient(ts.dial(t, s.seller.secret))
	if _, err := asSeller.ConfirmTrade(t.Context(), &millwav1.ConfirmTradeRequest{Name: name}); err != nil {
		t.Fatalf("association's ConfirmTrade: %v", err)
	}
	if _, err := asProc.ConfirmTrade(t.Context(), &millwav1.ConfirmTradeRequest{Name: name}); err != nil {
		t.Fatalf("processor's ConfirmTrade: %v", err)
	}
	d, err := asProc.RecordDelivery(t.Context(), &millwav1.RecordDeliveryRequest{Name: name, DeliveredGrams: 46_000,
		WeighTime: timestamppb.New(time.Now().Add(-time.Hour))})
	if err != nil {
		t.Fatalf("RecordDelivery: %v", err)
	}
	s.trade = d.GetTrade()
	return s
}

// TestTradePartiesReadTheLot checks that the buyer of a lot reads it and
// its label once it is fully allocated to its trade and once it is SOLD,
// that another processor finds neither, and that a trade names its lot's
// number and both parties.
func TestTradePartiesReadTheLot(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		s := ts.sellWholeLot(t, "P-0042")
		_, otherKey := ts.createProcessor(t, "040101")
		other := millwav1.NewRegistryServiceClient(ts.dial(t, otherKey))

		// Delivered, not yet paid: the lot is ALLOCATED with no gram left
		// on offer. The buyer reads it and its label; to another
		// processor it is gone from the market.
		buyer := millwav1.NewRegistryServiceClient(ts.dial(t, s.key))
		allocated, err := buyer.GetLot(t.Context(), &millwav1.GetLotRequest{Name: s.lot.GetName()})
		if l := allocated.GetLot(); err != nil || l.GetState() != millwav1.LotState_LOT_STATE_ALLOCATED ||
			l.GetAllocatedGrams() != l.GetNetWeightGrams() || l.GetLotNumber() != "P-0042" {
			t.Fatalf("buyer's GetLot of its fully allocated lot: %v, %v; want ALLOCATED P-0042 with every gram allocated", l, err)
		}
		if label, err := buyer.GetLotLabel(t.Context(), &millwav1.GetLotLabelRequest{Name: s.lot.GetName()}); err != nil || label.GetLabel().GetLotNumber() != "P-0042" {
			t.Fatalf("buyer's GetLotLabel of its fully allocated lot: %v, %v", label.GetLabel(), err)
		}
		_, err = other.GetLot(t.Context(), &millwav1.GetLotRequest{Name: s.lot.GetName()})
		wantCode(t, "another processor's GetLot of the fully allocated lot", err, codes.NotFound)

		asProc := millwav1.NewMarketServiceClient(ts.dial(t, s.key))
		paid, err := asProc.RecordPayment(t.Context(), &millwav1.RecordPaymentRequest{Name: s.trade.GetName(),
			PaidAmount: s.trade.GetAmountDue(), PaymentReference: "BCP-1"})
		if err != nil || paid.GetTrade().GetState() != millwav1.TradeState_TRADE_STATE_PAID {
			t.Fatalf("RecordPayment: %v, %v; want PAID", paid.GetTrade(), err)
		}

		// The trade names the lot's number and both parties, for both.
		for who, secret := range map[string]string{"processor": s.key, "association": s.seller.secret} {
			got, err := millwav1.NewMarketServiceClient(ts.dial(t, secret)).GetTrade(t.Context(), &millwav1.GetTradeRequest{Name: s.trade.GetName()})
			if err != nil {
				t.Fatalf("%s's GetTrade: %v", who, err)
			}
			tr := got.GetTrade()
			if tr.GetLotNumber() != "P-0042" || tr.GetAssociationDisplayName() != s.seller.assoc.GetLegalName() ||
				tr.GetProcessorDisplayName() != s.proc.GetLegalName() {
				t.Errorf("%s reads lot number %q, association %q, processor %q; want P-0042, %q, %q", who, tr.GetLotNumber(),
					tr.GetAssociationDisplayName(), tr.GetProcessorDisplayName(), s.seller.assoc.GetLegalName(), s.proc.GetLegalName())
			}
		}
		var listed millwav1.ListTradesResponse
		restDo(t, ts, s.key, "GET", "/v1/trades", nil, &listed)
		if len(listed.GetTrades()) != 1 || listed.GetTrades()[0].GetLotNumber() != "P-0042" ||
			listed.GetTrades()[0].GetProcessorDisplayName() != s.proc.GetLegalName() {
			t.Errorf("processor lists %v over REST; want its one trade with lot number and names", listed.GetTrades())
		}

		// The buyer reads its SOLD lot and its label, over gRPC and REST.
		lot, err := buyer.GetLot(t.Context(), &millwav1.GetLotRequest{Name: s.lot.GetName()})
		if err != nil || lot.GetLot().GetState() != millwav1.LotState_LOT_STATE_SOLD || lot.GetLot().GetLotNumber() != "P-0042" {
			t.Fatalf("buyer's GetLot of its paid lot: %v, %v; want SOLD P-0042", lot.GetLot(), err)
		}
		label, err := buyer.GetLotLabel(t.Context(), &millwav1.GetLotLabelRequest{Name: s.lot.GetName()})
		if err != nil || label.GetLabel().GetLotNumber() != "P-0042" || label.GetLabel().GetAssociationLegalName() != s.seller.assoc.GetLegalName() {
			t.Fatalf("buyer's GetLotLabel: %v, %v; want the label of P-0042", label.GetLabel(), err)
		}
		var viaREST millwav1.Lot
		restDo(t, ts, s.key, "GET", "/v1/"+s.lot.GetName(), nil, &viaREST)
		if viaREST.GetState() != millwav1.LotState_LOT_STATE_SOLD {
			t.Errorf("buyer's REST GetLot: %v, want SOLD", viaREST.GetState())
		}
		resp, body := ts.labelGET(t, s.key, label.GetLabel().GetSvgPath())
		if resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Errorf("buyer's GET %s: %d, %d bytes; want 200 with the SVG", label.GetLabel().GetSvgPath(), resp.StatusCode, len(body))
		}

		// Another processor finds neither, exactly as a missing lot.
		missingID := newID()
		missing := s.seller.assoc.GetName() + "/lots/" + missingID
		_, errLot := other.GetLot(t.Context(), &millwav1.GetLotRequest{Name: s.lot.GetName()})
		_, errMissing := other.GetLot(t.Context(), &millwav1.GetLotRequest{Name: missing})
		sameNotFound(t, "another processor's GetLot", errLot, idOf(s.lot.GetName()), errMissing, missingID)
		_, errLabel := other.GetLotLabel(t.Context(), &millwav1.GetLotLabelRequest{Name: s.lot.GetName()})
		_, errMissing = other.GetLotLabel(t.Context(), &millwav1.GetLotLabelRequest{Name: missing})
		sameNotFound(t, "another processor's GetLotLabel", errLabel, idOf(s.lot.GetName()), errMissing, missingID)
		resp, body = ts.labelGET(t, otherKey, label.GetLabel().GetSvgPath())
		wantStatusJSON(t, "another processor: GET .svg", resp, body, http.StatusNotFound, codes.NotFound)
		var others millwav1.ListLotsResponse
		restDo(t, ts, otherKey, "GET", "/v1/"+s.seller.assoc.GetName()+"/lots", nil, &others)
		if len(others.GetLots()) != 0 {
			t.Errorf("another processor lists %v, want no lot: the only one is sold", others.GetLots())
		}
	})
}

// TestPartialPayments pays a trade in two payments: the first leaves it
// DELIVERED with the members paid their share of it, a payment over what
// is left is refused naming the outstanding amount and writes nothing, a
// replayed request is answered once, and the second makes it PAID with
// the payouts summing exactly to what was paid and delivered.
func TestPartialPayments(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		s := ts.sellWholeLot(t, "P-0007")
		name, due := s.trade.GetName(), s.trade.GetAmountDue()
		if due != 46*2350 {
			t.Fatalf("amount due %d, want 46 kg at the 23.50 midpoint, 108,100", due)
		}
		asProc := millwav1.NewMarketServiceClient(ts.dial(t, s.key))
		asSeller := millwav1.NewMarketServiceClient(ts.dial(t, s.seller.secret))
		payoutSums := func(tr *millwav1.Trade) (grams, amount int64) {
			for _, p := range tr.GetPayouts() {
				grams += p.GetGrams()
				amount += p.GetAmount()
			}
			return grams, amount
		}

		first := int64(40_001)
		req := &millwav1.RecordPaymentRequest{Name: name, PaidAmount: first, PaymentReference: "BCP-1", RequestId: "pay-1"}
		p1, err := asProc.RecordPayment(t.Context(), req)
		if err != nil {
			t.Fatalf("first payment: %v", err)
		}
		if tr := p1.GetTrade(); tr.GetState() != millwav1.TradeState_TRADE_STATE_DELIVERED || tr.GetPaidAmount() != first || len(tr.GetPayouts()) != 0 {
			t.Fatalf("after the first payment the processor reads %v; want DELIVERED, %d paid, no payouts", tr, first)
		}
		// The same request again is answered as before and pays nothing more.
		again, err := asProc.RecordPayment(t.Context(), req)
		if err != nil || again.GetTrade().GetPaidAmount() != first || again.GetTrade().GetEtag() != p1.GetTrade().GetEtag() {
			t.Fatalf("replayed payment: %v, %v; want the first answer", again.GetTrade(), err)
		}
		seen, err := asSeller.GetTrade(t.Context(), &millwav1.GetTradeRequest{Name: name})
		if err != nil {
			t.Fatalf("association's GetTrade: %v", err)
		}
		// 46,000 g × 40,001 / 108,100 = 17,021.7 g paid for so far.
		if g, a := payoutSums(seen.GetTrade()); len(seen.GetTrade().GetPayouts()) != 2 || a != first || g != 17_021 {
			t.Fatalf("association sees payouts %v summing to %d g and %d; want 2 summing to 17,021 g and %d", seen.GetTrade().GetPayouts(), g, a, first)
		}

		// Paying more than the 68,099 left is refused, naming it, and
		// writes nothing.
		left := due - first
		before := countRows(t, ts, "SELECT COUNT(*) FROM payouts") + countRows(t, ts, "SELECT COUNT(*) FROM trade_payments")
		audits := auditEventsAbout(t, ts, name)
		_, err = asProc.RecordPayment(t.Context(), &millwav1.RecordPaymentRequest{Name: name, PaidAmount: left + 1, PaymentReference: "BCP-2"})
		st := wantCode(t, "overpayment", err, codes.InvalidArgument)
		if !slices.Equal(badRequestFields(st), []string{"paid_amount"}) || !strings.Contains(fmt.Sprint(st.Details()), strconv.FormatInt(left, 10)) ||
			!strings.Contains(fmt.Sprint(st.Details()), "saldo pendiente") {
			t.Fatalf("overpayment answers %v %v; want paid_amount naming the %d outstanding, in English and Spanish", st.Message(), st.Details(), left)
		}
		after := countRows(t, ts, "SELECT COUNT(*) FROM payouts") + countRows(t, ts, "SELECT COUNT(*) FROM trade_payments")
		if after != before || auditEventsAbout(t, ts, name) != audits {
			t.Fatalf("the refused payment wrote %d rows and %d audit events", after-before, auditEventsAbout(t, ts, name)-audits)
		}
		got, err := asSeller.GetTrade(t.Context(), &millwav1.GetTradeRequest{Name: name})
		if err != nil || got.GetTrade().GetPaidAmount() != first || got.GetTrade().GetEtag() != seen.GetTrade().GetEtag() {
			t.Fatalf("trade after the refused payment: %v, %v; want unchanged", got.GetTrade(), err)
		}

		// The rest completes the payment, over REST.
		var p2 millwav1.RecordPaymentResponse
		restDo(t, ts, s.key, "POST", "/v1/"+name+":recordPayment", &millwav1.RecordPaymentRequest{PaidAmount: left, PaymentReference: "BCP-2"}, &p2)
		if tr := p2.GetTrade(); tr.GetState() != millwav1.TradeState_TRADE_STATE_PAID || tr.GetPaidAmount() != due || tr.GetPaymentReference() != "BCP-2" {
			t.Fatalf("after the second payment: %v; want PAID %d by BCP-2", tr, due)
		}
		seen, err = asSeller.GetTrade(t.Context(), &millwav1.GetTradeRequest{Name: name})
		if err != nil {
			t.Fatalf("association's GetTrade: %v", err)
		}
		if g, a := payoutSums(seen.GetTrade()); len(seen.GetTrade().GetPayouts()) != 2 || a != due || g != 46_000 {
			t.Fatalf("payouts %v sum to %d g and %d; want 2 summing to 46,000 g and %d", seen.GetTrade().GetPayouts(), g, a, due)
		}
		// Each payment was split on its own, exactly.
		for _, q := range []string{
			"SELECT COUNT(*) FROM trade_payments tp WHERE tp.trade_id = ? AND tp.amount_minor <> (SELECT SUM(amount_minor) FROM payouts p WHERE p.payment_id = tp.id)",
			"SELECT COUNT(*) FROM trade_payments tp WHERE tp.trade_id = ? AND tp.grams <> (SELECT SUM(grams) FROM payouts p WHERE p.payment_id = tp.id)",
		} {
			if n := countRows(t, ts, q, idOf(name)); n != 0 {
				t.Fatalf("%d payments whose payouts do not sum to them: %s", n, q)
			}
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM trade_payments WHERE trade_id = ?", idOf(name)); n != 2 {
			t.Fatalf("%d payments recorded, want 2", n)
		}
		if n := auditEventsAbout(t, ts, name); n != audits+1 {
			t.Fatalf("%d audit events about the trade after the second payment, want %d (one a payment)", n, audits+1)
		}
		if seen, err := asProc.GetTrade(t.Context(), &millwav1.GetTradeRequest{Name: name}); err != nil || len(seen.GetTrade().GetPayouts()) != 0 {
			t.Fatalf("the processor reads payouts %v, %v; want none", seen.GetTrade().GetPayouts(), err)
		}
		lot, err := millwav1.NewRegistryServiceClient(ts.dial(t, s.seller.secret)).GetLot(t.Context(), &millwav1.GetLotRequest{Name: s.lot.GetName()})
		if err != nil || lot.GetLot().GetState() != millwav1.LotState_LOT_STATE_SOLD {
			t.Fatalf("lot after full payment: %v, %v; want SOLD", lot.GetLot().GetState(), err)
		}
	})
}

// TestLotsOnOffer checks the `offered_grams` filter of ListLots: a lot
// partly allocated is still on offer for its rest, one fully allocated is
// not (although its buyer still reads it), and neither is one whose rest
// was withdrawn; the association and the processor filter alike, over
// gRPC and REST.
func TestLotsOnOffer(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		f := ts.lotFixture(t, "210101")
		proc, procKey := ts.createProcessor(t, "040101")
		market := millwav1.NewMarketServiceClient(ts.dial(t, procKey))
		seller := millwav1.NewRegistryServiceClient(ts.dial(t, f.secret))
		buyer := millwav1.NewRegistryServiceClient(ts.dial(t, procKey))
		order := func(grams int64) {
			t.Helper()
			o := newOrder()
			o.QuantityGrams = grams
			if _, err := market.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: o}); err != nil {
				t.Fatalf("CreatePurchaseOrder: %v", err)
			}
		}
		lot := func(number string, grams int64) *millwav1.Lot {
			t.Helper()
			l := f.lotOf("BABY", grams, 2000)
			l.LotNumber = number
			resp, err := seller.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: l})
			if err != nil {
				t.Fatalf("CreateLot %s: %v", number, err)
			}
			return resp.GetLot()
		}
		// All of B's 20 kg are sold at once, then 30 of A's 40 kg; C waits,
		// no order open.
		order(20_000)
		b := lot("OF-B", 20_000)
		order(30_000)
		a := lot("OF-A", 40_000)
		lot("OF-C", 20_000)
		if a.GetState() != millwav1.LotState_LOT_STATE_ALLOCATED || a.GetAllocatedGrams() != 30_000 || b.GetAllocatedGrams() != 20_000 {
			t.Fatalf("lots A %v (%d g allocated), B %d g allocated; want A partly and B fully allocated", a.GetState(), a.GetAllocatedGrams(), b.GetAllocatedGrams())
		}
		numbers := func(client millwav1.RegistryServiceClient, parent, filter string) []string {
			t.Helper()
			resp, err := client.ListLots(t.Context(), &millwav1.ListLotsRequest{Parent: parent, Filter: filter, OrderBy: "lot_number"})
			if err != nil {
				t.Fatalf("ListLots %q: %v", filter, err)
			}
			var out []string
			for _, l := range resp.GetLots() {
				out = append(out, l.GetLotNumber())
			}
			return out
		}
		for _, tt := range []struct {
			who    string
			client millwav1.RegistryServiceClient
			parent string
			filter string
			want   []string
		}{
			{"the processor", buyer, "associations/-", "offered_grams > 0", []string{"OF-A", "OF-C"}},
			{"the processor", buyer, "associations/-", "", []string{"OF-A", "OF-B", "OF-C"}}, // B: its own purchase
			{"the processor", buyer, "associations/-", "offered_grams = 10000", []string{"OF-A"}},
			{"the association", seller, f.assoc.GetName(), "offered_grams = 0", []string{"OF-B"}},
			{"the association", seller, f.assoc.GetName(), "offered_grams >= 20000 AND state = AVAILABLE", []string{"OF-C"}},
		} {
			if got := numbers(tt.client, tt.parent, tt.filter); !slices.Equal(got, tt.want) {
				t.Errorf("%s lists %v with filter %q; want %v", tt.who, got, tt.filter, tt.want)
			}
		}
		var page millwav1.ListLotsResponse
		restDo(t, ts, procKey, "GET", "/v1/associations/-/lots?filter="+url.QueryEscape("offered_grams > 0")+"&orderBy=lot_number", nil, &page)
		if len(page.GetLots()) != 2 || page.GetLots()[0].GetLotNumber() != "OF-A" {
			t.Errorf("REST: the processor lists %v on offer; want OF-A and OF-C", page.GetLots())
		}
		// A's rest withdrawn: no longer on offer.
		if _, err := seller.WithdrawLot(t.Context(), &millwav1.WithdrawLotRequest{Name: a.GetName()}); err != nil {
			t.Fatalf("WithdrawLot A's rest: %v", err)
		}
		if got := numbers(buyer, "associations/-", "offered_grams > 0"); !slices.Equal(got, []string{"OF-C"}) {
			t.Errorf("after A's rest is withdrawn the processor lists %v on offer; want [OF-C]", got)
		}
		_, err := buyer.ListLots(t.Context(), &millwav1.ListLotsRequest{Parent: "associations/-", Filter: `offered_grams > "many"`})
		if got := fieldViolations(t, err); !slices.Equal(got, []string{"filter"}) {
			t.Errorf("a text for offered_grams: violations %v, want filter", got)
		}
	})
}
