package consistency

import (
	"fmt"
	"math"
)

// Z95 is the standard normal quantile of 0.975: a 95 % two-sided interval
// is the estimate ± Z95 standard errors.
const Z95 = 1.959963984540054

// MinKappaPairs is the fewest pairs for which kappa is defined. With a
// single pair the chance agreement is computed from one observation per
// rater and the standard error is zero, which says nothing; the service
// reports kappa as absent below two checks.
const MinKappaPairs = 2

// chanceTolerance is how close to 1 the chance agreement p_e may come
// before kappa is undefined: 1 − p_e is its denominator.
const chanceTolerance = 1e-12

// Kappa is Cohen's kappa, weighted or not, with its large-sample standard
// errors. It never holds NaN or ±Inf, so it can be serialised as is: when
// Defined is false every statistic but N, Observed and Expected is 0.
type Kappa struct {
	// Defined is false when there are fewer than MinKappaPairs pairs, or
	// when the chance agreement p_e is 1 (both raters put every pair in the
	// same single category, so agreement cannot be told from chance).
	Defined bool
	// Value is κ = (p_o − p_e) / (1 − p_e).
	Value float64
	// SE is the non-null large-sample standard error of Fleiss, Cohen and
	// Everitt (1969), the one for a confidence interval; 0 for a perfect
	// agreement (κ = 1).
	SE float64
	// CILow and CIHigh are Value ∓ Z95·SE, clipped to [−1, 1].
	CILow, CIHigh float64
	// NullSE is the standard error under the hypothesis κ = 0 (Fleiss,
	// Cohen and Everitt 1969), the one for a test of κ = 0.
	NullSE float64
	// Z is Value / NullSE, the test statistic of κ = 0; 0 when NullSE is 0.
	Z float64
	// Observed is the (weighted) observed agreement p_o, Expected the
	// (weighted) chance agreement p_e; both 0 when there are no pairs.
	Observed, Expected float64
	// N is the number of pairs.
	N int
}

// CohenKappa is Cohen's (1960) unweighted kappa of a K×K count matrix
// (rows: first rater, here the declared group; columns: second rater, the
// checked group), with its standard errors.
func CohenKappa(counts [][]int) (Kappa, error) {
	w := make([][]float64, len(counts))
	for i := range w {
		w[i] = make([]float64, len(counts))
		w[i][i] = 1
	}
	return WeightedKappa(counts, w)
}

// WeightedKappa is Cohen's (1968) weighted kappa of a K×K count matrix under
// the agreement weights w (w_ii = 1, 0 ≤ w_ij ≤ 1; they need not be
// symmetric), with the large-sample standard errors of Fleiss, Cohen and
// Everitt (1969).
//
// With n pairs, cell proportions p_ij = n_ij/n, row margins p_i· and column
// margins p_·j:
//
//	p_o = Σ_ij w_ij p_ij                      observed agreement
//	p_e = Σ_ij w_ij p_i· p_·j                 chance agreement
//	κ_w = (p_o − p_e) / (1 − p_e)
//	w̄_i· = Σ_j p_·j w_ij,  w̄_·j = Σ_i p_i· w_ij
//
// The non-null variance (Fleiss, Cohen and Everitt 1969, their equation for
// var(κ̂_w); Fleiss, Levin and Paik 2003, ch. 18), used for the interval:
//
//	var(κ̂_w) = [ Σ_ij p_ij (w_ij(1 − p_e) − (w̄_i· + w̄_·j)(1 − p_o))²
//	             − (p_o p_e − 2 p_e + p_o)² ] / ( n (1 − p_e)⁴ )
//
// and the variance under κ_w = 0, used for the test:
//
//	var₀(κ̂_w) = [ Σ_ij p_i· p_·j (w_ij − (w̄_i· + w̄_·j))² − p_e² ] / ( n (1 − p_e)² )
//
// With w the identity these are the formulas for unweighted kappa. Both
// divide by n, not n − 1, as in the paper; SAS PROC FREQ computes the same.
// Rounding can leave a variance a hair below zero (for κ = 1 it is exactly
// zero in exact arithmetic); it is then taken as 0.
func WeightedKappa(counts [][]int, w [][]float64) (Kappa, error) {
	k := len(counts)
	if k == 0 {
		return Kappa{}, fmt.Errorf("%w: empty count matrix", ErrShape)
	}
	if len(w) != k {
		return Kappa{}, fmt.Errorf("%w: %d weight rows for %d categories", ErrShape, len(w), k)
	}
	n := 0
	for i := range counts {
		if len(counts[i]) != k {
			return Kappa{}, fmt.Errorf("%w: count row %d has %d cells, want %d", ErrShape, i, len(counts[i]), k)
		}
		if len(w[i]) != k {
			return Kappa{}, fmt.Errorf("%w: weight row %d has %d cells, want %d", ErrShape, i, len(w[i]), k)
		}
		for j, c := range counts[i] {
			if c < 0 {
				return Kappa{}, fmt.Errorf("%w: cell (%d, %d) is %d", ErrNegativeCount, i, j, c)
			}
			n += c
			x := w[i][j]
			if math.IsNaN(x) || x < 0 || x > 1 || (i == j && x != 1) {
				return Kappa{}, fmt.Errorf("%w: w[%d][%d] = %v", ErrWeights, i, j, x)
			}
		}
	}
	out := Kappa{N: n}
	if n == 0 {
		return out, nil
	}

	nf := float64(n)
	p := make([][]float64, k)
	row := make([]float64, k)
	col := make([]float64, k)
	for i := range counts {
		p[i] = make([]float64, k)
		for j, c := range counts[i] {
			p[i][j] = float64(c) / nf
			row[i] += p[i][j]
			col[j] += p[i][j]
		}
	}
	var po, pe float64
	for i := range k {
		for j := range k {
			po += w[i][j] * p[i][j]
			pe += w[i][j] * row[i] * col[j]
		}
	}
	out.Observed, out.Expected = po, pe
	if n < MinKappaPairs || 1-pe <= chanceTolerance {
		return out, nil
	}

	kappa := (po - pe) / (1 - pe)
	wRow := make([]float64, k) // w̄_i·
	wCol := make([]float64, k) // w̄_·j
	for i := range k {
		for j := range k {
			wRow[i] += col[j] * w[i][j]
			wCol[j] += row[i] * w[i][j]
		}
	}
	var s, s0 float64
	for i := range k {
		for j := range k {
			if p[i][j] > 0 {
				d := w[i][j]*(1-pe) - (wRow[i]+wCol[j])*(1-po)
				s += p[i][j] * d * d
			}
			d0 := w[i][j] - (wRow[i] + wCol[j])
			s0 += row[i] * col[j] * d0 * d0
		}
	}
	q := po*pe - 2*pe + po
	v := (s - q*q) / (nf * math.Pow(1-pe, 4))
	v0 := (s0 - pe*pe) / (nf * (1 - pe) * (1 - pe))

	out.Defined = true
	out.Value = kappa
	out.SE = math.Sqrt(math.Max(v, 0))
	out.NullSE = math.Sqrt(math.Max(v0, 0))
	out.CILow = clamp(kappa-Z95*out.SE, -1, 1)
	out.CIHigh = clamp(kappa+Z95*out.SE, -1, 1)
	if out.NullSE > 0 {
		out.Z = kappa / out.NullSE
	}
	return out, nil
}

func clamp(x, lo, hi float64) float64 {
	return math.Min(math.Max(x, lo), hi)
}
