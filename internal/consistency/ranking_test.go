package consistency_test

import (
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/millwa/millwa/internal/consistency"
)

// classifier builds ranking input with only the fields the ranking reads.
func classifier(id string, checks, exact int, kappa float64, defined bool) consistency.ClassifierStatistics {
	st := consistency.Statistics{Checks: checks, ExactCount: exact}
	if checks > 0 {
		st.ExactProportion = float64(exact) / float64(checks)
	}
	if defined {
		st.WeightedKappa = consistency.Kappa{Defined: true, Value: kappa, N: checks}
	}
	return consistency.ClassifierStatistics{ClassifierID: id, Statistics: st}
}

func ids(cs []consistency.ClassifierStatistics) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ClassifierID
	}
	return out
}

func TestBelowThreshold(t *testing.T) {
	t.Parallel()
	input := []consistency.ClassifierStatistics{
		classifier("c-good", 40, 36, 0.91, true),
		classifier("c-at-threshold", 20, 15, 0.6, true),       // not below: 0.6 is not < 0.6
		classifier("c-low", 20, 10, 0.35, true),               //
		classifier("c-low-tie-b", 10, 6, 0.50, true),          // same kappa as c-low-tie-a,
		classifier("c-low-tie-a", 10, 6, 0.50, true),          // same exact agreement: by id
		classifier("c-low-worse-exact", 10, 4, 0.50, true),    // same kappa, lower exact: first
		classifier("c-one-disagreeing-check", 1, 0, 0, false), // undefined with disagreement
		classifier("c-one-agreeing-check", 1, 1, 0, false),    // undefined, no disagreement
		classifier("c-undefined-two", 2, 1, 0, false),         // undefined, higher exact
		classifier("c-no-checks", 0, 0, 0, false),
		classifier("c-negative", 30, 3, -0.2, true),
		classifier("c-lenient", 20, 0, 0.71, true),    // every lot one group off: kappa high, exact 0
		classifier("c-few-wrong", 4, 0, 0.70, true),   // too few checks to list on exact agreement
		classifier("c-half-exact", 10, 5, 0.75, true), // exactly at the exact-agreement edge
	}
	got, err := consistency.BelowThreshold(input, consistency.DefaultKappaThreshold)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"c-one-disagreeing-check", // undefined, exact 0
		"c-undefined-two",         // undefined, exact 0.5
		"c-negative",
		"c-low",
		"c-low-worse-exact",
		"c-low-tie-a",
		"c-low-tie-b",
		"c-lenient",
	}
	if diff := cmp.Diff(want, ids(got)); diff != "" {
		t.Errorf("BelowThreshold order mismatch (-want +got):\n%s", diff)
	}
	if input[0].ClassifierID != "c-good" || input[4].ClassifierID != "c-low-tie-a" {
		t.Errorf("BelowThreshold reordered its input: %v", ids(input))
	}

	// The order does not depend on the input order.
	reversed := make([]consistency.ClassifierStatistics, len(input))
	for i, c := range input {
		reversed[len(input)-1-i] = c
	}
	again, err := consistency.BelowThreshold(reversed, consistency.DefaultKappaThreshold)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, ids(again)); diff != "" {
		t.Errorf("BelowThreshold of reversed input mismatch (-want +got):\n%s", diff)
	}

	// At threshold −1 only undefined kappas with disagreement, and low
	// exact agreement over enough checks, are listed.
	low, err := consistency.BelowThreshold(input, -1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"c-one-disagreeing-check", "c-undefined-two", "c-negative", "c-low-worse-exact", "c-lenient"}, ids(low)); diff != "" {
		t.Errorf("BelowThreshold(-1) mismatch (-want +got):\n%s", diff)
	}
}

func TestBelowThresholdErrors(t *testing.T) {
	t.Parallel()
	for _, threshold := range []float64{-1.01, 1.01, math.NaN(), math.Inf(1)} {
		if _, err := consistency.BelowThreshold(nil, threshold); !errors.Is(err, consistency.ErrThreshold) {
			t.Errorf("BelowThreshold(%v) error = %v, want ErrThreshold", threshold, err)
		}
	}
	dup := []consistency.ClassifierStatistics{classifier("c", 5, 1, 0.1, true), classifier("c", 5, 5, 0.9, true)}
	if _, err := consistency.BelowThreshold(dup, 0.6); !errors.Is(err, consistency.ErrDuplicateClassifier) {
		t.Errorf("duplicate ids: error = %v, want ErrDuplicateClassifier", err)
	}
}
