package store

import (
	"context"
	"database/sql"

	"github.com/millwa/millwa/internal/millwa"
)

// classifierList is how classifiers are filtered, ordered and paged. member
// holds a member's id (the service takes it from the resource name); region
// is a ubigeo prefix of the classifier's association's seat.
var classifierList = resourceColumns{
	rowSource: rowSource{noun: "classifier", from: "classifiers", selectList: classifierColumns},
	columns: map[string]column{
		"dni":                  {expr: "dni", kind: millwa.StringField},
		"member":               {expr: "member_id", kind: millwa.StringField},
		"certification_number": {expr: "certification_number", kind: millwa.StringField},
		"region": {
			expr:   "(SELECT a.ubigeo FROM associations a WHERE a.id = classifiers.association_id)",
			kind:   millwa.StringField,
			prefix: true,
		},
		"display_name": {expr: "full_name", kind: millwa.StringField},
		"create_time":  {expr: "create_time", kind: millwa.TimeField},
	},
}

// classifierRow is a classifiers row.
type classifierRow struct {
	personRow
	CertificationNumber string         `db:"certification_number"`
	CertificationDate   sql.NullString `db:"certification_date"`
	MemberID            sql.NullString `db:"member_id"`
}

const classifierColumns = `id, association_id, full_name, dni, certification_number, certification_date,
	member_id, revision, create_time, update_time`

// newClassifierRow returns c's row, or NotFound when its association is
// not an id and Invalid when its member is not.
func newClassifierRow(c *millwa.Classifier) (classifierRow, error) {
	p, err := newPersonRow(c.AssociationID, c.DisplayName, c.DNI)
	if err != nil {
		return classifierRow{}, err
	}
	r := classifierRow{
		personRow:           p,
		CertificationNumber: c.CertificationNumber,
		CertificationDate:   sql.NullString{String: c.CertificationDate, Valid: c.CertificationDate != ""},
	}
	if c.MemberID != "" {
		member, ok := canonicalID(c.MemberID)
		if !ok {
			return classifierRow{}, millwa.Errorf(millwa.Invalid, "member %q is not an id", c.MemberID)
		}
		r.MemberID = sql.NullString{String: member, Valid: true}
	}
	return r, nil
}

func (r *classifierRow) classifier() millwa.Classifier {
	return millwa.Classifier{
		ID:                  r.ID,
		AssociationID:       r.AssociationID,
		DisplayName:         r.FullName,
		DNI:                 r.DNI,
		CertificationNumber: r.CertificationNumber,
		CertificationDate:   r.CertificationDate.String,
		MemberID:            r.MemberID.String,
		Revision:            r.Revision,
		CreateTime:          r.CreateTime.Time,
		UpdateTime:          r.UpdateTime.Time,
	}
}

// CreateClassifier inserts c as a classifier of the association
// c.AssociationID. The caller has normalized and validated c, checked that
// the association exists and that the principal may change it, and, when
// c.MemberID is set, that it names a member of the same association. On
// success it sets c.ID to a new UUIDv7, c.Revision to 1 and c.CreateTime
// and c.UpdateTime to the current time (UTC, microseconds); on failure c is
// unchanged. It returns AlreadyExists (reason CLASSIFIER_DNI_TAKEN) when
// the association already has a classifier with c's DNI, and
// FailedPrecondition when the association does not exist or c.MemberID is
// not one of its members (the foreign key).
func (tx *Tx) CreateClassifier(ctx context.Context, c *millwa.Classifier) error {
	row, err := newClassifierRow(c)
	if err != nil {
		return err
	}
	if err := tx.insertPerson(ctx, "classifier", "classifiers", classifierColumns, "CLASSIFIER_DNI_TAKEN", &row.personRow, &row); err != nil {
		return err
	}
	*c = row.classifier()
	return nil
}

// GetClassifier returns the classifier with the given id of the association
// with the given id, if p may see it (see ListClassifiers). It returns
// NotFound, saying "classifier ID not found", when there is none or p may
// not see it: the two are indistinguishable.
func (qs queries) GetClassifier(ctx context.Context, p millwa.Principal, associationID, id string) (millwa.Classifier, error) {
	return getOne(ctx, qs, &classifierList.rowSource, childScope(classifierScope(p), associationID), id, (*classifierRow).classifier)
}

// ListClassifiers returns one page of the classifiers that q selects among
// those p may see: admins every classifier, an association its own, an
// agency those of the associations seated in its regions, a processor none.
// associationID limits the page to one association's classifiers; "" lists
// across every association (the API's parent "associations/-"). Items come
// in q's order (id order, which is creation order, when q has none). It
// returns NotFound, saying "association ID not found", when associationID
// names an association that does not exist or whose classifiers p may not
// see, and Invalid for a field, key or limit the query may not have. A
// condition on member compares the member's id.
func (qs queries) ListClassifiers(ctx context.Context, p millwa.Principal, associationID string, lq ListQuery) (Page[millwa.Classifier], error) {
	for _, k := range lq.Order {
		if k.Field == "region" || k.Field == "member" {
			// Neither is a value of the classifier that a page key could
			// carry (member may be NULL, region is the association's).
			return Page[millwa.Classifier]{}, millwa.Errorf(millwa.Invalid, "classifiers cannot be ordered by %s", k.Field)
		}
	}
	lq.Conditions = append([]millwa.Condition(nil), lq.Conditions...)
	for i, c := range lq.Conditions {
		if c.Field != "member" {
			continue
		}
		// member_id is a uuid column on PostgreSQL: anything else is an
		// error there, not a miss.
		id, ok := canonicalID(c.Str)
		if !ok {
			return Page[millwa.Classifier]{}, millwa.Errorf(millwa.Invalid, "member takes a member's id, got %q", c.Str)
		}
		lq.Conditions[i].Str = id
	}
	visible := classifierScope(p)
	if associationID != "" {
		parent, err := qs.association(ctx, classifierParentScope(p), associationID)
		if err != nil {
			return Page[millwa.Classifier]{}, err
		}
		visible = visible.and("association_id = ?", parent.ID)
	}
	return listPage(ctx, qs, &classifierList, visible, lq, (*classifierRow).classifier)
}
