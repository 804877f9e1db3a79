package allocation_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/millwa/millwa/internal/allocation"
	"github.com/millwa/millwa/internal/matching"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// book puts on offer a PEN book where first come first served and the
// optimum differ: the older order takes either group and so, served first,
// takes the cheaper BABY lot that the newer order, which takes BABY only,
// needed; the optimum gives it the FLEECE lot instead.
func book(m *market) (lots []millwa.Lot, orders []millwa.PurchaseOrder) {
	lots = []millwa.Lot{m.lot("BABY", 10_000, 1000, "PEN"), m.lot("FLEECE", 10_000, 1500, "PEN")}
	orders = []millwa.PurchaseOrder{
		m.order([]string{"BABY", "FLEECE"}, 10_000, 3000, "PEN", noExpiry, false),
		m.order([]string{"BABY"}, 10_000, 3000, "PEN", noExpiry, false),
	}
	return lots, orders
}

// ignoreTimes leaves out of a Summary what depends on the clock, and the
// clearing id, which is checked on its own.
var ignoreTimes = cmpopts.IgnoreFields(allocation.Summary{}, "ClearingID", "StartTime", "SolveDuration")

func TestClear(t *testing.T) {
	t.Parallel()
	// Both lots to both orders: (3000−1000) × 10 kg + (3000−1500) × 10 kg.
	optimal := allocation.Summary{Mode: allocation.Optimal, Currency: "PEN", OrdersConsidered: 2, LotsConsidered: 2,
		OrdersMatched: 2, LotsMatched: 2, AllocatedGrams: 20_000, Surplus: matching.SurplusOf(35_000), TradesCreated: 2}
	for _, tc := range []struct {
		name     string
		currency string
		mode     allocation.Mode
		dryRun   bool
		want     allocation.Summary
		wantCode millwa.Code
	}{
		{name: "optimal, written", currency: "PEN", mode: allocation.Optimal, want: optimal},
		{name: "optimal, dry run", currency: "PEN", mode: allocation.Optimal, dryRun: true,
			want: func() allocation.Summary { s := optimal; s.DryRun = true; return s }()},
		{name: "first come first served, dry run", currency: "PEN", mode: allocation.FirstComeFirstServed, dryRun: true,
			want: allocation.Summary{DryRun: true, Mode: allocation.FirstComeFirstServed, Currency: "PEN",
				OrdersConsidered: 2, LotsConsidered: 2, OrdersMatched: 1, LotsMatched: 1,
				AllocatedGrams: 10_000, Surplus: matching.SurplusOf(20_000), TradesCreated: 1}},
		{name: "first come first served, written", currency: "PEN", mode: allocation.FirstComeFirstServed,
			want:     allocation.Summary{Mode: allocation.FirstComeFirstServed, Currency: "PEN"},
			wantCode: millwa.Invalid},
		{name: "another currency's book", currency: "USD", mode: allocation.Optimal,
			want: allocation.Summary{Mode: allocation.Optimal, Currency: "USD"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.ForEachDatabase(t, func(t *testing.T, url string) {
				t.Parallel()
				m := newMarket(t, storetest.NewStore(t, url))
				lots, _ := book(m)
				var got allocation.Summary
				var trades []millwa.Trade
				err := m.st.InTx(t.Context(), func(tx *store.Tx) error {
					var err error
					got, trades, err = allocation.Clear(t.Context(), tx, tc.currency, tc.mode, tc.dryRun)
					return err
				})
				if code := millwa.ErrorCode(err); code != tc.wantCode {
					t.Fatalf("Clear: %v, want code %q", err, tc.wantCode)
				}
				if diff := cmp.Diff(tc.want, got, ignoreTimes); diff != "" {
					t.Errorf("summary (-want +got):\n%s", diff)
				}
				// A written clearing has an id even when it matched
				// nothing: the audit chain records it.
				written := err == nil && !tc.dryRun
				if (got.ClearingID != "") != written {
					t.Errorf("clearing id %q, want one only for a written clearing", got.ClearingID)
				}
				wantTrades := 0
				if written {
					wantTrades = tc.want.TradesCreated
				}
				if len(trades) != wantTrades {
					t.Errorf("Clear returned %d trades, want %d", len(trades), wantTrades)
				}
				stored := m.trades()
				var allocated int64
				for _, l := range lots {
					allocated += m.getLot(l.ID).AllocatedGrams
				}
				if wantTrades == 0 {
					if len(stored) != 0 || allocated != 0 {
						t.Errorf("%d trades stored and %d grams allocated, want nothing written", len(stored), allocated)
					}
					return
				}
				if allocated != tc.want.AllocatedGrams {
					t.Errorf("lots hold %d grams allocated, want %d", allocated, tc.want.AllocatedGrams)
				}
				for _, tr := range trades {
					s, ok := stored[tr.ID]
					if !ok || s.State != millwa.TradeMatched || s.PricePerKg != (tr.BidPricePerKg+tr.AskPricePerKg+1)/2 {
						t.Errorf("trade %s stored as %+v, want MATCHED at the midpoint", tr.ID, s)
					}
				}
			})
		})
	}
}

// noExpiry is the expire time of an order that never lapses.
var noExpiry time.Time

func TestClearerReports(t *testing.T) {
	t.Parallel()
	written := allocation.Kind{Mode: allocation.Optimal, Trigger: allocation.TriggerRPC}
	errNoTx := errors.New("the transaction never began")
	for _, tc := range []struct {
		name string
		// run clears (or not) with c and returns the error it ended with.
		run func(ctx context.Context, c *allocation.Clearer, st *store.Store) error
		// want is the kind observed, if any, and wantErr whether it failed.
		want    []allocation.Kind
		wantErr bool
		// wantGrams is the grams the observed summary allocated.
		wantGrams int64
	}{
		{
			name: "dry run",
			run: func(ctx context.Context, c *allocation.Clearer, _ *store.Store) error {
				_, err := c.DryRun(ctx, "PEN", allocation.FirstComeFirstServed)
				return err
			},
			want:      []allocation.Kind{{Mode: allocation.FirstComeFirstServed, Trigger: allocation.TriggerRPC, DryRun: true}},
			wantGrams: 10_000,
		},
		{
			name: "written in the caller's transaction",
			run: func(ctx context.Context, c *allocation.Clearer, st *store.Store) error {
				cl := c.Begin(written, "PEN")
				err := st.InTx(ctx, func(tx *store.Tx) error { _, _, err := cl.Clear(ctx, tx); return err })
				cl.Finish(err)
				return err
			},
			want:      []allocation.Kind{written},
			wantGrams: 20_000,
		},
		{
			name: "retried, last attempt replayed",
			run: func(ctx context.Context, c *allocation.Clearer, st *store.Store) error {
				cl := c.Begin(written, "PEN")
				retry := errors.New("conflict")
				err := st.InTx(ctx, func(tx *store.Tx) error {
					if _, _, err := cl.Clear(ctx, tx); err != nil {
						return err
					}
					return retry // rolled back: the first attempt is undone
				})
				if !errors.Is(err, retry) {
					return err
				}
				cl.Replayed()
				cl.Finish(nil)
				return nil
			},
		},
		{
			name: "never reached Clear",
			run: func(ctx context.Context, c *allocation.Clearer, _ *store.Store) error {
				cl := c.Begin(written, "PEN")
				cl.Finish(errNoTx)
				return nil
			},
		},
		{
			name: "refused",
			run: func(ctx context.Context, c *allocation.Clearer, st *store.Store) error {
				cl := c.Begin(allocation.Kind{Mode: allocation.FirstComeFirstServed, Trigger: allocation.TriggerRPC}, "PEN")
				err := st.InTx(ctx, func(tx *store.Tx) error { _, _, err := cl.Clear(ctx, tx); return err })
				cl.Finish(err)
				if millwa.ErrorCode(err) != millwa.Invalid {
					return err
				}
				return nil
			},
			want:    []allocation.Kind{{Mode: allocation.FirstComeFirstServed, Trigger: allocation.TriggerRPC}},
			wantErr: true,
		},
		{
			name: "scheduled",
			run: func(ctx context.Context, c *allocation.Clearer, _ *store.Store) error {
				_, err := c.ClearCurrency(ctx, "PEN")
				return err
			},
			want:      []allocation.Kind{{Mode: allocation.Optimal, Trigger: allocation.TriggerSchedule}},
			wantGrams: 20_000,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.ForEachDatabase(t, func(t *testing.T, url string) {
				t.Parallel()
				m := newMarket(t, storetest.NewStore(t, url))
				book(m)
				var rec recorder
				if err := tc.run(t.Context(), allocation.NewClearer(m.st, &rec), m.st); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, rec.kinds()); diff != "" {
					t.Fatalf("clearings observed (-want +got):\n%s", diff)
				}
				if len(rec.runs) == 0 {
					return
				}
				run := rec.runs[0]
				if (run.Err != nil) != tc.wantErr {
					t.Errorf("observed error %v, want an error: %v", run.Err, tc.wantErr)
				}
				if run.Summary.AllocatedGrams != tc.wantGrams {
					t.Errorf("observed %d grams allocated, want %d", run.Summary.AllocatedGrams, tc.wantGrams)
				}
				if run.Duration <= 0 || run.Duration < run.Summary.SolveDuration {
					t.Errorf("observed duration %v, want the whole clearing's, at least its solve's %v", run.Duration, run.Summary.SolveDuration)
				}
			})
		})
	}
}

func TestKindsLabelEveryKindOnce(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, k := range allocation.Kinds() {
		l := k.Labels()
		if len(l) != 3 {
			t.Fatalf("%+v has labels %q, want mode, trigger and dry_run", k, l)
		}
		key := l[0] + "," + l[1] + "," + l[2]
		if seen[key] {
			t.Errorf("labels %s twice", key)
		}
		seen[key] = true
	}
	want := map[string]bool{
		"optimal,rpc,false": true, "optimal,rpc,true": true,
		"first_come_first_served,rpc,true": true, "optimal,schedule,false": true,
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
	}
}
