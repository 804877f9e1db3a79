package registry

import (
	"context"
	"fmt"
	"slices"

	"github.com/millwa/millwa/internal/allocation"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// lotMask is what UpdateLot may change: on the market, the ask and what
// the label shows (lotLabelFields); while nothing is allocated, also what a
// trade depends on (lotTradeFields). The standard, campaign, classifier,
// currency and sources stay as created.
var lotMask = rpc.Mask{
	Updatable: append(append([]string(nil), lotLabelFields...), lotTradeFields...),
	OutputOnly: []string{"market_quality_group", "market_quality_group_name", "measured_grade", "discrepancy",
		"discrepancy_explanation", "state", "allocated_grams", "ubigeo", "create_time", "update_time"},
}

var (
	// lotLabelFields change the price or the label, never what was sold.
	lotLabelFields = []string{"ask_price_per_kg", "lot_number", "collection_point", "classification_date"}
	// lotTradeFields are what a buyer's trade depends on: the fibre and
	// its weight.
	lotTradeFields = []string{"breed", "colour", "declared_quality_group", "measurement", "net_weight_grams", "contributions"}
	// lotReceiptFields are what a lot built from receipts takes from them.
	lotReceiptFields = []string{"breed", "colour", "declared_quality_group", "net_weight_grams", "contributions"}
)

// UpdateLot corrects a lot on the market and, with continuous matching,
// matches it again as CreateLot matches a new lot.
func (s *Server) UpdateLot(ctx context.Context, req *millwav1.UpdateLotRequest) (*millwav1.UpdateLotResponse, error) {
	in := req.GetLot()
	// next is the corrected lot last tried, whose number, if taken, the
	// answer names the holder of once the transaction has rolled back.
	var next millwa.Lot
	resp, err := update(ctx, s, req, "lot", in, req.GetUpdateMask(), lotMask, lotCollections,
		func(tx *store.Tx, _ millwa.Association, ids []string, paths rpc.Paths) (*millwav1.UpdateLotResponse, []rpc.Event, error) {
			l, err := lockLot(ctx, tx, ids, in.GetName())
			if err != nil {
				return nil, nil, err
			}
			if err := rpc.CheckEtag(in.GetName(), in.GetEtag(), millwa.Etag(l.Revision)); err != nil {
				return nil, nil, err
			}
			if err := canUpdateLot(&l, paths); err != nil {
				return nil, nil, err
			}
			next, err = s.revisedLot(ctx, tx, &l, in, paths)
			if err != nil {
				return nil, nil, err
			}
			if b := store.LotBook(&next); b != store.LotBook(&l) {
				// A new market group: its book too, before the lot moves
				// there (out of the global order; a rare cycle is a
				// deadlock the transaction is retried after).
				if err := tx.ShareBooks(ctx, b); err != nil {
					return nil, nil, err
				}
			}
			if err := tx.UpdateLot(ctx, &next, paths.Changed("contributions")); err != nil {
				return nil, nil, err
			}
			pl, trades, err := s.rematchLot(ctx, tx, l.ID)
			// The trades the new terms made are audited beside the update.
			return &millwav1.UpdateLotResponse{Lot: pl}, lotEvents(nil, trades), err
		})
	if err != nil {
		return nil, s.nameNumberHolder(ctx, err, []millwa.Lot{next}, []string{"lot"})
	}
	return resp, nil
}

// lockLot reads, with its sources, the lot whose name (given) has the ids
// given, as the caller may see it, after sharing its book: no order or
// clearing allocates it, at its old terms, until the transaction ends. A
// lot that left the book meanwhile answers Aborted.
func lockLot(ctx context.Context, tx *store.Tx, ids []string, name string) (millwa.Lot, error) {
	books, err := tx.LotBooks(ctx, ids[1])
	if err != nil {
		return millwa.Lot{}, err
	}
	if err := tx.ShareBooks(ctx, books...); err != nil {
		return millwa.Lot{}, err
	}
	l, err := readLot(ctx, tx, rpc.Principal(ctx), ids)
	if err != nil {
		return millwa.Lot{}, err
	}
	if !slices.Contains(books, store.LotBook(&l)) {
		return millwa.Lot{}, millwa.Errorf(millwa.Aborted, "%s changed while it was being corrected: read it again", name)
	}
	lots := []millwa.Lot{l}
	err = tx.LoadLotSources(ctx, lots)
	return lots[0], err
}

// rematchLot reads the lot with the given id as corrected and, with
// continuous matching and grams left, matches it against the live orders
// as a new lot; it answers the lot in the API's form and the trades made.
func (s *Server) rematchLot(ctx context.Context, tx *store.Tx, id string) (*millwav1.Lot, []millwa.Trade, error) {
	l, err := tx.GetLot(ctx, rpc.Principal(ctx), id)
	if err != nil {
		return nil, nil, err
	}
	var trades []millwa.Trade
	if s.continuous && l.AllocatedGrams < l.NetWeightGrams {
		if trades, err = allocation.MatchLots(ctx, tx, []*millwa.Lot{&l}); err != nil {
			return nil, nil, err
		}
	}
	lots := []millwa.Lot{l}
	if err := tx.LoadLotSources(ctx, lots); err != nil {
		return nil, nil, err
	}
	pl, err := s.lotToProto(&lots[0], true)
	return pl, trades, err
}

// canUpdateLot returns FailedPrecondition when the paths may not change
// the lot as it stands: off the market, a field a trade depends on while
// grams are allocated, or a field its receipts decide.
func canUpdateLot(l *millwa.Lot, paths rpc.Paths) error {
	if l.State != millwa.LotAvailable && l.State != millwa.LotAllocated {
		return withReason(millwa.Errorf(millwa.FailedPrecondition, "the lot is %s: only a lot on the market (AVAILABLE or ALLOCATED) can be corrected", l.State), "LOT_NOT_UPDATABLE")
	}
	if l.AllocatedGrams > 0 && paths.Changed(lotTradeFields...) {
		return withReason(millwa.Errorf(millwa.FailedPrecondition, "the lot has %d g allocated to trades: its breed, colour, declared group, measurement, weight and contributions change only while nothing is allocated", l.AllocatedGrams), "LOT_ALLOCATED")
	}
	if len(l.Sources) > 0 && paths.Changed(lotReceiptFields...) {
		return withReason(millwa.Errorf(millwa.FailedPrecondition, "the lot is built from receipts, which decide its breed, colour, declared group, weight and contributions: withdraw it and create it again from the right receipts"), "LOT_FROM_RECEIPTS")
	}
	return nil
}

// withReason sets e's stable reason.
func withReason(e *millwa.Error, reason string) *millwa.Error {
	e.Reason = reason
	return e
}

// revisedLot applies the request's lot, in, to l and checks and grades the
// result as CreateLot does a new lot, with the members of new
// contributions checked in the transaction. Violations answer Invalid.
func (s *Server) revisedLot(ctx context.Context, tx *store.Tx, l *millwa.Lot, in *millwav1.Lot, paths rpc.Paths) (millwa.Lot, error) {
	cur, err := s.lotToProto(l, true)
	if err != nil {
		return millwa.Lot{}, err
	}
	if len(cur.Sources) > 0 {
		// Derived from the sources; a request gives one or the other.
		cur.Contributions = nil
	}
	if cur.Measurement != nil {
		// The measurement's breed is the lot's unless the client says.
		cur.Measurement.Breed = ""
	}
	var vs millwa.Violations
	paths.Apply(&vs, "lot", cur, in)
	next := s.lotFromProto(&vs, cur, "lot", l.AssociationID)
	if paths.Changed("contributions") && len(vs) == 0 {
		memberIDs := make([]string, len(next.Contributions))
		for i, c := range next.Contributions {
			memberIDs[i] = c.MemberID
		}
		missing, err := tx.MissingMembers(ctx, l.AssociationID, memberIDs)
		if err != nil {
			return millwa.Lot{}, err
		}
		for i, c := range next.Contributions {
			if slices.Contains(missing, c.MemberID) {
				vs.Add(fmt.Sprintf("lot.contributions[%d].member", i), "is not a member of associations/%s: register them first", l.AssociationID)
			}
		}
	}
	if err := vs.Err(); err != nil {
		return millwa.Lot{}, err
	}
	next.ID, next.State, next.AllocatedGrams, next.Ubigeo = l.ID, l.State, l.AllocatedGrams, l.Ubigeo
	next.Revision, next.CreateTime, next.Sources = l.Revision, l.CreateTime, l.Sources
	if len(l.Sources) > 0 {
		next.Contributions = l.Contributions
	}
	return next, nil
}
