package millwa

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"time"
)

// MinStatsAssociations is the least number of distinct selling
// associations a market statistics cell must have to be published, so that
// no single seller's price can be read off.
const MinStatsAssociations = 3

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
// quality group and colour.
type StatsCell struct {
	Week         Week
	Region       string
	QualityGroup string
	Colour       string
	TradedGrams  int64
	TradeCount   int
	VWAP         int64 // Σ price × grams / Σ grams, rounded half up
	MinPrice     int64
	MaxPrice     int64
	associations map[string]bool
	value        [2]uint64 // Σ price × grams, 128 bits: hi, lo
}

// MarketStats groups trades into cells by week, region, quality group and
// colour, ordered by those keys, and drops the cells with trades of fewer
// than MinStatsAssociations distinct associations, returning how many it
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
				MinPrice: t.PricePerKg, MaxPrice: t.PricePerKg, associations: map[string]bool{}}
			byKey[k] = c
		}
		c.TradedGrams += t.Grams
		c.TradeCount++
		c.MinPrice, c.MaxPrice = min(c.MinPrice, t.PricePerKg), max(c.MaxPrice, t.PricePerKg)
		c.associations[t.AssociationID] = true
		hi, lo := bits.Mul64(uint64(t.PricePerKg), uint64(t.Grams))
		var carry uint64
		c.value[1], carry = bits.Add64(c.value[1], lo, 0)
		c.value[0] += hi + carry
	}
	for _, c := range byKey {
		if len(c.associations) < MinStatsAssociations {
			suppressed++
			continue
		}
		// (Σ price × grams + Σ grams / 2) / Σ grams; the quotient is at
		// most the highest price, so the 128-bit division cannot overflow.
		d := uint64(c.TradedGrams)
		lo, carry := bits.Add64(c.value[1], d/2, 0)
		q, _ := bits.Div64(c.value[0]+carry, lo, d)
		c.VWAP = int64(q)
		c.associations = nil
		cells = append(cells, *c)
	}
	slices.SortFunc(cells, func(a, b StatsCell) int {
		return cmp.Or(cmp.Compare(a.Week.Year, b.Week.Year), cmp.Compare(a.Week.Number, b.Week.Number),
			cmp.Compare(a.Region, b.Region), cmp.Compare(a.QualityGroup, b.QualityGroup), cmp.Compare(a.Colour, b.Colour))
	})
	return cells, suppressed
}
