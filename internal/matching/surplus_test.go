package matching_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"testing"

	"github.com/millwa/millwa/internal/matching"
)

// bigSurplus is Σ (bid − ask) × grams over r's allocations, computed with
// big integers from the book's prices.
func bigSurplus(t *testing.T, b matching.Book, r matching.Result) *big.Int {
	t.Helper()
	bids, asks := map[string]int64{}, map[string]int64{}
	for _, o := range b.Orders {
		bids[o.ID] = o.Bid
	}
	for _, l := range b.Lots {
		asks[l.ID] = l.Ask
	}
	sum := new(big.Int)
	for _, a := range r.Allocations {
		term := big.NewInt(bids[a.OrderID] - asks[a.LotID])
		sum.Add(sum, term.Mul(term, big.NewInt(a.Grams)))
	}
	return sum
}

// millwaLimitBook is a book within Millwa's own limits (lots of 100 t at 1
// céntimo a kilogram, orders of 10,000 t at a million soles a kilogram)
// whose surplus exceeds an int64: lots × 10^8 g × (10^8 − 1).
func millwaLimitBook(lots, orders int) matching.Book {
	var b matching.Book
	for j := range lots {
		b.Lots = append(b.Lots, white(fmt.Sprintf("L%04d", j), int64(j), "FLEECE", 100_000_000, 1))
	}
	for i := range orders {
		b.Orders = append(b.Orders, buyer(fmt.Sprintf("O%03d", i), int64(i), []string{"FLEECE"}, 10_000_000_000, 100_000_000))
	}
	return b
}

// TestSurplusBeyondInt64 clears books at the limits whose gains from trade
// do not fit an int64 (Clear used to refuse them, and with them every
// clearing of the market) and checks that every mode reports the exact
// figure, equal to the sum over the allocations in big integers.
func TestSurplusBeyondInt64(t *testing.T) {
	t.Parallel()
	millwa := millwaLimitBook(1000, 10)
	// An ordinary 1 kg order beside the huge book still clears.
	withKilo := millwaLimitBook(1000, 10)
	withKilo.Lots = append(withKilo.Lots, white("small", 5000, "FLEECE", 1000, 2000))
	withKilo.Orders = append(withKilo.Orders, buyer("kilo", 5000, []string{"FLEECE"}, 1000, 2500))
	engine := matching.Book{
		Lots: []matching.Lot{
			{ID: "L1", Group: "G", Grams: matching.MaxGrams, Ask: 0},
			{ID: "L2", Group: "G", Grams: matching.MaxGrams, Ask: 0},
		},
		Orders: []matching.Order{
			{ID: "O1", Grams: matching.MaxGrams, Bid: matching.MaxPrice},
			{ID: "O2", Grams: matching.MaxGrams, Bid: matching.MaxPrice},
		},
	}
	for _, tc := range []struct {
		name  string
		book  matching.Book
		want  string // the exact surplus in decimal
		grams int64
	}{
		{"1,000 lots of 100 t at Millwa's widest margin", millwa, "9999999900000000000", 100_000_000_000},
		{"the same and an ordinary 1 kg order", withKilo, "9999999900000500000", 100_000_001_000},
		// 2 × 2^38 g × 2^32 = 2^71.
		{"the engine's largest lots and prices", engine, "2361183241434822606848", 2 * matching.MaxGrams},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for mode, solve := range map[string]func(matching.Book) (matching.Result, error){
				"Clear": matching.Clear, "ClearInTwoStages": matching.ClearInTwoStages, "FirstComeFirstServed": matching.FirstComeFirstServed,
			} {
				r, err := solve(tc.book)
				if err != nil {
					t.Fatalf("%s: %v", mode, err)
				}
				if got := r.Surplus.String(); got != tc.want || r.GramsAllocated != tc.grams {
					t.Errorf("%s: surplus %s, %d g; want %s, %d g", mode, got, r.GramsAllocated, tc.want, tc.grams)
				}
				if sum := bigSurplus(t, tc.book, r); sum.Cmp(r.Surplus.Big()) != 0 {
					t.Errorf("%s: surplus %s, allocations sum to %s", mode, r.Surplus, sum)
				}
				if v, ok := r.Surplus.Int64(); ok || v != math.MaxInt64 {
					t.Errorf("%s: Int64() = %d, %v; want it saturated at MaxInt64 and false", mode, v, ok)
				}
			}
		})
	}
}

// TestSurplusBoundHolds builds the greatest surplus the limits allow,
// MaxItems allocations of MaxGrams at margin MaxPrice (2^92), by doubling
// the surplus of one such allocation, and checks every step and the
// rounding to minor units against big integers: the carries between the
// words are right and the bound leaves the top of the 128 bits unused.
func TestSurplusBoundHolds(t *testing.T) {
	t.Parallel()
	one, err := matching.Clear(matching.Book{
		Lots:   []matching.Lot{{ID: "L", Grams: matching.MaxGrams, Ask: 0}},
		Orders: []matching.Order{{ID: "O", Grams: matching.MaxGrams, Bid: matching.MaxPrice}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s, want := one.Surplus, new(big.Int).Lsh(big.NewInt(1), 70)
	for n := 1; ; n *= 2 {
		if s.Big().Cmp(want) != 0 {
			t.Fatalf("%d allocations: surplus %s, want %s", n, s, want)
		}
		if n == matching.MaxItems {
			break
		}
		s, want = s.Add(s), want.Lsh(want, 1)
	}
	if want.BitLen() != 93 {
		t.Fatalf("bound 2^%d, want 2^92", want.BitLen()-1)
	}
	// Rounded half up to minor units: (s + 500) / 1000.
	rounded := new(big.Int).Add(want, big.NewInt(500))
	rounded.Quo(rounded, big.NewInt(1000))
	if got := s.DivRound(1000); got.Big().Cmp(rounded) != 0 {
		t.Errorf("DivRound(1000) = %s, want %s", got, rounded)
	}
	if s.Cmp(one.Surplus) <= 0 || one.Surplus.Cmp(s) >= 0 || s.Cmp(s) != 0 {
		t.Errorf("Cmp orders %s and %s wrongly", s, one.Surplus)
	}
}

// TestSurplusConversions covers rounding half up, saturation and the JSON
// form, which keeps every digit.
func TestSurplusConversions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want int64 }{{0, 0}, {499, 0}, {500, 1}, {1499, 1}, {1500, 2}, {27_000_000, 27_000}} {
		if got, _ := matching.SurplusOf(tc.in).DivRound(1000).Int64(); got != tc.want {
			t.Errorf("DivRound(1000) of %d = %d, want %d", tc.in, got, tc.want)
		}
	}
	if v, ok := matching.SurplusOf(math.MaxInt64).Int64(); !ok || v != math.MaxInt64 {
		t.Errorf("MaxInt64 converts to %d, %v", v, ok)
	}
	big := matching.SurplusOf(math.MaxInt64).Add(matching.SurplusOf(1))
	if v, ok := big.Int64(); ok || v != math.MaxInt64 || big.String() != "9223372036854775808" {
		t.Errorf("2^63 converts to %d, %v, %s", v, ok, big)
	}
	huge := big.Add(big).Add(big).Add(big) // 2^65, beyond one word
	b, err := json.Marshal(matching.Result{Surplus: huge})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"allocations":null,"surplus":36893488147419103232,"grams_allocated":0}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var back matching.Result
	if err := json.Unmarshal(b, &back); err != nil || back.Surplus != huge {
		t.Errorf("JSON round trip: %v, %v", back.Surplus, err)
	}
	if err := json.Unmarshal([]byte(`{"surplus":-1}`), &back); err == nil {
		t.Error("a negative surplus was accepted")
	}
}
