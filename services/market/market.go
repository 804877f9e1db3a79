// Package market implements millwa.v1.MarketService: processors and their
// purchase orders. Clearing, trades, payouts, market statistics and
// WatchMarket are not built yet and answer Unimplemented through the
// embedded type. It converts between proto messages and domain types and
// leaves validation rules to internal/millwa and persistence to
// internal/store.
package market

import (
	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// Server is the MarketService. RPCs not built yet answer Unimplemented
// through the embedded type.
type Server struct {
	millwav1.UnimplementedMarketServiceServer
	store     *store.Store
	standards *grading.Registry
}

// New returns a MarketService backed by st, checking the codes of purchase
// orders against standards.
func New(st *store.Store, standards *grading.Registry) *Server {
	return &Server{store: st, standards: standards}
}
