package allocation

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
)

// Trigger is what started a clearing: metrics count clearings asked for
// and scheduled ones apart.
type Trigger string

// What starts a clearing.
const (
	// TriggerRPC is a clearing asked for with RunClearing.
	TriggerRPC Trigger = "rpc"
	// TriggerSchedule is a clearing the server runs every clearing
	// interval.
	TriggerSchedule Trigger = "schedule"
)

// Kind is what tells clearings apart in metrics: how the book was
// allocated, what started the clearing, and whether it was written.
type Kind struct {
	Mode    Mode
	Trigger Trigger
	DryRun  bool
}

// Labels returns the kind as metric label values, in the order mode,
// trigger, dry_run, so that every exporter names kinds alike.
func (k Kind) Labels() []string {
	return []string{strings.ToLower(string(k.Mode)), string(k.Trigger), strconv.FormatBool(k.DryRun)}
}

// Kinds lists every kind of clearing the server can run, so that metrics
// can show each at zero from the start and rates and alerts work before
// the first one.
func Kinds() []Kind {
	return []Kind{
		{Optimal, TriggerRPC, false},
		{Optimal, TriggerRPC, true},
		{FirstComeFirstServed, TriggerRPC, true},
		{Optimal, TriggerSchedule, false},
	}
}

// ClearingRun is one clearing, as an Observer is told about it.
type ClearingRun struct {
	Kind
	// Summary is what the clearing did; only meaningful when Err is nil.
	Summary Summary
	// Duration is the wall time of the whole clearing: its transaction
	// with every retry, reading the book, solving, writing the trades and
	// committing.
	Duration time.Duration
	// Err is why the clearing failed, or nil.
	Err error
}

// Observer is told about clearings, for metrics. ObserveClearing is called
// on the goroutine of the clearing it describes, so it must be quick and
// safe for concurrent use.
type Observer interface {
	// ObserveClearing is called after each clearing that ran, whether it
	// succeeded or not; a RunClearing answered from its stored first
	// answer (a repeated request_id) did not run one.
	ObserveClearing(ClearingRun)
}

// NopObserver is an Observer that does nothing.
type NopObserver struct{}

// ObserveClearing does nothing.
func (NopObserver) ObserveClearing(ClearingRun) {}

// ClearingName is the resource name of a clearing run in the audit chain,
// "clearings/{clearing_id}": a clearing is no stored resource, but its
// trades point back to it by id.
func ClearingName(id string) string { return "clearings/" + id }

// ScheduledClearingMethod is the method the audit chain records for
// clearings the server runs on its schedule.
const ScheduledClearingMethod = "system/RunClearing"

// Clearer runs clearings of one store and tells its Observer about each,
// so that RunClearing and the schedule time and report them alike.
type Clearer struct {
	store    *store.Store
	observer Observer
}

// NewClearer returns a Clearer of st reporting to obs (nil for none).
func NewClearer(st *store.Store, obs Observer) *Clearer {
	if obs == nil {
		obs = NopObserver{}
	}
	return &Clearer{store: st, observer: obs}
}

// Clearing is one clearing being run, timed from Begin. Its transaction
// is the caller's (so that a request_id record and audit events can be
// written with the trades) and may be retried: Clear runs in each attempt,
// Replayed marks an attempt that answered from a stored first answer, and
// Finish reports the clearing once the transaction is over. A Clearing is
// used by one goroutine.
type Clearing struct {
	c        *Clearer
	currency string
	run      ClearingRun
	start    time.Time
	// ran tells whether the last attempt cleared rather than replayed.
	ran bool
}

// Begin starts timing a clearing of currency's book of the given kind.
func (c *Clearer) Begin(k Kind, currency string) *Clearing {
	return &Clearing{c: c, currency: currency, run: ClearingRun{Kind: k}, start: time.Now()}
}

// Clear clears the book inside tx (see Clear) and keeps the summary for
// Finish. It locks every book of the currency.
func (cl *Clearing) Clear(ctx context.Context, tx *store.Tx) (Summary, []millwa.Trade, error) {
	cl.ran = true
	sum, trades, err := Clear(ctx, tx, cl.currency, cl.run.Mode, cl.run.DryRun)
	cl.run.Summary = sum
	return sum, trades, err
}

// Replayed records that the transaction's attempt answered from the
// first answer to a repeated request_id, so that it cleared nothing.
func (cl *Clearing) Replayed() { cl.ran = false }

// Finish reports the clearing, which ended with err, to the observer if
// its last attempt cleared: a replayed answer or a transaction that never
// reached Clear ran no clearing.
func (cl *Clearing) Finish(err error) {
	if cl.ran {
		cl.report(err)
	}
}

// report tells the observer about the clearing whatever it did.
func (cl *Clearing) report(err error) {
	cl.run.Duration, cl.run.Err = time.Since(cl.start), err
	cl.c.observer.ObserveClearing(cl.run)
}

// DryRun works out, in a transaction of its own that writes nothing, what
// a clearing of currency's book in mode asked for with RunClearing would
// do, and reports it.
func (c *Clearer) DryRun(ctx context.Context, currency string, mode Mode) (Summary, error) {
	cl := c.Begin(Kind{Mode: mode, Trigger: TriggerRPC, DryRun: true}, currency)
	var sum Summary
	err := c.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		sum, _, err = cl.Clear(ctx, tx)
		return err
	})
	cl.report(err)
	return sum, err
}

// ClearCurrency runs the server's own optimal clearing of one currency's
// book in one transaction, recording the clearing and its trades in the
// audit chain as the server's own, and reports it. It returns the summary.
func (c *Clearer) ClearCurrency(ctx context.Context, currency string) (Summary, error) {
	cl := c.Begin(Kind{Mode: Optimal, Trigger: TriggerSchedule}, currency)
	var sum Summary
	err := c.store.InTx(ctx, func(tx *store.Tx) error {
		var trades []millwa.Trade
		var err error
		if sum, trades, err = cl.Clear(ctx, tx); err != nil {
			return err
		}
		audit := []*millwa.AuditEvent{systemEvent(ScheduledClearingMethod, ClearingName(sum.ClearingID), "clear", "")}
		for _, tr := range trades {
			audit = append(audit, systemEvent(ScheduledClearingMethod, millwa.TradeName(tr.ID), "match", tr.OriginUbigeo))
		}
		return tx.RecordAuditEvents(ctx, audit...)
	})
	cl.report(err)
	return sum, err
}
