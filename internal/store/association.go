package store

import (
	"context"
	"fmt"

	"github.com/millwa/millwa/internal/millwa"
)

// associationList is how associations are listed (see organisationColumns).
var associationList = resourceColumns{
	rowSource: rowSource{noun: "association", from: "associations", selectList: associationColumns},
	columns:   organisationColumns,
}

// associationRow is an associations row.
type associationRow struct {
	organisationRow
	Community string `db:"community"`
	FeeBP     int32  `db:"fee_basis_points"`
}

const associationColumns = `id, legal_name, ruc, ubigeo, community, contact_person_name,
	contact_phone, contact_email, fee_basis_points, revision, create_time, update_time`

func (r *associationRow) association() millwa.Association {
	return millwa.Association{
		ID:             r.ID,
		LegalName:      r.LegalName,
		RUC:            r.RUC,
		Ubigeo:         r.Ubigeo,
		Community:      r.Community,
		Contact:        r.contact(),
		FeeBasisPoints: r.FeeBP,
		Revision:       r.Revision,
		CreateTime:     r.CreateTime.Time,
		UpdateTime:     r.UpdateTime.Time,
	}
}

// CreateAssociation inserts a, which the caller has normalized and
// validated. On success it sets a.ID to a new UUIDv7, a.Revision to 1 and
// a.CreateTime and a.UpdateTime to the current time (UTC, microseconds); on
// failure a is unchanged. It returns AlreadyExists when an association with
// the same RUC exists.
func (tx *Tx) CreateAssociation(ctx context.Context, a *millwa.Association) error {
	row := associationRow{organisationRow: newOrganisationRow(a.LegalName, a.RUC, a.Ubigeo, a.Contact), Community: a.Community, FeeBP: a.FeeBasisPoints}
	id, err := tx.insertRecord(ctx, "associations", associationColumns, &row.recordRow, &row)
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
func (qs queries) GetAssociation(ctx context.Context, p millwa.Principal, id string) (millwa.Association, error) {
	return qs.association(ctx, associationScope(p), id)
}

// association reads the association with the given id among those visible.
func (qs queries) association(ctx context.Context, visible scope, id string) (millwa.Association, error) {
	return getOne(ctx, qs, &associationList.rowSource, visible, id, (*associationRow).association)
}

// ListAssociations returns one page of the associations q selects among
// those p may see, in q's order (id order, which is creation order, when q
// has none). It returns Invalid for a field, key or limit the query may not
// have.
func (qs queries) ListAssociations(ctx context.Context, p millwa.Principal, q ListQuery) (Page[millwa.Association], error) {
	return listPage(ctx, qs, &associationList, associationScope(p), q, (*associationRow).association)
}
