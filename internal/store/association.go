package store

import (
	"context"
	"fmt"

	"github.com/millwa/millwa/internal/millwa"
)

// associationList is how associations are filtered, ordered and paged.
// region matches a ubigeo prefix: 2 digits for a department, 4 for a
// province, 6 for a district.
var associationList = resourceColumns[millwa.Association]{
	table: "associations",
	columns: map[string]column{
		"ruc":         {expr: "ruc", kind: millwa.StringField},
		"legal_name":  {expr: "legal_name", kind: millwa.StringField},
		"region":      {expr: "ubigeo", kind: millwa.StringField, prefix: true},
		"create_time": {expr: "create_time", kind: millwa.TimeField},
	},
	key: func(a *millwa.Association, field string) string {
		switch field {
		case "ruc":
			return a.RUC
		case "legal_name":
			return a.LegalName
		case "region":
			return a.Ubigeo
		case "create_time":
			return timeKey(a.CreateTime)
		}
		return a.ID
	},
}

// associationRow is an associations row.
type associationRow struct {
	ID                string `db:"id"`
	LegalName         string `db:"legal_name"`
	RUC               string `db:"ruc"`
	Ubigeo            string `db:"ubigeo"`
	Community         string `db:"community"`
	ContactPersonName string `db:"contact_person_name"`
	ContactPhone      string `db:"contact_phone"`
	ContactEmail      string `db:"contact_email"`
	Revision          int64  `db:"revision"`
	CreateTime        dbTime `db:"create_time"`
	UpdateTime        dbTime `db:"update_time"`
}

const associationColumns = `id, legal_name, ruc, ubigeo, community, contact_person_name,
	contact_phone, contact_email, revision, create_time, update_time`

func newAssociationRow(a *millwa.Association) associationRow {
	return associationRow{
		ID:                a.ID,
		LegalName:         a.LegalName,
		RUC:               a.RUC,
		Ubigeo:            a.Ubigeo,
		Community:         a.Community,
		ContactPersonName: a.Contact.PersonName,
		ContactPhone:      a.Contact.Phone,
		ContactEmail:      a.Contact.Email,
		Revision:          a.Revision,
		CreateTime:        dbTime{a.CreateTime},
		UpdateTime:        dbTime{a.UpdateTime},
	}
}

func (r associationRow) association() millwa.Association {
	return millwa.Association{
		ID:        r.ID,
		LegalName: r.LegalName,
		RUC:       r.RUC,
		Ubigeo:    r.Ubigeo,
		Community: r.Community,
		Contact: millwa.Contact{
			PersonName: r.ContactPersonName,
			Phone:      r.ContactPhone,
			Email:      r.ContactEmail,
		},
		Revision:   r.Revision,
		CreateTime: r.CreateTime.Time,
		UpdateTime: r.UpdateTime.Time,
	}
}

// CreateAssociation inserts a, which the caller has normalized and
// validated. On success it sets a.ID to a new UUIDv7, a.Revision to 1 and
// a.CreateTime and a.UpdateTime to the current time (UTC, microseconds); on
// failure a is unchanged. It returns AlreadyExists when an association with
// the same RUC exists.
func (tx *Tx) CreateAssociation(ctx context.Context, a *millwa.Association) error {
	id, err := newID()
	if err != nil {
		return fmt.Errorf("creating association: %w", err)
	}
	t := now()
	row := newAssociationRow(a)
	row.ID, row.Revision, row.CreateTime, row.UpdateTime = id, 1, dbTime{t}, dbTime{t}
	_, err = tx.tx.NamedExecContext(ctx, `INSERT INTO associations (`+associationColumns+`)
		VALUES (:id, :legal_name, :ruc, :ubigeo, :community, :contact_person_name,
			:contact_phone, :contact_email, :revision, :create_time, :update_time)`, row)
	if err != nil {
		err = uniqueTaken(err, "ASSOCIATION_RUC_TAKEN", "an association with RUC %s already exists", a.RUC)
		return fmt.Errorf("inserting association %s: %w", id, err)
	}
	*a = row.association()
	return nil
}

// GetAssociation returns the association with the given id if p may see
// it. It returns NotFound, saying "association ID not found", when there is
// none or p may not see it: the two are indistinguishable.
func (s *Store) GetAssociation(ctx context.Context, p millwa.Principal, id string) (millwa.Association, error) {
	return getAssociation(ctx, s.r, associationScope(p), id)
}

// GetAssociation is Store.GetAssociation as the transaction sees it.
func (tx *Tx) GetAssociation(ctx context.Context, p millwa.Principal, id string) (millwa.Association, error) {
	return getAssociation(ctx, tx.tx, associationScope(p), id)
}

func getAssociation(ctx context.Context, q querier, visible scope, id string) (millwa.Association, error) {
	row, err := getVisible[associationRow](ctx, q, "associations", associationColumns, visible, id,
		millwa.Errorf(millwa.NotFound, "association %s not found", id))
	if err != nil {
		return millwa.Association{}, err
	}
	return row.association(), nil
}

// ListAssociations returns one page of the associations q selects among
// those p may see, in q's order (id order, which is creation order, when q
// has none). It returns Invalid for a field, key or limit the query may not
// have.
func (s *Store) ListAssociations(ctx context.Context, p millwa.Principal, q ListQuery) (Page[millwa.Association], error) {
	return listAssociations(ctx, s.r, s.dialect, associationScope(p), q)
}

// ListAssociations is Store.ListAssociations as the transaction sees it.
func (tx *Tx) ListAssociations(ctx context.Context, p millwa.Principal, q ListQuery) (Page[millwa.Association], error) {
	return listAssociations(ctx, tx.tx, tx.dialect, associationScope(p), q)
}

func listAssociations(ctx context.Context, q querier, dialect string, visible scope, lq ListQuery) (Page[millwa.Association], error) {
	return listPage(ctx, q, dialect, &associationList, associationColumns, visible, lq, (*associationRow).association)
}
