package store_test

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// dniSeq makes fixture DNIs distinct within a test binary.
var dniSeq atomic.Int64

// newDNI returns a valid DNI not used before in this process.
func newDNI() string { return fmt.Sprintf("%08d", 40000000+dniSeq.Add(1)) }

// member returns a valid member of association a, not yet created.
func member(a millwa.Association, name string, sex millwa.Sex) millwa.Member {
	herd := int32(85)
	return millwa.Member{AssociationID: a.ID, DisplayName: name, DNI: newDNI(), Sex: sex, HerdSize: &herd}
}

// mustCreateMember creates a valid member in its own transaction.
func mustCreateMember(t *testing.T, s *store.Store, m millwa.Member) millwa.Member {
	t.Helper()
	if err := millwa.Validate(&m, "member"); err != nil {
		t.Fatalf("fixture is invalid: %v", err)
	}
	if err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.CreateMember(t.Context(), &m) }); err != nil {
		t.Fatalf("CreateMember: %v", err)
	}
	return m
}

// memberIDs returns the ids of members, in order.
func memberIDs(ms []millwa.Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// associationKey is the principal of an association's own key.
func associationKey(a millwa.Association) millwa.Principal {
	return millwa.Principal{KeyID: uuid.NewString(), Role: millwa.RoleAssociation, Organisation: "associations/" + a.ID}
}

// countMembers counts every members row, whoever may see it.
func countMembers(t *testing.T, s *store.Store) int {
	t.Helper()
	var n int
	if err := queryRow(t.Context(), s, `SELECT COUNT(*) FROM members`, nil, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateAndGetMember(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		a := mustCreate(t, s, association("210101"))
		noHerd := member(a, "Rosa Quispe Mamani", millwa.SexFemale)
		noHerd.HerdSize = nil
		zeroHerd := member(a, "Juan Mamani", millwa.SexMale)
		zero := int32(0)
		zeroHerd.HerdSize = &zero
		for _, tc := range []struct {
			name string
			in   millwa.Member
		}{
			{"full", member(a, "Rosa Quispe Mamani", millwa.SexFemale)},
			{"herd size unknown", noHerd},
			{"herd of none", zeroHerd},
			{"non-ASCII name", member(a, "Ñusta Ccama Huillca «Wayta»", millwa.SexFemale)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				ctx := t.Context()
				before := time.Now()
				got := mustCreateMember(t, s, tc.in)
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
					t.Errorf("created member (-want +got):\n%s", diff)
				}

				fromStore, err := s.GetMember(ctx, admin, a.ID, got.ID)
				if err != nil {
					t.Fatalf("Store.GetMember: %v", err)
				}
				if diff := cmp.Diff(got, fromStore); diff != "" {
					t.Errorf("Store.GetMember (-want +got):\n%s", diff)
				}
				var fromTx millwa.Member
				if err := s.InTx(ctx, func(tx *store.Tx) (err error) {
					fromTx, err = tx.GetMember(ctx, associationKey(a), strings.ToUpper(a.ID), strings.ToUpper(got.ID))
					return err
				}); err != nil {
					t.Fatalf("Tx.GetMember of upper-case ids by the association: %v", err)
				}
				if diff := cmp.Diff(got, fromTx); diff != "" {
					t.Errorf("Tx.GetMember (-want +got):\n%s", diff)
				}
				if got.CreateTime.Location() != time.UTC || got.CreateTime.Nanosecond()%1000 != 0 || fromStore.CreateTime != got.CreateTime {
					t.Errorf("CreateTime %#v read back as %#v, want UTC at microsecond precision", got.CreateTime, fromStore.CreateTime)
				}
			})
		}
	})
}

func TestCreateMemberDuplicateDNI(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewStore(t, url)
		a := mustCreate(t, s, association("210101"))
		b := mustCreate(t, s, association("080101"))
		first := mustCreateMember(t, s, member(a, "Rosa Quispe", millwa.SexFemale))

		dup := member(a, "Rosa Quispe Mamani", millwa.SexFemale)
		dup.DNI = first.DNI
		other := member(a, "Juan Mamani", millwa.SexMale) // created in the same transaction, before the duplicate
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateMember(ctx, &other); err != nil {
				return err
			}
			return tx.CreateMember(ctx, &dup)
		})
		if got := errorCode(err); got != millwa.AlreadyExists {
			t.Fatalf("a second member with DNI %s: code %q (%v), want %q", first.DNI, got, err, millwa.AlreadyExists)
		}
		wantMsg := "a member with DNI " + first.DNI + " is already registered in associations/" + a.ID
		if diff := cmp.Diff(wantMsg, errorMessage(err)); diff != "" {
			t.Errorf("message (-want +got):\n%s", diff)
		}
		if !strings.Contains(err.Error(), "inserting member") {
			t.Errorf("error %q lacks the context it was entered with", err)
		}
		if dup.ID != "" {
			t.Errorf("the refused member was given ID %q; want it unchanged", dup.ID)
		}
		if n := countMembers(t, s); n != 1 {
			t.Errorf("%d members after the refused transaction, want 1", n)
		}

		// The same DNI in another association is another person's record.
		elsewhere := member(b, "Rosa Quispe", millwa.SexFemale)
		elsewhere.DNI = first.DNI
		if got := mustCreateMember(t, s, elsewhere); got.AssociationID != b.ID {
			t.Errorf("member created in %s, want %s", got.AssociationID, b.ID)
		}
	})
}

func TestCreateMemberOfMissingAssociation(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		m := member(millwa.Association{ID: uuid.Must(uuid.NewV7()).String()}, "Rosa", millwa.SexFemale)
		err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.CreateMember(t.Context(), &m) })
		if got := errorCode(err); got != millwa.FailedPrecondition {
			t.Errorf("member of a missing association: code %q (%v), want %q from the foreign key", got, err, millwa.FailedPrecondition)
		}
		m.AssociationID = "not-an-id"
		err = s.InTx(t.Context(), func(tx *store.Tx) error { return tx.CreateMember(t.Context(), &m) })
		if got := errorCode(err); got != millwa.NotFound {
			t.Errorf("member of a malformed association id: code %q (%v), want %q", got, err, millwa.NotFound)
		}
		if n := countMembers(t, s); n != 0 {
			t.Errorf("%d members written, want none", n)
		}
	})
}

// TestMemberVisibility checks that only admins and the association itself
// see members, in the query itself, and that a parent the caller may not
// see answers exactly as a missing one.
func TestMemberVisibility(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		a := mustCreate(t, s, association("210101"))
		b := mustCreate(t, s, association("080101"))
		a1 := mustCreateMember(t, s, member(a, "Rosa", millwa.SexFemale))
		a2 := mustCreateMember(t, s, member(a, "Juan", millwa.SexMale))
		b1 := mustCreateMember(t, s, member(b, "Luz", millwa.SexFemale))
		missing := uuid.Must(uuid.NewV7()).String()
		byAssociation := map[string][]millwa.Member{a.ID: {a1, a2}, b.ID: {b1}}
		for _, tc := range []struct {
			name    string
			p       millwa.Principal
			visible []string // associations whose members p sees
		}{
			{"admin", admin, []string{a.ID, b.ID}},
			{"association A", associationKey(a), []string{a.ID}},
			{"association B", associationKey(b), []string{b.ID}},
			{"association key naming a processor", millwa.Principal{Role: millwa.RoleAssociation, Organisation: "processors/" + a.ID}, nil},
			{"processor", millwa.Principal{Role: millwa.RoleProcessor, Organisation: "processors/" + uuid.NewString()}, nil},
			{"agency of both regions", millwa.Principal{Role: millwa.RoleAgency, Organisation: "agencies/" + uuid.NewString(), Regions: []string{"21", "08"}}, nil},
			{"no principal", millwa.Principal{}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				ctx := t.Context()
				_, absent := s.ListMembers(ctx, tc.p, missing, store.ListQuery{})
				if errorCode(absent) != millwa.NotFound || errorMessage(absent) != "association "+missing+" not found" {
					t.Fatalf("ListMembers of a missing association: %v", absent)
				}
				for _, assoc := range []string{a.ID, b.ID} {
					page, err := s.ListMembers(ctx, tc.p, assoc, store.ListQuery{})
					visible := false
					for _, v := range tc.visible {
						visible = visible || v == assoc
					}
					if !visible {
						if errorCode(err) != millwa.NotFound || errorMessage(err) != "association "+assoc+" not found" {
							t.Errorf("ListMembers(%s): %v, want NotFound exactly as for a missing association", assoc, err)
						}
						for _, m := range byAssociation[assoc] {
							if _, err := s.GetMember(ctx, tc.p, assoc, m.ID); errorCode(err) != millwa.NotFound || errorMessage(err) != "member "+m.ID+" not found" {
								t.Errorf("GetMember(%s): %v, want NotFound", m.ID, err)
							}
						}
						continue
					}
					if err != nil {
						t.Fatalf("ListMembers(%s): %v", assoc, err)
					}
					if diff := cmp.Diff(memberIDs(byAssociation[assoc]), memberIDs(page.Items)); diff != "" {
						t.Errorf("ListMembers(%s) (-want +got):\n%s", assoc, diff)
					}
					for _, m := range byAssociation[assoc] {
						if _, err := s.GetMember(ctx, tc.p, assoc, m.ID); err != nil {
							t.Errorf("GetMember(%s): %v", m.ID, err)
						}
					}
				}
			})
		}
		// A member is found only under its own association.
		if _, err := s.GetMember(t.Context(), admin, b.ID, a1.ID); errorCode(err) != millwa.NotFound {
			t.Errorf("GetMember of A's member under B: %v, want NotFound", err)
		}
		if _, err := s.GetMember(t.Context(), admin, "x", a1.ID); errorCode(err) != millwa.NotFound {
			t.Errorf("GetMember under a malformed association id: %v, want NotFound", err)
		}
	})
}

func TestListMembersFilterOrderAndPages(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		a := mustCreate(t, s, association("210101"))
		b := mustCreate(t, s, association("080101"))
		mustCreateMember(t, s, member(b, "Apu", millwa.SexFemale)) // never listed under a
		names := []struct {
			name string
			sex  millwa.Sex
		}{{"Qori", millwa.SexFemale}, {"apu", millwa.SexMale}, {"Ñawpa", millwa.SexFemale}, {"Apu", millwa.SexMale}, {"Inti", millwa.SexMale}, {"Apu", millwa.SexFemale}, {"Killa", millwa.SexFemale}}
		var all []millwa.Member
		for _, n := range names {
			all = append(all, mustCreateMember(t, s, member(a, n.name, n.sex)))
		}
		pick := func(idx ...int) []millwa.Member {
			var out []millwa.Member
			for _, i := range idx {
				out = append(out, all[i])
			}
			return out
		}
		byName := func(desc bool) []millwa.Member {
			sorted := append([]millwa.Member(nil), all...)
			sort.SliceStable(sorted, func(i, j int) bool {
				if sorted[i].DisplayName != sorted[j].DisplayName {
					return (sorted[i].DisplayName < sorted[j].DisplayName) != desc // byte order on both databases
				}
				return sorted[i].ID < sorted[j].ID
			})
			return sorted
		}
		cond := func(field string, op millwa.Op, v string) millwa.Condition {
			return millwa.Condition{Field: field, Op: op, Str: v}
		}
		for _, tc := range []struct {
			name string
			q    store.ListQuery
			want []millwa.Member
		}{
			{"all, in creation order", store.ListQuery{}, all},
			{"dni", store.ListQuery{Conditions: []millwa.Condition{cond("dni", millwa.OpEq, all[3].DNI)}}, pick(3)},
			{"women", store.ListQuery{Conditions: []millwa.Condition{cond("sex", millwa.OpEq, "FEMALE")}}, pick(0, 2, 5, 6)},
			{"not women", store.ListQuery{Conditions: []millwa.Condition{cond("sex", millwa.OpNe, "FEMALE")}}, pick(1, 3, 4)},
			{"display name, exact", store.ListQuery{Conditions: []millwa.Condition{cond("display_name", millwa.OpEq, "Apu")}}, pick(3, 5)},
			{"created from", store.ListQuery{Conditions: []millwa.Condition{{Field: "create_time", Op: millwa.OpGe, Time: all[5].CreateTime}}}, pick(5, 6)},
			{"women created before", store.ListQuery{Conditions: []millwa.Condition{cond("sex", millwa.OpEq, "FEMALE"), {Field: "create_time", Op: millwa.OpLt, Time: all[2].CreateTime}}}, pick(0)},
			{"by name", store.ListQuery{Order: []millwa.OrderTerm{{Field: "display_name"}}}, byName(false)},
			{"by name desc", store.ListQuery{Order: []millwa.OrderTerm{{Field: "display_name", Desc: true}}}, byName(true)},
			{"newest first", store.ListQuery{Order: []millwa.OrderTerm{{Field: "create_time", Desc: true}}}, pick(6, 5, 4, 3, 2, 1, 0)},
			{"no match", store.ListQuery{Conditions: []millwa.Condition{cond("dni", millwa.OpEq, "00000000")}}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				// Page through two at a time, creating members between
				// pages: the pre-existing ones come exactly once, in order.
				ctx := t.Context()
				existing := map[string]bool{}
				for _, m := range all {
					existing[m.ID] = true
				}
				var got []string
				q := tc.q
				q.Limit = 2
				for page := 0; ; page++ {
					p, err := s.ListMembers(ctx, admin, a.ID, q)
					if err != nil {
						t.Fatalf("page %d: %v", page, err)
					}
					for _, m := range p.Items {
						if m.AssociationID != a.ID {
							t.Fatalf("member %s of %s listed under %s", m.ID, m.AssociationID, a.ID)
						}
						if existing[m.ID] {
							got = append(got, m.ID)
						}
					}
					if page < 2 {
						mustCreateMember(t, s, member(a, "Apu", millwa.SexFemale))
					}
					if p.Next == nil {
						break
					}
					if page > 50 {
						t.Fatal("paging does not end")
					}
					q.After = p.Next
				}
				if diff := cmp.Diff(memberIDs(tc.want), got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("pre-existing members in page order (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestListMembersInvalidQuery(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		a := mustCreate(t, s, association("210101"))
		for _, tc := range []struct {
			name string
			q    store.ListQuery
		}{
			{"unknown field", store.ListQuery{Conditions: []millwa.Condition{{Field: "herd_size", Op: millwa.OpEq, Int: 3}}}},
			{"unknown order", store.ListQuery{Order: []millwa.OrderTerm{{Field: "herd_size"}}}},
			{"limit too large", store.ListQuery{Limit: store.MaxListLimit + 1}},
			{"after id not an id", store.ListQuery{After: []string{"x"}}},
			{"after key too short", store.ListQuery{Order: []millwa.OrderTerm{{Field: "display_name"}}, After: []string{uuid.NewString()}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				_, err := s.ListMembers(t.Context(), admin, a.ID, tc.q)
				if got := errorCode(err); got != millwa.Invalid {
					t.Errorf("ListMembers(%+v): code %q (%v), want %q", tc.q, got, err, millwa.Invalid)
				}
			})
		}
	})
}
