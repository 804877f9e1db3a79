package millwa

import (
	"fmt"
	"strings"
	"time"
)

// PurchaseOrderState is where a purchase order is in its life: OPEN →
// PARTIALLY_FILLED → FILLED as the market allocates grams to it; CANCELLED
// by its processor from OPEN, PARTIALLY_FILLED or FILLED; EXPIRED once its
// expire time passes while OPEN or PARTIALLY_FILLED.
type PurchaseOrderState string

// Purchase order states.
const (
	OrderOpen            PurchaseOrderState = "OPEN"
	OrderPartiallyFilled PurchaseOrderState = "PARTIALLY_FILLED"
	OrderFilled          PurchaseOrderState = "FILLED"
	OrderCancelled       PurchaseOrderState = "CANCELLED"
	OrderExpired         PurchaseOrderState = "EXPIRED"
)

// ParsePurchaseOrderState returns the state an enum value names, written
// with or without the "PURCHASE_ORDER_STATE_" prefix and in any case
// ("OPEN", "PURCHASE_ORDER_STATE_FILLED", "expired"); ok is false for
// anything else, PURCHASE_ORDER_STATE_UNSPECIFIED included.
func ParsePurchaseOrderState(name string) (s PurchaseOrderState, ok bool) {
	return parseEnum(name, "PURCHASE_ORDER_STATE_", OrderOpen, OrderPartiallyFilled, OrderFilled, OrderCancelled, OrderExpired)
}

// Live reports whether an order in state s is still on the market as
// stored, before its expire time is taken into account.
func (s PurchaseOrderState) Live() bool {
	return s == OrderOpen || s == OrderPartiallyFilled
}

// PurchaseOrder is a processor's standing order to buy fibre of given
// qualities, up to a quantity, at a bid price per kilogram.
type PurchaseOrder struct {
	// ID is the server-assigned UUIDv7; the resource name is
	// "processors/{ProcessorID}/purchaseOrders/{ID}".
	ID          string
	ProcessorID string
	// Standard is the id of the grading standard whose codes the order
	// uses; only lots of this standard match.
	Standard string
	// QualityGroups are the market quality groups accepted: at least one.
	QualityGroups []string
	// Colours and Breeds accepted; empty accepts every one.
	Colours []string
	Breeds  []string
	// MaxMeanFibreDiameterUm, when set, admits only lots measured at most
	// this fine.
	MaxMeanFibreDiameterUm *float64
	QuantityGrams          int64
	// MinLotGrams, when set, admits only lots with at least this many
	// grams unallocated; nil means no minimum.
	MinLotGrams *int64
	// BidPricePerKg is in minor units of Currency per kilogram.
	BidPricePerKg int64
	Currency      string
	// DeliveryUbigeo is the district where the fibre is to be delivered.
	DeliveryUbigeo string
	ExpireTime     time.Time
	// State is the state as read: EXPIRED when the stored state is OPEN or
	// PARTIALLY_FILLED and ExpireTime has passed (see Lapse).
	State       PurchaseOrderState
	FilledGrams int64
	// Revision counts changes; the etag is derived from it and State.
	Revision   int64
	CreateTime time.Time
	UpdateTime time.Time
}

// Limits on purchase orders.
const (
	MaxOrderGrams         = 10_000_000_000 // 10,000 t
	MaxBidPricePerKg      = 100_000_000    // minor units: a million soles a kilogram
	MaxOrderQualityGroups = 20
	MaxOrderColours       = 30
	MaxOrderBreeds        = 10
	MinOrderDiameterUm    = 5.0
	MaxOrderDiameterUm    = 100.0
)

// MaxOrderLifetime is how far ahead an order's expire time may lie: one
// calendar year from now.
func MaxOrderLifetime(now time.Time) time.Time { return now.AddDate(1, 0, 0) }

// Normalize trims the order's codes and currency and applies the default
// currency PEN. The default delivery district (the processor's) is the
// caller's to apply, once it has read the processor.
func (o *PurchaseOrder) Normalize() {
	for _, codes := range [][]string{o.QualityGroups, o.Colours, o.Breeds} {
		for i := range codes {
			codes[i] = strings.TrimSpace(codes[i])
		}
	}
	o.DeliveryUbigeo = strings.TrimSpace(o.DeliveryUbigeo)
	o.Currency = NormalizeCurrency(o.Currency)
}

// Check records a violation in vs for every bad field of a new order that
// the domain alone can judge, with field paths under prefix. Whether each
// code belongs to the order's standard is checked by the caller, which
// holds the standards. An empty DeliveryUbigeo is accepted: the caller
// defaults it to the processor's.
func (o *PurchaseOrder) Check(vs *Violations, prefix string, now time.Time) {
	checkCodes(vs, prefix+".accepted_quality_groups", o.QualityGroups, 1, MaxOrderQualityGroups)
	checkCodes(vs, prefix+".accepted_colours", o.Colours, 0, MaxOrderColours)
	checkCodes(vs, prefix+".accepted_breeds", o.Breeds, 0, MaxOrderBreeds)
	if d := o.MaxMeanFibreDiameterUm; d != nil && !(*d >= MinOrderDiameterUm && *d <= MaxOrderDiameterUm) {
		vs.Add(prefix+".max_mean_fiber_diameter_um", "must be %g to %g micrometres, or absent for no maximum", MinOrderDiameterUm, MaxOrderDiameterUm)
	}
	quantityOK := o.QuantityGrams > 0 && o.QuantityGrams <= MaxOrderGrams
	if !quantityOK {
		vs.Add(prefix+".quantity_grams", "must be 1 to %d grams (10,000 t); got %d", int64(MaxOrderGrams), o.QuantityGrams)
	}
	if m := o.MinLotGrams; m != nil && (*m <= 0 || (quantityOK && *m > o.QuantityGrams)) {
		vs.Add(prefix+".min_lot_grams", "must be 1 to quantity_grams (%d), or absent for no minimum", o.QuantityGrams)
	}
	if o.BidPricePerKg <= 0 || o.BidPricePerKg > MaxBidPricePerKg {
		vs.Add(prefix+".bid_price_per_kg", "must be 1 to %d minor units (céntimos) a kilogram; got %d", MaxBidPricePerKg, o.BidPricePerKg)
	}
	CheckCurrency(vs, prefix+".currency_code", o.Currency)
	if o.DeliveryUbigeo != "" {
		if msg := CheckUbigeo(o.DeliveryUbigeo); msg != "" {
			vs.Add(prefix+".delivery_ubigeo", "%s", msg)
		}
	}
	switch {
	case o.ExpireTime.IsZero():
		vs.Add(prefix+".expire_time", "is required: when the order stops matching, at most a year ahead")
	case !o.ExpireTime.After(now):
		vs.Add(prefix+".expire_time", "must be in the future; got %s", o.ExpireTime.UTC().Format(time.RFC3339))
	case o.ExpireTime.After(MaxOrderLifetime(now)):
		vs.Add(prefix+".expire_time", "must be at most a year ahead, before %s", MaxOrderLifetime(now).UTC().Format(time.RFC3339))
	}
}

// checkCodes requires min to max distinct, non-empty codes.
func checkCodes(vs *Violations, field string, codes []string, min, max int) {
	switch {
	case len(codes) < min && min == 1:
		vs.Add(field, "must name at least one code of the order's standard")
		return
	case len(codes) > max:
		vs.Add(field, "must name at most %d codes, has %d", max, len(codes))
		return
	}
	seen := map[string]bool{}
	for i, c := range codes {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case c == "":
			vs.Add(f, "must not be empty")
		case seen[c]:
			vs.Add(f, "repeats %q: name each code once", c)
		}
		seen[c] = true
	}
}

// Lapse sets State to EXPIRED when the order is still live as stored (OPEN
// or PARTIALLY_FILLED) and its expire time is not after now. Expiry is
// derived on read: nothing is written when an order lapses, so that every
// reader, on any replica, sees the same state at the same time.
func (o *PurchaseOrder) Lapse(now time.Time) {
	if o.State.Live() && !o.ExpireTime.IsZero() && !o.ExpireTime.After(now) {
		o.State = OrderExpired
	}
}

// CanCancel returns nil when the order, as read (see Lapse), may be
// cancelled: it is OPEN, PARTIALLY_FILLED or FILLED. Otherwise it returns a
// FailedPrecondition error naming its state.
func (o *PurchaseOrder) CanCancel() error {
	switch o.State {
	case OrderOpen, OrderPartiallyFilled, OrderFilled:
		return nil
	}
	return Reasonf(FailedPrecondition, "PURCHASE_ORDER_NOT_CANCELLABLE",
		"the purchase order is %s: only an OPEN, PARTIALLY_FILLED or FILLED order can be cancelled", o.State)
}
