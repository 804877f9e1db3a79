package server_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestReceiptsIntoBatchedLots records receipts (one under the default
// standard, one at another collection point, one of whole FINA fleeces),
// lists them by member and by collection point, and builds lots of them
// with BatchCreateLots: a batch whose two lots together overdraw a receipt
// is refused naming the later source and writes nothing; a source of
// another category is refused; a batch within the receipts' grams derives
// each lot's contributions from its sources; a voided receipt's grams go
// into no lot. The association's fee is bounded at 20 %, a member payment
// names its amount and method and never exceeds the balance, and an admin
// reads a member's statement.
func TestReceiptsIntoBatchedLots(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		f := ts.acopioFixture(t, 2, 2000)

		plain := f.classed(f.members[0], map[string]int64{"BABY": 3000, "FLEECE": 1000})
		plain.Standard = ""
		r0 := f.receive(t, plain)
		if r0.GetStandard() != classedStandard || r0.GetUnusedGrams()["BABY"] != 3000 || r0.GetUnusedGrams()["FLEECE"] != 1000 {
			t.Fatalf("receipt without a standard: %v; want %s with 3,000 g of BABY and 1,000 g of FLEECE unused", r0, classedStandard)
		}
		away := f.classed(f.members[1], map[string]int64{"BABY": 3000})
		away.CollectionPoint = "Centro de acopio Ajoyani"
		r1 := f.receive(t, away)
		r2 := f.receive(t, f.categorised(f.members[0], "FINA", 5000))
		if r2.GetUnusedGrams()["FINA"] != 5000 || len(r2.GetGroupGrams()) != 0 {
			t.Fatalf("receipt of whole FINA fleeces: %v; want 5,000 g of FINA unused and no group grams", r2)
		}

		for _, c := range []struct{ filter, want string }{
			{`member = "` + f.members[1] + `"`, r1.GetName()},
			{`collection_point = "Centro de acopio Ajoyani"`, r1.GetName()},
			{`member = "` + f.members[0] + `" AND campaign = 2026`, r0.GetName() + " " + r2.GetName()},
		} {
			list, err := f.reg.ListReceipts(t.Context(), &millwav1.ListReceiptsRequest{Parent: f.assoc.GetName(), Filter: c.filter, OrderBy: "receipt_number"})
			if err != nil {
				t.Fatalf("ListReceipts %s: %v", c.filter, err)
			}
			var got []string
			for _, r := range list.GetReceipts() {
				got = append(got, r.GetName())
			}
			if want := strings.Fields(c.want); !slices.Equal(got, want) {
				t.Errorf("ListReceipts %s = %v, want %v", c.filter, got, want)
			}
		}

		batch := func(lots ...*millwav1.Lot) (*millwav1.BatchCreateLotsResponse, error) {
			req := &millwav1.BatchCreateLotsRequest{Parent: f.assoc.GetName()}
			for _, l := range lots {
				req.Requests = append(req.Requests, &millwav1.CreateLotRequest{Lot: l})
			}
			return f.reg.BatchCreateLots(t.Context(), req)
		}
		src := func(r *millwav1.Receipt, grams int64) *millwav1.LotSource {
			return &millwav1.LotSource{Receipt: r.GetName(), Grams: grams}
		}
		// Two lots of 2,000 g each from a receipt of 3,000 g of BABY.
		_, err := batch(f.lotFrom(classedStandard, "BABY", 2200, src(r0, 2000)), f.lotFrom(classedStandard, "BABY", 2200, src(r0, 2000)))
		if st := wantCode(t, "a batch overdrawing a receipt", err, codes.InvalidArgument); !slices.Equal(badRequestFields(st), []string{"requests[1].lot.sources[0].grams"}) {
			t.Errorf("a batch overdrawing a receipt names %v, want requests[1].lot.sources[0].grams", badRequestFields(st))
		}
		// FINA fleeces are no part of an EXTRAFINA lot, nor BABY of a
		// FLEECE lot beyond what the receipt holds of FLEECE.
		_, err = batch(f.lotFrom(fleeceStandard, "EXTRAFINA", 1500, src(r2, 1000)), f.lotFrom(classedStandard, "FLEECE", 1800, src(r0, 1001)))
		if st := wantCode(t, "sources of another category and beyond a group", err, codes.InvalidArgument); !slices.Equal(badRequestFields(st),
			[]string{"requests[0].lot.sources[0].receipt", "requests[1].lot.sources[0].grams"}) {
			t.Errorf("sources of another category and beyond a group name %v", badRequestFields(st))
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM lots"); n != 0 {
			t.Fatalf("refused batches wrote %d lots", n)
		}
		if got, err := f.reg.GetReceipt(t.Context(), &millwav1.GetReceiptRequest{Name: r0.GetName()}); err != nil || got.GetReceipt().GetUnusedGrams()["BABY"] != 3000 {
			t.Fatalf("receipt after refused batches: %v, %v; want its 3,000 g of BABY unused", got, err)
		}

		// Within the grams: 1,500 g of BABY alone, then 1,500 g more with
		// the other member's 3,000 g; and the FINA fleeces as a lot.
		made, err := batch(
			f.lotFrom(classedStandard, "BABY", 2200, src(r0, 1500)),
			f.lotFrom(classedStandard, "BABY", 2200, src(r0, 1500), src(r1, 3000)),
			f.lotFrom(fleeceStandard, "FINA", 1300, src(r2, 5000)),
		)
		if err != nil {
			t.Fatalf("BatchCreateLots within the receipts' grams: %v", err)
		}
		wantContributions := []map[string]int64{
			{f.members[0]: 1500},
			{f.members[0]: 1500, f.members[1]: 3000},
			{f.members[0]: 5000},
		}
		for i, l := range made.GetLots() {
			got := map[string]int64{}
			for _, c := range l.GetContributions() {
				got[c.GetMember()] += c.GetGrams()
			}
			if !maps.Equal(got, wantContributions[i]) || len(l.GetContributions()) != len(wantContributions[i]) {
				t.Errorf("lot %d of the batch: contributions %v, want %v summed from its sources %v", i, got, wantContributions[i], l.GetSources())
			}
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM lot_sources"); n != 4 {
			t.Errorf("%d lot sources stored, want the batch's 4", n)
		}
		got, err := f.reg.GetReceipt(t.Context(), &millwav1.GetReceiptRequest{Name: r0.GetName()})
		if err != nil || got.GetReceipt().GetUnusedGrams()["BABY"] != 0 || got.GetReceipt().GetUnusedGrams()["FLEECE"] != 1000 {
			t.Fatalf("receipt drawn on by the batch: %v, %v; want BABY used up and its 1,000 g of FLEECE unused", got, err)
		}
		_, err = f.reg.VoidReceipt(t.Context(), &millwav1.VoidReceiptRequest{Name: r2.GetName()})
		wantCode(t, "voiding a receipt whose fleeces are in a lot", err, codes.FailedPrecondition)
		// A voided receipt's grams go into no lot.
		voided := f.receive(t, f.classed(f.members[1], map[string]int64{"BABY": 500}))
		if _, err := f.reg.VoidReceipt(t.Context(), &millwav1.VoidReceiptRequest{Name: voided.GetName()}); err != nil {
			t.Fatalf("VoidReceipt of an unused receipt: %v", err)
		}
		_, err = f.reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: f.lotFrom(classedStandard, "BABY", 2200, src(voided, 500))})
		if st := wantCode(t, "a lot from a voided receipt", err, codes.InvalidArgument); !slices.Equal(badRequestFields(st), []string{"lot.sources[0].receipt"}) {
			t.Errorf("a lot from a voided receipt names %v, want lot.sources[0].receipt", badRequestFields(st))
		}

		// The fee: 20 % at most.
		over := newAssociation(int(fixtureN.Add(1)), "210101")
		over.FeeBasisPoints = 2001
		_, err = millwav1.NewRegistryServiceClient(ts.conn).CreateAssociation(t.Context(), &millwav1.CreateAssociationRequest{Association: over})
		if st := wantCode(t, "a fee over 20 %", err, codes.InvalidArgument); !slices.Equal(badRequestFields(st), []string{"association.fee_basis_points"}) {
			t.Errorf("a fee over 20 %% names %v, want association.fee_basis_points", badRequestFields(st))
		}

		// A payment names its amount and method; with nothing earned, any
		// amount exceeds the balance.
		_, err = f.reg.RecordMemberPayment(t.Context(), &millwav1.RecordMemberPaymentRequest{Parent: f.members[0],
			Payment: &millwav1.MemberPayment{Campaign: 2026}})
		if st := wantCode(t, "a payment without amount or method", err, codes.InvalidArgument); !slices.Equal(badRequestFields(st), []string{"payment.amount", "payment.method"}) {
			t.Errorf("a payment without amount or method names %v", badRequestFields(st))
		}
		_, err = f.reg.RecordMemberPayment(t.Context(), &millwav1.RecordMemberPaymentRequest{Parent: f.members[0],
			Payment: &millwav1.MemberPayment{Campaign: 2026, Amount: 1, Method: millwav1.PaymentMethod_PAYMENT_METHOD_BANK_TRANSFER}})
		wantCode(t, "a payment before anything is earned", err, codes.FailedPrecondition)

		// An admin reads the member's statement: both receipts, nothing
		// sold yet.
		st, err := millwav1.NewRegistryServiceClient(ts.conn).GetMemberStatement(t.Context(),
			&millwav1.GetMemberStatementRequest{Name: f.members[0] + "/statements/2026"})
		if err != nil || st.GetStatement().GetDeliveredGrams() != 9000 || len(st.GetStatement().GetLines()) != 2 || st.GetStatement().GetFeeBasisPoints() != 2000 {
			t.Fatalf("the admin's view of a statement: %v, %v; want 9,000 g delivered on two receipts, fee 2,000 bp", st, err)
		}
	})
}

// TestCategorisedFleeceClearing sells whole EXTRAFINA fleeces of three
// associations in a call auction: an order under NTP 231.300 takes the
// EXTRAFINA lots and leaves a SEMIFINA one; the confirmed trades appear in
// the market statistics of that standard under their category. An order
// or a statistics request naming a quality group of another standard under
// it is refused.
func TestCategorisedFleeceClearing(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServerWith(t, dbURL, callAuction)
		var sellers []acopio
		extra := map[string]bool{}
		for i := range 3 {
			f := ts.acopioFixture(t, 1, 0)
			sellers = append(sellers, f)
			categories := []string{"EXTRAFINA"}
			if i == 0 {
				categories = append(categories, "SEMIFINA")
			}
			for _, c := range categories {
				r := f.receive(t, f.categorised(f.members[0], c, 20_000))
				resp, err := f.reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: f.assoc.GetName(),
					Lot: f.lotFrom(fleeceStandard, c, 1400, &millwav1.LotSource{Receipt: r.GetName(), Grams: 20_000})})
				if err != nil {
					t.Fatalf("CreateLot of %s fleeces: %v", c, err)
				}
				if c == "EXTRAFINA" {
					extra[resp.GetLot().GetName()] = true
				}
			}
		}

		proc, procKey := ts.createProcessor(t, "040101")
		mkt := millwav1.NewMarketServiceClient(ts.dial(t, procKey))
		o := newOrder()
		o.Standard, o.AcceptedQualityGroups, o.QuantityGrams, o.BidPricePerKg = fleeceStandard, []string{"BABY"}, 60_000, 1600
		_, err := mkt.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: o})
		if st := wantCode(t, "an order for BABY under NTP 231.300", err, codes.InvalidArgument); len(badRequestFields(st)) != 1 ||
			!strings.HasPrefix(badRequestFields(st)[0], "purchase_order.accepted_quality_groups") {
			t.Errorf("an order for BABY under NTP 231.300 names %v", badRequestFields(st))
		}
		o.AcceptedQualityGroups = []string{"EXTRAFINA"}
		placed, err := mkt.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: o})
		if err != nil || placed.GetPurchaseOrder().GetFilledGrams() != 0 {
			t.Fatalf("an order for EXTRAFINA fleeces in a call auction: %v, %v; want it placed and unfilled until the clearing", placed, err)
		}
		run, err := millwav1.NewMarketServiceClient(ts.conn).RunClearing(t.Context(), &millwav1.RunClearingRequest{})
		if err != nil || run.GetSummary().GetTradesCreated() != 3 || run.GetSummary().GetAllocatedGrams() != 60_000 {
			t.Fatalf("RunClearing: %v, %v; want the three EXTRAFINA lots, 60,000 g", run, err)
		}
		trades, err := mkt.ListTrades(t.Context(), &millwav1.ListTradesRequest{Filter: `purchase_order = "` + placed.GetPurchaseOrder().GetName() + `"`})
		if err != nil || len(trades.GetTrades()) != 3 {
			t.Fatalf("trades of the EXTRAFINA order: %v, %v; want three", trades, err)
		}
		for _, tr := range trades.GetTrades() {
			if !extra[tr.GetLot()] || tr.GetQualityGroup() != "EXTRAFINA" || tr.GetGrams() != 20_000 {
				t.Errorf("trade %v: want a whole EXTRAFINA lot", tr)
			}
			for _, c := range []millwav1.MarketServiceClient{mkt, millwav1.NewMarketServiceClient(ts.dial(t, sellerOf(sellers, tr).secret))} {
				if _, err := c.ConfirmTrade(t.Context(), &millwav1.ConfirmTradeRequest{Name: tr.GetName()}); err != nil {
					t.Fatalf("ConfirmTrade: %v", err)
				}
			}
		}

		public := millwav1.NewMarketServiceClient(ts.dial(t, ""))
		stats, err := public.GetMarketStats(t.Context(), &millwav1.GetMarketStatsRequest{Standard: fleeceStandard})
		if err != nil || stats.GetStandard() != fleeceStandard {
			t.Fatalf("GetMarketStats of whole fleeces: %v, %v", stats, err)
		}
		var cells []string
		for _, c := range stats.GetCells() {
			cells = append(cells, c.GetRegion()+" "+c.GetQualityGroup()+" "+c.GetColour())
			if c.GetQualityGroup() == "EXTRAFINA" && (c.GetTradedGrams() != 60_000 || c.GetTradeCount() != 3) {
				t.Errorf("EXTRAFINA cell %v: want 60,000 g in 3 trades", c)
			}
		}
		if !slices.Equal(cells, []string{"21 EXTRAFINA WHITE"}) {
			t.Errorf("cells of the whole fleeces' statistics: %v, want one of Puno's EXTRAFINA WHITE", cells)
		}
		// The classed fibre's statistics do not count the fleeces.
		classed, err := public.GetMarketStats(t.Context(), &millwav1.GetMarketStatsRequest{})
		if err != nil || len(classed.GetCells()) != 0 {
			t.Errorf("GetMarketStats of classed fibre: %v, %v; want no cells", classed, err)
		}
		_, err = public.GetMarketStats(t.Context(), &millwav1.GetMarketStatsRequest{Standard: fleeceStandard, QualityGroup: "BABY"})
		if st := wantCode(t, "statistics of BABY under NTP 231.300", err, codes.InvalidArgument); !slices.Equal(badRequestFields(st), []string{"quality_group"}) {
			t.Errorf("statistics of BABY under NTP 231.300 name %v, want quality_group", badRequestFields(st))
		}
	})
}

// sellerOf is the seller of the trade's lot among sellers.
func sellerOf(sellers []acopio, tr *millwav1.Trade) acopio {
	for _, s := range sellers {
		if strings.HasPrefix(tr.GetLot(), s.assoc.GetName()+"/") {
			return s
		}
	}
	panic("no seller of " + tr.GetLot())
}
