package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// TestInTxRollsBack checks that a closure that fails or panics after
// writing leaves nothing written.
func TestInTxRollsBack(t *testing.T) {
	t.Parallel()
	errBoom := errors.New("boom")
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		for _, tc := range []struct {
			name      string
			fail      func() error // called after the write
			wantErr   error
			wantPanic any
		}{
			{name: "error", fail: func() error { return errBoom }, wantErr: errBoom},
			{name: "domain error", fail: func() error { return millwa.Errorf(millwa.FailedPrecondition, "no") }},
			{name: "panic", fail: func() error { panic("kaboom") }, wantPanic: "kaboom"},
			{name: "panic with error", fail: func() error { panic(errBoom) }, wantPanic: errBoom},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx := t.Context()
				a := association("210101")
				var err error
				panicked := func() (p any) {
					defer func() { p = recover() }()
					err = s.InTx(ctx, func(tx *store.Tx) error {
						if err := tx.CreateAssociation(ctx, &a); err != nil {
							t.Fatalf("CreateAssociation: %v", err)
						}
						return tc.fail()
					})
					return nil
				}()
				if panicked != tc.wantPanic {
					t.Errorf("InTx panicked with %v, want %v", panicked, tc.wantPanic)
				}
				if tc.wantPanic == nil && err == nil {
					t.Errorf("InTx returned nil, want the closure's error")
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Errorf("InTx = %v, want %v", err, tc.wantErr)
				}
				if _, err := s.GetAssociation(ctx, admin, a.ID); errorCode(err) != millwa.NotFound {
					t.Errorf("GetAssociation of the rolled-back association: %v, want NotFound", err)
				}
			})
		}
		all, err := s.ListAssociations(t.Context(), admin, store.ListQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all.Items) != 0 {
			t.Errorf("after only rolled-back transactions, ListAssociations = %v, want none", ids(all.Items))
		}
	})
}

// TestInTxRetries checks which failures run the closure again, how often,
// and that only the last run's writes are kept.
func TestInTxRetries(t *testing.T) {
	t.Parallel()
	pgErr := func(code string) error {
		return fmt.Errorf("writing: %w", &pgconn.PgError{Code: code, Message: "simulated"})
	}
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		for _, tc := range []struct {
			name         string
			failures     int // how many runs fail before one succeeds
			err          error
			wantAttempts int
			wantRows     int
		}{
			{"serialization failure, then success", 2, pgErr("40001"), 3, 1},
			{"deadlock, then success", 1, pgErr("40P01"), 2, 1},
			{"serialization failure every time", 100, pgErr("40001"), 5, 0},
			{"unique violation", 100, pgErr("23505"), 1, 0},
			{"plain error", 100, errors.New("plain"), 1, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx := t.Context()
				ubigeo := "210101"
				attempts := 0
				err := s.InTx(ctx, func(tx *store.Tx) error {
					attempts++
					a := association(ubigeo)
					if err := tx.CreateAssociation(ctx, &a); err != nil {
						return err
					}
					if attempts <= tc.failures {
						return tc.err
					}
					return nil
				})
				if attempts != tc.wantAttempts {
					t.Errorf("closure ran %d times, want %d", attempts, tc.wantAttempts)
				}
				if wantErr := tc.wantRows == 0; (err != nil) != wantErr {
					t.Errorf("InTx = %v, want error: %v", err, wantErr)
				}
				got, lerr := s.ListAssociations(ctx, admin, store.ListQuery{Conditions: []millwa.Condition{{Field: "region", Op: millwa.OpEq, Str: ubigeo}}})
				if lerr != nil {
					t.Fatal(lerr)
				}
				if len(got.Items) != tc.wantRows {
					t.Errorf("rows written = %d, want %d", len(got.Items), tc.wantRows)
				}
				// Leave the table empty for the next case.
				for _, a := range got.Items {
					if err := exec(ctx, s, "DELETE FROM associations WHERE id = ?", a.ID); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	})
}

// TestInTxConcurrentWriters runs many write transactions at once: on
// SQLite they queue for the writer connection, on PostgreSQL they run side
// by side; either way every one commits.
func TestInTxConcurrentWriters(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewStore(t, url)
		const writers = 16
		var wg sync.WaitGroup
		errs := make([]error, writers)
		for i := range writers {
			wg.Go(func() {
				a := association("210101")
				errs[i] = s.InTx(ctx, func(tx *store.Tx) error { return tx.CreateAssociation(ctx, &a) })
			})
		}
		wg.Wait()
		if diff := cmp.Diff(make([]error, writers), errs, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
			t.Errorf("InTx errors (-want +got):\n%s", diff)
		}
		all, err := s.ListAssociations(ctx, admin, store.ListQuery{Limit: writers + 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(all.Items) != writers {
			t.Errorf("ListAssociations returned %d associations, want %d", len(all.Items), writers)
		}
	})
}

// TestInTxRetriesDeadlock provokes a real PostgreSQL deadlock: two
// transactions update the same two rows in opposite orders. PostgreSQL
// aborts one with 40P01; InTx runs it again and both commit.
func TestInTxRetriesDeadlock(t *testing.T) {
	t.Parallel()
	s := storetest.NewStore(t, storetest.PostgresURL(t))
	ctx := t.Context()
	first := mustCreate(t, s, association("210101")).ID
	second := mustCreate(t, s, association("080101")).ID

	var bothLocked sync.WaitGroup // both first updates done, on the first run only
	bothLocked.Add(2)
	var attempts [2]int
	var errs [2]error
	var wg sync.WaitGroup
	for i, order := range [2][2]string{{first, second}, {second, first}} {
		wg.Go(func() {
			errs[i] = s.InTx(ctx, func(tx *store.Tx) error {
				attempts[i]++
				if _, err := tx.Exec(ctx, "UPDATE associations SET revision = revision + 1 WHERE id = ?", order[0]); err != nil {
					return err
				}
				if attempts[i] == 1 {
					bothLocked.Done()
					bothLocked.Wait()
				}
				_, err := tx.Exec(ctx, "UPDATE associations SET revision = revision + 1 WHERE id = ?", order[1])
				return err
			})
		})
	}
	wg.Wait()
	if diff := cmp.Diff([2]error{}, errs, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("InTx errors (-want +got):\n%s", diff)
	}
	if total := attempts[0] + attempts[1]; total < 3 {
		t.Errorf("closures ran %v times: no transaction was retried, so no deadlock happened", attempts)
	}
	for _, id := range []string{first, second} {
		a, err := s.GetAssociation(ctx, admin, id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Revision != 3 { // created at 1, then one update by each transaction
			t.Errorf("association %s revision = %d, want 3: each committed transaction counts once", id, a.Revision)
		}
	}
}
