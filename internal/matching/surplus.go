package matching

import (
	"cmp"
	"fmt"
	"math"
	"math/big"
	"math/bits"
)

// Surplus is a non-negative gains-from-trade figure held exactly in 128
// bits.
//
// An int64 is not enough: within the engine's limits one allocation's
// margin × grams reaches MaxPrice × MaxGrams = 2^70, and within Millwa's
// own (100 t lots, a million soles a kilogram) about 923 lots at the widest
// margin already pass 2^63. 128 bits always are: every term is at most
// MaxPrice × its grams, and the grams of all allocations together are at
// most the lots' grams, MaxItems × MaxGrams, so a book's surplus is below
// MaxPrice × MaxItems × MaxGrams = 2^32 × 2^22 × 2^38 = 2^92. Adding
// terms, and the rounding in DivRound, therefore never carry out of the
// high word, and Surplus needs no overflow checks.
type Surplus struct{ hi, lo uint64 }

// SurplusOf is v as a Surplus; v must not be negative.
func SurplusOf(v int64) Surplus {
	if v < 0 {
		panic(fmt.Sprintf("matching: negative surplus %d", v))
	}
	return Surplus{lo: uint64(v)}
}

// gains is the surplus of grams sold at margin bid − ask, both at most
// MaxGrams and MaxPrice: below 2^70, so the full 128-bit product is kept.
func gains(margin, grams int64) Surplus {
	hi, lo := bits.Mul64(uint64(margin), uint64(grams))
	return Surplus{hi, lo}
}

// Add is s + t.
func (s Surplus) Add(t Surplus) Surplus {
	lo, carry := bits.Add64(s.lo, t.lo, 0)
	hi, _ := bits.Add64(s.hi, t.hi, carry)
	return Surplus{hi, lo}
}

// Cmp is −1, 0 or +1 as s is less than, equal to or greater than t.
func (s Surplus) Cmp(t Surplus) int {
	return cmp.Or(cmp.Compare(s.hi, t.hi), cmp.Compare(s.lo, t.lo))
}

// Equal reports whether s and t are the same figure.
func (s Surplus) Equal(t Surplus) bool { return s == t }

// DivRound is s ÷ d rounded half up, for example d = 1000 to turn
// minor units × grams into minor units; d must be positive.
func (s Surplus) DivRound(d uint64) Surplus {
	n := s.Add(Surplus{lo: d / 2})
	q1, r := n.hi/d, n.hi%d
	q0, _ := bits.Div64(r, n.lo, d)
	return Surplus{q1, q0}
}

// Int64 is s as an int64, and false, with math.MaxInt64, when it does not
// fit: callers that must report an int64 saturate rather than wrap.
func (s Surplus) Int64() (int64, bool) {
	if s.hi != 0 || s.lo > math.MaxInt64 {
		return math.MaxInt64, false
	}
	return int64(s.lo), true
}

// Big is s as a big.Int.
func (s Surplus) Big() *big.Int {
	b := new(big.Int).SetUint64(s.hi)
	b.Lsh(b, 64)
	return b.Or(b, new(big.Int).SetUint64(s.lo))
}

// String is s in decimal.
func (s Surplus) String() string { return s.Big().String() }

// Float64 is s rounded to a float64, for display and metrics.
func (s Surplus) Float64() float64 {
	f, _ := new(big.Float).SetInt(s.Big()).Float64()
	return f
}

// MarshalJSON writes s as a JSON number, all of its digits.
func (s Surplus) MarshalJSON() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalJSON reads a JSON number written by MarshalJSON; it refuses a
// negative, fractional or wider number.
func (s *Surplus) UnmarshalJSON(b []byte) error {
	v, ok := new(big.Int).SetString(string(b), 10)
	if !ok || v.Sign() < 0 || v.BitLen() > 128 {
		return fmt.Errorf("matching: surplus %s is not an integer in [0, 2^128)", b)
	}
	lo := new(big.Int).And(v, new(big.Int).SetUint64(math.MaxUint64))
	*s = Surplus{hi: new(big.Int).Rsh(v, 64).Uint64(), lo: lo.Uint64()}
	return nil
}
