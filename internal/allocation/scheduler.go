package allocation

import (
	"context"
	"log/slog"
	"time"

	"github.com/millwa/millwa/internal/store"
)

// Limits on one round of housekeeping, so that a backlog is worked off in
// short transactions that never hold the books' locks for long.
const (
	// sweepBatch bounds the orders one sweep transaction expires.
	sweepBatch = 200
	// purgeBatch bounds the market events, and the request_id records,
	// one sweep drops.
	purgeBatch = 10_000
)

// Scheduler runs the market's housekeeping on a timer: the sweep (see
// Sweep) every sweep interval and, when a clearing interval is set, the
// scheduled clearing of every currency's book (see ClearOnce). Every
// replica runs one; the book locks make concurrent sweeps and clearings
// safe, and the second finds nothing left to do.
type Scheduler struct {
	store   *store.Store
	clearer *Clearer
	log     *slog.Logger
	// sweepEvery is positive; clearEvery is zero for no scheduled
	// clearings.
	sweepEvery, clearEvery time.Duration
	// batch is sweepBatch except in tests.
	batch int
}

// NewScheduler returns a Scheduler of st that sweeps every sweepEvery
// (positive) and, when clearEvery is positive, clears every currency's
// book that often with clearer, logging what it does to log.
func NewScheduler(st *store.Store, clearer *Clearer, log *slog.Logger, sweepEvery, clearEvery time.Duration) *Scheduler {
	return &Scheduler{store: st, clearer: clearer, log: log, sweepEvery: sweepEvery, clearEvery: clearEvery, batch: sweepBatch}
}

// Run sweeps at once, then sweeps and clears on the schedule until ctx
// ends. Failures are logged and the next round tries again.
func (s *Scheduler) Run(ctx context.Context) {
	t := time.NewTicker(s.sweepEvery)
	defer t.Stop()
	var clearing <-chan time.Time
	if s.clearEvery > 0 {
		c := time.NewTicker(s.clearEvery)
		defer c.Stop()
		clearing = c.C
	}
	s.Sweep(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Sweep(ctx)
		case <-clearing:
			_, _ = s.ClearOnce(ctx)
		}
	}
}

// Sweep expires lapsed orders in batches until none is left (their
// unconfirmed trades are cancelled and the grams return to the lots), then
// drops market events and request_id records past their retention, which
// the same timer keeps in check. It returns how many orders it expired;
// failures are logged, not returned, as the next sweep tries again.
func (s *Scheduler) Sweep(ctx context.Context) int {
	total := 0
	for {
		n, err := ExpireOrders(ctx, s.store, s.batch)
		if err != nil {
			s.warn(ctx, "expiring purchase orders", err)
			break
		}
		total += n
		if n > 0 {
			s.log.Info("expired purchase orders", "count", n)
		}
		if n < s.batch {
			break
		}
	}
	if _, err := s.store.PurgeMarketEvents(ctx, time.Now().Add(-store.MarketEventRetention), purgeBatch); err != nil {
		s.warn(ctx, "dropping old market events", err)
	}
	if _, err := s.store.PurgeRequests(ctx, time.Now(), purgeBatch); err != nil {
		s.warn(ctx, "dropping expired request_id records", err)
	}
	return total
}

// ClearOnce runs the scheduled clearing of the book of every currency that
// has live orders, one transaction per currency in the currencies' order,
// stopping at the first that fails. It returns the summaries of the
// clearings that succeeded and the error that stopped it, which it also
// logs.
func (s *Scheduler) ClearOnce(ctx context.Context) ([]Summary, error) {
	currencies, err := s.store.LiveOrderCurrencies(ctx)
	if err != nil {
		s.warn(ctx, "scheduled clearing", err)
		return nil, err
	}
	var done []Summary
	for _, c := range currencies {
		sum, err := s.clearer.ClearCurrency(ctx, c)
		if err != nil {
			s.warn(ctx, "scheduled clearing", err, "currency", c)
			return done, err
		}
		done = append(done, sum)
		s.log.Info("scheduled clearing", "clearing_id", sum.ClearingID, "currency", sum.Currency,
			"trades", sum.TradesCreated, "grams", sum.AllocatedGrams, "solve", sum.SolveDuration.String())
	}
	return done, nil
}

// warn logs a failure of housekeeping, unless ctx has ended: a stop cuts
// a round short and that is no failure.
func (s *Scheduler) warn(ctx context.Context, msg string, err error, args ...any) {
	if ctx.Err() == nil {
		s.log.Warn(msg, append(args, "err", err)...)
	}
}
