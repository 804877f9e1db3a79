package millwa

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"time"
)

// The disclosure rules of the public market statistics. A seller in a
// cell knows its own trades, so whatever a cell publishes, less its own
// share, describes the other sellers together; the rules keep that from
// describing any one of them:
//
//   - MinStatsAssociations: at least three sellers, so that the rest is
//     always two or more of them together;
//   - MaxStatsSharePercent (dominance): no seller holds more than 60 % of
//     the cell's grams, so that the rest is never mostly one seller;
//   - MinStatsRemainderPercent (the p % rule): the sellers beyond the two
//     largest hold at least 10 % of the largest's grams, so that the
//     second largest, taking its own trades from the total, misjudges the
//     largest's by at least that much;
//   - no lowest or highest price, each of which is one seller's exact
//     price;
//   - the volume-weighted price rounded to StatsPriceStep and the grams to
//     StatsGramsStep, so that subtracting one's own trades from the totals
//     leaves estimates, not exact figures.
//
// Cells are always the finest grouping (week, region, quality group,
// colour), whatever a request filters on, so comparing overlapping requests
// (one region against all, one colour against all) shows the same cells
// and nothing more.
const (
	// MinStatsAssociations is the least number of distinct selling
	// associations a published cell must have.
	MinStatsAssociations = 3
	// MaxStatsSharePercent is the greatest share of a published cell's
	// grams one association may hold, in percent.
	MaxStatsSharePercent = 60
	// MinStatsRemainderPercent is the least share, in percent of the
	// largest association's grams, that the associations beyond the two
	// largest must hold together for a cell to be published.
	MinStatsRemainderPercent = 10
	// StatsPriceStep is what the published volume-weighted price is rounded
	// to, half up: 10 minor units (céntimos) a kilogram.
	StatsPriceStep = 10
	// StatsGramsStep is what published volumes are rounded to, half up:
	// 10 kg, and never below it.
	StatsGramsStep = 10_000
)

// MaxStatsWeeks is the longest range of weeks one statistics request may
// cover.
const MaxStatsWeeks = 53

// Week is an ISO 8601 week: weeks start on Monday, and week 1 of a year is
// the one with the year's first Thursday. Market weeks are weeks in Peru
// (UTC-5).
type Week struct {
	Year, Number int
}

// WeekOf returns the ISO week in Peru of t.
func WeekOf(t time.Time) Week {
	y, n := t.In(peruTime).ISOWeek()
	return Week{y, n}
}

// ParseWeek reads "YYYY-Www", for example "2026-W05". ok is false for
// anything else, including a week 53 in a year that has 52.
func ParseWeek(s string) (w Week, ok bool) {
	if len(s) != 8 || s[4] != '-' || s[5] != 'W' || !allDigits(s[:4]) || !allDigits(s[6:]) {
		return Week{}, false
	}
	y, _ := strconv.Atoi(s[:4])
	n, _ := strconv.Atoi(s[6:])
	w = Week{y, n}
	if y < 1 || n < 1 || WeekOf(w.Start()) != w {
		return Week{}, false
	}
	return w, true
}

// String writes the week as "YYYY-Www".
func (w Week) String() string { return fmt.Sprintf("%04d-W%02d", w.Year, w.Number) }

// Start is Monday 00:00 in Peru of the week.
func (w Week) Start() time.Time {
	// 4 January is always in week 1; step back to its Monday.
	jan4 := time.Date(w.Year, time.January, 4, 0, 0, 0, 0, peruTime)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	return monday.AddDate(0, 0, 7*(w.Number-1))
}

// AddWeeks returns the week n weeks later (earlier for negative n).
func (w Week) AddWeeks(n int) Week { return WeekOf(w.Start().AddDate(0, 0, 7*n+3)) }

// WeeksUntil returns how many weeks end is after w (negative when before).
func (w Week) WeeksUntil(end Week) int {
	return int(end.Start().Sub(w.Start()).Round(24*time.Hour).Hours()/24) / 7
}

// TradedVolume is one trade as market statistics count it.
type TradedVolume struct {
	ConfirmTime   time.Time
	OriginUbigeo  string
	QualityGroup  string
	Colour        string
	AssociationID string
	Grams         int64
	PricePerKg    int64
}

// StatsCell is the trading of one week, region (2-digit department),
// quality group and colour, as published.
type StatsCell struct {
	Week         Week
	Region       string
	QualityGroup string
	Colour       string
	TradedGrams  int64 // Σ grams, rounded half up to StatsGramsStep, at least one step
	TradeCount   int
	VWAP         int64            // Σ price × grams / Σ grams, rounded half up to StatsPriceStep
	associations map[string]int64 // grams by association
	value        [2]uint64        // Σ price × grams, 128 bits: hi, lo
}

// MarketStats groups trades into cells by week, region, quality group and
// colour, ordered by those keys, and drops the cells that break a
// disclosure rule (see MinStatsAssociations), returning how many it
// dropped.
func MarketStats(trades []TradedVolume) (cells []StatsCell, suppressed int) {
	type key struct {
		week                  Week
		region, group, colour string
	}
	byKey := map[key]*StatsCell{}
	for _, t := range trades {
		k := key{WeekOf(t.ConfirmTime), t.OriginUbigeo[:min(2, len(t.OriginUbigeo))], t.QualityGroup, t.Colour}
		c := byKey[k]
		if c == nil {
			c = &StatsCell{Week: k.week, Region: k.region, QualityGroup: k.group, Colour: k.colour,
				associations: map[string]int64{}}
			byKey[k] = c
		}
		c.TradedGrams += t.Grams
		c.TradeCount++
		c.associations[t.AssociationID] += t.Grams
		hi, lo := bits.Mul64(uint64(t.PricePerKg), uint64(t.Grams))
		var carry uint64
		c.value[1], carry = bits.Add64(c.value[1], lo, 0)
		c.value[0] += hi + carry
	}
	for _, c := range byKey {
		if !disclosable(c.associations, c.TradedGrams) {
			suppressed++
			continue
		}
		// (Σ price × grams + Σ grams / 2) / Σ grams; the quotient is at
		// most the highest price, so the 128-bit division cannot overflow.
		d := uint64(c.TradedGrams)
		lo, carry := bits.Add64(c.value[1], d/2, 0)
		q, _ := bits.Div64(c.value[0]+carry, lo, d)
		c.VWAP = roundHalfUp(int64(q), StatsPriceStep)
		c.TradedGrams = max(roundHalfUp(c.TradedGrams, StatsGramsStep), StatsGramsStep)
		c.associations = nil
		cells = append(cells, *c)
	}
	slices.SortFunc(cells, func(a, b StatsCell) int {
		return cmp.Or(cmp.Compare(a.Week.Year, b.Week.Year), cmp.Compare(a.Week.Number, b.Week.Number),
			cmp.Compare(a.Region, b.Region), cmp.Compare(a.QualityGroup, b.QualityGroup), cmp.Compare(a.Colour, b.Colour))
	})
	return cells, suppressed
}

// disclosable reports whether a cell whose associations sold byAssoc grams
// each, total in all, may be published under the rules of
// MinStatsAssociations, MaxStatsSharePercent and MinStatsRemainderPercent.
func disclosable(byAssoc map[string]int64, total int64) bool {
	if len(byAssoc) < MinStatsAssociations || total <= 0 {
		return false
	}
	var first, second int64
	for _, g := range byAssoc {
		switch {
		case g > first:
			first, second = g, first
		case g > second:
			second = g
		}
	}
	rest := total - first - second
	return mulLE(first, 100, total, MaxStatsSharePercent) && mulLE(first, MinStatsRemainderPercent, rest, 100)
}

// mulLE reports whether a × x ≤ b × y for non-negative operands, with
// 128-bit products so that no cell's grams can overflow the comparison.
func mulLE(a, x, b, y int64) bool {
	ah, al := bits.Mul64(uint64(a), uint64(x))
	bh, bl := bits.Mul64(uint64(b), uint64(y))
	return ah < bh || ah == bh && al <= bl
}

// roundHalfUp rounds v ≥ 0 to the nearest multiple of step, halves up.
func roundHalfUp(v, step int64) int64 { return (v + step/2) / step * step }
