package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/millwa/millwa/internal/millwa"
)

// recordRow holds the columns that every registry row (association,
// processor, agency, member, classifier) has, embedded in its row type.
type recordRow struct {
	ID         string `db:"id"`
	Revision   int64  `db:"revision"`
	CreateTime dbTime `db:"create_time"`
	UpdateTime dbTime `db:"update_time"`
}

// contactRow holds an organisation's contact columns, embedded in the rows
// of associations, processors and agencies.
type contactRow struct {
	ContactPersonName string `db:"contact_person_name"`
	ContactPhone      string `db:"contact_phone"`
	ContactEmail      string `db:"contact_email"`
}

// organisationRow holds the columns that associations and processors, the
// two organisations registered with a RUC and a seat, share.
type organisationRow struct {
	recordRow
	contactRow
	LegalName string `db:"legal_name"`
	RUC       string `db:"ruc"`
	Ubigeo    string `db:"ubigeo"`
}

func newOrganisationRow(legalName, ruc, ubigeo string, c millwa.Contact) organisationRow {
	return organisationRow{contactRow: newContactRow(c), LegalName: legalName, RUC: ruc, Ubigeo: ubigeo}
}

// organisationColumns is how associations and processors are filtered,
// ordered and paged. region matches a ubigeo prefix of the seat (an
// association's) or plant (a processor's): 2 digits for a department, 4
// for a province, 6 for a district.
var organisationColumns = map[string]column{
	"ruc":         {expr: "ruc", kind: millwa.StringField},
	"legal_name":  {expr: "legal_name", kind: millwa.StringField},
	"region":      {expr: "ubigeo", kind: millwa.StringField, prefix: true},
	"create_time": {expr: "create_time", kind: millwa.TimeField},
}

func newContactRow(c millwa.Contact) contactRow {
	return contactRow{ContactPersonName: c.PersonName, ContactPhone: c.Phone, ContactEmail: c.Email}
}

func (r *contactRow) contact() millwa.Contact {
	return millwa.Contact{PersonName: r.ContactPersonName, Phone: r.ContactPhone, Email: r.ContactEmail}
}

// personRow holds the columns of a person registered in an association
// under a DNI unique there: a member or a classifier.
type personRow struct {
	recordRow
	AssociationID string `db:"association_id"`
	FullName      string `db:"full_name"`
	DNI           string `db:"dni"`
}

// newPersonRow returns the row of a person of the association with the
// given id, or NotFound when the id is not an id.
func newPersonRow(associationID, fullName, dni string) (personRow, error) {
	assoc, ok := canonicalID(associationID)
	if !ok {
		return personRow{}, millwa.Errorf(millwa.NotFound, "association %s not found", associationID)
	}
	return personRow{AssociationID: assoc, FullName: fullName, DNI: dni}, nil
}

// insertPerson inserts row, a noun ("member", "classifier") that embeds p,
// into table (see insertRecord). It returns AlreadyExists with reason when
// p's association already has a noun with p's DNI.
func (tx *Tx) insertPerson(ctx context.Context, noun, table, columns, reason string, p *personRow, row any) error {
	id, err := tx.insertRecord(ctx, table, columns, &p.recordRow, row)
	if err != nil {
		err = uniqueTaken(err, reason, "a %s with DNI %s is already registered in associations/%s", millwa.Noun(noun), p.DNI, p.AssociationID)
		return fmt.Errorf("inserting %s %s of association %s: %w", noun, id, p.AssociationID, err)
	}
	return nil
}

// insertRecord inserts a new registry row: it sets rec, which row embeds,
// to a new UUIDv7, revision 1 and the current time (UTC, microseconds),
// then inserts row's columns (a SELECT list such as rowSource.selectList)
// into table, each bound from row's field of the same db tag. It returns
// the new id, and the database's error as it is, for the caller to name its
// unique key (uniqueTaken).
func (tx *Tx) insertRecord(ctx context.Context, table, columns string, rec *recordRow, row any) (string, error) {
	id, err := newID()
	if err != nil {
		return "", err
	}
	t := dbTime{now()}
	*rec = recordRow{ID: id, Revision: 1, CreateTime: t, UpdateTime: t}
	names := strings.Split(columns, ",")
	for i, n := range names {
		names[i] = ":" + strings.TrimSpace(n)
	}
	_, err = tx.tx.NamedExecContext(ctx, `INSERT INTO `+table+` (`+columns+`) VALUES (`+strings.Join(names, ", ")+`)`, row)
	return id, err
}
