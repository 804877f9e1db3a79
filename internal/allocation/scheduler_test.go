package allocation_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/allocation"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store/storetest"
)

// quiet discards the scheduler's log.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newScheduler returns a Scheduler of m's store whose timers never fire
// within a test, so that the test calls Sweep and ClearOnce itself.
func newScheduler(m *market, obs allocation.Observer) *allocation.Scheduler {
	return allocation.NewScheduler(m.st, allocation.NewClearer(m.st, obs), quiet, time.Hour, time.Hour)
}

func TestSchedulerClearOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// lots and orders are the currencies of BABY lots and orders put on
		// the book, 10 kg each.
		lots, orders []string
		// want is the currency and trades of each clearing, in order.
		want []string
	}{
		{name: "no live orders", lots: []string{"PEN"}},
		{name: "one currency", lots: []string{"PEN", "PEN"}, orders: []string{"PEN"}, want: []string{"PEN 1"}},
		{name: "each currency's book on its own, in the currencies' order",
			lots: []string{"USD", "PEN", "USD"}, orders: []string{"USD", "PEN", "USD"}, want: []string{"PEN 1", "USD 2"}},
		{name: "orders with no lots of their currency",
			lots: []string{"PEN"}, orders: []string{"BOB", "PEN"}, want: []string{"BOB 0", "PEN 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.ForEachDatabase(t, func(t *testing.T, url string) {
				t.Parallel()
				m := newMarket(t, storetest.NewStore(t, url))
				lots := map[string]millwa.Lot{}
				for _, c := range tc.lots {
					l := m.lot("BABY", 10_000, 1000, c)
					lots[l.ID] = l
				}
				for _, c := range tc.orders {
					m.order([]string{"BABY"}, 10_000, 3000, c, noExpiry, false)
				}
				var rec recorder
				sums, err := newScheduler(m, &rec).ClearOnce(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				var wantAudit []string
				for _, s := range sums {
					got = append(got, fmt.Sprintf("%s %d", s.Currency, s.TradesCreated))
					if s.DryRun || s.Mode != allocation.Optimal || s.ClearingID == "" {
						t.Errorf("scheduled clearing %+v, want a written optimal one", s)
					}
					wantAudit = append(wantAudit, "clear "+allocation.ClearingName(s.ClearingID))
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("clearings (-want +got):\n%s", diff)
				}
				if len(rec.runs) != len(sums) {
					t.Errorf("observed %d clearings, want %d", len(rec.runs), len(sums))
				}
				for _, tr := range m.trades() {
					if tr.Currency != lots[tr.LotID].Currency || tr.State != millwa.TradeMatched {
						t.Errorf("trade %+v, want MATCHED in its lot's currency", tr)
					}
					wantAudit = append(wantAudit, "match "+millwa.TradeName(tr.ID))
				}
				if diff := cmp.Diff(sorted(wantAudit), sorted(m.auditOf(allocation.ScheduledClearingMethod))); diff != "" {
					t.Errorf("audit events (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestSchedulerClearOnceStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	m := newMarket(t, storetest.NewStore(t, storetest.SQLiteURL(t)))
	m.lot("BABY", 10_000, 1000, "PEN")
	m.order([]string{"BABY"}, 10_000, 3000, "PEN", noExpiry, false)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	sums, err := newScheduler(m, nil).ClearOnce(ctx)
	if err == nil || len(sums) != 0 {
		t.Errorf("ClearOnce after its context ended = %v, %v; want no clearing and an error", sums, err)
	}
	if n := len(m.trades()); n != 0 {
		t.Errorf("%d trades written, want none", n)
	}
}

func TestSchedulerSweep(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// batch bounds the orders expired per transaction.
		batch int
		// lapsing and live are how many matched orders lapse before the
		// sweep and how many stay live.
		lapsing, live int
	}{
		{name: "nothing lapsed", batch: 2, live: 1},
		{name: "fewer than a batch", batch: 5, lapsing: 2, live: 1},
		{name: "several batches", batch: 2, lapsing: 5, live: 1},
		{name: "exactly a batch", batch: 3, lapsing: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.ForEachDatabase(t, func(t *testing.T, url string) {
				t.Parallel()
				m := newMarket(t, storetest.NewStore(t, url))
				// Orders lapse after they are matched, which needs a live
				// order: leave time enough to place and match them. Each
				// order is half filled, as only a live order (OPEN or
				// PARTIALLY_FILLED) lapses.
				lapse := time.Now().Add(2 * time.Second)
				var lapsing, live []millwa.PurchaseOrder
				lots := map[string]bool{}
				for i := range tc.lapsing + tc.live {
					lots[m.lot("BABY", 10_000, 1000, "PEN").ID] = true
					expire := noExpiry
					if i < tc.lapsing {
						expire = lapse
					}
					o := m.order([]string{"BABY"}, 20_000, 3000, "PEN", expire, true)
					if o.FilledGrams != 10_000 {
						t.Fatalf("order %d filled %d grams at once, want 10000", i, o.FilledGrams)
					}
					if i < tc.lapsing {
						lapsing = append(lapsing, o)
					} else {
						live = append(live, o)
					}
				}
				if time.Now().After(lapse) {
					t.Fatal("placing the orders outlasted their expiry: the test cannot tell matching from sweeping")
				}
				if tc.lapsing > 0 {
					time.Sleep(time.Until(lapse) + 10*time.Millisecond)
				}

				s := newScheduler(m, nil)
				s.SetBatch(tc.batch)
				if n := s.Sweep(t.Context()); n != tc.lapsing {
					t.Errorf("Sweep expired %d orders, want %d", n, tc.lapsing)
				}
				var wantAudit []string
				for _, o := range lapsing {
					got := m.getOrder(o.ID)
					if got.State != millwa.OrderExpired || got.FilledGrams != 0 {
						t.Errorf("lapsed order is %s with %d grams filled, want EXPIRED with its grams released", got.State, got.FilledGrams)
					}
					wantAudit = append(wantAudit, "expire "+millwa.PurchaseOrderName(o.ProcessorID, o.ID))
				}
				for _, o := range live {
					if got := m.getOrder(o.ID); got.State != millwa.OrderPartiallyFilled || got.FilledGrams != 10_000 {
						t.Errorf("live order is %s with %d grams filled, want PARTIALLY_FILLED as it was", got.State, got.FilledGrams)
					}
				}
				expired := map[string]bool{}
				for _, o := range lapsing {
					expired[o.ID] = true
				}
				var allocated int64
				for _, tr := range m.trades() {
					want := millwa.TradeMatched
					if expired[tr.PurchaseOrderID] {
						want = millwa.TradeCancelled
						wantAudit = append(wantAudit, "cancel "+millwa.TradeName(tr.ID))
					}
					if tr.State != want {
						t.Errorf("trade of order %s is %s, want %s", tr.PurchaseOrderID, tr.State, want)
					}
				}
				for id := range lots {
					allocated += m.getLot(id).AllocatedGrams
				}
				if want := int64(tc.live) * 10_000; allocated != want {
					t.Errorf("lots hold %d grams allocated, want %d: the lapsed orders' grams back on offer", allocated, want)
				}
				if diff := cmp.Diff(sorted(wantAudit), sorted(m.auditOf(allocation.ExpireMethod))); diff != "" {
					t.Errorf("audit events (-want +got):\n%s", diff)
				}
				if n := s.Sweep(t.Context()); n != 0 {
					t.Errorf("a second Sweep expired %d orders, want none left", n)
				}
			})
		})
	}
}

func TestSchedulerRunSweepsAtOnceAndStops(t *testing.T) {
	t.Parallel()
	m := newMarket(t, storetest.NewStore(t, storetest.SQLiteURL(t)))
	lapse := time.Now().Add(time.Second)
	o := m.order([]string{"BABY"}, 10_000, 3000, "PEN", lapse, false)
	time.Sleep(time.Until(lapse) + 10*time.Millisecond)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); newScheduler(m, nil).Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(m.auditOf(allocation.ExpireMethod)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not sweep at once")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return once its context ended")
	}
	if got := m.getOrder(o.ID); got.State != millwa.OrderExpired {
		t.Errorf("order is %s, want EXPIRED", got.State)
	}
}
