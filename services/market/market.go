// Package market implements millwa.v1.MarketService: processors and their
// purchase orders. Clearing, trades, payouts, market statistics and
// WatchMarket are not built yet and answer Unimplemented through the
// embedded type. It converts between proto messages and domain types and
// leaves validation rules to internal/millwa and persistence to
// internal/store.
package market

import (
	"strconv"

	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/millwa"
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

// etag is the opaque version tag of a resource at a revision.
func etag(revision int64) string {
	return "r" + strconv.FormatInt(revision, 10)
}

// equalOnly refuses conditions other than = on the given fields.
func equalOnly(q millwa.ListQuery, fields ...string) error {
	for _, c := range q.Conditions {
		for _, f := range fields {
			if c.Field == f && c.Op != millwa.OpEq {
				return millwa.FilterError("%s takes = only", f)
			}
		}
	}
	return nil
}
