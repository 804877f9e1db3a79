package audit

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/consistency"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// Limits of sampling plans.
const (
	maxPlanPeriod = 366 * 24 * time.Hour
	maxPlanLots   = 5000
	// recentChecks is how many of a classifier's latest checks (the latest
	// per lot, most recent first) its inspection severity is judged on.
	recentChecks = 50
)

var severities = map[consistency.Severity]millwav1.InspectionSeverity{
	consistency.Normal:    millwav1.InspectionSeverity_INSPECTION_SEVERITY_NORMAL,
	consistency.Tightened: millwav1.InspectionSeverity_INSPECTION_SEVERITY_TIGHTENED,
	consistency.Reduced:   millwav1.InspectionSeverity_INSPECTION_SEVERITY_REDUCED,
}

// ProposeSamplingPlan proposes which lots of a region to check for a
// period: every classifier with lots there is sampled, ISO 2859-1 level II
// by its lot count, tightened or reduced by its recent agreement, the lots
// drawn with the plan's seed. Nothing is written.
func (s *Server) ProposeSamplingPlan(ctx context.Context, req *millwav1.ProposeSamplingPlanRequest) (*millwav1.ProposeSamplingPlanResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	q, err := readPlanRequest(req, time.Now().UTC())
	if err != nil {
		return nil, err
	}
	from, to, asOf, seed := q.from, q.to, q.asOf, q.seed
	if p.Role == millwa.RoleAgency && !p.InRegions(req.GetRegion()) {
		return nil, millwa.Errorf(millwa.NotFound, "region %s not found among the agency's regions %v", req.GetRegion(), p.Regions)
	}

	in := consistency.RegionPlanInput{Seed: uint64(seed), Standard: s.standards.DefaultID(), RecentLimit: recentChecks}
	st, _ := s.standards.Get(in.Standard)
	if in.Scale, err = scaleOf(st); err != nil {
		return nil, err
	}
	lots, err := s.store.AuditLots(ctx, p, store.AuditScope{Region: req.GetRegion()}, from, to, asOf)
	if err != nil {
		return nil, err
	}
	classifiers := map[string]bool{}
	var ids []string
	for _, l := range lots {
		in.Lots = append(in.Lots, consistency.PlanLot{ID: l.ID, AssociationID: l.AssociationID, ClassifierID: l.ClassifierID})
		if !classifiers[l.ClassifierID] {
			classifiers[l.ClassifierID] = true
			ids = append(ids, l.ClassifierID)
		}
	}
	checks, err := s.store.ClassifierChecks(ctx, ids, asOf)
	if err != nil {
		return nil, err
	}
	for _, c := range checks {
		in.Checks = append(in.Checks, consistency.RecentCheck{ClassifierID: c.ClassifierID, Standard: c.Standard,
			Pair: consistency.Pair{Declared: c.DeclaredGroup, Checked: c.CheckGroup}})
	}
	classifierPlans, err := consistency.PlanRegion(in)
	if err != nil {
		return nil, millwa.Wrap(millwa.Internal, err, "proposing a plan")
	}
	plan := &millwav1.SamplingPlan{
		Region: req.GetRegion(), StartTime: timestamppb.New(from), EndTime: timestamppb.New(to), Seed: seed,
		AsOfTime: timestamppb.New(asOf), Rule: millwav1.SamplingRule_SAMPLING_RULE_ISO_2859_1_LEVEL_II, LotCount: int32(len(lots)),
	}
	numbers := make(map[string]string, len(lots))
	for _, l := range lots {
		numbers[l.ID] = l.LotNumber
	}
	names, err := s.store.ClassifierNamesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, c := range classifierPlans {
		out := classifierSampleToProto(c)
		// An inspector goes to the warehouse with the plan: people by name,
		// lots by the numbers on their bales.
		n := names[c.ClassifierID]
		out.ClassifierDisplayName, out.AssociationDisplayName = n.DisplayName, n.AssociationName
		for _, l := range c.Chosen {
			out.LotNumbers = append(out.LotNumbers, numbers[l.ID])
		}
		plan.SampleCount += out.SampleSize
		plan.ClassifierSamples = append(plan.ClassifierSamples, out)
	}
	if plan.SampleCount > maxPlanLots {
		var vs millwa.Violations
		vs.Add("region", "the plan would choose %d lots, more than %d: narrow the region or the period", plan.SampleCount, maxPlanLots)
		return nil, vs.Err()
	}
	return &millwav1.ProposeSamplingPlanResponse{SamplingPlan: plan}, nil
}

// planRequest is a valid ProposeSamplingPlanRequest's period, the moment
// the registry is read as of, and the seed (drawn when not given).
type planRequest struct {
	from, to, asOf time.Time
	seed           int64
}

// readPlanRequest validates req, read at now.
func readPlanRequest(req *millwav1.ProposeSamplingPlanRequest, now time.Time) (planRequest, error) {
	var vs millwa.Violations
	if !millwa.IsUbigeoPrefix(req.GetRegion()) {
		vs.Add("region", "must be an INEI ubigeo of 2, 4 or 6 digits, for example 21 (Puno); got %q", req.GetRegion())
	}
	q := planRequest{asOf: now}
	q.from, q.to = period(&vs, req.GetStartTime(), req.GetEndTime(), maxPlanPeriod)
	if at := req.GetAsOfTime(); at != nil {
		switch {
		case at.CheckValid() != nil:
			vs.Add("as_of_time", "must be a valid timestamp")
		case at.AsTime().After(now):
			vs.Add("as_of_time", "must not be in the future: the registry cannot be read as of a moment to come")
		default:
			q.asOf = at.AsTime().UTC()
		}
	}
	switch req.GetRule() {
	case millwav1.SamplingRule_SAMPLING_RULE_UNSPECIFIED, millwav1.SamplingRule_SAMPLING_RULE_ISO_2859_1_LEVEL_II:
	default:
		vs.Add("rule", "must be SAMPLING_RULE_ISO_2859_1_LEVEL_II or unset")
	}
	if err := vs.Err(); err != nil {
		return q, err
	}
	if req.Seed != nil {
		q.seed = req.GetSeed()
		return q, nil
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return q, millwa.Wrap(millwa.Internal, err, "drawing a seed")
	}
	q.seed = int64(binary.BigEndian.Uint64(b[:]) >> 1)
	return q, nil
}

// classifierSampleToProto is the API's form of one classifier's part of a
// plan.
func classifierSampleToProto(c consistency.ClassifierPlan) *millwav1.ClassifierSample {
	names := make([]string, len(c.Chosen))
	for i, l := range c.Chosen {
		names[i] = millwa.LotName(l.AssociationID, l.ID)
	}
	out := &millwav1.ClassifierSample{
		Classifier: classifierName(c.AssociationID, c.ClassifierID),
		LotCount:   int32(c.LotCount), Severity: severities[c.Severity], RecentCheckCount: int32(c.Recent.Checks),
		SampleSize: int32(c.Size.Size), Lots: names, Reason: planReason(c.ClassifierSample, c.Recent),
	}
	if c.Recent.WeightedKappa.Defined {
		out.RecentWeightedKappa = proto.Float64(c.Recent.WeightedKappa.Value)
	}
	return out
}

// planReason says, in Spanish and English, why a classifier gets its
// severity and sample size.
func planReason(cs consistency.ClassifierSample, r consistency.Statistics) *millwav1.LocalizedText {
	var whyEN, whyES string
	kappa := r.WeightedKappa.Value
	switch cs.Cause {
	case consistency.CauseTooFewChecks:
		whyEN = fmt.Sprintf("normal (%d recent checks, fewer than %d to judge)", r.Checks, consistency.MinChecksToJudge)
		whyES = fmt.Sprintf("normal (%d verificaciones recientes, menos de %d para juzgar)", r.Checks, consistency.MinChecksToJudge)
	case consistency.CauseLowKappa:
		whyEN = fmt.Sprintf("tightened (kappa %.2f < %.2f over %d checks)", kappa, consistency.TightenBelowKappa, r.Checks)
		whyES = fmt.Sprintf("rigurosa (kappa %.2f < %.2f en %d verificaciones)", kappa, consistency.TightenBelowKappa, r.Checks)
	case consistency.CauseLowExactAgreement:
		whyEN = fmt.Sprintf("tightened (exact agreement %.0f%% < %.0f%% over %d checks)", 100*r.ExactProportion, 100*consistency.TightenBelowExact, r.Checks)
		whyES = fmt.Sprintf("rigurosa (concordancia exacta %.0f%% < %.0f%% en %d verificaciones)", 100*r.ExactProportion, 100*consistency.TightenBelowExact, r.Checks)
	case consistency.CauseConsistentAgreement:
		whyEN = fmt.Sprintf("reduced (kappa %.2f ≥ %.2f and exact agreement %.0f%% over %d checks)", kappa, consistency.ReduceAtLeastKappa, 100*r.ExactProportion, r.Checks)
		whyES = fmt.Sprintf("reducida (kappa %.2f ≥ %.2f y concordancia exacta %.0f%% en %d verificaciones)", kappa, consistency.ReduceAtLeastKappa, 100*r.ExactProportion, r.Checks)
	default:
		whyEN = fmt.Sprintf("normal (exact agreement %.0f%% over %d checks)", 100*r.ExactProportion, r.Checks)
		whyES = fmt.Sprintf("normal (concordancia exacta %.0f%% en %d verificaciones)", 100*r.ExactProportion, r.Checks)
	}
	return &millwav1.LocalizedText{
		En: fmt.Sprintf("%d lots: code letter %s; %s: %d lots", cs.Size.Lots, cs.Size.Letter, whyEN, cs.Size.Size),
		Es: fmt.Sprintf("%d lotes: letra código %s; inspección %s: %d lotes", cs.Size.Lots, cs.Size.Letter, whyES, cs.Size.Size),
	}
}
