package millwa

import (
	"strings"
	"time"
	"unicode/utf8"
)

// ClaimState is where a quality claim is: OPEN → ACCEPTED (the association
// accepts, the trade is repriced), or OPEN → REFERRED → REPRICED or UPHELD
// (the agency's referee test binds).
type ClaimState string

// Claim states.
const (
	ClaimOpen     ClaimState = "OPEN"
	ClaimAccepted ClaimState = "ACCEPTED"
	ClaimReferred ClaimState = "REFERRED"
	ClaimRepriced ClaimState = "REPRICED"
	ClaimUpheld   ClaimState = "UPHELD"
)

// Pending reports whether a claim in state s still holds the trade's
// payment: OPEN or REFERRED.
func (s ClaimState) Pending() bool { return s == ClaimOpen || s == ClaimReferred }

// Market event types of claims: their resource is the claim, their payload
// the trade.
const (
	EventClaimFiled    MarketEventType = "CLAIM_FILED"
	EventClaimAccepted MarketEventType = "CLAIM_ACCEPTED"
	EventClaimReferred MarketEventType = "CLAIM_REFERRED"
	EventClaimDecided  MarketEventType = "CLAIM_DECIDED"
)

// Limits of a claim's text fields, in characters.
const (
	MaxLaboratory  = 200
	MaxReferReason = 500
)

// Claim is a processor's quality claim on a delivered trade: its own test
// of a sample taken at receipt, graded under the lot's standard, and what
// the association and the agency made of it.
type Claim struct {
	ID      string
	TradeID string
	State   ClaimState
	// Laboratory and TestMethod are the processor's; Sample what it
	// measured and Grade its grade record (grading.EncodeRecord).
	Laboratory string
	TestMethod string
	Sample     Measurement
	Grade      string
	// MoisturePercent and ImpurityPercent are the processor's figures at
	// receipt, for the record; nil when not given.
	MoisturePercent *float64
	ImpurityPercent *float64
	// StatedPricePerKg is the processor's price for the measured group when
	// its order does not accept it; 0 otherwise.
	StatedPricePerKg int64
	// SoldGroup and SoldPricePerKg are the trade's when the claim was filed;
	// MeasuredGroup is the claim's grade; RepricedPricePerKg is what the
	// trade takes when the claim is upheld (RepricedPrice).
	SoldGroup          string
	SoldPricePerKg     int64
	MeasuredGroup      string
	RepricedPricePerKg int64
	ReferReason        string
	// AgencyID, RefereeLaboratory, RefereeTestMethod, RefereeSample and
	// RefereeGrade are the agency's decision; empty until DecideClaim.
	AgencyID          string
	RefereeLaboratory string
	RefereeTestMethod string
	RefereeSample     *Measurement
	RefereeGrade      string
	// AssociationID, ProcessorID, LotID, OriginUbigeo and Breed are the
	// trade's, read with the claim.
	AssociationID string
	Breed         string
	ProcessorID   string
	LotID         string
	OriginUbigeo  string
	Revision      int64
	CreateTime    time.Time
	UpdateTime    time.Time
}

// ClaimName is the resource name of a claim.
func ClaimName(tradeID, id string) string { return TradeName(tradeID) + "/claims/" + id }

// RepricedPrice is the price per kilogram a trade sold at soldPrice takes
// when a claim that measured another group is upheld: the sold price
// when the order still accepts the measured group (the order's bid is
// kept), otherwise the price the processor stated, which cannot exceed
// the sold price.
func RepricedPrice(soldPrice int64, orderAccepts bool, stated int64) int64 {
	if orderAccepts {
		return soldPrice
	}
	return min(stated, soldPrice)
}

// CheckClaimText records a laboratory name that is not 1 to MaxLaboratory
// characters of valid text once trimmed, and returns it trimmed.
func CheckClaimText(vs *Violations, field, v string) string {
	v = strings.TrimSpace(v)
	if n := utf8.RuneCountInString(v); n < 1 || n > MaxLaboratory || !utf8.ValidString(v) {
		vs.Add(field, "must be 1 to %d characters naming the laboratory; got %d", MaxLaboratory, n)
	}
	return v
}

// CheckPercent records a percentage that is not between 0 and 100.
func CheckPercent(vs *Violations, field string, v *float64) {
	if v != nil && !(*v >= 0 && *v <= 100) {
		vs.Add(field, "must be a percentage from 0 to 100")
	}
}

// CanFileClaim returns FailedPrecondition unless a claim may be filed on
// tr: the trade is DELIVERED and nothing of it has been paid.
func (tr *Trade) CanFileClaim() error {
	if tr.State != TradeDelivered || tr.PaidAmount > 0 {
		return Reasonf(FailedPrecondition, "TRADE_NOT_CLAIMABLE",
			"the trade is %s: a claim is filed after delivery and before any payment", tr.State)
	}
	return nil
}

// Reprice sets a DELIVERED trade's quality group and price per kilogram
// to those of an upheld claim; the amount due follows for the delivered
// grams, exact to the minor unit (Amount).
func (tr *Trade) Reprice(group string, pricePerKg int64) {
	tr.QualityGroup, tr.PricePerKg = group, pricePerKg
	tr.AmountDue = Amount(pricePerKg, tr.DeliveredGrams)
}

// ClaimNotState is the FailedPrecondition of a claim step taken in the
// wrong state.
func ClaimNotState(c *Claim, want ClaimState) error {
	return Reasonf(FailedPrecondition, "CLAIM_NOT_"+string(want),
		"the claim is %s: this step needs a claim that is %s", c.State, want)
}
