package audit

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// samplingPlansCollection is the collection of an agency's stored plans.
const samplingPlansCollection = "samplingPlans"

// samplingPlanName is the resource name of a stored plan.
func samplingPlanName(agencyID, id string) string {
	return agenciesCollection + "/" + agencyID + "/" + samplingPlansCollection + "/" + id
}

// samplingPlanToProto is the API's form of a plan. A severity or rule the
// API does not know is an Internal error naming the plan: a stored plan
// that does not read back is never shown half empty.
func samplingPlanToProto(p *millwa.SamplingPlan) (*millwav1.SamplingPlan, error) {
	name := samplingPlanName(p.AgencyID, p.ID)
	rule, ok := millwav1.SamplingRule_value["SAMPLING_RULE_"+p.Rule]
	if !ok {
		return nil, millwa.Errorf(millwa.Internal, "sampling plan %s has an unknown rule %q", name, p.Rule)
	}
	out := &millwav1.SamplingPlan{
		Name: name, Region: p.Region, StartTime: timestamppb.New(p.StartTime), EndTime: timestamppb.New(p.EndTime),
		Seed: p.Seed, AsOfTime: timestamppb.New(p.AsOfTime), Rule: millwav1.SamplingRule(rule),
		LotCount: int32(p.LotCount), SampleCount: int32(p.SampleCount),
		CreateTime: timestamppb.New(p.CreateTime), Etag: millwa.Etag(1),
	}
	for _, c := range p.Body.Classifiers {
		severity, ok := millwav1.InspectionSeverity_value["INSPECTION_SEVERITY_"+c.Severity]
		if !ok {
			return nil, millwa.Errorf(millwa.Internal, "sampling plan %s has an unknown severity %q for classifier %s", name, c.Severity, c.ClassifierID)
		}
		cs := &millwav1.ClassifierSample{
			Classifier: classifierName(c.AssociationID, c.ClassifierID), LotCount: int32(c.LotCount),
			Severity: millwav1.InspectionSeverity(severity), RecentCheckCount: int32(c.RecentChecks),
			RecentWeightedKappa: c.RecentKappa, SampleSize: int32(c.SampleSize),
			Reason:                &millwav1.LocalizedText{En: c.ReasonEN, Es: c.ReasonES},
			ClassifierDisplayName: c.DisplayName, AssociationDisplayName: c.AssociationName,
		}
		for _, l := range c.Lots {
			cs.Lots = append(cs.Lots, millwa.LotName(l.AssociationID, l.ID))
			cs.LotNumbers = append(cs.LotNumbers, l.LotNumber)
		}
		out.ClassifierSamples = append(out.ClassifierSamples, cs)
	}
	if p.ID == "" {
		out.Name, out.CreateTime, out.Etag = "", nil, ""
	}
	return out, nil
}

// GetSamplingPlan returns a stored plan: any for an admin, its own for an
// agency (another agency's is NotFound).
func (s *Server) GetSamplingPlan(ctx context.Context, req *millwav1.GetSamplingPlanRequest) (*millwav1.GetSamplingPlanResponse, error) {
	plan, err := rpc.Get(ctx, req.GetName(), []string{agenciesCollection, samplingPlansCollection},
		func(p millwa.Principal, ids []string) (millwa.SamplingPlan, error) {
			return s.store.GetSamplingPlan(ctx, p, ids[0], ids[1])
		})
	if err != nil {
		return nil, err
	}
	out, err := samplingPlanToProto(&plan)
	if err != nil {
		return nil, err
	}
	return &millwav1.GetSamplingPlanResponse{SamplingPlan: out}, nil
}

// samplingPlans lists one agency's stored plans, most recent first by
// default.
func (s *Server) samplingPlans(agencyID string) rpc.Lister[millwa.SamplingPlan, *millwav1.SamplingPlan] {
	return rpc.Lister[millwa.SamplingPlan, *millwav1.SamplingPlan]{
		Spec: millwa.ListSpec{
			Filter:       map[string]millwa.FieldKind{"region": millwa.StringField, "create_time": millwa.TimeField},
			EqualOnly:    []string{"region"},
			Order:        []string{"create_time"},
			DefaultOrder: []millwa.OrderTerm{{Field: "create_time", Desc: true}},
		},
		Read: func(ctx context.Context, p millwa.Principal, q millwa.ListQuery) (millwa.Page[millwa.SamplingPlan], error) {
			return s.store.ListSamplingPlans(ctx, p, agencyID, q)
		},
		Show: func(_ millwa.Principal, p *millwa.SamplingPlan) (*millwav1.SamplingPlan, error) {
			return samplingPlanToProto(p)
		},
	}
}

// ListSamplingPlans lists the stored plans of one agency: any for an
// admin, its own for an agency (another agency is NotFound).
func (s *Server) ListSamplingPlans(ctx context.Context, req *millwav1.ListSamplingPlansRequest) (*millwav1.ListSamplingPlansResponse, error) {
	ids, err := millwa.ParseName("parent", req.GetParent(), agenciesCollection)
	if err != nil {
		return nil, err
	}
	items, next, err := s.samplingPlans(ids[0]).Serve(ctx, req)
	if err != nil {
		return nil, err
	}
	return &millwav1.ListSamplingPlansResponse{SamplingPlans: items, NextPageToken: next}, nil
}
