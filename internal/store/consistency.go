package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// CheckRow is one check grading as agreement statistics read it, with the
// lot's origin.
type CheckRow struct {
	ID            string
	LotID         string
	AssociationID string
	ClassifierID  string
	Standard      string
	DeclaredGroup string
	CheckGroup    string
	// Grading is the recorded grade document.
	Grading    string
	Ubigeo     string
	CreateTime time.Time
}

// LatestChecks returns, for each lot in scope that p may read, its latest
// check grading recorded in [from, to), ordered by lot id.
func (s *Store) LatestChecks(ctx context.Context, p millwa.Principal, a AuditScope, from, to time.Time) ([]CheckRow, error) {
	sc := a.sql(p)
	rows, err := s.checkRows(ctx, `c.create_time >= ? AND c.create_time < ? AND (`+sc.sql+`)`,
		append([]any{dbTime{from}, dbTime{to}}, sc.args...))
	return latestPerLot(rows), err
}

// ClassifierChecks returns the latest check grading of each lot declared by
// the classifiers, recorded at or before asOf, most recent first.
func (s *Store) ClassifierChecks(ctx context.Context, classifierIDs []string, asOf time.Time) ([]CheckRow, error) {
	if len(classifierIDs) == 0 {
		return nil, nil
	}
	in := inScope("c.classifier_id", classifierIDs)
	rows, err := s.checkRows(ctx, `c.create_time <= ? AND `+in.sql, append([]any{dbTime{asOf}}, in.args...))
	latest := latestPerLot(rows)
	// Most recent first, then by id, for a stable window.
	sortChecks(latest)
	return latest, err
}

func (s *Store) checkRows(ctx context.Context, where string, args []any) ([]CheckRow, error) {
	var rows []struct {
		ID            string         `db:"id"`
		LotID         string         `db:"lot_id"`
		AssociationID string         `db:"association_id"`
		ClassifierID  string         `db:"classifier_id"`
		Standard      string         `db:"standard"`
		Declared      string         `db:"declared_quality_group"`
		Checked       string         `db:"check_quality_group"`
		Grading       sql.NullString `db:"grading_detail"`
		Ubigeo        string         `db:"ubigeo"`
		CreateTime    dbTime         `db:"create_time"`
	}
	query := `SELECT c.id, c.lot_id, c.association_id, c.classifier_id, c.standard, c.declared_quality_group,
		c.check_quality_group, c.grading_detail, l.ubigeo, c.create_time
		FROM check_gradings c JOIN lots l ON l.id = c.lot_id WHERE ` + where + `
		ORDER BY c.lot_id, c.create_time DESC, c.id DESC`
	if err := sqlx.SelectContext(ctx, s.r, &rows, s.r.Rebind(query), args...); err != nil {
		return nil, dbError(err, "reading check gradings")
	}
	out := make([]CheckRow, len(rows))
	for i, r := range rows {
		out[i] = CheckRow{ID: r.ID, LotID: r.LotID, AssociationID: r.AssociationID, ClassifierID: r.ClassifierID,
			Standard: r.Standard, DeclaredGroup: r.Declared, CheckGroup: r.Checked, Grading: r.Grading.String,
			Ubigeo: r.Ubigeo, CreateTime: r.CreateTime.Time}
	}
	return out, nil
}

// latestPerLot keeps the first row of each lot from rows ordered by lot,
// newest first.
func latestPerLot(rows []CheckRow) []CheckRow {
	out := rows[:0:0]
	for i, r := range rows {
		if i == 0 || r.LotID != rows[i-1].LotID {
			out = append(out, r)
		}
	}
	return out
}

func sortChecks(rows []CheckRow) {
	slices.SortFunc(rows, func(a, b CheckRow) int {
		return cmp.Or(b.CreateTime.Compare(a.CreateTime), cmp.Compare(b.ID, a.ID))
	})
}

// AuditLot is a lot as a sampling plan sees it.
type AuditLot struct {
	ID            string
	AssociationID string
	ClassifierID  string
	// LotNumber is the number on the lot's bales, empty when it has none.
	LotNumber string
	Campaign  int
	// CreateTime is when the lot was registered.
	CreateTime time.Time
	// ClassifierDNI and AssociationRUC name the lot's classifier by what
	// people gave it, the same in any database.
	ClassifierDNI  string
	AssociationRUC string
}

// AuditLots returns the lots in scope that p may read registered in
// [from, to) and by asOf, and not withdrawn by asOf, ordered by id.
func (s *Store) AuditLots(ctx context.Context, p millwa.Principal, a AuditScope, from, to, asOf time.Time) ([]AuditLot, error) {
	sc := a.sql(p)
	var rows []struct {
		ID            string `db:"id"`
		AssociationID string `db:"association_id"`
		ClassifierID  string `db:"classifier_id"`
		LotNumber     string `db:"lot_number"`
		Campaign      int    `db:"campaign"`
		CreateTime    dbTime `db:"create_time"`
		DNI           string `db:"dni"`
		RUC           string `db:"ruc"`
	}
	query := `SELECT l.id, l.association_id, l.classifier_id, l.lot_number, l.campaign, l.create_time, c.dni, a.ruc
		FROM lots l JOIN classifiers c ON c.id = l.classifier_id JOIN associations a ON a.id = l.association_id
		WHERE l.create_time >= ? AND l.create_time < ? AND l.create_time <= ?
		AND NOT (l.state = 'WITHDRAWN' AND l.update_time <= ?) AND (` + sc.sql + `) ORDER BY l.id`
	err := sqlx.SelectContext(ctx, s.r, &rows, s.r.Rebind(query),
		append([]any{dbTime{from}, dbTime{to}, dbTime{asOf}, dbTime{asOf}}, sc.args...)...)
	if err != nil {
		return nil, dbError(err, "reading the lots of an audit scope")
	}
	out := make([]AuditLot, len(rows))
	for i, r := range rows {
		out[i] = AuditLot{ID: r.ID, AssociationID: r.AssociationID, ClassifierID: r.ClassifierID, LotNumber: r.LotNumber,
			Campaign: r.Campaign, CreateTime: r.CreateTime.Time, ClassifierDNI: r.DNI, AssociationRUC: r.RUC}
	}
	return out, nil
}

// HasAuditLots reports whether any lot in scope is visible to p, whatever
// its time: whether the scope lies within an agency's regions.
func (s *Store) HasAuditLots(ctx context.Context, p millwa.Principal, a AuditScope) (bool, error) {
	sc := a.sql(p)
	var n int
	err := s.r.GetContext(ctx, &n, s.r.Rebind(`SELECT COUNT(*) FROM (SELECT 1 FROM lots l WHERE `+sc.sql+` LIMIT 1) AS one`), sc.args...)
	return n > 0, dbError(err, "looking for lots of an audit scope")
}

// ClassifierNames are the names a report prints beside a classifier's
// resource name.
type ClassifierNames struct {
	DisplayName     string `db:"full_name"`
	AssociationName string `db:"legal_name"`
}

// ClassifierNamesByID returns the full names of the classifiers with the
// given ids and the legal names of their associations, keyed by classifier
// id. Ids that name no classifier are left out.
func (s *Store) ClassifierNamesByID(ctx context.Context, ids []string) (map[string]ClassifierNames, error) {
	out := make(map[string]ClassifierNames, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	in := inScope("c.id", ids)
	var rows []struct {
		ID string `db:"id"`
		ClassifierNames
	}
	query := `SELECT c.id, c.full_name, a.legal_name FROM classifiers c
		JOIN associations a ON a.id = c.association_id WHERE ` + in.sql
	if err := sqlx.SelectContext(ctx, s.r, &rows, s.r.Rebind(query), in.args...); err != nil {
		return nil, dbError(err, "reading classifier names")
	}
	for _, r := range rows {
		out[r.ID] = r.ClassifierNames
	}
	return out, nil
}

// AssociationName returns the legal name of the association id, or "" when
// there is none.
func (s *Store) AssociationName(ctx context.Context, id string) (string, error) {
	var names []string
	err := sqlx.SelectContext(ctx, s.r, &names, s.r.Rebind(`SELECT legal_name FROM associations WHERE id = ?`), id)
	if err != nil || len(names) == 0 {
		return "", dbError(err, "reading an association's name")
	}
	return names[0], nil
}
