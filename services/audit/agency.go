package audit

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

const agenciesCollection = "agencies"

// agencies lists agencies, always by display_name, then name.
// display_name is exact but case-insensitive; region is an INEI ubigeo of
// 2, 4 or 6 digits that the agency's regions cover.
func (s *Server) agencies() rpc.Lister[millwa.Agency, *millwav1.Agency] {
	return rpc.Lister[millwa.Agency, *millwav1.Agency]{
		Spec: millwa.ListSpec{
			Filter:       map[string]millwa.FieldKind{"display_name": millwa.StringField, "region": millwa.StringField},
			EqualOnly:    []string{"display_name"},
			DefaultOrder: []millwa.OrderTerm{{Field: "display_name"}},
		},
		Read: s.store.ListAgencies,
		Show: rpc.Plain(agencyToProto),
	}
}

// CreateAgency registers a regional agency. The policy table admits admins
// only.
func (s *Server) CreateAgency(ctx context.Context, req *millwav1.CreateAgencyRequest) (*millwav1.CreateAgencyResponse, error) {
	if _, err := rpc.Require(ctx); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	in := req.GetAgency()
	a := rpc.Input(&vs, "agency", in, agencyFromProto)
	rpc.OutputOnly(&vs, "agency", in,
		"name", "create_time", "update_time", "etag")
	if err := vs.Err(); err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, nil,
		func(tx *store.Tx) (*millwav1.CreateAgencyResponse, []rpc.Event, error) {
			created := a
			if err := tx.CreateAgency(ctx, &created); err != nil {
				return nil, nil, err
			}
			resp := &millwav1.CreateAgencyResponse{Agency: agencyToProto(&created)}
			// An agency has no place of its own (AuditEvent.region): its
			// creation is shown to the agency itself through the resource,
			// and not to agencies whose regions overlap its own.
			return resp, []rpc.Event{{Resource: resp.Agency.Name, Action: "create"}}, nil
		})
}

// GetAgency returns one agency by name: any for an admin, its own for an
// agency.
func (s *Server) GetAgency(ctx context.Context, req *millwav1.GetAgencyRequest) (*millwav1.GetAgencyResponse, error) {
	a, err := rpc.GetByID(ctx, req.GetName(), agenciesCollection, s.store.GetAgency)
	if err != nil {
		return nil, err
	}
	return &millwav1.GetAgencyResponse{Agency: agencyToProto(&a)}, nil
}

// ListAgencies lists the agencies the caller may see (every one for an
// admin, itself for an agency), by display_name then name.
func (s *Server) ListAgencies(ctx context.Context, req *millwav1.ListAgenciesRequest) (*millwav1.ListAgenciesResponse, error) {
	items, next, err := s.agencies().Serve(ctx, req)
	if err != nil {
		return nil, err
	}
	return &millwav1.ListAgenciesResponse{Agencies: items, NextPageToken: next}, nil
}

func agencyFromProto(a *millwav1.Agency) millwa.Agency {
	return millwa.Agency{
		DisplayName: a.GetDisplayName(),
		Regions:     a.GetRegions(),
		RUC:         a.GetRuc(),
		Contact:     rpc.ContactFromProto(a.GetContact()),
	}
}

func agencyToProto(a *millwa.Agency) *millwav1.Agency {
	out := &millwav1.Agency{
		Name:        agenciesCollection + "/" + a.ID,
		DisplayName: a.DisplayName,
		Regions:     a.Regions,
		Ruc:         a.RUC,
		CreateTime:  timestamppb.New(a.CreateTime),
		UpdateTime:  timestamppb.New(a.UpdateTime),
		Etag:        millwa.Etag(a.Revision),
	}
	if a.Contact != (millwa.Contact{}) {
		out.Contact = rpc.ContactToProto(a.Contact)
	}
	return out
}
