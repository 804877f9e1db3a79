package grading

import (
	"fmt"
	"math"
	"strconv"
)

// Bounds of a sample's measurements (FiberSample and DiameterHistogram in
// the API).
const (
	minDiameterUm     = 5.0        // lowest mean diameter and histogram start
	maxDiameterUm     = 100.0      // highest mean diameter and histogram end
	maxSDUm           = 50.0       // highest standard deviation
	maxFibres         = 10_000_000 // most fibres in a sample
	maxClasses        = 1000       // most classes in a histogram
	maxClassWidthUm   = 10.0       // widest histogram class
	minStapleLengthMm = 1.0        // shortest staple length
	maxStapleLengthMm = 500.0      // longest staple length

	// prickleFromUm is the diameter above which a fibre counts against the
	// comfort factor: test reports state it as 100 − % of fibres over
	// 30.5 µm (IWTO-12 and IWTO-47 reports; Millwa's domain notes).
	prickleFromUm = 30.5
)

// maxListedCounts is how many bad histogram classes are named one by one;
// the rest are counted in one violation.
const maxListedCounts = 10

// Histogram is a fibre-diameter distribution: Counts[i] fibres fell in the
// class from StartUm + i × WidthUm, WidthUm wide. Metrics use each class's
// midpoint, StartUm + (i + 0.5) × WidthUm.
type Histogram struct {
	StartUm float64
	WidthUm float64
	Counts  []int64
}

// Sample is what was measured on a sample of fibre: either the summary
// values (MeanFiberDiameterUm, with SDUm and FibersMeasured when known) or a
// Histogram, never both. StapleLengthMm is optional; when nil the short-fibre
// rule is not applied. Breed is optional; when given it must be one of the
// standard's breed codes. TestMethod is optional; when given it must be one
// of the standard's measurement tolerances' methods, and widens the
// interval judged for a borderline grade to that tolerance.
type Sample struct {
	Breed               string
	TestMethod          string
	MeanFiberDiameterUm *float64
	SDUm                *float64
	FibersMeasured      *int64
	StapleLengthMm      *float64
	Histogram           *Histogram
}

// Metrics are the figures derived from a sample. A nil field was not
// measurable from what the sample gave: the SD, CV, spinning fineness and
// interval need the standard deviation (from at least two fibres of a
// histogram), the interval also the fibre count, and the comfort factor a
// histogram.
type Metrics struct {
	MeanFiberDiameterUm  float64
	SDUm                 *float64
	CVPercent            *float64
	ComfortFactorPercent *float64
	SpinningFinenessUm   *float64
	FibersMeasured       *int64
	MFDCI95LowUm         *float64
	MFDCI95HighUm        *float64
}

// Compute validates a sample and returns its metrics. It returns an
// *InputError naming every invalid field (as "sample.…"); the breed is not
// checked, since that needs a standard (Standard.Grade checks it).
//
//   - MFD = Σ nᵢdᵢ / N over class midpoints dᵢ, or the given mean;
//   - SD = √(Σ nᵢ(dᵢ − MFD)² / (N − 1)) for N ≥ 2, or the given SD;
//   - CV % = SD / MFD × 100;
//   - comfort factor = 100 − % of fibres over 30.5 µm, fibres spread evenly
//     across their class, so that where the classes start does not change it;
//   - spinning fineness = 0.881 × MFD × √(1 + 5 (CV / 100)²) (Butler and
//     Dolling);
//   - 95 % interval of the mean = MFD ± 1.96 × SD / √N.
func Compute(sample Sample) (Metrics, error) {
	var vs violations
	checkSample(&sample, &vs)
	if err := vs.err(); err != nil {
		return Metrics{}, err
	}
	return metrics(&sample), nil
}

// checkSample records every invalid field of a sample except its breed.
func checkSample(s *Sample, vs *violations) {
	summary := s.MeanFiberDiameterUm != nil || s.SDUm != nil || s.FibersMeasured != nil
	if s.Histogram != nil && summary {
		const why = "must be absent when sample.histogram is given: give the summary values or the histogram, not both"
		if s.MeanFiberDiameterUm != nil {
			vs.Add("sample.mean_fiber_diameter_um", why)
		}
		if s.SDUm != nil {
			vs.Add("sample.sd_um", why)
		}
		if s.FibersMeasured != nil {
			vs.Add("sample.fibers_measured", why)
		}
	}
	if s.Histogram == nil && s.MeanFiberDiameterUm == nil {
		vs.Add("sample.mean_fiber_diameter_um", "is required: give the mean fibre diameter (with sd_um and fibers_measured when known) or a histogram")
	}
	if v := s.MeanFiberDiameterUm; v != nil {
		checkRange(vs, "sample.mean_fiber_diameter_um", *v, minDiameterUm, maxDiameterUm, "µm")
	}
	if v := s.SDUm; v != nil {
		checkRange(vs, "sample.sd_um", *v, 0, maxSDUm, "µm")
	}
	if v := s.FibersMeasured; v != nil && (*v < 1 || *v > maxFibres) {
		vs.Add("sample.fibers_measured", "must be between 1 and 10,000,000 fibres, got %s", grouped(*v))
	}
	if v := s.StapleLengthMm; v != nil {
		checkRange(vs, "sample.staple_length_mm", *v, minStapleLengthMm, maxStapleLengthMm, "mm")
	}
	if h := s.Histogram; h != nil {
		checkHistogram(h, vs)
	}
}

// checkRange records a value that is not a finite number in [lo, hi].
func checkRange(vs *violations, field string, v, lo, hi float64, unit string) {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		vs.Add(field, "must be a finite number")
	case v < lo || v > hi:
		vs.Add(field, "must be between %s and %s %s, got %s", trimmed(lo, 6), trimmed(hi, 6), unit, strconv.FormatFloat(v, 'g', -1, 64))
	}
}

func checkHistogram(h *Histogram, vs *violations) {
	startOK := !math.IsNaN(h.StartUm) && !math.IsInf(h.StartUm, 0) && h.StartUm >= minDiameterUm && h.StartUm <= maxDiameterUm
	checkRange(vs, "sample.histogram.start_um", h.StartUm, minDiameterUm, maxDiameterUm, "µm")
	widthOK := false
	switch w := h.WidthUm; {
	case math.IsNaN(w) || math.IsInf(w, 0):
		vs.Add("sample.histogram.width_um", "must be a finite number")
	case w <= 0 || w > maxClassWidthUm:
		vs.Add("sample.histogram.width_um", "must be above 0 and at most 10 µm, got %s", strconv.FormatFloat(w, 'g', -1, 64))
	default:
		widthOK = true
	}
	n := len(h.Counts)
	switch {
	case n == 0:
		vs.Add("sample.histogram.counts", "must have at least one class")
		return
	case n > maxClasses:
		vs.Add("sample.histogram.counts", "must have at most 1,000 classes, got %s", grouped(int64(n)))
	}
	var total int64
	negative := 0
	for i, c := range h.Counts {
		if c < 0 {
			if negative < maxListedCounts {
				vs.Add(fmt.Sprintf("sample.histogram.counts[%d]", i), "must not be negative, got %s", grouped(c))
			}
			negative++
			continue
		}
		if total > math.MaxInt64-c {
			total = math.MaxInt64
		} else {
			total += c
		}
	}
	if negative > maxListedCounts {
		vs.Add("sample.histogram.counts", "%d more classes are negative", negative-maxListedCounts)
	}
	switch {
	case total == 0 && negative == 0:
		vs.Add("sample.histogram.counts", "must count at least one fibre")
	case total == math.MaxInt64:
		vs.Add("sample.histogram.counts", "must count at most 10,000,000 fibres in all")
	case total > maxFibres:
		vs.Add("sample.histogram.counts", "must count at most 10,000,000 fibres in all, got %s", grouped(total))
	}
	if startOK && widthOK && n <= maxClasses {
		if end := h.StartUm + float64(n)*h.WidthUm; end > maxDiameterUm+1e-9 {
			vs.Add("sample.histogram.counts", "%d classes of %s µm from %s µm end at %s µm: the classes must end at or below 100 µm (drop empty classes above it)",
				n, trimmed(h.WidthUm, 6), trimmed(h.StartUm, 6), trimmed(end, 6))
		}
	}
}

// metricValues holds the values Metrics points to, so that one allocation
// serves them all.
type metricValues struct {
	sd, cv, cf, sf, low, high float64
	n                         int64
}

// shareAbove is the share of a class [lo, lo+w) that lies above limit,
// the class's fibres taken as spread evenly across it.
func shareAbove(lo, w, limit float64) float64 {
	switch {
	case lo >= limit:
		return 1
	case lo+w <= limit:
		return 0
	}
	return (lo + w - limit) / w
}

// metrics computes the metrics of a valid sample.
func metrics(s *Sample) Metrics {
	v := new(metricValues)
	var m Metrics
	var sdKnown bool
	if h := s.Histogram; h != nil {
		var n int64
		var sum float64
		for i, c := range h.Counts {
			n += c
			sum += float64(c) * (h.StartUm + (float64(i)+0.5)*h.WidthUm)
		}
		mfd := sum / float64(n)
		var ss float64
		var prickly float64
		for i, c := range h.Counts {
			if c == 0 {
				continue
			}
			d := h.StartUm + (float64(i)+0.5)*h.WidthUm
			ss += float64(c) * (d - mfd) * (d - mfd)
			prickly += float64(c) * shareAbove(h.StartUm+float64(i)*h.WidthUm, h.WidthUm, prickleFromUm)
		}
		m.MeanFiberDiameterUm = mfd
		v.n = n
		m.FibersMeasured = &v.n
		v.cf = 100 - prickly*100/float64(n)
		m.ComfortFactorPercent = &v.cf
		if n >= 2 {
			v.sd = math.Sqrt(ss / float64(n-1))
			sdKnown = true
		}
	} else {
		m.MeanFiberDiameterUm = *s.MeanFiberDiameterUm
		if s.FibersMeasured != nil {
			v.n = *s.FibersMeasured
			m.FibersMeasured = &v.n
		}
		if s.SDUm != nil {
			v.sd = *s.SDUm
			sdKnown = true
		}
	}
	if !sdKnown {
		return m
	}
	mfd := m.MeanFiberDiameterUm
	v.cv = v.sd / mfd * 100
	v.sf = 0.881 * mfd * math.Sqrt(1+5*(v.cv/100)*(v.cv/100))
	m.SDUm, m.CVPercent, m.SpinningFinenessUm = &v.sd, &v.cv, &v.sf
	if m.FibersMeasured != nil {
		half := 1.96 * v.sd / math.Sqrt(float64(v.n))
		v.low, v.high = mfd-half, mfd+half
		m.MFDCI95LowUm, m.MFDCI95HighUm = &v.low, &v.high
	}
	return m
}
