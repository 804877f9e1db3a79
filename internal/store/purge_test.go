package store_test

import (
	"testing"
	"time"

	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// TestPurgeRequests checks that only request_id records past their
// retention are deleted, in batches of at most the limit.
func TestPurgeRequests(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		st := storetest.NewStore(t, url)
		claim := func(id string, retention time.Duration) {
			t.Helper()
			err := st.InTx(t.Context(), func(tx *store.Tx) error {
				key := store.RequestKey{Organisation: "associations/x", Method: "/m", RequestID: id}
				if _, _, err := tx.ClaimRequest(t.Context(), key, [32]byte{1}, retention); err != nil {
					return err
				}
				return tx.CompleteRequest(t.Context(), key, []byte("answer"))
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []string{"old-1", "old-2", "old-3"} {
			claim(id, time.Millisecond)
		}
		claim("kept", time.Hour)
		time.Sleep(5 * time.Millisecond)
		n, err := st.PurgeRequests(t.Context(), time.Now(), 2)
		if err != nil || n != 2 {
			t.Fatalf("first batch: %d purged, %v; want 2", n, err)
		}
		n, err = st.PurgeRequests(t.Context(), time.Now(), 2)
		if err != nil || n != 1 {
			t.Fatalf("second batch: %d purged, %v; want the last expired one", n, err)
		}
		if n, err := st.PurgeRequests(t.Context(), time.Now(), 2); err != nil || n != 0 {
			t.Fatalf("third batch: %d purged, %v; the record within its retention must stay", n, err)
		}
	})
}
