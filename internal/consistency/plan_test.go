package consistency_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/millwa/millwa/internal/consistency"
)

func planFor(t *testing.T, seed uint64, in []consistency.ClassifierLots) map[string]consistency.ClassifierSample {
	t.Helper()
	plan, err := consistency.ProposePlan(seed, in)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]consistency.ClassifierSample{}
	for _, p := range plan {
		out[p.ClassifierID] = p
	}
	return out
}

func TestProposePlan(t *testing.T) {
	t.Parallel()
	lowKappa := recent(12, 0.6, 0.42, 0.1, true)
	consistent := recent(30, 0.9, 0.92, 0.8, true)
	in := []consistency.ClassifierLots{
		{ClassifierID: "associations/a/classifiers/z-new", LotIDs: lotIDs(1, 14)},
		{ClassifierID: "associations/a/classifiers/b-lenient", LotIDs: lotIDs(101, 114), Recent: lowKappa},
		{ClassifierID: "associations/a/classifiers/c-idle"},
		{ClassifierID: "associations/a/classifiers/a-steady", LotIDs: lotIDs(201, 260), Recent: consistent},
		{ClassifierID: "associations/a/classifiers/d-one-lot", LotIDs: []string{"lot-900"}, Recent: lowKappa},
	}
	plan, err := consistency.ProposePlan(7, in)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID       string
		Severity consistency.Severity
		Cause    consistency.Cause
		Letter   string
		Size     int
	}
	var got []row
	for _, p := range plan {
		got = append(got, row{p.ClassifierID, p.Severity, p.Cause, p.Size.Letter.String(), p.Size.Size})
		if len(p.LotIDs) != p.Size.Size {
			t.Errorf("%s: %d lots chosen, size %d", p.ClassifierID, len(p.LotIDs), p.Size.Size)
		}
	}
	want := []row{
		{"associations/a/classifiers/a-steady", consistency.Reduced, consistency.CauseConsistentAgreement, "E", 5},
		{"associations/a/classifiers/b-lenient", consistency.Tightened, consistency.CauseLowKappa, "B", 5},
		{"associations/a/classifiers/d-one-lot", consistency.Tightened, consistency.CauseLowKappa, "A", 1},
		{"associations/a/classifiers/z-new", consistency.Normal, consistency.CauseTooFewChecks, "B", 3},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ProposePlan mismatch (-want +got):\n%s", diff)
	}
	for _, p := range plan {
		var own []string
		for _, c := range in {
			if c.ClassifierID == p.ClassifierID {
				own = c.LotIDs
			}
		}
		for _, id := range p.LotIDs {
			if !slices.Contains(own, id) {
				t.Errorf("%s: chose %q, not one of its lots", p.ClassifierID, id)
			}
		}
	}

	// Same inputs, same plan.
	again, err := consistency.ProposePlan(7, in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(plan, again); diff != "" {
		t.Errorf("ProposePlan is not deterministic (-first +second):\n%s", diff)
	}
}

// TestProposePlanClassifierIndependence: a classifier's lots depend only on
// the seed and its own input, not on which other classifiers are planned,
// nor on their lots or order.
// TestProposePlanSanctioned: a classifier on the ladder's step of
// tightened sampling is sampled tightened even when its recent checks
// would reduce its sample, and one without a sanction is not.
func TestProposePlanSanctioned(t *testing.T) {
	t.Parallel()
	consistent := recent(30, 0.9, 0.92, 0.8, true)
	plan, err := consistency.ProposePlan(7, []consistency.ClassifierLots{
		{ClassifierID: "associations/a/classifiers/sanctioned", LotIDs: lotIDs(1, 60), Recent: consistent, Sanctioned: true},
		{ClassifierID: "associations/a/classifiers/steady", LotIDs: lotIDs(101, 160), Recent: consistent},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 2 {
		t.Fatalf("%d classifiers in the plan, want 2", len(plan))
	}
	sanctioned, steady := plan[0], plan[1]
	if sanctioned.Severity != consistency.Tightened || sanctioned.Cause != consistency.CauseSanction {
		t.Errorf("sanctioned classifier: %v (%v), want tightened by the sanction", sanctioned.Severity, sanctioned.Cause)
	}
	if steady.Severity != consistency.Reduced {
		t.Errorf("steady classifier: %v, want reduced", steady.Severity)
	}
	if sanctioned.Size.Size <= steady.Size.Size {
		t.Errorf("sanctioned sample %d lots, steady %d: the sanctioned one should be larger", sanctioned.Size.Size, steady.Size.Size)
	}
}

func TestProposePlanClassifierIndependence(t *testing.T) {
	t.Parallel()
	x := consistency.ClassifierLots{ClassifierID: "associations/a/classifiers/x", LotIDs: lotIDs(1, 300)}
	y := consistency.ClassifierLots{ClassifierID: "associations/a/classifiers/y", LotIDs: lotIDs(301, 340)}
	yMore := consistency.ClassifierLots{ClassifierID: y.ClassifierID, LotIDs: lotIDs(301, 900), Recent: recent(10, 0.3, 0.2, 0, true)}
	w := consistency.ClassifierLots{ClassifierID: "associations/b/classifiers/w", LotIDs: lotIDs(901, 950)}

	alone := planFor(t, 99, []consistency.ClassifierLots{x})[x.ClassifierID]
	for _, others := range [][]consistency.ClassifierLots{
		{x, y},
		{y, x},
		{w, yMore, x},
	} {
		got := planFor(t, 99, others)[x.ClassifierID]
		if diff := cmp.Diff(alone, got); diff != "" {
			t.Errorf("x's sample changed with other classifiers (-alone +with others):\n%s", diff)
		}
	}

	// Another seed gives x another sample.
	if other := planFor(t, 100, []consistency.ClassifierLots{x})[x.ClassifierID]; slices.Equal(other.LotIDs, alone.LotIDs) {
		t.Errorf("seeds 99 and 100 chose the same lots %v", alone.LotIDs)
	}
}

// TestProposePlanTightenedContainsNormal: with the same seed and lots, the
// tightened sample contains the normal one, which contains the reduced one.
func TestProposePlanTightenedContainsNormal(t *testing.T) {
	t.Parallel()
	lots := lotIDs(1, 400)
	sample := func(r consistency.Statistics) []string {
		in := consistency.ClassifierLots{ClassifierID: "associations/a/classifiers/x", LotIDs: lots, Recent: r}
		return planFor(t, 5, []consistency.ClassifierLots{in})[in.ClassifierID].LotIDs
	}
	tight := sample(recent(10, 0.3, 0.2, 0, true))
	normal := sample(consistency.Statistics{})
	reduced := sample(recent(40, 0.95, 0.95, 0.9, true))
	if len(tight) != 80 || len(normal) != 50 || len(reduced) != 20 {
		t.Fatalf("sizes %d, %d, %d; want 80, 50, 20 (letter H, 400 lots)", len(tight), len(normal), len(reduced))
	}
	if diff := cmp.Diff(normal, tight[:len(normal)]); diff != "" {
		t.Errorf("tightened sample does not start with the normal one (-normal +tightened prefix):\n%s", diff)
	}
	if diff := cmp.Diff(reduced, normal[:len(reduced)]); diff != "" {
		t.Errorf("normal sample does not start with the reduced one (-reduced +normal prefix):\n%s", diff)
	}
}

func TestProposePlanErrors(t *testing.T) {
	t.Parallel()
	dup := []consistency.ClassifierLots{
		{ClassifierID: "c", LotIDs: []string{"l1"}},
		{ClassifierID: "c", LotIDs: []string{"l2"}},
	}
	if _, err := consistency.ProposePlan(1, dup); !errors.Is(err, consistency.ErrDuplicateClassifier) {
		t.Errorf("duplicate classifier: error = %v, want ErrDuplicateClassifier", err)
	}
	dupLots := []consistency.ClassifierLots{{ClassifierID: "c", LotIDs: []string{"l1", "l1"}}}
	if _, err := consistency.ProposePlan(1, dupLots); !errors.Is(err, consistency.ErrDuplicateCandidate) {
		t.Errorf("duplicate lot: error = %v, want ErrDuplicateCandidate", err)
	}
	plan, err := consistency.ProposePlan(1, nil)
	if err != nil || len(plan) != 0 {
		t.Errorf("ProposePlan(nil) = %v, %v; want an empty plan", plan, err)
	}
}
