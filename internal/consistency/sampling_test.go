package consistency_test

import (
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/millwa/millwa/internal/consistency"
)

// TestLevelIICodeLetterEdges checks both edges of every row of ISO 2859-1
// table 1, general inspection level II.
func TestLevelIICodeLetterEdges(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lots int
		want string
	}{
		{-1, ""}, {0, ""}, {1, "A"},
		{2, "A"}, {8, "A"},
		{9, "B"}, {15, "B"},
		{16, "C"}, {25, "C"},
		{26, "D"}, {50, "D"},
		{51, "E"}, {90, "E"},
		{91, "F"}, {150, "F"},
		{151, "G"}, {280, "G"},
		{281, "H"}, {500, "H"},
		{501, "J"}, {1200, "J"},
		{1201, "K"}, {3200, "K"},
		{3201, "L"}, {10000, "L"},
		{10001, "M"}, {35000, "M"},
		{35001, "N"}, {150000, "N"},
		{150001, "P"}, {500000, "P"},
		{500001, "Q"}, {math.MaxInt, "Q"},
	} {
		if got := consistency.LevelIICodeLetter(tc.lots).String(); got != tc.want {
			t.Errorf("LevelIICodeLetter(%d) = %q, want %q", tc.lots, got, tc.want)
		}
	}
}

// TestCodeLetterSampleSizes checks the sample sizes of ISO 2859-1 tables
// 2-A (normal) and 2-C (reduced) letter by letter.
func TestCodeLetterSampleSizes(t *testing.T) {
	t.Parallel()
	type row struct {
		Letter          string
		Normal, Reduced int
		Next            string
	}
	want := []row{
		{"A", 2, 2, "B"}, {"B", 3, 2, "C"}, {"C", 5, 2, "D"}, {"D", 8, 3, "E"},
		{"E", 13, 5, "F"}, {"F", 20, 8, "G"}, {"G", 32, 13, "H"}, {"H", 50, 20, "J"},
		{"J", 80, 32, "K"}, {"K", 125, 50, "L"}, {"L", 200, 80, "M"}, {"M", 315, 125, "N"},
		{"N", 500, 200, "P"}, {"P", 800, 315, "Q"}, {"Q", 1250, 500, "R"}, {"R", 2000, 800, "R"},
	}
	var got []row
	for _, r := range want {
		l := consistency.CodeLetter(r.Letter[0])
		got = append(got, row{l.String(), l.NormalSampleSize(), l.ReducedSampleSize(), l.Next().String()})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("code letter table mismatch (-want +got):\n%s", diff)
	}
	for _, l := range []consistency.CodeLetter{0, 'I', 'O', 'S', 'a'} {
		if l.String() != "" || l.NormalSampleSize() != 0 || l.ReducedSampleSize() != 0 || l.Next() != 0 {
			t.Errorf("CodeLetter(%q) is not treated as no letter", rune(l))
		}
	}
}

func TestSampleSizeFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		lots     int
		severity consistency.Severity
		want     consistency.SampleSize
	}{
		{"no lots", 0, consistency.Normal, consistency.SampleSize{Severity: consistency.Normal}},
		{"one lot, normal", 1, consistency.Normal, consistency.SampleSize{Lots: 1, Severity: consistency.Normal, Letter: 'A', TableLetter: 'A', TableSize: 2, Size: 1}},
		{"one lot, tightened", 1, consistency.Tightened, consistency.SampleSize{Lots: 1, Severity: consistency.Tightened, Letter: 'A', TableLetter: 'B', TableSize: 3, Size: 1}},
		{"one lot, reduced", 1, consistency.Reduced, consistency.SampleSize{Lots: 1, Severity: consistency.Reduced, Letter: 'A', TableLetter: 'A', TableSize: 2, Size: 1}},
		{"8 lots", 8, consistency.Normal, consistency.SampleSize{Lots: 8, Severity: consistency.Normal, Letter: 'A', TableLetter: 'A', TableSize: 2, Size: 2}},
		{"9 lots", 9, consistency.Normal, consistency.SampleSize{Lots: 9, Severity: consistency.Normal, Letter: 'B', TableLetter: 'B', TableSize: 3, Size: 3}},
		{"14 lots, normal", 14, consistency.Normal, consistency.SampleSize{Lots: 14, Severity: consistency.Normal, Letter: 'B', TableLetter: 'B', TableSize: 3, Size: 3}},
		{"14 lots, tightened", 14, consistency.Tightened, consistency.SampleSize{Lots: 14, Severity: consistency.Tightened, Letter: 'B', TableLetter: 'C', TableSize: 5, Size: 5}},
		{"14 lots, reduced", 14, consistency.Reduced, consistency.SampleSize{Lots: 14, Severity: consistency.Reduced, Letter: 'B', TableLetter: 'B', TableSize: 2, Size: 2}},
		{"500 lots", 500, consistency.Normal, consistency.SampleSize{Lots: 500, Severity: consistency.Normal, Letter: 'H', TableLetter: 'H', TableSize: 50, Size: 50}},
		{"501 lots", 501, consistency.Normal, consistency.SampleSize{Lots: 501, Severity: consistency.Normal, Letter: 'J', TableLetter: 'J', TableSize: 80, Size: 80}},
		{"501 lots, tightened", 501, consistency.Tightened, consistency.SampleSize{Lots: 501, Severity: consistency.Tightened, Letter: 'J', TableLetter: 'K', TableSize: 125, Size: 125}},
		{"501 lots, reduced", 501, consistency.Reduced, consistency.SampleSize{Lots: 501, Severity: consistency.Reduced, Letter: 'J', TableLetter: 'J', TableSize: 32, Size: 32}},
		{"2 lots, tightened, capped", 2, consistency.Tightened, consistency.SampleSize{Lots: 2, Severity: consistency.Tightened, Letter: 'A', TableLetter: 'B', TableSize: 3, Size: 2}},
		{"600000 lots, tightened", 600000, consistency.Tightened, consistency.SampleSize{Lots: 600000, Severity: consistency.Tightened, Letter: 'Q', TableLetter: 'R', TableSize: 2000, Size: 2000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := consistency.SampleSizeFor(tc.lots, tc.severity)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("SampleSizeFor(%d, %v) mismatch (-want +got):\n%s", tc.lots, tc.severity, diff)
			}
			if got.Capped() != (got.TableSize >= tc.lots) {
				t.Errorf("Capped() = %v for table size %d of %d lots", got.Capped(), got.TableSize, tc.lots)
			}
		})
	}
}

// TestSampleSizeOrderAndBounds: for every population, the sample is between
// 1 and the population; tightened ≥ normal ≥ reduced, strictly from 9 lots
// on (below, the cap and the table's floor of 2 make some equal).
func TestSampleSizeOrderAndBounds(t *testing.T) {
	t.Parallel()
	size := func(lots int, s consistency.Severity) int {
		got, err := consistency.SampleSizeFor(lots, s)
		if err != nil {
			t.Fatal(err)
		}
		return got.Size
	}
	for lots := 1; lots <= 2_000_000; lots = max(lots+1, lots*21/20) {
		tight, normal, reduced := size(lots, consistency.Tightened), size(lots, consistency.Normal), size(lots, consistency.Reduced)
		for _, n := range []int{tight, normal, reduced} {
			if n < 1 || n > lots {
				t.Fatalf("%d lots: sample %d outside [1, %d]", lots, n, lots)
			}
		}
		if tight < normal || normal < reduced {
			t.Errorf("%d lots: tightened %d, normal %d, reduced %d are not in order", lots, tight, normal, reduced)
		}
		if lots >= 9 && (tight <= normal || normal <= reduced) {
			t.Errorf("%d lots: tightened %d, normal %d, reduced %d are not strictly in order", lots, tight, normal, reduced)
		}
	}
}

func TestSampleSizeForErrors(t *testing.T) {
	t.Parallel()
	if _, err := consistency.SampleSizeFor(-1, consistency.Normal); !errors.Is(err, consistency.ErrLotCount) {
		t.Errorf("negative lots: error = %v, want ErrLotCount", err)
	}
	for _, s := range []consistency.Severity{0, 4, -1} {
		if _, err := consistency.SampleSizeFor(10, s); !errors.Is(err, consistency.ErrSeverity) {
			t.Errorf("severity %d: error = %v, want ErrSeverity", s, err)
		}
	}
}

// recent builds the statistics DecideSeverity reads.
func recent(checks int, exact float64, kappa, ciLow float64, defined bool) consistency.Statistics {
	st := consistency.Statistics{Checks: checks, ExactProportion: exact}
	if defined {
		st.WeightedKappa = consistency.Kappa{Defined: true, Value: kappa, CILow: ciLow, N: checks}
	}
	return st
}

func TestDecideSeverity(t *testing.T) {
	t.Parallel()
	type verdict struct {
		Severity consistency.Severity
		Cause    consistency.Cause
	}
	normal := func(c consistency.Cause) verdict { return verdict{consistency.Normal, c} }
	tightened := func(c consistency.Cause) verdict { return verdict{consistency.Tightened, c} }
	reduced := verdict{consistency.Reduced, consistency.CauseConsistentAgreement}
	for _, tc := range []struct {
		name   string
		recent consistency.Statistics
		want   verdict
	}{
		{"no checks", consistency.Statistics{}, normal(consistency.CauseTooFewChecks)},
		{"four bad checks", recent(4, 0, -0.3, -0.9, true), normal(consistency.CauseTooFewChecks)},
		{"low kappa", recent(12, 0.6, 0.42, 0.1, true), tightened(consistency.CauseLowKappa)},
		{"kappa at the tightening threshold", recent(12, 0.6, 0.6, 0.3, true), normal(consistency.CauseModerateAgreement)},
		{"low exact agreement", recent(12, 0.45, 0.7, 0.5, true), tightened(consistency.CauseLowExactAgreement)},
		{"exact agreement at its threshold", recent(12, 0.5, 0.7, 0.5, true), normal(consistency.CauseModerateAgreement)},
		{"undefined kappa, all agreeing", recent(12, 1, 0, 0, false), normal(consistency.CauseModerateAgreement)},
		{"consistently high", recent(25, 0.88, 0.9, 0.75, true), reduced},
		{"at every reduction threshold", recent(20, 0.8, 0.8, 0.6, true), reduced},
		{"high but too few checks to reduce", recent(19, 0.9, 0.9, 0.75, true), normal(consistency.CauseModerateAgreement)},
		{"high but wide interval", recent(25, 0.9, 0.9, 0.59, true), normal(consistency.CauseModerateAgreement)},
		{"kappa just under reduction", recent(25, 0.9, 0.79, 0.65, true), normal(consistency.CauseModerateAgreement)},
		{"exact just under reduction", recent(25, 0.79, 0.9, 0.75, true), normal(consistency.CauseModerateAgreement)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, c := consistency.DecideSeverity(tc.recent)
			if diff := cmp.Diff(tc.want, verdict{s, c}); diff != "" {
				t.Errorf("DecideSeverity mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecideSeverityFromChecks runs real statistics through the rule: a
// classifier who declared 24 lots exactly as checked across four groups is
// reduced; one who declares a group too fine two times in three is
// tightened. (Quadratic weights forgive one-step errors: at one time in two
// the same classifier still has a weighted kappa near 0.89 and exact
// agreement of exactly 0.5, and stays normal.)
func TestDecideSeverityFromChecks(t *testing.T) {
	t.Parallel()
	s := ntpScale(t)
	var good, lenient, halfLenient []consistency.Pair
	for _, g := range []string{"BABY", "FLEECE", "MEDIUM_FLEECE", "HUARIZO"} {
		good = append(good, repeatPair(g, g, 6)...)
	}
	for i, g := range []string{"SUPER_BABY", "BABY", "FLEECE", "MEDIUM_FLEECE", "HUARIZO"} {
		lenient = append(lenient, repeatPair(g, g, 2)...)
		lenient = append(lenient, repeatPair(g, ntpGroups[i+1], 4)...)
		halfLenient = append(halfLenient, repeatPair(g, g, 3)...)
		halfLenient = append(halfLenient, repeatPair(g, ntpGroups[i+1], 3)...)
	}
	for _, tc := range []struct {
		name  string
		pairs []consistency.Pair
		want  consistency.Severity
	}{
		{"consistent classifier", good, consistency.Reduced},
		{"lenient classifier", lenient, consistency.Tightened},
		{"half-lenient classifier", halfLenient, consistency.Normal},
	} {
		st, err := s.Agreement(tc.pairs, consistency.Quadratic)
		if err != nil {
			t.Fatal(err)
		}
		if got, cause := consistency.DecideSeverity(st); got != tc.want {
			t.Errorf("%s: DecideSeverity = %v (%v), want %v; statistics %+v", tc.name, got, cause, tc.want, st.WeightedKappa)
		}
	}
}

func TestEnumStrings(t *testing.T) {
	t.Parallel()
	got := []string{
		consistency.Normal.String(), consistency.Tightened.String(), consistency.Reduced.String(), consistency.Severity(0).String(),
		consistency.Unweighted.String(), consistency.Linear.String(), consistency.Quadratic.String(), consistency.Weighting(0).String(),
		consistency.CauseTooFewChecks.String(), consistency.CauseLowKappa.String(), consistency.CauseLowExactAgreement.String(),
		consistency.CauseConsistentAgreement.String(), consistency.CauseModerateAgreement.String(), consistency.CauseSanction.String(),
		consistency.Cause(0).String(),
	}
	want := []string{
		"normal", "tightened", "reduced", "Severity(0)",
		"unweighted", "linear", "quadratic", "Weighting(0)",
		"too few checks", "low kappa", "low exact agreement",
		"consistent agreement", "moderate agreement", "sanction", "Cause(0)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("String mismatch (-want +got):\n%s", diff)
	}
}
