package consistency_test

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/consistency"
)

func groups(t *testing.T) *consistency.Scale {
	t.Helper()
	sc, err := consistency.NewScale([]string{"BABY", "FLEECE", "MEDIUM", "HUARIZO", "COARSE"}, "SHORT")
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func at(month time.Month, day int) time.Time {
	return time.Date(2026, month, day, 12, 0, 0, 0, time.UTC)
}

// TestBuildReport: an accurate classifier and a lenient one (declares
// every lot a group finer than checked), over two months, with a check
// under another standard and a borderline one.
func TestBuildReport(t *testing.T) {
	t.Parallel()
	mean := func(um float64) *float64 { return &um }
	var checks []consistency.Check
	codes := []string{"BABY", "FLEECE", "MEDIUM", "HUARIZO"}
	for i := range 8 {
		g := codes[i%4]
		checks = append(checks, consistency.Check{ClassifierID: "good", AssociationID: "a1", Standard: "std",
			Declared: g, Checked: g, Time: at(time.March, 1+i), MeasuredUm: mean(21 + float64(i%4)*2.5)})
	}
	for i := range 6 {
		checks = append(checks, consistency.Check{ClassifierID: "lenient", AssociationID: "a2", Standard: "std",
			Declared: codes[i%3], Checked: codes[i%3+1], Time: at(time.April, 1+i), MeasuredUm: mean(30)})
	}
	checks = append(checks,
		consistency.Check{ClassifierID: "good", AssociationID: "a1", Standard: "other", Declared: "BABY", Checked: "COARSE", Time: at(time.March, 20)},
		consistency.Check{ClassifierID: "good", AssociationID: "a1", Standard: "std", Declared: "FLEECE", Checked: "FLEECE", Borderline: true, Time: at(time.April, 20)},
	)
	in := consistency.ReportInput{
		Standard: "std", Scale: groups(t), From: at(time.March, 1), To: time.Date(2026, time.May, 1, 0, 0, 0, 0, time.UTC),
		KappaThreshold: consistency.DefaultKappaThreshold, MaxBelow: 10, Checks: checks,
		Bands: map[string]consistency.Band{
			"BABY": {LowUm: 0, HighUm: 20.05}, "FLEECE": {LowUm: 20.05, HighUm: 23.05},
			"MEDIUM": {LowUm: 23.05, HighUm: 26.55}, "HUARIZO": {LowUm: 26.55, HighUm: 29.05},
		},
	}
	r, err := consistency.BuildReport(in)
	if err != nil {
		t.Fatal(err)
	}
	if r.OtherStandardChecks != 1 || r.BorderlineChecks != 1 || r.Classifiers != 2 {
		t.Errorf("other %d, borderline %d, classifiers %d; want 1, 1, 2", r.OtherStandardChecks, r.BorderlineChecks, r.Classifiers)
	}
	if got := r.Overall.Statistics.Checks; got != 15 {
		t.Errorf("overall counts %d checks; want 15 (the other standard's left out)", got)
	}
	if got := r.Matrix.Total(); got != 15 {
		t.Errorf("matrix total %d; want 15", got)
	}
	if len(r.Below) != 1 || r.Below[0].ClassifierID != "lenient" || r.Below[0].AssociationID != "a2" {
		t.Fatalf("below threshold %+v; want the lenient classifier of a2 alone", r.Below)
	}
	lenient := r.Below[0].Statistics
	if lenient.Checks != 6 || lenient.ExactCount != 0 || lenient.DeclaredFinerCount != 6 {
		t.Errorf("lenient: %d checks, %d exact, %d declared finer; want 6, 0, 6", lenient.Checks, lenient.ExactCount, lenient.DeclaredFinerCount)
	}
	// Every lenient lot measured 30 µm, past each declared band: the bias is
	// positive (coarser than declared), and equals the mean distance.
	wantBias := ((30 - 20.05) + (30 - 23.05) + (30 - 26.55)) / 3
	if b := r.Below[0].Bias; !b.Defined() || math.Abs(b.MeanUm-wantBias) > 1e-9 {
		t.Errorf("lenient bias %+v; want %.4f µm", b, wantBias)
	}
	type month struct {
		Start  string
		Checks int
		Exact  int
	}
	var got []month
	for _, m := range r.Monthly {
		got = append(got, month{m.Start.Format("2006-01"), m.Statistics.Checks, m.Statistics.ExactCount})
	}
	want := []month{{"2026-03", 8, 8}, {"2026-04", 7, 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("monthly agreement (-want +got):\n%s", diff)
	}
}

func TestBuildReportLimitsTheList(t *testing.T) {
	t.Parallel()
	var checks []consistency.Check
	for c := range 5 {
		for i := range 4 {
			checks = append(checks, consistency.Check{ClassifierID: fmt.Sprintf("c%d", c), Standard: "std",
				Declared: "BABY", Checked: []string{"MEDIUM", "COARSE", "FLEECE", "HUARIZO"}[i], Time: at(time.March, 2)})
		}
	}
	r, err := consistency.BuildReport(consistency.ReportInput{Standard: "std", Scale: groups(t), From: at(time.March, 1),
		To: at(time.March, 31), KappaThreshold: 0.6, MaxBelow: 3, Checks: checks})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Below) != 3 || len(r.Monthly) != 1 {
		t.Errorf("%d below, %d months; want 3 (the cap) and 1", len(r.Below), len(r.Monthly))
	}
}

// TestPlanRegion: the lenient classifier's recent checks tighten its
// sample; checks under another standard and past the recent limit do not
// count; the plan is ordered by association and classifier and draws only
// each classifier's own lots, the same way for the same seed.
func TestPlanRegion(t *testing.T) {
	t.Parallel()
	in := consistency.RegionPlanInput{Seed: 42, Standard: "std", Scales: map[string]*consistency.Scale{"std": groups(t)}, RecentLimit: 20}
	for i := range 30 {
		in.Lots = append(in.Lots, consistency.PlanLot{ID: fmt.Sprintf("l%02d", i), AssociationID: "b", ClassifierID: "lenient"})
		in.Lots = append(in.Lots, consistency.PlanLot{ID: fmt.Sprintf("m%02d", i), AssociationID: "a", ClassifierID: "steady"})
	}
	codes := []string{"BABY", "FLEECE", "MEDIUM", "HUARIZO"}
	for i := range 20 {
		in.Checks = append(in.Checks,
			consistency.RecentCheck{ClassifierID: "lenient", Standard: "std", Pair: consistency.Pair{Declared: codes[i%3], Checked: codes[i%3+1]}},
			consistency.RecentCheck{ClassifierID: "steady", Standard: "std", Pair: consistency.Pair{Declared: codes[i%4], Checked: codes[i%4]}})
	}
	// Older than the limit, or of another standard: ignored.
	for range 30 {
		in.Checks = append(in.Checks,
			consistency.RecentCheck{ClassifierID: "lenient", Standard: "std", Pair: consistency.Pair{Declared: "BABY", Checked: "BABY"}},
			consistency.RecentCheck{ClassifierID: "steady", Standard: "other", Pair: consistency.Pair{Declared: "BABY", Checked: "COARSE"}})
	}
	plan, err := consistency.PlanRegion(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 2 || plan[0].ClassifierID != "steady" || plan[1].ClassifierID != "lenient" {
		t.Fatalf("plan %+v; want steady (association a) then lenient (b)", plan)
	}
	steady, lenient := plan[0], plan[1]
	if steady.Severity != consistency.Reduced || lenient.Severity != consistency.Tightened {
		t.Errorf("severities %v, %v; want reduced, tightened", steady.Severity, lenient.Severity)
	}
	if steady.Recent.Checks != 20 || lenient.Recent.Checks != 20 || lenient.Recent.ExactCount != 0 {
		t.Errorf("recent checks %d and %d (lenient exact %d); want 20, 20 (0)", steady.Recent.Checks, lenient.Recent.Checks, lenient.Recent.ExactCount)
	}
	for _, c := range plan {
		if c.LotCount != 30 || len(c.Chosen) != c.Size.Size {
			t.Errorf("%s: %d lots, %d chosen of size %d", c.ClassifierID, c.LotCount, len(c.Chosen), c.Size.Size)
		}
		for i, l := range c.Chosen {
			if l.ClassifierID != c.ClassifierID || i > 0 && l.ID <= c.Chosen[i-1].ID {
				t.Errorf("%s: chosen lots %v not its own in id order", c.ClassifierID, c.Chosen)
				break
			}
		}
	}
	if lenient.Size.Size <= steady.Size.Size {
		t.Errorf("tightened sample %d not larger than reduced %d for the same lot count", lenient.Size.Size, steady.Size.Size)
	}
	again, err := consistency.PlanRegion(in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(plan, again); diff != "" {
		t.Errorf("same seed, other plan (-first +second):\n%s", diff)
	}
}

// TestPlanRegionIgnoresIDs: the same lots registered in two databases,
// under other random ids and read in another order, give the same lot
// numbers when their classifiers carry the same keys; another key draws
// other lots.
func TestPlanRegionIgnoresIDs(t *testing.T) {
	t.Parallel()
	draw := func(idPrefix string, reverse bool, key string) []string {
		in := consistency.RegionPlanInput{Seed: 7, Standard: "std", Scales: map[string]*consistency.Scale{"std": groups(t)}, RecentLimit: 20}
		created := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
		for i := range 60 {
			// Ids whose order is unrelated to the lots' numbers.
			id := fmt.Sprintf("%s-%02d", idPrefix, (i*37)%60)
			in.Lots = append(in.Lots, consistency.PlanLot{ID: id, AssociationID: idPrefix + "-a", ClassifierID: idPrefix + "-c",
				Campaign: 2026, LotNumber: fmt.Sprintf("2026-%04d", i+1), Created: created.Add(time.Duration(i) * time.Second), ClassifierKey: key})
		}
		if reverse {
			slices.Reverse(in.Lots)
		}
		plan, err := consistency.PlanRegion(in)
		if err != nil || len(plan) != 1 {
			t.Fatalf("plan %v, %v", plan, err)
		}
		numbers := map[string]string{}
		for _, l := range in.Lots {
			numbers[l.ID] = l.LotNumber
		}
		var out []string
		for _, l := range plan[0].Chosen {
			out = append(out, l.LotNumber)
		}
		for _, id := range plan[0].LotIDs {
			if numbers[id] == "" {
				t.Errorf("LotIDs holds %q, not a lot id", id)
			}
		}
		slices.Sort(out)
		return out
	}
	first := draw("x", false, "20448000011/47000001")
	if diff := cmp.Diff(first, draw("y", true, "20448000011/47000001")); diff != "" {
		t.Errorf("same lots under other ids drew other lots (-first +second):\n%s", diff)
	}
	if cmp.Equal(first, draw("x", false, "20448000029/47000002")) {
		t.Errorf("another classifier key drew the same lots %v", first)
	}
}

// TestPlanRegionJudgesEachStandard: a classifier's checks of whole
// fleeces are judged on the categories' scale beside its checks of graded
// fibre on the groups', and the strictest verdict stands: consistent on
// graded fibre but lenient on fleeces is tightened; reduced needs enough
// consistent checks under both; a standard with too few checks to judge
// does not overrule one that has enough.
func TestPlanRegionJudgesEachStandard(t *testing.T) {
	t.Parallel()
	cats, err := consistency.NewScale([]string{"EXTRAFINA", "FINA", "SEMIFINA", "GRUESA"})
	if err != nil {
		t.Fatal(err)
	}
	in := consistency.RegionPlanInput{Seed: 3, Standard: "std", RecentLimit: 40,
		Scales: map[string]*consistency.Scale{"std": groups(t), "cat": cats}}
	for _, c := range []string{"mixed", "steady", "bothReduce", "few", "fleeceOnly", "none"} {
		for i := range 30 {
			in.Lots = append(in.Lots, consistency.PlanLot{ID: fmt.Sprintf("%s%02d", c, i), AssociationID: "a", ClassifierID: c})
		}
	}
	graded := []string{"BABY", "FLEECE", "MEDIUM", "HUARIZO"}
	category := []string{"EXTRAFINA", "FINA", "SEMIFINA", "GRUESA"}
	check := func(classifier, std string, declared, checked string) {
		in.Checks = append(in.Checks, consistency.RecentCheck{ClassifierID: classifier, Standard: std, Pair: consistency.Pair{Declared: declared, Checked: checked}})
	}
	// Most recent first: the fleece checks, then the graded ones.
	for i := range 10 {
		check("mixed", "cat", category[i%3], category[i%3+1]) // declared one category finer, every time
		check("steady", "cat", category[i%4], category[i%4])
		check("fleeceOnly", "cat", category[i%3], category[i%3+1])
	}
	for i := range 20 {
		check("bothReduce", "cat", category[i%4], category[i%4])
	}
	for i := range 3 {
		check("few", "cat", category[i%3], category[i%3+1])
	}
	for i := range 25 {
		check("mixed", "std", graded[i%4], graded[i%4])
		check("steady", "std", graded[i%4], graded[i%4])
		check("few", "std", graded[i%4], graded[i%4])
		check("bothReduce", "std", graded[i%4], graded[i%4]) // the last 5 are past the recent limit of 40
	}
	plan, err := consistency.PlanRegion(in)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]consistency.ClassifierPlan{}
	for _, c := range plan {
		got[c.ClassifierID] = c
	}
	for _, want := range []struct {
		classifier string
		severity   consistency.Severity
		checks     int
	}{
		{"mixed", consistency.Tightened, 10},      // the fleece checks speak
		{"steady", consistency.Normal, 10},        // 10 fleece checks, all right, are too few to reduce
		{"bothReduce", consistency.Reduced, 20},   // 20 and 20: reduced under both
		{"few", consistency.Reduced, 25},          // three fleece checks cannot overrule 25 graded ones
		{"fleeceOnly", consistency.Tightened, 10}, // judged on the categories alone
		{"none", consistency.Normal, 0},
	} {
		c := got[want.classifier]
		if c.Severity != want.severity || c.Recent.Checks != want.checks {
			t.Errorf("%s: %v on %d checks; want %v on %d", want.classifier, c.Severity, c.Recent.Checks, want.severity, want.checks)
		}
	}
	// Only the scale of graded fibre: the fleece checks are left out, and
	// the lenient fleece classifier is judged on nothing.
	delete(in.Scales, "cat")
	plan, err = consistency.PlanRegion(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range plan {
		if c.ClassifierID == "mixed" && c.Severity != consistency.Reduced || c.ClassifierID == "fleeceOnly" && (c.Severity != consistency.Normal || c.Recent.Checks != 0) {
			t.Errorf("without the categories' scale, %s is %v on %d checks", c.ClassifierID, c.Severity, c.Recent.Checks)
		}
	}
}
