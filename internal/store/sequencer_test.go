package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// TestSequencerConcurrentReplicas records audit and market events from
// many goroutines through two stores on one database (two replicas), each
// store also running sequencing steps, while a reader follows the market
// outbox by cursor as watchers do. The reader must see every event once,
// in order, without a gap; at the end the audit chain verifies with every
// event in it, the market event counter stands at the last event, and
// nothing is left pending.
func TestSequencerConcurrentReplicas(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ctx := t.Context()
		replicas := []*store.Store{storetest.NewStore(t, dbURL), storetest.NewStore(t, dbURL)}
		const writers, changes, perChange = 8, 15, 3

		var writing sync.WaitGroup
		for w := range writers {
			writing.Add(1)
			go func() {
				defer writing.Done()
				st := replicas[w%2]
				for i := range changes {
					err := st.InTx(ctx, func(tx *store.Tx) error {
						var audit []*millwa.AuditEvent
						var market []millwa.MarketEvent
						for k := range perChange {
							resource := fmt.Sprintf("trades/w%d-c%d-e%d", w, i, k)
							audit = append(audit, &millwa.AuditEvent{Actor: "system", Role: millwa.RoleAdmin,
								Method: "test/Sequencer", Resource: resource, Action: "match"})
							market = append(market, millwa.MarketEvent{Type: millwa.EventTradeMatched, Resource: resource})
						}
						if err := tx.RecordAuditEvents(ctx, audit...); err != nil {
							return err
						}
						return tx.AppendMarketEvents(ctx, market...)
					})
					if err != nil {
						t.Errorf("writer %d, change %d: %v", w, i, err)
						return
					}
					if i%5 == 0 {
						if _, err := st.SequencePending(ctx); err != nil {
							t.Errorf("writer %d: SequencePending: %v", w, err)
						}
					}
				}
			}()
		}

		// The reader follows the outbox as a watcher does: the head, then
		// the events up to it.
		const total = writers * changes * perChange
		var done atomic.Bool
		seen := map[string]bool{}
		var last int64
		reading := make(chan struct{})
		go func() {
			defer close(reading)
			for !done.Load() || last < total {
				cur, err := replicas[1].MarketEventCursor(ctx)
				if err != nil {
					t.Errorf("MarketEventCursor: %v", err)
					return
				}
				events, err := replicas[1].MarketEvents(ctx, store.SystemPrincipal, last, cur.Head, nil, 500)
				if err != nil {
					t.Errorf("MarketEvents after %d: %v", last, err)
					return
				}
				for _, e := range events {
					if e.Seq != last+1 {
						t.Errorf("after event %d the reader got event %d", last, e.Seq)
						return
					}
					if seen[e.Resource] {
						t.Errorf("event %d repeats %s", e.Seq, e.Resource)
					}
					seen[e.Resource] = true
					last = e.Seq
				}
				if done.Load() && last < total {
					// Nothing commits any more: whatever is pending is
					// moved by this replica's own steps.
					if _, err := replicas[1].SequencePending(ctx); err != nil {
						t.Errorf("SequencePending: %v", err)
						return
					}
				}
			}
		}()
		writing.Wait()
		done.Store(true)
		select {
		case <-reading:
		case <-time.After(time.Minute):
			t.Fatalf("the reader is stuck at event %d of %d", last, total)
		}
		if len(seen) != total {
			t.Errorf("the reader saw %d distinct events, want %d", len(seen), total)
		}

		v, err := replicas[0].VerifyAuditChain(ctx)
		if err != nil || !v.OK || v.EventsChecked != total {
			t.Errorf("VerifyAuditChain = %+v, %v; want OK with %d events", v, err, total)
		}
		cur, err := replicas[0].MarketEventCursor(ctx)
		if err != nil || cur.Head != total {
			t.Errorf("market event head = %d (%v), want %d", cur.Head, err, total)
		}
		db, _ := storetest.RawDB(t, dbURL)
		for _, table := range []string{"audit_events_pending", "market_events_pending"} {
			var n int
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil || n != 0 {
				t.Errorf("%d rows left in %s (%v), want none", n, table, err)
			}
		}
	})
}

// TestSequencerRunsAfterCommit records events and reads them back only
// through the outbox's cursor, which runs no step of its own: the store's
// sequencer, woken by the commit, numbers them and rings the watchers'
// bell.
func TestSequencerRunsAfterCommit(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ctx := t.Context()
		st := storetest.NewStore(t, dbURL)
		bell := st.MarketEventsAdded()
		err := st.InTx(ctx, func(tx *store.Tx) error {
			return tx.AppendMarketEvents(ctx, millwa.MarketEvent{Type: millwa.EventOrderFilled, Resource: "processors/p/purchaseOrders/o"})
		})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-bell:
		case <-time.After(30 * time.Second):
			t.Fatal("the watchers' bell did not ring after a commit with a market event")
		}
		cur, err := st.MarketEventCursor(ctx)
		if err != nil || cur.Head != 1 {
			t.Errorf("market event head after the bell = %d (%v), want 1", cur.Head, err)
		}
	})
}

// TestSequencerLease: one store at a time holds the lease; its holder
// renews it; another takes it over only once it lapses.
func TestSequencerLease(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ctx := context.Background()
		a, b := storetest.NewStore(t, dbURL), storetest.NewStore(t, dbURL)
		t0 := time.Now().Add(time.Hour) // past any lease the stores' own loops took
		lapsed := t0.Add(store.SequencerLease + time.Second)
		for _, step := range []struct {
			what string
			st   *store.Store
			at   time.Time
			want bool
		}{
			{"a takes the free lease", a, t0, true},
			{"b while a holds it", b, t0.Add(time.Second), false},
			{"a renews it", a, t0.Add(time.Second), true},
			{"b before it lapses", b, t0.Add(store.SequencerLease), false},
			{"b once it lapsed", b, lapsed.Add(time.Second), true},
			{"a after b took it over", a, lapsed.Add(2 * time.Second), false},
		} {
			got, err := step.st.TakeLease(ctx, step.at)
			if err != nil || got != step.want {
				t.Errorf("%s: holds = %v (%v), want %v", step.what, got, err, step.want)
			}
		}
	})
}
