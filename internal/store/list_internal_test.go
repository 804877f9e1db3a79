package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/millwa"
)

// TestOrderFieldsHavePageKeys checks that every field the API orders a
// resource by has its column in the resource's row, where a page key is
// read from, and that fields no key could carry are refused.
func TestOrderFieldsHavePageKeys(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rc        *resourceColumns
		row       reflect.Type
		orderable []string
		refused   []string
	}{
		{&associationList, reflect.TypeFor[associationRow](), []string{"legal_name", "create_time", "ruc", "region"}, nil},
		{&processorList, reflect.TypeFor[processorRow](), []string{"legal_name", "create_time"}, nil},
		{&agencyList, reflect.TypeFor[agencyRow](), []string{"display_name"}, nil},
		{&memberList, reflect.TypeFor[memberRow](), []string{"display_name", "create_time", "dni", "sex"}, nil},
		{&classifierList, reflect.TypeFor[classifierRow](), []string{"display_name", "create_time"}, []string{"region", "member"}},
		{&lotList, reflect.TypeFor[lotRow](), []string{"create_time", "campaign", "ask_price_per_kg", "net_weight_grams", "discrepancy"}, nil},
		{&purchaseOrderList, reflect.TypeFor[purchaseOrderRow](), []string{"create_time", "expire_time", "bid_price_per_kg"}, nil},
		{&tradeList, reflect.TypeFor[tradeRow](), []string{"create_time", "update_time", "price_per_kg", "grams", "confirm_time"}, []string{"clearing_id"}},
		{&auditList, reflect.TypeFor[auditRow](), []string{"sequence", "action", "create_time"}, nil},
		{&apiKeyList, reflect.TypeFor[apiKeyRow](), []string{"id"}, nil},
	} {
		for _, f := range tc.orderable {
			if _, err := tc.rc.keyFields(tc.row, ListQuery{Order: []millwa.OrderTerm{{Field: f}}}); err != nil {
				t.Errorf("%s ordered by %s: %v", tc.rc.from, f, err)
			}
		}
		for _, f := range tc.refused {
			if _, err := tc.rc.keyFields(tc.row, ListQuery{Order: []millwa.OrderTerm{{Field: f}}}); err == nil {
				t.Errorf("%s ordered by %s: no error, want Invalid", tc.rc.from, f)
			}
		}
	}
}

// TestPageKey checks that a page key holds a row's values as keyValue
// reads them back.
func TestPageKey(t *testing.T) {
	t.Parallel()
	expire := time.Date(2026, 5, 17, 9, 30, 0, 123456000, time.UTC)
	row := purchaseOrderRow{ID: "0190aaaa-0000-7000-8000-000000000001", BidPricePerKg: 1250, ExpireTime: dbNullTime{expire}}
	q := ListQuery{Order: []millwa.OrderTerm{{Field: "expire_time"}, {Field: "bid_price_per_kg", Desc: true}}}
	fields, err := purchaseOrderList.keyFields(reflect.TypeFor[purchaseOrderRow](), q)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-05-17T09:30:00.123456Z", "1250", row.ID}
	if diff := cmp.Diff(want, pageKey(&row, fields)); diff != "" {
		t.Errorf("page key (-want +got):\n%s", diff)
	}
	lot := lotRow{ID: "0190aaaa-0000-7000-8000-000000000002", Discrepancy: true, Campaign: 2026}
	q = ListQuery{Order: []millwa.OrderTerm{{Field: "discrepancy"}, {Field: "campaign"}}}
	if fields, err = lotList.keyFields(reflect.TypeFor[lotRow](), q); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"true", "2026", lot.ID}, pageKey(&lot, fields)); diff != "" {
		t.Errorf("lot page key (-want +got):\n%s", diff)
	}
}
