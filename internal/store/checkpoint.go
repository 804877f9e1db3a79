package store

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/millwa/millwa/internal/millwa"
)

// AuditSigningKey returns the key that signs audit checkpoints when no key
// file is configured. The first call on a database generates it and stores
// it in audit_signing_key (outside audit_events, whose rows it vouches
// for); every later call, on any replica, returns the same key, since a
// concurrent first call loses the insert and reads the winner's.
//
// It returns Unavailable when the database cannot be reached, and Internal
// for a stored key that does not match its public half.
func (s *Store) AuditSigningKey(ctx context.Context) (ed25519.PrivateKey, error) {
	key, err := s.readAuditSigningKey(ctx)
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return key, err
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, &millwa.Error{Code: millwa.Internal, Message: "internal error", Err: fmt.Errorf("generating the audit signing key: %w", err)}
	}
	fresh := ed25519.NewKeyFromSeed(seed)
	err = s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO audit_signing_key (id, seed, public_key, create_time)
			VALUES (1, ?, ?, ?) ON CONFLICT (id) DO NOTHING`), seed, []byte(fresh.Public().(ed25519.PublicKey)), dbTime{now()})
		return dbError(err, "storing the audit signing key")
	})
	if err != nil {
		return nil, err
	}
	return s.readAuditSigningKey(ctx)
}

// readAuditSigningKey reads the stored key; its error wraps sql.ErrNoRows
// when there is none yet.
func (s *Store) readAuditSigningKey(ctx context.Context) (ed25519.PrivateKey, error) {
	var seed, public []byte
	err := s.w.QueryRowxContext(ctx, `SELECT seed, public_key FROM audit_signing_key WHERE id = 1`).Scan(&seed, &public)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if err != nil {
		return nil, dbError(err, "reading the audit signing key")
	}
	key := ed25519.NewKeyFromSeed(seed)
	if !bytes.Equal(key.Public().(ed25519.PublicKey), public) {
		return nil, &millwa.Error{Code: millwa.Internal, Message: "internal error",
			Err: errors.New("audit_signing_key's public key is not the one its seed makes: the row was altered")}
	}
	return key, nil
}

// AuditHead returns the chain head: the last event's sequence and hash (0
// and zeros for an empty log), after chaining the events still pending
// (Store.SequencePending), so that a checkpoint covers every change
// acknowledged before the call. It returns Unavailable when the database
// cannot be read.
func (s *Store) AuditHead(ctx context.Context) (int64, [32]byte, error) {
	var seq int64
	var raw []byte
	var hash [32]byte
	if _, err := s.SequencePending(ctx); err != nil {
		return 0, hash, err
	}
	if err := s.r.QueryRowxContext(ctx, `SELECT last_sequence, last_hash FROM audit_chain_head WHERE id = 1`).Scan(&seq, &raw); err != nil {
		return 0, hash, dbError(err, "reading the audit chain head")
	}
	copy(hash[:], raw)
	return seq, hash, nil
}

// checkpointCheck compares the verified events with the checkpoints a
// verification was given, in sequence order.
type checkpointCheck struct {
	// cps are the checkpoints, by sequence; next indexes the first not yet
	// compared.
	cps  []millwa.AuditCheckpoint
	next int
	// agreed is the last checkpoint that matched, nil before any.
	agreed *millwa.AuditCheckpoint
}

// newCheckpointCheck sorts cps, leaving out those of an empty log, which
// vouch for nothing. It refuses, as Invalid naming the checkpoint, one
// before first, or after last when the range does not reach the head.
func newCheckpointCheck(cps []millwa.AuditCheckpoint, first, last int64, toHead bool) (*checkpointCheck, error) {
	var vs millwa.Violations
	c := &checkpointCheck{}
	for i, cp := range cps {
		field := fmt.Sprintf("checkpoints[%d].sequence", i)
		switch {
		case cp.Sequence == 0:
			continue
		case cp.Sequence < first:
			vs.Add(field, "checkpoint at event %d lies before the range, which starts at %d: verify from start_sequence %d or leave that checkpoint out", cp.Sequence, first, cp.Sequence)
		case cp.Sequence > last && !toHead:
			vs.Add(field, "checkpoint at event %d lies after the range, which ends at %d: verify up to end_sequence %d or leave that checkpoint out", cp.Sequence, last, cp.Sequence)
		}
		c.cps = append(c.cps, cp)
	}
	if err := vs.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(c.cps, func(a, b millwa.AuditCheckpoint) int { return int(min(max(a.Sequence-b.Sequence, -1), 1)) })
	return c, nil
}

// compare checks the checkpoints at seq, whose stored and verified hash is
// hash, and returns the first that disagrees, or nil.
func (c *checkpointCheck) compare(seq int64, hash [32]byte) *millwa.AuditCheckpoint {
	for ; c.next < len(c.cps) && c.cps[c.next].Sequence == seq; c.next++ {
		cp := &c.cps[c.next]
		if cp.HeadHash != hash {
			return cp
		}
		c.agreed = cp
	}
	return nil
}

// beyond returns the first checkpoint after every event compared, or nil.
func (c *checkpointCheck) beyond() *millwa.AuditCheckpoint {
	if c.next < len(c.cps) {
		return &c.cps[c.next]
	}
	return nil
}

// since says where the rewrite a mismatch shows can begin.
func (c *checkpointCheck) since() string {
	if c.agreed == nil {
		return "at or after the first event (no earlier checkpoint agrees)"
	}
	return fmt.Sprintf("after event %d (the last checkpoint that agrees, signed at %s)", c.agreed.Sequence, c.agreed.Time.Format("2006-01-02T15:04:05Z07:00"))
}

// mismatch reports cp's disagreement with the event at cp.Sequence, whose
// hash is hash (nil when the event is missing). Events after the last
// checkpoint that agrees are no longer counted as intact: any of them may
// have been rewritten.
func (v *chainVerifier) mismatch(cp *millwa.AuditCheckpoint, hash []byte) AuditVerification {
	found := fmt.Sprintf("its hash is %x", hash)
	if hash == nil {
		found = fmt.Sprintf("it is missing: the log ends at event %d", v.next-1)
	}
	r := AuditVerification{
		FirstBroken: cp.Sequence,
		Failure:     AuditCheckpointMismatch,
		Problem: fmt.Sprintf("event %d: the checkpoint signed at %s gives it hash %x, but %s: the history up to event %d was rewritten after that checkpoint, %s",
			cp.Sequence, cp.Time.Format("2006-01-02T15:04:05Z07:00"), cp.HeadHash, found, cp.Sequence, v.cps.since()),
	}
	if a := v.cps.agreed; a != nil {
		r.EventsChecked = a.Sequence - v.first + 1
		r.HeadSequence = a.Sequence
		r.HeadHash = a.HeadHash
	}
	return r
}
