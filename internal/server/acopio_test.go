package server_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// Standards of the acopio tests: classed fibre and whole fleeces.
const (
	classedStandard = "standards/pe-ntp-231-301-2014"
	fleeceStandard  = "standards/pe-ntp-231-300-2014"
)

// acopio is an association with a fee, its members, a classifier and a
// key, for receipts.
type acopio struct {
	lotFixture
	reg millwav1.RegistryServiceClient
}

// acopioFixture registers an association withholding feeBP basis points
// with n members.
func (ts *testServer) acopioFixture(t *testing.T, n int, feeBP int32) acopio {
	t.Helper()
	admin := millwav1.NewRegistryServiceClient(ts.conn)
	a := newAssociation(int(fixtureN.Add(1)), "210101")
	a.FeeBasisPoints = feeBP
	resp, err := admin.CreateAssociation(t.Context(), &millwav1.CreateAssociationRequest{Association: a})
	if err != nil {
		t.Fatalf("CreateAssociation: %v", err)
	}
	f := acopio{lotFixture: lotFixture{assoc: resp.GetAssociation()}}
	if got := f.assoc.GetFeeBasisPoints(); got != feeBP {
		t.Fatalf("association's fee_basis_points = %d, want %d", got, feeBP)
	}
	for i := range n {
		m := ts.mustCreateMember(t, f.assoc.GetName(), newMember(fmt.Sprintf("Socia %02d", i), millwav1.Sex_SEX_FEMALE, 40))
		f.members = append(f.members, m.GetName())
	}
	f.classifier = ts.mustCreateClassifier(t, f.assoc.GetName(), newClassifier("Maestra Clasificadora")).GetName()
	_, f.secret = ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, f.assoc.GetName(), false)
	f.reg = millwav1.NewRegistryServiceClient(ts.dial(t, f.secret))
	return f
}

// classed is a receipt of classed white Huacaya fibre of campaign 2026.
func (f acopio) classed(member string, groups map[string]int64) *millwav1.Receipt {
	var net int64
	for _, g := range groups {
		net += g
	}
	return &millwav1.Receipt{
		Member: member, Standard: classedStandard, Campaign: 2026,
		CollectionPoint: "Centro de acopio Ichu", ReceiveDate: "2026-11-20", Breed: "HUACAYA", Colour: "WHITE",
		FleeceCount: 2, NetWeightGrams: net, Classifier: f.classifier, GroupGrams: groups,
	}
}

// categorised is a receipt of whole white Huacaya fleeces of a category.
func (f acopio) categorised(member, category string, grams int64) *millwav1.Receipt {
	return &millwav1.Receipt{
		Member: member, Standard: fleeceStandard, Campaign: 2026, CollectionPoint: "Centro de acopio Ichu",
		ReceiveDate: "2026-11-21", Breed: "HUACAYA", Colour: "WHITE", FleeceCount: 1, NetWeightGrams: grams,
		Classifier: f.classifier, FleeceCategory: category,
	}
}

// receive records a receipt as the association.
func (f acopio) receive(t *testing.T, r *millwav1.Receipt) *millwav1.Receipt {
	t.Helper()
	resp, err := f.reg.CreateReceipt(t.Context(), &millwav1.CreateReceiptRequest{Parent: f.assoc.GetName(), Receipt: r})
	if err != nil {
		t.Fatalf("CreateReceipt: %v", err)
	}
	return resp.GetReceipt()
}

// lotFrom is a lot of the group drawn from sources, at ask a kilogram.
func (f acopio) lotFrom(standard, group string, ask int64, sources ...*millwav1.LotSource) *millwav1.Lot {
	var net int64
	for _, s := range sources {
		net += s.GetGrams()
	}
	return &millwav1.Lot{
		Standard: standard, Campaign: 2026, Breed: "HUACAYA", Colour: "WHITE", DeclaredQualityGroup: group,
		Classifier: f.classifier, NetWeightGrams: net, AskPricePerKg: ask, CollectionPoint: "Centro de acopio Ichu",
		Sources: sources,
	}
}

// wantLine is a statement line as the test computes it by hand.
type wantLine struct{ delivered, sold, earned int64 }

// wantStatement is a statement's totals as the test computes them by
// hand.
type wantStatement struct {
	lines                                           []wantLine
	delivered, sold, earned, fee, paid, balanceWant int64
}

func checkStatement(t *testing.T, who string, st *millwav1.MemberStatement, want wantStatement) {
	t.Helper()
	var got []wantLine
	for _, l := range st.GetLines() {
		got = append(got, wantLine{l.GetDeliveredGrams(), l.GetSoldGrams(), l.GetEarnedAmount()})
	}
	gotTotals := [6]int64{st.GetDeliveredGrams(), st.GetSoldGrams(), st.GetEarnedAmount(), st.GetFeeAmount(), st.GetPaidAmount(), st.GetBalanceAmount()}
	wantTotals := [6]int64{want.delivered, want.sold, want.earned, want.fee, want.paid, want.balanceWant}
	if !slices.Equal(got, want.lines) || gotTotals != wantTotals {
		t.Errorf("%s: lines %v totals (delivered, sold, earned, fee, paid, balance) %v;\nwant lines %v totals %v", who, got, gotTotals, want.lines, wantTotals)
	}
}

// TestAcopioSettlement is the acopio from deliveries to settlement: 30
// members deliver 60 receipts, 20 members' classed fibre and 10 members'
// whole EXTRAFINA fleeces; three lots are built from the receipts; an
// order for white BABY buys the BABY lot and an order for EXTRAFINA white
// fleeces buys the categorised lot, delivered 2 % short; after payment
// each member's statement is what the hand calculation below says, and the
// statements sum exactly to what the processors paid less the fees.
func TestAcopioSettlement(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		// A fee of 2.5 %: 250 basis points.
		f := ts.acopioFixture(t, 30, 250)

		// Members 0–19 deliver twice 2,000 g of BABY and 3,000 g of FLEECE;
		// members 20–28 two whole-fleece deliveries of 4,000 g and 6,000 g,
		// member 29 of 3,333 g and 6,667 g, all EXTRAFINA.
		receipts := make([][2]*millwav1.Receipt, 30)
		var numbers []int64
		for i, m := range f.members {
			for j := range 2 {
				var r *millwav1.Receipt
				switch {
				case i < 20:
					r = f.receive(t, f.classed(m, map[string]int64{"BABY": 2000, "FLEECE": 3000}))
				case i < 29:
					r = f.receive(t, f.categorised(m, "EXTRAFINA", []int64{4000, 6000}[j]))
				default:
					r = f.receive(t, f.categorised(m, "EXTRAFINA", []int64{3333, 6667}[j]))
				}
				receipts[i][j] = r
				numbers = append(numbers, r.GetReceiptNumber())
			}
		}
		for i, n := range numbers {
			if n != int64(i+1) {
				t.Fatalf("receipt numbers %v: want 1 to 60 in order", numbers)
			}
		}
		if r := receipts[29][1]; r.GetUnusedGrams()["EXTRAFINA"] != 6667 || r.GetState() != millwav1.ReceiptState_RECEIPT_STATE_ACTIVE {
			t.Fatalf("categorised receipt %v: want 6,667 g of EXTRAFINA unused, ACTIVE", r)
		}

		// Three lots: BABY and FLEECE from the classed receipts, the
		// EXTRAFINA fleeces from the others.
		var baby, fleece, extra []*millwav1.LotSource
		for i := range 30 {
			for _, r := range receipts[i] {
				if i < 20 {
					baby = append(baby, &millwav1.LotSource{Receipt: r.GetName(), Grams: 2000})
					fleece = append(fleece, &millwav1.LotSource{Receipt: r.GetName(), Grams: 3000})
				} else {
					extra = append(extra, &millwav1.LotSource{Receipt: r.GetName(), Grams: r.GetNetWeightGrams()})
				}
			}
		}
		lots := map[string]*millwav1.Lot{}
		for _, l := range []*millwav1.Lot{
			f.lotFrom(classedStandard, "BABY", 2200, baby...),
			f.lotFrom(classedStandard, "FLEECE", 1800, fleece...),
			f.lotFrom(fleeceStandard, "EXTRAFINA", 1500, extra...),
		} {
			resp, err := f.reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: l})
			if err != nil {
				t.Fatalf("CreateLot %s: %v", l.GetDeclaredQualityGroup(), err)
			}
			lots[l.GetDeclaredQualityGroup()] = resp.GetLot()
		}
		if l := lots["EXTRAFINA"]; l.GetNetWeightGrams() != 100_000 || len(l.GetSources()) != 20 || len(l.GetContributions()) != 10 {
			t.Fatalf("EXTRAFINA lot: %d g, %d sources, %d contributions; want 100,000 g from 20 receipts of 10 members",
				l.GetNetWeightGrams(), len(l.GetSources()), len(l.GetContributions()))
		}
		// GetLot reads the lot with its sources and contributions as
		// CreateLot answered it.
		if got, err := f.reg.GetLot(t.Context(), &millwav1.GetLotRequest{Name: lots["EXTRAFINA"].GetName()}); err != nil {
			t.Fatalf("GetLot EXTRAFINA: %v", err)
		} else if !proto.Equal(got.GetLot(), lots["EXTRAFINA"]) {
			t.Fatalf("GetLot EXTRAFINA answers %v, CreateLot answered %v", got.GetLot(), lots["EXTRAFINA"])
		}
		for _, c := range lots["EXTRAFINA"].GetContributions() {
			if c.GetGrams() != 10_000 {
				t.Fatalf("EXTRAFINA contributions %v: each member 10,000 g, summed from their receipts", lots["EXTRAFINA"].GetContributions())
			}
		}

		// The categorised lot's label names its category and whole fleeces.
		lbl, err := f.reg.GetLotLabel(t.Context(), &millwav1.GetLotLabelRequest{Name: lots["EXTRAFINA"].GetName()})
		if err != nil || lbl.GetLabel().GetQualityGroupName().GetEs() != "Extrafina" || lbl.GetLabel().GetProductName().GetEs() != "Fibra de alpaca en vellón" {
			t.Fatalf("label of the EXTRAFINA lot: %v, %v", lbl, err)
		}

		// An agency check-grades the categorised lot from the weights it
		// classes out of a sample of its fleeces: 80 % fine fibre is
		// EXTRAFINA, as declared; 30 % is GRUESA, three categories coarser.
		agency, agencyKey := ts.createAgency(t, "21")
		audit := millwav1.NewAuditServiceClient(ts.dial(t, agencyKey))
		for _, c := range []struct {
			grams    map[string]int64
			category string
			offset   int32
		}{
			{map[string]int64{"BABY": 700, "FLEECE": 100, "HUARIZO": 200}, "EXTRAFINA", 0},
			{map[string]int64{"BABY": 300, "HUARIZO": 700}, "GRUESA", 3},
		} {
			resp, err := audit.RecordCheckGrading(t.Context(), &millwav1.RecordCheckGradingRequest{Parent: agency.GetName(),
				CheckGrading: &millwav1.CheckGrading{Lot: lots["EXTRAFINA"].GetName(), ClassedGrams: c.grams}})
			if err != nil || resp.GetCheckGrading().GetCheckGrade() != nil || resp.GetCheckGrading().GetGroupOffset() != c.offset ||
				resp.GetCheckGrading().GetDeclaredQualityGroup() != "EXTRAFINA" {
				t.Fatalf("check of the EXTRAFINA lot classed %v: %v, %v; want %s, offset %d", c.grams, resp, err, c.category, c.offset)
			}
		}
		// The consistency report on whole fleeces reads the latest check of
		// the lot: GRUESA against EXTRAFINA, declared three categories finer.
		rep, err := audit.GetConsistencyReport(t.Context(), &millwav1.GetConsistencyReportRequest{Standard: fleeceStandard,
			Scope:     &millwav1.GetConsistencyReportRequest_Association{Association: f.assoc.GetName()},
			StartTime: timestamppb.New(time.Now().Add(-time.Hour)), EndTime: timestamppb.New(time.Now().Add(time.Hour))})
		if o := rep.GetConsistencyReport().GetOverall(); err != nil || o.GetCheckCount() != 1 || o.GetExactAgreementCount() != 0 || o.GetDeclaredFinerCount() != 1 ||
			!slices.Equal(rep.GetConsistencyReport().GetConfusionMatrix().GetQualityGroups(), []string{"EXTRAFINA", "FINA", "SEMIFINA", "GRUESA"}) {
			t.Fatalf("consistency report on whole fleeces: %v, %v", rep, err)
		}
		_, err = audit.RecordCheckGrading(t.Context(), &millwav1.RecordCheckGradingRequest{Parent: agency.GetName(),
			CheckGrading: &millwav1.CheckGrading{Lot: lots["EXTRAFINA"].GetName(), ClassedGrams: map[string]int64{"EXTRAFINA": 10}}})
		if st := wantCode(t, "classed weights in a category", err, codes.InvalidArgument); !slices.Equal(badRequestFields(st), []string{`check_grading.classed_grams["EXTRAFINA"]`}) {
			t.Fatalf("a category among the classed weights names %v", badRequestFields(st))
		}

		// A receipt's grams are never used twice; a used receipt cannot be
		// voided.
		_, err = f.reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: f.assoc.GetName(),
			Lot: f.lotFrom(classedStandard, "BABY", 2200, &millwav1.LotSource{Receipt: receipts[0][0].GetName(), Grams: 1})})
		if st := wantCode(t, "a lot from used grams", err, codes.InvalidArgument); !slices.Equal(badRequestFields(st), []string{"lot.sources[0].grams"}) {
			t.Fatalf("reused grams name %v, want lot.sources[0].grams", badRequestFields(st))
		}
		_, err = f.reg.VoidReceipt(t.Context(), &millwav1.VoidReceiptRequest{Name: receipts[0][0].GetName()})
		wantCode(t, "voiding a receipt in a lot", err, codes.FailedPrecondition)
		got, err := f.reg.GetReceipt(t.Context(), &millwav1.GetReceiptRequest{Name: receipts[0][0].GetName()})
		if err != nil || got.GetReceipt().GetUnusedGrams()["BABY"] != 0 || got.GetReceipt().GetUnusedGrams()["FLEECE"] != 0 {
			t.Fatalf("GetReceipt after both lots: %v, %v; want nothing unused", got, err)
		}

		// Two processors buy: one the BABY lot at its ask, a small one,
		// with a person's RUC, the EXTRAFINA fleeces.
		market := millwav1.NewMarketServiceClient(ts.conn)
		bigProc, bigKey := ts.createProcessor(t, "040101")
		small := newProcessor(int(fixtureN.Add(1)), "210101")
		small.Ruc = personRUC(int(fixtureN.Add(1)))
		smallResp, err := market.CreateProcessor(t.Context(), &millwav1.CreateProcessorRequest{Processor: small})
		if err != nil {
			t.Fatalf("CreateProcessor with RUC %s: %v", small.Ruc, err)
		}
		_, smallKey := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, smallResp.GetProcessor().GetName(), false)

		buy := func(key, proc, standard, group string, grams, bid int64) *millwav1.Trade {
			t.Helper()
			o := newOrder()
			o.Standard, o.AcceptedQualityGroups, o.QuantityGrams, o.BidPricePerKg = standard, []string{group}, grams, bid
			resp, err := millwav1.NewMarketServiceClient(ts.dial(t, key)).CreatePurchaseOrder(t.Context(),
				&millwav1.CreatePurchaseOrderRequest{Parent: proc, PurchaseOrder: o})
			if err != nil {
				t.Fatalf("CreatePurchaseOrder %s: %v", group, err)
			}
			trades, err := millwav1.NewMarketServiceClient(ts.dial(t, key)).ListTrades(t.Context(), &millwav1.ListTradesRequest{
				Filter: `purchase_order = "` + resp.GetPurchaseOrder().GetName() + `"`})
			if err != nil || len(trades.GetTrades()) != 1 {
				t.Fatalf("trades of the %s order: %v, %v; want one", group, trades, err)
			}
			return trades.GetTrades()[0]
		}
		babyTrade := buy(bigKey, bigProc.GetName(), classedStandard, "BABY", 80_000, 2200)
		extraTrade := buy(smallKey, smallResp.GetProcessor().GetName(), fleeceStandard, "EXTRAFINA", 100_000, 1500)
		if extraTrade.GetLot() != lots["EXTRAFINA"].GetName() || extraTrade.GetGrams() != 100_000 || extraTrade.GetPricePerKg() != 1500 {
			t.Fatalf("EXTRAFINA order's trade %v: want the whole categorised lot at 15.00", extraTrade)
		}
		// settle runs a trade to PAID, paid in the payments given, or in one
		// of the amount due.
		settle := func(tr *millwav1.Trade, key string, delivered int64, payments ...int64) int64 {
			t.Helper()
			seller := millwav1.NewMarketServiceClient(ts.dial(t, f.secret))
			buyer := millwav1.NewMarketServiceClient(ts.dial(t, key))
			for _, c := range []millwav1.MarketServiceClient{seller, buyer} {
				if _, err := c.ConfirmTrade(t.Context(), &millwav1.ConfirmTradeRequest{Name: tr.GetName()}); err != nil {
					t.Fatalf("ConfirmTrade: %v", err)
				}
			}
			d, err := buyer.RecordDelivery(t.Context(), &millwav1.RecordDeliveryRequest{Name: tr.GetName(), DeliveredGrams: delivered,
				WeighTime: timestamppb.New(time.Now().Add(-time.Hour))})
			if err != nil {
				t.Fatalf("RecordDelivery: %v", err)
			}
			if len(payments) == 0 {
				payments = []int64{d.GetTrade().GetAmountDue()}
			}
			var p *millwav1.RecordPaymentResponse
			for i, amount := range payments {
				if p, err = buyer.RecordPayment(t.Context(), &millwav1.RecordPaymentRequest{Name: tr.GetName(),
					PaidAmount: amount, PaymentReference: fmt.Sprintf("BN-%s-%d", idOf(tr.GetName())[:8], i)}); err != nil {
					t.Fatalf("RecordPayment %d: %v", i, err)
				}
			}
			if p.GetTrade().GetState() != millwav1.TradeState_TRADE_STATE_PAID {
				t.Fatalf("trade after its payments %v: %v, want PAID", payments, p.GetTrade().GetState())
			}
			return p.GetTrade().GetPaidAmount()
		}
		// BABY: 80 kg at S/ 22.00 = 176,000 céntimos. EXTRAFINA: 2 % short,
		// 98 kg at S/ 15.00 = 147,000, paid in two halves: the statements
		// sum a trade's payments per member, so they read as below.
		paidBaby, paidExtra := settle(babyTrade, bigKey, 80_000), settle(extraTrade, smallKey, 98_000, 73_500, 73_500)
		if paidBaby != 176_000 || paidExtra != 147_000 {
			t.Fatalf("paid %d and %d, want 176,000 and 147,000", paidBaby, paidExtra)
		}

		// Member 29 is paid S/ 10.00 in cash; more than the balance is
		// refused.
		pay, err := f.reg.RecordMemberPayment(t.Context(), &millwav1.RecordMemberPaymentRequest{Parent: f.members[29],
			Payment: &millwav1.MemberPayment{Campaign: 2026, Amount: 1000, Method: millwav1.PaymentMethod_PAYMENT_METHOD_CASH, Reference: "Recibo 0001"}})
		if err != nil || pay.GetStatement().GetBalanceAmount() != 13_332 {
			t.Fatalf("RecordMemberPayment: %v, %v; want a balance of 13,332 left", pay, err)
		}
		_, err = f.reg.RecordMemberPayment(t.Context(), &millwav1.RecordMemberPaymentRequest{Parent: f.members[29],
			Payment: &millwav1.MemberPayment{Campaign: 2026, Amount: 13_333, Method: millwav1.PaymentMethod_PAYMENT_METHOD_MOBILE_WALLET}})
		wantCode(t, "paying more than the balance", err, codes.FailedPrecondition)

		// The hand calculation, with the fee of 250 basis points rounded
		// half up.
		//
		// Members 0–19: the BABY trade's 176,000 over 20 equal
		// contributions of 4,000 g is 8,800 each, 4,400 a receipt (2,000 g
		// of BABY each); the FLEECE lot is unsold. Fee 8,800 × 250 /
		// 10,000 = 220. Balance 8,580.
		classedWant := wantStatement{
			lines:     []wantLine{{5000, 2000, 4400}, {5000, 2000, 4400}},
			delivered: 10_000, sold: 4000, earned: 8800, fee: 220, balanceWant: 8580,
		}
		// Members 20–28: the EXTRAFINA trade's 98,000 g and 147,000 over
		// 10 contributions of 10,000 g is 9,800 g and 14,700 each, split
		// 4:6 over the receipts: 3,920 g and 5,880; 5,880 g and 8,820.
		// Fee 14,700 × 250 / 10,000 = 367.5, rounded half up to 368.
		wholeWant := wantStatement{
			lines:     []wantLine{{4000, 3920, 5880}, {6000, 5880, 8820}},
			delivered: 10_000, sold: 9800, earned: 14_700, fee: 368, balanceWant: 14_332,
		}
		// Member 29: 9,800 g and 14,700 split 3,333:6,667. Grams 3,266.34
		// and 6,533.66: the gram left over goes to the larger remainder,
		// the second (6,534). Amounts 4,899.51 and 9,800.49: the unit goes
		// to the first (4,900). Fee 368; paid 1,000; balance 13,332.
		lastWant := wantStatement{
			lines:     []wantLine{{3333, 3266, 4900}, {6667, 6534, 9800}},
			delivered: 10_000, sold: 9800, earned: 14_700, fee: 368, paid: 1000, balanceWant: 13_332,
		}
		var sold, earned, fees, balances int64
		byMember := map[string]*millwav1.MemberStatement{}
		for i, m := range f.members {
			resp, err := f.reg.GetMemberStatement(t.Context(), &millwav1.GetMemberStatementRequest{Name: m + "/statements/2026"})
			if err != nil {
				t.Fatalf("GetMemberStatement %d: %v", i, err)
			}
			st := resp.GetStatement()
			byMember[m] = st
			switch {
			case i < 20:
				checkStatement(t, fmt.Sprintf("member %d", i), st, classedWant)
			case i < 29:
				checkStatement(t, fmt.Sprintf("member %d", i), st, wholeWant)
			default:
				checkStatement(t, "member 29", st, lastWant)
			}
			if st.GetFeeBasisPoints() != 250 || st.GetCurrencyCode() != "PEN" || st.GetMember() != m || st.GetCampaign() != 2026 {
				t.Errorf("member %d statement header %v", i, st)
			}
			// One line a receipt, in the order delivered, naming it.
			for j, l := range st.GetLines() {
				if r := receipts[i][j]; l.GetReceipt() != r.GetName() || l.GetReceiptNumber() != r.GetReceiptNumber() || l.GetReceiveDate() != r.GetReceiveDate() {
					t.Errorf("member %d statement line %d %v: want receipt %s, number %d of %s", i, j, l, r.GetName(), r.GetReceiptNumber(), r.GetReceiveDate())
				}
			}
			sold += st.GetSoldGrams()
			earned += st.GetEarnedAmount()
			fees += st.GetFeeAmount()
			balances += st.GetBalanceAmount() + st.GetPaidAmount()
		}
		// Every gram delivered to a processor is sold on some statement:
		// 80,000 g of BABY and 98,000 g of EXTRAFINA fleeces.
		if sold != 80_000+98_000 {
			t.Errorf("statements sell %d g in all, the processors received 178,000 g", sold)
		}
		if paid := paidBaby + paidExtra; earned != paid || balances != paid-fees || fees != 20*220+10*368 {
			t.Errorf("statements earn %d with fees %d and owe %d in all; the processors paid %d, so they should owe %d",
				earned, fees, balances, paid, paid-fees)
		}

		// The treasurer's export: every member's statement, seven members
		// a page, each the one GetMemberStatement gives.
		var listed []string
		token := ""
		for pages := 0; ; pages++ {
			resp, err := f.reg.ListMemberStatements(t.Context(), &millwav1.ListMemberStatementsRequest{
				Parent: f.assoc.GetName() + "/members/-", Campaign: 2026, PageSize: 7, PageToken: token})
			if err != nil {
				t.Fatalf("ListMemberStatements page %d: %v", pages, err)
			}
			for _, st := range resp.GetStatements() {
				listed = append(listed, st.GetMember())
				if want := byMember[st.GetMember()]; !proto.Equal(st, want) {
					t.Errorf("listed statement of %s\n%v\nwant what GetMemberStatement gives\n%v", st.GetMember(), st, want)
				}
			}
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
			if pages > 10 {
				t.Fatal("ListMemberStatements pages without end")
			}
		}
		if !slices.Equal(listed, f.members) {
			t.Errorf("listed the statements of %v, want every member in creation order %v", listed, f.members)
		}
		// Over REST with a read mask: the two fields asked for, of the
		// member a filter names.
		var page millwav1.ListMemberStatementsResponse
		restDo(t, ts, f.secret, "GET", "/v1/"+f.assoc.GetName()+"/members/-/statements?campaign=2026&filter="+
			url.QueryEscape(`display_name = "Socia 29"`)+"&readMask=member,balanceAmount", nil, &page)
		if len(page.GetStatements()) != 1 || page.GetStatements()[0].GetMember() != f.members[29] ||
			page.GetStatements()[0].GetBalanceAmount() != 13_332 || page.GetStatements()[0].GetEarnedAmount() != 0 || len(page.GetStatements()[0].GetLines()) != 0 {
			t.Errorf("search and read mask over REST: %v; want member 29 with its balance of 13,332 only", page.GetStatements())
		}
	})
}

// personRUC is a valid RUC of a natural person with a business (10…),
// built from n.
func personRUC(n int) string {
	first := fmt.Sprintf("10%08d", 40_000_000+n)
	return first + string(rucCheckDigit(first))
}

// rucCheckDigit is SUNAT's check digit of a RUC's first ten digits,
// computed here independently of the server's.
func rucCheckDigit(first10 string) byte {
	weights := []int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i, w := range weights {
		sum += int(first10[i]-'0') * w
	}
	return byte('0' + (11-sum%11)%10)
}
