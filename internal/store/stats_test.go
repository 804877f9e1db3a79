package store_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// TestTxStats checks that InTx counts each retried attempt and each
// transaction it gave up on, by the reason of the conflict, and nothing for
// errors that are not conflicts.
func TestTxStats(t *testing.T) {
	t.Parallel()
	pgErr := func(code string) error {
		return fmt.Errorf("writing: %w", &pgconn.PgError{Code: code, Message: "simulated"})
	}
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		zero := map[string]uint64{"serialization": 0, "deadlock": 0, "busy": 0, "lock_timeout": 0, "primary_lost": 0}
		if diff := cmp.Diff(store.TxStats{Retries: zero, Aborted: zero}, s.TxStats()); diff != "" {
			t.Fatalf("TxStats of a new store (-want +got):\n%s", diff)
		}
		run := func(failures int, err error) {
			t.Helper()
			attempts := 0
			_ = s.InTx(t.Context(), func(*store.Tx) error {
				attempts++
				if attempts <= failures {
					return err
				}
				return nil
			})
		}
		run(2, pgErr("40001"))              // two retries, then success
		run(1, pgErr("40P01"))              // one retry, then success
		run(100, pgErr("40001"))            // four retries, then given up
		run(100, pgErr("55P03"))            // not retried: given up at once
		run(100, pgErr("23505"))            // not a conflict
		run(100, errors.New("plain error")) // not a conflict

		got := s.TxStats()
		want := store.TxStats{
			Retries: map[string]uint64{"serialization": 6, "deadlock": 1, "busy": 0, "lock_timeout": 0, "primary_lost": 0},
			Aborted: map[string]uint64{"serialization": 1, "deadlock": 0, "busy": 0, "lock_timeout": 1, "primary_lost": 0},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("TxStats (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"serialization", "deadlock", "busy", "lock_timeout", "primary_lost"}, store.ConflictReasons()); diff != "" {
			t.Errorf("ConflictReasons (-want +got):\n%s", diff)
		}
	})
}

// TestPoolStats checks that each connection pool is reported under its
// name, with the limits the store sets.
func TestPoolStats(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		if err := s.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for name, st := range s.PoolStats() {
			got[name] = st.MaxOpenConnections
			if st.OpenConnections < 1 {
				t.Errorf("pool %s has %d open connections after a ping, want at least 1", name, st.OpenConnections)
			}
		}
		want := map[string]int{store.PoolWriter: 1, store.PoolReader: 4}
		if s.Dialect() == store.DialectPostgres {
			want = map[string]int{store.PoolMain: 20}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("pools and their MaxOpenConnections (-want +got):\n%s", diff)
		}
	})
}
