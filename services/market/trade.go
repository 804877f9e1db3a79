package market

import (
	"context"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

const tradesCollection = "trades"

// trades lists the trades the caller may see: by default newest first.
func (s *Server) trades() rpc.Lister[millwa.Trade, *millwav1.Trade] {
	return rpc.Lister[millwa.Trade, *millwav1.Trade]{
		Spec: millwa.ListSpec{
			Filter: map[string]millwa.FieldKind{
				"state": millwa.EnumField, "purchase_order": millwa.StringField, "lot": millwa.StringField,
				"association": millwa.StringField, "processor": millwa.StringField, "clearing_id": millwa.StringField,
				"quality_group": millwa.StringField, "colour": millwa.StringField, "breed": millwa.StringField,
				"region": millwa.StringField, "create_time": millwa.TimeField, "confirm_time": millwa.TimeField,
			},
			EqualOnly:    []string{"purchase_order", "lot", "association", "processor", "clearing_id", "region"},
			Order:        []string{"create_time", "update_time", "price_per_kg", "grams"},
			DefaultOrder: []millwa.OrderTerm{{Field: "create_time", Desc: true}},
		},
		Refine: func(_ millwa.Principal, q *millwa.ListQuery) error {
			for i, c := range q.Conditions {
				if c.Field == "state" {
					st, ok := millwa.ParseTradeState(c.Str)
					if !ok {
						return millwa.FilterError("state takes MATCHED, CONFIRMED, DELIVERED, PAID, CANCELLED or DECLINED")
					}
					q.Conditions[i].Str = string(st)
				}
			}
			return rpc.FilterNames(q, map[string][]string{
				"purchase_order": orderCollections,
				"lot":            {"associations", "lots"},
				"association":    {"associations"},
				"processor":      {processorsCollection},
			})
		},
		Read: s.store.ListTrades,
		Show: rpc.Plain(tradeToProto),
	}
}

// ListTrades lists the trades the caller may see.
func (s *Server) ListTrades(ctx context.Context, req *millwav1.ListTradesRequest) (*millwav1.ListTradesResponse, error) {
	items, next, err := s.trades().Serve(ctx, req)
	if err != nil {
		return nil, err
	}
	return &millwav1.ListTradesResponse{Trades: items, NextPageToken: next}, nil
}

// GetTrade returns one trade, with payouts for those who may see them.
func (s *Server) GetTrade(ctx context.Context, req *millwav1.GetTradeRequest) (*millwav1.GetTradeResponse, error) {
	tr, err := rpc.GetByID(ctx, req.GetName(), tradesCollection, s.store.GetTrade)
	if err != nil {
		return nil, err
	}
	return &millwav1.GetTradeResponse{Trade: tradeToProto(&tr)}, nil
}

// ConfirmTrade records the caller's side's confirmation of a MATCHED
// trade.
func (s *Server) ConfirmTrade(ctx context.Context, req *millwav1.ConfirmTradeRequest) (*millwav1.ConfirmTradeResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	side := millwa.SideAssociation
	switch p.Role {
	case millwa.RoleAssociation:
	case millwa.RoleProcessor:
		side = millwa.SideProcessor
	default:
		return nil, millwa.Errorf(millwa.PermissionDenied, "only the parties to a trade confirm it: use the association's or the processor's key")
	}
	return changeTrade[*millwav1.ConfirmTradeResponse](ctx, s, req, req.GetName(), req.GetEtag(), millwa.EventTradeConfirmed, "confirm", nil,
		func(tx *store.Tx, tr *millwa.Trade, now time.Time) error {
			o, err := tx.GetPurchaseOrder(ctx, store.SystemPrincipal, tr.PurchaseOrderID)
			if err != nil {
				return err
			}
			if o.State == millwa.OrderExpired || o.State == millwa.OrderCancelled {
				return millwa.Reasonf(millwa.FailedPrecondition, "PURCHASE_ORDER_CLOSED",
					"the trade's purchase order is %s: its unconfirmed trades are being cancelled", o.State)
			}
			return tr.Confirm(side, now)
		})
}

// RecordDelivery records the weighed grams of a CONFIRMED trade.
func (s *Server) RecordDelivery(ctx context.Context, req *millwav1.RecordDeliveryRequest) (*millwav1.RecordDeliveryResponse, error) {
	if _, err := rpc.Require(ctx); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	var weigh time.Time
	switch wt := req.GetWeighTime(); {
	case wt == nil:
		vs.Add("weigh_time", "is required: when the fibre was weighed")
	case wt.CheckValid() != nil:
		vs.Add("weigh_time", "must be a valid timestamp")
	default:
		weigh = wt.AsTime().UTC().Truncate(time.Microsecond)
	}
	if req.GetDeliveredGrams() < 1 {
		vs.Add("delivered_grams", "must be at least 1 gram; got %d", req.GetDeliveredGrams())
	}
	return changeTrade[*millwav1.RecordDeliveryResponse](ctx, s, req, req.GetName(), req.GetEtag(), millwa.EventTradeDelivered, "deliver", &vs,
		func(tx *store.Tx, tr *millwa.Trade, now time.Time) error {
			var more millwa.Violations
			tr.CheckDelivery(&more, req.GetDeliveredGrams(), weigh, now)
			if err := more.Err(); err != nil {
				return err
			}
			return tr.Deliver(req.GetDeliveredGrams(), weigh, now)
		})
}

// RecordPayment records one payment towards a DELIVERED trade and splits
// it among the members; the trade becomes PAID when its payments reach the
// amount due. A payment over what is outstanding is refused.
func (s *Server) RecordPayment(ctx context.Context, req *millwav1.RecordPaymentRequest) (*millwav1.RecordPaymentResponse, error) {
	if _, err := rpc.Require(ctx); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	ref := req.GetPaymentReference()
	if n := utf8.RuneCountInString(ref); n < 1 || n > millwa.MaxPaymentReference || !utf8.ValidString(ref) {
		vs.Add("payment_reference", "must be 1 to %d characters: the bank operation number or similar", millwa.MaxPaymentReference)
	}
	if req.GetPaidAmount() < 1 {
		vs.Add("paid_amount", "must be at least 1 minor unit, at most what is outstanding; got %d", req.GetPaidAmount())
	}
	return changeTrade[*millwav1.RecordPaymentResponse](ctx, s, req, req.GetName(), req.GetEtag(), millwa.EventTradePaid, "pay", &vs,
		func(tx *store.Tx, tr *millwa.Trade, now time.Time) error {
			pending, err := tx.PendingClaim(ctx, tr.ID)
			if err != nil {
				return err
			}
			if pending {
				return millwa.Reasonf(millwa.FailedPrecondition, "CLAIM_PENDING",
					"the trade has a quality claim OPEN or REFERRED: payment waits until it is answered")
			}
			contributions, err := tx.LotContributions(ctx, tr.LotID)
			if err != nil {
				return err
			}
			return tr.Pay(req.GetPaidAmount(), ref, contributions, now)
		})
}

// changeTrade runs one step of a trade's life: it validates the request,
// then in one transaction that locks the trade's book reads the trade locked as
// the caller may see it, checks the etag, applies step, writes the trade,
// records the market event and the audit event, and answers the trade as
// the caller may see it, in a response of type Resp (tradeResponse).
func changeTrade[Resp proto.Message](ctx context.Context, s *Server, req rpc.Request, name, etag string, event millwa.MarketEventType, action string,
	vs *millwa.Violations, step func(tx *store.Tx, tr *millwa.Trade, now time.Time) error) (Resp, error) {
	return changeTradeThen[Resp](ctx, s, req, name, etag, tradeChange{event: event, action: action, step: step}, vs)
}

// tradeChange is one step of a trade's life as changeTradeThen runs it.
type tradeChange struct {
	// event and action are the market event and the audit action of the
	// step.
	event  millwa.MarketEventType
	action string
	// step changes the trade, which the caller read locked.
	step func(tx *store.Tx, tr *millwa.Trade, now time.Time) error
	// orderBooks locks the books of the trade's purchase order with the
	// trade's, for a step that gives grams back to the order and may
	// match it again.
	orderBooks bool
	// after, when set, runs once the trade and its event are written, and
	// returns the audit events of what it did.
	after func(tx *store.Tx, tr *millwa.Trade) ([]rpc.Event, error)
}

// changeTradeThen is changeTrade for any tradeChange.
func changeTradeThen[Resp proto.Message](ctx context.Context, s *Server, req rpc.Request, name, etag string, c tradeChange,
	vs *millwa.Violations) (Resp, error) {
	var zero Resp
	p := rpc.Principal(ctx)
	if vs == nil {
		vs = &millwa.Violations{}
	}
	millwa.CheckRequestID(vs, req.GetRequestId())
	ids, err := millwa.ParseName("name", name, tradesCollection)
	if err != nil {
		return zero, err
	}
	if err := vs.Err(); err != nil {
		return zero, err
	}
	return rpc.Do(ctx, s.store, req, nil,
		func(tx *store.Tx) (Resp, []rpc.Event, error) {
			tr, err := lockTrade(ctx, tx, p, ids[0], c.orderBooks)
			if err != nil {
				return zero, nil, err
			}
			if err := rpc.CheckEtag(name, etag, millwa.Etag(tr.Revision)); err != nil {
				return zero, nil, err
			}
			if err := c.step(tx, &tr, time.Now().UTC().Truncate(time.Microsecond)); err != nil {
				return zero, nil, err
			}
			if err := tx.UpdateTrade(ctx, &tr); err != nil {
				return zero, nil, err
			}
			full, audit, err := c.record(ctx, tx, &tr)
			if err != nil {
				return zero, nil, err
			}
			if p.Role == millwa.RoleProcessor {
				full.Payouts = nil
			}
			return tradeResponse[Resp](tradeToProto(&full)), audit, nil
		})
}

// lockTrade locks the trade's book (and with orderBooks its purchase
// order's books), then reads the trade locked as p may see it. The books
// come first, before the trade's row: a payment that sells the lot must
// see the lot's other trades as they stand, and every change to a book
// locks in that order.
func lockTrade(ctx context.Context, tx *store.Tx, p millwa.Principal, id string, orderBooks bool) (millwa.Trade, error) {
	books, err := tx.TradeBooks(ctx, id)
	if err != nil {
		return millwa.Trade{}, err
	}
	if orderBooks {
		more, err := tx.TradeOrderBooks(ctx, id)
		if err != nil {
			return millwa.Trade{}, err
		}
		books = append(books, more...)
	}
	if err := tx.LockBooks(ctx, books...); err != nil {
		return millwa.Trade{}, err
	}
	return tx.GetTrade(ctx, p, id)
}

// record writes the market event of the change to tr, just written, and
// runs c.after; it returns the trade as its parties see it (read back,
// with the payouts' member names, once it has payments) and the audit
// events of the change.
func (c tradeChange) record(ctx context.Context, tx *store.Tx, tr *millwa.Trade) (millwa.Trade, []rpc.Event, error) {
	full := *tr
	if tr.PaidAmount > 0 {
		var err error
		if full, err = tx.GetTrade(ctx, store.SystemPrincipal, tr.ID); err != nil {
			return full, nil, err
		}
	}
	// A payment short of the amount due leaves the trade DELIVERED:
	// TRADE_PAID is for the payment that completes it.
	if c.event != millwa.EventTradePaid || tr.State == millwa.TradePaid {
		if err := tx.AppendMarketEvents(ctx, millwa.TradeEvent(c.event, &full)); err != nil {
			return full, nil, err
		}
	}
	audit := []rpc.Event{{Resource: millwa.TradeName(tr.ID), Action: c.action, Region: tr.OriginUbigeo}}
	if c.after == nil {
		return full, audit, nil
	}
	more, err := c.after(tx, tr)
	return full, append(audit, more...), err
}

// tradeResponse is the answer of type R, one of the responses whose one
// field is the trade, holding tr.
func tradeResponse[R proto.Message](tr *millwav1.Trade) R {
	var zero R
	m := zero.ProtoReflect().Type().New()
	m.Set(m.Descriptor().Fields().ByName("trade"), protoreflect.ValueOfMessage(tr.ProtoReflect()))
	return m.Interface().(R)
}

func tradeToProto(tr *millwa.Trade) *millwav1.Trade {
	p := &millwav1.Trade{
		Name:           millwa.TradeName(tr.ID),
		PurchaseOrder:  millwa.PurchaseOrderName(tr.ProcessorID, tr.PurchaseOrderID),
		Lot:            millwa.LotName(tr.AssociationID, tr.LotID),
		Association:    "associations/" + tr.AssociationID,
		Processor:      processorsCollection + "/" + tr.ProcessorID,
		Standard:       "standards/" + tr.Standard,
		QualityGroup:   tr.QualityGroup,
		Colour:         tr.Colour,
		Breed:          tr.Breed,
		OriginUbigeo:   tr.OriginUbigeo,
		Grams:          tr.Grams,
		BidPricePerKg:  tr.BidPricePerKg,
		AskPricePerKg:  tr.AskPricePerKg,
		PricePerKg:     tr.PricePerKg,
		CurrencyCode:   tr.Currency,
		AmountDue:      tr.AmountDue,
		State:          rpc.EnumToProto[millwav1.TradeState](millwav1.TradeState_value, "TRADE_STATE_", tr.State),
		DeliveredGrams: tr.DeliveredGrams,
		PaidAmount:     tr.PaidAmount,

		PaymentReference:       tr.PaymentReference,
		AssociationConfirmTime: rpc.Timestamp(tr.AssociationConfirmTime),
		ProcessorConfirmTime:   rpc.Timestamp(tr.ProcessorConfirmTime),
		ConfirmTime:            rpc.Timestamp(tr.ConfirmTime),
		WeighTime:              rpc.Timestamp(tr.WeighTime),
		DeliverTime:            rpc.Timestamp(tr.DeliverTime),
		PayTime:                rpc.Timestamp(tr.PayTime),
		CancelTime:             rpc.Timestamp(tr.CancelTime),
		ClearingId:             tr.ClearingID,
		CreateTime:             timestamppb.New(tr.CreateTime),
		UpdateTime:             timestamppb.New(tr.UpdateTime),
		Etag:                   millwa.Etag(tr.Revision),
		LotNumber:              tr.LotNumber,
		AssociationDisplayName: tr.AssociationName,
		ProcessorDisplayName:   tr.ProcessorName,
		DeclineReason:          tr.DeclineReason,
		DeclineTime:            rpc.Timestamp(tr.DeclineTime),
	}
	for _, po := range tr.Payouts {
		p.Payouts = append(p.Payouts, &millwav1.Payout{
			Member:            "associations/" + tr.AssociationID + "/members/" + po.MemberID,
			MemberDisplayName: po.MemberDisplayName, Grams: po.Grams, Amount: po.Amount,
		})
	}
	return p
}
