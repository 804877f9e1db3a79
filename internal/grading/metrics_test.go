package grading_test

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/grading"
)

// triangle is 1,130 fibres in 1 µm classes from 9.5 µm, centred on 21 µm:
// the histogram of the service's contract test.
var triangle = func() []int64 {
	counts := make([]int64, 40)
	for i := range counts {
		if d := i - 11; d >= -8 && d <= 8 {
			counts[i] = int64(130 - 15*max(d, -d))
		}
	}
	return counts
}()

// within compares floats to 0.01, the precision the issue asks of metrics.
var within = cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) <= 0.01 })

// TestComputeHistogramReference checks metrics from histograms against
// numbers computed independently, with exact fractions, by
// testdata/reference_metrics.py.
func TestComputeHistogramReference(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		h    grading.Histogram
		want grading.Metrics
	}{
		{
			// triangle-21 N=1130 MFD=21.000000 CF=100.000000 SD=3.541479 CV=16.864185 SF=19.772717 Low=20.793509 High=21.206491
			"triangle-21", grading.Histogram{StartUm: 9.5, WidthUm: 1, Counts: triangle},
			grading.Metrics{
				MeanFiberDiameterUm: 21.000000, SDUm: new(3.541479), CVPercent: new(16.864185), ComfortFactorPercent: new(100.0),
				SpinningFinenessUm: new(19.772717), FibersMeasured: new(int64(1130)), MFDCI95LowUm: new(20.793509), MFDCI95HighUm: new(21.206491),
			},
		},
		{
			// wide-classes N=2097 MFD=22.664759 CF=93.252265 SD=4.716653 CV=20.810515 SF=22.023685 Low=22.462880 High=22.866638
			"wide-classes", grading.Histogram{StartUm: 9, WidthUm: 2, Counts: []int64{3, 10, 45, 120, 260, 410, 380, 300, 210, 150, 90, 60, 30, 15, 8, 4, 2}},
			grading.Metrics{
				MeanFiberDiameterUm: 22.664759, SDUm: new(4.716653), CVPercent: new(20.810515), ComfortFactorPercent: new(93.252265),
				SpinningFinenessUm: new(22.023685), FibersMeasured: new(int64(2097)), MFDCI95LowUm: new(22.462880), MFDCI95HighUm: new(22.866638),
			},
		},
		{
			// lognormal-24 N=1975 MFD=24.578734 CF=88.455696 SD=4.797416 CV=19.518564 SF=23.626413 Low=24.367152 High=24.790317
			"lognormal-24", grading.Histogram{StartUm: 15.25, WidthUm: 0.5, Counts: []int64{
				12, 16, 21, 27, 33, 39, 46, 53, 60, 66, 71, 76, 80, 82, 84, 85, 84, 83, 81, 78,
				75, 71, 67, 62, 58, 53, 48, 44, 40, 36, 32, 28, 25, 22, 19, 17, 15, 13, 11, 10,
				8, 7, 6, 5, 4, 4, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0,
			}},
			grading.Metrics{
				MeanFiberDiameterUm: 24.578734, SDUm: new(4.797416), CVPercent: new(19.518564), ComfortFactorPercent: new(88.455696),
				SpinningFinenessUm: new(23.626413), FibersMeasured: new(int64(1975)), MFDCI95LowUm: new(24.367152), MFDCI95HighUm: new(24.790317),
			},
		},
		{
			// bimodal N=1715 MFD=24.433965 CF=81.924198 SD=5.396837 CV=22.087439 SF=24.008631 Low=24.178540 High=24.689390
			"bimodal", grading.Histogram{StartUm: 14, WidthUm: 1.5, Counts: []int64{5, 40, 160, 300, 260, 120, 60, 40, 60, 140, 220, 180, 90, 30, 8, 2}},
			grading.Metrics{
				MeanFiberDiameterUm: 24.433965, SDUm: new(5.396837), CVPercent: new(22.087439), ComfortFactorPercent: new(81.924198),
				SpinningFinenessUm: new(24.008631), FibersMeasured: new(int64(1715)), MFDCI95LowUm: new(24.178540), MFDCI95HighUm: new(24.689390),
			},
		},
		{
			// One fibre: no SD, so no CV, spinning fineness or interval.
			"one fibre", grading.Histogram{StartUm: 20, WidthUm: 1, Counts: []int64{1}},
			grading.Metrics{MeanFiberDiameterUm: 20.5, ComfortFactorPercent: new(100.0), FibersMeasured: new(int64(1))},
		},
		{
			// Two fibres in the classes 29–30 and 30–31 µm: SD √0.5; half of
			// the second class lies over 30.5 µm, so a quarter of the fibres.
			"two fibres", grading.Histogram{StartUm: 29, WidthUm: 1, Counts: []int64{1, 1}},
			grading.Metrics{
				MeanFiberDiameterUm: 30, SDUm: new(math.Sqrt(0.5)), CVPercent: new(math.Sqrt(0.5) / 30 * 100), ComfortFactorPercent: new(75.0),
				SpinningFinenessUm: new(0.881 * 30 * math.Sqrt(1+5*math.Pow(math.Sqrt(0.5)/30, 2))), FibersMeasured: new(int64(2)),
				MFDCI95LowUm: new(30 - 1.96*math.Sqrt(0.5)/math.Sqrt(2)), MFDCI95HighUm: new(30 + 1.96*math.Sqrt(0.5)/math.Sqrt(2)),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := grading.Compute(grading.Sample{Histogram: &tt.h})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, within); diff != "" {
				t.Errorf("metrics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestComputeSummary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		sample grading.Sample
		want   grading.Metrics
	}{
		{
			// contract CV=18.303571 SF=21.323294 Low=22.220310 High=22.579690
			"contract", measured(22.4, 4.1, 2000),
			grading.Metrics{
				MeanFiberDiameterUm: 22.4, SDUm: new(4.1), CVPercent: new(18.303571), SpinningFinenessUm: new(21.323294),
				FibersMeasured: new(int64(2000)), MFDCI95LowUm: new(22.220310), MFDCI95HighUm: new(22.579690),
			},
		},
		{
			// borderline CV=17.903930 SF=21.731611 Low=22.331769 High=23.468231
			"borderline", measured(22.9, 4.1, 200),
			grading.Metrics{
				MeanFiberDiameterUm: 22.9, SDUm: new(4.1), CVPercent: new(17.903930), SpinningFinenessUm: new(21.731611),
				FibersMeasured: new(int64(200)), MFDCI95LowUm: new(22.331769), MFDCI95HighUm: new(23.468231),
			},
		},
		{
			// Spinning fineness equals the MFD when CV is 24 % (√(1 + 5 × 0.24²) = 1.1349…, × 0.881 ≈ 1).
			"CV 24 %", grading.Sample{MeanFiberDiameterUm: new(25.0), SDUm: new(6.0)},
			grading.Metrics{MeanFiberDiameterUm: 25, SDUm: new(6.0), CVPercent: new(24.0), SpinningFinenessUm: new(25.0)},
		},
		{"mean alone", summary(22.4), grading.Metrics{MeanFiberDiameterUm: 22.4}},
		{"mean and count", grading.Sample{MeanFiberDiameterUm: new(22.4), FibersMeasured: new(int64(7))}, grading.Metrics{MeanFiberDiameterUm: 22.4, FibersMeasured: new(int64(7))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := grading.Compute(tt.sample)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, within); diff != "" {
				t.Errorf("metrics (-want +got):\n%s", diff)
			}
		})
	}
}

// TestComputeComfortFactorOver30_5 checks the comfort factor as test
// reports state it, 100 − % of fibres over 30.5 µm (shared/domain/
// STANDARDS.md, "Measurements"), whatever the classes' start: a class
// straddling 30.5 µm counts the share of its width above it.
func TestComputeComfortFactorOver30_5(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		h    grading.Histogram
		want float64
	}{
		// 29.25–30.75 in 0.5 µm classes: the last class (30.25–30.75) is
		// half over 30.5, so 0.5 of 4 fibres.
		{"half a class over", grading.Histogram{StartUm: 29.25, WidthUm: 0.5, Counts: []int64{1, 2, 1}}, 87.5},
		// Classes ending at 30.5: nothing over it.
		{"edge on 30.5", grading.Histogram{StartUm: 28.5, WidthUm: 1, Counts: []int64{1, 1}}, 100},
		// Classes starting at 30.5: all over it.
		{"all over", grading.Histogram{StartUm: 30.5, WidthUm: 1, Counts: []int64{3}}, 0},
		// 29–33 µm evenly: 2.5 µm of the 4 lie over 30.5, so 37.5 % comfort
		// (a midpoint rule would give 25 % here and 50 % from 28.5).
		{"even spread from 29", grading.Histogram{StartUm: 29, WidthUm: 1, Counts: []int64{1, 1, 1, 1}}, 37.5},
		{"same spread in half classes", grading.Histogram{StartUm: 29, WidthUm: 0.5, Counts: []int64{1, 1, 1, 1, 1, 1, 1, 1}}, 37.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := grading.Compute(grading.Sample{Histogram: &tt.h})
			if err != nil {
				t.Fatal(err)
			}
			if m.ComfortFactorPercent == nil || math.Abs(*m.ComfortFactorPercent-tt.want) > 1e-9 {
				t.Errorf("comfort factor %v, want %v", deref(m.ComfortFactorPercent), tt.want)
			}
		})
	}
}

func TestComputeRefusesBadInput(t *testing.T) {
	t.Parallel()
	// Compute checks what Grade checks but the breed, which needs a standard.
	if _, err := grading.Compute(grading.Sample{Breed: "LLAMA", MeanFiberDiameterUm: new(22.0)}); err != nil {
		t.Errorf("Compute with any breed: %v", err)
	}
	_, err := grading.Compute(grading.Sample{MeanFiberDiameterUm: new(math.NaN()), SDUm: new(-1.0)})
	if diff := cmp.Diff([]string{"sample.mean_fiber_diameter_um", "sample.sd_um"}, violationFields(t, err)); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
