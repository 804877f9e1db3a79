package store_test

import (
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// mustCreateProcessor creates a valid processor with its plant in ubigeo.
func mustCreateProcessor(t *testing.T, s *store.Store, ubigeo string) millwa.Processor {
	t.Helper()
	p := millwa.Processor{
		LegalName: "Procesadora " + ubigeo, RUC: newRUC(), Ubigeo: ubigeo, PlantLocation: "Parque Industrial",
		Contact: millwa.Contact{PersonName: "Ana Flores", Phone: "+51 54 123 456"},
	}
	if err := millwa.Validate(&p, "processor"); err != nil {
		t.Fatalf("fixture is invalid: %v", err)
	}
	if err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.CreateProcessor(t.Context(), &p) }); err != nil {
		t.Fatalf("CreateProcessor: %v", err)
	}
	return p
}

// mustCreateOrder creates an order of processor p, expiring at expire (not
// checked: the store takes an expiry in the past, the service does not).
func mustCreateOrder(t *testing.T, s *store.Store, processorID string, expire time.Time, groups, colours []string) millwa.PurchaseOrder {
	t.Helper()
	o := millwa.PurchaseOrder{
		ProcessorID: processorID, Standard: "pe-ntp-231-301-2014", QualityGroups: groups, Colours: colours,
		QuantityGrams: 1_000_000, BidPricePerKg: 2500, Currency: "PEN", DeliveryUbigeo: "040101", ExpireTime: expire,
	}
	if err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.CreatePurchaseOrder(t.Context(), &o) }); err != nil {
		t.Fatalf("CreatePurchaseOrder: %v", err)
	}
	return o
}

func orderIDs(os []millwa.PurchaseOrder) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.ID
	}
	return out
}

func TestProcessorCreateGetAndDuplicateRUC(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		p := mustCreateProcessor(t, s, "040101")
		got, err := s.GetProcessor(t.Context(), admin, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(p, got); diff != "" {
			t.Errorf("GetProcessor (-created +read):\n%s", diff)
		}
		dup := p
		dup.ID = ""
		err = s.InTx(t.Context(), func(tx *store.Tx) error { return tx.CreateProcessor(t.Context(), &dup) })
		if errorCode(err) != millwa.AlreadyExists || errorMessage(err) != "a processor with RUC "+p.RUC+" already exists" {
			t.Errorf("duplicate RUC: %v, want AlreadyExists naming the RUC", err)
		}
	})
}

func TestProcessorVisibility(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		arequipa := mustCreateProcessor(t, s, "040101")
		lima := mustCreateProcessor(t, s, "150101")
		all := []millwa.Processor{arequipa, lima}
		for _, tc := range []struct {
			name string
			p    millwa.Principal
			want []millwa.Processor
		}{
			{"admin", admin, all},
			{"association", millwa.Principal{Role: millwa.RoleAssociation, Organisation: "associations/" + uuid.NewString()}, all},
			{"processor itself", millwa.Principal{Role: millwa.RoleProcessor, Organisation: "processors/" + lima.ID}, []millwa.Processor{lima}},
			{"processor named as another kind", millwa.Principal{Role: millwa.RoleProcessor, Organisation: "associations/" + lima.ID}, nil},
			{"agency", millwa.Principal{Role: millwa.RoleAgency, Regions: []string{"04"}}, nil},
			{"no principal", millwa.Principal{}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				page, err := s.ListProcessors(t.Context(), tc.p, store.ListQuery{})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, p := range page.Items {
					got = append(got, p.ID)
				}
				var want []string
				visible := map[string]bool{}
				for _, p := range tc.want {
					want = append(want, p.ID)
					visible[p.ID] = true
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("listed (-want +got):\n%s", diff)
				}
				for _, p := range all {
					_, err := s.GetProcessor(t.Context(), tc.p, p.ID)
					switch {
					case visible[p.ID] && err != nil:
						t.Errorf("Get %s: %v, want it visible", p.ID, err)
					case !visible[p.ID] && (errorCode(err) != millwa.NotFound || errorMessage(err) != "processor "+p.ID+" not found"):
						t.Errorf("Get %s: %v, want NotFound exactly as for a missing one", p.ID, err)
					}
				}
			})
		}
	})
}

func TestPurchaseOrderVisibility(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		a := mustCreateProcessor(t, s, "040101")
		b := mustCreateProcessor(t, s, "150101")
		later := time.Now().Add(24 * time.Hour)
		oa := mustCreateOrder(t, s, a.ID, later, []string{"BABY"}, nil)
		ob := mustCreateOrder(t, s, b.ID, later, []string{"FLEECE"}, nil)
		all := []millwa.PurchaseOrder{oa, ob}
		for _, tc := range []struct {
			name string
			p    millwa.Principal
			want []millwa.PurchaseOrder
		}{
			{"admin", admin, all},
			{"processor A", millwa.Principal{Role: millwa.RoleProcessor, Organisation: "processors/" + a.ID}, []millwa.PurchaseOrder{oa}},
			{"processor B", millwa.Principal{Role: millwa.RoleProcessor, Organisation: "processors/" + b.ID}, []millwa.PurchaseOrder{ob}},
			{"association", millwa.Principal{Role: millwa.RoleAssociation, Organisation: "associations/" + uuid.NewString()}, nil},
			{"agency", millwa.Principal{Role: millwa.RoleAgency, Regions: []string{"04", "15"}}, nil},
			{"no principal", millwa.Principal{}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				page, err := s.ListPurchaseOrders(t.Context(), tc.p, "", store.ListQuery{})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(orderIDs(tc.want), orderIDs(page.Items)); diff != "" {
					t.Errorf("listed (-want +got):\n%s", diff)
				}
				// Another processor's id as parent shows nothing either.
				page, err = s.ListPurchaseOrders(t.Context(), tc.p, a.ID, store.ListQuery{})
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range page.Items {
					if o.ProcessorID != a.ID {
						t.Errorf("listing processor A's orders returned %s of %s", o.ID, o.ProcessorID)
					}
				}
				visible := map[string]bool{}
				for _, o := range tc.want {
					visible[o.ID] = true
				}
				for _, o := range all {
					got, err := s.GetPurchaseOrder(t.Context(), tc.p, o.ID)
					switch {
					case visible[o.ID] && err != nil:
						t.Errorf("Get %s: %v, want it visible", o.ID, err)
					case visible[o.ID]:
						if diff := cmp.Diff(o, got); diff != "" {
							t.Errorf("Get %s (-created +read):\n%s", o.ID, diff)
						}
					case errorCode(err) != millwa.NotFound || errorMessage(err) != "purchase order "+o.ID+" not found":
						t.Errorf("Get %s: %v, want NotFound exactly as for a missing one", o.ID, err)
					}
				}
			})
		}
	})
}

func TestPurchaseOrderExpiryFiltersAndCancel(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewStore(t, url)
		p := mustCreateProcessor(t, s, "040101")
		later := time.Now().Add(24 * time.Hour)
		open := mustCreateOrder(t, s, p.ID, later, []string{"BABY", "FLEECE"}, nil)
		white := mustCreateOrder(t, s, p.ID, later, []string{"FLEECE"}, []string{"WHITE"})
		lapsed := mustCreateOrder(t, s, p.ID, time.Now().Add(-time.Minute), []string{"BABY_SUPERFINE"}, []string{"BROWN"})

		got, err := s.GetPurchaseOrder(ctx, admin, lapsed.ID)
		if err != nil || got.State != millwa.OrderExpired {
			t.Fatalf("an order past its expire time reads %q (%v), want EXPIRED", got.State, err)
		}
		var stored string
		if err := queryRow(ctx, s, `SELECT state FROM purchase_orders WHERE id = ?`, []any{lapsed.ID}, &stored); err != nil || stored != "OPEN" {
			t.Fatalf("stored state %q (%v): expiry is derived on read, nothing written", stored, err)
		}

		list := func(conds ...millwa.Condition) []string {
			t.Helper()
			page, err := s.ListPurchaseOrders(ctx, admin, p.ID, store.ListQuery{Conditions: conds})
			if err != nil {
				t.Fatalf("ListPurchaseOrders(%v): %v", conds, err)
			}
			ids := orderIDs(page.Items)
			sort.Strings(ids)
			return ids
		}
		sorted := func(os ...millwa.PurchaseOrder) []string {
			ids := orderIDs(os)
			sort.Strings(ids)
			return ids
		}
		for _, tc := range []struct {
			name string
			cond millwa.Condition
			want []string
		}{
			{"state = OPEN", millwa.Condition{Field: "state", Op: millwa.OpEq, Str: "OPEN"}, sorted(open, white)},
			{"state = EXPIRED", millwa.Condition{Field: "state", Op: millwa.OpEq, Str: "EXPIRED"}, sorted(lapsed)},
			{"state != EXPIRED", millwa.Condition{Field: "state", Op: millwa.OpNe, Str: "EXPIRED"}, sorted(open, white)},
			{"quality_group = BABY", millwa.Condition{Field: "quality_group", Op: millwa.OpEq, Str: "BABY"}, sorted(open)},
			{"quality_group = FLEECE", millwa.Condition{Field: "quality_group", Op: millwa.OpEq, Str: "FLEECE"}, sorted(open, white)},
			{"colour = WHITE (empty accepts any)", millwa.Condition{Field: "colour", Op: millwa.OpEq, Str: "WHITE"}, sorted(open, white)},
			{"colour = BROWN", millwa.Condition{Field: "colour", Op: millwa.OpEq, Str: "BROWN"}, sorted(open, lapsed)},
			{"breed = SURI (none set)", millwa.Condition{Field: "breed", Op: millwa.OpEq, Str: "SURI"}, sorted(open, white, lapsed)},
			{"quality_group with LIKE characters", millwa.Condition{Field: "quality_group", Op: millwa.OpEq, Str: "B%"}, []string{}},
		} {
			if diff := cmp.Diff(tc.want, list(tc.cond)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.name, diff)
			}
		}
		if _, err := s.ListPurchaseOrders(ctx, admin, "", store.ListQuery{Conditions: []millwa.Condition{{Field: "colour", Op: millwa.OpNe, Str: "WHITE"}}}); errorCode(err) != millwa.Invalid {
			t.Errorf("colour != …: %v, want Invalid", err)
		}

		// Cancel: once; a lapsed order cannot be.
		processor := millwa.Principal{Role: millwa.RoleProcessor, Organisation: "processors/" + p.ID}
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			o, err := tx.GetPurchaseOrder(ctx, processor, open.ID)
			if err != nil {
				return err
			}
			if err := o.CanCancel(); err != nil {
				return err
			}
			return tx.CancelPurchaseOrder(ctx, o.ID)
		}); err != nil {
			t.Fatalf("cancelling: %v", err)
		}
		got, err = s.GetPurchaseOrder(ctx, processor, open.ID)
		if err != nil || got.State != millwa.OrderCancelled || got.Revision != 2 {
			t.Fatalf("after cancelling: %+v %v, want CANCELLED at revision 2", got, err)
		}
		for _, id := range []string{open.ID, lapsed.ID} {
			err := s.InTx(ctx, func(tx *store.Tx) error { return tx.CancelPurchaseOrder(ctx, id) })
			if errorCode(err) != millwa.Aborted {
				t.Errorf("cancelling %s again, unchecked: %v, want Aborted and nothing changed", id, err)
			}
		}
	})
}
