package consistency

import (
	"fmt"
	"slices"
)

// Scale is the list of category codes that declared and checked groups are
// compared on: the ordered categories, finest first, followed by unordered
// ones (such as a standard's short-fibre group, which has no diameter
// position). A Scale is immutable and safe for concurrent use.
type Scale struct {
	codes   []string
	ordered int
	index   map[string]int
}

// NewScale returns the scale of the ordered codes (finest first) followed by
// the unordered codes. Codes must be non-empty and distinct, and there must
// be at least one.
func NewScale(ordered []string, unordered ...string) (*Scale, error) {
	codes := make([]string, 0, len(ordered)+len(unordered))
	codes = append(codes, ordered...)
	codes = append(codes, unordered...)
	if len(codes) == 0 {
		return nil, ErrNoCategories
	}
	index := make(map[string]int, len(codes))
	for i, c := range codes {
		if _, dup := index[c]; dup || c == "" {
			return nil, fmt.Errorf("%w: %q", ErrDuplicateCategory, c)
		}
		index[c] = i
	}
	return &Scale{codes: codes, ordered: len(ordered), index: index}, nil
}

// Codes returns the scale's codes, ordered ones first: the row and column
// labels of its confusion matrices. The slice is a copy.
func (s *Scale) Codes() []string { return slices.Clone(s.codes) }

// Len is the number of codes, K.
func (s *Scale) Len() int { return len(s.codes) }

// Ordered is the number of ordered codes, which come first.
func (s *Scale) Ordered() int { return s.ordered }

// Index returns the position of code on the scale and whether it is there.
func (s *Scale) Index(code string) (int, bool) {
	i, ok := s.index[code]
	return i, ok
}

// Offset compares a checked code with a declared one: it returns
// position(checked) − position(declared) and true when both are ordered
// codes, so that a positive offset means the declared group was finer than
// measured; and 0 and false when either is unordered or not on the scale.
func (s *Scale) Offset(declared, checked string) (int, bool) {
	d, okd := s.index[declared]
	c, okc := s.index[checked]
	if !okd || !okc || d >= s.ordered || c >= s.ordered {
		return 0, false
	}
	return c - d, true
}

// Weighting chooses the agreement weights w_ij of a weighted kappa.
type Weighting int

// Weightings. Between ordered codes i and j of K ordered ones the agreement
// weight is 1 − |i−j|/(K−1) (Linear, Cicchetti and Allison 1971) or
// 1 − (i−j)²/(K−1)² (Quadratic, Fleiss and Cohen 1973); Unweighted gives 1
// on the diagonal and 0 elsewhere, which makes weighted kappa Cohen's (1960)
// kappa. An unordered code agrees only with itself under every weighting
// (weight 1 with itself, 0 with any other code), so a confusion with the
// short-fibre group is always a complete disagreement.
const (
	Unweighted Weighting = iota + 1
	Linear
	Quadratic
)

// String names the weighting.
func (w Weighting) String() string {
	switch w {
	case Unweighted:
		return "unweighted"
	case Linear:
		return "linear"
	case Quadratic:
		return "quadratic"
	}
	return fmt.Sprintf("Weighting(%d)", int(w))
}

// Weights returns the K×K agreement weights of the weighting on this scale
// (see Weighting). With a single ordered code the ordered block is just 1.
func (s *Scale) Weights(w Weighting) ([][]float64, error) {
	if w != Unweighted && w != Linear && w != Quadratic {
		return nil, fmt.Errorf("%w: %d", ErrWeighting, int(w))
	}
	k := len(s.codes)
	span := float64(s.ordered - 1)
	out := make([][]float64, k)
	for i := range out {
		out[i] = make([]float64, k)
		for j := range out[i] {
			switch {
			case i == j:
				out[i][j] = 1
			case i >= s.ordered || j >= s.ordered || w == Unweighted:
				out[i][j] = 0
			case w == Linear:
				out[i][j] = 1 - float64(abs(i-j))/span
			default:
				d := float64(i-j) / span
				out[i][j] = 1 - d*d
			}
		}
	}
	return out, nil
}

// Pair is one check: the group a classifier declared for a lot and the
// group the agency's check grade gave it.
type Pair struct {
	Declared string
	Checked  string
}

// ConfusionMatrix counts checks by declared code (rows) and checked code
// (columns).
type ConfusionMatrix struct {
	// Codes labels both the rows and the columns, in scale order.
	Codes []string
	// Counts[i][j] is the number of checks declared Codes[i] and checked
	// Codes[j].
	Counts [][]int
}

// Total is the number of checks in the matrix.
func (m ConfusionMatrix) Total() int {
	n := 0
	for _, row := range m.Counts {
		for _, c := range row {
			n += c
		}
	}
	return n
}

// Tabulate counts the pairs into a confusion matrix on the scale. Every code
// of every pair must be on the scale.
func (s *Scale) Tabulate(pairs []Pair) (ConfusionMatrix, error) {
	k := len(s.codes)
	m := ConfusionMatrix{Codes: slices.Clone(s.codes), Counts: make([][]int, k)}
	for i := range m.Counts {
		m.Counts[i] = make([]int, k)
	}
	for n, p := range pairs {
		d, ok := s.index[p.Declared]
		if !ok {
			return ConfusionMatrix{}, fmt.Errorf("%w: pair %d declared %q", ErrUnknownCategory, n, p.Declared)
		}
		c, ok := s.index[p.Checked]
		if !ok {
			return ConfusionMatrix{}, fmt.Errorf("%w: pair %d checked %q", ErrUnknownCategory, n, p.Checked)
		}
		m.Counts[d][c]++
	}
	return m, nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
