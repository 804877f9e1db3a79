package consistency

import "errors"

// Sentinel errors. Functions wrap them with the offending value, so test
// with errors.Is.
var (
	// ErrNoCategories is returned for a scale without categories.
	ErrNoCategories = errors.New("consistency: no categories")
	// ErrDuplicateCategory is returned when a category code appears twice in
	// a scale or is empty.
	ErrDuplicateCategory = errors.New("consistency: duplicate or empty category code")
	// ErrUnknownCategory is returned for a pair whose declared or checked code
	// is not on the scale.
	ErrUnknownCategory = errors.New("consistency: unknown category")
	// ErrShape is returned when a count or weight matrix is not square or does
	// not match the scale.
	ErrShape = errors.New("consistency: matrix shape")
	// ErrNegativeCount is returned for a negative cell count.
	ErrNegativeCount = errors.New("consistency: negative count")
	// ErrWeights is returned for agreement weights outside [0, 1] or a
	// diagonal weight other than 1.
	ErrWeights = errors.New("consistency: invalid agreement weights")
	// ErrWeighting is returned for an unknown Weighting.
	ErrWeighting = errors.New("consistency: unknown weighting")
	// ErrBand is returned for a diameter band whose edges are not finite or
	// not in order.
	ErrBand = errors.New("consistency: invalid diameter band")
	// ErrMeasurement is returned for a measured diameter that is negative or
	// not finite.
	ErrMeasurement = errors.New("consistency: invalid measured diameter")
	// ErrThreshold is returned for a kappa threshold outside [-1, 1].
	ErrThreshold = errors.New("consistency: kappa threshold outside [-1, 1]")
	// ErrLotCount is returned for a negative lot count.
	ErrLotCount = errors.New("consistency: negative lot count")
	// ErrSeverity is returned for an unknown Severity.
	ErrSeverity = errors.New("consistency: unknown inspection severity")
	// ErrSampleSize is returned when a selection asks for a negative number
	// of candidates or more than there are.
	ErrSampleSize = errors.New("consistency: sample size outside [0, candidates]")
	// ErrDuplicateCandidate is returned when a candidate id appears twice.
	ErrDuplicateCandidate = errors.New("consistency: duplicate candidate")
	// ErrDuplicateClassifier is returned when a classifier id appears twice
	// in a ranking or a plan.
	ErrDuplicateClassifier = errors.New("consistency: duplicate classifier")
)
