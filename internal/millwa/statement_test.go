package millwa

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestFeeRoundsHalfUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		earned int64
		bp     int32
		want   int64
	}{
		{14_700, 250, 368}, // 367.5
		{14_699, 250, 367}, // 367.475
		{8_800, 250, 220},  // exact
		{1, 5000, 1},       // 0.5
		{1, 4999, 0},       // 0.4999
		{0, 2000, 0},
		{123_456, 0, 0},
		{1_000_000_000_000, 2000, 200_000_000_000},
	} {
		if got := Fee(tc.earned, tc.bp); got != tc.want {
			t.Errorf("Fee(%d, %d) = %d, want %d", tc.earned, tc.bp, got, tc.want)
		}
	}
}

// TestBuildStatementTracesPayoutsToReceipts follows one member through two
// lots: the payout of each lot's trade is split over the member's receipts
// in that lot by their grams, exactly, and a payout of a lot built without
// receipts is left out.
func TestBuildStatementTracesPayoutsToReceipts(t *testing.T) {
	t.Parallel()
	receipts := []StatementReceipt{
		{ID: "r1", Number: 4, ReceiveDate: "2026-11-20", DeliveredGrams: 3333},
		{ID: "r2", Number: 9, ReceiveDate: "2026-11-21", DeliveredGrams: 6667},
		{ID: "r3", Number: 12, ReceiveDate: "2026-11-22", DeliveredGrams: 5000},
	}
	sources := []StatementSource{
		{LotID: "lotA", ReceiptID: "r1", Grams: 3333},
		{LotID: "lotA", ReceiptID: "r2", Grams: 6667},
		{LotID: "lotB", ReceiptID: "r3", Grams: 2000},
		{LotID: "lotB", ReceiptID: "elsewhere", Grams: 100}, // another campaign's receipt: ignored
	}
	payouts := []StatementPayout{
		{TradeID: "t1", LotID: "lotA", Grams: 9800, Amount: 14_700, Currency: "PEN"},
		{TradeID: "t2", LotID: "lotB", Grams: 1000, Amount: 2_201, Currency: "PEN"},
		{TradeID: "t3", LotID: "handTyped", Grams: 500, Amount: 999, Currency: "PEN"},
	}
	s := MemberStatement{Currency: "PEN", FeeBasisPoints: 250, PaidAmount: 1000}
	if err := BuildStatement(&s, receipts, sources, payouts); err != nil {
		t.Fatal(err)
	}
	// lotA: 9,800 g over 3,333:6,667 is 3,266.34 and 6,533.66, the gram
	// left to the larger remainder (r2); 14,700 is 4,899.51 and 9,800.49,
	// the unit to r1. lotB: r3 alone takes all of the member's payout.
	want := []StatementLine{
		{Receipt: receipts[0], DeliveredGrams: 3333, SoldGrams: 3266, EarnedAmount: 4900},
		{Receipt: receipts[1], DeliveredGrams: 6667, SoldGrams: 6534, EarnedAmount: 9800},
		{Receipt: receipts[2], DeliveredGrams: 5000, SoldGrams: 1000, EarnedAmount: 2201},
	}
	if !slices.Equal(s.Lines, want) {
		t.Errorf("lines\n%+v\nwant\n%+v", s.Lines, want)
	}
	// Earned 16,901; fee 422.525 → 423; balance 16,901 − 423 − 1,000.
	got := [5]int64{s.DeliveredGrams, s.SoldGrams, s.EarnedAmount, s.FeeAmount, s.BalanceAmount}
	if wantTotals := [5]int64{15_000, 10_800, 16_901, 423, 15_478}; got != wantTotals {
		t.Errorf("totals (delivered, sold, earned, fee, balance) %v, want %v", got, wantTotals)
	}
	if err := s.CheckBalance(15_478); err != nil {
		t.Errorf("paying the whole balance: %v", err)
	}
	if err := s.CheckBalance(15_479); ErrorCode(err) != FailedPrecondition {
		t.Errorf("paying one more than the balance: %v, want FailedPrecondition", err)
	}

	other := MemberStatement{Currency: "USD"}
	if err := BuildStatement(&other, receipts, sources, payouts[:1]); ErrorCode(err) != FailedPrecondition {
		t.Errorf("a PEN payout on a USD statement: %v, want FailedPrecondition", err)
	}
}

func TestReceiptCheck(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	valid := func() Receipt {
		return Receipt{Campaign: 2026, CollectionPoint: "Centro de acopio Ichu", ReceiveDate: "2026-11-20", FleeceCount: 2,
			NetWeightGrams: 5000, GroupGrams: map[string]int64{"BABY": 2000, "FLEECE": 3000}}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*Receipt)
		want   []string
	}{
		{"valid", func(*Receipt) {}, nil},
		{"categorised", func(r *Receipt) { r.GroupGrams, r.FleeceCategory = nil, "EXTRAFINA" }, nil},
		{"both", func(r *Receipt) { r.FleeceCategory = "FINA" }, []string{"r.group_grams"}},
		{"neither", func(r *Receipt) { r.GroupGrams = nil }, []string{"r.group_grams"}},
		{"groups do not sum", func(r *Receipt) { r.GroupGrams["BABY"]++ }, []string{"r.group_grams"}},
		{"zero group", func(r *Receipt) { r.GroupGrams["HUARIZO"] = 0 }, []string{`r.group_grams["HUARIZO"]`}},
		{"future date", func(r *Receipt) { r.ReceiveDate = "2026-12-24" }, []string{"r.receive_date"}},
		{"no fleeces", func(r *Receipt) { r.FleeceCount = 0 }, []string{"r.fleece_count"}},
		{"no collection point", func(r *Receipt) { r.CollectionPoint = "" }, []string{"r.collection_point"}},
		{"too heavy", func(r *Receipt) { r.NetWeightGrams = MaxReceiptGrams + 1 }, []string{"r.net_weight_grams"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := valid()
			tc.mutate(&r)
			var vs Violations
			r.Check(&vs, "r", now)
			if got := violationFields(t, vs.Err()); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("violations %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLotSourcesDeriveContributions(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	l := Lot{Campaign: 2026, NetWeightGrams: 9000, AskPricePerKg: 2000, Currency: "PEN", ClassificationDate: "2026-11-30",
		Sources: []Source{{ReceiptID: "a", MemberID: "m2", Grams: 4000}, {ReceiptID: "b", MemberID: "m1", Grams: 2000}, {ReceiptID: "c", MemberID: "m2", Grams: 3000}}}
	var vs Violations
	l.Check(&vs, "lot", now)
	if err := vs.Err(); err != nil {
		t.Fatalf("a lot from sources: %v", err)
	}
	l.DeriveContributions()
	if want := []Contribution{{MemberID: "m2", Grams: 7000}, {MemberID: "m1", Grams: 2000}}; !slices.Equal(l.Contributions, want) {
		t.Errorf("contributions %v, want %v", l.Contributions, want)
	}
	bad := l
	bad.Sources = []Source{{ReceiptID: "a", Grams: 4000}, {ReceiptID: "a", Grams: 5000}}
	vs = nil
	bad.Check(&vs, "lot", now)
	if got := violationFields(t, vs.Err()); !slices.Equal(got, []string{"lot.contributions"}) {
		// Contributions were derived above: both at once is refused.
		t.Errorf("sources with contributions: %v", got)
	}
	bad.Contributions = nil
	vs = nil
	bad.Check(&vs, "lot", now)
	if got := violationFields(t, vs.Err()); !slices.Equal(got, []string{"lot.sources[1].receipt"}) {
		t.Errorf("a receipt twice: %v, want lot.sources[1].receipt", got)
	}
}
