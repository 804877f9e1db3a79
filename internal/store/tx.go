package store

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/jmoiron/sqlx"
)

// maxTxAttempts bounds how often InTx runs a closure whose transaction
// failed with a retryable error.
const maxTxAttempts = 5

// The bounds of InTx's retries after the primary was lost (primaryLost):
// it waits failoverWaitMin, doubling up to failoverWaitMax, for as long as
// failoverWindow from the first loss, and stops sooner when the caller's
// deadline would pass before a last attempt could run (failoverLastTry).
// Patroni's failover with the settings the README gives takes a few
// seconds; the window covers it with room to spare and stays under the
// server's default call deadline.
const (
	failoverWaitMin = 50 * time.Millisecond
	failoverWaitMax = time.Second
	failoverWindow  = 20 * time.Second
	failoverLastTry = 250 * time.Millisecond
)

// Tx is a database transaction handed to the closure of InTx. Its methods
// must not be called after the closure returns. It also has every read
// method of Store (both embed queries), which see the transaction's own
// writes.
//
// When a method returns an error that came from the database (AlreadyExists
// from a unique key, FailedPrecondition from a CHECK), PostgreSQL has
// aborted the transaction: every later statement in it fails, so the
// closure returns the error rather than carrying on.
type Tx struct {
	// queries reads through tx, locking the rows of Gets that a change
	// follows (see queries.forUpdate).
	queries
	tx *sqlx.Tx
	// pendingEvents is set when the transaction recorded audit or market
	// events, so that the sequencer is woken once it commits.
	pendingEvents bool
}

// InTx runs fn in a database transaction and commits it when fn returns nil.
// When fn returns an error the transaction is rolled back and InTx returns
// that error; when fn panics the transaction is rolled back and the panic
// goes on.
//
// fn MUST be idempotent, because it may run more than once: when the
// transaction fails with a PostgreSQL serialization failure (40001) or
// deadlock (40P01), or with SQLite's busy database, InTx rolls back, waits
// a few milliseconds (jittered) and runs fn again, up to 5 times in all.
// Only fn's writes through tx are undone by the rollback, so fn must not
// send messages, must not change state outside itself that a second run
// would not overwrite, and must not keep values from a failed run. After
// the last attempt the error is returned, classified as Aborted.
//
// On PostgreSQL the transaction runs at the server's default isolation
// (READ COMMITTED): a closure that reads rows in order to change them locks
// them with SELECT … FOR UPDATE, several in a fixed order (by id) so that
// concurrent transactions do not deadlock. On SQLite the transaction begins
// with BEGIN IMMEDIATE on the store's single writer connection, so write
// transactions run one at a time; InTx must not be called from inside fn
// (it would wait for itself), and reads through Store inside fn do not see
// fn's writes: read through tx.
//
// When the transaction fails because it ran on no primary (the connection
// broke, the server shut down, or it turned out to be a standby: a
// PostgreSQL failover or switchover under Patroni), InTx runs fn again on a
// new connection, which a multi-host URL with
// target_session_attrs=read-write opens on the new primary, waiting 50 ms
// doubling to 1 s between attempts for up to 20 s or until ctx's deadline
// is near. It never does so after a failed COMMIT, whose outcome is
// unknown: that error is returned, and a client's retry with its
// request_id settles it.
//
// InTx returns what fn returns, or Unavailable when the database cannot be
// reached (with a retry delay for the client), or Aborted as above.
//
// Conflicts are counted (see TxStats): each attempt run again, and each
// transaction given up on with a conflict; so are the attempts run again
// after the primary was lost (ConflictPrimaryLost).
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	var err error
	var lost failoverRetry
	for attempt := 1; ; attempt++ {
		err = s.runTx(ctx, fn)
		if err == nil {
			return nil
		}
		if lost.again(ctx, err) {
			s.txStats.retried(ConflictPrimaryLost)
			attempt--
			continue
		}
		reason := conflictReason(err)
		if reason == "" {
			return err
		}
		if attempt == maxTxAttempts || !retryable(err) {
			s.txStats.abort(reason)
			return err
		}
		// Wait 5–10 ms, 10–20 ms, 20–40 ms, 40–80 ms: enough for the
		// conflicting transaction to finish, jittered so that two retrying
		// replicas do not collide again.
		base := (5 * time.Millisecond) << (attempt - 1)
		wait := base + rand.N(base)
		select {
		case <-ctx.Done():
			s.txStats.abort(reason)
			return err
		case <-time.After(wait):
		}
		s.txStats.retried(reason)
	}
}

// runTx runs fn once in a transaction.
func (s *Store) runTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	stx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		return dbError(err, "beginning a transaction")
	}
	finished := false
	defer func() {
		// fn panicked or called runtime.Goexit (t.Fatal in a test): roll
		// back, and let the panic go on with its own stack.
		if !finished {
			_ = stx.Rollback()
		}
	}()
	lock := ""
	if s.dialect == DialectPostgres {
		lock = " FOR UPDATE"
	}
	tx := &Tx{queries: queries{db: stx, dialect: s.dialect, forUpdate: lock, stmts: s.wstmts}, tx: stx}
	if err := fn(tx); err != nil {
		finished = true
		// A rollback error changes nothing: the transaction is gone
		// either way, and fn's error is the one to report.
		_ = stx.Rollback()
		return err
	}
	finished = true
	if err := stx.Commit(); err != nil {
		return dbError(commitError{err}, "committing a transaction")
	}
	if tx.pendingEvents {
		s.nudgeSequencer()
	}
	return nil
}

// failoverRetry decides whether InTx runs a closure again after its
// transaction found no primary, and waits before it does.
type failoverRetry struct {
	first time.Time
	wait  time.Duration
}

// again reports whether err is a lost primary worth another attempt, after
// waiting the next step of the backoff; false when ctx has ended or its
// deadline is too near, or failoverWindow has passed since the first loss.
func (f *failoverRetry) again(ctx context.Context, err error) bool {
	if ctx.Err() != nil || !primaryLost(err) {
		return false
	}
	if f.first.IsZero() {
		f.first, f.wait = time.Now(), failoverWaitMin
	} else {
		f.wait = min(2*f.wait, failoverWaitMax)
	}
	if time.Since(f.first)+f.wait > failoverWindow {
		return false
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < f.wait+failoverLastTry {
		return false
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(f.wait):
		return true
	}
}
