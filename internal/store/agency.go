package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// agencyList is how agencies are ordered and paged: by display name, then
// id. Its two filters are not plain column comparisons and ListAgencies
// turns them into scopes: display_name is exact but case-insensitive, and
// region = "210101" selects the agencies one of whose regions is a prefix
// of the value.
var agencyList = resourceColumns{
	rowSource: rowSource{noun: "agency", from: "agencies", selectList: agencyColumns},
	columns: map[string]column{
		"display_name": {expr: "legal_name", kind: millwa.StringField},
	},
}

// agencyRow is an agencies row; regions are read separately. The API's
// display_name is stored as legal_name.
type agencyRow struct {
	recordRow
	contactRow
	LegalName string         `db:"legal_name"`
	RUC       sql.NullString `db:"ruc"`
}

const agencyColumns = `id, legal_name, ruc, contact_person_name, contact_phone, contact_email,
	revision, create_time, update_time`

func (r *agencyRow) agency() millwa.Agency {
	return millwa.Agency{
		ID:          r.ID,
		DisplayName: r.LegalName,
		RUC:         r.RUC.String,
		Contact:     r.contact(),
		Revision:    r.Revision,
		CreateTime:  r.CreateTime.Time,
		UpdateTime:  r.UpdateTime.Time,
	}
}

// CreateAgency inserts a with its regions, which the caller has normalized
// and validated. On success it sets a.ID to a new UUIDv7, a.Regions to a
// sorted copy, a.Revision to 1 and a.CreateTime and a.UpdateTime to the
// current time (UTC, microseconds); on failure a is unchanged. It returns
// AlreadyExists with reason AGENCY_NAME_TAKEN when another agency has the
// same display name, compared case-insensitively, and AGENCY_RUC_TAKEN when
// one has the same RUC.
//
// The schema has no unique index on the name, so on PostgreSQL the
// transaction locks the agencies table against concurrent writers (readers
// go on) before it looks; on SQLite the transaction already holds the
// database's write lock.
func (tx *Tx) CreateAgency(ctx context.Context, a *millwa.Agency) error {
	if tx.dialect == DialectPostgres {
		if _, err := tx.tx.ExecContext(ctx, `LOCK TABLE agencies IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return dbError(err, "locking agencies")
		}
	}
	taken, err := agencyIDsNamed(ctx, tx.tx, a.DisplayName)
	if err != nil {
		return err
	}
	if len(taken) > 0 {
		return millwa.Reasonf(millwa.AlreadyExists, "AGENCY_NAME_TAKEN", "an agency named %q already exists (names are compared case-insensitively)", a.DisplayName)
	}
	row := agencyRow{contactRow: newContactRow(a.Contact), LegalName: a.DisplayName, RUC: sql.NullString{String: a.RUC, Valid: a.RUC != ""}}
	id, err := tx.insertRecord(ctx, "agencies", agencyColumns, &row.recordRow, &row)
	if err != nil {
		err = uniqueTaken(err, "AGENCY_RUC_TAKEN", "an agency with RUC %s already exists", a.RUC)
		return fmt.Errorf("inserting agency %s: %w", id, err)
	}
	regions := millwa.SortedRegions(a.Regions)
	for _, r := range regions {
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO agency_regions (agency_id, ubigeo_prefix) VALUES (?, ?)`), id, r); err != nil {
			return dbError(err, "inserting region %s of agency %s", r, id)
		}
	}
	created := row.agency()
	created.Regions = regions
	*a = created
	return nil
}

// agencyIDsNamed returns the ids of the agencies whose display name equals
// name under Unicode case folding. SQL's lower() folds only ASCII on SQLite
// (and depends on the locale on PostgreSQL), so the names are compared
// here; agencies number in the tens.
func agencyIDsNamed(ctx context.Context, q querier, name string) ([]string, error) {
	var rows []struct {
		ID   string `db:"id"`
		Name string `db:"legal_name"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT id, legal_name FROM agencies`); err != nil {
		return nil, dbError(err, "reading agency names")
	}
	var ids []string
	for _, r := range rows {
		if strings.EqualFold(r.Name, name) {
			ids = append(ids, r.ID)
		}
	}
	return ids, nil
}

// GetAgency returns the agency with the given id, with its regions, if p
// may see it. It returns NotFound, saying "agency ID not found", when there
// is none or p may not see it: the two are indistinguishable.
func (qs queries) GetAgency(ctx context.Context, p millwa.Principal, id string) (millwa.Agency, error) {
	a, err := getOne(ctx, qs, &agencyList.rowSource, agencyScope(p), id, (*agencyRow).agency)
	if err != nil {
		return a, err
	}
	agencies := []millwa.Agency{a}
	if err := agencyRegions.load(ctx, qs.db, agencies); err != nil {
		return millwa.Agency{}, err
	}
	return agencies[0], nil
}

// agencyRegionRow is an agency_regions row.
type agencyRegionRow struct {
	AgencyID string `db:"agency_id"`
	Prefix   string `db:"ubigeo_prefix"`
}

// agencyRegions fills the regions of agencies, sorted.
var agencyRegions = children[millwa.Agency, agencyRegionRow]{
	what:   "agency regions",
	query:  `SELECT agency_id, ubigeo_prefix FROM agency_regions WHERE agency_id IN %s ORDER BY agency_id, ubigeo_prefix`,
	id:     func(a *millwa.Agency) string { return a.ID },
	parent: func(r *agencyRegionRow) string { return r.AgencyID },
	add:    func(a *millwa.Agency, r *agencyRegionRow) { a.Regions = append(a.Regions, r.Prefix) },
}

// ListAgencies returns one page of the agencies q selects among those p
// may see, with their regions, ordered by display name then id (q's order
// is ignored: agencies have no other). q may hold two conditions, both =:
// display_name (exact, case-insensitive) and region (a ubigeo of 2, 4 or 6
// digits: the agencies one of whose regions is a prefix of it). It returns
// Invalid for any other condition, or a bad key or limit.
func (qs queries) ListAgencies(ctx context.Context, p millwa.Principal, q ListQuery) (Page[millwa.Agency], error) {
	visible := agencyScope(p)
	rest := q
	rest.Conditions = nil
	rest.Order = []millwa.OrderTerm{{Field: "display_name"}}
	for _, c := range q.Conditions {
		if c.Op != millwa.OpEq || (c.Field != "display_name" && c.Field != "region") {
			return Page[millwa.Agency]{}, millwa.Errorf(millwa.Invalid, "agencies can be filtered on display_name and region with = only")
		}
		var sc scope
		if c.Field == "region" {
			var err error
			if sc, err = coveringRegionScope(c.Str); err != nil {
				return Page[millwa.Agency]{}, err
			}
		} else {
			ids, err := agencyIDsNamed(ctx, qs.db, c.Str)
			if err != nil {
				return Page[millwa.Agency]{}, err
			}
			sc = inScope("id", ids)
		}
		visible = andScope(visible, sc)
	}
	page, err := listPage(ctx, qs, &agencyList, visible, rest, (*agencyRow).agency)
	if err != nil {
		return page, err
	}
	return page, agencyRegions.load(ctx, qs.db, page.Items)
}
