package millwa

import (
	"strconv"
	"strings"
	"time"
)

// LotState is where a lot is in its life: AVAILABLE → ALLOCATED (partly or
// fully, by the market) → SOLD, or WITHDRAWN by its association while
// nothing is allocated. An association may also withdraw the unallocated
// rest of an ALLOCATED lot: the lot stays ALLOCATED for its trades, with
// WithdrawnGrams making up the rest of its weight, so that nothing of it is
// on offer any more (see Withdraw).
type LotState string

// Lot states.
const (
	LotAvailable LotState = "AVAILABLE"
	LotAllocated LotState = "ALLOCATED"
	LotSold      LotState = "SOLD"
	LotWithdrawn LotState = "WITHDRAWN"
)

// ParseLotState returns the state an enum value names, with or without the
// "LOT_STATE_" prefix and in any case; ok is false for anything else.
func ParseLotState(name string) (s LotState, ok bool) {
	return parseEnum(name, "LOT_STATE_", LotAvailable, LotAllocated, LotSold, LotWithdrawn)
}

// Contribution is the grams of a lot that one member delivered; sales are
// paid back to members in proportion to them.
type Contribution struct {
	MemberID string
	Grams    int64
}

// Measurement is what was measured on a lot's sample, as stored.
type Measurement struct {
	MeanFiberDiameterUm *float64
	SDUm                *float64
	FibersMeasured      *int64
	StapleLengthMm      *float64
	// Histogram, when measured, as HistogramStartUm, HistogramWidthUm and
	// HistogramCounts.
	HistogramStartUm float64
	HistogramWidthUm float64
	HistogramCounts  []int64
}

// Lot is a bale (or bales) of classified fibre of one quality group, colour
// and breed, offered for sale by an association.
type Lot struct {
	ID            string
	AssociationID string
	// Standard is the id of the grading standard the groups belong to.
	Standard       string
	Campaign       int
	Breed          string
	Colour         string
	DeclaredGroup  string
	ClassifierID   string
	NetWeightGrams int64
	Contributions  []Contribution
	// Sources are the receipts the lot's grams come from, when it was built
	// from receipts; Contributions are then derived from them.
	Sources            []Source
	CollectionPoint    string
	LotNumber          string
	ClassificationDate string // YYYY-MM-DD
	AskPricePerKg      int64  // minor units of Currency per kilogram
	Currency           string
	Measurement        *Measurement
	// MarketGroup is the measured group when the lot was measured, else the
	// declared one. MeasuredGroup is "" when not measured.
	MarketGroup   string
	MeasuredGroup string
	Discrepancy   bool
	// Grading is the measured grade as the service recorded it (an opaque
	// document), so that a later correction of a standard does not change
	// a lot's recorded grade.
	Grading        string
	State          LotState
	AllocatedGrams int64
	// WithdrawnGrams are the grams the association took off the market:
	// the whole weight of a WITHDRAWN lot, the unallocated rest of an
	// ALLOCATED or SOLD lot whose rest was withdrawn, 0 otherwise.
	WithdrawnGrams int64
	// Ubigeo is the district of origin: the association's.
	Ubigeo     string
	Revision   int64
	CreateTime time.Time
	UpdateTime time.Time
}

// Limits on lots.
const (
	MaxLotGrams          = 100_000_000 // 100 t
	MaxContributions     = 1000
	MaxAskPricePerKg     = 100_000_000 // minor units: a million soles a kilogram
	MinCampaign          = 2000
	MaxCampaign          = 2200
	maxLotNumberLen      = 32
	maxCollectionPointLn = 200
)

// Normalize trims the lot's text and applies defaults: currency PEN and
// today's date in Peru as classification date.
func (l *Lot) Normalize(now time.Time) {
	l.CollectionPoint = strings.TrimSpace(l.CollectionPoint)
	l.LotNumber = strings.TrimSpace(l.LotNumber)
	l.Currency = NormalizeCurrency(l.Currency)
	if l.ClassificationDate == "" {
		l.ClassificationDate = now.In(peruTime).Format(DateLayout)
	}
}

// Check records a violation in vs for every bad field of a new lot that the
// domain alone can judge (codes are checked against the standard by the
// caller), with field paths under prefix.
func (l *Lot) Check(vs *Violations, prefix string, now time.Time) {
	if l.Campaign < MinCampaign || l.Campaign > now.Year()+1 {
		vs.Add(prefix+".campaign", "must be the shearing season's year, %d to %d", MinCampaign, now.Year()+1)
	}
	switch {
	case l.NetWeightGrams <= 0:
		vs.Add(prefix+".net_weight_grams", "must be positive, in grams")
	case l.NetWeightGrams > MaxLotGrams:
		vs.Add(prefix+".net_weight_grams", "must be at most %d grams (100 t)", MaxLotGrams)
	}
	switch {
	case len(l.Sources) > 0 && len(l.Contributions) > 0:
		vs.Add(prefix+".contributions", "must be empty when sources are given: contributions are derived from the receipts")
	case len(l.Sources) > 0:
		l.checkSources(vs, prefix)
	default:
		l.checkContributions(vs, prefix)
	}
	checkText(vs, prefix+".collection_point", l.CollectionPoint, 0, maxCollectionPointLn)
	checkText(vs, prefix+".lot_number", l.LotNumber, 0, maxLotNumberLen)
	if d, err := time.ParseInLocation(DateLayout, l.ClassificationDate, peruTime); err != nil {
		vs.Add(prefix+".classification_date", "must be a date YYYY-MM-DD")
	} else if d.After(now) {
		vs.Add(prefix+".classification_date", "must not be in the future")
	}
	if l.AskPricePerKg <= 0 || l.AskPricePerKg > MaxAskPricePerKg {
		vs.Add(prefix+".ask_price_per_kg", "must be 1 to %d minor units (céntimos) a kilogram", MaxAskPricePerKg)
	}
	CheckCurrency(vs, prefix+".currency_code", l.Currency)
}

// checkContributions requires 1 to MaxContributions contributions of
// positive grams by distinct members, summing exactly to the net weight.
func (l *Lot) checkContributions(vs *Violations, prefix string) {
	field := prefix + ".contributions"
	if len(l.Contributions) == 0 || len(l.Contributions) > MaxContributions {
		vs.Add(field, "must list 1 to %d members with the grams each delivered", MaxContributions)
		return
	}
	checkParts(vs, weightParts{
		field: field, keyField: "member", n: len(l.Contributions),
		duplicate: "lists the same member twice: add their grams into one contribution",
		maxGrams:  MaxLotGrams, tooHeavy: "must be positive and at most %d grams (100 t)",
		part: func(i int) (string, int64) { return l.Contributions[i].MemberID, l.Contributions[i].Grams },
	}, l.NetWeightGrams)
}

// weightParts describes the parts a lot's weight is made of (its
// contributions or its sources) for checkParts.
type weightParts struct {
	// field names the list; keyField the part's field that must differ.
	field, keyField string
	n               int
	// duplicate is the message for a key repeated; tooHeavy, with
	// maxGrams, for grams not positive or over maxGrams.
	duplicate, tooHeavy string
	maxGrams            int64
	part                func(i int) (key string, grams int64)
}

// checkParts requires parts of positive grams, at most maxGrams each, with
// distinct keys, summing exactly to the net weight (when that is valid).
func checkParts(vs *Violations, p weightParts, netWeightGrams int64) {
	seen := make(map[string]bool, p.n)
	var sum int64
	ok := true
	for i := range p.n {
		key, grams := p.part(i)
		f := p.field + "[" + itoa(i) + "]"
		if seen[key] {
			vs.Add(f+"."+p.keyField, "%s", p.duplicate)
			ok = false
		}
		seen[key] = true
		if grams <= 0 || grams > p.maxGrams {
			vs.Add(f+".grams", p.tooHeavy, p.maxGrams)
			ok = false
			continue
		}
		sum += grams
	}
	if ok && netWeightGrams > 0 && sum != netWeightGrams {
		vs.Add(p.field, "sum to %d g, but the net weight is %d g: they must be equal", sum, netWeightGrams)
	}
}

func itoa(i int) string {
	return strconv.Itoa(i)
}

// OnOffer is the grams of the lot still on offer: its weight less what is
// allocated and what was withdrawn, for an AVAILABLE or ALLOCATED lot; 0
// for any other.
func (l *Lot) OnOffer() int64 {
	if l.State != LotAvailable && l.State != LotAllocated {
		return 0
	}
	return max(l.NetWeightGrams-l.AllocatedGrams-l.WithdrawnGrams, 0)
}

// Withdraw takes what is left of the lot on offer off the market. A lot
// with nothing allocated becomes WITHDRAWN, all its grams withdrawn; an
// ALLOCATED lot keeps its state and its trades, and its unallocated rest
// becomes WithdrawnGrams, so that it is no longer matched. It returns
// FailedPrecondition, naming the state, when nothing is on offer: the
// lot is SOLD, WITHDRAWN, fully allocated or its rest already withdrawn.
func (l *Lot) Withdraw() error {
	rest := l.OnOffer()
	if rest == 0 {
		e := Errorf(FailedPrecondition, "the lot is %s with %d of its %d g allocated and %d g withdrawn: nothing is left on offer to withdraw",
			l.State, l.AllocatedGrams, l.NetWeightGrams, l.WithdrawnGrams)
		e.Reason = "LOT_NOT_WITHDRAWABLE"
		return e
	}
	l.WithdrawnGrams += rest
	if l.AllocatedGrams == 0 {
		l.State = LotWithdrawn
	}
	return nil
}
