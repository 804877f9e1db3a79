package market

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/allocation"
	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

const purchaseOrdersCollection = "purchaseOrders"

var orderStates = map[millwa.PurchaseOrderState]millwav1.PurchaseOrderState{
	millwa.OrderOpen:            millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_OPEN,
	millwa.OrderPartiallyFilled: millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_PARTIALLY_FILLED,
	millwa.OrderFilled:          millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_FILLED,
	millwa.OrderCancelled:       millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_CANCELLED,
	millwa.OrderExpired:         millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_EXPIRED,
}

// purchaseOrderList is what ListPurchaseOrders filters and orders by; the
// default is the order they were placed in.
var purchaseOrderList = millwa.ListSpec{
	Filter: map[string]millwa.FieldKind{
		"state": millwa.EnumField, "quality_group": millwa.StringField, "colour": millwa.StringField,
		"breed": millwa.StringField, "standard": millwa.StringField, "bid_price_per_kg": millwa.IntField,
		"quantity_grams": millwa.IntField, "create_time": millwa.TimeField, "expire_time": millwa.TimeField,
	},
	Order:        []string{"create_time", "expire_time", "bid_price_per_kg"},
	DefaultOrder: []millwa.OrderTerm{{Field: "create_time"}},
}

// CreatePurchaseOrder posts a processor's order to buy fibre and, with
// continuous matching, matches it at once against the lots on offer in the
// same transaction: the order returned may already be PARTIALLY_FILLED or
// FILLED.
func (s *Server) CreatePurchaseOrder(ctx context.Context, req *millwav1.CreatePurchaseOrderRequest) (*millwav1.CreatePurchaseOrderResponse, error) {
	p, err := auth.Require(ctx)
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
	return rpc.Do(ctx, s.store, req, func() *millwav1.CreatePurchaseOrderResponse { return &millwav1.CreatePurchaseOrderResponse{} },
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
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := millwa.ParseName("name", req.GetName(), processorsCollection, purchaseOrdersCollection)
	if err != nil {
		return nil, err
	}
	o, err := s.store.GetPurchaseOrder(ctx, p, ids[1])
	if err == nil && o.ProcessorID != ids[0] {
		err = millwa.Errorf(millwa.NotFound, "purchase order %s not found", ids[1])
	}
	if err != nil {
		return nil, err
	}
	return &millwav1.GetPurchaseOrderResponse{PurchaseOrder: orderToProto(&o)}, nil
}

// ListPurchaseOrders lists one processor's purchase orders, or those of
// every processor visible to the caller with parent "processors/-".
func (s *Server) ListPurchaseOrders(ctx context.Context, req *millwav1.ListPurchaseOrdersRequest) (*millwav1.ListPurchaseOrdersResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	processorID := ""
	if req.GetParent() != processorsCollection+"/-" {
		ids, err := millwa.ParseName("parent", req.GetParent(), processorsCollection)
		if err != nil {
			return nil, err
		}
		if _, err := s.store.GetProcessor(ctx, p, ids[0]); err != nil {
			return nil, err
		}
		processorID = ids[0]
	}
	lr := millwa.ListRequest{Parent: req.GetParent(), PageSize: req.GetPageSize(), PageToken: req.GetPageToken(), Filter: req.GetFilter(), OrderBy: req.GetOrderBy()}
	q, err := millwa.ParseList(lr, purchaseOrderList)
	if err != nil {
		return nil, err
	}
	if err := q.EqualOnly("quality_group", "colour", "breed", "standard"); err != nil {
		return nil, err
	}
	for i, c := range q.Conditions {
		switch c.Field {
		case "state":
			st, ok := millwa.ParsePurchaseOrderState(c.Str)
			if !ok {
				return nil, millwa.FilterError("state takes OPEN, PARTIALLY_FILLED, FILLED, CANCELLED or EXPIRED")
			}
			q.Conditions[i].Str = string(st)
		case "standard":
			q.Conditions[i].Str = strings.TrimPrefix(c.Str, "standards/")
		}
	}
	page, err := s.store.ListPurchaseOrders(ctx, p, processorID, q)
	if err != nil {
		return nil, err
	}
	resp := &millwav1.ListPurchaseOrdersResponse{
		PurchaseOrders: make([]*millwav1.PurchaseOrder, len(page.Items)),
		NextPageToken:  lr.NextPageToken(page.Next),
	}
	for i := range page.Items {
		resp.PurchaseOrders[i] = orderToProto(&page.Items[i])
	}
	return resp, nil
}

// CancelPurchaseOrder withdraws an OPEN, PARTIALLY_FILLED or FILLED order
// from the market; its MATCHED trades are cancelled and their grams return
// to their lots, in the same transaction under the market lock.
func (s *Server) CancelPurchaseOrder(ctx context.Context, req *millwav1.CancelPurchaseOrderRequest) (*millwav1.CancelPurchaseOrderResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	ids, err := millwa.ParseName("name", req.GetName(), processorsCollection, purchaseOrdersCollection)
	if err != nil {
		return nil, err
	}
	if err := vs.Err(); err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, func() *millwav1.CancelPurchaseOrderResponse { return &millwav1.CancelPurchaseOrderResponse{} },
		func(tx *store.Tx) (*millwav1.CancelPurchaseOrderResponse, []rpc.Event, error) {
			if err := tx.LockMarket(ctx); err != nil {
				return nil, nil, err
			}
			o, err := tx.GetPurchaseOrder(ctx, p, ids[1])
			if err == nil && o.ProcessorID != ids[0] {
				err = millwa.Errorf(millwa.NotFound, "purchase order %s not found", ids[1])
			}
			if err != nil {
				return nil, nil, err
			}
			if e := req.GetEtag(); e != "" && e != orderEtag(&o) {
				return nil, nil, millwa.Errorf(millwa.Aborted, "%s changed since etag %q was read: read it again", req.GetName(), e)
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

	st, ok := s.standards.GradingStandard(po.GetStandard())
	if !ok {
		vs.Add(prefix+".standard", "must name a standard with quality groups, for example standards/%s", s.standards.DefaultID())
		return o
	}
	o.Standard = st.ID
	checkCodesOf(vs, prefix+".accepted_quality_groups", o.QualityGroups, st.HasGroup, "a quality group", st.ID,
		st.GroupCodes())
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
	return processorsCollection + "/" + o.ProcessorID + "/" + purchaseOrdersCollection + "/" + o.ID
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
		State: orderStates[o.State], FilledGrams: o.FilledGrams,
		CreateTime: timestamppb.New(o.CreateTime), UpdateTime: timestamppb.New(o.UpdateTime), Etag: orderEtag(o),
	}
	if !o.ExpireTime.IsZero() {
		p.ExpireTime = timestamppb.New(o.ExpireTime)
	}
	return p
}
