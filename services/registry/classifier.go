package registry

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

const classifiersCollection = "classifiers"

// anyAssociation is the parent that lists across every association the
// caller may see (AIP-159).
const anyAssociation = associationsCollection + "/-"

// classifiers lists the classifiers of one association, or of every
// association the caller may see when associationID is "": by default in
// registration order. member is a member's resource name; region is an
// INEI ubigeo prefix of the association's seat.
func (s *Server) classifiers(ctx context.Context, associationID string) rpc.Lister[millwa.Classifier, *millwav1.Classifier] {
	return rpc.Lister[millwa.Classifier, *millwav1.Classifier]{
		Spec: millwa.ListSpec{
			Filter: map[string]millwa.FieldKind{
				"dni": millwa.StringField, "member": millwa.StringField, "certification_number": millwa.StringField,
				"region": millwa.StringField, "create_time": millwa.TimeField,
			},
			EqualOnly:    []string{"dni", "member", "certification_number"},
			Order:        []string{"display_name", "create_time"},
			DefaultOrder: []millwa.OrderTerm{{Field: "create_time"}},
		},
		Refine: func(_ millwa.Principal, q *millwa.ListQuery) error {
			return rpc.FilterNames(q, map[string][]string{"member": {associationsCollection, membersCollection}})
		},
		Read: func(ctx context.Context, p millwa.Principal, q millwa.ListQuery) (millwa.Page[millwa.Classifier], error) {
			return s.store.ListClassifiers(ctx, p, associationID, q)
		},
		Show: rpc.Plain(classifierToProto),
	}
}

// CreateClassifier registers a certified fibre classifier working for an
// association, optionally one of its members.
func (s *Server) CreateClassifier(ctx context.Context, req *millwav1.CreateClassifierRequest) (*millwav1.CreateClassifierResponse, error) {
	var c millwa.Classifier
	return createIn(ctx, s, req, "classifiers are registered by admins and by their association",
		func(vs *millwa.Violations, parent string) {
			c = rpc.Input(vs, "classifier", req.GetClassifier(), classifierFromProto)
			name := req.GetClassifier().GetMember()
			if name == "" {
				return
			}
			ids, err := millwa.ParseName("classifier.member", name, associationsCollection, membersCollection)
			switch {
			case err != nil:
				rpc.AddViolations(vs, err)
			case parent != "" && ids[0] != parent:
				vs.Add("classifier.member", "must be a member of %s, the classifier's association; %s is not", req.GetParent(), name)
			default:
				c.MemberID = ids[1]
			}
		},
		func(tx *store.Tx, a millwa.Association) (*millwav1.CreateClassifierResponse, string, error) {
			if c.MemberID != "" {
				if _, err := tx.GetMember(ctx, rpc.Principal(ctx), a.ID, c.MemberID); millwa.ErrorCode(err) == millwa.NotFound {
					var vs millwa.Violations
					vs.Add("classifier.member", "%s is not a member of %s", req.GetClassifier().GetMember(), req.GetParent())
					return nil, "", vs.Err()
				} else if err != nil {
					return nil, "", err
				}
			}
			created := c
			created.AssociationID = a.ID
			if err := tx.CreateClassifier(ctx, &created); err != nil {
				return nil, "", err
			}
			resp := &millwav1.CreateClassifierResponse{Classifier: classifierToProto(&created)}
			return resp, resp.Classifier.Name, nil
		})
}

// ListClassifiers lists an association's classifiers, or with parent
// "associations/-" those of every association the caller may see, by
// default in the order they were registered.
func (s *Server) ListClassifiers(ctx context.Context, req *millwav1.ListClassifiersRequest) (*millwav1.ListClassifiersResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := rpc.RequireRole(p, "processors never see classifiers", millwa.RoleAdmin, millwa.RoleAssociation, millwa.RoleAgency); err != nil {
		return nil, err
	}
	parent := "" // every visible association
	if req.GetParent() != anyAssociation {
		var vs millwa.Violations
		parent = parseParent(&vs, req.GetParent())
		if err := vs.Err(); err != nil {
			return nil, err
		}
	}
	items, next, err := s.classifiers(ctx, parent).List(ctx, p, req)
	if err != nil {
		return nil, err
	}
	return &millwav1.ListClassifiersResponse{Classifiers: items, NextPageToken: next}, nil
}

// classifierFromProto converts what a client supplies, less the member,
// whose resource name the caller checks and turns into an id.
func classifierFromProto(p *millwav1.Classifier) millwa.Classifier {
	return millwa.Classifier{
		DisplayName:         p.GetDisplayName(),
		DNI:                 p.GetDni(),
		CertificationNumber: p.GetCertificationNumber(),
		CertificationDate:   p.GetCertificationDate(),
	}
}

func classifierToProto(c *millwa.Classifier) *millwav1.Classifier {
	out := &millwav1.Classifier{
		Name:                associationsCollection + "/" + c.AssociationID + "/" + classifiersCollection + "/" + c.ID,
		DisplayName:         c.DisplayName,
		Dni:                 c.DNI,
		CertificationNumber: c.CertificationNumber,
		CertificationDate:   c.CertificationDate,
		CreateTime:          timestamppb.New(c.CreateTime),
		UpdateTime:          timestamppb.New(c.UpdateTime),
		Etag:                millwa.Etag(c.Revision),
	}
	if c.MemberID != "" {
		out.Member = memberName(c.AssociationID, c.MemberID)
	}
	return out
}
