package registry

import (
	"context"
	"errors"
	"slices"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

const membersCollection = "members"

// memberList is what ListMembers filters and orders by; the default is
// registration order.
var memberList = millwa.ListSpec{
	Filter: map[string]millwa.FieldKind{
		"dni":          millwa.StringField,
		"sex":          millwa.EnumField,
		"display_name": millwa.StringField,
		"create_time":  millwa.TimeField,
	},
	Order:        []string{"display_name", "create_time"},
	DefaultOrder: []millwa.OrderTerm{{Field: "create_time"}},
}

// CreateMember registers a producer as a member of an association.
func (s *Server) CreateMember(ctx context.Context, req *millwav1.CreateMemberRequest) (*millwav1.CreateMemberResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := requireRole(p, "members are registered by admins and by their association", millwa.RoleAdmin, millwa.RoleAssociation); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	parent := parseParent(&vs, req.GetParent())
	if req.GetMember() == nil {
		vs.Add("member", "is required")
		return nil, vs.Err()
	}
	m := memberFromProto(req.GetMember())
	m.Normalize()
	m.Check(&vs, "member")
	if err := vs.Err(); err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, func() *millwav1.CreateMemberResponse { return &millwav1.CreateMemberResponse{} },
		func(tx *store.Tx) (*millwav1.CreateMemberResponse, []rpc.Event, error) {
			// Another association's parent answers as a missing one.
			a, err := tx.GetAssociation(ctx, p, parent)
			if err != nil {
				return nil, nil, err
			}
			created := m
			created.AssociationID = a.ID
			if err := tx.CreateMember(ctx, &created); err != nil {
				return nil, nil, err
			}
			resp := &millwav1.CreateMemberResponse{Member: memberToProto(&created)}
			return resp, []rpc.Event{{Resource: resp.Member.Name, Action: "create", Region: a.Ubigeo}}, nil
		})
}

// ListMembers lists an association's members, by default in the order they
// were registered. Only admins and the association itself see them.
func (s *Server) ListMembers(ctx context.Context, req *millwav1.ListMembersRequest) (*millwav1.ListMembersResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := requireRole(p, "processors and agencies never see members", millwa.RoleAdmin, millwa.RoleAssociation); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	parent := parseParent(&vs, req.GetParent())
	if err := vs.Err(); err != nil {
		return nil, err
	}
	lr := millwa.ListRequest{Parent: req.GetParent(), PageSize: req.GetPageSize(), PageToken: req.GetPageToken(), Filter: req.GetFilter(), OrderBy: req.GetOrderBy()}
	q, err := millwa.ParseList(lr, memberList)
	if err != nil {
		return nil, err
	}
	if err := q.EqualOnly("dni", "display_name"); err != nil {
		return nil, err
	}
	for i, c := range q.Conditions {
		if c.Field == "sex" {
			sex, ok := millwa.ParseSex(c.Str)
			if !ok {
				return nil, millwa.FilterError("sex takes FEMALE or MALE (or SEX_FEMALE, SEX_MALE), got %q", c.Str)
			}
			q.Conditions[i].Str = string(sex)
		}
	}
	page, err := s.store.ListMembers(ctx, p, parent, q)
	if err != nil {
		return nil, err
	}
	resp := &millwav1.ListMembersResponse{
		Members:       make([]*millwav1.Member, len(page.Items)),
		NextPageToken: lr.NextPageToken(page.Next),
	}
	for i := range page.Items {
		resp.Members[i] = memberToProto(&page.Items[i])
	}
	return resp, nil
}

// requireRole returns PermissionDenied, saying why, unless p has one of the
// roles. It repeats the policy table's rule for RPCs whose data other
// roles must never reach, so that a mistake in the table cannot expose it.
func requireRole(p millwa.Principal, why string, roles ...millwa.Role) error {
	if slices.Contains(roles, p.Role) {
		return nil
	}
	return millwa.Errorf(millwa.PermissionDenied, "the %s role may not call this: %s", p.Role, why)
}

// parseParent returns the id of the association a request's parent names,
// or records a violation of "parent" in vs and returns "".
func parseParent(vs *millwa.Violations, parent string) string {
	ids, err := millwa.ParseName("parent", parent, associationsCollection)
	if err != nil {
		addViolations(vs, err)
		return ""
	}
	return ids[0]
}

// addViolations appends the violations of an Invalid error to vs.
func addViolations(vs *millwa.Violations, err error) {
	var e *millwa.Error
	if errors.As(err, &e) {
		*vs = append(*vs, e.Violations...)
	}
}

func memberFromProto(p *millwav1.Member) millwa.Member {
	m := millwa.Member{
		DisplayName: p.GetDisplayName(),
		DNI:         p.GetDni(),
		Sex:         sexFromProto(p.GetSex()),
	}
	if p.HerdSize != nil {
		n := p.GetHerdSize()
		m.HerdSize = &n
	}
	return m
}

func memberToProto(m *millwa.Member) *millwav1.Member {
	out := &millwav1.Member{
		Name:        memberName(m.AssociationID, m.ID),
		DisplayName: m.DisplayName,
		Dni:         m.DNI,
		Sex:         sexToProto(m.Sex),
		CreateTime:  timestamppb.New(m.CreateTime),
		UpdateTime:  timestamppb.New(m.UpdateTime),
		Etag:        millwa.Etag(m.Revision),
	}
	if m.HerdSize != nil {
		n := *m.HerdSize
		out.HerdSize = &n
	}
	return out
}

// memberName is the resource name of a member.
func memberName(associationID, id string) string {
	return associationsCollection + "/" + associationID + "/" + membersCollection + "/" + id
}

// sexFromProto maps the API's enum to the domain's value: "" for
// SEX_UNSPECIFIED, and a value the domain refuses for a number the enum
// does not define.
func sexFromProto(s millwav1.Sex) millwa.Sex {
	switch s {
	case millwav1.Sex_SEX_UNSPECIFIED:
		return ""
	case millwav1.Sex_SEX_FEMALE:
		return millwa.SexFemale
	case millwav1.Sex_SEX_MALE:
		return millwa.SexMale
	}
	return millwa.Sex(s.String())
}

func sexToProto(s millwa.Sex) millwav1.Sex {
	switch s {
	case millwa.SexFemale:
		return millwav1.Sex_SEX_FEMALE
	case millwa.SexMale:
		return millwav1.Sex_SEX_MALE
	}
	return millwav1.Sex_SEX_UNSPECIFIED
}
