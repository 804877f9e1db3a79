// Package market implements millwa.v1.MarketService: processors, their
// purchase orders, clearing, trades from match to payout, market
// statistics and WatchMarket. It converts between proto messages and domain types and
// leaves validation rules to internal/millwa and persistence to
// internal/store.
package market

import (
	"time"

	"github.com/millwa/millwa/internal/allocation"
	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// Server is the MarketService.
type Server struct {
	millwav1.UnimplementedMarketServiceServer
	store     *store.Store
	standards *grading.Registry
	// continuous matches new orders at once against the lots on offer.
	continuous bool
	// observer is told about clearings and event streams, for metrics.
	observer Observer
}

// Option changes how New builds a Server.
type Option func(*Server)

// WithObserver has the service tell o about its clearings and its
// WatchMarket streams.
func WithObserver(o Observer) Option {
	return func(s *Server) { s.observer = o }
}

// New returns a MarketService backed by st, checking the codes of purchase
// orders against standards. With continuous set, new orders are matched at
// once against the lots on offer; otherwise they wait for a clearing.
func New(st *store.Store, standards *grading.Registry, continuous bool, opts ...Option) *Server {
	s := &Server{store: st, standards: standards, continuous: continuous, observer: NopObserver{}}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// What started a clearing, as ClearingRun.Trigger says.
const (
	// TriggerRPC is a clearing asked for with RunClearing.
	TriggerRPC = "rpc"
	// TriggerSchedule is a clearing the server runs every clearing
	// interval.
	TriggerSchedule = "schedule"
)

// ClearingRun is one clearing, as an Observer is told about it.
type ClearingRun struct {
	// Trigger is TriggerRPC or TriggerSchedule.
	Trigger string
	Mode    allocation.Mode
	DryRun  bool
	// Summary is what the clearing did; only meaningful when Err is nil.
	Summary allocation.Summary
	// Duration is the wall time of the whole clearing: its transaction
	// with every retry, reading the book, solving, writing the trades and
	// committing.
	Duration time.Duration
	// Err is why the clearing failed, or nil.
	Err error
}

// Observer is told what the market does, for metrics. Its methods are
// called on the goroutines of the calls they describe, so they must be
// quick and safe for concurrent use.
type Observer interface {
	// ObserveClearing is called after each clearing that ran, whether it
	// succeeded or not; a RunClearing answered from its stored first
	// answer (a repeated request_id) did not run one.
	ObserveClearing(ClearingRun)
	// WatchStarted is called when a WatchMarket stream has been accepted,
	// and WatchEnded when it ends.
	WatchStarted()
	WatchEnded()
	// EventSent is called for each event a WatchMarket stream sends:
	// behind is how many events the outbox's head, as the stream last
	// read it, was past this one; age is how long ago the event was
	// recorded.
	EventSent(behind int64, age time.Duration)
}

// NopObserver is an Observer that does nothing.
type NopObserver struct{}

func (NopObserver) ObserveClearing(ClearingRun)    {}
func (NopObserver) WatchStarted()                  {}
func (NopObserver) WatchEnded()                    {}
func (NopObserver) EventSent(int64, time.Duration) {}
