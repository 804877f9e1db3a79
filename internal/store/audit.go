package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// The audit chain: every state change records its events in the
// transaction that makes it (RecordAuditEvents, into audit_events_pending),
// and the sequencer (sequencer.go) appends them to audit_events, with hash
// = millwa.ChainHash(previous hash, sequence, event). Appends serialise on
// the one-row audit_chain_head (see the migration), never on
// MAX(sequence), which two concurrent writers would read alike and so fork
// the chain; only the sequencer and AppendAuditEvents (for the rare
// caller that needs the sequence at once) take it. Triggers refuse UPDATE
// and DELETE on audit_events; VerifyAuditChain finds what got past them.

// auditVerifyBatch is how many events a verification reads per query, so
// that its memory does not grow with the log.
const auditVerifyBatch = 1000

// auditFields are the columns an audit event has before it is chained,
// shared by audit_events and audit_events_pending.
type auditFields struct {
	Actor        string `db:"actor"`
	Role         string `db:"role"`
	Organisation string `db:"organisation"`
	Method       string `db:"method"`
	Resource     string `db:"resource"`
	Action       string `db:"action"`
	Region       string `db:"region"`
	ChangeDigest []byte `db:"change_digest"`
	EventTime    dbTime `db:"event_time"`
}

// event is the audit event of f, not yet chained.
func (f *auditFields) event() millwa.AuditEvent {
	e := millwa.AuditEvent{Actor: f.Actor, Role: millwa.Role(f.Role), Organisation: f.Organisation, Method: f.Method,
		Resource: f.Resource, Action: f.Action, Region: f.Region, Time: f.EventTime.Time}
	copy(e.ChangeDigest[:], f.ChangeDigest)
	return e
}

// auditRow is an audit_events row. The hashes stay byte slices so that a
// verification compares exactly what is stored, whatever its length.
type auditRow struct {
	Sequence int64 `db:"sequence"`
	auditFields
	PrevHash []byte `db:"prev_hash"`
	Hash     []byte `db:"hash"`
}

const auditColumns = `sequence, actor, role, organisation, method, resource, action, region,
	change_digest, event_time, prev_hash, hash`

func (r *auditRow) event() millwa.AuditEvent {
	e := r.auditFields.event()
	e.Sequence = r.Sequence
	// The schema's CHECKs hold each at 32 bytes.
	copy(e.PrevHash[:], r.PrevHash)
	copy(e.Hash[:], r.Hash)
	return e
}

// AppendAuditEvent appends e to the audit chain. It MUST run inside the
// same transaction as the change e records, so that both commit or neither
// does; and it should be the transaction's last write before it commits:
// from here until the commit every other writer, on every replica, waits
// for the chain head, and a transaction that locks other rows after it can
// deadlock with one that locked them before appending.
//
// The caller fills Actor, Role, Organisation, Method, Resource, Action,
// Region and ChangeDigest. AppendAuditEvent locks the chain head (SELECT …
// FOR UPDATE on PostgreSQL; on SQLite the transaction already holds the
// write lock) and sets e.Sequence to the head's sequence plus one, e.Time
// to the current time (UTC, microseconds) when it is zero (else e.Time is
// truncated to microseconds in UTC, as stored), e.PrevHash to the head's
// hash and e.Hash to millwa.ChainHash(e.PrevHash, e.Sequence, e); then it
// inserts the event and advances the head. On failure e is unchanged. Build
// e inside the InTx closure, so that a retried transaction does not reuse
// the time of a failed attempt.
//
// It returns Internal for an event without Actor, Role, Method, Resource or
// Action (a bug in the caller), and the database's errors as InTx says.
func (tx *Tx) AppendAuditEvent(ctx context.Context, e *millwa.AuditEvent) error {
	return tx.AppendAuditEvents(ctx, e)
}

// auditInsertRows is how many events one INSERT statement of
// AppendAuditEvents writes: 12 values each, well within both databases'
// limits on a statement's parameters.
const auditInsertRows = 100

// AppendAuditEvents appends events to the audit chain in their order, each
// as AppendAuditEvent appends one, under the same contract (same
// transaction as the change, last write before the commit), but locking
// and advancing the chain head once and inserting in multi-row statements:
// for a batch change that records one event per item. Events whose Time is
// zero all get the same current time. On failure no event is changed. It
// returns what AppendAuditEvent returns.
func (tx *Tx) AppendAuditEvents(ctx context.Context, events ...*millwa.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	for _, e := range events {
		if err := checkAuditEvent(e); err != nil {
			return err
		}
	}
	last, prev, err := tx.lockChainHead(ctx)
	if err != nil {
		return err
	}
	// Read the clock only now that the head is locked, so that times
	// follow sequence order (on one clock).
	t := now()
	chained := make([]millwa.AuditEvent, len(events))
	for i, e := range events {
		chained[i] = *e
		setAuditTime(&chained[i], t)
	}
	if err := tx.chainAfterHead(ctx, last, prev, chained); err != nil {
		return err
	}
	for i, e := range events {
		*e = chained[i]
	}
	return nil
}

// setAuditTime gives e the time t when it has none, and otherwise keeps
// its own in UTC, truncated to the microseconds the database stores.
func setAuditTime(e *millwa.AuditEvent, t time.Time) {
	if e.Time.IsZero() {
		e.Time = t
	} else {
		e.Time = e.Time.UTC().Truncate(time.Microsecond)
	}
}

// chainAfterHead numbers and links events after the locked chain head
// (sequence last, hash prev), in their order, inserts them into
// audit_events and advances the head to the last of them.
func (tx *Tx) chainAfterHead(ctx context.Context, last int64, prev [32]byte, events []millwa.AuditEvent) error {
	for i := range events {
		e := &events[i]
		e.Sequence = last + 1 + int64(i)
		e.PrevHash = prev
		e.Hash = millwa.ChainHash(prev, e.Sequence, e)
		prev = e.Hash
	}
	if err := tx.insertChained(ctx, events); err != nil {
		return err
	}
	return tx.advanceChainHead(ctx, last, &events[len(events)-1])
}

// insertChained inserts chained events into audit_events, in multi-row
// statements.
func (tx *Tx) insertChained(ctx context.Context, chained []millwa.AuditEvent) error {
	for from := 0; from < len(chained); from += auditInsertRows {
		chunk := chained[from:min(from+auditInsertRows, len(chained))]
		args := make([]any, 0, 12*len(chunk))
		for i := range chunk {
			ev := &chunk[i]
			args = append(args, ev.Sequence, ev.Actor, string(ev.Role), ev.Organisation, ev.Method, ev.Resource,
				ev.Action, ev.Region, ev.ChangeDigest[:], dbTime{ev.Time}, ev.PrevHash[:], ev.Hash[:])
		}
		_, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO audit_events (`+auditColumns+`)
			VALUES `+rowPlaceholders(len(chunk), 12)), args...)
		if err != nil {
			return dbError(err, "inserting audit events %d to %d", chunk[0].Sequence, chunk[len(chunk)-1].Sequence)
		}
	}
	return nil
}

// advanceChainHead moves the locked chain head from sequence last to head.
// The sequence condition costs nothing and turns a head that moved under
// the lock (which would be a bug) into an error, not a fork.
func (tx *Tx) advanceChainHead(ctx context.Context, last int64, head *millwa.AuditEvent) error {
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(
		`UPDATE audit_chain_head SET last_sequence = ?, last_hash = ? WHERE id = 1 AND last_sequence = ?`),
		head.Sequence, head.Hash[:], last)
	if err != nil {
		return dbError(err, "advancing the audit chain head to %d", head.Sequence)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return &millwa.Error{Code: millwa.Internal, Message: "internal error",
			Err: fmt.Errorf("advancing the audit chain head from %d: %d rows changed (%v)", last, n, err)}
	}
	return nil
}

// checkAuditEvent refuses an event that lacks what every event names.
func checkAuditEvent(e *millwa.AuditEvent) error {
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"Actor", e.Actor}, {"Role", string(e.Role)}, {"Method", e.Method},
		{"Resource", e.Resource}, {"Action", e.Action},
	} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &millwa.Error{Code: millwa.Internal, Message: "internal error",
		Err: fmt.Errorf("appending an audit event for %q: %s missing", e.Resource, strings.Join(missing, ", "))}
}

// AuditFailure names the check of the audit chain that failed.
type AuditFailure string

// The checks of the audit chain, in the order VerifyAuditChain applies them
// to each event.
const (
	// AuditSequenceGap: an event is missing (deleted) while some event
	// after it remains: sequences run from 1 to the chain head's without
	// gaps. Events missing from the end are an AuditHeadMismatch, as the
	// proto's AuditChainFailure documents.
	AuditSequenceGap AuditFailure = "sequence_gap"
	// AuditPrevHashMismatch: the event's previous hash is not the hash of
	// the event before it: an event was altered, inserted or replaced.
	AuditPrevHashMismatch AuditFailure = "previous_hash_mismatch"
	// AuditHashMismatch: the event's stored hash is not the one recomputed
	// from its content and previous hash: the event was altered.
	AuditHashMismatch AuditFailure = "hash_mismatch"
	// AuditHeadMismatch: the chain head row does not name the last event
	// (its hash differs, events lie beyond it, or the events up to it are
	// missing with none after them): the last event was replaced, events
	// were removed from the end or added around the head, or the head was
	// altered.
	AuditHeadMismatch AuditFailure = "head_mismatch"
	// AuditCheckpointMismatch: every link holds, but the event at a
	// checkpoint's sequence does not have the checkpoint's hash, or is
	// missing: the history up to it was rewritten, hashes recomputed,
	// after the checkpoint was signed. Checked only when checkpoints are
	// given, as each event is reached, after its own checks.
	AuditCheckpointMismatch AuditFailure = "checkpoint_mismatch"
)

// AuditVerification is the result of verifying the audit chain, or a range
// of it.
type AuditVerification struct {
	// OK is true when every event verified.
	OK bool
	// EventsChecked counts the events verified intact: every event of the
	// range when OK, those before FirstBroken otherwise (for a checkpoint
	// mismatch, those up to the last checkpoint that agrees: any event
	// after it may have been rewritten).
	EventsChecked int64
	// FirstBroken is the sequence of the first broken event (for a gap, the
	// first missing sequence); 0 when OK.
	FirstBroken int64
	// Failure is the check that FirstBroken failed; "" when OK.
	Failure AuditFailure
	// Problem explains the failure in English for logs and people, for
	// example "event 5120: stored hash does not match its content"; "" when
	// OK.
	Problem string
	// HeadSequence is the last event verified intact: the end of the range
	// when OK (for the whole chain, the chain head), else the event before
	// FirstBroken (for a checkpoint mismatch, the last checkpoint that
	// agrees); 0 when none was.
	HeadSequence int64
	// HeadHash is the hash of event HeadSequence; zero when it is 0.
	HeadHash [32]byte
}

// VerifyAuditChain verifies the whole audit chain: it recomputes every
// event's hash from the one before and checks that sequences start at 1 and
// have no gap, that each event's previous hash is the hash of the event
// before it, that its stored hash equals the recomputed one, and that the
// chain head names the last event. It reports the first broken link.
//
// It first chains the events still pending (Store.SequencePending), so
// that every change acknowledged before the call is verified. It reads
// from one consistent snapshot (a REPEATABLE READ, read-only
// transaction on PostgreSQL; one read transaction on SQLite), so that
// events appended meanwhile are not mistaken for a break, and it reads the
// events in batches, so that its memory does not grow with the log.
//
// A broken chain is a result, not an error: the error is Unavailable when
// the database cannot be read, or Internal.
func (s *Store) VerifyAuditChain(ctx context.Context) (AuditVerification, error) {
	return s.VerifyAuditRange(ctx, 0, 0)
}

// VerifyAuditRange verifies the events from start to end inclusive, as
// VerifyAuditChain does the whole chain (which is VerifyAuditRange(ctx, 0,
// 0)). start 0 means 1; when start is above 1, the stored hash of event
// start-1 is trusted as the anchor (its absence is a gap at start-1). end 0
// means the chain head's sequence. The head is checked only when the range
// reaches it.
//
// Given checkpoints, it also checks that the event at each checkpoint's
// sequence still has the checkpoint's hash (AuditCheckpointMismatch, at the
// first that does not): what a consistent rewrite of the chain cannot
// keep. Checkpoints of an empty log vouch for nothing and are skipped. The
// caller verifies their signatures first: VerifyAuditRange compares only
// sequences and hashes.
//
// It returns Invalid for a negative start or end, an end beyond the chain
// head, a start after the end, or a checkpoint outside the range (one past
// the head, when the range reaches it, is a mismatch, not an error);
// otherwise as VerifyAuditChain.
func (s *Store) VerifyAuditRange(ctx context.Context, start, end int64, checkpoints ...millwa.AuditCheckpoint) (AuditVerification, error) {
	if start < 0 || end < 0 {
		return AuditVerification{}, millwa.Errorf(millwa.Invalid, "sequences must not be negative, got start %d and end %d", start, end)
	}
	// Every change acknowledged so far is in the chain it verifies.
	if _, err := s.SequencePending(ctx); err != nil {
		return AuditVerification{}, err
	}
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == DialectPostgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	rtx, err := s.r.BeginTxx(ctx, opts)
	if err != nil {
		return AuditVerification{}, dbError(err, "beginning the audit verification")
	}
	// Read-only: rolling back loses nothing.
	defer func() { _ = rtx.Rollback() }()

	var headSeq int64
	var headHash []byte
	if err := rtx.QueryRowxContext(ctx, `SELECT last_sequence, last_hash FROM audit_chain_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return AuditVerification{}, dbError(err, "reading the audit chain head")
	}
	first, last := max(start, 1), end
	if end == 0 {
		last = headSeq
	}
	switch {
	case end > headSeq:
		return AuditVerification{}, millwa.Errorf(millwa.Invalid, "end sequence %d is beyond the last event, %d", end, headSeq)
	case start > 0 && start > last:
		return AuditVerification{}, millwa.Errorf(millwa.Invalid, "start sequence %d is after the end of the range, %d", start, last)
	}

	// Up to the head, the head must name the last event, and an event
	// past the head is a break.
	toHead := last == headSeq
	cps, err := newCheckpointCheck(checkpoints, first, last, toHead)
	if err != nil {
		return AuditVerification{}, err
	}
	v := chainVerifier{first: first, last: last, next: first, toHead: toHead, headHash: headHash, cps: cps}
	if first > 1 {
		var anchor []byte
		err := rtx.QueryRowxContext(ctx, rtx.Rebind(`SELECT hash FROM audit_events WHERE sequence = ?`), first-1).Scan(&anchor)
		if errors.Is(err, sql.ErrNoRows) {
			return v.broken(first-1, AuditSequenceGap, "event %d, the anchor of the range, is missing", first-1), nil
		}
		if err != nil {
			return AuditVerification{}, dbError(err, "reading audit event %d", first-1)
		}
		copy(v.prev[:], anchor)
	}

	upper := last
	if toHead {
		upper = math.MaxInt64
	}
	after := first - 1
	for {
		n, done, err := v.readBatch(ctx, rtx, after, upper)
		if err != nil {
			return AuditVerification{}, err
		}
		if done {
			return v.result, nil
		}
		if n < auditVerifyBatch {
			break
		}
		after = v.next - 1
	}
	if v.next <= last {
		ends := fmt.Sprintf("the log ends at event %d", v.next-1)
		if v.next == 1 {
			ends = "the log has no events"
		}
		if toHead {
			// Nothing follows the missing events: they were removed from
			// the end, which the proto reports as the head's mismatch, not
			// a gap between events.
			return v.broken(v.next, AuditHeadMismatch, "event %d is missing: %s, but the chain head is at %d", v.next, ends, last), nil
		}
		// A range short of the head: a gap when some event follows the
		// missing ones, the end removed when none does.
		var later int
		if err := rtx.QueryRowxContext(ctx, rtx.Rebind(`SELECT COUNT(*) FROM (SELECT 1 FROM audit_events WHERE sequence > ? LIMIT 1) AS later`), last).Scan(&later); err != nil {
			return AuditVerification{}, dbError(err, "reading audit events after %d", last)
		}
		if later == 0 {
			return v.broken(v.next, AuditHeadMismatch, "event %d is missing: %s, but the chain head is at %d", v.next, ends, headSeq), nil
		}
		return v.broken(v.next, AuditSequenceGap, "event %d is missing: %s, before the end of the range, %d", v.next, ends, last), nil
	}
	if r, broken := v.checkHead(); broken {
		return r, nil
	}
	if cp := v.cps.beyond(); cp != nil {
		return v.mismatch(cp, nil), nil
	}
	return v.ok(), nil
}

// chainVerifier walks the chain in sequence order.
type chainVerifier struct {
	first, last int64
	// toHead is set when last is the chain head's sequence, and headHash is
	// then the head's hash.
	toHead   bool
	headHash []byte
	// next is the sequence the next event must have; prev is the hash of
	// event next-1 (verified, or the trusted anchor, or zero at genesis)
	// and before the hash of event next-2.
	next         int64
	prev, before [32]byte
	result       AuditVerification
	// cps are the checkpoints the events must still agree with.
	cps *checkpointCheck
}

// readBatch checks the events after the sequence after, up to upper, at
// most auditVerifyBatch of them. It returns how many it read, and done
// when it found a break, whose report is in v.result.
func (v *chainVerifier) readBatch(ctx context.Context, q *sqlx.Tx, after, upper int64) (n int, done bool, err error) {
	rows, err := q.QueryxContext(ctx, q.Rebind(`SELECT `+auditColumns+` FROM audit_events
		WHERE sequence > ? AND sequence <= ? ORDER BY sequence LIMIT ?`), after, upper, auditVerifyBatch)
	if err != nil {
		return 0, false, dbError(err, "reading audit events after %d", after)
	}
	defer rows.Close()
	var row auditRow
	for rows.Next() {
		if err := rows.StructScan(&row); err != nil {
			return n, false, dbError(err, "reading audit events after %d", after)
		}
		n++
		if v.check(&row) {
			return n, true, nil
		}
	}
	if err := rows.Err(); err != nil {
		return n, false, dbError(err, "reading audit events after %d", after)
	}
	return n, false, nil
}

// check checks one event, the next in sequence order, and reports whether
// it found a break.
func (v *chainVerifier) check(row *auditRow) bool {
	seq := row.Sequence
	switch {
	case seq != v.next && v.next <= v.last:
		missing := fmt.Sprintf("event %d is missing", v.next)
		if seq-1 > v.next {
			missing += fmt.Sprintf(", and the %d after it", seq-1-v.next)
		}
		if v.next == 1 {
			v.result = v.broken(v.next, AuditSequenceGap, "%s: the log starts at event %d", missing, seq)
		} else {
			v.result = v.broken(v.next, AuditSequenceGap, "%s: the log goes from event %d to %d", missing, v.next-1, seq)
		}
		return true
	case seq > v.last:
		// Only read when the range reaches the head. The last event's
		// match with the head comes first, as it is the earlier link.
		if r, broken := v.checkHead(); broken {
			v.result = r
			return true
		}
		v.result = v.broken(seq, AuditHeadMismatch, "event %d lies beyond the chain head, which is at event %d", seq, v.last)
		return true
	case !bytes.Equal(row.PrevHash, v.prev[:]):
		v.result = v.broken(seq, AuditPrevHashMismatch, "event %d: previous hash %x does not match the hash of event %d, %x", seq, row.PrevHash, seq-1, v.prev)
		return true
	}
	e := row.event()
	if h := millwa.ChainHash(v.prev, seq, &e); !bytes.Equal(row.Hash, h[:]) {
		v.result = v.broken(seq, AuditHashMismatch, "event %d: stored hash does not match its content", seq)
		return true
	}
	if cp := v.cps.compare(seq, e.Hash); cp != nil {
		v.result = v.mismatch(cp, row.Hash)
		return true
	}
	v.before, v.prev = v.prev, e.Hash
	v.next++
	return false
}

// checkHead compares the chain head's hash with the hash of the last
// event, once every event up to the head verified; it reports whether they
// differ, with the report. It finds nothing when the range ends before the
// head.
func (v *chainVerifier) checkHead() (AuditVerification, bool) {
	if !v.toHead || bytes.Equal(v.headHash, v.prev[:]) {
		return AuditVerification{}, false
	}
	if v.last == 0 {
		return v.broken(1, AuditHeadMismatch, "the chain head has no events but its hash %x is not 32 zero bytes", v.headHash), true
	}
	// Event last verified against its predecessor, but the head, written
	// in the same transaction, disagrees: blame the event, the last link.
	problem := fmt.Sprintf("event %d: its hash %x is not the chain head's, %x", v.last, v.prev, v.headHash)
	v.next, v.prev = v.last, v.before
	return v.broken(v.last, AuditHeadMismatch, "%s", problem), true
}

// broken reports a break at seq, found when every event from v.first to
// v.next-1 had verified.
func (v *chainVerifier) broken(seq int64, f AuditFailure, format string, args ...any) AuditVerification {
	r := AuditVerification{FirstBroken: seq, Failure: f, Problem: fmt.Sprintf(format, args...)}
	if good := v.next - 1; good >= v.first {
		r.EventsChecked = good - v.first + 1
		r.HeadSequence = good
		r.HeadHash = v.prev
	}
	return r
}

func (v *chainVerifier) ok() AuditVerification {
	r := AuditVerification{OK: true}
	if v.last >= v.first {
		r.EventsChecked = v.last - v.first + 1
		r.HeadSequence = v.last
		r.HeadHash = v.prev
	}
	return r
}

// auditList is how audit events are filtered, ordered and paged, with the
// field names of the API's AuditEvent. Their id is the sequence.
var auditList = resourceColumns{
	rowSource: rowSource{noun: "audit event", from: "audit_events", selectList: auditColumns},
	columns: map[string]column{
		"sequence":           {expr: "sequence", kind: millwa.IntField},
		"resource":           {expr: "resource", kind: millwa.StringField, wildcard: true},
		"actor":              {expr: "actor", kind: millwa.StringField},
		"actor_organisation": {expr: "organisation", kind: millwa.StringField},
		"actor_role":         {expr: "role", kind: millwa.StringField},
		"method":             {expr: "method", kind: millwa.StringField},
		"action":             {expr: "action", kind: millwa.StringField},
		"region":             {expr: "region", kind: millwa.StringField, prefix: true},
		"create_time":        {expr: "event_time", kind: millwa.TimeField},
	},
	idColumn: column{expr: "sequence", kind: millwa.IntField},
}

// ListAuditEvents returns one page of the audit events q selects, every
// event alike (for admins), in q's order: sequence order when q has none;
// q may order by "sequence" with Desc for newest first. Filter fields are
// those of the API's AuditEvent: resource (exact, or a prefix when the
// value ends in "*"), actor, actor_organisation, actor_role (a millwa.Role
// value such as "agency", not the proto enum name), method, action, region
// (a ubigeo prefix), sequence (an integer) and create_time (a time). Page
// keys are decimal sequences. Events still pending are chained first
// (Store.SequencePending), so that every change acknowledged before the
// call is listed. It returns Invalid for a field, key or limit the query
// may not have.
func (s *Store) ListAuditEvents(ctx context.Context, q ListQuery) (Page[millwa.AuditEvent], error) {
	return s.listAuditEvents(ctx, everything, q)
}

// ListAuditEventsVisibleTo is ListAuditEvents limited, in the query itself,
// to the events v may see: what an agency lists.
func (s *Store) ListAuditEventsVisibleTo(ctx context.Context, v AuditVisibility, q ListQuery) (Page[millwa.AuditEvent], error) {
	return s.listAuditEvents(ctx, v.scope(), q)
}

func (s *Store) listAuditEvents(ctx context.Context, visible scope, lq ListQuery) (Page[millwa.AuditEvent], error) {
	if _, err := s.SequencePending(ctx); err != nil {
		return Page[millwa.AuditEvent]{}, err
	}
	return listPage(ctx, s.queries, &auditList, visible, lq, (*auditRow).event)
}

// GetAuditEvent returns the audit event with the given sequence. It returns
// NotFound, saying "audit event N not found", when there is none.
func (s *Store) GetAuditEvent(ctx context.Context, sequence int64) (millwa.AuditEvent, error) {
	notFound := millwa.Errorf(millwa.NotFound, "audit event %d not found", sequence)
	if sequence < 1 {
		return millwa.AuditEvent{}, notFound
	}
	if _, err := s.SequencePending(ctx); err != nil {
		return millwa.AuditEvent{}, err
	}
	var row auditRow
	err := sqlx.GetContext(ctx, s.r, &row, s.r.Rebind(`SELECT `+auditColumns+` FROM audit_events WHERE sequence = ?`), sequence)
	if errors.Is(err, sql.ErrNoRows) {
		return millwa.AuditEvent{}, notFound
	}
	if err != nil {
		return millwa.AuditEvent{}, dbError(err, "reading audit event %d", sequence)
	}
	return row.event(), nil
}
