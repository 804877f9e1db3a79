package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// TestClaimRequestWaitsBounded: on PostgreSQL a claim of a request_id that
// another transaction claimed and has not finished waits at most the
// request wait, then answers Aborted (REQUEST_IN_PROGRESS), with the
// transaction's lock_timeout set by the claim's own statement; once the
// first finishes, a claim replays its answer. Not parallel: it shortens
// the store's request wait.
func TestClaimRequestWaitsBounded(t *testing.T) {
	s := storetest.NewStore(t, storetest.PostgresURL(t))
	defer store.SetRequestWait(300 * time.Millisecond)()
	ctx := t.Context()
	key := store.RequestKey{Organisation: "associations/x", Method: "/m", RequestID: "r-1"}

	claimed, release, firstDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		firstDone <- s.InTx(ctx, func(tx *store.Tx) error {
			if _, ok, err := tx.ClaimRequest(ctx, key, [32]byte{1}, time.Hour); err != nil || !ok {
				return errors.Join(err, errors.New("the first claim did not claim"))
			}
			close(claimed)
			<-release
			return tx.CompleteRequest(ctx, key, []byte("answer"))
		})
	}()
	<-claimed
	err := s.InTx(ctx, func(tx *store.Tx) error {
		_, _, err := tx.ClaimRequest(ctx, key, [32]byte{1}, time.Hour)
		return err
	})
	close(release)
	var me *millwa.Error
	if !errors.As(err, &me) || me.Code != millwa.Aborted || me.Reason != "REQUEST_IN_PROGRESS" {
		t.Errorf("a claim while the first is in progress: %v, want Aborted REQUEST_IN_PROGRESS", err)
	}
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	var timeout string
	err = s.InTx(ctx, func(tx *store.Tx) error {
		stored, ok, err := tx.ClaimRequest(ctx, key, [32]byte{1}, time.Hour)
		if err == nil && (ok || string(stored) != "answer") {
			t.Errorf("a claim after the first finished: claimed %v, stored %q; want the first's answer", ok, stored)
		}
		if err == nil {
			err = tx.QueryRow(ctx, "SHOW lock_timeout", nil, &timeout)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if timeout != "300ms" {
		t.Errorf("lock_timeout after a claim is %q, want 300ms", timeout)
	}
}
