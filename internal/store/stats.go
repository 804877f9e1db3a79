package store

import (
	"database/sql"
	"errors"
	"slices"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The reasons a transaction conflicts with another, as TxStats counts them.
const (
	// ConflictSerialization is PostgreSQL's serialization failure (40001).
	ConflictSerialization = "serialization"
	// ConflictDeadlock is PostgreSQL's deadlock detected (40P01).
	ConflictDeadlock = "deadlock"
	// ConflictBusy is SQLite's busy or locked database.
	ConflictBusy = "busy"
	// ConflictLockTimeout is PostgreSQL's lock_timeout running out (55P03),
	// as when a retried request waits for its first call to finish. InTx
	// does not retry it: the wait has already taken its time.
	ConflictLockTimeout = "lock_timeout"
	// ConflictPrimaryLost is a transaction that ran on no primary: the
	// connection broke or the server became a standby, as in a failover.
	// InTx retries it on a new connection for a bounded time; it is never
	// counted as aborted, since it is not given up as a conflict.
	ConflictPrimaryLost = "primary_lost"
)

// conflictReasons is every reason TxStats counts, in a fixed order.
var conflictReasons = [...]string{ConflictSerialization, ConflictDeadlock, ConflictBusy, ConflictLockTimeout, ConflictPrimaryLost}

// ConflictReasons lists every reason TxStats counts, in a fixed order, so
// that a metrics exporter can show each one from the start.
func ConflictReasons() []string { return slices.Clone(conflictReasons[:]) }

// TxStats counts, since the store opened, how InTx met conflicts with
// concurrent transactions, by reason (one of ConflictReasons).
type TxStats struct {
	// Retries counts attempts that failed with a conflict and were run
	// again.
	Retries map[string]uint64
	// Aborted counts transactions InTx gave up on with a conflict: after
	// the last attempt, when the caller's context ended while waiting to
	// retry, or at once for a conflict that is not retried.
	Aborted map[string]uint64
}

// txCounters holds TxStats as atomic counters, one per reason in the
// order of conflictReasons: InTx runs on any number of goroutines.
type txCounters struct {
	retries [len(conflictReasons)]atomic.Uint64
	aborted [len(conflictReasons)]atomic.Uint64
}

func (c *txCounters) retried(reason string) {
	if i := reasonIndex(reason); i >= 0 {
		c.retries[i].Add(1)
	}
}

func (c *txCounters) abort(reason string) {
	if i := reasonIndex(reason); i >= 0 {
		c.aborted[i].Add(1)
	}
}

func reasonIndex(reason string) int {
	for i, r := range conflictReasons {
		if r == reason {
			return i
		}
	}
	return -1
}

// TxStats returns the transaction conflict counts so far, with every
// reason present.
func (s *Store) TxStats() TxStats {
	st := TxStats{Retries: map[string]uint64{}, Aborted: map[string]uint64{}}
	for i, r := range conflictReasons {
		st.Retries[r] = s.txStats.retries[i].Load()
		st.Aborted[r] = s.txStats.aborted[i].Load()
	}
	return st
}

// The names PoolStats gives the store's connection pools.
const (
	// PoolWriter is SQLite's single connection that runs transactions.
	PoolWriter = "writer"
	// PoolReader is SQLite's read-only connections for reads outside a
	// transaction.
	PoolReader = "reader"
	// PoolMain is PostgreSQL's one pool, shared by reads and transactions.
	PoolMain = "main"
)

// PoolStats returns the statistics of each connection pool by name:
// PoolWriter and PoolReader on SQLite, PoolMain on PostgreSQL and, with
// UseReplica, PoolReplica.
func (s *Store) PoolStats() map[string]sql.DBStats {
	if s.r == s.w {
		pools := map[string]sql.DBStats{PoolMain: s.w.Stats()}
		if s.replica != nil {
			pools[PoolReplica] = s.replica.db.Stats()
		}
		return pools
	}
	return map[string]sql.DBStats{PoolWriter: s.w.Stats(), PoolReader: s.r.Stats()}
}

// conflictReason returns the reason err (anywhere in its chain) is a
// conflict with a concurrent transaction, or "" when it is not one.
func conflictReason(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case pgSerializationFailure:
			return ConflictSerialization
		case pgDeadlockDetected:
			return ConflictDeadlock
		case pgLockNotAvailable:
			return ConflictLockTimeout
		}
		return ""
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return ConflictBusy
		}
	}
	return ""
}
