package market

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/allocation"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

const purchaseOrdersCollection = "purchaseOrders"

// purchaseOrders lists one processor's purchase orders, or those of every
// processor the caller may see when processorID is "": by default in the
// order they were placed.
func (s *Server) purchaseOrders(ctx context.Context, processorID string) rpc.Lister[millwa.PurchaseOrder, *millwav1.PurchaseOrder] {
	return rpc.Lister[millwa.PurchaseOrder, *millwav1.PurchaseOrder]{
		Spec: millwa.ListSpec{
			Filter: map[string]millwa.FieldKind{
				"state": millwa.EnumField, "quality_group": millwa.StringField, "colour": millwa.StringField,
				"breed": millwa.StringField, "standard": millwa.StringField, "bid_price_per_kg": millwa.IntField,
				"quantity_grams": millwa.IntField, "create_time": millwa.TimeField, "expire_time": millwa.TimeField,
			},
			EqualOnly:    []string{"quality_group", "colour", "breed", "standard"},
			Order:        []string{"create_time", "expire_time", "bid_price_per_kg"},
			DefaultOrder: []millwa.OrderTerm{{Field: "create_time"}},
		},
		Refine: func(_ millwa.Principal, q *millwa.ListQuery) error {
			for i, c := range q.Conditions {
				switch c.Field {
				case "state":
					st, ok := millwa.ParsePurchaseOrderState(c.Str)
					if !ok {
						return millwa.FilterError("state takes OPEN, PARTIALLY_FILLED, FILLED, CANCELLED or EXPIRED")
					}
					q.Conditions[i].Str = string(st)
				case "standard":
					q.Conditions[i].Str = strings.TrimPrefix(c.Str, "standards/")
				}
			}
			return nil
		},
		Read: func(ctx context.Context, p millwa.Principal, q millwa.ListQuery) (millwa.Page[millwa.PurchaseOrder], error) {
			return s.store.ListPurchaseOrders(ctx, p, processorID, q)
		},
		Show: rpc.Plain(orderToProto),
	}
}

// CreatePurchaseOrder posts a processor's order to buy fibre and, with
// continuous matching, matches it at once against the lots on offer in the
// same transaction: the order returned may already be PARTIALLY_FILLED or
// FILLED.
func (s *Server) CreatePurchaseOrder(ctx context.Context, req *millwav1.CreatePurchaseOrderRequest) (*millwav1.CreatePurchaseOrderResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	ids, err := millwa.ParseName("parent", req.GetParent(), processorsCollection)
	if err != nil {
		return nil, err
	}
	o := s.orderFromProto(&vs, req.GetPurchaseOrder(), "purchase_order", ids[0], time.Now())
	if err := vs.Err(); err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, nil,
		func(tx *store.Tx) (*millwav1.CreatePurchaseOrderResponse, []rpc.Event, error) {
			proc, err := tx.GetProcessor(ctx, p, o.ProcessorID)
			if err != nil {
				return nil, nil, err
			}
			created := o
			if created.DeliveryUbigeo == "" {
				created.DeliveryUbigeo = proc.Ubigeo
			}
			if err := tx.CreatePurchaseOrder(ctx, &created); err != nil {
				return nil, nil, err
			}
			var trades []millwa.Trade
			if s.continuous {
				if trades, err = allocation.MatchOrder(ctx, tx, &created); err != nil {
					return nil, nil, err
				}
			}
			resp := &millwav1.CreatePurchaseOrderResponse{PurchaseOrder: orderToProto(&created)}
			events := append([]rpc.Event{{Resource: resp.PurchaseOrder.Name, Action: "create"}}, tradeEvents(trades)...)
			return resp, events, nil
		})
}

// GetPurchaseOrder returns one purchase order, if the caller may see it.
func (s *Server) GetPurchaseOrder(ctx context.Context, req *millwav1.GetPurchaseOrderRequest) (*millwav1.GetPurchaseOrderResponse, error) {
	o, err := rpc.Get(ctx, req.GetName(), orderCollections, func(p millwa.Principal, ids []string) (millwa.PurchaseOrder, error) {
		return readOrder(ctx, s.store, p, ids)
	})
	if err != nil {
		return nil, err
	}
	return &millwav1.GetPurchaseOrderResponse{PurchaseOrder: orderToProto(&o)}, nil
}

// orderCollections are the collections of a purchase order's name.
var orderCollections = []string{processorsCollection, purchaseOrdersCollection}

// readOrder reads, from a store or in a transaction, the purchase order
// whose name has the ids given, as p may see it: another processor's
// order answers as a missing one.
func readOrder(ctx context.Context, r interface {
	GetPurchaseOrder(context.Context, millwa.Principal, string) (millwa.PurchaseOrder, error)
}, p millwa.Principal, ids []string) (millwa.PurchaseOrder, error) {
	o, err := r.GetPurchaseOrder(ctx, p, ids[1])
	if err == nil && o.ProcessorID != ids[0] {
		err = millwa.Errorf(millwa.NotFound, "purchase order %s not found", ids[1])
	}
	return o, err
}

// ListPurchaseOrders lists one processor's purchase orders, or those of
// every processor visible to the caller with parent "processors/-".
func (s *Server) ListPurchaseOrders(ctx context.Context, req *millwav1.ListPurchaseOrdersRequest) (*millwav1.ListPurchaseOrdersResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	processorID, err := rpc.ListParent(ctx, p, req.GetParent(), processorsCollection, s.store.GetProcessor)
	if err != nil {
		return nil, err
	}
	items, next, err := s.purchaseOrders(ctx, processorID).List(ctx, p, req)
	if err != nil {
		return nil, err
	}
	return &millwav1.ListPurchaseOrdersResponse{PurchaseOrders: items, NextPageToken: next}, nil
}

// CancelPurchaseOrder withdraws an OPEN, PARTIALLY_FILLED or FILLED order
// from the market; its MATCHED trades are cancelled and their grams return
// to their lots, in the same transaction, which locks the order's books
// exclusively.
func (s *Server) CancelPurchaseOrder(ctx context.Context, req *millwav1.CancelPurchaseOrderRequest) (*millwav1.CancelPurchaseOrderResponse, error) {
	p, ids, err := rpc.Change(ctx, req, req.GetName(), orderCollections...)
	if err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, nil, func(tx *store.Tx) (*millwav1.CancelPurchaseOrderResponse, []rpc.Event, error) {
		// The books first, before the order's row: every change that
		// allocates or releases grams locks in that order.
		books, err := tx.PurchaseOrderBooks(ctx, ids[len(ids)-1])
		if err != nil {
			return nil, nil, err
		}
		if err := tx.LockBooks(ctx, books...); err != nil {
			return nil, nil, err
		}
		o, err := readOrder(ctx, tx, p, ids)
		if err != nil {
			return nil, nil, err
		}
		if err := rpc.CheckEtag(req.GetName(), req.GetEtag(), orderEtag(&o)); err != nil {
			return nil, nil, err
		}
		if err := o.CanCancel(); err != nil {
			return nil, nil, err
		}
		if err := tx.CancelPurchaseOrder(ctx, o.ID); err != nil {
			return nil, nil, err
		}
		released, err := tx.ReleaseMatchedTrades(ctx, o.ID)
		if err != nil {
			return nil, nil, err
		}
		if o, err = tx.GetPurchaseOrder(ctx, p, o.ID); err != nil {
			return nil, nil, err
		}
		if err := tx.AppendMarketEvents(ctx, millwa.OrderEvent(millwa.EventOrderCancelled, &o)); err != nil {
			return nil, nil, err
		}
		resp := &millwav1.CancelPurchaseOrderResponse{PurchaseOrder: orderToProto(&o)}
		events := []rpc.Event{{Resource: resp.PurchaseOrder.Name, Action: "cancel"}}
		for _, tr := range released {
			events = append(events, rpc.Event{Resource: millwa.TradeName(tr.ID), Action: "cancel", Region: tr.OriginUbigeo})
		}
		return resp, events, nil
	})
}

// orderFromProto validates an order of a create request: the domain's
// rules, and its codes against its standard. Violations go to vs under
// prefix.
func (s *Server) orderFromProto(vs *millwa.Violations, po *millwav1.PurchaseOrder, prefix, processorID string, now time.Time) millwa.PurchaseOrder {
	if po == nil {
		vs.Add(prefix, "is required")
		return millwa.PurchaseOrder{}
	}
	o := millwa.PurchaseOrder{
		ProcessorID:   processorID,
		QualityGroups: append([]string(nil), po.GetAcceptedQualityGroups()...),
		Colours:       append([]string(nil), po.GetAcceptedColours()...),
		Breeds:        append([]string(nil), po.GetAcceptedBreeds()...),
		QuantityGrams: po.GetQuantityGrams(), BidPricePerKg: po.GetBidPricePerKg(),
		Currency: po.GetCurrencyCode(), DeliveryUbigeo: po.GetDeliveryUbigeo(),
	}
	if po.MaxMeanFiberDiameterUm != nil {
		d := po.GetMaxMeanFiberDiameterUm()
		o.MaxMeanFibreDiameterUm = &d
	}
	if po.MinLotGrams != nil {
		g := po.GetMinLotGrams()
		o.MinLotGrams = &g
	}
	if et := po.GetExpireTime(); et != nil {
		if err := et.CheckValid(); err != nil {
			vs.Add(prefix+".expire_time", "must be a valid timestamp")
		} else {
			o.ExpireTime = et.AsTime()
		}
	}
	o.Normalize()
	o.Check(vs, prefix, now)

	st, ok := s.standards.MarketStandard(po.GetStandard())
	if !ok {
		vs.Add(prefix+".standard", "must name a standard with quality groups or fleece categories, for example standards/%s", s.standards.DefaultID())
		return o
	}
	o.Standard = st.ID
	// Under a standard of whole fleeces (NTP 231.300) the accepted groups
	// are fleece categories.
	checkCodesOf(vs, prefix+".accepted_quality_groups", o.QualityGroups, st.HasMarketCode, "a quality group or fleece category", st.ID,
		st.MarketCodes())
	checkCodesOf(vs, prefix+".accepted_colours", o.Colours, st.HasColour, "a colour code", st.ID,
		st.ColourCodes())
	checkCodesOf(vs, prefix+".accepted_breeds", o.Breeds, st.HasBreed, "a breed", st.ID,
		st.BreedCodes())
	return o
}

// checkCodesOf records a violation for each non-empty code that has is
// false for; empty and repeated codes are the domain's to report.
func checkCodesOf(vs *millwa.Violations, field string, list []string, has func(string) bool, what, standard, valid string) {
	for i, c := range list {
		if c != "" && !has(c) {
			vs.Add(fmt.Sprintf("%s[%d]", field, i), "%q is not %s of %s: %s", c, what, standard, valid)
		}
	}
}

func orderName(o *millwa.PurchaseOrder) string {
	return millwa.PurchaseOrderName(o.ProcessorID, o.ID)
}

// orderEtag is the opaque version of an order as read: its revision, and
// whether it has lapsed into EXPIRED, which changes the order without a
// write.
func orderEtag(o *millwa.PurchaseOrder) string {
	if o.State == millwa.OrderExpired {
		return millwa.Etag(o.Revision) + "x"
	}
	return millwa.Etag(o.Revision)
}

func orderToProto(o *millwa.PurchaseOrder) *millwav1.PurchaseOrder {
	p := &millwav1.PurchaseOrder{
		Name: orderName(o), Standard: "standards/" + o.Standard,
		AcceptedQualityGroups: o.QualityGroups, AcceptedColours: o.Colours, AcceptedBreeds: o.Breeds,
		MaxMeanFiberDiameterUm: o.MaxMeanFibreDiameterUm, QuantityGrams: o.QuantityGrams, MinLotGrams: o.MinLotGrams,
		BidPricePerKg: o.BidPricePerKg, CurrencyCode: o.Currency, DeliveryUbigeo: o.DeliveryUbigeo,
		State: rpc.EnumToProto[millwav1.PurchaseOrderState](millwav1.PurchaseOrderState_value, "PURCHASE_ORDER_STATE_", o.State), FilledGrams: o.FilledGrams,
		CreateTime: timestamppb.New(o.CreateTime), UpdateTime: timestamppb.New(o.UpdateTime), Etag: orderEtag(o),
	}
	if !o.ExpireTime.IsZero() {
		p.ExpireTime = timestamppb.New(o.ExpireTime)
	}
	return p
}
