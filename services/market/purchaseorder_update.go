package market

import (
	"context"
	"time"

	"github.com/millwa/millwa/internal/allocation"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// orderMask is what UpdatePurchaseOrder may change: the terms a processor
// offers, never what it buys.
var orderMask = rpc.Mask{
	Updatable:  []string{"bid_price_per_kg", "quantity_grams", "expire_time"},
	OutputOnly: []string{"state", "filled_grams", "create_time", "update_time"},
}

// UpdatePurchaseOrder corrects a live order's bid, quantity and expiry
// and, with continuous matching, matches it again at once as
// CreatePurchaseOrder matches a new order. It locks the order's books
// exclusively, as a cancellation does.
func (s *Server) UpdatePurchaseOrder(ctx context.Context, req *millwav1.UpdatePurchaseOrderRequest) (*millwav1.UpdatePurchaseOrderResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	in := req.GetPurchaseOrder()
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	if in == nil {
		vs.Add("purchase_order", "is required: the order with its name and the fields to change")
		return nil, vs.Err()
	}
	ids, err := millwa.ParseName("purchase_order.name", in.GetName(), orderCollections...)
	if err != nil {
		rpc.AddViolations(&vs, err)
	}
	paths := orderMask.Paths(&vs, "purchase_order", in, req.GetUpdateMask())
	if err := vs.Err(); err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, nil, func(tx *store.Tx) (*millwav1.UpdatePurchaseOrderResponse, []rpc.Event, error) {
		o, err := s.correctOrder(ctx, tx, p, ids, in, paths)
		if err != nil {
			return nil, nil, err
		}
		var trades []millwa.Trade
		if o.State == millwa.OrderFilled {
			// Lowered to what it already holds: the market sees it filled.
			err = tx.AppendMarketEvents(ctx, millwa.OrderEvent(millwa.EventOrderFilled, &o))
		} else if s.continuous {
			trades, err = allocation.MatchOrder(ctx, tx, &o)
		}
		if err != nil {
			return nil, nil, err
		}
		resp := &millwav1.UpdatePurchaseOrderResponse{PurchaseOrder: orderToProto(&o)}
		events := append([]rpc.Event{{Resource: resp.PurchaseOrder.Name, Action: "update"}}, tradeEvents(trades)...)
		return resp, events, nil
	})
}

// correctOrder locks the books of the order whose name has the ids given,
// then the order as p may see it, checks the etag of in and that the order
// is live, and writes the order that in's paths make of it, which it
// answers.
func (s *Server) correctOrder(ctx context.Context, tx *store.Tx, p millwa.Principal, ids []string, in *millwav1.PurchaseOrder,
	paths rpc.Paths) (millwa.PurchaseOrder, error) {
	// The books first, before the order's row, as every change that
	// allocates or releases grams.
	books, err := tx.PurchaseOrderBooks(ctx, ids[1])
	if err != nil {
		return millwa.PurchaseOrder{}, err
	}
	if err := tx.LockBooks(ctx, books...); err != nil {
		return millwa.PurchaseOrder{}, err
	}
	o, err := readOrder(ctx, tx, p, ids)
	if err != nil {
		return millwa.PurchaseOrder{}, err
	}
	if err := rpc.CheckEtag(in.GetName(), in.GetEtag(), orderEtag(&o)); err != nil {
		return millwa.PurchaseOrder{}, err
	}
	if !o.State.Live() {
		e := millwa.Errorf(millwa.FailedPrecondition, "the purchase order is %s: only an OPEN or PARTIALLY_FILLED order can be corrected; place a new one", o.State)
		e.Reason = "PURCHASE_ORDER_NOT_UPDATABLE"
		return millwa.PurchaseOrder{}, e
	}
	next, err := s.revisedOrder(&o, in, paths)
	if err != nil {
		return millwa.PurchaseOrder{}, err
	}
	return next, tx.UpdatePurchaseOrder(ctx, &next)
}

// revisedOrder applies the request's order, in, to o and checks the result
// as CreatePurchaseOrder checks a new order, and that its quantity is not
// below what is already filled. Violations answer Invalid.
func (s *Server) revisedOrder(o *millwa.PurchaseOrder, in *millwav1.PurchaseOrder, paths rpc.Paths) (millwa.PurchaseOrder, error) {
	var vs millwa.Violations
	cur := orderToProto(o)
	paths.Apply(&vs, "purchase_order", cur, in)
	next := s.orderFromProto(&vs, cur, "purchase_order", o.ProcessorID, time.Now())
	if next.QuantityGrams < o.FilledGrams {
		vs.Add("purchase_order.quantity_grams", "must be at least the %d g already filled; to buy no more, cancel the order", o.FilledGrams)
	}
	if err := vs.Err(); err != nil {
		return millwa.PurchaseOrder{}, err
	}
	next.ID, next.State, next.FilledGrams, next.Revision, next.CreateTime = o.ID, o.State, o.FilledGrams, o.Revision, o.CreateTime
	return next, nil
}
