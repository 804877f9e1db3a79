package consistency_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/millwa/millwa/internal/consistency"
)

// Count tables of the worked examples, rows the first rater (declared),
// columns the second (checked).
var (
	// Kavanagh DO et al. (2009), BMC Cancer 9:1 (doi:10.1186/1471-2407-9-1),
	// table 2: two pathologists grading 18 tumours 1+, 2+, 3+.
	kavanagh2009 = [][]int{{7, 1, 0}, {0, 8, 0}, {0, 0, 2}}
	// A SAS/STAT PROC FREQ (AGREE option) printout for this 3×3 table, as
	// recorded in statsmodels' stats/tests/test_inter_rater.py (table10,
	// "comparison to printout of a SAS example").
	sasTable = [][]int{{0, 4, 1}, {0, 8, 0}, {0, 1, 5}}
	// Cohen J (1968), Psychological Bulletin 70:213–220, table 1: two judges,
	// 200 cases, personality disorder / neurosis / psychosis; the printed
	// proportions times N = 200 (judge B in rows).
	cohen1968 = [][]int{{88, 14, 18}, {10, 40, 10}, {2, 6, 12}}
	// Agresti A (2002), Categorical Data Analysis, 2nd ed., §10.5,
	// table 10.5: pathologists A (rows) and B classifying 118 slides into
	// five ordered categories (data of Landis and Koch 1977).
	agresti2002 = [][]int{
		{22, 2, 2, 0, 0},
		{5, 7, 14, 0, 0},
		{0, 2, 36, 0, 0},
		{0, 1, 14, 7, 0},
		{0, 0, 3, 0, 3},
	}
	// Fleiss, Cohen and Everitt's (1969) 3×3 example table, 200 subjects,
	// as given with its weights in the documentation of R's
	// psych::cohen.kappa.
	fce1969 = [][]int{{106, 10, 4}, {22, 28, 10}, {2, 12, 6}}
)

func identityWeights(k int) [][]float64 {
	w := make([][]float64, k)
	for i := range w {
		w[i] = make([]float64, k)
		w[i][i] = 1
	}
	return w
}

// orderedWeights are the weights of a scale of k ordered codes.
func orderedWeights(t *testing.T, k int, w consistency.Weighting) [][]float64 {
	t.Helper()
	codes := make([]string, k)
	for i := range codes {
		codes[i] = string(rune('A' + i))
	}
	s, err := consistency.NewScale(codes)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Weights(w)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fromDisagreement turns Cohen's (1968) disagreement weights v into
// agreement weights 1 − v/max(v); weighted kappa is the same under both.
func fromDisagreement(v [][]float64) [][]float64 {
	top := 0.0
	for _, r := range v {
		for _, x := range r {
			top = math.Max(top, x)
		}
	}
	w := make([][]float64, len(v))
	for i, r := range v {
		w[i] = make([]float64, len(r))
		for j, x := range r {
			w[i][j] = 1 - x/top
		}
	}
	return w
}

var (
	cohenWeights      = fromDisagreement([][]float64{{0, 1, 3}, {1, 0, 6}, {3, 6, 0}})
	cohenAsymmetric   = fromDisagreement([][]float64{{0, 1, 4}, {1, 0, 6}, {2, 2, 0}})
	fce1969Weights    = [][]float64{{1, 0, 4.0 / 9}, {0, 1, 6.0 / 9}, {4.0 / 9, 6.0 / 9, 1}}
	unorderedWeights4 = [][]float64{{1, 0.75, 0, 0}, {0.75, 1, 0.75, 0}, {0, 0.75, 1, 0}, {0, 0, 0, 1}}
	unorderedCounts   = [][]int{{10, 2, 0, 1}, {1, 12, 3, 0}, {0, 2, 9, 1}, {1, 0, 1, 4}}
)

// published holds the figures of a worked example, rounded as published;
// a NaN field was not published and is not compared.
type published struct {
	Kappa, SE, CILow, CIHigh, NullSE, Z float64
}

// roundLike rounds got to the decimals of want, field by field, and blanks
// what want leaves NaN, so that cmp.Diff shows only published figures.
func roundLike(want published, got consistency.Kappa, decimals int) published {
	scale := math.Pow(10, float64(decimals))
	r := func(w, g float64) float64 {
		if math.IsNaN(w) {
			return math.NaN()
		}
		return math.Round(g*scale) / scale
	}
	return published{
		Kappa:  r(want.Kappa, got.Value),
		SE:     r(want.SE, got.SE),
		CILow:  r(want.CILow, got.CILow),
		CIHigh: r(want.CIHigh, got.CIHigh),
		NullSE: r(want.NullSE, got.NullSE),
		Z:      r(want.Z, got.Z),
	}
}

var nan = math.NaN()

// TestKappaPublishedExamples matches kappa, weighted kappa, their standard
// errors, intervals and z statistics to figures published with worked
// examples, at the published precision (3 decimals, 4 for SAS).
func TestKappaPublishedExamples(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		counts   [][]int
		weights  [][]float64
		decimals int
		want     published
	}{
		{
			// Kavanagh et al. (2009), table 2 (SPSS "symmetric measures"):
			// kappa 0.906, standard error "not assuming the null
			// hypothesis" 0.092, approximate T (kappa over the standard
			// error assuming the null hypothesis) 4.894. No interval was
			// published; ours, 0.727 to 1.086, is clipped to 1.
			name: "Kavanagh 2009 kappa", counts: kavanagh2009, weights: identityWeights(3), decimals: 3,
			want: published{Kappa: 0.906, SE: 0.092, CILow: nan, CIHigh: nan, NullSE: nan, Z: 4.894},
		},
		{
			// SAS PROC FREQ: Kappa 0.4842, ASE 0.1380, 95% limits 0.2137 and
			// 0.7547; ASE under H0 0.1484, Z 3.2626.
			name: "SAS simple kappa", counts: sasTable, weights: identityWeights(3), decimals: 4,
			want: published{Kappa: 0.4842, SE: 0.1380, CILow: 0.2137, CIHigh: 0.7547, NullSE: 0.1484, Z: 3.2626},
		},
		{
			// SAS PROC FREQ, weighted kappa with its default
			// Cicchetti–Allison (linear) weights: 0.4701, ASE 0.1457,
			// limits 0.1845 and 0.7558; ASE under H0 0.1426, Z 3.2971.
			name: "SAS weighted kappa, linear", counts: sasTable, weights: orderedWeights(t, 3, consistency.Linear), decimals: 4,
			want: published{Kappa: 0.4701, SE: 0.1457, CILow: 0.1845, CIHigh: 0.7558, NullSE: 0.1426, Z: 3.2971},
		},
		{
			// Cohen (1968): kappa .492 for his table 1.
			name: "Cohen 1968 kappa", counts: cohen1968, weights: identityWeights(3), decimals: 3,
			want: published{Kappa: 0.492, SE: nan, CILow: nan, CIHigh: nan, NullSE: nan, Z: nan},
		},
		{
			// Cohen (1968): weighted kappa .348 with disagreement weights 1
			// (personality disorder–neurosis), 3 (–psychosis) and 6
			// (neurosis–psychosis).
			name: "Cohen 1968 weighted kappa", counts: cohen1968, weights: cohenWeights, decimals: 3,
			want: published{Kappa: 0.348, SE: nan, CILow: nan, CIHigh: nan, NullSE: nan, Z: nan},
		},
		{
			// Cohen (1968): weighted kappa .353 with asymmetric disagreement
			// weights (rows judge B: 0 1 4 / 1 0 6 / 2 2 0).
			name: "Cohen 1968 asymmetric weights", counts: cohen1968, weights: cohenAsymmetric, decimals: 3,
			want: published{Kappa: 0.353, SE: nan, CILow: nan, CIHigh: nan, NullSE: nan, Z: nan},
		},
		{
			// Agresti (2002), §10.5.1: kappa 0.498 with ASE 0.057.
			name: "Agresti 2002 kappa", counts: agresti2002, weights: identityWeights(5), decimals: 3,
			want: published{Kappa: 0.498, SE: 0.057, CILow: nan, CIHigh: nan, NullSE: nan, Z: nan},
		},
		{
			// Agresti (2002), §10.5.1: weighted kappa 0.779 with weights
			// 1 − (i − j)²/(I − 1)².
			name: "Agresti 2002 quadratic weighted kappa", counts: agresti2002, weights: orderedWeights(t, 5, consistency.Quadratic), decimals: 3,
			want: published{Kappa: 0.779, SE: nan, CILow: nan, CIHigh: nan, NullSE: nan, Z: nan},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := consistency.WeightedKappa(tc.counts, tc.weights)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Defined {
				t.Fatalf("kappa not defined: %+v", got)
			}
			if diff := cmp.Diff(tc.want, roundLike(tc.want, got, tc.decimals), cmpopts.EquateNaNs()); diff != "" {
				t.Errorf("WeightedKappa mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestKappaCrossCheck compares every statistic of every example, and of
// cases with no published figures, with testdata/crosscheck.py, which
// computes them independently in exact rational arithmetic; the figures
// below are its output (they agree to every printed decimal).
func TestKappaCrossCheck(t *testing.T) {
	t.Parallel()
	type stats struct{ Po, Pe, Kappa, SE, Lo, Hi, NullSE, Z float64 }
	for _, tc := range []struct {
		name    string
		counts  [][]int
		weights [][]float64
		want    stats
	}{
		{"kavanagh2009 unweighted", kavanagh2009, identityWeights(3),
			stats{0.944444, 0.407407, 0.906250, 0.091631, 0.726658, 1.000000, 0.185171, 4.894132}},
		{"kavanagh2009 quadratic", kavanagh2009, orderedWeights(t, 3, consistency.Quadratic),
			stats{0.986111, 0.782407, 0.936170, 0.065200, 0.808380, 1.000000, 0.234794, 3.987206}},
		{"sas unweighted", sasTable, identityWeights(3),
			stats{0.684211, 0.387812, 0.484163, 0.138014, 0.213661, 0.754665, 0.148398, 3.262591}},
		{"sas linear", sasTable, orderedWeights(t, 3, consistency.Linear),
			stats{0.815789, 0.652355, 0.470120, 0.145746, 0.184463, 0.755777, 0.142585, 3.297116}},
		{"sas quadratic", sasTable, orderedWeights(t, 3, consistency.Quadratic),
			stats{0.881579, 0.784626, 0.450161, 0.192233, 0.073392, 0.826930, 0.187919, 2.395498}},
		{"cohen1968 unweighted", cohen1968, identityWeights(3),
			stats{0.700000, 0.410000, 0.491525, 0.051002, 0.391564, 0.591487, 0.051979, 9.456242}},
		{"cohen1968 weights 1,3,6", cohen1968, cohenWeights,
			stats{0.850000, 0.770000, 0.347826, 0.075504, 0.199841, 0.495811, 0.059720, 5.824282}},
		{"cohen1968 asymmetric", cohen1968, cohenAsymmetric,
			stats{0.856667, 0.778333, 0.353383, 0.062657, 0.230578, 0.476189, 0.047698, 7.408698}},
		{"agresti2002 unweighted", agresti2002, identityWeights(5),
			stats{0.635593, 0.273485, 0.498418, 0.056604, 0.387476, 0.609361, 0.048225, 10.335338}},
		{"agresti2002 linear", agresti2002, orderedWeights(t, 5, consistency.Linear),
			stats{0.896186, 0.704072, 0.649193, 0.048668, 0.553806, 0.744581, 0.059846, 10.847720}},
		{"agresti2002 quadratic", agresti2002, orderedWeights(t, 5, consistency.Quadratic),
			stats{0.967691, 0.854092, 0.778564, 0.040915, 0.698373, 0.858755, 0.090622, 8.591380}},
		{"fce1969 weights", fce1969, fce1969Weights,
			stats{0.786667, 0.567222, 0.507060, 0.056994, 0.395354, 0.618767, 0.065336, 7.760846}},
		{"quadratic with an unordered code", unorderedCounts, unorderedWeights4,
			stats{0.872340, 0.545043, 0.719403, 0.085939, 0.550966, 0.887840, 0.105917, 6.792134}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := consistency.WeightedKappa(tc.counts, tc.weights)
			if err != nil {
				t.Fatal(err)
			}
			got := stats{k.Observed, k.Expected, k.Value, k.SE, k.CILow, k.CIHigh, k.NullSE, k.Z}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateApprox(0, 6e-7)); diff != "" {
				t.Errorf("WeightedKappa mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCohenKappaIsIdentityWeighted checks the shorthand against the general
// function.
func TestCohenKappaIsIdentityWeighted(t *testing.T) {
	t.Parallel()
	for _, counts := range [][][]int{kavanagh2009, sasTable, cohen1968, agresti2002} {
		a, err := consistency.CohenKappa(counts)
		if err != nil {
			t.Fatal(err)
		}
		b, err := consistency.WeightedKappa(counts, identityWeights(len(counts)))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(b, a); diff != "" {
			t.Errorf("CohenKappa mismatch (-want +got):\n%s", diff)
		}
	}
}

// TestKappaPerfectAgreement: a classifier whose every lot checks as
// declared, over several groups, scores exactly 1 with a zero standard
// error, whatever the weights.
func TestKappaPerfectAgreement(t *testing.T) {
	t.Parallel()
	counts := [][]int{{12, 0, 0, 0, 0}, {0, 30, 0, 0, 0}, {0, 0, 7, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 1}}
	for _, w := range []consistency.Weighting{consistency.Unweighted, consistency.Linear, consistency.Quadratic} {
		t.Run(w.String(), func(t *testing.T) {
			t.Parallel()
			got, err := consistency.WeightedKappa(counts, orderedWeights(t, 5, w))
			if err != nil {
				t.Fatal(err)
			}
			want := consistency.Kappa{Defined: true, Value: 1, SE: 0, CILow: 1, CIHigh: 1, Observed: 1, N: 50}
			opts := []cmp.Option{
				cmpopts.EquateApprox(0, 1e-12),
				cmpopts.IgnoreFields(consistency.Kappa{}, "NullSE", "Z", "Expected"),
			}
			if diff := cmp.Diff(want, got, opts...); diff != "" {
				t.Errorf("WeightedKappa mismatch (-want +got):\n%s", diff)
			}
			if got.NullSE <= 0 || got.Z <= 0 {
				t.Errorf("NullSE = %v, Z = %v, want both > 0", got.NullSE, got.Z)
			}
		})
	}
}

// TestKappaRandomClassifierNearZero: with the check drawn independently of
// the declared group, kappa estimates 0; over 4,000 pairs it must come out
// within 0.05 of it, and its 95 % interval should cover 0.
func TestKappaRandomClassifierNearZero(t *testing.T) {
	t.Parallel()
	const k, n = 5, 4000
	r := rand.New(rand.NewPCG(2026, 5))
	// Unequal margins, as real groups are: the finer groups are rarer.
	margin := []float64{0.1, 0.2, 0.35, 0.25, 0.1}
	draw := func() int {
		u := r.Float64()
		for i, p := range margin {
			if u < p {
				return i
			}
			u -= p
		}
		return k - 1
	}
	counts := make([][]int, k)
	for i := range counts {
		counts[i] = make([]int, k)
	}
	for range n {
		counts[draw()][draw()]++
	}
	for _, w := range []consistency.Weighting{consistency.Unweighted, consistency.Linear, consistency.Quadratic} {
		got, err := consistency.WeightedKappa(counts, orderedWeights(t, k, w))
		if err != nil {
			t.Fatal(err)
		}
		if !got.Defined || math.Abs(got.Value) >= 0.05 {
			t.Errorf("%v kappa of independent ratings = %+v, want defined and |kappa| < 0.05", w, got)
		}
		if got.CILow > 0 || got.CIHigh < 0 {
			t.Errorf("%v kappa interval [%v, %v] does not cover 0", w, got.CILow, got.CIHigh)
		}
	}
}

// TestKappaDegenerate covers the cases where kappa is undefined; none may
// produce NaN or ±Inf anywhere, so every result must survive encoding/json
// (which refuses both).
func TestKappaDegenerate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		counts [][]int
		want   consistency.Kappa
	}{
		{
			name:   "no pairs",
			counts: [][]int{{0, 0}, {0, 0}},
			want:   consistency.Kappa{},
		},
		{
			name:   "one agreeing pair",
			counts: [][]int{{0, 0}, {0, 1}},
			want:   consistency.Kappa{Observed: 1, Expected: 1, N: 1},
		},
		{
			name:   "one disagreeing pair",
			counts: [][]int{{0, 1}, {0, 0}},
			want:   consistency.Kappa{Observed: 0, Expected: 0, N: 1},
		},
		{
			name:   "all pairs in one category",
			counts: [][]int{{0, 0, 0}, {0, 9, 0}, {0, 0, 0}},
			want:   consistency.Kappa{Observed: 1, Expected: 1, N: 9},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, w := range []consistency.Weighting{consistency.Unweighted, consistency.Quadratic} {
				got, err := consistency.WeightedKappa(tc.counts, orderedWeights(t, len(tc.counts), w))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("%v: WeightedKappa mismatch (-want +got):\n%s", w, diff)
				}
				if _, err := json.Marshal(got); err != nil {
					t.Errorf("%v: json.Marshal: %v", w, err)
				}
			}
		})
	}
}

// TestKappaTwoPairsDisagreeing is the smallest defined case: two pairs that
// swap two categories: p_o = 0, p_e = 1/2, κ = −1 with a zero non-null
// variance; the null variance is (1/2 − 1/4) / (2 · 1/4) = 1/2.
func TestKappaTwoPairsDisagreeing(t *testing.T) {
	t.Parallel()
	got, err := consistency.CohenKappa([][]int{{0, 1}, {1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	want := consistency.Kappa{Defined: true, Value: -1, CILow: -1, CIHigh: -1, NullSE: math.Sqrt(0.5), Z: -math.Sqrt2, Observed: 0, Expected: 0.5, N: 2}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("CohenKappa mismatch (-want +got):\n%s", diff)
	}
}

func TestWeightedKappaErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		counts  [][]int
		weights [][]float64
		want    error
	}{
		{"empty", nil, nil, consistency.ErrShape},
		{"ragged counts", [][]int{{1, 2}, {3}}, identityWeights(2), consistency.ErrShape},
		{"weights too small", [][]int{{1, 2}, {3, 4}}, identityWeights(1), consistency.ErrShape},
		{"ragged weights", [][]int{{1, 2}, {3, 4}}, [][]float64{{1, 0}, {0}}, consistency.ErrShape},
		{"negative count", [][]int{{1, -2}, {3, 4}}, identityWeights(2), consistency.ErrNegativeCount},
		{"weight above 1", [][]int{{1, 2}, {3, 4}}, [][]float64{{1, 1.5}, {0, 1}}, consistency.ErrWeights},
		{"negative weight", [][]int{{1, 2}, {3, 4}}, [][]float64{{1, -0.1}, {0, 1}}, consistency.ErrWeights},
		{"NaN weight", [][]int{{1, 2}, {3, 4}}, [][]float64{{1, math.NaN()}, {0, 1}}, consistency.ErrWeights},
		{"diagonal not 1", [][]int{{1, 2}, {3, 4}}, [][]float64{{0.9, 0}, {0, 1}}, consistency.ErrWeights},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := consistency.WeightedKappa(tc.counts, tc.weights); !errors.Is(err, tc.want) {
				t.Errorf("WeightedKappa error = %v, want %v", err, tc.want)
			}
		})
	}
}
