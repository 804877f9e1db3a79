package millwa

import (
	"cmp"
	"math/bits"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// TradeState is where a trade is in its life: MATCHED → CONFIRMED (both
// sides) → DELIVERED → PAID, or MATCHED → CANCELLED when its order is
// cancelled or expires first, or MATCHED → DECLINED when the association
// refuses it.
type TradeState string

// Trade states.
const (
	TradeMatched   TradeState = "MATCHED"
	TradeConfirmed TradeState = "CONFIRMED"
	TradeDelivered TradeState = "DELIVERED"
	TradePaid      TradeState = "PAID"
	TradeCancelled TradeState = "CANCELLED"
	TradeDeclined  TradeState = "DECLINED"
)

// ParseTradeState returns the state an enum value names, with or without
// the "TRADE_STATE_" prefix and in any case; ok is false for anything else.
func ParseTradeState(name string) (s TradeState, ok bool) {
	return parseEnum(name, "TRADE_STATE_", TradeMatched, TradeConfirmed, TradeDelivered, TradePaid, TradeCancelled, TradeDeclined)
}

// Holds reports whether a trade in state s still holds its grams of the
// lot: every state but CANCELLED and DECLINED.
func (s TradeState) Holds() bool { return s != TradeCancelled && s != TradeDeclined && s != "" }

// Payout is one member's share of a paid trade.
type Payout struct {
	MemberID          string
	MemberDisplayName string
	Grams             int64
	Amount            int64
}

// Trade is grams of one lot allocated to one purchase order, followed from
// match to payment. Grades, origin and prices are those agreed when the
// trade was matched.
type Trade struct {
	ID              string
	PurchaseOrderID string
	ProcessorID     string
	LotID           string
	AssociationID   string
	Standard        string
	QualityGroup    string
	Colour          string
	Breed           string
	OriginUbigeo    string
	Grams           int64
	BidPricePerKg   int64
	AskPricePerKg   int64
	PricePerKg      int64
	Currency        string
	// AmountDue is what the processor owes: for Grams until delivery, then
	// for DeliveredGrams (see Amount).
	AmountDue              int64
	State                  TradeState
	AssociationConfirmTime time.Time
	ProcessorConfirmTime   time.Time
	ConfirmTime            time.Time
	DeliveredGrams         int64
	WeighTime              time.Time
	DeliverTime            time.Time
	// PaidAmount is the sum of the payments so far; PaymentReference and
	// PayTime are those of the latest.
	PaidAmount       int64
	PaymentReference string
	PayTime          time.Time
	CancelTime       time.Time
	// DeclineReason and DeclineTime are the association's reason and the
	// time it declined the trade; empty unless DECLINED.
	DeclineReason string
	DeclineTime   time.Time
	// Payouts are each member's share of the payments so far (the sum of
	// the payments' payouts), when read by someone who may see them.
	Payouts []Payout
	// NewPayment is the payment Pay recorded, for the store to write with
	// the trade; nil otherwise.
	NewPayment *Payment
	ClearingID string
	// LotNumber, AssociationName and ProcessorName are read with the trade
	// for display: the lot's number and the parties' legal names.
	LotNumber       string
	AssociationName string
	ProcessorName   string
	Revision        int64
	CreateTime      time.Time
	UpdateTime      time.Time
}

// MaxPaymentReference is the longest payment reference, in characters.
const MaxPaymentReference = 100

// MaxDeclineReason is the longest reason for declining a trade, in
// characters.
const MaxDeclineReason = 500

// Amount is what grams cost at pricePerKg minor units a kilogram, rounded
// half up to the minor unit: (price × grams + 500) / 1000. Both operands are
// bounded by the limits on bids (10^8) and on grams (10^10 per order), so
// the product is computed in 128 bits and the result always fits.
func Amount(pricePerKg, grams int64) int64 {
	hi, lo := bits.Mul64(uint64(pricePerKg), uint64(grams))
	lo, carry := bits.Add64(lo, 500, 0)
	hi += carry
	q, _ := bits.Div64(hi, lo, 1000)
	return int64(q)
}

// Side is a party to a trade.
type Side string

// Sides of a trade.
const (
	SideAssociation Side = "association"
	SideProcessor   Side = "processor"
)

// Confirm records side's confirmation of a MATCHED trade at time t; the
// trade becomes CONFIRMED when both sides have confirmed. It returns
// FailedPrecondition when the trade is not MATCHED or side has already
// confirmed.
func (tr *Trade) Confirm(side Side, t time.Time) error {
	if tr.State != TradeMatched {
		return Reasonf(FailedPrecondition, "TRADE_NOT_MATCHED",
			"the trade is %s: only a MATCHED trade can be confirmed", tr.State)
	}
	mine := &tr.AssociationConfirmTime
	if side == SideProcessor {
		mine = &tr.ProcessorConfirmTime
	}
	if !mine.IsZero() {
		return Reasonf(FailedPrecondition, "TRADE_ALREADY_CONFIRMED",
			"the %s has already confirmed this trade; it waits for the other side", Noun(side))
	}
	*mine = t
	if !tr.AssociationConfirmTime.IsZero() && !tr.ProcessorConfirmTime.IsZero() {
		tr.State, tr.ConfirmTime = TradeConfirmed, t
	}
	return nil
}

// Decline records that the association refused a MATCHED trade at time t
// for reason (checked by the caller, see CheckDeclineReason): the trade
// becomes DECLINED and no longer holds its grams, which the caller
// returns to the lot and the order. It returns FailedPrecondition naming
// the state when the trade is not MATCHED.
func (tr *Trade) Decline(reason string, t time.Time) error {
	if tr.State != TradeMatched {
		e := Errorf(FailedPrecondition, "the trade is %s: only a MATCHED trade can be declined; a confirmed trade is settled by delivery and payment", tr.State)
		e.Reason = "TRADE_NOT_MATCHED"
		return e
	}
	tr.State, tr.DeclineReason, tr.DeclineTime = TradeDeclined, reason, t
	return nil
}

// CheckDeclineReason records a violation of field when reason is not 1 to
// MaxDeclineReason characters of valid text once trimmed, and returns it
// trimmed.
func CheckDeclineReason(vs *Violations, field, reason string) string {
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 1 || n > MaxDeclineReason || !utf8.ValidString(reason) {
		vs.Add(field, "must be 1 to %d characters saying why the trade is declined; got %d", MaxDeclineReason, n)
	}
	return reason
}

// Deliver records the grams the processor weighed at weighTime for a
// CONFIRMED trade, recorded at t; the amount due becomes that of the
// delivered grams. The caller has checked grams and weighTime (see
// CheckDelivery). It returns FailedPrecondition when the trade is not
// CONFIRMED.
func (tr *Trade) Deliver(grams int64, weighTime, t time.Time) error {
	if tr.State != TradeConfirmed {
		return Reasonf(FailedPrecondition, "TRADE_NOT_CONFIRMED",
			"the trade is %s: a delivery is recorded for a CONFIRMED trade only", tr.State)
	}
	tr.State, tr.DeliveredGrams, tr.WeighTime, tr.DeliverTime = TradeDelivered, grams, weighTime, t
	tr.AmountDue = Amount(tr.PricePerKg, grams)
	return nil
}

// CheckDelivery records violations of a delivery of grams weighed at
// weighTime for tr, as of now.
func (tr *Trade) CheckDelivery(vs *Violations, grams int64, weighTime, now time.Time) {
	if grams < 1 || grams > tr.Grams {
		vs.Add("delivered_grams", "must be 1 to the trade's %d grams; got %d", tr.Grams, grams)
	}
	switch {
	case weighTime.IsZero():
		vs.Add("weigh_time", "is required: when the fibre was weighed")
	case weighTime.After(now):
		vs.Add("weigh_time", "must not be in the future; got %s", weighTime.UTC().Format(time.RFC3339))
	}
}

// Payment is one payment towards a trade's amount due, with the grams it
// pays for and its split among the lot's members.
type Payment struct {
	Amount    int64
	Grams     int64
	Reference string
	Time      time.Time
	Payouts   []Payout
}

// Outstanding is what is still owed on the trade: the amount due less
// what has been paid.
func (tr *Trade) Outstanding() int64 { return tr.AmountDue - tr.PaidAmount }

// Pay records that amount was paid with reference at t towards a DELIVERED
// trade, one of the payments that add up to its amount due; the trade
// becomes PAID when they reach it. The payment pays for the delivered
// grams in proportion: the grams paid for after it are DeliveredGrams ×
// PaidAmount / AmountDue rounded down, so that the payments' grams sum
// exactly to DeliveredGrams; its grams and amount are split among the
// lot's contributions (SplitPayouts) and set in NewPayment, for the store
// to write. It returns FailedPrecondition when the trade is not
// DELIVERED, and Invalid, naming the outstanding amount, when amount
// exceeds it.
func (tr *Trade) Pay(amount int64, reference string, contributions []Contribution, t time.Time) error {
	if tr.State != TradeDelivered {
		return Reasonf(FailedPrecondition, "TRADE_NOT_DELIVERED",
			"the trade is %s: a payment is recorded for a DELIVERED trade only", tr.State)
	}
	if out := tr.Outstanding(); amount < 1 || amount > out {
		var vs Violations
		vs.Add("paid_amount", "must be 1 to the %d minor units of %s still outstanding (of %d due); got %d"+
			" / debe ser de 1 al saldo pendiente de %d unidades menores de %s (de %d adeudadas); se recibió %d",
			out, tr.Currency, tr.AmountDue, amount, out, tr.Currency, tr.AmountDue, amount)
		return vs.Err()
	}
	before := mulDiv(tr.DeliveredGrams, tr.PaidAmount, tr.AmountDue)
	tr.PaidAmount += amount
	grams := mulDiv(tr.DeliveredGrams, tr.PaidAmount, tr.AmountDue) - before
	tr.PaymentReference, tr.PayTime = reference, t
	if tr.PaidAmount == tr.AmountDue {
		tr.State = TradePaid
	}
	tr.NewPayment = &Payment{Amount: amount, Grams: grams, Reference: reference, Time: t,
		Payouts: SplitPayouts(contributions, grams, amount)}
	return nil
}

// mulDiv is a × b / c rounded down, for 0 ≤ b ≤ c and a ≥ 0, computed in
// 128 bits: the result is at most a.
func mulDiv(a, b, c int64) int64 {
	if c <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(q)
}

// SplitPayouts shares grams and amount among contributions in proportion
// to each member's contributed grams, each share rounded down and the
// remainders handed out one unit at a time by largest remainder, ties to
// the member whose id sorts first, so that the shares sum exactly to grams
// and amount. Members whose shares are both zero are left out.
func SplitPayouts(contributions []Contribution, grams, amount int64) []Payout {
	cs := slices.Clone(contributions)
	slices.SortFunc(cs, func(a, b Contribution) int { return cmp.Compare(a.MemberID, b.MemberID) })
	weights := make([]int64, len(cs))
	for i, c := range cs {
		weights[i] = c.Grams
	}
	gs, as := LargestRemainder(grams, weights), LargestRemainder(amount, weights)
	out := make([]Payout, 0, len(cs))
	for i, c := range cs {
		if gs[i] == 0 && as[i] == 0 {
			continue
		}
		out = append(out, Payout{MemberID: c.MemberID, Grams: gs[i], Amount: as[i]})
	}
	return out
}

// LargestRemainder splits total (≥ 0) in proportion to weights (each ≥ 0,
// summing to more than 0): each share is total × w / Σw rounded down, and
// the units left over go one each to the largest remainders, ties to the
// lower index. The shares sum exactly to total. Products are computed in
// 128 bits, so any int64 total and weights whose sum fits an int64 work.
func LargestRemainder(total int64, weights []int64) []int64 {
	var sum uint64
	for _, w := range weights {
		sum += uint64(w)
	}
	shares := make([]int64, len(weights))
	if sum == 0 || total <= 0 {
		return shares
	}
	rems := make([]uint64, len(weights))
	left := total
	for i, w := range weights {
		hi, lo := bits.Mul64(uint64(total), uint64(w))
		q, r := bits.Div64(hi, lo, sum) // q ≤ total: no overflow
		shares[i], rems[i] = int64(q), r
		left -= int64(q)
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rems[b], rems[a]) })
	for k := 0; left > 0; k++ {
		shares[order[k]]++
		left--
	}
	return shares
}

// TradeName is the resource name of the trade with the given id.
func TradeName(id string) string { return "trades/" + id }

// PurchaseOrderName is the resource name of a processor's purchase order.
func PurchaseOrderName(processorID, id string) string {
	return "processors/" + processorID + "/purchaseOrders/" + id
}

// LotName is the resource name of an association's lot.
func LotName(associationID, id string) string {
	return "associations/" + associationID + "/lots/" + id
}
