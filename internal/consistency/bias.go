package consistency

import (
	"fmt"
	"math"
)

// Band is a quality group's range of mean fibre diameter in micrometres,
// [LowUm, HighUm): LowUm inclusive, HighUm exclusive, no upper edge when
// OpenAbove. The finest group, open below, has LowUm 0.
//
// Give the band in the same terms as the measurement it is compared with.
// For a standard whose bands are written inclusive at a resolution r (for
// example BABY 20.1–23.0 at 0.1 µm) and which grades the mean rounded to r,
// the unrounded means that grade into the band are [min − r/2, max + r/2).
// Whether the upper edge is inclusive does not change a distance: at the
// edge itself the distance is 0 either way.
type Band struct {
	LowUm     float64
	HighUm    float64
	OpenAbove bool
}

// Validate reports whether the band's edges are finite, LowUm ≥ 0 and, for
// a band closed above, HighUm > LowUm.
func (b Band) Validate() error {
	if math.IsNaN(b.LowUm) || math.IsInf(b.LowUm, 0) || b.LowUm < 0 {
		return fmt.Errorf("%w: low edge %v", ErrBand, b.LowUm)
	}
	if !b.OpenAbove && (math.IsNaN(b.HighUm) || math.IsInf(b.HighUm, 0) || b.HighUm <= b.LowUm) {
		return fmt.Errorf("%w: [%v, %v)", ErrBand, b.LowUm, b.HighUm)
	}
	return nil
}

// DistanceUm is the signed distance in micrometres from a measured mean
// diameter to the band: 0 inside it, measured − HighUm (positive: the fibre
// is coarser than declared) above it, measured − LowUm (negative: finer
// than declared) below it. The band is assumed valid.
func (b Band) DistanceUm(measuredUm float64) float64 {
	switch {
	case measuredUm < b.LowUm:
		return measuredUm - b.LowUm
	case !b.OpenAbove && measuredUm >= b.HighUm:
		return measuredUm - b.HighUm
	}
	return 0
}

// DiameterCheck is one check's measured mean fibre diameter and the band of
// the group the classifier declared.
type DiameterCheck struct {
	MeasuredUm float64
	Declared   Band
}

// Bias is the mean signed distance of the measured diameters from the
// declared groups' bands. It never holds NaN or ±Inf.
type Bias struct {
	// Checks is the number of checks averaged.
	Checks int
	// MeanUm is the mean of Band.DistanceUm over the checks, in µm: positive
	// when, on average, fibre is coarser than declared. 0 when there are no
	// checks (see Defined).
	MeanUm float64
	// CoarserCount counts checks at a positive distance (fibre coarser than
	// the declared band), FinerCount those at a negative one.
	CoarserCount, FinerCount int
}

// Defined reports whether there was at least one check, that is whether
// MeanUm means anything.
func (b Bias) Defined() bool { return b.Checks > 0 }

// MeanBias averages the signed distance of each measured diameter from its
// declared band. Every measurement must be finite and ≥ 0 and every band
// valid.
func MeanBias(checks []DiameterCheck) (Bias, error) {
	var out Bias
	var sum float64
	for i, c := range checks {
		if err := c.Declared.Validate(); err != nil {
			return Bias{}, fmt.Errorf("check %d: %w", i, err)
		}
		if math.IsNaN(c.MeasuredUm) || math.IsInf(c.MeasuredUm, 0) || c.MeasuredUm < 0 {
			return Bias{}, fmt.Errorf("%w: check %d measured %v", ErrMeasurement, i, c.MeasuredUm)
		}
		d := c.Declared.DistanceUm(c.MeasuredUm)
		switch {
		case d > 0:
			out.CoarserCount++
		case d < 0:
			out.FinerCount++
		}
		sum += d
	}
	out.Checks = len(checks)
	if out.Checks > 0 {
		out.MeanUm = sum / float64(out.Checks)
	}
	return out, nil
}
