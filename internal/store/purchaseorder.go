package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/millwa/millwa/internal/millwa"
)

// purchaseOrderList is how purchase orders are filtered, ordered and paged
// by their plain columns. state, quality_group, colour and breed are not
// plain columns (state is derived on read, the codes are JSON arrays):
// ListPurchaseOrders turns their conditions into SQL itself (see
// purchaseOrderConditions).
var purchaseOrderList = resourceColumns{
	rowSource: rowSource{noun: "purchase order", from: "purchase_orders", selectList: purchaseOrderColumns},
	columns: map[string]column{
		"standard":         {expr: "standard", kind: millwa.StringField},
		"bid_price_per_kg": {expr: "bid_price_minor_per_kg", kind: millwa.IntField},
		"quantity_grams":   {expr: "quantity_grams", kind: millwa.IntField},
		"create_time":      {expr: "create_time", kind: millwa.TimeField},
		"expire_time":      {expr: "expire_time", kind: millwa.TimeField},
	},
}

// purchaseOrderRow is a purchase_orders row.
type purchaseOrderRow struct {
	ID             string          `db:"id"`
	ProcessorID    string          `db:"processor_id"`
	Standard       string          `db:"standard"`
	QualityGroups  string          `db:"quality_groups"`
	Colours        string          `db:"colours"`
	Breeds         string          `db:"breeds"`
	MaxMFD         sql.NullFloat64 `db:"max_mean_fibre_diameter_um"`
	QuantityGrams  int64           `db:"quantity_grams"`
	MinPieceGrams  int64           `db:"min_piece_grams"`
	FilledGrams    int64           `db:"filled_grams"`
	BidPricePerKg  int64           `db:"bid_price_minor_per_kg"`
	Currency       string          `db:"currency"`
	DeliveryUbigeo string          `db:"delivery_ubigeo"`
	State          string          `db:"state"`
	ExpireTime     dbNullTime      `db:"expire_time"`
	Revision       int64           `db:"revision"`
	CreateTime     dbTime          `db:"create_time"`
	UpdateTime     dbTime          `db:"update_time"`
}

const purchaseOrderColumns = `id, processor_id, standard, quality_groups, colours, breeds,
	max_mean_fibre_diameter_um, quantity_grams, min_piece_grams, filled_grams, bid_price_minor_per_kg,
	currency, delivery_ubigeo, state, expire_time, revision, create_time, update_time`

// codeList is how a list of codes is kept in its column: a JSON array,
// "[]" when empty.
func codeList(codes []string) string {
	if len(codes) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(codes) // a []string always encodes
	return string(b)
}

func parseCodeList(s string) []string {
	var codes []string
	_ = json.Unmarshal([]byte(s), &codes) // the store wrote it; "[]" gives nil
	if len(codes) == 0 {
		return nil
	}
	return codes
}

// purchaseOrder converts the row, with its state as read at time t (see
// millwa.PurchaseOrder.Lapse).
func (r *purchaseOrderRow) purchaseOrder(t time.Time) millwa.PurchaseOrder {
	o := millwa.PurchaseOrder{
		ID: r.ID, ProcessorID: r.ProcessorID, Standard: r.Standard,
		QualityGroups: parseCodeList(r.QualityGroups), Colours: parseCodeList(r.Colours), Breeds: parseCodeList(r.Breeds),
		QuantityGrams: r.QuantityGrams, FilledGrams: r.FilledGrams, BidPricePerKg: r.BidPricePerKg,
		Currency: r.Currency, DeliveryUbigeo: r.DeliveryUbigeo, State: millwa.PurchaseOrderState(r.State),
		ExpireTime: r.ExpireTime.Time, Revision: r.Revision, CreateTime: r.CreateTime.Time, UpdateTime: r.UpdateTime.Time,
	}
	if r.MaxMFD.Valid {
		d := r.MaxMFD.Float64
		o.MaxMeanFibreDiameterUm = &d
	}
	if r.MinPieceGrams > 0 {
		g := r.MinPieceGrams
		o.MinLotGrams = &g
	}
	o.Lapse(t)
	return o
}

// CreatePurchaseOrder inserts o, which the caller has normalized and
// validated (codes of its standard, a processor the caller may act for). It
// sets ID, State OPEN, FilledGrams 0, Revision 1 and the times. A processor
// that does not exist is refused by the database (FailedPrecondition).
func (tx *Tx) CreatePurchaseOrder(ctx context.Context, o *millwa.PurchaseOrder) error {
	id, err := newID()
	if err != nil {
		return fmt.Errorf("creating purchase order: %w", err)
	}
	t := now()
	var maxMFD sql.NullFloat64
	if o.MaxMeanFibreDiameterUm != nil {
		maxMFD = sql.NullFloat64{Float64: *o.MaxMeanFibreDiameterUm, Valid: true}
	}
	var minPiece int64
	if o.MinLotGrams != nil {
		minPiece = *o.MinLotGrams
	}
	expire := o.ExpireTime.UTC().Truncate(time.Microsecond)
	_, err = tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO purchase_orders (`+purchaseOrderColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, 'OPEN', ?, 1, ?, ?)`),
		id, o.ProcessorID, o.Standard, codeList(o.QualityGroups), codeList(o.Colours), codeList(o.Breeds),
		maxMFD, o.QuantityGrams, minPiece, o.BidPricePerKg, o.Currency, o.DeliveryUbigeo,
		dbNullTime{expire}, dbTime{t}, dbTime{t})
	if err != nil {
		return dbError(err, "inserting purchase order %s of processor %s", id, o.ProcessorID)
	}
	o.ID, o.State, o.FilledGrams, o.Revision, o.ExpireTime, o.CreateTime, o.UpdateTime = id, millwa.OrderOpen, 0, 1, expire, t, t
	o.Lapse(t)
	return nil
}

// GetPurchaseOrder returns the purchase order with the given id if p may
// see it, with its state as read now. It returns NotFound, saying "purchase
// order ID not found", when there is none or p may not see it: the two are
// indistinguishable. Inside a transaction the order's row stays locked
// until the transaction ends (on PostgreSQL), for a change.
func (qs queries) GetPurchaseOrder(ctx context.Context, p millwa.Principal, id string) (millwa.PurchaseOrder, error) {
	t := now()
	row, err := getRow[purchaseOrderRow](ctx, qs, &purchaseOrderList.rowSource, purchaseOrderScope(p), id, true)
	if err != nil {
		return millwa.PurchaseOrder{}, err
	}
	return row.purchaseOrder(t), nil
}

// ListPurchaseOrders returns one page of the purchase orders q selects among
// those p may see, with their states as read now. processorID, when set,
// limits the page to one processor's orders. Conditions on state compare
// the state as read (an order past its expire time is EXPIRED); conditions
// on quality_group, colour and breed (= only) hold when the order accepts
// the code, an empty list of colours or breeds accepting every one. It
// returns Invalid for a field, operator, key or limit the query may not
// have.
func (qs queries) ListPurchaseOrders(ctx context.Context, p millwa.Principal, processorID string, q ListQuery) (Page[millwa.PurchaseOrder], error) {
	t := now()
	visible := purchaseOrderScope(p)
	if processorID != "" {
		key, ok := canonicalID(processorID)
		if !ok {
			return Page[millwa.PurchaseOrder]{}, nil
		}
		visible = visible.and("processor_id = ?", key)
	}
	plain, extra, err := purchaseOrderConditions(q.Conditions, t)
	if err != nil {
		return Page[millwa.PurchaseOrder]{}, err
	}
	if extra.sql != "" {
		visible = visible.and(extra.sql, extra.args...)
	}
	q.Conditions = plain
	return listPage(ctx, qs, &purchaseOrderList, visible, q,
		func(r *purchaseOrderRow) millwa.PurchaseOrder { return r.purchaseOrder(t) })
}

// stateAsRead is the SQL of an order's state as read at a time given as
// its one argument: EXPIRED when a live order's expire time has passed.
const stateAsRead = `(CASE WHEN state IN ('OPEN', 'PARTIALLY_FILLED') AND expire_time IS NOT NULL AND expire_time <= ? THEN 'EXPIRED' ELSE state END)`

// purchaseOrderConditions splits conditions into those on plain columns and
// the SQL of the others, with the state as read at time t.
func purchaseOrderConditions(conds []millwa.Condition, t time.Time) (plain []millwa.Condition, extra scope, err error) {
	var parts []string
	for _, c := range conds {
		switch c.Field {
		case "state":
			op := "="
			switch c.Op {
			case millwa.OpEq:
			case millwa.OpNe:
				op = "<>"
			default:
				return nil, scope{}, millwa.Errorf(millwa.Invalid, "state takes = or != only")
			}
			parts = append(parts, stateAsRead+" "+op+" ?")
			extra.args = append(extra.args, dbTime{t}, c.Str)
		case "quality_group", "colour", "breed":
			if c.Op != millwa.OpEq {
				return nil, scope{}, millwa.Errorf(millwa.Invalid, "%s takes = only", c.Field)
			}
			quoted, _ := json.Marshal(c.Str) // as the code appears in the JSON array
			match := `%s LIKE ? ESCAPE '\'`
			switch c.Field {
			case "quality_group":
				match = fmt.Sprintf(match, "quality_groups")
			case "colour":
				match = "(colours = '[]' OR " + fmt.Sprintf(match, "colours") + ")"
			case "breed":
				match = "(breeds = '[]' OR " + fmt.Sprintf(match, "breeds") + ")"
			}
			parts = append(parts, match)
			extra.args = append(extra.args, "%"+escapeLike(string(quoted))+"%")
		default:
			plain = append(plain, c)
		}
	}
	extra.sql = strings.Join(parts, " AND ")
	return plain, extra, nil
}

// CancelPurchaseOrder marks the order CANCELLED; the caller has read it
// locked (Tx.GetPurchaseOrder) and checked that it may be cancelled. The
// update changes nothing unless the order is still cancellable as read now
// (OPEN, PARTIALLY_FILLED or FILLED, and not lapsed), in which case it
// returns Aborted.
func (tx *Tx) CancelPurchaseOrder(ctx context.Context, id string) error {
	t := now()
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE purchase_orders
		SET state = 'CANCELLED', revision = revision + 1, update_time = ?
		WHERE id = ? AND `+stateAsRead+` IN ('OPEN', 'PARTIALLY_FILLED', 'FILLED')`),
		dbTime{t}, id, dbTime{t})
	if err != nil {
		return dbError(err, "cancelling purchase order %s", id)
	}
	if n, err := res.RowsAffected(); err != nil {
		return dbError(err, "cancelling purchase order %s", id)
	} else if n != 1 {
		return millwa.Errorf(millwa.Aborted, "purchase order %s changed while it was being cancelled: read it again", id)
	}
	return nil
}
