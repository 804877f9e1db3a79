package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// claimScope is who sees which claims: admins every one, the trade's
// processor and association theirs, an agency those on lots whose origin
// lies in its regions.
var claimScope = roleRules{
	millwa.RoleAdmin:       always(everything),
	millwa.RoleProcessor:   own("processors", "t.processor_id"),
	millwa.RoleAssociation: own("associations", "t.association_id"),
	millwa.RoleAgency:      inRegions("t.origin_ubigeo"),
}.scope

// TradeVisibleForClaims reports whether p may see the claims of a trade: the same
// rule as claimScope, so that ListClaims answers NotFound for a trade whose
// claims the caller may not see.
func (qs queries) TradeVisibleForClaims(ctx context.Context, p millwa.Principal, tradeID string) (bool, error) {
	key, ok := canonicalID(tradeID)
	if !ok {
		return false, nil
	}
	v := claimScope(p)
	var n int
	err := qs.get(ctx, &n, qs.db.Rebind(`SELECT COUNT(*) FROM trades t WHERE t.id = ? AND (`+v.sql+`)`), append([]any{key}, v.args...)...)
	return n > 0, dbError(err, "reading trade %s", tradeID)
}

// claimRow is a trade_claims row joined with its trade's parties.
type claimRow struct {
	ID                 string          `db:"id"`
	TradeID            string          `db:"trade_id"`
	State              string          `db:"state"`
	Laboratory         string          `db:"laboratory"`
	TestMethod         string          `db:"test_method"`
	Measurement        string          `db:"measurement"`
	Grade              string          `db:"grade"`
	Moisture           sql.NullFloat64 `db:"moisture_percent"`
	Impurity           sql.NullFloat64 `db:"impurity_percent"`
	Stated             int64           `db:"stated_minor_per_kg"`
	SoldGroup          string          `db:"sold_quality_group"`
	SoldPrice          int64           `db:"sold_minor_per_kg"`
	RepricedPrice      int64           `db:"repriced_minor_per_kg"`
	MeasuredGroup      string          `db:"measured_quality_group"`
	ReferReason        string          `db:"refer_reason"`
	AgencyID           sql.NullString  `db:"agency_id"`
	RefereeLaboratory  string          `db:"referee_laboratory"`
	RefereeTestMethod  string          `db:"referee_test_method"`
	RefereeMeasurement sql.NullString  `db:"referee_measurement"`
	RefereeGrade       sql.NullString  `db:"referee_grade"`
	Revision           int64           `db:"revision"`
	CreateTime         dbTime          `db:"create_time"`
	UpdateTime         dbTime          `db:"update_time"`
	AssociationID      string          `db:"association_id"`
	ProcessorID        string          `db:"processor_id"`
	LotID              string          `db:"lot_id"`
	OriginUbigeo       string          `db:"origin_ubigeo"`
	Breed              string          `db:"breed"`
}

const claimColumns = `c.id, c.trade_id, c.state, c.laboratory, c.test_method, c.measurement, c.grade, c.moisture_percent,
	c.impurity_percent, c.stated_minor_per_kg, c.sold_quality_group, c.sold_minor_per_kg, c.repriced_minor_per_kg,
	c.measured_quality_group, c.refer_reason, c.agency_id, c.referee_laboratory, c.referee_test_method,
	c.referee_measurement, c.referee_grade, c.revision, c.create_time, c.update_time,
	t.association_id, t.processor_id, t.lot_id, t.origin_ubigeo, t.breed`

var claimSource = rowSource{noun: "claim", from: "trade_claims c JOIN trades t ON t.id = c.trade_id", selectList: claimColumns, idExpr: "c.id"}

// claim converts the row; a stored measurement that does not decode is an
// error naming the row.
func (r *claimRow) claim() (millwa.Claim, error) {
	c := millwa.Claim{
		ID: r.ID, TradeID: r.TradeID, State: millwa.ClaimState(r.State), Laboratory: r.Laboratory, TestMethod: r.TestMethod,
		Grade: r.Grade, StatedPricePerKg: r.Stated, SoldGroup: r.SoldGroup, SoldPricePerKg: r.SoldPrice,
		RepricedPricePerKg: r.RepricedPrice, MeasuredGroup: r.MeasuredGroup, ReferReason: r.ReferReason,
		AgencyID: r.AgencyID.String, RefereeLaboratory: r.RefereeLaboratory, RefereeTestMethod: r.RefereeTestMethod,
		RefereeGrade: r.RefereeGrade.String, Revision: r.Revision, CreateTime: r.CreateTime.Time, UpdateTime: r.UpdateTime.Time,
		AssociationID: r.AssociationID, ProcessorID: r.ProcessorID, LotID: r.LotID, OriginUbigeo: r.OriginUbigeo,
		Breed: r.Breed,
	}
	if r.Moisture.Valid {
		c.MoisturePercent = &r.Moisture.Float64
	}
	if r.Impurity.Valid {
		c.ImpurityPercent = &r.Impurity.Float64
	}
	if err := json.Unmarshal([]byte(r.Measurement), &c.Sample); err != nil {
		return c, fmt.Errorf("claim %s: decoding its measurement: %w", r.ID, err)
	}
	if r.RefereeMeasurement.Valid {
		c.RefereeSample = new(millwa.Measurement)
		if err := json.Unmarshal([]byte(r.RefereeMeasurement.String), c.RefereeSample); err != nil {
			return c, fmt.Errorf("claim %s: decoding its referee measurement: %w", r.ID, err)
		}
	}
	return c, nil
}

// GetClaim returns the claim with the given id of the trade with the given
// id if p may see it; NotFound ("claim ID not found") otherwise. Inside a
// transaction on PostgreSQL the claim's row (and its trade's) stays locked
// until the transaction ends.
func (qs queries) GetClaim(ctx context.Context, p millwa.Principal, tradeID, id string) (millwa.Claim, error) {
	v := claimScope(p)
	if key, ok := canonicalID(tradeID); ok {
		v = v.and("c.trade_id = ?", key)
	} else {
		v = nothing
	}
	row, err := getRow[claimRow](ctx, qs, &claimSource, v, id, true)
	if err != nil {
		return millwa.Claim{}, err
	}
	return row.claim()
}

// ListClaims returns the claims of the trade with the given id that p may
// see, oldest first.
func (qs queries) ListClaims(ctx context.Context, p millwa.Principal, tradeID string) ([]millwa.Claim, error) {
	key, ok := canonicalID(tradeID)
	if !ok {
		return nil, nil
	}
	v := claimScope(p)
	var rows []claimRow
	err := sqlx.SelectContext(ctx, qs.db, &rows, qs.db.Rebind(`SELECT `+claimColumns+` FROM `+claimSource.from+
		` WHERE c.trade_id = ? AND (`+v.sql+`) ORDER BY c.create_time, c.id`), append([]any{key}, v.args...)...)
	if err != nil {
		return nil, dbError(err, "reading the claims of trade %s", tradeID)
	}
	out := make([]millwa.Claim, 0, len(rows))
	for i := range rows {
		c, err := rows[i].claim()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// PendingClaim reports whether the trade with the given id has a claim
// OPEN or REFERRED, which holds its payment.
func (qs queries) PendingClaim(ctx context.Context, tradeID string) (bool, error) {
	var n int
	err := qs.get(ctx, &n, qs.db.Rebind(`SELECT COUNT(*) FROM trade_claims WHERE trade_id = ? AND state IN ('OPEN', 'REFERRED')`), tradeID)
	return n > 0, dbError(err, "reading the claims of trade %s", tradeID)
}

// CreateClaim inserts c, setting its ID (a new UUIDv7), revision and
// times. A second claim on the same trade answers AlreadyExists.
func (tx *Tx) CreateClaim(ctx context.Context, c *millwa.Claim) error {
	id, err := newID()
	if err != nil {
		return err
	}
	sample, err := json.Marshal(c.Sample)
	if err != nil {
		return fmt.Errorf("encoding the claim's measurement: %w", err)
	}
	t := now()
	_, err = tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO trade_claims (id, trade_id, state, laboratory, test_method,
		measurement, grade, moisture_percent, impurity_percent, stated_minor_per_kg, sold_quality_group, sold_minor_per_kg,
		repriced_minor_per_kg, measured_quality_group, revision, create_time, update_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`),
		id, c.TradeID, string(c.State), c.Laboratory, c.TestMethod, string(sample), c.Grade, nullFloat(c.MoisturePercent),
		nullFloat(c.ImpurityPercent), c.StatedPricePerKg, c.SoldGroup, c.SoldPricePerKg, c.RepricedPricePerKg, c.MeasuredGroup,
		dbTime{t}, dbTime{t})
	if err != nil {
		return dbError(err, "inserting a claim on trade %s", c.TradeID)
	}
	c.ID, c.Revision, c.CreateTime, c.UpdateTime = id, 1, t, t
	return nil
}

// UpdateClaim writes c's answer fields (state, referral, referee) over the
// revision the caller read locked; Aborted when it changed since.
func (tx *Tx) UpdateClaim(ctx context.Context, c *millwa.Claim) error {
	var referee sql.NullString
	if c.RefereeSample != nil {
		b, err := json.Marshal(c.RefereeSample)
		if err != nil {
			return fmt.Errorf("encoding the referee measurement: %w", err)
		}
		referee = sql.NullString{String: string(b), Valid: true}
	}
	var agency, refGrade sql.NullString
	if c.AgencyID != "" {
		agency = sql.NullString{String: c.AgencyID, Valid: true}
	}
	if c.RefereeGrade != "" {
		refGrade = sql.NullString{String: c.RefereeGrade, Valid: true}
	}
	t := now()
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE trade_claims SET state = ?, refer_reason = ?, agency_id = ?,
		referee_laboratory = ?, referee_test_method = ?, referee_measurement = ?, referee_grade = ?,
		revision = revision + 1, update_time = ? WHERE id = ? AND revision = ?`),
		string(c.State), c.ReferReason, agency, c.RefereeLaboratory, c.RefereeTestMethod, referee, refGrade, dbTime{t}, c.ID, c.Revision)
	if err := oneRow(res, err, "claim %s changed while it was being updated: read it again", c.ID); err != nil {
		return err
	}
	c.Revision++
	c.UpdateTime = t
	return nil
}

// RepriceTrade writes the quality group, price and amount due of tr,
// which the caller read locked and repriced (millwa.Trade.Reprice), and
// bumps its revision.
func (tx *Tx) RepriceTrade(ctx context.Context, tr *millwa.Trade) error {
	t := now()
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE trades SET quality_group = ?, price_minor_per_kg = ?,
		amount_due_minor = ?, revision = revision + 1, update_time = ? WHERE id = ? AND revision = ?`),
		tr.QualityGroup, tr.PricePerKg, tr.AmountDue, dbTime{t}, tr.ID, tr.Revision)
	if err := oneRow(res, err, "trade %s changed while it was being repriced: read it again", tr.ID); err != nil {
		return err
	}
	tr.Revision++
	tr.UpdateTime = t
	return nil
}
