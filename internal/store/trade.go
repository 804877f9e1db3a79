package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// tradeList is how trades are filtered, ordered and paged. The service
// turns resource names in filters (purchase_order, lot, association,
// processor) into the ids these columns hold.
var tradeList = resourceColumns{
	rowSource: rowSource{noun: "trade", from: "trades", selectList: tradeColumns + `,` + tradeDisplayColumns},
	columns: map[string]column{
		"state":          {expr: "state", kind: millwa.StringField},
		"purchase_order": {expr: "purchase_order_id", kind: millwa.StringField},
		"lot":            {expr: "lot_id", kind: millwa.StringField},
		"association":    {expr: "association_id", kind: millwa.StringField},
		"processor":      {expr: "processor_id", kind: millwa.StringField},
		"clearing_id":    {expr: "clearing_id", kind: millwa.StringField},
		"quality_group":  {expr: "quality_group", kind: millwa.StringField},
		"colour":         {expr: "colour", kind: millwa.StringField},
		"breed":          {expr: "breed", kind: millwa.StringField},
		"region":         {expr: "origin_ubigeo", kind: millwa.StringField, prefix: true},
		"create_time":    {expr: "create_time", kind: millwa.TimeField},
		"update_time":    {expr: "update_time", kind: millwa.TimeField},
		"confirm_time":   {expr: "confirm_time", kind: millwa.TimeField},
		"price_per_kg":   {expr: "price_minor_per_kg", kind: millwa.IntField},
		"grams":          {expr: "grams", kind: millwa.IntField},
	},
}

// tradeRow is a trades row.
type tradeRow struct {
	ID                     string         `db:"id"`
	AllocationID           string         `db:"allocation_id"`
	LotID                  string         `db:"lot_id"`
	AssociationID          string         `db:"association_id"`
	PurchaseOrderID        string         `db:"purchase_order_id"`
	ProcessorID            string         `db:"processor_id"`
	Standard               string         `db:"standard"`
	QualityGroup           string         `db:"quality_group"`
	Colour                 string         `db:"colour"`
	Breed                  string         `db:"breed"`
	OriginUbigeo           string         `db:"origin_ubigeo"`
	Grams                  int64          `db:"grams"`
	Bid                    int64          `db:"bid_minor_per_kg"`
	Ask                    int64          `db:"ask_minor_per_kg"`
	Price                  int64          `db:"price_minor_per_kg"`
	Currency               string         `db:"currency"`
	State                  string         `db:"state"`
	AssociationConfirmTime dbNullTime     `db:"association_confirm_time"`
	ProcessorConfirmTime   dbNullTime     `db:"processor_confirm_time"`
	ConfirmTime            dbNullTime     `db:"confirm_time"`
	DeliveredGrams         sql.NullInt64  `db:"delivered_grams"`
	WeighTime              dbNullTime     `db:"weigh_time"`
	DeliverTime            dbNullTime     `db:"deliver_time"`
	AmountDue              sql.NullInt64  `db:"amount_due_minor"`
	PaidAmount             sql.NullInt64  `db:"paid_amount_minor"`
	PaymentReference       string         `db:"payment_reference"`
	PayTime                dbNullTime     `db:"pay_time"`
	CancelTime             dbNullTime     `db:"cancel_time"`
	ClearingID             sql.NullString `db:"clearing_id"`
	DeclineReason          string         `db:"decline_reason"`
	DeclineTime            dbNullTime     `db:"decline_time"`
	Revision               int64          `db:"revision"`
	CreateTime             dbTime         `db:"create_time"`
	UpdateTime             dbTime         `db:"update_time"`
	// The display columns (tradeDisplayColumns), read by Get and List
	// only.
	LotNumber       sql.NullString `db:"lot_number"`
	AssociationName sql.NullString `db:"association_name"`
	ProcessorName   sql.NullString `db:"processor_name"`
}

const tradeColumns = `id, allocation_id, lot_id, association_id, purchase_order_id, processor_id,
	standard, quality_group, colour, breed, origin_ubigeo, grams, bid_minor_per_kg, ask_minor_per_kg,
	price_minor_per_kg, currency, state, association_confirm_time, processor_confirm_time, confirm_time,
	delivered_grams, weigh_time, deliver_time, amount_due_minor, paid_amount_minor, payment_reference,
	pay_time, cancel_time, clearing_id, decline_reason, decline_time, revision, create_time, update_time`

// tradeDisplayColumns are what a trade shows of its lot and parties, read
// by correlated subqueries so that the filter and order columns of
// tradeList stay those of trades alone.
const tradeDisplayColumns = `
	(SELECT l.lot_number FROM lots l WHERE l.id = trades.lot_id) AS lot_number,
	(SELECT a.legal_name FROM associations a WHERE a.id = trades.association_id) AS association_name,
	(SELECT p.legal_name FROM processors p WHERE p.id = trades.processor_id) AS processor_name`

func (r *tradeRow) trade() millwa.Trade {
	return millwa.Trade{
		ID: r.ID, PurchaseOrderID: r.PurchaseOrderID, ProcessorID: r.ProcessorID, LotID: r.LotID,
		AssociationID: r.AssociationID, Standard: r.Standard, QualityGroup: r.QualityGroup, Colour: r.Colour,
		Breed: r.Breed, OriginUbigeo: r.OriginUbigeo, Grams: r.Grams, BidPricePerKg: r.Bid, AskPricePerKg: r.Ask,
		PricePerKg: r.Price, Currency: r.Currency, AmountDue: r.AmountDue.Int64, State: millwa.TradeState(r.State),
		AssociationConfirmTime: r.AssociationConfirmTime.Time, ProcessorConfirmTime: r.ProcessorConfirmTime.Time,
		ConfirmTime: r.ConfirmTime.Time, DeliveredGrams: r.DeliveredGrams.Int64, WeighTime: r.WeighTime.Time,
		DeliverTime: r.DeliverTime.Time, PaidAmount: r.PaidAmount.Int64, PaymentReference: r.PaymentReference,
		PayTime: r.PayTime.Time, CancelTime: r.CancelTime.Time, ClearingID: r.ClearingID.String,
		DeclineReason: r.DeclineReason, DeclineTime: r.DeclineTime.Time,
		Revision: r.Revision, CreateTime: r.CreateTime.Time, UpdateTime: r.UpdateTime.Time,
		LotNumber: r.LotNumber.String, AssociationName: r.AssociationName.String, ProcessorName: r.ProcessorName.String,
	}
}

// LockMarket locks the market event counter (the market_lock row) until
// the transaction ends (on PostgreSQL; on SQLite the write transaction
// already runs alone): what the sequencer takes to number market events,
// and retention to purge them. Changes to the book lock their books
// instead (LockBooks, ShareBooks, LockCurrencyBooks).
func (tx *Tx) LockMarket(ctx context.Context) error {
	var seq int64
	err := tx.tx.GetContext(ctx, &seq, `SELECT event_seq FROM market_lock WHERE id = 1`+tx.forUpdate)
	return dbError(err, "locking the market event counter")
}

// BookFilter narrows the book read for matching. Currency is required;
// Standard and Groups, when set, keep only lots of that standard and of
// one of those market quality groups (continuous matching of one order),
// or orders of that standard that accept one of those groups (continuous
// matching of new lots).
type BookFilter struct {
	Currency string
	Standard string
	Groups   []string
	// Peek reads without locking the rows: for a look at the book by a
	// caller that holds its books in share mode and takes the rows locked
	// only when it finds something to allocate.
	Peek bool
}

// LiveOrders returns, locked unless f.Peek, the purchase orders still on
// the market at time t in the filter's currency, with grams unfilled: OPEN
// or PARTIALLY_FILLED and not lapsed, oldest first. The caller holds the
// books the filter covers (at least in share mode), so that the rows are
// locked in one order by every transaction that locks several.
func (tx *Tx) LiveOrders(ctx context.Context, f BookFilter, t time.Time) ([]millwa.PurchaseOrder, error) {
	var rows []purchaseOrderRow
	where, args := liveOrdersWhere(f, t)
	lock := tx.forUpdate
	if f.Peek {
		lock = ""
	}
	if err := sqlx.SelectContext(ctx, tx.tx, &rows, tx.tx.Rebind(`SELECT `+purchaseOrderColumns+` FROM purchase_orders
		WHERE `+where+` ORDER BY create_time, id`+lock), args...); err != nil {
		return nil, dbError(err, "reading the live purchase orders")
	}
	out := make([]millwa.PurchaseOrder, len(rows))
	for i := range rows {
		out[i] = rows[i].purchaseOrder(t)
	}
	return out, nil
}

// liveOrdersWhere is the condition on purchase_orders, with its
// arguments, of the orders LiveOrders returns.
func liveOrdersWhere(f BookFilter, t time.Time) (string, []any) {
	where := `state IN ('OPEN', 'PARTIALLY_FILLED') AND (expire_time IS NULL OR expire_time > ?)
		AND filled_grams < quantity_grams AND currency = ?`
	args := []any{dbTime{t}, f.Currency}
	if f.Standard != "" {
		where += ` AND standard = ?`
		args = append(args, f.Standard)
	}
	if len(f.Groups) > 0 {
		// quality_groups is a JSON array of codes, which hold no quote.
		accepts := make([]string, len(f.Groups))
		for i, g := range f.Groups {
			accepts[i] = `quality_groups LIKE ? ESCAPE '\'`
			args = append(args, `%"`+escapeLike(g)+`"%`)
		}
		where += ` AND (` + strings.Join(accepts, " OR ") + `)`
	}
	return where, args
}

// LotsOnOffer returns, locked, the lots on offer in the filter's currency
// (and standard and groups, when set): AVAILABLE, or ALLOCATED with grams
// neither allocated nor withdrawn, oldest first, without contributions.
// The caller holds the books the filter covers exclusively.
func (tx *Tx) LotsOnOffer(ctx context.Context, f BookFilter) ([]millwa.Lot, error) {
	query := `SELECT ` + lotColumns + ` FROM lots
		WHERE state IN ('AVAILABLE', 'ALLOCATED') AND allocated_grams + withdrawn_grams < net_weight_grams AND currency = ?`
	args := []any{f.Currency}
	if f.Standard != "" {
		query += ` AND standard = ?`
		args = append(args, f.Standard)
	}
	if len(f.Groups) > 0 {
		groups := inScope("market_quality_group", f.Groups)
		query += ` AND ` + groups.sql
		args = append(args, groups.args...)
	}
	var rows []lotRow
	if err := sqlx.SelectContext(ctx, tx.tx, &rows, tx.tx.Rebind(query+` ORDER BY create_time, id`+tx.forUpdate), args...); err != nil {
		return nil, dbError(err, "reading the lots on offer")
	}
	out := make([]millwa.Lot, len(rows))
	for i := range rows {
		out[i] = rows[i].lot()
	}
	return out, nil
}

// NewTrade is an allocation to write: grams of a lot for an order, as the
// caller read both (locked, under the locks of their books).
type NewTrade struct {
	Order      *millwa.PurchaseOrder
	Lot        *millwa.Lot
	Grams      int64
	ClearingID string
}

// CreateTrades writes each allocation as an allocation row and its MATCHED
// trade, priced by price(bid, ask), and takes the grams from the lots and
// adds them to the orders: lots become ALLOCATED, orders PARTIALLY_FILLED or
// FILLED. It records a TRADE_MATCHED event per trade and an ORDER_FILLED
// event per order filled. The caller holds the books of the lots and read
// the lots and orders locked. A lot or order that no longer has the grams
// (changed since it was read) answers Aborted and the caller's transaction
// must be abandoned; the schema's CHECKs are a last guard behind that
// test.
func (tx *Tx) CreateTrades(ctx context.Context, news []NewTrade, price func(bid, ask int64) int64) ([]millwa.Trade, error) {
	t := now()
	trades := make([]millwa.Trade, 0, len(news))
	lotGrams := map[string]int64{}
	orderGrams := map[string]int64{}
	var lotOrder, orderOrder []string
	orders := map[string]*millwa.PurchaseOrder{}
	lots := map[string]*millwa.Lot{}
	for _, n := range news {
		if n.Grams <= 0 {
			return nil, millwa.Errorf(millwa.Internal, "allocation of %d grams of lot %s", n.Grams, n.Lot.ID)
		}
		allocID, err := newID()
		if err != nil {
			return nil, err
		}
		tradeID, err := newID()
		if err != nil {
			return nil, err
		}
		o, l := n.Order, n.Lot
		tr := millwa.Trade{
			ID: tradeID, PurchaseOrderID: o.ID, ProcessorID: o.ProcessorID, LotID: l.ID, AssociationID: l.AssociationID,
			Standard: l.Standard, QualityGroup: l.MarketGroup, Colour: l.Colour, Breed: l.Breed, OriginUbigeo: l.Ubigeo,
			Grams: n.Grams, BidPricePerKg: o.BidPricePerKg, AskPricePerKg: l.AskPricePerKg,
			PricePerKg: price(o.BidPricePerKg, l.AskPricePerKg), Currency: l.Currency, State: millwa.TradeMatched,
			ClearingID: n.ClearingID, Revision: 1, CreateTime: t, UpdateTime: t,
		}
		tr.AmountDue = millwa.Amount(tr.PricePerKg, tr.Grams)
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO allocations
			(id, lot_id, association_id, purchase_order_id, processor_id, grams, create_time) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			allocID, l.ID, l.AssociationID, o.ID, o.ProcessorID, n.Grams, dbTime{t}); err != nil {
			return nil, dbError(err, "inserting an allocation of lot %s to order %s", l.ID, o.ID)
		}
		clearing := sql.NullString{String: n.ClearingID, Valid: n.ClearingID != ""}
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO trades (id, allocation_id, lot_id, association_id,
			purchase_order_id, processor_id, standard, quality_group, colour, breed, origin_ubigeo, grams,
			bid_minor_per_kg, ask_minor_per_kg, price_minor_per_kg, currency, state, amount_due_minor, clearing_id,
			revision, create_time, update_time)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'MATCHED', ?, ?, 1, ?, ?)`),
			tr.ID, allocID, l.ID, l.AssociationID, o.ID, o.ProcessorID, tr.Standard, tr.QualityGroup, tr.Colour,
			tr.Breed, tr.OriginUbigeo, tr.Grams, tr.BidPricePerKg, tr.AskPricePerKg, tr.PricePerKg, tr.Currency,
			tr.AmountDue, clearing, dbTime{t}, dbTime{t}); err != nil {
			return nil, dbError(err, "inserting trade %s", tr.ID)
		}
		if _, seen := lotGrams[l.ID]; !seen {
			lotOrder = append(lotOrder, l.ID)
			lots[l.ID] = l
		}
		lotGrams[l.ID] += n.Grams
		if _, seen := orderGrams[o.ID]; !seen {
			orderOrder = append(orderOrder, o.ID)
			orders[o.ID] = o
		}
		orderGrams[o.ID] += n.Grams
		trades = append(trades, tr)
	}
	for _, id := range lotOrder {
		res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE lots
			SET allocated_grams = allocated_grams + ?, state = 'ALLOCATED', revision = revision + 1, update_time = ?
			WHERE id = ? AND state IN ('AVAILABLE', 'ALLOCATED') AND allocated_grams + withdrawn_grams + ? <= net_weight_grams`),
			lotGrams[id], dbTime{t}, id, lotGrams[id])
		if err := oneRow(res, err, "lot %s no longer has %d grams on offer: retry the matching", id, lotGrams[id]); err != nil {
			return nil, err
		}
		l := lots[id]
		l.AllocatedGrams += lotGrams[id]
		l.State, l.UpdateTime = millwa.LotAllocated, t
		l.Revision++
	}
	var events []millwa.MarketEvent
	for i := range trades {
		events = append(events, millwa.TradeEvent(millwa.EventTradeMatched, &trades[i]))
	}
	for _, id := range orderOrder {
		g := orderGrams[id]
		res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE purchase_orders
			SET filled_grams = filled_grams + ?,
				state = CASE WHEN filled_grams + ? = quantity_grams THEN 'FILLED' ELSE 'PARTIALLY_FILLED' END,
				revision = revision + 1, update_time = ?
			WHERE id = ? AND state IN ('OPEN', 'PARTIALLY_FILLED') AND filled_grams + ? <= quantity_grams`),
			g, g, dbTime{t}, id, g)
		if err := oneRow(res, err, "purchase order %s no longer wants %d grams: retry the matching", id, g); err != nil {
			return nil, err
		}
		o := orders[id]
		o.FilledGrams += g
		o.Revision++
		o.UpdateTime = t
		o.State = millwa.OrderPartiallyFilled
		if o.FilledGrams == o.QuantityGrams {
			o.State = millwa.OrderFilled
			events = append(events, millwa.OrderEvent(millwa.EventOrderFilled, o))
		}
	}
	return trades, tx.AppendMarketEvents(ctx, events...)
}

// oneRow turns an UPDATE's result into Aborted, with the message, unless
// it changed exactly one row.
func oneRow(res sql.Result, err error, format string, args ...any) error {
	if err != nil {
		return dbError(err, format, args...)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError(err, format, args...)
	}
	if n != 1 {
		return millwa.Errorf(millwa.Aborted, format, args...)
	}
	return nil
}

// GetTrade returns the trade with the given id if p may see it, with its
// payouts when p may see them; NotFound ("trade ID not found") otherwise.
// Inside a transaction the trade's row stays locked until the transaction
// ends (on PostgreSQL), for a change.
func (qs queries) GetTrade(ctx context.Context, p millwa.Principal, id string) (millwa.Trade, error) {
	row, err := getRow[tradeRow](ctx, qs, &tradeList.rowSource, tradeScope(p), id, true)
	if err != nil {
		return millwa.Trade{}, err
	}
	trades := []millwa.Trade{row.trade()}
	if seesPayouts(p) {
		if err := tradePayouts.load(ctx, qs.db, trades); err != nil {
			return millwa.Trade{}, err
		}
	}
	return trades[0], nil
}

// ListTrades returns one page of the trades q selects among those p may
// see, with payouts when p may see them.
func (qs queries) ListTrades(ctx context.Context, p millwa.Principal, q ListQuery) (Page[millwa.Trade], error) {
	page, err := listPage(ctx, qs, &tradeList, tradeScope(p), q, (*tradeRow).trade)
	if err != nil || !seesPayouts(p) {
		return page, err
	}
	return page, tradePayouts.load(ctx, qs.db, page.Items)
}

// payoutRow is a payouts row with its member's name.
type payoutRow struct {
	TradeID  string `db:"trade_id"`
	MemberID string `db:"member_id"`
	Name     string `db:"full_name"`
	Grams    int64  `db:"grams"`
	Amount   int64  `db:"amount_minor"`
}

// tradePayouts fills the payouts of the trades paid in part or in full,
// with the members' names: each member's shares of the payments so far,
// summed.
var tradePayouts = children[millwa.Trade, payoutRow]{
	what: "payouts",
	query: `SELECT p.trade_id, p.member_id, m.full_name,
			CAST(SUM(p.grams) AS BIGINT) AS grams, CAST(SUM(p.amount_minor) AS BIGINT) AS amount_minor
		FROM payouts p JOIN members m ON m.id = p.member_id
		WHERE p.trade_id IN %s GROUP BY p.trade_id, p.member_id, m.full_name ORDER BY p.trade_id, p.member_id`,
	id: func(t *millwa.Trade) string {
		if t.PaidAmount == 0 {
			return ""
		}
		return t.ID
	},
	parent: func(r *payoutRow) string { return r.TradeID },
	add: func(t *millwa.Trade, r *payoutRow) {
		t.Payouts = append(t.Payouts, millwa.Payout{MemberID: r.MemberID, MemberDisplayName: r.Name, Grams: r.Grams, Amount: r.Amount})
	},
}

// UpdateTrade writes tr's life-cycle fields (confirmations, delivery,
// payment, cancellation, decline, amount due and state) over the revision
// the caller read, bumping the revision; the caller read it locked. On
// PAID it writes the payouts too, and when every trade holding grams of a
// lot with nothing left on offer is PAID the lot becomes SOLD. It answers
// Aborted when the trade changed since it was read.
func (tx *Tx) UpdateTrade(ctx context.Context, tr *millwa.Trade) error {
	t := now()
	var delivered, paid sql.NullInt64
	if tr.DeliveredGrams > 0 {
		delivered = sql.NullInt64{Int64: tr.DeliveredGrams, Valid: true}
	}
	if tr.PaidAmount > 0 {
		paid = sql.NullInt64{Int64: tr.PaidAmount, Valid: true}
	}
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE trades SET state = ?, association_confirm_time = ?,
		processor_confirm_time = ?, confirm_time = ?, delivered_grams = ?, weigh_time = ?, deliver_time = ?,
		amount_due_minor = ?, paid_amount_minor = ?, payment_reference = ?, pay_time = ?, cancel_time = ?,
		decline_reason = ?, decline_time = ?, revision = revision + 1, update_time = ?
		WHERE id = ? AND revision = ?`),
		string(tr.State), dbNullTime{tr.AssociationConfirmTime}, dbNullTime{tr.ProcessorConfirmTime},
		dbNullTime{tr.ConfirmTime}, delivered, dbNullTime{tr.WeighTime}, dbNullTime{tr.DeliverTime}, tr.AmountDue,
		paid, tr.PaymentReference, dbNullTime{tr.PayTime}, dbNullTime{tr.CancelTime}, tr.DeclineReason,
		dbNullTime{tr.DeclineTime}, dbTime{t}, tr.ID, tr.Revision)
	if err := oneRow(res, err, "trade %s changed while it was being updated: read it again", tr.ID); err != nil {
		return err
	}
	tr.Revision++
	tr.UpdateTime = t
	if pay := tr.NewPayment; pay != nil {
		if err := tx.insertPayment(ctx, tr, pay, t); err != nil {
			return err
		}
		tr.NewPayment = nil
	}
	if tr.State != millwa.TradePaid {
		return nil
	}
	return tx.markSold(ctx, tr.LotID, tr.ID, t)
}

// markSold makes the lot SOLD at time t when nothing of it is left on
// offer (its grams allocated, or the rest withdrawn) and every trade that
// holds its grams is PAID, but for the trade with id done, which the
// caller has paid or released but may not have written yet.
func (tx *Tx) markSold(ctx context.Context, lotID, done string, t time.Time) error {
	_, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE lots SET state = 'SOLD', revision = revision + 1, update_time = ?
		WHERE id = ? AND state = 'ALLOCATED' AND allocated_grams + withdrawn_grams = net_weight_grams
		AND NOT EXISTS (SELECT 1 FROM trades WHERE lot_id = ? AND id <> ? AND state IN ('MATCHED', 'CONFIRMED', 'DELIVERED'))`),
		dbTime{t}, lotID, lotID, done)
	return dbError(err, "marking lot %s sold", lotID)
}

// returnGrams gives the grams of trade tr, no longer holding them, back
// to its lot at time t: they are on offer again, or withdrawn with the
// rest when the association withdrew the lot's rest. A lot left with
// nothing allocated becomes AVAILABLE (WITHDRAWN when its rest was
// withdrawn); one whose other trades are all PAID with nothing on offer
// becomes SOLD.
func (tx *Tx) returnGrams(ctx context.Context, tr *millwa.Trade, t time.Time) error {
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE lots
		SET allocated_grams = allocated_grams - ?,
			withdrawn_grams = CASE WHEN withdrawn_grams > 0 THEN withdrawn_grams + ? ELSE 0 END,
			state = CASE WHEN allocated_grams - ? > 0 THEN state WHEN withdrawn_grams > 0 THEN 'WITHDRAWN' ELSE 'AVAILABLE' END,
			revision = revision + 1, update_time = ?
		WHERE id = ? AND state = 'ALLOCATED' AND allocated_grams >= ?`),
		tr.Grams, tr.Grams, tr.Grams, dbTime{t}, tr.LotID, tr.Grams)
	if err := oneRow(res, err, "lot %s does not hold the %d grams of trade %s", tr.LotID, tr.Grams, tr.ID); err != nil {
		return err
	}
	return tx.markSold(ctx, tr.LotID, tr.ID, t)
}

// insertPayment writes a payment of trade tr, recorded at t, and its
// payouts.
func (tx *Tx) insertPayment(ctx context.Context, tr *millwa.Trade, pay *millwa.Payment, t time.Time) error {
	id, err := newID()
	if err != nil {
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO trade_payments
		(id, trade_id, amount_minor, grams, payment_reference, create_time) VALUES (?, ?, ?, ?, ?, ?)`),
		id, tr.ID, pay.Amount, pay.Grams, pay.Reference, dbTime{t}); err != nil {
		return dbError(err, "inserting a payment of trade %s", tr.ID)
	}
	for _, p := range pay.Payouts {
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO payouts
			(payment_id, trade_id, association_id, member_id, grams, amount_minor, currency, create_time)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
			id, tr.ID, tr.AssociationID, p.MemberID, p.Grams, p.Amount, tr.Currency, dbTime{t}); err != nil {
			return dbError(err, "inserting the payout of trade %s to member %s", tr.ID, p.MemberID)
		}
	}
	return nil
}

// LotContributions returns the contributions of a lot, by member id.
func (tx *Tx) LotContributions(ctx context.Context, lotID string) ([]millwa.Contribution, error) {
	lots := []millwa.Lot{{ID: lotID}}
	if err := lotContributions.load(ctx, tx.tx, lots); err != nil {
		return nil, err
	}
	return lots[0].Contributions, nil
}

// ReleaseMatchedTrades cancels the order's MATCHED trades at time t and
// returns their grams to their lots (and takes them off the order's filled
// grams), recording a TRADE_CANCELLED event for each. CONFIRMED and later
// trades stand. The caller holds the order's books exclusively. It returns
// the trades cancelled.
func (tx *Tx) ReleaseMatchedTrades(ctx context.Context, orderID string) ([]millwa.Trade, error) {
	t := now()
	var rows []tradeRow
	if err := sqlx.SelectContext(ctx, tx.tx, &rows, tx.tx.Rebind(`SELECT `+tradeColumns+` FROM trades
		WHERE purchase_order_id = ? AND state = 'MATCHED' ORDER BY lot_id, id`+tx.forUpdate), orderID); err != nil {
		return nil, dbError(err, "reading the matched trades of order %s", orderID)
	}
	trades := make([]millwa.Trade, len(rows))
	var events []millwa.MarketEvent
	var released int64
	for i := range rows {
		tr := rows[i].trade()
		tr.State, tr.CancelTime = millwa.TradeCancelled, t
		if err := tx.UpdateTrade(ctx, &tr); err != nil {
			return nil, err
		}
		if err := tx.returnGrams(ctx, &tr, t); err != nil {
			return nil, err
		}
		released += tr.Grams
		trades[i] = tr
		events = append(events, millwa.TradeEvent(millwa.EventTradeCancelled, &trades[i]))
	}
	if released > 0 {
		res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE purchase_orders
			SET filled_grams = filled_grams - ?, revision = revision + 1, update_time = ?
			WHERE id = ? AND filled_grams >= ?`), released, dbTime{t}, orderID, released)
		if err := oneRow(res, err, "purchase order %s does not hold %d grams", orderID, released); err != nil {
			return nil, err
		}
	}
	return trades, tx.AppendMarketEvents(ctx, events...)
}

// OrdersToExpire returns, without locking them, at most limit orders still
// live as stored whose expire time is not after t, soonest first: what
// ExpireOrders is given once their books are locked.
func (tx *Tx) OrdersToExpire(ctx context.Context, t time.Time, limit int) ([]millwa.PurchaseOrder, error) {
	var rows []purchaseOrderRow
	if err := sqlx.SelectContext(ctx, tx.tx, &rows, tx.tx.Rebind(`SELECT `+purchaseOrderColumns+` FROM purchase_orders
		WHERE state IN ('OPEN', 'PARTIALLY_FILLED') AND expire_time IS NOT NULL AND expire_time <= ?
		ORDER BY expire_time, id LIMIT ?`), dbTime{t}, limit); err != nil {
		return nil, dbError(err, "reading the orders to expire")
	}
	out := make([]millwa.PurchaseOrder, len(rows))
	for i := range rows {
		out[i] = rows[i].purchaseOrder(t)
	}
	return out, nil
}

// ExpireOrders marks EXPIRED those of the orders with the given ids that
// are still live as stored and whose expire time is not after t, and
// releases their MATCHED trades (ReleaseMatchedTrades), recording an
// ORDER_EXPIRED event for each. The caller holds the orders' books
// exclusively (see OrdersToExpire). It returns the orders expired, as they
// are after the change, and the trades released.
func (tx *Tx) ExpireOrders(ctx context.Context, t time.Time, ids []string) ([]millwa.PurchaseOrder, []millwa.Trade, error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	in := inScope("id", ids)
	var rows []purchaseOrderRow
	if err := sqlx.SelectContext(ctx, tx.tx, &rows, tx.tx.Rebind(`SELECT `+purchaseOrderColumns+` FROM purchase_orders
		WHERE state IN ('OPEN', 'PARTIALLY_FILLED') AND expire_time IS NOT NULL AND expire_time <= ? AND `+in.sql+`
		ORDER BY id`+tx.forUpdate), append([]any{dbTime{t}}, in.args...)...); err != nil {
		return nil, nil, dbError(err, "reading the orders to expire")
	}
	var out []millwa.PurchaseOrder
	var released []millwa.Trade
	for i := range rows {
		id := rows[i].ID
		trades, err := tx.ReleaseMatchedTrades(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		released = append(released, trades...)
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE purchase_orders
			SET state = 'EXPIRED', revision = revision + 1, update_time = ? WHERE id = ?`), dbTime{now()}, id); err != nil {
			return nil, nil, dbError(err, "expiring purchase order %s", id)
		}
		o, err := tx.GetPurchaseOrder(ctx, SystemPrincipal, id)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, o)
		if err := tx.AppendMarketEvents(ctx, millwa.OrderEvent(millwa.EventOrderExpired, &o)); err != nil {
			return nil, nil, err
		}
	}
	return out, released, nil
}

// LiveOrderCurrencies returns the currencies of the purchase orders still
// live as stored, sorted.
func (s *Store) LiveOrderCurrencies(ctx context.Context) ([]string, error) {
	var out []string
	err := sqlx.SelectContext(ctx, s.r, &out, `SELECT DISTINCT currency FROM purchase_orders
		WHERE state IN ('OPEN', 'PARTIALLY_FILLED') ORDER BY currency`)
	return out, dbError(err, "reading the currencies of live orders")
}
