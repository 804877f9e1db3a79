package store_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// classifier returns a valid classifier of association a, not yet created.
func classifier(a millwa.Association, name string) millwa.Classifier {
	return millwa.Classifier{
		AssociationID:       a.ID,
		DisplayName:         name,
		DNI:                 newDNI(),
		CertificationNumber: "SINEACE-" + name,
		CertificationDate:   "2023-06-15",
	}
}

// mustCreateClassifier creates a valid classifier in its own transaction.
func mustCreateClassifier(t *testing.T, s *store.Store, c millwa.Classifier) millwa.Classifier {
	t.Helper()
	if err := millwa.Validate(&c, "classifier"); err != nil {
		t.Fatalf("fixture is invalid: %v", err)
	}
	if err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.CreateClassifier(t.Context(), &c) }); err != nil {
		t.Fatalf("CreateClassifier: %v", err)
	}
	return c
}

// classifierIDs returns the ids of classifiers, in order.
func classifierIDs(cs []millwa.Classifier) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// countClassifiers counts every classifiers row, whoever may see it.
func countClassifiers(t *testing.T, s *store.Store) int {
	t.Helper()
	var n int
	if err := queryRow(t.Context(), s, `SELECT COUNT(*) FROM classifiers`, nil, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateAndGetClassifier(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewStore(t, url)
		a := mustCreate(t, s, association("210101"))
		m := mustCreateMember(t, s, member(a, "Juana Condori", millwa.SexFemale))
		memberClassifier := classifier(a, "Juana Condori")
		memberClassifier.MemberID = strings.ToUpper(m.ID) // stored canonical
		memberClassifier.DNI = m.DNI                      // the same person: DNIs are unique per table
		for _, tc := range []struct {
			name string
			in   millwa.Classifier
			want string // member id read back
		}{
			{"not a member", classifier(a, "Sabina Apaza"), ""},
			{"a member", memberClassifier, m.ID},
		} {
			got := mustCreateClassifier(t, s, tc.in)
			if _, err := uuid.Parse(got.ID); err != nil || got.Revision != 1 || got.CreateTime.IsZero() || got.UpdateTime != got.CreateTime {
				t.Errorf("%s: created %+v, want an id, revision 1 and equal times", tc.name, got)
			}
			want := tc.in
			want.ID, want.MemberID, want.Revision, want.CreateTime, want.UpdateTime = got.ID, tc.want, 1, got.CreateTime, got.CreateTime
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: created classifier (-want +got):\n%s", tc.name, diff)
			}
			fromStore, err := s.GetClassifier(ctx, admin, a.ID, got.ID)
			if err != nil {
				t.Fatalf("%s: GetClassifier: %v", tc.name, err)
			}
			if diff := cmp.Diff(got, fromStore); diff != "" {
				t.Errorf("%s: GetClassifier (-want +got):\n%s", tc.name, diff)
			}
			var fromTx millwa.Classifier
			if err := s.InTx(ctx, func(tx *store.Tx) (err error) {
				fromTx, err = tx.GetClassifier(ctx, associationKey(a), a.ID, got.ID)
				return err
			}); err != nil || !cmp.Equal(got, fromTx) {
				t.Errorf("%s: Tx.GetClassifier by the association: %+v, %v", tc.name, fromTx, err)
			}
		}
	})
}

// TestClassifierWrittenByHand reads a row with the columns the schema lets
// be empty (no certification date, no member), as older tools wrote them.
func TestClassifierWrittenByHand(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		a := mustCreate(t, s, association("210101"))
		id := insertClassifier(t.Context(), t, s, a.ID)
		got, err := s.GetClassifier(t.Context(), admin, a.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.CertificationDate != "" || got.MemberID != "" || got.CertificationNumber != "" || got.DNI != "40123456" {
			t.Errorf("hand-written classifier read as %+v", got)
		}
	})
}

func TestCreateClassifierRefusals(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewStore(t, url)
		a := mustCreate(t, s, association("210101"))
		b := mustCreate(t, s, association("080101"))
		first := mustCreateClassifier(t, s, classifier(a, "Sabina"))
		bMember := mustCreateMember(t, s, member(b, "Luz", millwa.SexFemale))
		create := func(c millwa.Classifier) (millwa.Classifier, error) {
			err := s.InTx(ctx, func(tx *store.Tx) error { return tx.CreateClassifier(ctx, &c) })
			return c, err
		}

		dup := classifier(a, "Sabina Apaza")
		dup.DNI = first.DNI
		got, err := create(dup)
		if errorCode(err) != millwa.AlreadyExists {
			t.Fatalf("a second classifier with DNI %s: %v, want AlreadyExists", dup.DNI, err)
		}
		if diff := cmp.Diff("a classifier with DNI "+first.DNI+" is already registered in associations/"+a.ID, errorMessage(err)); diff != "" {
			t.Errorf("message (-want +got):\n%s", diff)
		}
		if got.ID != "" {
			t.Errorf("the refused classifier was given ID %q", got.ID)
		}

		otherMember := classifier(a, "Luz")
		otherMember.MemberID = bMember.ID
		// SQLite does not name the foreign key that refused the row.
		if _, err := create(otherMember); errorCode(err) != millwa.FailedPrecondition {
			t.Errorf("a member of another association: %v, want FailedPrecondition from the foreign key", err)
		}
		badMember := classifier(a, "Luz")
		badMember.MemberID = "not-an-id"
		if _, err := create(badMember); errorCode(err) != millwa.Invalid {
			t.Errorf("a malformed member id: %v, want Invalid", err)
		}
		if n := countClassifiers(t, s); n != 1 {
			t.Errorf("%d classifiers after refusals, want 1", n)
		}

		// The same DNI in another association is fine.
		elsewhere := classifier(b, "Sabina")
		elsewhere.DNI = first.DNI
		mustCreateClassifier(t, s, elsewhere)
	})
}

// TestClassifierVisibility checks who sees which classifiers, in the query
// itself: admins all, an association its own, an agency those of the
// associations in its regions, processors and the zero principal none; a
// parent the caller may not see answers exactly as a missing one.
func TestClassifierVisibility(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		puno := mustCreate(t, s, association("210101"))
		azangaro := mustCreate(t, s, association("210201"))
		cusco := mustCreate(t, s, association("080101"))
		cs := map[string][]millwa.Classifier{
			puno.ID:     {mustCreateClassifier(t, s, classifier(puno, "P1")), mustCreateClassifier(t, s, classifier(puno, "P2"))},
			azangaro.ID: {mustCreateClassifier(t, s, classifier(azangaro, "Z1"))},
			cusco.ID:    {mustCreateClassifier(t, s, classifier(cusco, "C1"))},
		}
		order := []string{puno.ID, azangaro.ID, cusco.ID}
		missing := uuid.Must(uuid.NewV7()).String()
		agency := func(regions ...string) millwa.Principal {
			return millwa.Principal{Role: millwa.RoleAgency, Organisation: "agencies/" + uuid.NewString(), Regions: regions}
		}
		for _, tc := range []struct {
			name    string
			p       millwa.Principal
			visible []string
		}{
			{"admin", admin, order},
			{"association Puno", associationKey(puno), []string{puno.ID}},
			{"association Cusco", associationKey(cusco), []string{cusco.ID}},
			{"agency of Puno", agency("21"), []string{puno.ID, azangaro.ID}},
			{"agency of a province", agency("2102", "08"), []string{azangaro.ID, cusco.ID}},
			{"agency of a wildcard", agency("2_"), nil},
			{"agency without regions", agency(), nil},
			{"processor", millwa.Principal{Role: millwa.RoleProcessor, Organisation: "processors/" + uuid.NewString()}, nil},
			{"no principal", millwa.Principal{}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				ctx := t.Context()
				var want []millwa.Classifier
				isVisible := map[string]bool{}
				for _, id := range tc.visible {
					want = append(want, cs[id]...)
					isVisible[id] = true
				}
				across, err := s.ListClassifiers(ctx, tc.p, "", store.ListQuery{})
				if err != nil {
					t.Fatalf("ListClassifiers across associations: %v", err)
				}
				if diff := cmp.Diff(classifierIDs(want), classifierIDs(across.Items), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("ListClassifiers across associations (-want +got):\n%s", diff)
				}
				if _, err := s.ListClassifiers(ctx, tc.p, missing, store.ListQuery{}); errorCode(err) != millwa.NotFound || errorMessage(err) != "association "+missing+" not found" {
					t.Errorf("ListClassifiers of a missing association: %v", err)
				}
				for _, assoc := range order {
					page, err := s.ListClassifiers(ctx, tc.p, assoc, store.ListQuery{})
					if !isVisible[assoc] {
						if errorCode(err) != millwa.NotFound || errorMessage(err) != "association "+assoc+" not found" {
							t.Errorf("ListClassifiers(%s): %v, want NotFound exactly as for a missing association", assoc, err)
						}
						for _, c := range cs[assoc] {
							if _, err := s.GetClassifier(ctx, tc.p, assoc, c.ID); errorCode(err) != millwa.NotFound || errorMessage(err) != "classifier "+c.ID+" not found" {
								t.Errorf("GetClassifier(%s): %v, want NotFound", c.ID, err)
							}
						}
						continue
					}
					if err != nil {
						t.Fatalf("ListClassifiers(%s): %v", assoc, err)
					}
					if diff := cmp.Diff(classifierIDs(cs[assoc]), classifierIDs(page.Items)); diff != "" {
						t.Errorf("ListClassifiers(%s) (-want +got):\n%s", assoc, diff)
					}
					for _, c := range cs[assoc] {
						if _, err := s.GetClassifier(ctx, tc.p, assoc, c.ID); err != nil {
							t.Errorf("GetClassifier(%s): %v", c.ID, err)
						}
					}
				}
			})
		}
	})
}

func TestListClassifiersFilterOrderAndPages(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		puno := mustCreate(t, s, association("210101"))
		cusco := mustCreate(t, s, association("080101"))
		m := mustCreateMember(t, s, member(puno, "Qori", millwa.SexFemale))
		withMember := classifier(puno, "Qori")
		withMember.MemberID = m.ID
		all := []millwa.Classifier{
			mustCreateClassifier(t, s, classifier(puno, "Wayra")),  // 0
			mustCreateClassifier(t, s, classifier(cusco, "apu")),   // 1
			mustCreateClassifier(t, s, withMember),                 // 2
			mustCreateClassifier(t, s, classifier(cusco, "Ñawpa")), // 3
			mustCreateClassifier(t, s, classifier(puno, "Apu")),    // 4
		}
		pick := func(idx ...int) []millwa.Classifier {
			var out []millwa.Classifier
			for _, i := range idx {
				out = append(out, all[i])
			}
			return out
		}
		str := func(field string, op millwa.Op, v string) millwa.Condition {
			return millwa.Condition{Field: field, Op: op, Str: v}
		}
		for _, tc := range []struct {
			name   string
			parent string
			q      store.ListQuery
			want   []millwa.Classifier
		}{
			{"all", "", store.ListQuery{}, all},
			{"one association", puno.ID, store.ListQuery{}, pick(0, 2, 4)},
			{"dni", "", store.ListQuery{Conditions: []millwa.Condition{str("dni", millwa.OpEq, all[3].DNI)}}, pick(3)},
			{"member", "", store.ListQuery{Conditions: []millwa.Condition{str("member", millwa.OpEq, m.ID)}}, pick(2)},
			{"member, upper case", puno.ID, store.ListQuery{Conditions: []millwa.Condition{str("member", millwa.OpEq, strings.ToUpper(m.ID))}}, pick(2)},
			{"certification number", "", store.ListQuery{Conditions: []millwa.Condition{str("certification_number", millwa.OpEq, "SINEACE-apu")}}, pick(1)},
			{"region", "", store.ListQuery{Conditions: []millwa.Condition{str("region", millwa.OpEq, "08")}}, pick(1, 3)},
			{"region district", "", store.ListQuery{Conditions: []millwa.Condition{str("region", millwa.OpEq, "210101")}}, pick(0, 2, 4)},
			{"not the region", "", store.ListQuery{Conditions: []millwa.Condition{str("region", millwa.OpNe, "08")}}, pick(0, 2, 4)},
			{"region of another parent", puno.ID, store.ListQuery{Conditions: []millwa.Condition{str("region", millwa.OpEq, "08")}}, nil},
			{"created after", "", store.ListQuery{Conditions: []millwa.Condition{{Field: "create_time", Op: millwa.OpGt, Time: all[2].CreateTime}}}, pick(3, 4)},
			{"by name", "", store.ListQuery{Order: []millwa.OrderTerm{{Field: "display_name"}}}, pick(4, 2, 0, 1, 3)},
			{"by name desc", "", store.ListQuery{Order: []millwa.OrderTerm{{Field: "display_name", Desc: true}}}, pick(3, 1, 0, 2, 4)},
			{"newest first in Puno", puno.ID, store.ListQuery{Order: []millwa.OrderTerm{{Field: "create_time", Desc: true}}}, pick(4, 2, 0)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx := t.Context()
				var got []string
				q := tc.q
				q.Limit = 2
				for page := 0; ; page++ {
					p, err := s.ListClassifiers(ctx, admin, tc.parent, q)
					if err != nil {
						t.Fatalf("page %d: %v", page, err)
					}
					got = append(got, classifierIDs(p.Items)...)
					if p.Next == nil {
						break
					}
					if page > 20 {
						t.Fatal("paging does not end")
					}
					q.After = p.Next
				}
				if diff := cmp.Diff(classifierIDs(tc.want), got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("classifiers in page order (-want +got):\n%s", diff)
				}
			})
		}
		for _, q := range []store.ListQuery{
			{Conditions: []millwa.Condition{str("member", millwa.OpEq, "associations/x/members/y")}},
			{Conditions: []millwa.Condition{str("state", millwa.OpEq, "x")}},
			{Order: []millwa.OrderTerm{{Field: "region"}}},
		} {
			if _, err := s.ListClassifiers(t.Context(), admin, "", q); errorCode(err) != millwa.Invalid {
				t.Errorf("ListClassifiers(%+v): %v, want Invalid", q, err)
			}
		}
	})
}
