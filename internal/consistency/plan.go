package consistency

import (
	"cmp"
	"fmt"
	"slices"
)

// ClassifierLots is one classifier's input to a sampling plan: its lots in
// the period and the statistics of its recent checks.
type ClassifierLots struct {
	ClassifierID string
	// LotIDs are the classifier's lots in the period; distinct, in any order.
	LotIDs []string
	// Recent is the agreement of the classifier's recent checks, with
	// quadratic weights, that DecideSeverity judges.
	Recent Statistics
}

// ClassifierSample is one classifier's part of a sampling plan.
type ClassifierSample struct {
	ClassifierID string
	// Severity and Cause are DecideSeverity's verdict on the recent checks.
	Severity Severity
	Cause    Cause
	// Size is the sample size and how it was read from the tables.
	Size SampleSize
	// LotIDs are the Size.Size lots chosen, in draw order.
	LotIDs []string
}

// ProposePlan decides each classifier's severity (DecideSeverity), its
// sample size (SampleSizeFor) and its lots (Select with the classifier id as
// the stream). Classifiers without lots are left out; the rest are returned
// ordered by classifier id. Each classifier's part depends only on the seed
// and its own input. Classifier ids must be distinct.
func ProposePlan(seed uint64, classifiers []ClassifierLots) ([]ClassifierSample, error) {
	seen := make(map[string]bool, len(classifiers))
	out := make([]ClassifierSample, 0, len(classifiers))
	for _, c := range classifiers {
		if seen[c.ClassifierID] {
			return nil, fmt.Errorf("%w: %q", ErrDuplicateClassifier, c.ClassifierID)
		}
		seen[c.ClassifierID] = true
		if len(c.LotIDs) == 0 {
			continue
		}
		severity, cause := DecideSeverity(c.Recent)
		size, err := SampleSizeFor(len(c.LotIDs), severity)
		if err != nil {
			return nil, err
		}
		lots, err := Select(seed, c.ClassifierID, c.LotIDs, size.Size)
		if err != nil {
			return nil, fmt.Errorf("classifier %q: %w", c.ClassifierID, err)
		}
		out = append(out, ClassifierSample{
			ClassifierID: c.ClassifierID,
			Severity:     severity,
			Cause:        cause,
			Size:         size,
			LotIDs:       lots,
		})
	}
	slices.SortFunc(out, func(a, b ClassifierSample) int { return cmp.Compare(a.ClassifierID, b.ClassifierID) })
	return out, nil
}
