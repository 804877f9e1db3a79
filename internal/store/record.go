package store

import (
	"context"
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

func newContactRow(c millwa.Contact) contactRow {
	return contactRow{ContactPersonName: c.PersonName, ContactPhone: c.Phone, ContactEmail: c.Email}
}

func (r *contactRow) contact() millwa.Contact {
	return millwa.Contact{PersonName: r.ContactPersonName, Phone: r.ContactPhone, Email: r.ContactEmail}
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
