package consistency_test

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/millwa/millwa/internal/consistency"
)

// Bands of NTP 231.301:2014 as [min − r/2, max + r/2) at r = 0.1 µm:
// SUPER_BABY up to 20.0, BABY 20.1–23.0, FLEECE 23.1–26.5, COARSE from
// 31.6, open above.
var (
	superBabyBand = consistency.Band{LowUm: 0, HighUm: 20.05}
	babyBand      = consistency.Band{LowUm: 20.05, HighUm: 23.05}
	fleeceBand    = consistency.Band{LowUm: 23.05, HighUm: 26.55}
	coarseBand    = consistency.Band{LowUm: 31.55, OpenAbove: true}
)

func TestBandDistance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		band     consistency.Band
		measured float64
		want     float64
	}{
		{"inside", babyBand, 21.7, 0},
		{"at the low edge", babyBand, 20.05, 0},
		{"at the high edge", babyBand, 23.05, 0},
		{"coarser than declared", babyBand, 24.15, 1.1},
		{"finer than declared", fleeceBand, 21.55, -1.5},
		{"open above never coarser", coarseBand, 41.3, 0},
		{"open above, finer", coarseBand, 29.55, -2},
		{"finest group, open below", superBabyBand, 12.4, 0},
		{"finest group, coarser", superBabyBand, 20.55, 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.band.DistanceUm(tc.measured); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("%+v.DistanceUm(%v) = %v, want %v", tc.band, tc.measured, got, tc.want)
			}
		})
	}
}

func TestMeanBias(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		checks []consistency.DiameterCheck
		want   consistency.Bias
	}{
		{name: "no checks", want: consistency.Bias{}},
		{
			name: "lenient classifier",
			checks: []consistency.DiameterCheck{
				{MeasuredUm: 24.05, Declared: babyBand},   // +1.0
				{MeasuredUm: 25.05, Declared: babyBand},   // +2.0
				{MeasuredUm: 22.0, Declared: babyBand},    // 0
				{MeasuredUm: 27.55, Declared: fleeceBand}, // +1.0
			},
			want: consistency.Bias{Checks: 4, MeanUm: 1, CoarserCount: 3},
		},
		{
			name: "mixed",
			checks: []consistency.DiameterCheck{
				{MeasuredUm: 21.05, Declared: fleeceBand}, // −2.0
				{MeasuredUm: 24.05, Declared: babyBand},   // +1.0
				{MeasuredUm: 35.0, Declared: coarseBand},  // 0
			},
			want: consistency.Bias{Checks: 3, MeanUm: -1.0 / 3, CoarserCount: 1, FinerCount: 1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := consistency.MeanBias(tc.checks)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
				t.Errorf("MeanBias mismatch (-want +got):\n%s", diff)
			}
			if got.Defined() != (len(tc.checks) > 0) {
				t.Errorf("Defined() = %v with %d checks", got.Defined(), len(tc.checks))
			}
			if _, err := json.Marshal(got); err != nil {
				t.Errorf("json.Marshal: %v", err)
			}
		})
	}
}

func TestMeanBiasErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		check consistency.DiameterCheck
		want  error
	}{
		{"NaN measurement", consistency.DiameterCheck{MeasuredUm: math.NaN(), Declared: babyBand}, consistency.ErrMeasurement},
		{"infinite measurement", consistency.DiameterCheck{MeasuredUm: math.Inf(1), Declared: babyBand}, consistency.ErrMeasurement},
		{"negative measurement", consistency.DiameterCheck{MeasuredUm: -1, Declared: babyBand}, consistency.ErrMeasurement},
		{"reversed band", consistency.DiameterCheck{MeasuredUm: 22, Declared: consistency.Band{LowUm: 23, HighUm: 20}}, consistency.ErrBand},
		{"empty band", consistency.DiameterCheck{MeasuredUm: 22, Declared: consistency.Band{LowUm: 23, HighUm: 23}}, consistency.ErrBand},
		{"zero band", consistency.DiameterCheck{MeasuredUm: 22, Declared: consistency.Band{}}, consistency.ErrBand},
		{"infinite high edge", consistency.DiameterCheck{MeasuredUm: 22, Declared: consistency.Band{LowUm: 20, HighUm: math.Inf(1)}}, consistency.ErrBand},
		{"negative low edge", consistency.DiameterCheck{MeasuredUm: 22, Declared: consistency.Band{LowUm: -1, OpenAbove: true}}, consistency.ErrBand},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := consistency.MeanBias([]consistency.DiameterCheck{tc.check}); !errors.Is(err, tc.want) {
				t.Errorf("MeanBias error = %v, want %v", err, tc.want)
			}
		})
	}
}
