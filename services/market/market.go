// Package market implements millwa.v1.MarketService: processors, their
// purchase orders, clearing, trades from match to payout, market
// statistics and WatchMarket. It converts between proto messages and domain types and
// leaves validation rules to internal/millwa and persistence to
// internal/store.
package market

import (
	"time"

	"github.com/millwa/millwa/internal/allocation"
	"github.com/millwa/millwa/internal/feed"
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
	// observer is told about event streams, for metrics.
	observer Observer
	// clearer runs RunClearing's clearings and tells observer about them.
	clearer *allocation.Clearer
	// streams caps the open WatchMarket streams, and hub feeds them
	// (watch.go); ownHub is set when the service made hub itself.
	streams *feed.Limits
	hub     *feed.Hub
	ownHub  bool
	// responses shares the messages of recent events among streams.
	responses responseCache
	// endpoints is what webhook URLs may point at (webhook_input.go).
	endpoints endpointRule
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
	s := &Server{store: st, standards: standards, continuous: continuous, observer: NopObserver{}, streams: feed.NewLimits(0, 0),
		hub: feed.NewHub(st, feed.HubOptions{}), ownHub: true}
	for _, opt := range opts {
		opt(s)
	}
	s.clearer = allocation.NewClearer(st, s.observer)
	return s
}

// Observer is told what the market does, for metrics: clearings (as
// allocation reports them) and WatchMarket streams. Its methods are called
// on the goroutines of the calls they describe, so they must be quick and
// safe for concurrent use.
type Observer interface {
	allocation.Observer
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
type NopObserver struct{ allocation.NopObserver }

// WatchStarted does nothing.
func (NopObserver) WatchStarted() {}

// WatchEnded does nothing.
func (NopObserver) WatchEnded() {}

// EventSent does nothing.
func (NopObserver) EventSent(int64, time.Duration) {}
