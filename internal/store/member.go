package store

import (
	"context"
	"database/sql"

	"github.com/millwa/millwa/internal/millwa"
)

// memberList is how members are filtered, ordered, searched (by name and
// DNI) and paged. sex holds the domain's value ("FEMALE", "MALE"): the
// service maps the API's enum names.
var memberList = resourceColumns{
	search:    memberSearch,
	rowSource: rowSource{noun: "member", from: "members", selectList: memberColumns},
	columns: map[string]column{
		"dni":          {expr: "dni", kind: millwa.StringField},
		"sex":          {expr: "sex", kind: millwa.StringField},
		"display_name": {expr: "full_name", kind: millwa.StringField},
		"create_time":  {expr: "create_time", kind: millwa.TimeField},
	},
}

// memberRow is a members row.
type memberRow struct {
	personRow
	Sex      string        `db:"sex"`
	HerdSize sql.NullInt32 `db:"herd_size"`
}

const memberColumns = `id, association_id, full_name, dni, sex, herd_size, revision, create_time, update_time`

// newMemberRow returns m's row, or NotFound when its association is not
// an id.
func newMemberRow(m *millwa.Member) (memberRow, error) {
	p, err := newPersonRow(m.AssociationID, m.DisplayName, m.DNI)
	if err != nil {
		return memberRow{}, err
	}
	r := memberRow{personRow: p, Sex: string(m.Sex)}
	if m.HerdSize != nil {
		r.HerdSize = sql.NullInt32{Int32: *m.HerdSize, Valid: true}
	}
	return r, nil
}

func (r *memberRow) member() millwa.Member {
	m := millwa.Member{
		ID:            r.ID,
		AssociationID: r.AssociationID,
		DisplayName:   r.FullName,
		DNI:           r.DNI,
		Sex:           millwa.Sex(r.Sex),
		Revision:      r.Revision,
		CreateTime:    r.CreateTime.Time,
		UpdateTime:    r.UpdateTime.Time,
	}
	if r.HerdSize.Valid {
		n := r.HerdSize.Int32
		m.HerdSize = &n
	}
	return m
}

// CreateMember inserts m as a member of the association m.AssociationID.
// The caller has normalized and validated m and checked that the
// association exists and that the principal may change it. On success it
// sets m.ID to a new UUIDv7, m.Revision to 1 and m.CreateTime and
// m.UpdateTime to the current time (UTC, microseconds); on failure m is
// unchanged. It returns AlreadyExists (reason MEMBER_DNI_TAKEN) when the
// association already has a member with m's DNI, and FailedPrecondition
// when the association does not exist.
func (tx *Tx) CreateMember(ctx context.Context, m *millwa.Member) error {
	row, err := newMemberRow(m)
	if err != nil {
		return err
	}
	if err := tx.insertPerson(ctx, "member", "members", memberColumns, "MEMBER_DNI_TAKEN", &row.personRow, &row); err != nil {
		return err
	}
	*m = row.member()
	return nil
}

// GetMember returns the member with the given id of the association with
// the given id, if p may see it: admins see every member, an association
// its own, nobody else any. It returns NotFound, saying "member ID not
// found", when there is none or p may not see it: the two are
// indistinguishable.
func (qs queries) GetMember(ctx context.Context, p millwa.Principal, associationID, id string) (millwa.Member, error) {
	return getOne(ctx, qs, &memberList.rowSource, childScope(memberScope(p), associationID), id, (*memberRow).member)
}

// ListMembers returns one page of the members of the association with the
// given id that q selects, in q's order (id order, which is creation order,
// when q has none). It returns NotFound, saying "association ID not found",
// when the association does not exist or p may not see its members (only
// admins and the association itself may), and Invalid for a field, key or
// limit the query may not have.
func (qs queries) ListMembers(ctx context.Context, p millwa.Principal, associationID string, q ListQuery) (Page[millwa.Member], error) {
	parent, err := qs.association(ctx, associationOnlyScope(p, "id"), associationID)
	if err != nil {
		return Page[millwa.Member]{}, err
	}
	return listPage(ctx, qs, &memberList, memberScope(p).and("association_id = ?", parent.ID), q, (*memberRow).member)
}
