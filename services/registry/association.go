package registry

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

const associationsCollection = "associations"

// associations lists associations (millwa.OrganisationList).
func (s *Server) associations() rpc.Lister[millwa.Association, *millwav1.Association] {
	return rpc.Lister[millwa.Association, *millwav1.Association]{Spec: millwa.OrganisationList, Read: s.store.ListAssociations, Show: rpc.Plain(associationToProto)}
}

// CreateAssociation registers a producer association.
func (s *Server) CreateAssociation(ctx context.Context, req *millwav1.CreateAssociationRequest) (*millwav1.CreateAssociationResponse, error) {
	return rpc.Create(ctx, s.store, req, "association", req.GetAssociation(), associationFromProto,
		func(tx *store.Tx, a *millwa.Association) (*millwav1.CreateAssociationResponse, rpc.Event, error) {
			if err := tx.CreateAssociation(ctx, a); err != nil {
				return nil, rpc.Event{}, err
			}
			resp := &millwav1.CreateAssociationResponse{Association: associationToProto(a)}
			return resp, rpc.Event{Resource: resp.Association.Name, Action: "create", Region: a.Ubigeo}, nil
		})
}

// GetAssociation returns one association by name, if the caller may see it.
func (s *Server) GetAssociation(ctx context.Context, req *millwav1.GetAssociationRequest) (*millwav1.GetAssociationResponse, error) {
	a, err := rpc.GetByID(ctx, req.GetName(), associationsCollection, s.store.GetAssociation)
	if err != nil {
		return nil, err
	}
	return &millwav1.GetAssociationResponse{Association: associationToProto(&a)}, nil
}

// ListAssociations lists the associations the caller may see, by default in
// the order they were registered.
func (s *Server) ListAssociations(ctx context.Context, req *millwav1.ListAssociationsRequest) (*millwav1.ListAssociationsResponse, error) {
	items, next, err := s.associations().Serve(ctx, req)
	if err != nil {
		return nil, err
	}
	return &millwav1.ListAssociationsResponse{Associations: items, NextPageToken: next}, nil
}

func associationFromProto(p *millwav1.Association) millwa.Association {
	return millwa.Association{
		LegalName:      p.GetLegalName(),
		RUC:            p.GetRuc(),
		Ubigeo:         p.GetUbigeo(),
		Community:      p.GetCommunity(),
		Contact:        rpc.ContactFromProto(p.GetContact()),
		FeeBasisPoints: p.GetFeeBasisPoints(),
	}
}

func associationToProto(a *millwa.Association) *millwav1.Association {
	return &millwav1.Association{
		Name:           associationsCollection + "/" + a.ID,
		LegalName:      a.LegalName,
		Ruc:            a.RUC,
		Ubigeo:         a.Ubigeo,
		Community:      a.Community,
		Contact:        rpc.ContactToProto(a.Contact),
		FeeBasisPoints: a.FeeBasisPoints,
		CreateTime:     timestamppb.New(a.CreateTime),
		UpdateTime:     timestamppb.New(a.UpdateTime),
		Etag:           millwa.Etag(a.Revision),
	}
}
