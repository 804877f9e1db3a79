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

// associationList is what ListAssociations filters and orders by; the
// default is registration order.
var associationList = millwa.ListSpec{
	Filter:       associationFilterFields,
	Order:        []string{"legal_name", "create_time"},
	DefaultOrder: []millwa.OrderTerm{{Field: "create_time"}},
}

// CreateAssociation registers a producer association.
func (s *Server) CreateAssociation(ctx context.Context, req *millwav1.CreateAssociationRequest) (*millwav1.CreateAssociationResponse, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
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
	return rpc.Do(ctx, s.store, req, func() *millwav1.CreateAssociationResponse { return &millwav1.CreateAssociationResponse{} },
		func(tx *store.Tx) (*millwav1.CreateAssociationResponse, []rpc.Event, error) {
			created := a
			if err := tx.CreateAssociation(ctx, &created); err != nil {
				return nil, nil, err
			}
			resp := &millwav1.CreateAssociationResponse{Association: associationToProto(&created)}
			return resp, []rpc.Event{rpc.Event{Resource: resp.Association.Name, Action: "create", Region: created.Ubigeo}}, nil
		})
}

// GetAssociation returns one association by name, if the caller may see it.
func (s *Server) GetAssociation(ctx context.Context, req *millwav1.GetAssociationRequest) (*millwav1.GetAssociationResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := millwa.ParseName("name", req.GetName(), associationsCollection)
	if err != nil {
		return nil, err
	}
	a, err := s.store.GetAssociation(ctx, p, ids[0])
	if err != nil {
		return nil, err
	}
	return &millwav1.GetAssociationResponse{Association: associationToProto(&a)}, nil
}

// ListAssociations lists the associations the caller may see, by default in
// the order they were registered.
func (s *Server) ListAssociations(ctx context.Context, req *millwav1.ListAssociationsRequest) (*millwav1.ListAssociationsResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	lr := millwa.ListRequest{PageSize: req.GetPageSize(), PageToken: req.GetPageToken(), Filter: req.GetFilter(), OrderBy: req.GetOrderBy()}
	q, err := millwa.ParseList(lr, associationList)
	if err != nil {
		return nil, err
	}
	if err := q.EqualOnly("ruc", "legal_name"); err != nil {
		return nil, err
	}
	page, err := s.store.ListAssociations(ctx, p, q)
	if err != nil {
		return nil, err
	}
	resp := &millwav1.ListAssociationsResponse{
		Associations:  make([]*millwav1.Association, len(page.Items)),
		NextPageToken: lr.NextPageToken(page.Next),
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
		Etag:       millwa.Etag(a.Revision),
	}
}
