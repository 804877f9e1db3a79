package grading_test

import (
	"math"
	"testing"

	"github.com/millwa/millwa/internal/grading"
)

// histogram2000 is a 2,000-fibre histogram in 1 µm classes from 9.5 µm, a
// normal curve around 22 µm with SD 4.5 µm, as an OFDA export would give.
var histogram2000 = func() grading.Histogram {
	h := grading.Histogram{StartUm: 9.5, WidthUm: 1, Counts: make([]int64, 40)}
	var total int64
	for i := range h.Counts {
		z := (h.StartUm + float64(i) + 0.5 - 22) / 4.5
		h.Counts[i] = int64(math.Round(2000 * math.Exp(-z*z/2) / (4.5 * math.Sqrt(2*math.Pi))))
		total += h.Counts[i]
	}
	h.Counts[12] += 2000 - total // the modal class takes the rounding
	return h
}()

func TestHistogram2000HasTwoThousandFibres(t *testing.T) {
	var n int64
	for _, c := range histogram2000.Counts {
		n += c
	}
	if n != 2000 {
		t.Fatalf("%d fibres", n)
	}
}

var sink any

// BenchmarkGradeHistogram2000 is GradeSample's work on a 2,000-fibre
// histogram: validation, metrics, decision and explanation.
func BenchmarkGradeHistogram2000(b *testing.B) {
	s := standard(b, "pe-ntp-231-301-2014")
	sample := grading.Sample{Breed: "HUACAYA", StapleLengthMm: new(82.0), Histogram: &histogram2000}
	b.ReportAllocs()
	for b.Loop() {
		g, err := s.Grade(sample)
		if err != nil {
			b.Fatal(err)
		}
		sink = g
	}
}

// BenchmarkComputeHistogram2000 is the metrics alone, for the same
// histogram: the difference to BenchmarkGradeHistogram2000 is the decision
// and its explanation.
func BenchmarkComputeHistogram2000(b *testing.B) {
	sample := grading.Sample{Histogram: &histogram2000}
	b.ReportAllocs()
	for b.Loop() {
		m, err := grading.Compute(sample)
		if err != nil {
			b.Fatal(err)
		}
		sink = m
	}
}

// BenchmarkGradeSummary grades the summary-values sample.
func BenchmarkGradeSummary(b *testing.B) {
	s := standard(b, "pe-ntp-231-301-2014")
	sample := withStaple(measured(22.4, 4.1, 2000), 82)
	b.ReportAllocs()
	for b.Loop() {
		g, err := s.Grade(sample)
		if err != nil {
			b.Fatal(err)
		}
		sink = g
	}
}

// BenchmarkSum2000 is a baseline: the mean of 2,000 fibre diameters given
// one by one, the least any grading of 2,000 raw fibres must do.
func BenchmarkSum2000(b *testing.B) {
	d := make([]float64, 2000)
	var i int
	for c, n := range histogram2000.Counts {
		for range n {
			d[i] = histogram2000.StartUm + float64(c) + 0.5
			i++
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		var sum float64
		for _, v := range d {
			sum += v
		}
		sink = sum / float64(len(d))
	}
}
