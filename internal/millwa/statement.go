package millwa

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// MaxFeeBasisPoints bounds an association's fee: 20 % of what its members
// earn.
const MaxFeeBasisPoints = 2000

// Fee is an association's fee on earned: earned × basisPoints / 10,000,
// rounded half up, in the same minor units.
func Fee(earned int64, basisPoints int32) int64 {
	if earned <= 0 || basisPoints <= 0 {
		return 0
	}
	// earned ≤ 10^16 in practice (MaxOrderGrams × MaxBidPricePerKg / 1000
	// for every trade of a member); × 2,000 stays within int64.
	return (earned*int64(basisPoints) + 5000) / 10000
}

// StatementReceipt is a receipt as a statement lists it.
type StatementReceipt struct {
	ID             string
	Number         int64
	ReceiveDate    string
	DeliveredGrams int64
}

// StatementSource is the grams a lot took from one of the member's
// receipts.
type StatementSource struct {
	LotID     string
	ReceiptID string
	Grams     int64
}

// StatementPayout is the member's payout of one paid trade on a lot.
type StatementPayout struct {
	TradeID  string
	LotID    string
	Grams    int64
	Amount   int64
	Currency string
}

// StatementLine is one receipt's line of a statement.
type StatementLine struct {
	Receipt        StatementReceipt
	SoldGrams      int64
	EarnedAmount   int64
	DeliveredGrams int64
}

// MemberStatement is what one member delivered in a campaign, what it sold
// for, the association's fee, what the association paid the member and
// what it still owes.
type MemberStatement struct {
	AssociationID string
	// AssociationName and MemberName are the legal and full names, for
	// printing.
	AssociationName string
	MemberID        string
	MemberName      string
	Campaign        int
	Currency        string
	FeeBasisPoints  int32
	Lines           []StatementLine
	DeliveredGrams  int64
	SoldGrams       int64
	EarnedAmount    int64
	FeeAmount       int64
	PaidAmount      int64
	BalanceAmount   int64
}

// BuildStatement assembles a member's statement for a campaign from the
// member's receipts of the campaign, the sources lots took from them and
// the member's payouts of paid trades on those lots, and the payments
// already made.
//
// Tracing rule: a member's payout of a trade on a lot (grams and amount,
// already the member's exact share of the trade) is split over the
// member's sources in that lot in proportion to each source's grams, by
// largest remainder with ties to the receipt whose id sorts first
// (LargestRemainder), so each receipt's lines sum exactly to the payouts.
// Payouts of lots not built from receipts (hand-typed contributions) trace
// to no receipt and are left out. Every payout must be in currency; a
// payout in another currency answers FailedPrecondition.
func BuildStatement(s *MemberStatement, receipts []StatementReceipt, sources []StatementSource, payouts []StatementPayout) error {
	lines := make(map[string]*StatementLine, len(receipts))
	s.Lines = make([]StatementLine, len(receipts))
	for i, r := range receipts {
		s.Lines[i] = StatementLine{Receipt: r, DeliveredGrams: r.DeliveredGrams}
		s.DeliveredGrams += r.DeliveredGrams
	}
	for i := range s.Lines {
		lines[s.Lines[i].Receipt.ID] = &s.Lines[i]
	}
	byLot := map[string][]StatementSource{}
	for _, src := range sources {
		if _, ok := lines[src.ReceiptID]; ok {
			byLot[src.LotID] = append(byLot[src.LotID], src)
		}
	}
	for _, srcs := range byLot {
		slices.SortFunc(srcs, func(a, b StatementSource) int { return cmp.Compare(a.ReceiptID, b.ReceiptID) })
	}
	for _, p := range payouts {
		srcs := byLot[p.LotID]
		if len(srcs) == 0 {
			continue
		}
		if p.Currency != s.Currency {
			return Errorf(FailedPrecondition, "trade %s was paid in %s, not %s: ask for the statement in %s", p.TradeID, p.Currency, s.Currency, p.Currency)
		}
		weights := make([]int64, len(srcs))
		for i, src := range srcs {
			weights[i] = src.Grams
		}
		grams, amounts := LargestRemainder(p.Grams, weights), LargestRemainder(p.Amount, weights)
		for i, src := range srcs {
			l := lines[src.ReceiptID]
			l.SoldGrams += grams[i]
			l.EarnedAmount += amounts[i]
			s.SoldGrams += grams[i]
			s.EarnedAmount += amounts[i]
		}
	}
	s.FeeAmount = Fee(s.EarnedAmount, s.FeeBasisPoints)
	s.BalanceAmount = s.EarnedAmount - s.FeeAmount - s.PaidAmount
	return nil
}

// PaymentMethod is how an association paid a member.
type PaymentMethod string

// Payment methods.
const (
	PaymentCash         PaymentMethod = "CASH"
	PaymentBankTransfer PaymentMethod = "BANK_TRANSFER"
	PaymentMobileWallet PaymentMethod = "MOBILE_WALLET"
)

// maxPaymentReferenceLen bounds MemberPayment.Reference.
const maxPaymentReferenceLen = 100

// MemberPayment is money an association paid one of its members against
// a campaign's balance.
type MemberPayment struct {
	ID            string
	AssociationID string
	MemberID      string
	Campaign      int
	Amount        int64
	Currency      string
	Method        PaymentMethod
	Reference     string
	CreateTime    time.Time
}

// Normalize trims the payment's text and applies the default currency.
func (m *MemberPayment) Normalize() {
	m.Reference = strings.TrimSpace(m.Reference)
	m.Currency = NormalizeCurrency(m.Currency)
}

// Check records a violation in vs for every bad field of a new payment.
func (m *MemberPayment) Check(vs *Violations, now time.Time) {
	if m.Campaign < MinCampaign || m.Campaign > now.Year()+1 {
		vs.Add("campaign", "must be the shearing season's year, %d to %d", MinCampaign, now.Year()+1)
	}
	if m.Amount <= 0 {
		vs.Add("amount", "must be positive, in minor units (céntimos)")
	}
	switch m.Method {
	case PaymentCash, PaymentBankTransfer, PaymentMobileWallet:
	case "":
		vs.Add("method", "is required: CASH, BANK_TRANSFER or MOBILE_WALLET")
	default:
		vs.Add("method", "must be CASH, BANK_TRANSFER or MOBILE_WALLET")
	}
	checkText(vs, "reference", m.Reference, 0, maxPaymentReferenceLen)
	CheckCurrency(vs, "currency_code", m.Currency)
}

// CheckBalance returns FailedPrecondition when paying amount would pay the
// member more than the statement's balance.
func (s *MemberStatement) CheckBalance(amount int64) error {
	if amount > s.BalanceAmount {
		return Reasonf(FailedPrecondition, "PAYMENT_EXCEEDS_BALANCE",
			"the payment of %d exceeds the member's balance of %d %s minor units for campaign %d", amount, s.BalanceAmount, s.Currency, s.Campaign)
	}
	return nil
}
