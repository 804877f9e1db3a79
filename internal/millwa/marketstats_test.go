package millwa

import (
	"testing"
	"time"
)

func TestWeeks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		start string // Monday 00:00 in Peru, as UTC
	}{
		{"2026-W01", "2025-12-29T05:00:00Z"},
		{"2026-W05", "2026-01-26T05:00:00Z"},
		{"2020-W53", "2020-12-28T05:00:00Z"},
		{"2027-W01", "2027-01-04T05:00:00Z"},
	}
	for _, tt := range tests {
		w, ok := ParseWeek(tt.in)
		if !ok || w.String() != tt.in || w.Start().UTC().Format(time.RFC3339) != tt.start {
			t.Errorf("ParseWeek(%q) = %v %v, starts %s; want start %s", tt.in, w, ok, w.Start().UTC().Format(time.RFC3339), tt.start)
		}
	}
	for _, bad := range []string{"", "2026-05", "2026-W00", "2026-W54", "2027-W53", "2026W05", "20a6-W05", "2026-w05"} {
		if _, ok := ParseWeek(bad); ok {
			t.Errorf("ParseWeek(%q) accepted", bad)
		}
	}
	// Sunday 23:30 in Peru is Monday 04:30 UTC: still the Sunday's week.
	sunday := time.Date(2026, 2, 2, 4, 30, 0, 0, time.UTC)
	if got := WeekOf(sunday).String(); got != "2026-W05" {
		t.Errorf("WeekOf(%v) = %s, want 2026-W05 (Sunday evening in Peru)", sunday, got)
	}
	w, _ := ParseWeek("2026-W50")
	if got := w.AddWeeks(5).String(); got != "2027-W02" {
		t.Errorf("2026-W50 + 5 weeks = %s, want 2027-W02", got)
	}
	if n := w.WeeksUntil(w.AddWeeks(-11)); n != -11 {
		t.Errorf("WeeksUntil 11 weeks back = %d", n)
	}
}

func TestMarketStatsSuppressesSmallCells(t *testing.T) {
	t.Parallel()
	mon := time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC) // 2026-W45
	trade := func(assoc, ubigeo, group string, grams, price int64, days int) TradedVolume {
		return TradedVolume{ConfirmTime: mon.AddDate(0, 0, days), OriginUbigeo: ubigeo, QualityGroup: group, Colour: "BL",
			AssociationID: assoc, Grams: grams, PricePerKg: price}
	}
	trades := []TradedVolume{
		// Puno BABY in W45: three associations, published.
		trade("a1", "210101", "BABY", 40_000, 2000, 0),
		trade("a2", "210502", "BABY", 10_000, 2500, 1),
		trade("a3", "211101", "BABY", 30_000, 1800, 6),
		trade("a3", "211101", "BABY", 1, 9999, 2),
		// Puno BABY in W46: two associations only, suppressed.
		trade("a1", "210101", "BABY", 40_000, 2000, 7),
		trade("a2", "210101", "BABY", 40_000, 2000, 8),
		// Cusco FLEECE in W45: one association with three trades, suppressed.
		trade("a4", "080101", "FLEECE", 1000, 1500, 0),
		trade("a4", "080101", "FLEECE", 1000, 1500, 1),
		trade("a4", "080101", "FLEECE", 1000, 1500, 2),
	}
	cells, suppressed := MarketStats(trades)
	if suppressed != 2 || len(cells) != 1 {
		t.Fatalf("got %d cells, %d suppressed; want 1 and 2: %+v", len(cells), suppressed, cells)
	}
	c := cells[0]
	// VWAP = (40,000×2000 + 10,000×2500 + 30,000×1800 + 1×9999) / 80,001
	//      = 159,009,999 / 80,001 = 1987.60 → 1990 (10 céntimos); the
	// volume 80,001 g → 80 kg (10 kg).
	want := StatsCell{Week: Week{2026, 45}, Region: "21", QualityGroup: "BABY", Colour: "BL",
		TradedGrams: 80_000, TradeCount: 4, VWAP: 1990}
	c.value = [2]uint64{}
	if c.Week != want.Week || c.Region != want.Region || c.QualityGroup != want.QualityGroup || c.TradedGrams != want.TradedGrams ||
		c.TradeCount != want.TradeCount || c.VWAP != want.VWAP {
		t.Fatalf("cell %+v, want %+v", c, want)
	}
}

// TestMarketStatsDisclosureRules checks each rule that keeps one seller's
// figures from being read off a cell, at and beside its threshold.
func TestMarketStatsDisclosureRules(t *testing.T) {
	t.Parallel()
	mon := time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)
	cell := func(grams ...int64) []TradedVolume {
		var ts []TradedVolume
		for i, g := range grams {
			ts = append(ts, TradedVolume{ConfirmTime: mon, OriginUbigeo: "210101", QualityGroup: "BABY", Colour: "WHITE",
				AssociationID: string(rune('a' + i)), Grams: g, PricePerKg: 2000 + int64(i)*100})
		}
		return ts
	}
	for _, tc := range []struct {
		name      string
		trades    []TradedVolume
		published bool
	}{
		{"three equal sellers", cell(10_000, 10_000, 10_000), true},
		{"two sellers", cell(50_000, 50_000), false},
		{"largest at 60 %", cell(60_000, 30_000, 10_000), true},
		{"largest above 60 %", cell(60_001, 29_999, 10_000), false},
		{"third at 10 % of the largest", cell(50_000, 45_000, 5_000), true},
		{"third below 10 % of the largest", cell(50_000, 45_001, 4_999), false},
		{"fourth and fifth together at 10 %", cell(40_000, 40_000, 2_000, 1_000, 1_000), true},
	} {
		cells, suppressed := MarketStats(tc.trades)
		if got := len(cells) == 1 && suppressed == 0; got != tc.published || len(cells)+suppressed != 1 {
			t.Errorf("%s: %d cells, %d suppressed; want published %v", tc.name, len(cells), suppressed, tc.published)
		}
	}
	// Rounding: 3 × 1,000 g at 2000, 2100 and 2200 is 3 kg → 10 kg at
	// least, and a VWAP of 2100 stays; 2,004.999… → 2000, 2,005 → 2010.
	cells, _ := MarketStats(cell(1000, 1000, 1000))
	if len(cells) != 1 || cells[0].TradedGrams != StatsGramsStep || cells[0].VWAP != 2100 {
		t.Errorf("small cell %+v, want 10 kg at 2100", cells)
	}
	for _, tc := range []struct{ v, want int64 }{{2004, 2000}, {2005, 2010}, {1995, 2000}, {0, 0}} {
		if got := roundHalfUp(tc.v, StatsPriceStep); got != tc.want {
			t.Errorf("roundHalfUp(%d) = %d, want %d", tc.v, got, tc.want)
		}
	}
}
