package millwa

import (
	"math"
	"testing"
	"time"
)

func TestUnitConversions(t *testing.T) {
	for _, tt := range []struct {
		perKg, perLb, perQq int64
	}{
		{0, 0, 0},
		{100, 45, 4536},      // 45.359237 → 45; 4535.9237 → 4536
		{2420, 1098, 109769}, // 1097.6935; 109769.3535
		{1433, 650, 65000},   // 649.9979; 64999.7866
		{1_000_000, 453592, 45359237},
	} {
		if got := PricesPerKg(tt.perKg); got != (UnitPrices{tt.perKg, tt.perLb, tt.perQq}) {
			t.Errorf("PricesPerKg(%d) = %+v, want %d a libra, %d a quintal", tt.perKg, got, tt.perLb, tt.perQq)
		}
	}
	for _, tt := range []struct {
		price int64
		unit  PriceUnit
		want  int64
	}{
		{650, UnitPound, 1433},     // 650 / 0.45359237 = 1433.0047
		{70000, UnitQuintal, 1543}, // 70000 / 45.359237 = 1543.2358
		{1800, UnitKilogram, 1800},
	} {
		if got := PerKgFrom(tt.price, tt.unit); got != tt.want {
			t.Errorf("PerKgFrom(%d, %s) = %d, want %d", tt.price, tt.unit, got, tt.want)
		}
	}
	// Half to even: 5 / 2 is 2, 7 / 2 is 4.
	if divHalfEven(5, 2) != 2 || divHalfEven(7, 2) != 4 || divHalfEven(3, 4) != 1 {
		t.Error("divHalfEven does not round half to even")
	}
}

func TestCampaignOfDate(t *testing.T) {
	for date, want := range map[string]int{"2025-11-15": 2025, "2026-03-10": 2025, "2026-06-30": 2025, "2026-07-01": 2026, "bad": 0} {
		if got := CampaignOfDate(date); got != want {
			t.Errorf("CampaignOfDate(%s) = %d, want %d", date, got, want)
		}
	}
}

// TestPriceIndexWorkedExample is the proto's worked example, with a week
// of no common cell, which has no value and does not break the chain.
func TestPriceIndexWorkedExample(t *testing.T) {
	w1 := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	sale := func(at time.Time, group string, assoc string, kg, price int64) ObservedTrade {
		return ObservedTrade{WeighTime: at, OriginUbigeo: "210101", QualityGroup: group, Colour: "WHITE", AssociationID: assoc, Grams: kg * 1000, PricePerKg: price}
	}
	var trades []ObservedTrade
	// Three associations sell 10 kg each of BABY and FLEECE in week 1 and
	// 2, HUARIZO alone in week 3 (no cell in common with week 2) and BABY
	// in week 4. The base weights are the year's values per group.
	for _, a := range []string{"a", "b", "c"} {
		trades = append(trades,
			sale(w1, "BABY", a, 10, 2000), sale(w1, "FLEECE", a, 10, 1500),
			sale(w1.AddDate(0, 0, 7), "BABY", a, 10, 2200), sale(w1.AddDate(0, 0, 7), "FLEECE", a, 10, 1500),
			sale(w1.AddDate(0, 0, 14), "HUARIZO", a, 10, 600),
			sale(w1.AddDate(0, 0, 21), "BABY", a, 10, 2420))
	}
	// A cell of two sellers is withheld and weighs nothing.
	trades = append(trades, sale(w1, "COARSE", "a", 10, 200), sale(w1, "COARSE", "b", 10, 200))
	cells, suppressed := PriceCells(trades)
	if suppressed != 1 || len(cells) != 6 {
		t.Fatalf("%d cells, %d withheld; want 6 and 1", len(cells), suppressed)
	}
	start := WeekOf(w1)
	points, basket := PriceIndex(cells, 2026, start, start.AddWeeks(3))
	total := 1260.0*100 + 900.0*100 + 180.0*100 + 726.0*100
	wantWeights := map[string]float64{"BABY": (1260 + 726) * 100 / total, "FLEECE": 900 * 100 / total, "HUARIZO": 180 * 100 / total}
	for _, b := range basket {
		if math.Abs(b.Weight-wantWeights[b.QualityGroup]) > 1e-12 {
			t.Errorf("weight of %s %v, want %v", b.QualityGroup, b.Weight, wantWeights[b.QualityGroup])
		}
	}
	wb, wf := wantWeights["BABY"], wantWeights["FLEECE"]
	week2 := 100 * (wb*22/20 + wf*1) / (wb + wf)
	week4 := week2 * 24.20 / 22 // linked to week 2 over BABY alone
	want := []struct {
		value float64
		has   bool
	}{{100, true}, {math.Round(week2*100) / 100, true}, {0, false}, {math.Round(week4*100) / 100, true}}
	if len(points) != len(want) {
		t.Fatalf("points %+v", points)
	}
	for i, w := range want {
		if points[i].HasValue != w.has || math.Abs(points[i].Value-w.value) > 1e-9 {
			t.Errorf("week %d: %+v, want %v (%v)", i+1, points[i], w.value, w.has)
		}
	}
}

func TestInclusionThresholds(t *testing.T) {
	var payouts []PayoutShare
	add := func(region string, assocs, members int) {
		for m := range members {
			payouts = append(payouts, PayoutShare{AssociationID: region + string(rune('a'+m%assocs)), Region: region, Campaign: 2026,
				MemberID: region + string(rune('A'+m)), Sex: "FEMALE", HerdSize: -1, Grams: 10_000, Amount: 20_000})
		}
	}
	add("21", 3, 10) // published
	add("08", 2, 12) // two associations: withheld
	add("09", 3, 9)  // nine members: withheld
	cells, suppressed := Inclusion(payouts, nil)
	if suppressed != 2 || len(cells) != 1 || cells[0].Region != "21" || cells[0].WomenSharePermille != 1000 ||
		cells[0].SmallHerdPermille != 0 || cells[0].MedianPayoutPerKg != 2000 {
		t.Errorf("cells %+v, %d withheld; want Puno alone, all to women, 20.00 a kg", cells, suppressed)
	}
}

// TestPriceCellBounds publishes low and high only for five associations
// or more, rounded outwards, and the exact VWAP half up.
func TestPriceCellBounds(t *testing.T) {
	at := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	var trades []ObservedTrade
	for i, price := range []int64{2310, 2399, 2420, 2450, 2588} {
		trades = append(trades, ObservedTrade{WeighTime: at, OriginUbigeo: "210101", QualityGroup: "BABY", Colour: "WHITE",
			AssociationID: string(rune('a' + i)), Grams: 20_000, PricePerKg: price})
		if i == 2 {
			three, _ := PriceCells(trades)
			if len(three) != 1 || three[0].Low != 0 || three[0].High != 0 {
				t.Errorf("three associations: %+v, want no bounds", three)
			}
		}
	}
	cells, _ := PriceCells(trades)
	// (2310 + 2399 + 2420 + 2450 + 2588) / 5 = 2433.4 → 2433.
	if len(cells) != 1 || cells[0].VWAP != 2433 || cells[0].Low != 2300 || cells[0].High != 2600 || cells[0].AssociationCount != 5 {
		t.Errorf("five associations: %+v, want VWAP 2433, bounds 2300 and 2600", cells)
	}
}
