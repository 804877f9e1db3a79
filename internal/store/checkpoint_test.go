package store_test

import (
	"context"
	"crypto/ed25519"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// TestAuditSigningKeyGeneratedOnce checks that concurrent first calls on
// two stores over one database (two replicas starting together) end with
// one key, which a later call returns again.
func TestAuditSigningKeyGeneratedOnce(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		stores := []*store.Store{storetest.NewStore(t, url), storetest.NewStore(t, url)}
		keys := make([]ed25519.PrivateKey, 6)
		var wg sync.WaitGroup
		for i := range keys {
			wg.Go(func() {
				var err error
				if keys[i], err = stores[i%2].AuditSigningKey(t.Context()); err != nil {
					t.Errorf("AuditSigningKey %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		for i, k := range keys {
			if !k.Equal(keys[0]) || len(k) != ed25519.PrivateKeySize {
				t.Fatalf("key %d differs from key 0: replicas would sign with different keys", i)
			}
		}
		again, err := stores[0].AuditSigningKey(t.Context())
		if err != nil || !again.Equal(keys[0]) {
			t.Fatalf("AuditSigningKey later = %v; want the stored key", err)
		}
	})
}

// TestVerifyAuditRangeCheckpoints checks the checkpoints' part of a
// verification: agreeing ones pass, ones outside the range are refused, and
// a log cut back consistently below a checkpoint is a mismatch.
func TestVerifyAuditRangeCheckpoints(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewStore(t, url)
		chain := appendEvents(t, s, 10, 10)
		key, err := s.AuditSigningKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		at := func(seq int64) millwa.AuditCheckpoint {
			return millwa.SignAuditCheckpoint(key, seq, chain[seq-1].Hash, time.Now())
		}
		empty := millwa.SignAuditCheckpoint(key, 0, [32]byte{}, time.Now())
		if v, err := s.VerifyAuditRange(ctx, 0, 0, at(7), empty, at(4), at(10)); err != nil || !v.OK {
			t.Fatalf("intact log with its checkpoints: %+v %v", v, err)
		}
		for _, tc := range []struct {
			name       string
			start, end int64
			cp         millwa.AuditCheckpoint
		}{
			{"before the start", 5, 0, at(4)},
			{"after the end", 0, 6, at(7)},
		} {
			_, err := s.VerifyAuditRange(ctx, tc.start, tc.end, tc.cp)
			if errorCode(err) != millwa.Invalid || !strings.Contains(err.Error(), "checkpoints[0].sequence") {
				t.Errorf("%s: %v; want Invalid naming checkpoints[0].sequence", tc.name, err)
			}
		}

		// Cut the log back to event 7, head and all: every link holds,
		// but the checkpoint at 10 vouches for events that are gone.
		tamper(t, s, func(ctx context.Context, tx *store.Tx) error {
			if _, err := tx.Exec(ctx, "DELETE FROM audit_events WHERE sequence > 7"); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "UPDATE audit_chain_head SET last_sequence = 7, last_hash = ? WHERE id = 1", chain[6].Hash[:])
			return err
		})
		if v := mustVerify(t, s); !v.OK {
			t.Fatalf("the consistently cut log without checkpoints: %+v; want ok", v)
		}
		got, err := s.VerifyAuditRange(ctx, 0, 0, at(4), at(7), at(10))
		if err != nil {
			t.Fatal(err)
		}
		want := store.AuditVerification{FirstBroken: 10, Failure: store.AuditCheckpointMismatch, EventsChecked: 7,
			HeadSequence: 7, HeadHash: chain[6].Hash, Problem: got.Problem}
		if diff := cmp.Diff(want, got); diff != "" || !strings.Contains(got.Problem, "missing") {
			t.Errorf("VerifyAuditRange with a checkpoint past the cut (-want +got):\n%s\nProblem: %s", diff, got.Problem)
		}
	})
}
