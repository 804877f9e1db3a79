package store_test

import (
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

func TestCreateAndGetAssociation(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		phoneOnly := association("210101")
		phoneOnly.Contact.Email = ""
		emailOnly := association("080101")
		emailOnly.Contact.Phone = ""
		noCommunity := association("090101")
		noCommunity.Community = ""
		accents := association("211101")
		accents.LegalName = "Asociación de Criadores de Alpacas «Ñawpa Suri» de Macusani"
		for _, tc := range []struct {
			name string
			in   millwa.Association
		}{
			{"full", association("210101")},
			{"phone only", phoneOnly},
			{"email only", emailOnly},
			{"no community", noCommunity},
			{"non-ASCII name", accents},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				ctx := t.Context()
				before := time.Now()
				got := mustCreate(t, s, tc.in)
				after := time.Now()

				id, err := uuid.Parse(got.ID)
				if err != nil || id.Version() != 7 || id.String() != got.ID {
					t.Errorf("ID = %q, want a canonical UUIDv7 (parse error %v)", got.ID, err)
				}
				if got.CreateTime.Before(before.Add(-time.Microsecond)) || got.CreateTime.After(after) {
					t.Errorf("CreateTime = %v, want between %v and %v", got.CreateTime, before, after)
				}
				want := tc.in
				want.ID, want.Revision, want.CreateTime, want.UpdateTime = got.ID, 1, got.CreateTime, got.CreateTime
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("created association (-want +got):\n%s", diff)
				}

				fromStore, err := s.GetAssociation(ctx, admin, got.ID)
				if err != nil {
					t.Fatalf("Store.GetAssociation: %v", err)
				}
				if diff := cmp.Diff(got, fromStore); diff != "" {
					t.Errorf("Store.GetAssociation (-want +got):\n%s", diff)
				}
				var fromTx millwa.Association
				if err := s.InTx(ctx, func(tx *store.Tx) (err error) {
					fromTx, err = tx.GetAssociation(ctx, admin, strings.ToUpper(got.ID))
					return err
				}); err != nil {
					t.Fatalf("Tx.GetAssociation of the upper-case id: %v", err)
				}
				if diff := cmp.Diff(got, fromTx); diff != "" {
					t.Errorf("Tx.GetAssociation (-want +got):\n%s", diff)
				}
			})
		}
	})
}

// TestAssociationTimesRoundTrip checks that the times a create returns are
// exactly those read back (cmp uses time.Time.Equal, so this also checks
// the representation: UTC, microseconds, no monotonic reading).
func TestAssociationTimesRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		created := mustCreate(t, s, association("210101"))
		got, err := s.GetAssociation(t.Context(), admin, created.ID)
		if err != nil {
			t.Fatalf("GetAssociation: %v", err)
		}
		for _, tc := range []struct {
			name        string
			wrote, read time.Time
		}{
			{"create_time", created.CreateTime, got.CreateTime},
			{"update_time", created.UpdateTime, got.UpdateTime},
		} {
			if tc.read != tc.wrote { // == compares location and monotonic reading too
				t.Errorf("%s: wrote %#v, read %#v", tc.name, tc.wrote, tc.read)
			}
			if tc.read.Location() != time.UTC || tc.read.Nanosecond()%1000 != 0 {
				t.Errorf("%s = %v, want UTC at microsecond precision", tc.name, tc.read)
			}
		}
	})
}

func TestCreateAssociationDuplicateRUC(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewStore(t, url)
		first := mustCreate(t, s, association("210101"))

		dup := association("080101")
		dup.RUC = first.RUC
		other := association("090101") // created in the same transaction, before the duplicate
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateAssociation(ctx, &other); err != nil {
				return err
			}
			return tx.CreateAssociation(ctx, &dup)
		})
		if got := errorCode(err); got != millwa.AlreadyExists {
			t.Fatalf("creating a second association with RUC %s: code %q (%v), want %q", first.RUC, got, err, millwa.AlreadyExists)
		}
		if msg := errorMessage(err); !strings.Contains(msg, first.RUC) {
			t.Errorf("message %q does not name the RUC %s", msg, first.RUC)
		}
		if dup.ID != "" {
			t.Errorf("the refused association was given ID %q; want it unchanged", dup.ID)
		}

		all, err := s.ListAssociations(ctx, admin, store.ListQuery{})
		if err != nil {
			t.Fatalf("ListAssociations: %v", err)
		}
		if diff := cmp.Diff([]millwa.Association{first}, all.Items); diff != "" {
			t.Errorf("associations after the refused transaction (-want +got):\n%s", diff)
		}
	})
}

func TestGetAssociationNotFound(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		mustCreate(t, s, association("210101"))
		for _, tc := range []struct{ name, id string }{
			{"unknown UUIDv7", uuid.Must(uuid.NewV7()).String()},
			{"not a UUID", "not-a-uuid"},
			{"empty", ""},
			{"UUID without dashes", strings.ReplaceAll(uuid.Must(uuid.NewV7()).String(), "-", "")},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				_, err := s.GetAssociation(t.Context(), admin, tc.id)
				if got := errorCode(err); got != millwa.NotFound {
					t.Fatalf("GetAssociation(%q): code %q (%v), want %q", tc.id, got, err, millwa.NotFound)
				}
				if diff := cmp.Diff("association "+tc.id+" not found", errorMessage(err)); diff != "" {
					t.Errorf("message (-want +got):\n%s", diff)
				}
			})
		}
	})
}

// TestListAssociationsPages reads pages while associations are created
// between them, in each order: every association that existed at the start
// comes exactly once and in order.
func TestListAssociationsPages(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		names := []string{"Chaska", "Ñawpa", "Apu", "ayllu", "Qori", "Inti", "Apu", "Wayra", "Killa"}
		var existing []millwa.Association
		for _, n := range names {
			a := association("210101")
			a.LegalName = n
			existing = append(existing, mustCreate(t, s, a))
		}
		byName := func(desc bool) []string {
			sorted := append([]millwa.Association(nil), existing...)
			sort.SliceStable(sorted, func(i, j int) bool {
				if sorted[i].LegalName != sorted[j].LegalName {
					return (sorted[i].LegalName < sorted[j].LegalName) != desc
				}
				return sorted[i].ID < sorted[j].ID // the id breaks ties, ascending
			})
			return ids(sorted)
		}
		for _, tc := range []struct {
			name  string
			order []millwa.OrderTerm
			want  []string
		}{
			{"id", nil, ids(existing)},
			{"create_time", []millwa.OrderTerm{{Field: "create_time"}}, ids(existing)},
			{"legal_name", []millwa.OrderTerm{{Field: "legal_name"}}, byName(false)},
			{"legal_name desc", []millwa.OrderTerm{{Field: "legal_name", Desc: true}}, byName(true)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx := t.Context()
				seen := map[string]bool{existing[0].ID: true}
				var got []string
				q := store.ListQuery{Order: tc.order, Limit: 2}
				for page := 0; ; page++ {
					p, err := s.ListAssociations(ctx, admin, q)
					if err != nil {
						t.Fatalf("page %d: %v", page, err)
					}
					for _, a := range p.Items {
						if seen[a.ID] && a.ID != existing[0].ID {
							continue // created while paging
						}
						got = append(got, a.ID)
					}
					if page < 3 { // create more between pages: they must not disturb them
						a := association("080101")
						a.LegalName = "Apu"
						seen[mustCreate(t, s, a).ID] = true
					}
					if p.Next == nil {
						break
					}
					if page > 100 {
						t.Fatal("paging does not end")
					}
					q.After = p.Next
				}
				var pre []string
				for _, id := range got {
					for _, e := range existing {
						if e.ID == id {
							pre = append(pre, id)
						}
					}
				}
				if diff := cmp.Diff(tc.want, pre); diff != "" {
					t.Errorf("pre-existing associations in page order (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestListAssociationsFilter(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		puno := mustCreate(t, s, association("210101"))
		macusani := mustCreate(t, s, association("211101"))
		acora := mustCreate(t, s, association("210102"))
		cusco := mustCreate(t, s, association("080101"))
		huancavelica := mustCreate(t, s, association("090101"))
		region := func(op millwa.Op, prefix string) millwa.Condition {
			return millwa.Condition{Field: "region", Op: op, Str: prefix}
		}
		created := func(op millwa.Op, a millwa.Association) millwa.Condition {
			return millwa.Condition{Field: "create_time", Op: op, Time: a.CreateTime}
		}
		for _, tc := range []struct {
			name string
			q    store.ListQuery
			want []millwa.Association
		}{
			{"all", store.ListQuery{}, []millwa.Association{puno, macusani, acora, cusco, huancavelica}},
			{"department", store.ListQuery{Conditions: []millwa.Condition{region(millwa.OpEq, "21")}}, []millwa.Association{puno, macusani, acora}},
			{"province", store.ListQuery{Conditions: []millwa.Condition{region(millwa.OpEq, "2101")}}, []millwa.Association{puno, acora}},
			{"district", store.ListQuery{Conditions: []millwa.Condition{region(millwa.OpEq, "210102")}}, []millwa.Association{acora}},
			{"not the department", store.ListQuery{Conditions: []millwa.Condition{region(millwa.OpNe, "21")}}, []millwa.Association{cusco, huancavelica}},
			{"LIKE wildcards are literal", store.ListQuery{Conditions: []millwa.Condition{region(millwa.OpEq, "2_")}}, []millwa.Association{}},
			{"no match", store.ListQuery{Conditions: []millwa.Condition{region(millwa.OpEq, "25")}}, []millwa.Association{}},
			{"ruc", store.ListQuery{Conditions: []millwa.Condition{{Field: "ruc", Op: millwa.OpEq, Str: cusco.RUC}}}, []millwa.Association{cusco}},
			{"legal name", store.ListQuery{Conditions: []millwa.Condition{{Field: "legal_name", Op: millwa.OpEq, Str: acora.LegalName}}}, []millwa.Association{acora}},
			{"created from", store.ListQuery{Conditions: []millwa.Condition{created(millwa.OpGe, cusco)}}, []millwa.Association{cusco, huancavelica}},
			{"created before", store.ListQuery{Conditions: []millwa.Condition{created(millwa.OpLt, macusani)}}, []millwa.Association{puno}},
			{"region and time", store.ListQuery{Conditions: []millwa.Condition{region(millwa.OpEq, "21"), created(millwa.OpGt, puno)}}, []millwa.Association{macusani, acora}},
			{"limit", store.ListQuery{Limit: 2}, []millwa.Association{puno, macusani}},
			{"after", store.ListQuery{After: []string{macusani.ID}}, []millwa.Association{acora, cusco, huancavelica}},
			{"after upper case", store.ListQuery{After: []string{strings.ToUpper(cusco.ID)}}, []millwa.Association{huancavelica}},
			{"after the last", store.ListQuery{After: []string{huancavelica.ID}}, []millwa.Association{}},
			{"prefix, after and limit", store.ListQuery{Conditions: []millwa.Condition{region(millwa.OpEq, "21")}, After: []string{puno.ID}, Limit: 1}, []millwa.Association{macusani}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				got, err := s.ListAssociations(t.Context(), admin, tc.q)
				if err != nil {
					t.Fatalf("ListAssociations(%+v): %v", tc.q, err)
				}
				if diff := cmp.Diff(ids(tc.want), ids(got.Items)); diff != "" {
					t.Errorf("ListAssociations(%+v) ids (-want +got):\n%s", tc.q, diff)
				}
			})
		}
		// A page that is not the last says where the next one starts.
		p, err := s.ListAssociations(t.Context(), admin, store.ListQuery{Order: []millwa.OrderTerm{{Field: "legal_name", Desc: true}}, Limit: 4})
		if err != nil {
			t.Fatal(err)
		}
		last := p.Items[len(p.Items)-1]
		if diff := cmp.Diff([]string{last.LegalName, last.ID}, p.Next); diff != "" {
			t.Errorf("Next (-want +got):\n%s", diff)
		}
		p, err = s.ListAssociations(t.Context(), admin, store.ListQuery{Limit: 5})
		if err != nil || p.Next != nil {
			t.Errorf("a full last page has Next %v (err %v), want none", p.Next, err)
		}
	})
}

func TestListAssociationsInvalidQuery(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		for _, tc := range []struct {
			name string
			q    store.ListQuery
		}{
			{"unknown field", store.ListQuery{Conditions: []millwa.Condition{{Field: "contact_email", Op: millwa.OpEq, Str: "x"}}}},
			{"unknown order", store.ListQuery{Order: []millwa.OrderTerm{{Field: "contact_email"}}}},
			{"negative limit", store.ListQuery{Limit: -1}},
			{"limit too large", store.ListQuery{Limit: store.MaxListLimit + 1}},
			{"after id not an id", store.ListQuery{After: []string{"x"}}},
			{"after key too short", store.ListQuery{Order: []millwa.OrderTerm{{Field: "legal_name"}}, After: []string{uuid.NewString()}}},
			{"after time not a time", store.ListQuery{Order: []millwa.OrderTerm{{Field: "create_time"}}, After: []string{"yesterday", uuid.NewString()}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				_, err := s.ListAssociations(t.Context(), admin, tc.q)
				if got := errorCode(err); got != millwa.Invalid {
					t.Errorf("ListAssociations(%+v): code %q (%v), want %q", tc.q, got, err, millwa.Invalid)
				}
			})
		}
	})
}

// TestCreateAssociationKeepsCause checks that a classified error still
// carries the driver's error for logs.
func TestCreateAssociationKeepsCause(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		a := mustCreate(t, s, association("210101"))
		dup := association("210101")
		dup.RUC = a.RUC
		err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.CreateAssociation(t.Context(), &dup) })
		var me *millwa.Error
		if !errors.As(err, &me) || me.Err == nil {
			t.Fatalf("error %v has no *millwa.Error with a cause", err)
		}
		if !strings.Contains(err.Error(), "inserting association") {
			t.Errorf("error %q lacks the context it was entered with", err)
		}
	})
}

// TestAssociationVisibility checks that each role sees, in the query itself,
// only the associations it may: another tenant's association is NotFound
// with the same message as one that does not exist.
func TestAssociationVisibility(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		puno := mustCreate(t, s, association("210101"))
		cusco := mustCreate(t, s, association("080101"))
		azangaro := mustCreate(t, s, association("210201"))
		all := []millwa.Association{puno, cusco, azangaro}
		for _, tc := range []struct {
			name string
			p    millwa.Principal
			want []millwa.Association
		}{
			{"admin", admin, all},
			{"processor", millwa.Principal{Role: millwa.RoleProcessor, Organisation: "processors/" + uuid.NewString()}, all},
			{"association itself", millwa.Principal{Role: millwa.RoleAssociation, Organisation: "associations/" + cusco.ID}, []millwa.Association{cusco}},
			{"association of another kind of name", millwa.Principal{Role: millwa.RoleAssociation, Organisation: "processors/" + cusco.ID}, nil},
			{"agency of Puno", millwa.Principal{Role: millwa.RoleAgency, Regions: []string{"21"}}, []millwa.Association{puno, azangaro}},
			{"agency of a province", millwa.Principal{Role: millwa.RoleAgency, Regions: []string{"2102", "08"}}, []millwa.Association{cusco, azangaro}},
			{"agency without regions", millwa.Principal{Role: millwa.RoleAgency}, nil},
			{"no principal", millwa.Principal{}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				page, err := s.ListAssociations(t.Context(), tc.p, store.ListQuery{})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(ids(tc.want), ids(page.Items)); diff != "" {
					t.Errorf("listed (-want +got):\n%s", diff)
				}
				visible := map[string]bool{}
				for _, a := range tc.want {
					visible[a.ID] = true
				}
				for _, a := range all {
					_, err := s.GetAssociation(t.Context(), tc.p, a.ID)
					switch {
					case visible[a.ID] && err != nil:
						t.Errorf("Get %s: %v, want it visible", a.ID, err)
					case !visible[a.ID] && (errorCode(err) != millwa.NotFound || errorMessage(err) != "association "+a.ID+" not found"):
						t.Errorf("Get %s: %v, want NotFound exactly as for a missing one", a.ID, err)
					}
				}
			})
		}
	})
}
