package millwa

import (
	"cmp"
	"math/bits"
	"slices"
	"strings"
	"time"
)

// The weight units of the observatory. A libra is the avoirdupois pound,
// 0.45359237 kg exactly (the international yard and pound agreement of
// 1959); the quintal of Peru's alpaca-fibre trade is 100 libras,
// 45.359237 kg (domain/STANDARDS.md: "per quintal (100 lb = 45.36 kg)").
// The older Spanish quintal of 100 libras castellanas, about 46 kg, is not
// used.
const (
	// GramsPerPoundE5 is a libra in hundred-thousandths of a gram:
	// 45,359,237 = 453.59237 g.
	GramsPerPoundE5 = 45_359_237
	// PoundsPerQuintal is how many libras make a quintal.
	PoundsPerQuintal = 100
)

// PriceUnit is the weight unit a price is quoted in.
type PriceUnit string

// The price units.
const (
	UnitKilogram PriceUnit = "KILOGRAM"
	UnitPound    PriceUnit = "POUND"
	UnitQuintal  PriceUnit = "QUINTAL"
)

// UnitPrices is one price in minor units per kilogram, libra and quintal.
type UnitPrices struct {
	PerKg, PerPound, PerQuintal int64
}

// PricesPerKg converts a price per kilogram (≥ 0, below 10^10) to the
// three units: per libra perKg × 0.45359237 and per quintal
// perKg × 45.359237, each rounded to the minor unit half to even.
func PricesPerKg(perKg int64) UnitPrices {
	return UnitPrices{
		PerKg:      perKg,
		PerPound:   divHalfEven(perKg*GramsPerPoundE5, 100_000_000),
		PerQuintal: divHalfEven(perKg*GramsPerPoundE5, 1_000_000),
	}
}

// PerKgFrom converts a price (≥ 0, below 10^10) per unit to minor units
// per kilogram, rounded half to even.
func PerKgFrom(price int64, unit PriceUnit) int64 {
	switch unit {
	case UnitPound:
		return divHalfEven(price*100_000_000, GramsPerPoundE5)
	case UnitQuintal:
		return divHalfEven(price*1_000_000, GramsPerPoundE5)
	}
	return price
}

// divHalfEven is n / d for n ≥ 0 and d > 0, rounded half to even.
func divHalfEven(n, d int64) int64 {
	q, r := n/d, n%d
	switch {
	case 2*r > d, 2*r == d && q%2 == 1:
		q++
	}
	return q
}

// ReferencePriceKind says where a surveyed price was paid.
type ReferencePriceKind string

// The kinds of surveyed prices.
const (
	KindFarmGate     ReferencePriceKind = "FARM_GATE"
	KindIntermediary ReferencePriceKind = "INTERMEDIARY"
)

// Bounds of a reference price.
const (
	MaxReferencePrice      = 10_000_000
	MaxReferencePlaceLen   = 200
	MaxReferenceSourceNote = 500
)

// ReferencePrice is a price an agency surveyed outside the platform: at
// the farm gate or from an intermediary. It is shown as surveyed, never as
// traded.
type ReferencePrice struct {
	ID       string
	AgencyID string
	// Region is a 2-digit INEI department code.
	Region      string
	Place       string
	ObserveDate string // "YYYY-MM-DD"
	Standard    string // standard id, without "standards/"
	Code        string // quality group or fleece category
	Kind        ReferencePriceKind
	Price       int64 // minor units per Unit
	Unit        PriceUnit
	Currency    string
	PricePerKg  int64 // Price converted by PerKgFrom
	SourceNote  string
	CreateTime  time.Time
}

// Normalize trims the text fields and derives PricePerKg.
func (r *ReferencePrice) Normalize() {
	r.Region = strings.TrimSpace(r.Region)
	r.Place = strings.TrimSpace(r.Place)
	r.ObserveDate = strings.TrimSpace(r.ObserveDate)
	r.SourceNote = strings.TrimSpace(r.SourceNote)
	r.Currency = NormalizeCurrency(r.Currency)
	if r.Price > 0 && r.Price <= MaxReferencePrice {
		r.PricePerKg = PerKgFrom(r.Price, r.Unit)
	}
}

// Check records a violation in vs for every bad field, with field paths
// under prefix. The code is checked against its standard by the caller.
func (r *ReferencePrice) Check(vs *Violations, prefix string, now time.Time) {
	if _, ok := Departments[r.Region]; !ok {
		vs.Add(prefix+".region", "must be a 2-digit INEI department code such as 21 (Puno); got %q", truncate(r.Region, 40))
	}
	checkText(vs, prefix+".place", r.Place, 1, MaxReferencePlaceLen)
	checkPastDate(vs, prefix+".observe_date", r.ObserveDate, now)
	if r.Kind != KindFarmGate && r.Kind != KindIntermediary {
		vs.Add(prefix+".kind", "is required: FARM_GATE or INTERMEDIARY")
	}
	if r.Price < 1 || r.Price > MaxReferencePrice {
		vs.Add(prefix+".price", "must be 1 to %d minor units per unit", MaxReferencePrice)
	}
	if r.Unit != UnitKilogram && r.Unit != UnitPound && r.Unit != UnitQuintal {
		vs.Add(prefix+".unit", "is required: KILOGRAM, POUND or QUINTAL")
	}
	CheckCurrency(vs, prefix+".currency_code", r.Currency)
	checkText(vs, prefix+".source_note", r.SourceNote, 1, MaxReferenceSourceNote)
}

// WeekOfDate is the ISO week in Peru of a calendar date "YYYY-MM-DD"; ok is
// false for a malformed date.
func WeekOfDate(date string) (Week, bool) {
	d, err := time.ParseInLocation(DateLayout, date, peruTime)
	if err != nil {
		return Week{}, false
	}
	return WeekOf(d.Add(12 * time.Hour)), true
}

// CampaignOfDate is the campaign of a calendar date: a shearing season's
// main campaign (November–December) and its small campaign (March–April of
// the next year) share its year, so dates from 1 July of a year to 30 June
// of the next belong to the first year's campaign. 0 for a malformed date.
func CampaignOfDate(date string) int {
	d, err := time.Parse(DateLayout, date)
	if err != nil {
		return 0
	}
	if d.Month() >= time.July {
		return d.Year()
	}
	return d.Year() - 1
}

// MaxObservatoryWeeks is the longest range of weeks an observatory request
// may cover: five years.
const MaxObservatoryWeeks = 5*52 + 1

// ObservedTrade is one delivered trade as the observatory counts it: in
// the week of its weighing, for its delivered grams.
type ObservedTrade struct {
	WeighTime     time.Time
	OriginUbigeo  string
	QualityGroup  string
	Colour        string
	AssociationID string
	Grams         int64
	PricePerKg    int64
}

// A cell's low and high bounds are the lowest and highest association's
// average price, rounded outwards to ObservatoryLowHighStep, and are
// published only for cells of at least ObservatoryLowHighAssociations
// associations: a bound then places one of four or more other sellers
// within a band, never a seller another can single out, as it would in a
// cell of three, where a seller knowing its own trades is left with two.
const (
	ObservatoryLowHighStep         = 50
	ObservatoryLowHighAssociations = 5
)

// PriceCell is the trading of one week, region, quality group and colour,
// as the observatory publishes it.
type PriceCell struct {
	Week             Week
	Region           string
	QualityGroup     string
	Colour           string
	Grams            int64
	TradeCount       int
	AssociationCount int
	VWAP             int64 // Σ price × grams / Σ grams, half up
	Low, High        int64 // associations' averages, rounded outwards; 0 under ObservatoryLowHighAssociations
	Associations     []string
	value            [2]uint64 // Σ price × grams, 128 bits: hi, lo
}

// Value is Σ price × grams of the cell, as a float.
func (c *PriceCell) Value() float64 { return float64(c.value[0])*(1<<64) + float64(c.value[1]) }

// PriceCells groups trades into cells by week, region, quality group and
// colour, ordered by those keys, and keeps those the disclosure rules of
// MarketStats allow (Disclosable), returning how many it withheld. It is
// the one set of cells every observatory price figure is computed from.
func PriceCells(trades []ObservedTrade) (cells []PriceCell, suppressed int) {
	type key struct {
		week                  Week
		region, group, colour string
	}
	type acc struct {
		cell  PriceCell
		byA   map[string]int64
		valA  map[string][2]uint64
		order []string
	}
	byKey := map[key]*acc{}
	for _, t := range trades {
		k := key{WeekOf(t.WeighTime), t.OriginUbigeo[:min(2, len(t.OriginUbigeo))], t.QualityGroup, t.Colour}
		a := byKey[k]
		if a == nil {
			a = &acc{cell: PriceCell{Week: k.week, Region: k.region, QualityGroup: k.group, Colour: k.colour},
				byA: map[string]int64{}, valA: map[string][2]uint64{}}
			byKey[k] = a
		}
		a.cell.Grams += t.Grams
		a.cell.TradeCount++
		if _, seen := a.byA[t.AssociationID]; !seen {
			a.order = append(a.order, t.AssociationID)
		}
		a.byA[t.AssociationID] += t.Grams
		a.cell.value = add128(a.cell.value, t.PricePerKg, t.Grams)
		a.valA[t.AssociationID] = add128(a.valA[t.AssociationID], t.PricePerKg, t.Grams)
	}
	for _, a := range byKey {
		c := a.cell
		if !Disclosable(a.byA, c.Grams) {
			suppressed++
			continue
		}
		c.VWAP = div128HalfUp(c.value, c.Grams)
		c.Low, c.High = -1, -1
		for id, g := range a.byA {
			avg := div128HalfUp(a.valA[id], g)
			if c.Low < 0 || avg < c.Low {
				c.Low = avg
			}
			if avg > c.High {
				c.High = avg
			}
		}
		c.Low = c.Low / ObservatoryLowHighStep * ObservatoryLowHighStep
		c.High = (c.High + ObservatoryLowHighStep - 1) / ObservatoryLowHighStep * ObservatoryLowHighStep
		if len(a.byA) < ObservatoryLowHighAssociations {
			c.Low, c.High = 0, 0
		}
		c.AssociationCount = len(a.byA)
		c.Associations = slices.Sorted(slices.Values(a.order))
		cells = append(cells, c)
	}
	slices.SortFunc(cells, func(a, b PriceCell) int {
		return cmp.Or(cmp.Compare(a.Week.Year, b.Week.Year), cmp.Compare(a.Week.Number, b.Week.Number),
			cmp.Compare(a.Region, b.Region), cmp.Compare(a.QualityGroup, b.QualityGroup), cmp.Compare(a.Colour, b.Colour))
	})
	return cells, suppressed
}

// add128 adds price × grams to the 128-bit sum v.
func add128(v [2]uint64, price, grams int64) [2]uint64 {
	hi, lo := bits.Mul64(uint64(price), uint64(grams))
	var carry uint64
	v[1], carry = bits.Add64(v[1], lo, 0)
	v[0] += hi + carry
	return v
}

// div128HalfUp is v / d rounded half up, for a quotient that fits 64 bits.
func div128HalfUp(v [2]uint64, d int64) int64 {
	lo, carry := bits.Add64(v[1], uint64(d)/2, 0)
	q, _ := bits.Div64(v[0]+carry, lo, uint64(d))
	return int64(q)
}

// IndexPoint is the price index of one week.
type IndexPoint struct {
	Week             Week
	Value            float64 // rounded to 0.01; meaningful when HasValue
	HasValue         bool
	TradeCount       int
	AssociationCount int
	CellCount        int
}

// BasketCell is a (quality group, colour) of the index's basket with its
// base weight.
type BasketCell struct {
	QualityGroup, Colour string
	Weight               float64
}

// PriceIndex computes the chained Laspeyres index of GetPriceIndex from
// published cells (PriceCells) of every region: the basket and its weights
// from the cells of baseYear's weeks, the points from the cells of the
// weeks from start to end inclusive. See the proto for the method.
func PriceIndex(cells []PriceCell, baseYear int, start, end Week) ([]IndexPoint, []BasketCell) {
	type bkey struct{ group, colour string }
	baseValue := map[bkey]float64{}
	var total float64
	for i := range cells {
		c := &cells[i]
		// A week belongs to its ISO year (the year of its Thursday).
		if c.Week.Year != baseYear {
			continue
		}
		v := c.Value()
		baseValue[bkey{c.QualityGroup, c.Colour}] += v
		total += v
	}
	var basket []BasketCell
	weight := map[bkey]float64{}
	for k, v := range baseValue {
		weight[k] = v / total
		basket = append(basket, BasketCell{k.group, k.colour, v / total})
	}
	slices.SortFunc(basket, func(a, b BasketCell) int {
		return cmp.Or(cmp.Compare(a.QualityGroup, b.QualityGroup), cmp.Compare(a.Colour, b.Colour))
	})

	// National price per basket cell and week, over the regions'
	// published cells.
	type wk struct {
		value  float64
		grams  int64
		trades int
		assocs map[string]bool
		price  map[bkey][2]float64 // value, grams
	}
	weeks := map[Week]*wk{}
	var order []Week
	for i := range cells {
		c := &cells[i]
		k := bkey{c.QualityGroup, c.Colour}
		if _, in := weight[k]; !in || start.WeeksUntil(c.Week) < 0 || c.Week.WeeksUntil(end) < 0 {
			continue
		}
		w := weeks[c.Week]
		if w == nil {
			w = &wk{assocs: map[string]bool{}, price: map[bkey][2]float64{}}
			weeks[c.Week] = w
			order = append(order, c.Week)
		}
		w.trades += c.TradeCount
		for _, a := range c.Associations {
			w.assocs[a] = true
		}
		p := w.price[k]
		w.price[k] = [2]float64{p[0] + c.Value(), p[1] + float64(c.Grams)}
	}
	slices.SortFunc(order, func(a, b Week) int { return a.WeeksUntil(b) * -1 })
	var points []IndexPoint
	var last *wk
	level := 100.0
	for _, week := range order {
		w := weeks[week]
		pt := IndexPoint{Week: week, TradeCount: w.trades, AssociationCount: len(w.assocs), CellCount: len(w.price)}
		if last == nil {
			pt.HasValue = true
		} else {
			var num, den float64
			for k, p := range w.price {
				q, ok := last.price[k]
				if !ok {
					continue
				}
				num += weight[k] * (p[0] / p[1]) / (q[0] / q[1])
				den += weight[k]
			}
			if den > 0 {
				level *= num / den
				pt.HasValue = true
			}
		}
		if pt.HasValue {
			pt.Value = roundHundredths(level)
			last = w
		}
		points = append(points, pt)
	}
	return points, basket
}

// roundHundredths rounds v > 0 to 0.01, halves up.
func roundHundredths(v float64) float64 {
	return float64(int64(v*100+0.5)) / 100
}

// SurveyedWeek is the median of the prices surveyed in one week, region,
// group and kind.
type SurveyedWeek struct {
	Week         Week
	Region       string
	QualityGroup string
	Kind         ReferencePriceKind
	MedianPerKg  int64
	Count        int
}

// SurveyedWeeks groups surveyed prices by week, region, group and kind,
// in that order, with the median price per kilogram of each.
func SurveyedWeeks(prices []ReferencePrice) []SurveyedWeek {
	type key struct {
		week                Week
		region, group, kind string
	}
	by := map[key][]int64{}
	for _, p := range prices {
		w, ok := WeekOfDate(p.ObserveDate)
		if !ok {
			continue
		}
		k := key{w, p.Region, p.Code, string(p.Kind)}
		by[k] = append(by[k], p.PricePerKg)
	}
	var out []SurveyedWeek
	for k, ps := range by {
		out = append(out, SurveyedWeek{Week: k.week, Region: k.region, QualityGroup: k.group,
			Kind: ReferencePriceKind(k.kind), MedianPerKg: LowerMedian(ps), Count: len(ps)})
	}
	slices.SortFunc(out, func(a, b SurveyedWeek) int {
		return cmp.Or(cmp.Compare(a.Week.Year, b.Week.Year), cmp.Compare(a.Week.Number, b.Week.Number),
			cmp.Compare(a.Region, b.Region), cmp.Compare(a.QualityGroup, b.QualityGroup), cmp.Compare(a.Kind, b.Kind))
	})
	return out
}

// LowerMedian is the median of vs, the lower middle value of an even
// count; 0 for none.
func LowerMedian(vs []int64) int64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(vs))
	return s[(len(s)-1)/2]
}

// Disclosable reports whether a cell whose associations sold byAssoc grams
// each, total in all, may be published: the rules of MarketStats
// (MinStatsAssociations, MaxStatsSharePercent, MinStatsRemainderPercent).
func Disclosable(byAssoc map[string]int64, total int64) bool { return disclosable(byAssoc, total) }
