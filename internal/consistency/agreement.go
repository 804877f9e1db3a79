package consistency

import (
	"fmt"
	"slices"
)

// Statistics summarises how a set of checks agrees with the groups declared
// for the same lots. It never holds NaN or ±Inf.
type Statistics struct {
	// Checks is the number of checks (pairs).
	Checks int
	// ExactCount counts checks whose group is the declared one.
	ExactCount int
	// AdjacentCount counts checks at most one ordered position from the
	// declared group, exact ones included. An unordered code (the
	// short-fibre group) is adjacent only to itself.
	AdjacentCount int
	// DeclaredFinerCount counts checks where the classifier declared a finer
	// group than measured (Scale.Offset > 0: lenient grading).
	DeclaredFinerCount int
	// DeclaredCoarserCount counts checks where the classifier declared a
	// coarser group than measured (Scale.Offset < 0).
	DeclaredCoarserCount int
	// ExactProportion is ExactCount / Checks and AdjacentProportion is
	// AdjacentCount / Checks, both in [0, 1]; 0 when there are no checks.
	ExactProportion, AdjacentProportion float64
	// Kappa is Cohen's unweighted kappa.
	Kappa Kappa
	// Weighting is the weighting of WeightedKappa.
	Weighting Weighting
	// WeightedKappa is the kappa under Weighting.
	WeightedKappa Kappa
	// Matrix is the confusion matrix, declared × checked.
	Matrix ConfusionMatrix
}

// Disagreements is the number of checks whose group is not the declared one.
func (s Statistics) Disagreements() int { return s.Checks - s.ExactCount }

// Agreement tabulates the pairs on the scale and summarises them, with the
// weighted kappa under w (Quadratic for the service's reports).
func (s *Scale) Agreement(pairs []Pair, w Weighting) (Statistics, error) {
	m, err := s.Tabulate(pairs)
	if err != nil {
		return Statistics{}, err
	}
	return s.Summarize(m, w)
}

// Summarize computes the statistics of a confusion matrix on this scale, for
// counts aggregated elsewhere (for example by a database query). The
// matrix's codes must be the scale's, in order.
func (s *Scale) Summarize(m ConfusionMatrix, w Weighting) (Statistics, error) {
	if !slices.Equal(m.Codes, s.codes) {
		return Statistics{}, fmt.Errorf("%w: matrix codes %q, scale codes %q", ErrShape, m.Codes, s.codes)
	}
	weights, err := s.Weights(w)
	if err != nil {
		return Statistics{}, err
	}
	kappa, err := CohenKappa(m.Counts)
	if err != nil {
		return Statistics{}, err
	}
	weighted, err := WeightedKappa(m.Counts, weights)
	if err != nil {
		return Statistics{}, err
	}
	st := Statistics{
		Checks:        kappa.N,
		Kappa:         kappa,
		Weighting:     w,
		WeightedKappa: weighted,
		Matrix: ConfusionMatrix{
			Codes:  slices.Clone(m.Codes),
			Counts: make([][]int, len(m.Counts)),
		},
	}
	for i, row := range m.Counts {
		st.Matrix.Counts[i] = slices.Clone(row)
		for j, c := range row {
			if c == 0 {
				continue
			}
			switch {
			case i == j:
				st.ExactCount += c
				st.AdjacentCount += c
			case i < s.ordered && j < s.ordered:
				offset := j - i // position(checked) − position(declared)
				if offset == 1 || offset == -1 {
					st.AdjacentCount += c
				}
				if offset > 0 {
					st.DeclaredFinerCount += c
				} else {
					st.DeclaredCoarserCount += c
				}
			}
		}
	}
	if st.Checks > 0 {
		st.ExactProportion = float64(st.ExactCount) / float64(st.Checks)
		st.AdjacentProportion = float64(st.AdjacentCount) / float64(st.Checks)
	}
	return st, nil
}
