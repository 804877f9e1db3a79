package market

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

const processorsCollection = "processors"

// processors lists processors (millwa.OrganisationList).
func (s *Server) processors() rpc.Lister[millwa.Processor, *millwav1.Processor] {
	return rpc.Lister[millwa.Processor, *millwav1.Processor]{Spec: millwa.OrganisationList, Read: s.store.ListProcessors, Show: rpc.Plain(processorToProto)}
}

// CreateProcessor registers a fibre processor.
func (s *Server) CreateProcessor(ctx context.Context, req *millwav1.CreateProcessorRequest) (*millwav1.CreateProcessorResponse, error) {
	return rpc.Create(ctx, s.store, req, "processor", req.GetProcessor(), processorFromProto,
		func(tx *store.Tx, p *millwa.Processor) (*millwav1.CreateProcessorResponse, rpc.Event, error) {
			if err := tx.CreateProcessor(ctx, p); err != nil {
				return nil, rpc.Event{}, err
			}
			resp := &millwav1.CreateProcessorResponse{Processor: processorToProto(p)}
			return resp, rpc.Event{Resource: resp.Processor.Name, Action: "create"}, nil
		})
}

// GetProcessor returns one processor by name, if the caller may see it.
func (s *Server) GetProcessor(ctx context.Context, req *millwav1.GetProcessorRequest) (*millwav1.GetProcessorResponse, error) {
	proc, err := rpc.GetByID(ctx, req.GetName(), processorsCollection, s.store.GetProcessor)
	if err != nil {
		return nil, err
	}
	return &millwav1.GetProcessorResponse{Processor: processorToProto(&proc)}, nil
}

// ListProcessors lists the processors the caller may see, by default in
// the order they were registered.
func (s *Server) ListProcessors(ctx context.Context, req *millwav1.ListProcessorsRequest) (*millwav1.ListProcessorsResponse, error) {
	items, next, err := s.processors().Serve(ctx, req)
	if err != nil {
		return nil, err
	}
	return &millwav1.ListProcessorsResponse{Processors: items, NextPageToken: next}, nil
}

func processorFromProto(p *millwav1.Processor) millwa.Processor {
	return millwa.Processor{
		LegalName:     p.GetLegalName(),
		RUC:           p.GetRuc(),
		Ubigeo:        p.GetUbigeo(),
		PlantLocation: p.GetPlantLocation(),
		Contact:       rpc.ContactFromProto(p.GetContact()),
	}
}

func processorToProto(p *millwa.Processor) *millwav1.Processor {
	return &millwav1.Processor{
		Name:          processorsCollection + "/" + p.ID,
		LegalName:     p.LegalName,
		Ruc:           p.RUC,
		Ubigeo:        p.Ubigeo,
		PlantLocation: p.PlantLocation,
		Contact:       rpc.ContactToProto(p.Contact),
		CreateTime:    timestamppb.New(p.CreateTime),
		UpdateTime:    timestamppb.New(p.UpdateTime),
		Etag:          millwa.Etag(p.Revision),
	}
}
