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

// DeclineTrade records the association's refusal of a MATCHED trade: the
// trade becomes DECLINED with the reason, its grams go back to the lot and
// the order, and that pair is never matched again. With continuous
// matching the lot's freed grams and the order's are matched again at
// once, in the same transaction.
func (s *Server) DeclineTrade(ctx context.Context, req *millwav1.DeclineTradeRequest) (*millwav1.DeclineTradeResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	if p.Role != millwa.RoleAssociation && p.Role != millwa.RoleAdmin {
		return nil, millwa.Errorf(millwa.PermissionDenied, "only the association of the trade's lot declines it: use the association's key")
	}
	var vs millwa.Violations
	reason := millwa.CheckDeclineReason(&vs, "reason", req.GetReason())
	return changeTradeThen[*millwav1.DeclineTradeResponse](ctx, s, req, req.GetName(), req.GetEtag(), tradeChange{
		event: millwa.EventTradeDeclined, action: "decline", orderBooks: true,
		step: func(tx *store.Tx, tr *millwa.Trade, now time.Time) error {
			if err := tr.Decline(reason, now); err != nil {
				return err
			}
			return tx.ReturnDeclinedGrams(ctx, tr, now)
		},
		after: func(tx *store.Tx, tr *millwa.Trade) ([]rpc.Event, error) {
			if !s.continuous {
				return nil, nil
			}
			return rematch(ctx, tx, tr)
		},
	}, &vs)
}

// rematch runs continuous matching again after tr was declined, inside
// its transaction, which holds the books of its lot and its order: first
// the lot's freed grams against the live orders, then the order against
// the lots on offer, neither ever with the other (the declined pair is
// excluded). It returns the audit events of the trades made.
func rematch(ctx context.Context, tx *store.Tx, tr *millwa.Trade) ([]rpc.Event, error) {
	l, err := tx.GetLot(ctx, store.SystemPrincipal, tr.LotID)
	if err != nil {
		return nil, err
	}
	var trades []millwa.Trade
	if l.OnOffer() > 0 {
		if trades, err = allocation.MatchLots(ctx, tx, []*millwa.Lot{&l}); err != nil {
			return nil, err
		}
	}
	o, err := tx.GetPurchaseOrder(ctx, store.SystemPrincipal, tr.PurchaseOrderID)
	if err != nil {
		return nil, err
	}
	if (o.State == millwa.OrderOpen || o.State == millwa.OrderPartiallyFilled) && o.FilledGrams < o.QuantityGrams {
		more, err := allocation.MatchOrder(ctx, tx, &o)
		if err != nil {
			return nil, err
		}
		trades = append(trades, more...)
	}
	return tradeEvents(trades), nil
}
