package market

import (
	"math"
	"testing"

	"github.com/millwa/millwa/internal/allocation"
	"github.com/millwa/millwa/internal/matching"
)

// TestSummarySaturatesBeyondInt64 checks the promise of ClearingSummary's
// comment for a surplus no test book can reach through the API (some
// 922,000 lots of 100 t): total_surplus saturates at the largest int64
// rather than wrapping to a negative figure, and total_surplus_decimal
// carries every digit; below that both agree.
func TestSummarySaturatesBeyondInt64(t *testing.T) {
	t.Parallel()
	huge := matching.SurplusOf(math.MaxInt64).Add(matching.SurplusOf(math.MaxInt64)).Add(matching.SurplusOf(2)) // 2^64
	for _, tc := range []struct {
		surplus matching.Surplus
		want    int64
		decimal string
	}{
		{matching.SurplusOf(27_000), 27_000, "27000"},
		{matching.SurplusOf(math.MaxInt64), math.MaxInt64, "9223372036854775807"},
		{huge, math.MaxInt64, "18446744073709551616"},
	} {
		p := summaryToProto(allocation.Summary{Mode: allocation.Optimal, Surplus: tc.surplus})
		if p.GetTotalSurplus() != tc.want || p.GetTotalSurplusDecimal() != tc.decimal {
			t.Errorf("surplus %s: total_surplus %d, total_surplus_decimal %q; want %d, %q",
				tc.surplus, p.GetTotalSurplus(), p.GetTotalSurplusDecimal(), tc.want, tc.decimal)
		}
	}
}
