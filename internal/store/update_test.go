package store_test

import (
	"testing"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// TestUpdatesAreConditionalOnTheRevision: an update writes only a row at
// the revision read, so that a change made in between answers Aborted
// instead of being overwritten, and a DNI taken by another member answers
// AlreadyExists; the row is then as the first update left it.
func TestUpdatesAreConditionalOnTheRevision(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		ctx := t.Context()
		a := mustCreate(t, s, association("210101"))
		m := mustCreateMember(t, s, member(a, "Rosa Quispe Mamani", millwa.SexFemale))
		other := mustCreateMember(t, s, member(a, "Juan Mamani", millwa.SexMale))
		update := func(f func(tx *store.Tx) error) error { return s.InTx(ctx, f) }

		first, stale := m, m
		first.DisplayName = "Rosa Quispe de Mamani"
		if err := update(func(tx *store.Tx) error { return tx.UpdateMember(ctx, &first) }); err != nil {
			t.Fatalf("UpdateMember: %v", err)
		}
		if first.Revision != m.Revision+1 {
			t.Errorf("updated member at revision %d, was %d", first.Revision, m.Revision)
		}
		stale.DisplayName = "Otra"
		err := update(func(tx *store.Tx) error { return tx.UpdateMember(ctx, &stale) })
		if errorCode(err) != millwa.Aborted {
			t.Errorf("UpdateMember at a stale revision: %v, want Aborted", err)
		}
		taken := first
		taken.DNI = other.DNI
		err = update(func(tx *store.Tx) error { return tx.UpdateMember(ctx, &taken) })
		if errorCode(err) != millwa.AlreadyExists {
			t.Errorf("UpdateMember to another member's DNI: %v, want AlreadyExists", err)
		}
		got, err := s.GetMember(ctx, associationKey(a), a.ID, m.ID)
		if err != nil || got.DisplayName != first.DisplayName || got.DNI != m.DNI || got.Revision != first.Revision {
			t.Errorf("member after refused updates: %+v %v; want %+v", got, err, first)
		}

		staleA := a
		a.Community = "Comunidad Campesina de Ichu"
		if err := update(func(tx *store.Tx) error { return tx.UpdateAssociation(ctx, &a) }); err != nil {
			t.Fatalf("UpdateAssociation: %v", err)
		}
		err = update(func(tx *store.Tx) error { return tx.UpdateAssociation(ctx, &staleA) })
		if errorCode(err) != millwa.Aborted {
			t.Errorf("UpdateAssociation at a stale revision: %v, want Aborted", err)
		}
	})
}
