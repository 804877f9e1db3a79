package consistency

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// DefaultKappaThreshold is the weighted kappa below which a classifier is
// listed as inconsistent when no other threshold is asked for: 0.6, the
// lower edge of "substantial" agreement in Landis and Koch (1977), "The
// measurement of observer agreement for categorical data", Biometrics
// 33:159–174.
const DefaultKappaThreshold = 0.6

// ClassifierStatistics is one classifier's agreement statistics.
type ClassifierStatistics struct {
	ClassifierID string
	Statistics   Statistics
}

// BelowThreshold lists the classifiers whose weighted kappa is below the
// threshold, or is undefined while some of their checks disagree, or whose
// exact agreement is below TightenBelowExact over at least
// MinChecksToJudge checks, worst first. The last rule is there because a
// quadratic-weighted kappa forgives a systematic one-group error: a
// classifier who declares every lot one group finer than measured keeps a
// kappa of about 0.7 to 0.8 over a season's spread of groups, and yet
// every one of its declarations is wrong; the sampling plan tightens on the
// same rule (DecideSeverity), so report and plan agree. The order is
// total, so equal inputs always give the same list:
//
//  1. undefined weighted kappa first (there is disagreement but too little
//     evidence to correct it for chance);
//  2. then lowest weighted kappa;
//  3. then lowest exact agreement proportion;
//  4. then classifier id, byte-wise.
//
// Classifiers without checks, and those with an undefined kappa and no
// disagreement, are not listed. The threshold must lie in [−1, 1], and
// classifier ids must be distinct. The input is not modified.
func BelowThreshold(classifiers []ClassifierStatistics, threshold float64) ([]ClassifierStatistics, error) {
	if math.IsNaN(threshold) || threshold < -1 || threshold > 1 {
		return nil, fmt.Errorf("%w: %v", ErrThreshold, threshold)
	}
	seen := make(map[string]bool, len(classifiers))
	var out []ClassifierStatistics
	for _, c := range classifiers {
		if seen[c.ClassifierID] {
			return nil, fmt.Errorf("%w: %q", ErrDuplicateClassifier, c.ClassifierID)
		}
		seen[c.ClassifierID] = true
		k := c.Statistics.WeightedKappa
		st := c.Statistics
		if (k.Defined && k.Value < threshold) || (!k.Defined && st.Disagreements() > 0) ||
			(st.Checks >= MinChecksToJudge && st.ExactProportion < TightenBelowExact) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, compareWorstFirst)
	return out, nil
}

// compareWorstFirst orders classifiers for BelowThreshold.
func compareWorstFirst(a, b ClassifierStatistics) int {
	ka, kb := a.Statistics.WeightedKappa, b.Statistics.WeightedKappa
	if ka.Defined != kb.Defined {
		if !ka.Defined {
			return -1
		}
		return 1
	}
	if ka.Defined {
		if c := cmp.Compare(ka.Value, kb.Value); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(a.Statistics.ExactProportion, b.Statistics.ExactProportion); c != 0 {
		return c
	}
	return cmp.Compare(a.ClassifierID, b.ClassifierID)
}
