package consistency_test

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/millwa/millwa/internal/consistency"
)

// ntpGroups are the quality groups of NTP 231.301:2014, finest first; the
// tests add its short-fibre group as an unordered code.
var ntpGroups = []string{"SUPER_BABY", "BABY", "FLEECE", "MEDIUM_FLEECE", "HUARIZO", "COARSE"}

func ntpScale(t *testing.T) *consistency.Scale {
	t.Helper()
	s, err := consistency.NewScale(ntpGroups, "SHORT")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewScaleErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		ordered   []string
		unordered []string
		want      error
	}{
		{"no codes", nil, nil, consistency.ErrNoCategories},
		{"duplicate ordered", []string{"A", "B", "A"}, nil, consistency.ErrDuplicateCategory},
		{"unordered repeats ordered", []string{"A", "B"}, []string{"B"}, consistency.ErrDuplicateCategory},
		{"empty code", []string{"A", ""}, nil, consistency.ErrDuplicateCategory},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := consistency.NewScale(tc.ordered, tc.unordered...); !errors.Is(err, tc.want) {
				t.Errorf("NewScale error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestScaleAccessors(t *testing.T) {
	t.Parallel()
	s := ntpScale(t)
	if diff := cmp.Diff(append(append([]string{}, ntpGroups...), "SHORT"), s.Codes()); diff != "" {
		t.Errorf("Codes mismatch (-want +got):\n%s", diff)
	}
	s.Codes()[0] = "CHANGED"
	if i, ok := s.Index("SUPER_BABY"); !ok || i != 0 {
		t.Errorf("Index(SUPER_BABY) = %d, %v after changing a copy of Codes; want 0, true", i, ok)
	}
	if s.Len() != 7 || s.Ordered() != 6 {
		t.Errorf("Len, Ordered = %d, %d, want 7, 6", s.Len(), s.Ordered())
	}
	for _, tc := range []struct {
		declared, checked string
		offset            int
		ok                bool
	}{
		{"BABY", "BABY", 0, true},
		{"BABY", "FLEECE", 1, true},     // declared finer than measured
		{"HUARIZO", "FLEECE", -2, true}, // declared coarser
		{"BABY", "SHORT", 0, false},
		{"SHORT", "SHORT", 0, false},
		{"BABY", "SUPER_BABY", -1, true},
		{"BABY", "EXTRAFINA", 0, false},
	} {
		if offset, ok := s.Offset(tc.declared, tc.checked); offset != tc.offset || ok != tc.ok {
			t.Errorf("Offset(%s, %s) = %d, %v, want %d, %v", tc.declared, tc.checked, offset, ok, tc.offset, tc.ok)
		}
	}
}

func TestScaleWeights(t *testing.T) {
	t.Parallel()
	s, err := consistency.NewScale([]string{"A", "B", "C"}, "X")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		w    consistency.Weighting
		want [][]float64
	}{
		{consistency.Unweighted, [][]float64{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}},
		{consistency.Linear, [][]float64{{1, 0.5, 0, 0}, {0.5, 1, 0.5, 0}, {0, 0.5, 1, 0}, {0, 0, 0, 1}}},
		{consistency.Quadratic, [][]float64{{1, 0.75, 0, 0}, {0.75, 1, 0.75, 0}, {0, 0.75, 1, 0}, {0, 0, 0, 1}}},
	} {
		got, err := s.Weights(tc.w)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Weights(%v) mismatch (-want +got):\n%s", tc.w, diff)
		}
	}
	five, err := consistency.NewScale([]string{"BABY", "FLEECE", "MEDIUM_FLEECE", "HUARIZO", "COARSE"})
	if err != nil {
		t.Fatal(err)
	}
	q, err := five.Weights(consistency.Quadratic)
	if err != nil {
		t.Fatal(err)
	}
	// 1 − (i−j)²/(K−1)² with K = 5: 15/16, 3/4, 7/16, 0 from the diagonal.
	if diff := cmp.Diff([]float64{1, 0.9375, 0.75, 0.4375, 0}, q[0]); diff != "" {
		t.Errorf("quadratic first row mismatch (-want +got):\n%s", diff)
	}
	one, err := consistency.NewScale([]string{"ONLY"}, "X")
	if err != nil {
		t.Fatal(err)
	}
	got, err := one.Weights(consistency.Quadratic)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]float64{{1, 0}, {0, 1}}, got); diff != "" {
		t.Errorf("single ordered code weights mismatch (-want +got):\n%s", diff)
	}
	if _, err := s.Weights(consistency.Weighting(0)); !errors.Is(err, consistency.ErrWeighting) {
		t.Errorf("Weights(0) error = %v, want ErrWeighting", err)
	}
}

func repeatPair(declared, checked string, n int) []consistency.Pair {
	out := make([]consistency.Pair, n)
	for i := range out {
		out[i] = consistency.Pair{Declared: declared, Checked: checked}
	}
	return out
}

func TestAgreementCounts(t *testing.T) {
	t.Parallel()
	s := ntpScale(t)
	var pairs []consistency.Pair
	pairs = append(pairs, repeatPair("BABY", "BABY", 6)...)
	pairs = append(pairs, repeatPair("BABY", "FLEECE", 3)...)          // adjacent, declared finer
	pairs = append(pairs, repeatPair("BABY", "MEDIUM_FLEECE", 1)...)   // distant, declared finer
	pairs = append(pairs, repeatPair("FLEECE", "FLEECE", 8)...)        //
	pairs = append(pairs, repeatPair("MEDIUM_FLEECE", "FLEECE", 2)...) // adjacent, declared coarser
	pairs = append(pairs, repeatPair("HUARIZO", "HUARIZO", 4)...)      //
	pairs = append(pairs, repeatPair("COARSE", "BABY", 1)...)          // distant, declared coarser
	pairs = append(pairs, repeatPair("FLEECE", "SHORT", 2)...)         // distant, no offset
	pairs = append(pairs, repeatPair("SHORT", "SHORT", 3)...)          // exact
	got, err := s.Agreement(pairs, consistency.Quadratic)
	if err != nil {
		t.Fatal(err)
	}
	want := consistency.Statistics{
		Checks:               30,
		ExactCount:           21,
		AdjacentCount:        26,
		DeclaredFinerCount:   4,
		DeclaredCoarserCount: 3,
		ExactProportion:      21.0 / 30,
		AdjacentProportion:   26.0 / 30,
		Weighting:            consistency.Quadratic,
		Matrix: consistency.ConfusionMatrix{
			Codes: []string{"SUPER_BABY", "BABY", "FLEECE", "MEDIUM_FLEECE", "HUARIZO", "COARSE", "SHORT"},
			Counts: [][]int{
				{0, 0, 0, 0, 0, 0, 0},
				{0, 6, 3, 1, 0, 0, 0},
				{0, 0, 8, 0, 0, 0, 2},
				{0, 0, 2, 0, 0, 0, 0},
				{0, 0, 0, 0, 4, 0, 0},
				{0, 1, 0, 0, 0, 0, 0},
				{0, 0, 0, 0, 0, 0, 3},
			},
		},
	}
	opts := cmpopts.IgnoreFields(consistency.Statistics{}, "Kappa", "WeightedKappa")
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("Agreement mismatch (-want +got):\n%s", diff)
	}
	if got.Disagreements() != 9 {
		t.Errorf("Disagreements() = %d, want 9", got.Disagreements())
	}
	if got.Matrix.Total() != 30 {
		t.Errorf("Matrix.Total() = %d, want 30", got.Matrix.Total())
	}
	weights, err := s.Weights(consistency.Quadratic)
	if err != nil {
		t.Fatal(err)
	}
	wantWeighted, err := consistency.WeightedKappa(want.Matrix.Counts, weights)
	if err != nil {
		t.Fatal(err)
	}
	wantKappa, err := consistency.CohenKappa(want.Matrix.Counts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantWeighted, got.WeightedKappa); diff != "" {
		t.Errorf("WeightedKappa mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantKappa, got.Kappa); diff != "" {
		t.Errorf("Kappa mismatch (-want +got):\n%s", diff)
	}
}

// TestAgreementUnorderedCode runs a scale of three ordered codes and one
// unordered code through Agreement and compares the quadratic-weighted
// kappa with testdata/crosscheck.py ("unordered"), which writes the weights
// out by hand: the unordered code agrees only with itself.
func TestAgreementUnorderedCode(t *testing.T) {
	t.Parallel()
	s, err := consistency.NewScale([]string{"A", "B", "C"}, "X")
	if err != nil {
		t.Fatal(err)
	}
	codes := s.Codes()
	var pairs []consistency.Pair
	for i, row := range unorderedCounts {
		for j, c := range row {
			pairs = append(pairs, repeatPair(codes[i], codes[j], c)...)
		}
	}
	got, err := s.Agreement(pairs, consistency.Quadratic)
	if err != nil {
		t.Fatal(err)
	}
	k := got.WeightedKappa
	want := []float64{0.719403, 0.085939, 0.550966, 0.887840}
	if diff := cmp.Diff(want, []float64{k.Value, k.SE, k.CILow, k.CIHigh}, cmpopts.EquateApprox(0, 6e-7)); diff != "" {
		t.Errorf("weighted kappa mismatch (-want +got):\n%s", diff)
	}
}

func TestAgreementDegenerate(t *testing.T) {
	t.Parallel()
	s := ntpScale(t)
	for _, tc := range []struct {
		name            string
		pairs           []consistency.Pair
		exact           float64
		kappaDefined    bool
		weightedDefined bool
		wantKappaValue  float64
		wantWeighted    float64
	}{
		{name: "no pairs"},
		{name: "single pair", pairs: repeatPair("BABY", "FLEECE", 1)},
		{name: "all in one group", pairs: repeatPair("FLEECE", "FLEECE", 12), exact: 1},
		{
			name:  "perfectly consistent classifier",
			pairs: append(repeatPair("BABY", "BABY", 5), append(repeatPair("HUARIZO", "HUARIZO", 3), repeatPair("SHORT", "SHORT", 1)...)...),
			exact: 1, kappaDefined: true, weightedDefined: true, wantKappaValue: 1, wantWeighted: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := s.Agreement(tc.pairs, consistency.Quadratic)
			if err != nil {
				t.Fatal(err)
			}
			if got.ExactProportion != tc.exact || got.Kappa.Defined != tc.kappaDefined || got.WeightedKappa.Defined != tc.weightedDefined {
				t.Errorf("exact %v, kappa defined %v, weighted defined %v; want %v, %v, %v",
					got.ExactProportion, got.Kappa.Defined, got.WeightedKappa.Defined, tc.exact, tc.kappaDefined, tc.weightedDefined)
			}
			if math.Abs(got.Kappa.Value-tc.wantKappaValue) > 1e-12 || math.Abs(got.WeightedKappa.Value-tc.wantWeighted) > 1e-12 {
				t.Errorf("kappa %v, weighted %v; want %v, %v", got.Kappa.Value, got.WeightedKappa.Value, tc.wantKappaValue, tc.wantWeighted)
			}
			if _, err := json.Marshal(got); err != nil {
				t.Errorf("json.Marshal: %v", err)
			}
		})
	}
}

func TestAgreementErrors(t *testing.T) {
	t.Parallel()
	s := ntpScale(t)
	if _, err := s.Agreement([]consistency.Pair{{Declared: "BABY", Checked: "EXTRAFINA"}}, consistency.Quadratic); !errors.Is(err, consistency.ErrUnknownCategory) {
		t.Errorf("unknown checked code: error = %v, want ErrUnknownCategory", err)
	}
	if _, err := s.Agreement([]consistency.Pair{{Declared: "", Checked: "BABY"}}, consistency.Quadratic); !errors.Is(err, consistency.ErrUnknownCategory) {
		t.Errorf("unknown declared code: error = %v, want ErrUnknownCategory", err)
	}
	if _, err := s.Agreement(nil, consistency.Weighting(9)); !errors.Is(err, consistency.ErrWeighting) {
		t.Errorf("unknown weighting: error = %v, want ErrWeighting", err)
	}
	other, err := consistency.NewScale(ntpGroups)
	if err != nil {
		t.Fatal(err)
	}
	m, err := other.Tabulate(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Summarize(m, consistency.Quadratic); !errors.Is(err, consistency.ErrShape) {
		t.Errorf("Summarize of another scale's matrix: error = %v, want ErrShape", err)
	}
}

// TestSummarizeMatchesAgreement: counts aggregated elsewhere give the same
// statistics as the pairs they count.
func TestSummarizeMatchesAgreement(t *testing.T) {
	t.Parallel()
	s := ntpScale(t)
	pairs := append(repeatPair("BABY", "FLEECE", 4), repeatPair("FLEECE", "FLEECE", 7)...)
	pairs = append(pairs, repeatPair("HUARIZO", "MEDIUM_FLEECE", 2)...)
	want, err := s.Agreement(pairs, consistency.Linear)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Summarize(want.Matrix, consistency.Linear)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Summarize mismatch (-want +got):\n%s", diff)
	}
}
