package market

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

const processorsCollection = "processors"

// processorList is what ListProcessors filters and orders by; the default
// is registration order. region is an INEI ubigeo prefix of the plant: a
// department (2 digits), a province (4) or a district (6).
var processorList = millwa.ListSpec{
	Filter: map[string]millwa.FieldKind{
		"ruc":         millwa.StringField,
		"legal_name":  millwa.StringField,
		"region":      millwa.StringField,
		"create_time": millwa.TimeField,
	},
	Order:        []string{"legal_name", "create_time"},
	DefaultOrder: []millwa.OrderTerm{{Field: "create_time"}},
}

// CreateProcessor registers a fibre processor.
func (s *Server) CreateProcessor(ctx context.Context, req *millwav1.CreateProcessorRequest) (*millwav1.CreateProcessorResponse, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	if req.GetProcessor() == nil {
		vs.Add("processor", "is required")
		return nil, vs.Err()
	}
	p := processorFromProto(req.GetProcessor())
	p.Normalize()
	p.Check(&vs, "processor")
	if err := vs.Err(); err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, func() *millwav1.CreateProcessorResponse { return &millwav1.CreateProcessorResponse{} },
		func(tx *store.Tx) (*millwav1.CreateProcessorResponse, []rpc.Event, error) {
			created := p
			if err := tx.CreateProcessor(ctx, &created); err != nil {
				return nil, nil, err
			}
			resp := &millwav1.CreateProcessorResponse{Processor: processorToProto(&created)}
			return resp, []rpc.Event{{Resource: resp.Processor.Name, Action: "create"}}, nil
		})
}

// GetProcessor returns one processor by name, if the caller may see it.
func (s *Server) GetProcessor(ctx context.Context, req *millwav1.GetProcessorRequest) (*millwav1.GetProcessorResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := millwa.ParseName("name", req.GetName(), processorsCollection)
	if err != nil {
		return nil, err
	}
	proc, err := s.store.GetProcessor(ctx, p, ids[0])
	if err != nil {
		return nil, err
	}
	return &millwav1.GetProcessorResponse{Processor: processorToProto(&proc)}, nil
}

// ListProcessors lists the processors the caller may see, by default in
// the order they were registered.
func (s *Server) ListProcessors(ctx context.Context, req *millwav1.ListProcessorsRequest) (*millwav1.ListProcessorsResponse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	lr := millwa.ListRequest{PageSize: req.GetPageSize(), PageToken: req.GetPageToken(), Filter: req.GetFilter(), OrderBy: req.GetOrderBy()}
	q, err := millwa.ParseList(lr, processorList)
	if err != nil {
		return nil, err
	}
	if err := q.EqualOnly("ruc", "legal_name"); err != nil {
		return nil, err
	}
	page, err := s.store.ListProcessors(ctx, p, q)
	if err != nil {
		return nil, err
	}
	resp := &millwav1.ListProcessorsResponse{
		Processors:    make([]*millwav1.Processor, len(page.Items)),
		NextPageToken: lr.NextPageToken(page.Next),
	}
	for i := range page.Items {
		resp.Processors[i] = processorToProto(&page.Items[i])
	}
	return resp, nil
}

func processorFromProto(p *millwav1.Processor) millwa.Processor {
	c := p.GetContact()
	return millwa.Processor{
		LegalName:     p.GetLegalName(),
		RUC:           p.GetRuc(),
		Ubigeo:        p.GetUbigeo(),
		PlantLocation: p.GetPlantLocation(),
		Contact: millwa.Contact{
			PersonName: c.GetPersonName(),
			Phone:      c.GetPhone(),
			Email:      c.GetEmail(),
		},
	}
}

func processorToProto(p *millwa.Processor) *millwav1.Processor {
	return &millwav1.Processor{
		Name:          processorsCollection + "/" + p.ID,
		LegalName:     p.LegalName,
		Ruc:           p.RUC,
		Ubigeo:        p.Ubigeo,
		PlantLocation: p.PlantLocation,
		Contact:       &millwav1.Contact{PersonName: p.Contact.PersonName, Phone: p.Contact.Phone, Email: p.Contact.Email},
		CreateTime:    timestamppb.New(p.CreateTime),
		UpdateTime:    timestamppb.New(p.UpdateTime),
		Etag:          millwa.Etag(p.Revision),
	}
}
