package grading

import (
	"math"
	"strconv"
	"strings"
)

// halfTolerance is how close, in resolution steps, a quotient must be to a
// half to be rounded as a half. Decimal inputs such as 20.05 are not exact in
// binary (20.05 / 0.1 = 200.49999999999997), and a laboratory that writes
// 20.05 means the half.
const halfTolerance = 1e-9

// maxStep bounds the quotients toStep accepts, far above any diameter.
const maxStep = 1 << 52

// toStep returns x / res rounded to an integer, halves away from zero. It
// reports false when x or res make no sensible step (NaN, infinite, or out
// of range).
func toStep(x, res float64) (int64, bool) {
	q := x / res
	if math.IsNaN(q) || math.Abs(q) > maxStep {
		return 0, false
	}
	a := math.Abs(q)
	f := math.Floor(a)
	if a-f >= 0.5-halfTolerance {
		f++
	}
	if q < 0 {
		f = -f
	}
	return int64(f), true
}

// onGrid reports whether x is a whole number of res steps.
func onGrid(x, res float64) bool {
	q := x / res
	return math.Abs(q-math.Round(q)) < 1e-6
}

// decimals returns how many decimals are needed to write multiples of res,
// at most 6.
func decimals(res float64) int {
	for d := 0; d < 6; d++ {
		if onGrid(res*math.Pow10(d), 1) {
			return d
		}
	}
	return 6
}

// fixed writes x with d decimals.
func fixed(x float64, d int) string {
	return strconv.FormatFloat(x, 'f', d, 64)
}

// trimmed writes x with at most d decimals, without trailing zeros.
func trimmed(x float64, d int) string {
	return trimmedTo(fixed(x, d), 0)
}

// stepValue writes step k of res with the resolution's decimals.
func stepValue(k int64, res float64) string {
	return fixed(float64(k)*res, decimals(res))
}

// consistent writes x with the fewest decimals, from least up, whose
// written value is judged as x itself is, so that a text never shows "20.05
// rounded to 20.0" or "70.00 % is below 70 %"; trailing zeros are dropped
// down to keep decimals.
func consistent(x float64, least, keep int, same func(float64) bool) string {
	for d := least; d <= 12; d++ {
		s := fixed(x, d)
		v, err := strconv.ParseFloat(s, 64)
		if err == nil && same(v) {
			return trimmedTo(s, keep)
		}
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// trimmedTo drops trailing zeros of a written decimal down to keep decimals.
func trimmedTo(s string, keep int) string {
	dot := strings.IndexByte(s, '.')
	if dot < 0 {
		return s
	}
	for len(s) > dot+1+keep && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return strings.TrimSuffix(s, ".")
}

// grouped writes n with commas between thousands: 2,100.
func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// bandText writes a band for people: "20.1–23.0 µm", "≤ 20.0 µm",
// "≥ 31.6 µm", or any diameter.
func bandText(b Band, res float64) Text {
	d := decimals(res)
	switch {
	case b.MinUm != nil && b.MaxUm != nil:
		s := fixed(*b.MinUm, d) + "–" + fixed(*b.MaxUm, d) + " µm"
		return Text{ES: s, EN: s}
	case b.MaxUm != nil:
		s := "≤ " + fixed(*b.MaxUm, d) + " µm"
		return Text{ES: s, EN: s}
	case b.MinUm != nil:
		s := "≥ " + fixed(*b.MinUm, d) + " µm"
		return Text{ES: s, EN: s}
	}
	return Text{ES: "cualquier diámetro", EN: "any diameter"}
}
