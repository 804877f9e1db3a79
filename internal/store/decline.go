package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// DeclinedPair is a purchase order and a lot that must never be matched
// again: the lot's association declined a trade between them.
type DeclinedPair struct {
	OrderID string `db:"purchase_order_id"`
	LotID   string `db:"lot_id"`
}

// ReturnDeclinedGrams gives the grams of tr, which the caller has just
// declined (millwa.Trade.Decline) and read locked under its books, back
// to the lot and to the purchase order at time t: the lot's allocated
// grams decrease (see returnGrams) and so do the order's filled grams,
// so that a FILLED or PARTIALLY_FILLED order is PARTIALLY_FILLED again, or
// OPEN with nothing left filled. The caller holds the books of the lot and
// of the order exclusively, and writes the trade itself (UpdateTrade).
func (tx *Tx) ReturnDeclinedGrams(ctx context.Context, tr *millwa.Trade, t time.Time) error {
	if err := tx.returnGrams(ctx, tr, t); err != nil {
		return err
	}
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE purchase_orders
		SET filled_grams = filled_grams - ?,
			state = CASE WHEN state NOT IN ('PARTIALLY_FILLED', 'FILLED') THEN state
				WHEN filled_grams - ? = 0 THEN 'OPEN' ELSE 'PARTIALLY_FILLED' END,
			revision = revision + 1, update_time = ?
		WHERE id = ? AND filled_grams >= ?`), tr.Grams, tr.Grams, dbTime{t}, tr.PurchaseOrderID, tr.Grams)
	return oneRow(res, err, "purchase order %s does not hold the %d grams of trade %s", tr.PurchaseOrderID, tr.Grams, tr.ID)
}

// DeclinedLotsOf returns the ids of the lots that the purchase order with
// the given id must never be matched with again.
func (tx *Tx) DeclinedLotsOf(ctx context.Context, orderID string) ([]string, error) {
	var ids []string
	err := sqlx.SelectContext(ctx, tx.tx, &ids, tx.tx.Rebind(`SELECT DISTINCT lot_id FROM trades
		WHERE state = 'DECLINED' AND purchase_order_id = ? ORDER BY lot_id`), orderID)
	return ids, dbError(err, "reading the lots declined to order %s", orderID)
}

// DeclinedPairsOfLots returns the declined pairs of the lots with the
// given ids: the orders each of them must never be matched with again.
func (tx *Tx) DeclinedPairsOfLots(ctx context.Context, lotIDs []string) ([]DeclinedPair, error) {
	if len(lotIDs) == 0 {
		return nil, nil
	}
	in := inScope("lot_id", lotIDs)
	var pairs []DeclinedPair
	err := sqlx.SelectContext(ctx, tx.tx, &pairs, tx.tx.Rebind(`SELECT DISTINCT purchase_order_id, lot_id FROM trades
		WHERE state = 'DECLINED' AND `+in.sql+` ORDER BY purchase_order_id, lot_id`), in.args...)
	return pairs, dbError(err, "reading the declined trades of %d lots", len(lotIDs))
}

// DeclinedPairsOfCurrency returns the declined pairs whose order is still
// live as stored (OPEN or PARTIALLY_FILLED) in the currency: what a
// clearing of that currency's book must leave unmatched.
func (tx *Tx) DeclinedPairsOfCurrency(ctx context.Context, currency string) ([]DeclinedPair, error) {
	var pairs []DeclinedPair
	err := sqlx.SelectContext(ctx, tx.tx, &pairs, tx.tx.Rebind(`SELECT DISTINCT t.purchase_order_id, t.lot_id FROM trades t
		WHERE t.state = 'DECLINED' AND t.currency = ? AND EXISTS (SELECT 1 FROM purchase_orders o
			WHERE o.id = t.purchase_order_id AND o.state IN ('OPEN', 'PARTIALLY_FILLED'))
		ORDER BY t.purchase_order_id, t.lot_id`), currency)
	return pairs, dbError(err, "reading the declined trades of the %s book", currency)
}

// TradeOrderBooks returns the books of the purchase order of the trade
// with the given id, read without a lock (a trade's order and an order's
// books never change), so that a change can lock them with the trade's
// before it locks any row; none when there is no such trade.
func (tx *Tx) TradeOrderBooks(ctx context.Context, id string) ([]Book, error) {
	key, ok := canonicalID(id)
	if !ok {
		return nil, nil
	}
	var orders []string
	if err := sqlx.SelectContext(ctx, tx.tx, &orders, tx.tx.Rebind(`SELECT purchase_order_id FROM trades WHERE id = ?`), key); err != nil {
		return nil, dbError(err, "reading the purchase order of trade %s", id)
	}
	if len(orders) == 0 {
		return nil, nil
	}
	return tx.PurchaseOrderBooks(ctx, orders[0])
}
