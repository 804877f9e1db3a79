package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// ObservedTrades returns the trades the price observatory counts: those
// DELIVERED or PAID of standard and currency whose fibre was weighed from
// from (inclusive) to to (exclusive), for their delivered grams. They are
// public figures in the making; the observatory reads them through
// Store.StaleRead, so they may lag the primary by MILLWA_MAX_REPLICA_LAG.
func (qs queries) ObservedTrades(ctx context.Context, from, to time.Time, standard, currency string) ([]millwa.ObservedTrade, error) {
	var rows []struct {
		WeighTime     dbTime `db:"weigh_time"`
		OriginUbigeo  string `db:"origin_ubigeo"`
		QualityGroup  string `db:"quality_group"`
		Colour        string `db:"colour"`
		AssociationID string `db:"association_id"`
		Grams         int64  `db:"delivered_grams"`
		Price         int64  `db:"price_minor_per_kg"`
	}
	query := `SELECT weigh_time, origin_ubigeo, quality_group, colour, association_id, delivered_grams, price_minor_per_kg
		FROM trades WHERE state IN ('DELIVERED', 'PAID') AND weigh_time IS NOT NULL AND weigh_time >= ? AND weigh_time < ?
		AND delivered_grams > 0 AND standard = ? AND currency = ?`
	if err := sqlx.SelectContext(ctx, qs.db, &rows, qs.db.Rebind(query), dbTime{from}, dbTime{to}, standard, currency); err != nil {
		return nil, dbError(err, "reading delivered trades")
	}
	out := make([]millwa.ObservedTrade, len(rows))
	for i, r := range rows {
		out[i] = millwa.ObservedTrade{WeighTime: r.WeighTime.Time, OriginUbigeo: r.OriginUbigeo, QualityGroup: r.QualityGroup,
			Colour: r.Colour, AssociationID: r.AssociationID, Grams: r.Grams, PricePerKg: r.Price}
	}
	return out, nil
}

// referencePriceColumns are the columns of reference_prices in the order
// CreateReferencePrice writes them.
const referencePriceColumns = `id, agency_id, region, place, observe_date, standard, code, kind, price_minor, unit, currency,
	price_minor_per_kg, source_note, create_time`

// referencePriceRow is a reference_prices row.
type referencePriceRow struct {
	ID          string `db:"id"`
	AgencyID    string `db:"agency_id"`
	Region      string `db:"region"`
	Place       string `db:"place"`
	ObserveDate string `db:"observe_date"`
	Standard    string `db:"standard"`
	Code        string `db:"code"`
	Kind        string `db:"kind"`
	Price       int64  `db:"price_minor"`
	Unit        string `db:"unit"`
	Currency    string `db:"currency"`
	PricePerKg  int64  `db:"price_minor_per_kg"`
	SourceNote  string `db:"source_note"`
	CreateTime  dbTime `db:"create_time"`
}

func (r *referencePriceRow) referencePrice() millwa.ReferencePrice {
	return millwa.ReferencePrice{ID: r.ID, AgencyID: r.AgencyID, Region: r.Region, Place: r.Place, ObserveDate: r.ObserveDate,
		Standard: r.Standard, Code: r.Code, Kind: millwa.ReferencePriceKind(r.Kind), Price: r.Price, Unit: millwa.PriceUnit(r.Unit),
		Currency: r.Currency, PricePerKg: r.PricePerKg, SourceNote: r.SourceNote, CreateTime: r.CreateTime.Time}
}

// CreateReferencePrice stores a surveyed price, setting its ID and
// CreateTime. The caller has checked it and the agency's regions.
func (tx *Tx) CreateReferencePrice(ctx context.Context, r *millwa.ReferencePrice) error {
	id, err := newID()
	if err != nil {
		return err
	}
	t := now()
	_, err = tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO reference_prices (`+referencePriceColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		id, r.AgencyID, r.Region, r.Place, r.ObserveDate, r.Standard, r.Code, string(r.Kind), r.Price, string(r.Unit), r.Currency,
		r.PricePerKg, r.SourceNote, dbTime{t})
	if err != nil {
		return dbError(err, "inserting reference price %s", id)
	}
	r.ID, r.CreateTime = id, t
	return nil
}

// ReferencePrices returns the surveyed prices of currency observed from
// fromDate to toDate inclusive ("YYYY-MM-DD"), of standard unless it is
// "", in region unless it is "". Surveyed prices are public.
func (qs queries) ReferencePrices(ctx context.Context, fromDate, toDate, standard, currency, region string) ([]millwa.ReferencePrice, error) {
	query := `SELECT ` + referencePriceColumns + ` FROM reference_prices WHERE observe_date >= ? AND observe_date <= ? AND currency = ?`
	args := []any{fromDate, toDate, currency}
	if standard != "" {
		query += ` AND standard = ?`
		args = append(args, standard)
	}
	if region != "" {
		query += ` AND region = ?`
		args = append(args, region)
	}
	query += ` ORDER BY observe_date, id`
	var rows []referencePriceRow
	if err := sqlx.SelectContext(ctx, qs.db, &rows, qs.db.Rebind(query), args...); err != nil {
		return nil, dbError(err, "reading reference prices")
	}
	out := make([]millwa.ReferencePrice, len(rows))
	for i := range rows {
		out[i] = rows[i].referencePrice()
	}
	return out, nil
}

// InclusionPayouts returns every member payout in currency with what the
// inclusion indicators need: the association's department, the lot's
// campaign, the member's sex and herd size (-1 when not recorded).
func (qs queries) InclusionPayouts(ctx context.Context, currency string) ([]millwa.PayoutShare, error) {
	var rows []struct {
		AssociationID string        `db:"association_id"`
		Ubigeo        string        `db:"ubigeo"`
		Campaign      int           `db:"campaign"`
		MemberID      string        `db:"member_id"`
		Sex           string        `db:"sex"`
		HerdSize      sql.NullInt64 `db:"herd_size"`
		Grams         int64         `db:"grams"`
		Amount        int64         `db:"amount_minor"`
	}
	query := `SELECT p.association_id, a.ubigeo, l.campaign, p.member_id, m.sex, m.herd_size, p.grams, p.amount_minor
		FROM payouts p
		JOIN trades t ON t.id = p.trade_id
		JOIN lots l ON l.association_id = t.association_id AND l.id = t.lot_id
		JOIN members m ON m.association_id = p.association_id AND m.id = p.member_id
		JOIN associations a ON a.id = p.association_id
		WHERE p.currency = ?`
	if err := sqlx.SelectContext(ctx, qs.db, &rows, qs.db.Rebind(query), currency); err != nil {
		return nil, dbError(err, "reading member payouts")
	}
	out := make([]millwa.PayoutShare, len(rows))
	for i, r := range rows {
		herd := -1
		if r.HerdSize.Valid {
			herd = int(r.HerdSize.Int64)
		}
		out[i] = millwa.PayoutShare{AssociationID: r.AssociationID, Region: r.Ubigeo[:min(2, len(r.Ubigeo))], Campaign: r.Campaign,
			MemberID: r.MemberID, Sex: r.Sex, HerdSize: herd, Grams: r.Grams, Amount: r.Amount}
	}
	return out, nil
}
