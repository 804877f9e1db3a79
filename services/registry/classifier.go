package registry

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

const classifiersCollection = "classifiers"

// anyAssociation is the parent that lists across every association the
// caller may see (AIP-159).
const anyAssociation = associationsCollection + "/-"

// classifierList is what ListClassifiers filters and orders by; the default
// is registration order. member is a member's resource name; region is an
// INEI ubigeo prefix of the association's seat.
var classifierList = millwa.ListSpec{
	Filter: map[string]millwa.FieldKind{
		"dni":                  millwa.StringField,
		"member":               millwa.StringField,
		"certification_number": millwa.StringField,
		"region":               millwa.StringField,
		"create_time":          millwa.TimeField,
	},
	Order:        []string{"display_name", "create_time"},
	DefaultOrder: []millwa.OrderTerm{{Field: "create_time"}},
}

// CreateClassifier registers a certified fibre classifier working for an
// association, optionally one of its members.
func (s *Server) CreateClassifier(ctx context.Context, req *millwav1.CreateClassifierRequest) (*millwav1.CreateClassifierResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := requireRole(p, "classifiers are registered by admins and by their association", millwa.RoleAdmin, millwa.RoleAssociation); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	parent := parseParent(&vs, req.GetParent())
	if req.GetClassifier() == nil {
		vs.Add("classifier", "is required")
		return nil, vs.Err()
	}
	c := classifierFromProto(req.GetClassifier())
	c.Normalize()
	c.Check(&vs, "classifier")
	if name := req.GetClassifier().GetMember(); name != "" {
		ids, err := millwa.ParseName("classifier.member", name, associationsCollection, membersCollection)
		switch {
		case err != nil:
			addViolations(&vs, err)
		case parent != "" && ids[0] != parent:
			vs.Add("classifier.member", "must be a member of %s, the classifier's association; %s is not", req.GetParent(), name)
		default:
			c.MemberID = ids[1]
		}
	}
	if err := vs.Err(); err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, func() *millwav1.CreateClassifierResponse { return &millwav1.CreateClassifierResponse{} },
		func(tx *store.Tx) (*millwav1.CreateClassifierResponse, []rpc.Event, error) {
			// Another association's parent answers as a missing one.
			a, err := tx.GetAssociation(ctx, p, parent)
			if err != nil {
				return nil, nil, err
			}
			if c.MemberID != "" {
				if _, err := tx.GetMember(ctx, p, a.ID, c.MemberID); millwa.ErrorCode(err) == millwa.NotFound {
					var vs millwa.Violations
					vs.Add("classifier.member", "%s is not a member of %s", req.GetClassifier().GetMember(), req.GetParent())
					return nil, nil, vs.Err()
				} else if err != nil {
					return nil, nil, err
				}
			}
			created := c
			created.AssociationID = a.ID
			if err := tx.CreateClassifier(ctx, &created); err != nil {
				return nil, nil, err
			}
			resp := &millwav1.CreateClassifierResponse{Classifier: classifierToProto(&created)}
			return resp, []rpc.Event{{Resource: resp.Classifier.Name, Action: "create", Region: a.Ubigeo}}, nil
		})
}

// ListClassifiers lists an association's classifiers, or with parent
// "associations/-" those of every association the caller may see, by
// default in the order they were registered.
func (s *Server) ListClassifiers(ctx context.Context, req *millwav1.ListClassifiersRequest) (*millwav1.ListClassifiersResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := requireRole(p, "processors never see classifiers", millwa.RoleAdmin, millwa.RoleAssociation, millwa.RoleAgency); err != nil {
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
	lr := millwa.ListRequest{Parent: req.GetParent(), PageSize: req.GetPageSize(), PageToken: req.GetPageToken(), Filter: req.GetFilter(), OrderBy: req.GetOrderBy()}
	q, err := millwa.ParseList(lr, classifierList)
	if err != nil {
		return nil, err
	}
	if err := q.EqualOnly("dni", "member", "certification_number"); err != nil {
		return nil, err
	}
	for i, c := range q.Conditions {
		if c.Field == "member" {
			ids, err := millwa.ParseName("filter", c.Str, associationsCollection, membersCollection)
			if err != nil {
				return nil, millwa.FilterError("member takes a member's resource name, associations/{id}/members/{id}; got %q", c.Str)
			}
			q.Conditions[i].Str = ids[1]
		}
	}
	page, err := s.store.ListClassifiers(ctx, p, parent, q)
	if err != nil {
		return nil, err
	}
	resp := &millwav1.ListClassifiersResponse{
		Classifiers:   make([]*millwav1.Classifier, len(page.Items)),
		NextPageToken: lr.NextPageToken(page.Next),
	}
	for i := range page.Items {
		resp.Classifiers[i] = classifierToProto(&page.Items[i])
	}
	return resp, nil
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
