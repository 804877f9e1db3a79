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
	//      = 159,009,999 / 80,001 = 1987.60 → 1988.
	want := StatsCell{Week: Week{2026, 45}, Region: "21", QualityGroup: "BABY", Colour: "BL",
		TradedGrams: 80_001, TradeCount: 4, VWAP: 1988, MinPrice: 1800, MaxPrice: 9999}
	c.value = [2]uint64{}
	if c.Week != want.Week || c.Region != want.Region || c.QualityGroup != want.QualityGroup || c.TradedGrams != want.TradedGrams ||
		c.TradeCount != want.TradeCount || c.VWAP != want.VWAP || c.MinPrice != want.MinPrice || c.MaxPrice != want.MaxPrice {
		t.Fatalf("cell %+v, want %+v", c, want)
	}
}
