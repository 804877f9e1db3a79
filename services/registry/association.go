package registry

import (
	"context"
	"strconv"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

const associationsCollection = "associations"

// associationFilterFields are the fields ListAssociations filters on.
// region is an INEI ubigeo prefix: a department (2 digits), a province (4)
// or a district (6).
var associationFilterFields = map[string]millwa.FieldKind{
	"ruc":         millwa.StringField,
	"legal_name":  millwa.StringField,
	"region":      millwa.StringField,
	"create_time": millwa.TimeField,
}

// associationOrderFields are the fields ListAssociations orders by; the
// default is registration order.
var (
	associationOrderFields = []string{"legal_name", "create_time"}
	associationOrderBy     = []millwa.OrderTerm{{Field: "create_time"}}
)

// CreateAssociation registers a producer association.
func (s *Server) CreateAssociation(ctx context.Context, req *millwav1.CreateAssociationRequest) (*millwav1.CreateAssociationResponse, error) {
	var vs millwa.Violations
	checkRequestID(&vs, req.GetRequestId())
	if req.GetAssociation() == nil {
		vs.Add("association", "is required")
		return nil, vs.Err()
	}
	a := associationFromProto(req.GetAssociation())
	a.Normalize()
	a.Check(&vs, "association")
	if err := vs.Err(); err != nil {
		return nil, err
	}
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		return tx.CreateAssociation(ctx, &a)
	})
	if err != nil {
		return nil, err
	}
	return &millwav1.CreateAssociationResponse{Association: associationToProto(&a)}, nil
}

// GetAssociation returns one association by name.
func (s *Server) GetAssociation(ctx context.Context, req *millwav1.GetAssociationRequest) (*millwav1.GetAssociationResponse, error) {
	ids, err := millwa.ParseName("name", req.GetName(), associationsCollection)
	if err != nil {
		return nil, err
	}
	a, err := s.store.GetAssociation(ctx, ids[0])
	if err != nil {
		return nil, err
	}
	return &millwav1.GetAssociationResponse{Association: associationToProto(&a)}, nil
}

// ListAssociations lists associations, by default in the order they were
// registered.
func (s *Server) ListAssociations(ctx context.Context, req *millwav1.ListAssociationsRequest) (*millwav1.ListAssociationsResponse, error) {
	q, err := listQuery(req.GetPageSize(), req.GetPageToken(), req.GetFilter(), req.GetOrderBy(), "",
		associationFilterFields, associationOrderFields, associationOrderBy)
	if err != nil {
		return nil, err
	}
	page, err := s.store.ListAssociations(ctx, q)
	if err != nil {
		return nil, err
	}
	resp := &millwav1.ListAssociationsResponse{
		Associations:  make([]*millwav1.Association, len(page.Items)),
		NextPageToken: nextPageToken(page.Next, req.GetFilter(), req.GetOrderBy(), ""),
	}
	for i := range page.Items {
		resp.Associations[i] = associationToProto(&page.Items[i])
	}
	return resp, nil
}

func associationFromProto(p *millwav1.Association) millwa.Association {
	c := p.GetContact()
	return millwa.Association{
		LegalName: p.GetLegalName(),
		RUC:       p.GetRuc(),
		Ubigeo:    p.GetUbigeo(),
		Community: p.GetCommunity(),
		Contact: millwa.Contact{
			PersonName: c.GetPersonName(),
			Phone:      c.GetPhone(),
			Email:      c.GetEmail(),
		},
	}
}

func associationToProto(a *millwa.Association) *millwav1.Association {
	return &millwav1.Association{
		Name:       associationsCollection + "/" + a.ID,
		LegalName:  a.LegalName,
		Ruc:        a.RUC,
		Ubigeo:     a.Ubigeo,
		Community:  a.Community,
		Contact:    &millwav1.Contact{PersonName: a.Contact.PersonName, Phone: a.Contact.Phone, Email: a.Contact.Email},
		CreateTime: timestamppb.New(a.CreateTime),
		UpdateTime: timestamppb.New(a.UpdateTime),
		Etag:       etag(a.Revision),
	}
}

// etag is the opaque version tag of a resource at a revision.
func etag(revision int64) string {
	return "r" + strconv.FormatInt(revision, 10)
}

// maxRequestIDLen bounds request_id (AIP-155).
const maxRequestIDLen = 64

// checkRequestID records a violation for a request_id that is too long or
// holds characters other than printable ASCII.
func checkRequestID(vs *millwa.Violations, id string) {
	if len(id) > maxRequestIDLen {
		vs.Add("request_id", "must have at most %d characters; a UUID is recommended", maxRequestIDLen)
		return
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			vs.Add("request_id", "must be printable ASCII without spaces; a UUID is recommended")
			return
		}
	}
}
