package store_test

import (
	"context"
	"testing"

	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// TestVerifyAuditRangeEndRemoved checks that a range short of the chain
// head tells a gap (some event follows the missing ones) from events
// removed from the end (none does), as a whole-chain verification does.
func TestVerifyAuditRangeEndRemoved(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewStore(t, url)
		appendEvents(t, s, 10, 10)
		tamper(t, s, func(ctx context.Context, tx *store.Tx) error {
			_, err := tx.Exec(ctx, "DELETE FROM audit_events WHERE sequence IN (5, 8, 9, 10)")
			return err
		})
		for _, tc := range []struct {
			start, end int64
			broken     int64
			failure    store.AuditFailure
		}{
			{1, 6, 5, store.AuditSequenceGap},
			{7, 9, 8, store.AuditHeadMismatch},
			{0, 0, 5, store.AuditSequenceGap},
		} {
			got, err := s.VerifyAuditRange(ctx, tc.start, tc.end)
			if err != nil {
				t.Fatalf("VerifyAuditRange(%d, %d): %v", tc.start, tc.end, err)
			}
			if got.OK || got.FirstBroken != tc.broken || got.Failure != tc.failure {
				t.Errorf("VerifyAuditRange(%d, %d) = %+v; want %s at event %d", tc.start, tc.end, got, tc.failure, tc.broken)
			}
		}
	})
}
