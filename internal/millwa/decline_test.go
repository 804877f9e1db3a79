package millwa

import (
	"strings"
	"testing"
	"time"
)

func TestDeclineOnlyAMatchedTrade(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for _, st := range []TradeState{TradeMatched, TradeConfirmed, TradeDelivered, TradePaid, TradeCancelled, TradeDeclined} {
		tr := Trade{State: st}
		err := tr.Decline("sold at the fair", now)
		switch {
		case st == TradeMatched && err != nil:
			t.Errorf("declining a MATCHED trade: %v", err)
		case st == TradeMatched && (tr.State != TradeDeclined || tr.DeclineReason != "sold at the fair" || !tr.DeclineTime.Equal(now) || tr.State.Holds()):
			t.Errorf("declined trade: %+v, want DECLINED holding nothing with the reason and time", tr)
		case st != TradeMatched && (ErrorCode(err) != FailedPrecondition || !strings.Contains(err.Error(), string(st))):
			t.Errorf("declining a %s trade: %v, want FailedPrecondition naming the state", st, err)
		}
	}
}

func TestCheckDeclineReason(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		reason, want string
		ok           bool
	}{
		{"  sold at the fair ", "sold at the fair", true},
		{"", "", false},
		{"   ", "", false},
		{strings.Repeat("ñ", MaxDeclineReason), strings.Repeat("ñ", MaxDeclineReason), true},
		{strings.Repeat("a", MaxDeclineReason+1), strings.Repeat("a", MaxDeclineReason+1), false},
	} {
		var vs Violations
		got := CheckDeclineReason(&vs, "reason", tc.reason)
		if got != tc.want || (len(vs) == 0) != tc.ok {
			t.Errorf("CheckDeclineReason(%q) = %q with %v; want %q, ok %v", tc.reason, got, vs, tc.want, tc.ok)
		}
	}
}

func TestWithdrawTakesWhatIsLeftOnOffer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		lot           Lot
		wantState     LotState
		wantWithdrawn int64
		wantRefused   bool
	}{
		{"available", Lot{State: LotAvailable, NetWeightGrams: 1000}, LotWithdrawn, 1000, false},
		{"partly allocated", Lot{State: LotAllocated, NetWeightGrams: 1000, AllocatedGrams: 400}, LotAllocated, 600, false},
		{"fully allocated", Lot{State: LotAllocated, NetWeightGrams: 1000, AllocatedGrams: 1000}, LotAllocated, 0, true},
		{"rest already withdrawn", Lot{State: LotAllocated, NetWeightGrams: 1000, AllocatedGrams: 400, WithdrawnGrams: 600}, LotAllocated, 600, true},
		{"sold", Lot{State: LotSold, NetWeightGrams: 1000, AllocatedGrams: 1000}, LotSold, 0, true},
		{"withdrawn", Lot{State: LotWithdrawn, NetWeightGrams: 1000, WithdrawnGrams: 1000}, LotWithdrawn, 1000, true},
	} {
		l := tc.lot
		err := l.Withdraw()
		if (ErrorCode(err) == FailedPrecondition) != tc.wantRefused || (err != nil && !tc.wantRefused) {
			t.Errorf("%s: Withdraw = %v", tc.name, err)
		}
		if l.State != tc.wantState || l.WithdrawnGrams != tc.wantWithdrawn || l.OnOffer() != 0 {
			t.Errorf("%s: after Withdraw %s with %d g withdrawn and %d g on offer; want %s, %d, none",
				tc.name, l.State, l.WithdrawnGrams, l.OnOffer(), tc.wantState, tc.wantWithdrawn)
		}
	}
}
