package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// The sequencer. A change's transaction writes its audit events and market
// events into audit_events_pending and market_events_pending: durably, in
// the same transaction, but without a number, so that changes do not queue
// on the one row that numbers them. The sequencer then moves them, in
// batches and in the order it finds them committed, into audit_events,
// chained under audit_chain_head, and market_events, numbered from
// market_lock.event_seq. One step runs in one transaction that locks both
// counters, so steps never overlap, whichever replica runs them; the lease
// (sequencer_lease) only decides which replica's loop runs them, so that
// replicas do not take turns at the counters for nothing. A replica runs
// its loop when one of its own transactions commits events and on a timer;
// a reader that must see every event acknowledged so far (the audit log's
// verification and listing) runs a step itself first.

const (
	// sequencerBatch is how many events of each kind one step moves.
	sequencerBatch = 1000
	// sequencerTick is how often a replica looks for events left pending
	// (by another replica, or by one that died) and for a lapsed lease.
	sequencerTick = 500 * time.Millisecond
	// sequencerLease is how long a lease lasts unless renewed; the holder
	// renews it once less than two thirds remain.
	sequencerLease = 3 * time.Second
	// pendingInsertRows is how many events one INSERT of pending events
	// writes: 10 values each.
	pendingInsertRows = 100
)

// sequencer runs a replica's sequencing loop.
type sequencer struct {
	// holder names this store in sequencer_lease.
	holder string
	wake   chan struct{}
	start  sync.Once
	stop   chan struct{}
	done   chan struct{}
	// leased is until when this store holds the lease, as it last wrote
	// it; zero when it does not. Only the loop reads and writes it.
	leased time.Time
}

func newSequencer() *sequencer {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return &sequencer{holder: hex.EncodeToString(b), wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// nudge wakes the loop, starting it on first use.
func (s *Store) nudgeSequencer() {
	s.StartSequencer()
	select {
	case s.seq.wake <- struct{}{}:
	default:
	}
}

// StartSequencer starts this store's sequencing loop, once; Close stops
// it. The store starts it by itself when one of its transactions commits
// events; a server starts it at boot, after Migrate, so that it also takes
// over the lease of a replica that died.
func (s *Store) StartSequencer() {
	s.seq.start.Do(func() { go s.sequenceLoop() })
}

// stopSequencer stops the loop, if it started, and waits for it.
func (s *Store) stopSequencer() {
	started := true
	s.seq.start.Do(func() { started = false })
	if !started {
		return
	}
	close(s.seq.stop)
	<-s.seq.done
	if s.seq.leased.IsZero() {
		return
	}
	// Give the lease back, so that another replica takes over at its next
	// tick rather than once it lapses. Best effort: it lapses anyway.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, _ = s.w.ExecContext(ctx, s.w.Rebind(`UPDATE sequencer_lease SET expire_time = ? WHERE id = 1 AND holder = ?`),
		dbTime{time.Unix(0, 0).UTC()}, s.seq.holder)
}

func (s *Store) sequenceLoop() {
	defer close(s.seq.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.seq.stop
		cancel()
	}()
	tick := time.NewTicker(sequencerTick)
	defer tick.Stop()
	woken := true
	for {
		if err := s.sequencerRound(ctx, woken); err != nil && ctx.Err() == nil {
			slog.Warn("sequencing audit and market events", "err", err)
		}
		select {
		case <-s.seq.stop:
			return
		case <-s.seq.wake:
			woken = true
		case <-tick.C:
			woken = false
		}
	}
}

// sequencerRound renews or takes the lease when due and, holding it, moves
// every pending event: at once when woken by a local commit, else only
// when some are found pending.
func (s *Store) sequencerRound(ctx context.Context, woken bool) error {
	t := time.Now()
	if s.seq.leased.Sub(t) < 2*sequencerLease/3 {
		held, err := s.takeLease(ctx, t)
		if err != nil {
			s.seq.leased = time.Time{}
			return err
		}
		if !held {
			s.seq.leased = time.Time{}
			return nil
		}
		s.seq.leased = t.Add(sequencerLease)
		woken = true
	}
	if !woken {
		pending, err := s.eventsPending(ctx)
		if err != nil || !pending {
			return err
		}
	}
	_, err := s.SequencePending(ctx)
	return err
}

// takeLease takes or renews the lease for this store unless another holds
// it unexpired, and reports whether this store holds it.
func (s *Store) takeLease(ctx context.Context, t time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, s.w.Rebind(`UPDATE sequencer_lease SET holder = ?, expire_time = ?
		WHERE id = 1 AND (holder = ? OR expire_time < ?)`),
		s.seq.holder, dbTime{t.Add(sequencerLease).UTC().Truncate(time.Microsecond)}, s.seq.holder, dbTime{t.UTC().Truncate(time.Microsecond)})
	if err != nil {
		return false, dbError(err, "taking the sequencer lease")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, dbError(err, "taking the sequencer lease")
	}
	return n == 1, nil
}

// eventsPending reports whether any event waits for the sequencer.
func (s *Store) eventsPending(ctx context.Context) (bool, error) {
	var n int
	err := s.w.QueryRowxContext(ctx, `SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM audit_events_pending LIMIT 1) AS a)
		+ (SELECT COUNT(*) FROM (SELECT 1 FROM market_events_pending LIMIT 1) AS m)`).Scan(&n)
	if err != nil {
		return false, dbError(err, "looking for pending events")
	}
	return n > 0, nil
}

// SequencePending moves every event committed so far, and not yet moved,
// into the audit chain and the market event outbox, in steps of a batch,
// and returns how many it moved. It is safe to call from any replica at
// any time, beside the sequencer: steps lock the chain head and the market
// event counter. Readers that must see every acknowledged change call it
// first (ListAuditEvents, VerifyAuditRange, AuditHead, GetAuditEvent). It
// must not be called inside InTx.
func (s *Store) SequencePending(ctx context.Context) (int, error) {
	total := 0
	for {
		pending, err := s.eventsPending(ctx)
		if err != nil || !pending {
			return total, err
		}
		var moved, market int
		err = s.InTx(ctx, func(tx *Tx) error {
			var err error
			moved, market, err = tx.sequenceStep(ctx)
			return err
		})
		if err != nil {
			return total, err
		}
		if market > 0 {
			s.bell.ring()
		}
		total += moved
		if moved < sequencerBatch {
			return total, nil
		}
	}
}

// sequenceStep moves at most a batch of pending audit events and of
// pending market events, and returns how many in all and how many market
// events.
func (tx *Tx) sequenceStep(ctx context.Context) (int, int, error) {
	audit, err := tx.chainPendingAudit(ctx)
	if err != nil {
		return 0, 0, err
	}
	market, err := tx.numberPendingMarketEvents(ctx)
	if err != nil {
		return 0, 0, err
	}
	if market > 0 {
		if err := notifyMarketEvents(ctx, tx); err != nil {
			return 0, 0, err
		}
	}
	return audit + market, market, nil
}

// pendingAuditRow is an audit_events_pending row.
type pendingAuditRow struct {
	ID int64 `db:"id"`
	auditFields
}

const pendingAuditColumns = `actor, role, organisation, method, resource, action, region, change_digest, event_time`

// RecordAuditEvents records events for the audit chain in their order. It
// MUST run inside the same transaction as the change the events record, so
// that both commit or neither does. Unlike AppendAuditEvents it takes no
// lock: the events wait in audit_events_pending, and the sequencer chains
// them after the commit (see SequencePending), in one run for the events
// of one transaction, in their order. The caller fills Actor, Role,
// Organisation, Method, Resource, Action, Region and ChangeDigest; events
// whose Time is zero get the current time (UTC, microseconds), the others
// are truncated to microseconds in UTC; Sequence and the hashes are left
// alone. It returns what AppendAuditEvents returns.
func (tx *Tx) RecordAuditEvents(ctx context.Context, events ...*millwa.AuditEvent) error {
	return tx.recordAuditEvents(ctx, events, "", nil)
}

// RecordAuditEventsAndComplete is RecordAuditEvents followed by
// CompleteRequest(key, response), in one statement on PostgreSQL when the
// events fit one: the end of every change made through a request_id, one
// round trip less.
func (tx *Tx) RecordAuditEventsAndComplete(ctx context.Context, key RequestKey, response []byte, events ...*millwa.AuditEvent) error {
	if tx.dialect != DialectPostgres || len(events) == 0 || len(events) > pendingInsertRows {
		if err := tx.RecordAuditEvents(ctx, events...); err != nil {
			return err
		}
		return tx.CompleteRequest(ctx, key, response)
	}
	return tx.recordAuditEvents(ctx, events, `, done AS (UPDATE idempotency_records
		SET state = 'done', response = ?, status_code = 0, update_time = ?
		WHERE organisation = ? AND method = ? AND request_id = ? RETURNING 1)
		SELECT (SELECT COUNT(*) FROM audit) + (SELECT COUNT(*) FROM done)`,
		[]any{response, dbTime{now()}, key.Organisation, key.Method, key.RequestID})
}

// recordAuditEvents inserts the events into audit_events_pending; with a
// tail, in one statement whose INSERT is the CTE audit followed by tail,
// with its arguments (the events then fit one statement).
func (tx *Tx) recordAuditEvents(ctx context.Context, events []*millwa.AuditEvent, tail string, tailArgs []any) error {
	if len(events) == 0 {
		return nil
	}
	for _, e := range events {
		if err := checkAuditEvent(e); err != nil {
			return err
		}
	}
	t := now()
	for from := 0; from < len(events); from += pendingInsertRows {
		chunk := events[from:min(from+pendingInsertRows, len(events))]
		args := make([]any, 0, 9*len(chunk)+len(tailArgs))
		for _, e := range chunk {
			setAuditTime(e, t)
			args = append(args, e.Actor, string(e.Role), e.Organisation, e.Method, e.Resource, e.Action, e.Region,
				e.ChangeDigest[:], dbTime{e.Time})
		}
		insert := `INSERT INTO audit_events_pending (` + pendingAuditColumns + `) VALUES ` + rowPlaceholders(len(chunk), 9)
		if tail == "" {
			if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(insert), args...); err != nil {
				return dbError(err, "recording %d audit events", len(chunk))
			}
			continue
		}
		var n int
		if err := tx.tx.QueryRowxContext(ctx, tx.tx.Rebind(`WITH audit AS (`+insert+` RETURNING 1)`+tail),
			append(args, tailArgs...)...).Scan(&n); err != nil {
			return dbError(err, "recording %d audit events and the answer", len(chunk))
		}
	}
	tx.pendingEvents = true
	return nil
}

// chainPendingAudit chains at most a batch of pending audit events under
// the locked chain head, in the order of their ids, and returns how many.
func (tx *Tx) chainPendingAudit(ctx context.Context) (int, error) {
	last, prev, err := tx.lockChainHead(ctx)
	if err != nil {
		return 0, err
	}
	// Read only now that the head is locked: a step that ran meanwhile
	// has committed, and the rows it moved are gone from this read.
	var rows []pendingAuditRow
	if err := sqlx.SelectContext(ctx, tx.tx, &rows, tx.tx.Rebind(`SELECT id, `+pendingAuditColumns+`
		FROM audit_events_pending ORDER BY id LIMIT ?`), sequencerBatch); err != nil {
		return 0, dbError(err, "reading pending audit events")
	}
	if len(rows) == 0 {
		return 0, nil
	}
	chained := make([]millwa.AuditEvent, len(rows))
	ids := make([]int64, len(rows))
	for i, r := range rows {
		e := r.event()
		if len(r.ChangeDigest) != len(e.ChangeDigest) {
			return 0, millwa.Errorf(millwa.Internal, "pending audit event %d has a change digest of %d bytes", r.ID, len(r.ChangeDigest))
		}
		chained[i] = e
		ids[i] = r.ID
	}
	if err := tx.chainAfterHead(ctx, last, prev, chained); err != nil {
		return 0, err
	}
	return len(rows), tx.deletePending(ctx, "audit_events_pending", ids)
}

// deletePending deletes the rows of a pending table with the given ids:
// exactly those moved, never a range, as a row with an id in between may
// commit later.
func (tx *Tx) deletePending(ctx context.Context, table string, ids []int64) error {
	for from := 0; from < len(ids); from += auditInsertRows * 10 {
		chunk := ids[from:min(from+auditInsertRows*10, len(ids))]
		in := make([]any, len(chunk))
		for i, id := range chunk {
			in[i] = id
		}
		res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`DELETE FROM `+table+` WHERE id IN `+placeholders(len(chunk))), in...)
		if err != nil {
			return dbError(err, "deleting %d moved rows of %s", len(chunk), table)
		}
		if n, err := res.RowsAffected(); err != nil || n != int64(len(chunk)) {
			// Another step moved them: impossible under the counters'
			// locks, so a bug; the rollback undoes this step's copies.
			return &millwa.Error{Code: millwa.Internal, Message: "internal error",
				Err: fmt.Errorf("deleting %d moved rows of %s: %d deleted (%v)", len(chunk), table, n, err)}
		}
	}
	return nil
}

// pendingMarketRow is a market_events_pending row.
type pendingMarketRow struct {
	ID int64 `db:"id"`
	marketEventFields
}

// numberPendingMarketEvents numbers at most a batch of pending market
// events from the locked counter, in the order of their ids, moves them
// into market_events and advances the counter; it returns how many. The
// numbers become visible together with the counter, at this step's
// commit, so a reader that reads the counter and then the events up to it
// misses none.
func (tx *Tx) numberPendingMarketEvents(ctx context.Context) (int, error) {
	var seq int64
	if err := tx.tx.GetContext(ctx, &seq, `SELECT event_seq FROM market_lock WHERE id = 1`+tx.forUpdate); err != nil {
		return 0, dbError(err, "locking the market event counter")
	}
	var rows []pendingMarketRow
	if err := sqlx.SelectContext(ctx, tx.tx, &rows, tx.tx.Rebind(`SELECT id, type, resource, processor_id, association_id,
		payload, create_time FROM market_events_pending ORDER BY id LIMIT ?`), sequencerBatch); err != nil {
		return 0, dbError(err, "reading pending market events")
	}
	if len(rows) == 0 {
		return 0, nil
	}
	ids := make([]int64, len(rows))
	for from := 0; from < len(rows); from += pendingInsertRows {
		chunk := rows[from:min(from+pendingInsertRows, len(rows))]
		args := make([]any, 0, 7*len(chunk))
		for i, r := range chunk {
			ids[from+i] = r.ID
			args = append(args, seq+int64(from+i)+1, r.Type, r.Resource, r.ProcessorID, r.AssociationID, r.Payload, r.CreateTime)
		}
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO market_events
			(seq, type, resource, processor_id, association_id, payload, create_time) VALUES `+rowPlaceholders(len(chunk), 7)), args...); err != nil {
			return 0, dbError(err, "numbering market events from %d", seq+int64(from)+1)
		}
	}
	if err := tx.deletePending(ctx, "market_events_pending", ids); err != nil {
		return 0, err
	}
	_, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE market_lock SET event_seq = ? WHERE id = 1`), seq+int64(len(rows)))
	if err != nil {
		return 0, dbError(err, "advancing the market event counter")
	}
	return len(rows), nil
}

// lockChainHead locks the audit chain head and returns its sequence and
// hash.
func (tx *Tx) lockChainHead(ctx context.Context) (int64, [32]byte, error) {
	var last int64
	var lastHash []byte
	var prev [32]byte
	err := tx.tx.QueryRowxContext(ctx,
		`SELECT last_sequence, last_hash FROM audit_chain_head WHERE id = 1`+tx.forUpdate).Scan(&last, &lastHash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, prev, &millwa.Error{Code: millwa.Internal, Message: "internal error", Err: errors.New("the audit_chain_head row is missing")}
	}
	if err != nil {
		return 0, prev, dbError(err, "locking the audit chain head")
	}
	if len(lastHash) != len(prev) {
		return 0, prev, &millwa.Error{Code: millwa.Internal, Message: "internal error",
			Err: fmt.Errorf("the audit chain head's hash has %d bytes, want 32", len(lastHash))}
	}
	copy(prev[:], lastHash)
	return last, prev, nil
}
