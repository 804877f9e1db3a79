package audit

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

const agenciesCollection = "agencies"

// agencyList is what ListAgencies filters on; agencies are always ordered
// by display_name, then name. display_name is exact but case-insensitive;
// region is an INEI ubigeo of 2, 4 or 6 digits that the agency's regions
// cover.
var agencyList = millwa.ListSpec{
	Filter: map[string]millwa.FieldKind{
		"display_name": millwa.StringField,
		"region":       millwa.StringField,
	},
	DefaultOrder: []millwa.OrderTerm{{Field: "display_name"}},
}

// CreateAgency registers a regional agency. The policy table admits admins
// only.
func (s *Server) CreateAgency(ctx context.Context, req *millwav1.CreateAgencyRequest) (*millwav1.CreateAgencyResponse, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	in := req.GetAgency()
	if in == nil {
		vs.Add("agency", "is required")
		return nil, vs.Err()
	}
	a := agencyFromProto(in)
	a.Normalize()
	a.Check(&vs, "agency")
	for _, f := range []struct {
		field string
		set   bool
	}{
		{"name", in.GetName() != ""},
		{"create_time", in.GetCreateTime() != nil},
		{"update_time", in.GetUpdateTime() != nil},
		{"etag", in.GetEtag() != ""},
	} {
		if f.set {
			vs.Add("agency."+f.field, "is output only: leave it empty")
		}
	}
	if err := vs.Err(); err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, func() *millwav1.CreateAgencyResponse { return &millwav1.CreateAgencyResponse{} },
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
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := millwa.ParseName("name", req.GetName(), agenciesCollection)
	if err != nil {
		return nil, err
	}
	a, err := s.store.GetAgency(ctx, p, ids[0])
	if err != nil {
		return nil, err
	}
	return &millwav1.GetAgencyResponse{Agency: agencyToProto(&a)}, nil
}

// ListAgencies lists the agencies the caller may see (every one for an
// admin, itself for an agency), by display_name then name.
func (s *Server) ListAgencies(ctx context.Context, req *millwav1.ListAgenciesRequest) (*millwav1.ListAgenciesResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	lr := millwa.ListRequest{PageSize: req.GetPageSize(), PageToken: req.GetPageToken(), Filter: req.GetFilter()}
	q, err := millwa.ParseList(lr, agencyList)
	if err != nil {
		return nil, err
	}
	if err := q.EqualOnly("display_name"); err != nil {
		return nil, err
	}
	page, err := s.store.ListAgencies(ctx, p, q)
	if err != nil {
		return nil, err
	}
	resp := &millwav1.ListAgenciesResponse{
		Agencies:      make([]*millwav1.Agency, len(page.Items)),
		NextPageToken: lr.NextPageToken(page.Next),
	}
	for i := range page.Items {
		resp.Agencies[i] = agencyToProto(&page.Items[i])
	}
	return resp, nil
}

func agencyFromProto(a *millwav1.Agency) millwa.Agency {
	c := a.GetContact()
	return millwa.Agency{
		DisplayName: a.GetDisplayName(),
		Regions:     a.GetRegions(),
		RUC:         a.GetRuc(),
		Contact: millwa.Contact{
			PersonName: c.GetPersonName(),
			Phone:      c.GetPhone(),
			Email:      c.GetEmail(),
		},
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
		out.Contact = &millwav1.Contact{PersonName: a.Contact.PersonName, Phone: a.Contact.Phone, Email: a.Contact.Email}
	}
	return out
}
