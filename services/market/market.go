// Package market implements millwa.v1.MarketService: processors, their
// purchase orders, clearing, trades from match to payout, market
// statistics and WatchMarket. It converts between proto messages and domain types and
// leaves validation rules to internal/millwa and persistence to
// internal/store.
package market

import (
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
}

// New returns a MarketService backed by st, checking the codes of purchase
// orders against standards. With continuous set, new orders are matched at
// once against the lots on offer; otherwise they wait for a clearing.
func New(st *store.Store, standards *grading.Registry, continuous bool) *Server {
	return &Server{store: st, standards: standards, continuous: continuous}
}
