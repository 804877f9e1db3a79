package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// Sanction is one step of the sanctions ladder a classifier was put on,
// and its reversal by an agency when reversed.
type Sanction struct {
	ID              string     `db:"id"`
	ClassifierID    string     `db:"classifier_id"`
	AssociationID   string     `db:"association_id"`
	Step            string     `db:"step"`
	FailedTests     int64      `db:"failed_tests"`
	ClaimID         nullString `db:"claim_id"`
	CreateTime      dbTime     `db:"create_time"`
	ReverseTime     dbNullTime `db:"reverse_time"`
	ReverseAgencyID nullString `db:"reverse_agency_id"`
	ReverseReason   string     `db:"reverse_reason"`
}

// nullString is a nullable text column read as "" when NULL.
type nullString = sql.NullString

// Sanctions returns the steps the classifier was put on, oldest first.
func (qs queries) Sanctions(ctx context.Context, classifierID string) ([]Sanction, error) {
	var out []Sanction
	err := sqlx.SelectContext(ctx, qs.db, &out, qs.db.Rebind(`SELECT id, classifier_id, association_id, step, failed_tests,
		claim_id, create_time, reverse_time, reverse_agency_id, reverse_reason
		FROM classifier_sanctions WHERE classifier_id = ? ORDER BY create_time, id`), classifierID)
	return out, dbError(err, "reading the sanctions of classifier %s", classifierID)
}

// ClassifierFindings reads the check gradings of the lots a classifier
// declared: the lot, its declared group, the check's group, the standard
// and the time, newest first, at most limit.
func (qs queries) ClassifierFindings(ctx context.Context, classifierID string, limit int) ([]millwa.CheckGrading, error) {
	var rows []struct {
		ID       string `db:"id"`
		LotID    string `db:"lot_id"`
		Assoc    string `db:"association_id"`
		Standard string `db:"standard"`
		Declared string `db:"declared_quality_group"`
		Check    string `db:"check_quality_group"`
		Time     dbTime `db:"create_time"`
	}
	err := sqlx.SelectContext(ctx, qs.db, &rows, qs.db.Rebind(`SELECT id, lot_id, association_id, standard, declared_quality_group,
		check_quality_group, create_time FROM check_gradings WHERE classifier_id = ? ORDER BY create_time DESC, id DESC LIMIT ?`),
		classifierID, limit)
	if err != nil {
		return nil, dbError(err, "reading the check gradings of classifier %s", classifierID)
	}
	out := make([]millwa.CheckGrading, len(rows))
	for i, r := range rows {
		out[i] = millwa.CheckGrading{ID: r.ID, LotID: r.LotID, AssociationID: r.Assoc, Standard: r.Standard,
			DeclaredGroup: r.Declared, CheckGroup: r.Check, CreateTime: r.Time.Time}
	}
	return out, nil
}

// ClassifierClaims reads the decided claims (ACCEPTED, REPRICED, UPHELD) on
// the lots a classifier declared, newest first, at most limit; each
// claim's SoldGroup is the lot's declared group.
func (qs queries) ClassifierClaims(ctx context.Context, classifierID string, limit int) ([]millwa.Claim, error) {
	var rows []struct {
		claimRow
		Declared string `db:"declared_quality_group"`
		Standard string `db:"standard"`
	}
	err := sqlx.SelectContext(ctx, qs.db, &rows, qs.db.Rebind(`SELECT `+claimColumns+`, l.declared_quality_group, l.standard
		FROM `+claimSource.from+` JOIN lots l ON l.id = t.lot_id
		WHERE l.classifier_id = ? AND c.state IN ('ACCEPTED', 'REPRICED', 'UPHELD')
		ORDER BY c.update_time DESC, c.id DESC LIMIT ?`), classifierID, limit)
	if err != nil {
		return nil, dbError(err, "reading the claims on the lots of classifier %s", classifierID)
	}
	out := make([]millwa.Claim, 0, len(rows))
	for i := range rows {
		c, err := rows[i].claim()
		if err != nil {
			return nil, err
		}
		c.SoldGroup = rows[i].Declared
		out = append(out, c)
	}
	return out, nil
}

// FailedRefereeTests counts the claims on the lots a classifier declared
// that a referee test confirmed (REPRICED) after since.
func (qs queries) FailedRefereeTests(ctx context.Context, classifierID string, since time.Time) (int, error) {
	var n int
	err := qs.get(ctx, &n, qs.db.Rebind(`SELECT COUNT(*) FROM trade_claims c JOIN trades t ON t.id = c.trade_id
		JOIN lots l ON l.id = t.lot_id WHERE l.classifier_id = ? AND c.state = 'REPRICED' AND c.update_time > ?`),
		classifierID, dbTime{since})
	return n, dbError(err, "counting the failed referee tests of classifier %s", classifierID)
}

// AddSanction puts a classifier on a step of the ladder, setting s's ID
// and CreateTime.
func (tx *Tx) AddSanction(ctx context.Context, s *Sanction) error {
	id, err := newID()
	if err != nil {
		return err
	}
	t := now()
	_, err = tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO classifier_sanctions (id, classifier_id, association_id, step,
		failed_tests, claim_id, create_time) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		id, s.ClassifierID, s.AssociationID, s.Step, s.FailedTests, s.ClaimID, dbTime{t})
	if err != nil {
		return dbError(err, "recording a sanction of classifier %s", s.ClassifierID)
	}
	s.ID, s.CreateTime = id, dbTime{t}
	return nil
}

// ReverseSanction marks the sanction with the given id reversed by an
// agency (none for an admin) with a reason; Aborted when it was reversed
// meanwhile.
func (tx *Tx) ReverseSanction(ctx context.Context, id, agencyID, reason string) (time.Time, error) {
	t := now()
	agency := sql.NullString{String: agencyID, Valid: agencyID != ""}
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE classifier_sanctions SET reverse_time = ?, reverse_agency_id = ?,
		reverse_reason = ? WHERE id = ? AND reverse_time IS NULL`), dbTime{t}, agency, reason, id)
	return t, oneRow(res, err, "sanction %s was reversed meanwhile: read the record again", id)
}
