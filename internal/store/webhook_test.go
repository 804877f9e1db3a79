package store_test

import (
	"testing"
	"time"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// TestWebhookLeaseAndCursor checks what lets replicas share delivery: one
// holder at a time leases an endpoint, progress written by any other is
// refused, a replay (cursor moved back) wins over a holder's stale
// progress, and the cursor is in the row for whoever serves it next.
func TestWebhookLeaseAndCursor(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		st := storetest.NewStore(t, url)
		ctx := t.Context()
		const org = "processors/0192d1a0-0000-7000-8000-000000000001"
		w := store.Webhook{Organisation: org, DisplayName: "ERP", URL: "https://erp.example.pe/", Secret: "whsec_AAAA",
			EventTypes: []millwa.MarketEventType{millwa.EventTradeMatched}}
		if err := st.InTx(ctx, func(tx *store.Tx) error { return tx.CreateWebhook(ctx, &w) }); err != nil {
			t.Fatalf("CreateWebhook: %v", err)
		}
		now := time.Now()
		due, _, err := st.DueWebhooks(ctx, "a", now, 10, 0, 10)
		if err != nil || len(due) != 1 || due[0].ID != w.ID || due[0].EventTypes[0] != millwa.EventTradeMatched {
			t.Fatalf("DueWebhooks: %v %v, want the new webhook", due, err)
		}
		if _, ok, err := st.LeaseWebhook(ctx, w.ID, "a", now, now.Add(time.Minute)); err != nil || !ok {
			t.Fatalf("lease for a: %v %v", ok, err)
		}
		if _, ok, err := st.LeaseWebhook(ctx, w.ID, "b", now, now.Add(time.Minute)); err != nil || ok {
			t.Fatalf("lease for b while a holds it: %v %v, want refused", ok, err)
		}
		if due, _, _ := st.DueWebhooks(ctx, "b", now, 10, 0, 10); len(due) != 0 {
			t.Errorf("due for b while a holds it: %v", due)
		}
		step := store.WebhookProgress{Cursor: 3, NextAttempt: now}
		if wrote, err := st.RecordWebhookProgress(ctx, w.ID, "b", 0, step, nil); err != nil || wrote {
			t.Fatalf("progress by b: %v %v, want refused", wrote, err)
		}
		if wrote, err := st.RecordWebhookProgress(ctx, w.ID, "a", 0, step, nil); err != nil || !wrote {
			t.Fatalf("progress by a: %v %v", wrote, err)
		}
		// A replay moves the cursor back: a's progress from 3 is refused.
		if err := st.InTx(ctx, func(tx *store.Tx) error { _, err := tx.ReplayWebhook(ctx, org, w.ID, 1); return err }); err != nil {
			t.Fatalf("ReplayWebhook: %v", err)
		}
		if wrote, err := st.RecordWebhookProgress(ctx, w.ID, "a", 3, store.WebhookProgress{Cursor: 4, NextAttempt: now}, nil); err != nil || wrote {
			t.Fatalf("stale progress after a replay: %v %v, want refused", wrote, err)
		}
		// a stops; b takes over from the cursor in the row.
		if err := st.ReleaseWebhook(ctx, w.ID, "a"); err != nil {
			t.Fatal(err)
		}
		got, ok, err := st.LeaseWebhook(ctx, w.ID, "b", now, now.Add(time.Minute))
		if err != nil || !ok || got.Cursor != 1 {
			t.Fatalf("lease for b after a released: %v %v cursor %d, want cursor 1", ok, err, got.Cursor)
		}
		if _, err := st.GetWebhook(ctx, "processors/0192d1a0-0000-7000-8000-000000000002", w.ID); millwa.ErrorCode(err) != millwa.NotFound {
			t.Errorf("another organisation's read: %v, want NotFound", err)
		}
	})
}
