package millwa

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func validProcessor() Processor {
	first := "2045678901"
	return Processor{
		LegalName: "Procesadora de Fibras del Sur S.A.C.", RUC: first + string(RUCCheckDigit(first)),
		Ubigeo: "040101", PlantLocation: "Parque Industrial, Arequipa",
		Contact: Contact{PersonName: "Ana Flores", Email: "compras@example.org"},
	}
}

// withCheckDigit is first10 completed with its SUNAT check digit.
func withCheckDigit(first10 string) string { return first10 + string(RUCCheckDigit(first10)) }

func TestProcessorValidate(t *testing.T) {
	t.Parallel()
	person := "1045678901"
	tests := []struct {
		name   string
		mutate func(*Processor)
		want   []string
	}{
		{"valid", func(*Processor) {}, nil},
		{"empty", func(p *Processor) { *p = Processor{} }, []string{"p.legal_name", "p.ruc", "p.ubigeo", "p.plant_location", "p.contact.person_name", "p.contact.phone"}},
		{"RUC check digit", func(p *Processor) { p.RUC = p.RUC[:10] + string('0'+(p.RUC[10]-'0'+1)%10) }, []string{"p.ruc"}},
		{"RUC 10 of a person with a business", func(p *Processor) { p.RUC = person + string(RUCCheckDigit(person)) }, nil},
		{"RUC 15", func(p *Processor) { p.RUC = withCheckDigit("1545678901") }, nil},
		{"RUC 17", func(p *Processor) { p.RUC = withCheckDigit("1745678901") }, nil},
		{"RUC 30 is no taxpayer kind a processor can be", func(p *Processor) { p.RUC = withCheckDigit("3045678901") }, []string{"p.ruc"}},
		{"RUC 10 with a wrong check digit", func(p *Processor) {
			good := withCheckDigit(person)
			p.RUC = good[:10] + string('0'+(good[10]-'0'+1)%10)
		}, []string{"p.ruc"}},
		{"unknown department", func(p *Processor) { p.Ubigeo = "260101" }, []string{"p.ubigeo"}},
		{"plant location too long", func(p *Processor) { p.PlantLocation = strings.Repeat("a", MaxPlantLocationLen+1) }, []string{"p.plant_location"}},
		{"bad email", func(p *Processor) { p.Contact.Email = "nowhere" }, []string{"p.contact.email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := validProcessor()
			tt.mutate(&p)
			p.Normalize()
			if got := violationFields(t, Validate(&p, "p")); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("violations = %v, want %v", got, tt.want)
			}
		})
	}
}

func validOrder(now time.Time) PurchaseOrder {
	return PurchaseOrder{
		QualityGroups: []string{"BABY", "FLEECE"}, Colours: []string{"WHITE"}, QuantityGrams: 5_000_000,
		BidPricePerKg: 2500, ExpireTime: now.Add(30 * 24 * time.Hour),
	}
}

func TestPurchaseOrderCheck(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	f := func(v float64) *float64 { return &v }
	g := func(v int64) *int64 { return &v }
	tests := []struct {
		name   string
		mutate func(*PurchaseOrder)
		want   []string
	}{
		{"valid", func(*PurchaseOrder) {}, nil},
		{"every option", func(o *PurchaseOrder) {
			o.Breeds, o.MaxMeanFibreDiameterUm, o.MinLotGrams, o.DeliveryUbigeo = []string{"SURI"}, f(22.5), g(46000), "040101"
		}, nil},
		{"a year ahead", func(o *PurchaseOrder) { o.ExpireTime = now.AddDate(1, 0, 0) }, nil},
		{"no group", func(o *PurchaseOrder) { o.QualityGroups = nil }, []string{"o.accepted_quality_groups"}},
		{"repeated colour", func(o *PurchaseOrder) { o.Colours = []string{"WHITE", "WHITE"} }, []string{"o.accepted_colours[1]"}},
		{"empty breed", func(o *PurchaseOrder) { o.Breeds = []string{" "} }, []string{"o.accepted_breeds[0]"}},
		{"too many groups", func(o *PurchaseOrder) { o.QualityGroups = make([]string, MaxOrderQualityGroups+1) }, []string{"o.accepted_quality_groups"}},
		{"zero grams", func(o *PurchaseOrder) { o.QuantityGrams = 0 }, []string{"o.quantity_grams"}},
		{"negative grams", func(o *PurchaseOrder) { o.QuantityGrams = -1 }, []string{"o.quantity_grams"}},
		{"too many grams", func(o *PurchaseOrder) { o.QuantityGrams = MaxOrderGrams + 1 }, []string{"o.quantity_grams"}},
		{"zero bid", func(o *PurchaseOrder) { o.BidPricePerKg = 0 }, []string{"o.bid_price_per_kg"}},
		{"negative bid", func(o *PurchaseOrder) { o.BidPricePerKg = -5 }, []string{"o.bid_price_per_kg"}},
		{"min lot of zero", func(o *PurchaseOrder) { o.MinLotGrams = g(0) }, []string{"o.min_lot_grams"}},
		{"min lot above quantity", func(o *PurchaseOrder) { o.MinLotGrams = g(o.QuantityGrams + 1) }, []string{"o.min_lot_grams"}},
		{"diameter too fine", func(o *PurchaseOrder) { o.MaxMeanFibreDiameterUm = f(4.9) }, []string{"o.max_mean_fiber_diameter_um"}},
		{"diameter too coarse", func(o *PurchaseOrder) { o.MaxMeanFibreDiameterUm = f(100.1) }, []string{"o.max_mean_fiber_diameter_um"}},
		{"bad currency", func(o *PurchaseOrder) { o.Currency = "SOLES" }, []string{"o.currency_code"}},
		{"bad delivery", func(o *PurchaseOrder) { o.DeliveryUbigeo = "04" }, []string{"o.delivery_ubigeo"}},
		{"no expiry", func(o *PurchaseOrder) { o.ExpireTime = time.Time{} }, []string{"o.expire_time"}},
		{"expiry now", func(o *PurchaseOrder) { o.ExpireTime = now }, []string{"o.expire_time"}},
		{"expiry in the past", func(o *PurchaseOrder) { o.ExpireTime = now.Add(-time.Hour) }, []string{"o.expire_time"}},
		{"expiry beyond a year", func(o *PurchaseOrder) { o.ExpireTime = now.AddDate(1, 0, 0).Add(time.Second) }, []string{"o.expire_time"}},
		{"several", func(o *PurchaseOrder) { o.QuantityGrams, o.BidPricePerKg = 0, 0 }, []string{"o.quantity_grams", "o.bid_price_per_kg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := validOrder(now)
			tt.mutate(&o)
			o.Normalize()
			var vs Violations
			o.Check(&vs, "o", now)
			if got := violationFields(t, vs.Err()); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("violations = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPurchaseOrderNormalizeDefaultsCurrency(t *testing.T) {
	t.Parallel()
	o := PurchaseOrder{QualityGroups: []string{" BABY "}, Currency: ""}
	o.Normalize()
	if o.Currency != "PEN" || o.QualityGroups[0] != "BABY" {
		t.Errorf("normalized: currency %q, groups %q", o.Currency, o.QualityGroups)
	}
	o.Currency = " usd"
	o.Normalize()
	if o.Currency != "USD" {
		t.Errorf("currency %q, want USD", o.Currency)
	}
}

func TestPurchaseOrderLapseAndCancel(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		stored     PurchaseOrderState
		expire     time.Time
		wantState  PurchaseOrderState
		cancelable bool
	}{
		{OrderOpen, now.Add(time.Second), OrderOpen, true},
		{OrderOpen, now, OrderExpired, false},
		{OrderPartiallyFilled, now.Add(-time.Hour), OrderExpired, false},
		{OrderPartiallyFilled, now.Add(time.Hour), OrderPartiallyFilled, true},
		{OrderFilled, now.Add(-time.Hour), OrderFilled, true},
		{OrderCancelled, now.Add(time.Hour), OrderCancelled, false},
		{OrderCancelled, now.Add(-time.Hour), OrderCancelled, false},
		{OrderExpired, now.Add(-time.Hour), OrderExpired, false},
	}
	for _, tt := range tests {
		o := PurchaseOrder{State: tt.stored, ExpireTime: tt.expire}
		o.Lapse(now)
		if o.State != tt.wantState {
			t.Errorf("%s expiring %v: reads %s, want %s", tt.stored, tt.expire.Sub(now), o.State, tt.wantState)
		}
		err := o.CanCancel()
		if (err == nil) != tt.cancelable {
			t.Errorf("%s reading %s: CanCancel = %v, want cancelable %v", tt.stored, o.State, err, tt.cancelable)
		}
		if err != nil && (ErrorCode(err) != FailedPrecondition || !strings.Contains(err.Error(), string(o.State))) {
			t.Errorf("CanCancel of %s = %v, want FailedPrecondition naming the state", o.State, err)
		}
	}
}

func TestParsePurchaseOrderState(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]PurchaseOrderState{
		"OPEN": OrderOpen, "purchase_order_state_filled": OrderFilled, "PURCHASE_ORDER_STATE_EXPIRED": OrderExpired,
		"partially_filled": OrderPartiallyFilled, "CANCELLED": OrderCancelled,
	} {
		if got, ok := ParsePurchaseOrderState(in); !ok || got != want {
			t.Errorf("ParsePurchaseOrderState(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "PURCHASE_ORDER_STATE_UNSPECIFIED", "SOLD"} {
		if got, ok := ParsePurchaseOrderState(in); ok {
			t.Errorf("ParsePurchaseOrderState(%q) = %q, want not ok", in, got)
		}
	}
}
