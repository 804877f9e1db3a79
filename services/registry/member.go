package registry

import (
	"context"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

const membersCollection = "members"

// members lists an association's members: by default in registration
// order; searched by name and DNI.
func (s *Server) members(ctx context.Context, associationID string) rpc.Lister[millwa.Member, *millwav1.Member] {
	return rpc.Lister[millwa.Member, *millwav1.Member]{
		Spec: millwa.ListSpec{
			Filter: map[string]millwa.FieldKind{
				"dni": millwa.StringField, "sex": millwa.EnumField,
				"display_name": millwa.StringField, "create_time": millwa.TimeField,
			},
			EqualOnly:    []string{"dni", "display_name"},
			Order:        []string{"display_name", "create_time"},
			DefaultOrder: []millwa.OrderTerm{{Field: "create_time"}},
			Search:       true,
		},
		Refine: func(_ millwa.Principal, q *millwa.ListQuery) error {
			for i, c := range q.Conditions {
				if c.Field == "sex" {
					sex, ok := millwa.ParseSex(c.Str)
					if !ok {
						return millwa.FilterError("sex takes FEMALE or MALE (or SEX_FEMALE, SEX_MALE), got %q", c.Str)
					}
					q.Conditions[i].Str = string(sex)
				}
			}
			return nil
		},
		Read: func(ctx context.Context, p millwa.Principal, q millwa.ListQuery) (millwa.Page[millwa.Member], error) {
			return s.store.ListMembers(ctx, p, associationID, q)
		},
		Show: rpc.Plain(memberToProto),
	}
}

// CreateMember registers a producer as a member of an association.
func (s *Server) CreateMember(ctx context.Context, req *millwav1.CreateMemberRequest) (*millwav1.CreateMemberResponse, error) {
	var m millwa.Member
	return createIn(ctx, s, req, "members are registered by admins and by their association",
		func(vs *millwa.Violations, _ string) { m = rpc.Input(vs, "member", req.GetMember(), memberFromProto) },
		func(tx *store.Tx, a millwa.Association) (*millwav1.CreateMemberResponse, string, error) {
			created := m
			created.AssociationID = a.ID
			if err := tx.CreateMember(ctx, &created); err != nil {
				return nil, "", err
			}
			resp := &millwav1.CreateMemberResponse{Member: memberToProto(&created)}
			return resp, resp.Member.Name, nil
		})
}

// createIn runs the Create RPC of a resource of the association the
// request's parent names, which only admins and the association itself may
// call (why says so to anyone else). check records the violations of the
// request, given the parent's id; insert writes the resource in a, read as
// the caller sees it (another association's parent answers as a missing
// one), and answers it with its name for the audit event, which lies in
// a's region.
func createIn[R proto.Message](ctx context.Context, s *Server, req interface {
	rpc.Request
	GetParent() string
}, why string, check func(vs *millwa.Violations, parent string), insert func(tx *store.Tx, a millwa.Association) (R, string, error)) (R, error) {
	var zero R
	p, err := rpc.Require(ctx)
	if err != nil {
		return zero, err
	}
	if err := rpc.RequireRole(p, why, millwa.RoleAdmin, millwa.RoleAssociation); err != nil {
		return zero, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	parent := parseParent(&vs, req.GetParent())
	check(&vs, parent)
	if err := vs.Err(); err != nil {
		return zero, err
	}
	return rpc.Do(ctx, s.store, req, nil, func(tx *store.Tx) (R, []rpc.Event, error) {
		a, err := tx.GetAssociation(ctx, p, parent)
		if err != nil {
			return zero, nil, err
		}
		r, name, err := insert(tx, a)
		if err != nil {
			return zero, nil, err
		}
		return r, []rpc.Event{{Resource: name, Action: "create", Region: a.Ubigeo}}, nil
	})
}

// ListMembers lists an association's members, by default in the order they
// were registered. Only admins and the association itself see them.
func (s *Server) ListMembers(ctx context.Context, req *millwav1.ListMembersRequest) (*millwav1.ListMembersResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := rpc.RequireRole(p, "processors and agencies never see members", millwa.RoleAdmin, millwa.RoleAssociation); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	parent := parseParent(&vs, req.GetParent())
	if err := vs.Err(); err != nil {
		return nil, err
	}
	items, next, err := s.members(ctx, parent).List(ctx, p, req)
	if err != nil {
		return nil, err
	}
	return &millwav1.ListMembersResponse{Members: items, NextPageToken: next}, nil
}

// parseParent returns the id of the association a request's parent names,
// or records a violation of "parent" in vs and returns "".
func parseParent(vs *millwa.Violations, parent string) string {
	if ids := rpc.ParseParent(vs, parent, associationsCollection); ids != nil {
		return ids[0]
	}
	return ""
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
