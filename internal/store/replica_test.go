package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// TestStaleRead checks the read replica's routing where no standby is at
// hand: a read URL that reaches a primary (prefer-standby falls back to
// one) is never behind, so StaleRead reads there and counts it; without
// UseReplica it reads the main pool; SQLite, a lag of zero and a URL that
// answers nothing are refused.
func TestStaleRead(t *testing.T) {
	t.Parallel()
	week := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	read := func(t *testing.T, s *store.Store) {
		t.Helper()
		if _, err := s.StaleRead().TradedVolumes(t.Context(), week, week.AddDate(0, 0, 7), "pe-ntp-231-301-2014", "PEN", "", "", ""); err != nil {
			t.Fatalf("TradedVolumes through StaleRead: %v", err)
		}
	}
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		read(t, s)
		if st := s.ReplicaStats(); st != (store.ReplicaStats{}) {
			t.Errorf("ReplicaStats without a replica: %+v, want zero", st)
		}
		err := s.UseReplica(t.Context(), url, time.Second)
		if s.Dialect() == store.DialectSQLite {
			if millwa.ErrorCode(err) != millwa.Invalid {
				t.Errorf("UseReplica on SQLite: %v, want Invalid", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("UseReplica: %v", err)
		}
		for range 3 {
			read(t, s)
		}
		st := s.ReplicaStats()
		if !st.InUse || !st.LagKnown || st.Lag != 0 || st.OnReplica != 3 || st.OnPrimary != 0 {
			t.Errorf("ReplicaStats after three reads on a primary as replica: %+v, want lag 0 known and 3 reads on the replica", st)
		}
		if _, ok := s.PoolStats()[store.PoolReplica]; !ok {
			t.Errorf("PoolStats has no %s pool: %v", store.PoolReplica, s.PoolStats())
		}
	})
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		s := storetest.NewStore(t, storetest.PostgresURL(t))
		if err := s.UseReplica(t.Context(), "postgres://postgres@127.0.0.1:1/millwa?connect_timeout=2", time.Second); millwa.ErrorCode(err) != millwa.Unavailable {
			t.Errorf("UseReplica on a port nothing listens on: %v, want Unavailable", err)
		}
		if err := s.UseReplica(t.Context(), "postgres://postgres@127.0.0.1:1/millwa", 0); millwa.ErrorCode(err) != millwa.Invalid {
			t.Errorf("UseReplica with a maximum lag of 0: %v, want Invalid", err)
		}
		if st := s.ReplicaStats(); st.InUse {
			t.Errorf("a refused replica is in use: %+v", st)
		}
	})
}

// TestInTxRetriesLostPrimary checks that a transaction that found no
// primary (a switchover's admin_shutdown, a demoted server's read-only
// error) is run again and counted as primary_lost, never as aborted.
func TestInTxRetriesLostPrimary(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		for _, code := range []string{"57P01", "25006"} {
			attempts := 0
			err := s.InTx(t.Context(), func(*store.Tx) error {
				attempts++
				if attempts <= 2 {
					return fmt.Errorf("writing: %w", &pgconn.PgError{Code: code, Message: "simulated"})
				}
				return nil
			})
			if err != nil || attempts != 3 {
				t.Errorf("InTx with a closure failing twice with %s: %v after %d attempts, want success at the third", code, err, attempts)
			}
		}
		st := s.TxStats()
		if st.Retries[store.ConflictPrimaryLost] != 4 || st.Aborted[store.ConflictPrimaryLost] != 0 {
			t.Errorf("TxStats: %d retries and %d aborted for primary_lost, want 4 and 0", st.Retries[store.ConflictPrimaryLost], st.Aborted[store.ConflictPrimaryLost])
		}
	})
}
