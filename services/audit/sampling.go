package audit

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

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

// severityCodes are the codes a stored plan keeps for severities: the
// API's enum names without their prefix.
var severityCodes = map[consistency.Severity]string{
	consistency.Normal:    "NORMAL",
	consistency.Tightened: "TIGHTENED",
	consistency.Reduced:   "REDUCED",
}

// planRule is the code of the one sampling rule, as a stored plan keeps it.
const planRule = "ISO_2859_1_LEVEL_II"

// ProposeSamplingPlan proposes which lots of a region to check for a
// period: every classifier with lots there is sampled, ISO 2859-1 level II
// by its lot count, tightened or reduced by its recent agreement, the lots
// drawn with the plan's seed. The plan is stored under the agency it is
// proposed for, with its audit event, in one transaction; an admin who
// names no agency gets it proposed only.
func (s *Server) ProposeSamplingPlan(ctx context.Context, req *millwav1.ProposeSamplingPlanRequest) (*millwav1.ProposeSamplingPlanResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	q, err := readPlanRequest(req, time.Now().UTC())
	if err != nil {
		return nil, err
	}
	agencyID, err := planAgency(p, req.GetParent())
	if err != nil {
		return nil, err
	}
	if p.Role == millwa.RoleAgency && !p.InRegions(req.GetRegion()) {
		return nil, millwa.Errorf(millwa.NotFound, "region %s not found among the agency's regions %v", req.GetRegion(), p.Regions)
	}
	plan, err := s.proposePlan(ctx, p, req.GetRegion(), q)
	if err != nil {
		return nil, err
	}
	if agencyID == "" {
		out, err := samplingPlanToProto(&plan)
		if err != nil {
			return nil, err
		}
		return &millwav1.ProposeSamplingPlanResponse{SamplingPlan: out}, nil
	}
	return rpc.Do(ctx, s.store, req, nil,
		func(tx *store.Tx) (*millwav1.ProposeSamplingPlanResponse, []rpc.Event, error) {
			agency, err := tx.GetAgency(ctx, p, agencyID)
			if err != nil {
				return nil, nil, err
			}
			if !slices.ContainsFunc(agency.Regions, func(r string) bool { return strings.HasPrefix(plan.Region, r) }) {
				var vs millwa.Violations
				vs.Add("region", "must lie within the regions of agencies/%s, %v: choose one of them or another agency", agency.ID, agency.Regions)
				return nil, nil, vs.Err()
			}
			plan.AgencyID = agency.ID
			if err := tx.CreateSamplingPlan(ctx, &plan); err != nil {
				return nil, nil, err
			}
			out, err := samplingPlanToProto(&plan)
			if err != nil {
				return nil, nil, err
			}
			return &millwav1.ProposeSamplingPlanResponse{SamplingPlan: out},
				[]rpc.Event{{Resource: out.Name, Action: "create", Region: plan.Region}}, nil
		})
}

// planAgency returns the id of the agency a plan is proposed for: the
// parent when named (an agency may name only itself), else the calling
// agency's own; "" for an admin who names none.
func planAgency(p millwa.Principal, parent string) (string, error) {
	if parent == "" {
		if p.Role == millwa.RoleAgency {
			return p.OrganisationID(), nil
		}
		return "", nil
	}
	ids, err := millwa.ParseName("parent", parent, agenciesCollection)
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// proposePlan draws the plan of region for q, as p may see the registry:
// the domain record to store, without its agency.
func (s *Server) proposePlan(ctx context.Context, p millwa.Principal, region string, q planRequest) (millwa.SamplingPlan, error) {
	// Checks are judged under the standard they were graded under: graded
	// fibre on its quality groups, whole fleeces on their categories.
	in := consistency.RegionPlanInput{Seed: uint64(q.seed), Standard: s.standards.DefaultID(), RecentLimit: recentChecks,
		Scales: map[string]*consistency.Scale{}}
	for _, st := range s.standards.List() {
		if len(st.QualityGroups) == 0 && !st.HasCategories() {
			continue
		}
		sc, err := scaleOf(st)
		if err != nil {
			return millwa.SamplingPlan{}, err
		}
		in.Scales[st.ID] = sc
	}
	lots, err := s.store.AuditLots(ctx, p, store.AuditScope{Region: region}, q.from, q.to, q.asOf)
	if err != nil {
		return millwa.SamplingPlan{}, err
	}
	classifiers := map[string]bool{}
	var ids []string
	numbers := make(map[string]string, len(lots))
	for _, l := range lots {
		in.Lots = append(in.Lots, consistency.PlanLot{ID: l.ID, AssociationID: l.AssociationID, ClassifierID: l.ClassifierID,
			Campaign: l.Campaign, LotNumber: l.LotNumber, Created: l.CreateTime, ClassifierKey: l.AssociationRUC + "/" + l.ClassifierDNI})
		numbers[l.ID] = l.LotNumber
		if !classifiers[l.ClassifierID] {
			classifiers[l.ClassifierID] = true
			ids = append(ids, l.ClassifierID)
		}
	}
	// A classifier the sanctions ladder put on tightened sampling (or
	// higher) is sampled tightened until an agency reverses the step.
	in.Sanctioned = map[string]bool{}
	for _, id := range ids {
		sanctions, err := s.store.Sanctions(ctx, id)
		if err != nil {
			return millwa.SamplingPlan{}, err
		}
		if standing, _ := rpc.StandingSanction(sanctions); standing != nil &&
			consistency.SanctionStep(standing.Step).Rank() >= consistency.TightenedSampling.Rank() {
			in.Sanctioned[id] = true
		}
	}
	checks, err := s.store.ClassifierChecks(ctx, ids, q.asOf)
	if err != nil {
		return millwa.SamplingPlan{}, err
	}
	for _, c := range checks {
		in.Checks = append(in.Checks, consistency.RecentCheck{ClassifierID: c.ClassifierID, Standard: c.Standard,
			Pair: consistency.Pair{Declared: c.DeclaredGroup, Checked: c.CheckGroup}})
	}
	classifierPlans, err := consistency.PlanRegion(in)
	if err != nil {
		return millwa.SamplingPlan{}, millwa.Wrap(millwa.Internal, err, "proposing a plan")
	}
	names, err := s.store.ClassifierNamesByID(ctx, ids)
	if err != nil {
		return millwa.SamplingPlan{}, err
	}
	plan := millwa.SamplingPlan{Region: region, StartTime: q.from, EndTime: q.to, AsOfTime: q.asOf, Seed: q.seed,
		Rule: planRule, LotCount: len(lots)}
	for _, c := range classifierPlans {
		// An inspector goes to the warehouse with the plan: people by name,
		// lots by the numbers on their bales.
		rec := classifierSampleRecord(c, names[c.ClassifierID])
		for _, l := range c.Chosen {
			rec.Lots = append(rec.Lots, millwa.SampledLot{AssociationID: l.AssociationID, ID: l.ID, LotNumber: numbers[l.ID]})
		}
		plan.SampleCount += rec.SampleSize
		plan.Body.Classifiers = append(plan.Body.Classifiers, rec)
	}
	if plan.SampleCount > maxPlanLots {
		var vs millwa.Violations
		vs.Add("region", "the plan would choose %d lots, more than %d: narrow the region or the period", plan.SampleCount, maxPlanLots)
		return millwa.SamplingPlan{}, vs.Err()
	}
	return plan, nil
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
	// Times are kept to the microsecond, as the database keeps them, so
	// that a stored plan reads back as it was proposed.
	q := planRequest{asOf: now.Truncate(time.Microsecond)}
	q.from, q.to = period(&vs, req.GetStartTime(), req.GetEndTime(), maxPlanPeriod)
	q.from, q.to = q.from.Truncate(time.Microsecond), q.to.Truncate(time.Microsecond)
	if at := req.GetAsOfTime(); at != nil {
		switch {
		case at.CheckValid() != nil:
			vs.Add("as_of_time", "must be a valid timestamp")
		case at.AsTime().After(now):
			vs.Add("as_of_time", "must not be in the future: the registry cannot be read as of a moment to come")
		default:
			q.asOf = at.AsTime().UTC().Truncate(time.Microsecond)
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

// classifierSampleRecord is the stored form of one classifier's part of
// a plan, without its lots.
func classifierSampleRecord(c consistency.ClassifierPlan, n store.ClassifierNames) millwa.ClassifierSampleRecord {
	reason := planReason(c.ClassifierSample, c.Recent)
	rec := millwa.ClassifierSampleRecord{
		AssociationID: c.AssociationID, ClassifierID: c.ClassifierID, DisplayName: n.DisplayName, AssociationName: n.AssociationName,
		LotCount: c.LotCount, Severity: severityCodes[c.Severity], RecentChecks: c.Recent.Checks, SampleSize: c.Size.Size,
		ReasonEN: reason.GetEn(), ReasonES: reason.GetEs(),
	}
	if c.Recent.WeightedKappa.Defined {
		rec.RecentKappa = proto.Float64(c.Recent.WeightedKappa.Value)
	}
	return rec
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
	case consistency.CauseSanction:
		whyEN = "tightened (the classifier stands on the sanctions ladder's step of tightened sampling after failed referee tests)"
		whyES = "rigurosa (el clasificador está en el escalón de muestreo riguroso de la escala de sanciones, tras pruebas arbitrales fallidas)"
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
