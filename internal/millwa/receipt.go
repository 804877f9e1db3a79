package millwa

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// ReceiptState is where a receipt is in its life.
type ReceiptState string

// Receipt states: a receipt is ACTIVE from its creation; VOIDED when the
// association cancels it, which it may only while no lot uses its grams. A
// voided receipt keeps its number, so the numbering stays gap-free.
const (
	ReceiptActive ReceiptState = "ACTIVE"
	ReceiptVoided ReceiptState = "VOIDED"
)

// ParseReceiptState returns the state an enum value names, with or without
// the "RECEIPT_STATE_" prefix.
func ParseReceiptState(name string) (ReceiptState, bool) {
	return parseEnum(name, "RECEIPT_STATE_", ReceiptActive, ReceiptVoided)
}

// Limits on receipts.
const (
	MaxReceiptGrams      = 10_000_000 // 10 t: a whole family's clip
	MaxReceiptFleeces    = 10_000
	MaxReceiptGroups     = 20
	MaxLotSources        = 1000
	maxReceiptCodeLength = 32
)

// Receipt is one member's delivery of fleece at a collection point
// (centro de acopio): weighed, and either classed into quality groups
// (GroupGrams) or categorised whole (FleeceCategory). Lots draw their
// grams from receipts.
type Receipt struct {
	// ID is the server-assigned UUIDv7; the resource name is
	// "associations/{AssociationID}/receipts/{ID}".
	ID            string
	AssociationID string
	MemberID      string
	// MemberDisplayName is the member's full name, as read.
	MemberDisplayName string
	ClassifierID      string
	// Standard is the id of the standard GroupGrams' codes or
	// FleeceCategory belong to.
	Standard        string
	Campaign        int
	CollectionPoint string
	ReceiveDate     string // YYYY-MM-DD, in Peru
	Breed           string
	Colour          string
	FleeceCount     int32
	NetWeightGrams  int64
	// GroupGrams are the grams of each quality group; for a categorised
	// receipt, the net weight under its category code.
	GroupGrams map[string]int64
	// FleeceCategory is the category of whole fleeces; "" for a classed
	// receipt.
	FleeceCategory string
	// Number is sequential per association and campaign, from 1, without
	// gaps; assigned by the store.
	Number int64
	// UnusedGrams are the grams of each code not yet in a lot.
	UnusedGrams map[string]int64
	State       ReceiptState
	Revision    int64
	CreateTime  time.Time
	UpdateTime  time.Time
}

// Normalize trims the receipt's text and applies the default receive date,
// today in Peru.
func (r *Receipt) Normalize(now time.Time) {
	r.CollectionPoint = strings.TrimSpace(r.CollectionPoint)
	r.FleeceCategory = strings.TrimSpace(r.FleeceCategory)
	if r.ReceiveDate == "" {
		r.ReceiveDate = now.In(peruTime).Format(DateLayout)
	}
}

// Check records a violation in vs for every bad field of a new receipt
// that the domain alone can judge, with paths under prefix: codes are
// checked against the standard by the caller. A categorised receipt's
// GroupGrams must be empty (the caller fills them from the category).
func (r *Receipt) Check(vs *Violations, prefix string, now time.Time) {
	if r.Campaign < MinCampaign || r.Campaign > now.Year()+1 {
		vs.Add(prefix+".campaign", "must be the shearing season's year, %d to %d", MinCampaign, now.Year()+1)
	}
	checkText(vs, prefix+".collection_point", r.CollectionPoint, 1, maxCollectionPointLn)
	if d, err := time.ParseInLocation(DateLayout, r.ReceiveDate, peruTime); err != nil {
		vs.Add(prefix+".receive_date", "must be a date YYYY-MM-DD")
	} else if d.After(now) {
		vs.Add(prefix+".receive_date", "must not be in the future")
	}
	if r.FleeceCount < 1 || r.FleeceCount > MaxReceiptFleeces {
		vs.Add(prefix+".fleece_count", "must be 1 to %d fleeces", MaxReceiptFleeces)
	}
	weightOK := r.NetWeightGrams > 0 && r.NetWeightGrams <= MaxReceiptGrams
	if !weightOK {
		vs.Add(prefix+".net_weight_grams", "must be 1 to %d grams (10 t)", MaxReceiptGrams)
	}
	switch {
	case r.FleeceCategory != "" && len(r.GroupGrams) > 0:
		vs.Add(prefix+".group_grams", "must be empty for whole fleeces of a fleece_category: give one or the other")
	case r.FleeceCategory == "" && len(r.GroupGrams) == 0:
		vs.Add(prefix+".group_grams", "is required (grams per quality group) unless fleece_category is given")
	case len(r.GroupGrams) > MaxReceiptGroups:
		vs.Add(prefix+".group_grams", "must hold at most %d quality groups", MaxReceiptGroups)
	case r.FleeceCategory == "":
		r.checkGroupGrams(vs, prefix+".group_grams", weightOK)
	}
}

// checkGroupGrams requires positive grams summing exactly to the net
// weight.
func (r *Receipt) checkGroupGrams(vs *Violations, field string, weightOK bool) {
	var sum int64
	ok := true
	for _, code := range r.Codes() {
		g := r.GroupGrams[code]
		if g <= 0 || g > MaxReceiptGrams || len(code) > maxReceiptCodeLength {
			vs.Add(field+"["+strconv.Quote(code)+"]", "must be positive grams, at most %d", MaxReceiptGrams)
			ok = false
			continue
		}
		sum += g
	}
	if ok && weightOK && sum != r.NetWeightGrams {
		vs.Add(field, "sum to %d g, but the net weight is %d g: they must be equal", sum, r.NetWeightGrams)
	}
}

// Codes are the receipt's quality-group (or category) codes, sorted.
func (r *Receipt) Codes() []string {
	codes := make([]string, 0, len(r.GroupGrams))
	for c := range r.GroupGrams {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return codes
}

// CanVoid returns nil when the receipt may be voided, or a
// FailedPrecondition error saying why not.
func (r *Receipt) CanVoid() error {
	if r.State != ReceiptActive {
		return Reasonf(FailedPrecondition, "RECEIPT_NOT_VOIDABLE", "the receipt is already %s", r.State)
	}
	for _, code := range r.Codes() {
		if used := r.GroupGrams[code] - r.UnusedGrams[code]; used > 0 {
			return Reasonf(FailedPrecondition, "RECEIPT_IN_LOT", "%d g of %s are in lots: a receipt whose grams a lot uses cannot be voided", used, code)
		}
	}
	return nil
}

// ReceiptName is the resource name of an association's receipt.
func ReceiptName(associationID, id string) string {
	return "associations/" + associationID + "/receipts/" + id
}

// Source is the grams a lot takes from one receipt, of the lot's declared
// quality group or fleece category.
type Source struct {
	ReceiptID string
	// MemberID is the receipt's member, filled by the store.
	MemberID string
	Grams    int64
}

// checkSources requires 1 to MaxLotSources sources of positive grams from
// distinct receipts, summing exactly to the net weight.
func (l *Lot) checkSources(vs *Violations, prefix string) {
	field := prefix + ".sources"
	if len(l.Sources) > MaxLotSources {
		vs.Add(field, "must list 1 to %d receipts with the grams taken from each", MaxLotSources)
		return
	}
	checkParts(vs, weightParts{
		field: field, keyField: "receipt", n: len(l.Sources),
		duplicate: "lists the same receipt twice: add its grams into one source",
		maxGrams:  MaxReceiptGrams, tooHeavy: "must be positive and at most %d grams",
		part: func(i int) (string, int64) { return l.Sources[i].ReceiptID, l.Sources[i].Grams },
	}, l.NetWeightGrams)
}

// DeriveContributions sets the lot's contributions from its sources, whose
// members the store has filled: each member's grams summed, members in
// the order of their first source.
func (l *Lot) DeriveContributions() {
	l.Contributions = nil
	at := map[string]int{}
	for _, s := range l.Sources {
		i, ok := at[s.MemberID]
		if !ok {
			i = len(l.Contributions)
			at[s.MemberID] = i
			l.Contributions = append(l.Contributions, Contribution{MemberID: s.MemberID})
		}
		l.Contributions[i].Grams += s.Grams
	}
}
