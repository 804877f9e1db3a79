package grading

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestToStep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		x, res float64
		want   int64
	}{
		{22.4, 0.1, 224},
		{20.0, 0.1, 200},
		{20.04, 0.1, 200},
		{20.05, 0.1, 201}, // 20.05 / 0.1 is 200.49999999999997 in binary
		{20.049999, 0.1, 200},
		{23.05, 0.1, 231},
		{31.55, 0.1, 316},
		{0.15, 0.1, 2},
		{-0.15, 0.1, -2}, // halves away from zero
		{-0.14, 0.1, -1},
		{20.25, 0.5, 41},
		{20.24, 0.5, 40},
		{35.05, 0.1, 351},
		{100, 0.1, 1000},
	}
	for _, tt := range tests {
		got, ok := toStep(tt.x, tt.res)
		if !ok || got != tt.want {
			t.Errorf("toStep(%v, %v) = %d, %v; want %d", tt.x, tt.res, got, ok, tt.want)
		}
	}
	for _, bad := range [][2]float64{{1, 0}, {1e300, 1e-300}, {0, 0}} {
		if _, ok := toStep(bad[0], bad[1]); ok {
			t.Errorf("toStep(%v, %v) accepted", bad[0], bad[1])
		}
	}
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	same := func(k int64) func(float64) bool {
		return func(v float64) bool { s, ok := toStep(v, 0.1); return ok && s == k }
	}
	got := []string{
		grouped(0), grouped(999), grouped(1000), grouped(2100), grouped(-1234567), grouped(10_000_000),
		decimalsString(0.1), decimalsString(0.5), decimalsString(1), decimalsString(0.025),
		consistent(22.4, 2, 1, same(224)), consistent(21, 2, 1, same(210)), consistent(22.456, 2, 1, same(225)),
		consistent(20.049999, 2, 1, same(200)), consistent(23.0399, 2, 2, same(230)),
		stepValue(224, 0.1), stepValue(41, 0.5),
		bandText(Band{MinUm: new(20.1), MaxUm: new(23.0)}, 0.1).EN, bandText(Band{MaxUm: new(20.0)}, 0.1).EN,
		bandText(Band{MinUm: new(31.6)}, 0.1).EN, bandText(Band{}, 0.1).ES,
	}
	want := []string{
		"0", "999", "1,000", "2,100", "-1,234,567", "10,000,000",
		"1", "1", "0", "3",
		"22.4", "21.0", "22.46",
		"20.049999", "23.04",
		"22.4", "20.5",
		"20.1–23.0 µm", "≤ 20.0 µm",
		"≥ 31.6 µm", "cualquier diámetro",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func decimalsString(res float64) string { return grouped(int64(decimals(res))) }
