package millwa

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAmountRoundsHalfUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		price, grams, want int64
	}{
		{1500, 1000, 1500},     // S/ 15.00 a kg, 1 kg
		{1500, 333, 500},       // 499.5 rounds up
		{1500, 332, 498},       // 498.0
		{1, 499, 0},            // 0.499
		{1, 500, 1},            // 0.5 rounds up
		{3333, 46_000, 153318}, // 153,318.0
		{MaxBidPricePerKg, MaxOrderGrams, MaxBidPricePerKg * (MaxOrderGrams / 1000)},
	}
	for _, tt := range tests {
		if got := Amount(tt.price, tt.grams); got != tt.want {
			t.Errorf("Amount(%d, %d) = %d, want %d", tt.price, tt.grams, got, tt.want)
		}
	}
}

func TestLargestRemainderSumsExactly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		total   int64
		weights []int64
		want    []int64
	}{
		{100, []int64{1, 1, 1}, []int64{34, 33, 33}},                                                    // ties go to the lower index
		{10, []int64{5, 3, 2}, []int64{5, 3, 2}},                                                        // exact
		{7, []int64{1, 2, 4}, []int64{1, 2, 4}},                                                         // exact
		{8, []int64{1, 2, 4}, []int64{1, 2, 5}},                                                         // remainders 1/7, 2/7, 4/7
		{0, []int64{1, 2}, []int64{0, 0}},                                                               // nothing to share
		{5, []int64{0, 3}, []int64{0, 5}},                                                               // a zero weight gets nothing
		{1, []int64{1, 1, 1, 1}, []int64{1, 0, 0, 0}},                                                   // one unit, four equal claims
		{math.MaxInt64 / 2, []int64{1 << 40, 1 << 40}, []int64{math.MaxInt64/4 + 1, math.MaxInt64 / 4}}, // 128-bit products
	}
	for _, tt := range tests {
		if got := LargestRemainder(tt.total, tt.weights); !slices.Equal(got, tt.want) {
			t.Errorf("LargestRemainder(%d, %v) = %v, want %v", tt.total, tt.weights, got, tt.want)
		}
	}
	// Random cases: shares sum to the total and each is within one unit
	// of its exact proportion.
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		weights := make([]int64, 1+r.IntN(30))
		var sum int64
		for i := range weights {
			weights[i] = r.Int64N(100_000_000)
			sum += weights[i]
		}
		if sum == 0 {
			continue
		}
		total := r.Int64N(10_000_000_000_000)
		shares := LargestRemainder(total, weights)
		var got int64
		for i, s := range shares {
			got += s
			exact := float64(total) * float64(weights[i]) / float64(sum)
			if math.Abs(float64(s)-exact) > 1+exact*1e-9 {
				t.Fatalf("share %d of %d by %v = %d, exact %.3f", i, total, weights, s, exact)
			}
		}
		if got != total {
			t.Fatalf("shares of %d by %v sum to %d", total, weights, got)
		}
	}
}

func TestSplitPayoutsFollowsContributions(t *testing.T) {
	t.Parallel()
	// Three members contributed 20, 15 and 11 kg of a 46 kg lot; 45,080 g
	// were delivered and paid S/ 676.20.
	cs := []Contribution{{"m-c", 11_000}, {"m-a", 20_000}, {"m-b", 15_000}}
	got := SplitPayouts(cs, 45_080, 67_620)
	want := []Payout{
		{MemberID: "m-a", Grams: 19_600, Amount: 29_400},
		{MemberID: "m-b", Grams: 14_700, Amount: 22_050},
		{MemberID: "m-c", Grams: 10_780, Amount: 16_170},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("SplitPayouts = %+v, want %+v", got, want)
	}
	// An odd amount: the unit left over goes to the largest remainder.
	got = SplitPayouts([]Contribution{{"m-a", 1}, {"m-b", 1}, {"m-c", 1}}, 3, 100)
	if got[0].Amount != 34 || got[1].Amount != 33 || got[2].Amount != 33 {
		t.Fatalf("ties: %+v, want 34, 33, 33 in member order", got)
	}
}

func matchedTrade() Trade {
	return Trade{ID: "t", Grams: 46_000, PricePerKg: 1500, AmountDue: Amount(1500, 46_000), Currency: "PEN", State: TradeMatched}
}

func TestTradeLifeCycle(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)
	tr := matchedTrade()
	if err := tr.Deliver(46_000, t0, t0); ErrorCode(err) != FailedPrecondition {
		t.Fatalf("delivery of a MATCHED trade: %v, want FailedPrecondition", err)
	}
	if err := tr.Confirm(SideProcessor, t0); err != nil || tr.State != TradeMatched {
		t.Fatalf("first confirmation: %v, state %s; want MATCHED still", err, tr.State)
	}
	if err := tr.Confirm(SideProcessor, t0); ErrorCode(err) != FailedPrecondition {
		t.Fatalf("second confirmation of the same side: %v, want FailedPrecondition", err)
	}
	t1 := t0.Add(time.Hour)
	if err := tr.Confirm(SideAssociation, t1); err != nil || tr.State != TradeConfirmed || !tr.ConfirmTime.Equal(t1) {
		t.Fatalf("both confirmed: %v, state %s at %v; want CONFIRMED at %v", err, tr.State, tr.ConfirmTime, t1)
	}
	var vs Violations
	tr.CheckDelivery(&vs, 46_001, t1.Add(time.Hour), t1)
	if got := vs.Err(); got == nil || len(vs) != 2 {
		t.Fatalf("delivery over the grams, weighed in the future: %v, want two violations", got)
	}
	// A 2% shortfall reduces the amount due in proportion.
	if err := tr.Deliver(45_080, t1, t1); err != nil || tr.AmountDue != 67_620 {
		t.Fatalf("delivery of 45,080 g: %v, amount due %d, want 67,620", err, tr.AmountDue)
	}
	if err := tr.Pay(67_621, "op-1", nil, t1); ErrorCode(err) != Invalid || !strings.Contains(err.Error(), "67620") {
		t.Fatalf("payment over the amount due: %v, want Invalid naming the 67620 outstanding", err)
	}
	// Two payments that add up to the amount due, each split on its own:
	// the first leaves the trade DELIVERED, the second makes it PAID.
	cs := []Contribution{{"m-a", 20_000}, {"m-b", 26_000}}
	var grams, amount int64
	for i, pay := range []int64{20_001, 47_619} {
		if err := tr.Pay(pay, "op-1", cs, t1); err != nil || tr.NewPayment == nil || tr.NewPayment.Amount != pay {
			t.Fatalf("payment %d of %d: %v, %+v", i, pay, err, tr.NewPayment)
		}
		var pg, pa int64
		for _, p := range tr.NewPayment.Payouts {
			pg += p.Grams
			pa += p.Amount
		}
		if pg != tr.NewPayment.Grams || pa != pay {
			t.Fatalf("payment %d's payouts sum to %d g and %d, want %d g and %d", i, pg, pa, tr.NewPayment.Grams, pay)
		}
		grams += pg
		amount += pa
		if want := map[int]TradeState{0: TradeDelivered, 1: TradePaid}[i]; tr.State != want || tr.PaidAmount != amount {
			t.Fatalf("after payment %d: %s, paid %d; want %s, %d", i, tr.State, tr.PaidAmount, want, amount)
		}
		if i == 0 {
			if err := tr.Pay(47_620, "op-2", cs, t1); ErrorCode(err) != Invalid || !strings.Contains(err.Error(), "47619") {
				t.Fatalf("paying more than the 47619 left: %v, want Invalid naming it", err)
			}
		}
	}
	if grams != 45_080 || amount != 67_620 {
		t.Fatalf("payouts sum to %d g and %d, want 45,080 g and 67,620", grams, amount)
	}
	if err := tr.Pay(1, "op-3", cs, t1); ErrorCode(err) != FailedPrecondition {
		t.Fatalf("paying a PAID trade: %v, want FailedPrecondition", err)
	}
	if err := tr.Confirm(SideAssociation, t1); ErrorCode(err) != FailedPrecondition {
		t.Fatalf("confirming a PAID trade: %v, want FailedPrecondition", err)
	}
}

func TestParseTradeState(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]TradeState{"MATCHED": TradeMatched, "trade_state_paid": TradePaid, "Cancelled": TradeCancelled} {
		if got, ok := ParseTradeState(in); !ok || got != want {
			t.Errorf("ParseTradeState(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "TRADE_STATE_UNSPECIFIED", "SOLD"} {
		if _, ok := ParseTradeState(in); ok {
			t.Errorf("ParseTradeState(%q) accepted", in)
		}
	}
}

// TestStateRefusalsSpeakSpanish checks that the refusals of a step taken
// in the wrong state reach a Spanish reader in Spanish, with the state
// and the party named, and keep their reason.
func TestStateRefusalsSpeakSpanish(t *testing.T) {
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	confirmed := &Trade{State: TradeMatched}
	if err := confirmed.Confirm(SideAssociation, now); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, reason, want string
		err                error
	}{
		{"confirm twice", "TRADE_ALREADY_CONFIRMED", "la asociación ya confirmó esta operación; espera a la otra parte",
			confirmed.Confirm(SideAssociation, now)},
		{"confirm a paid trade", "TRADE_NOT_MATCHED", "la operación está PAID: solo una operación MATCHED puede confirmarse",
			(&Trade{State: TradePaid}).Confirm(SideProcessor, now)},
		{"deliver a matched trade", "TRADE_NOT_CONFIRMED", "la operación está MATCHED: la entrega se registra solo en una operación CONFIRMED",
			(&Trade{State: TradeMatched}).Deliver(1000, now, now)},
		{"pay a confirmed trade", "TRADE_NOT_DELIVERED", "la operación está CONFIRMED: el pago se registra solo en una operación DELIVERED",
			(&Trade{State: TradeConfirmed}).Pay(100, "ref", nil, now)},
		{"claim a paid trade", "TRADE_NOT_CLAIMABLE", "la operación está PAID: un reclamo se presenta después de la entrega y antes de cualquier pago",
			(&Trade{State: TradePaid}).CanFileClaim()},
		{"decide a closed claim", "CLAIM_NOT_REFERRED", "el reclamo está UPHELD: este paso necesita un reclamo en estado REFERRED",
			ClaimNotState(&Claim{State: ClaimUpheld}, ClaimReferred)},
		{"cancel an expired order", "PURCHASE_ORDER_NOT_CANCELLABLE", "la orden de compra está EXPIRED: solo una orden OPEN, PARTIALLY_FILLED o FILLED puede cancelarse",
			(&PurchaseOrder{State: OrderExpired}).CanCancel()},
		{"overpay a member", "PAYMENT_EXCEEDS_BALANCE", "el pago de 5000 supera el saldo del socio, 4999 unidades menores de PEN, en la campaña 2026",
			(&MemberStatement{BalanceAmount: 4999, Currency: "PEN", Campaign: 2026}).CheckBalance(5000)},
	}
	for _, tt := range tests {
		var e *Error
		if !errors.As(tt.err, &e) {
			t.Fatalf("%s: error %v is not a *Error", tt.name, tt.err)
		}
		if e.Code != FailedPrecondition || e.Reason != tt.reason {
			t.Errorf("%s: code %v reason %q, want FailedPrecondition %q", tt.name, e.Code, e.Reason, tt.reason)
		}
		if got := e.Text(Spanish); got != tt.want {
			t.Errorf("%s: Spanish text\n got %q\nwant %q", tt.name, got, tt.want)
		}
		if e.Text(English) == e.Text(Spanish) {
			t.Errorf("%s: English and Spanish texts are the same: %q", tt.name, e.Text(English))
		}
	}
}
