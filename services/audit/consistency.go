package audit

import (
	"context"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/consistency"
	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// Limits of consistency reports.
const (
	maxReportPeriod           = 1827 * 24 * time.Hour // five years
	maxClassifiersBelow       = 500
	bandResolutionUm          = 0.1 // the standards' bands are written at 0.1 µm
	classifiersCollection     = "classifiers"
	associationsCollection    = "associations"
	defaultReportKappaMessage = "must be -1 to 1, or absent for %.1f"
)

// GetConsistencyReport computes the agreement between declared and checked
// quality groups for a scope and period, from the latest check of each lot.
func (s *Server) GetConsistencyReport(ctx context.Context, req *millwav1.GetConsistencyReportRequest) (*millwav1.GetConsistencyReportResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	var vs millwa.Violations
	scope, scopeOK := s.auditScope(&vs, req.GetRegion(), req.GetAssociation(), req.GetClassifier(), req.GetScope() != nil)
	from, to := period(&vs, req.GetStartTime(), req.GetEndTime(), maxReportPeriod)
	threshold := consistency.DefaultKappaThreshold
	if req.KappaThreshold != nil {
		threshold = req.GetKappaThreshold()
		if !(threshold >= -1 && threshold <= 1) {
			vs.Add("kappa_threshold", defaultReportKappaMessage, consistency.DefaultKappaThreshold)
		}
	}
	if err := vs.Err(); err != nil {
		return nil, err
	}
	// A standard of whole fleeces is reported on its categories, best
	// first; it has no diameter bands, so no bias.
	st, ok := s.standards.MarketStandard(req.GetStandard())
	if !ok {
		return nil, millwa.Errorf(millwa.NotFound, "standard %q not found: see ListStandards", req.GetStandard())
	}
	if scopeOK {
		if err := s.checkScope(ctx, p, scope); err != nil {
			return nil, err
		}
	}
	checks, err := s.store.LatestChecks(ctx, p, scope, from, to)
	if err != nil {
		return nil, err
	}
	lots, err := s.store.AuditLots(ctx, p, scope, from, to, time.Now())
	if err != nil {
		return nil, err
	}
	in := consistency.ReportInput{
		Standard: st.ID, Bands: bandsOf(st), From: from, To: to, KappaThreshold: threshold, MaxBelow: maxClassifiersBelow,
	}
	if in.Scale, err = scaleOf(st); err != nil {
		return nil, err
	}
	for _, c := range checks {
		ck, err := readCheck(c)
		if err != nil {
			return nil, err
		}
		in.Checks = append(in.Checks, ck)
	}
	r, err := consistency.BuildReport(in)
	if err != nil {
		return nil, millwa.Wrap(millwa.Internal, err, "computing a consistency report")
	}
	out := reportToProto(req, in, r, len(lots))
	// An inspector reads people by name: the resource names alone are
	// UUIDs.
	ids := make([]string, len(r.Below))
	for i, c := range r.Below {
		ids[i] = c.ClassifierID
	}
	if scope.ClassifierID != "" {
		ids = append(ids, scope.ClassifierID)
	}
	names, err := s.store.ClassifierNamesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	switch {
	case scope.ClassifierID != "":
		n := names[scope.ClassifierID]
		out.ClassifierDisplayName, out.AssociationDisplayName = n.DisplayName, n.AssociationName
	case scope.AssociationID != "":
		if out.AssociationDisplayName, err = s.store.AssociationName(ctx, scope.AssociationID); err != nil {
			return nil, err
		}
	}
	for i, c := range r.Below {
		n := names[c.ClassifierID]
		out.ClassifiersBelowThreshold[i].ClassifierDisplayName = n.DisplayName
		out.ClassifiersBelowThreshold[i].AssociationDisplayName = n.AssociationName
	}
	return &millwav1.GetConsistencyReportResponse{ConsistencyReport: out}, nil
}

// reportToProto is the API's form of the report r, computed from in, on
// the scope of req.
func reportToProto(req *millwav1.GetConsistencyReportRequest, in consistency.ReportInput, r consistency.Report, lots int) *millwav1.ConsistencyReport {
	out := &millwav1.ConsistencyReport{
		StartTime: timestamppb.New(in.From), EndTime: timestamppb.New(in.To), Standard: "standards/" + in.Standard,
		KappaThreshold: in.KappaThreshold, ComputeTime: timestamppb.Now(), LotCount: int32(lots),
		OtherStandardCheckCount: int32(r.OtherStandardChecks), BorderlineCount: int32(r.BorderlineChecks),
		ClassifierCount: int32(r.Classifiers), Overall: agreementToProto(r.Overall), ConfusionMatrix: matrixToProto(r.Matrix),
	}
	switch {
	case req.GetRegion() != "":
		out.Scope = &millwav1.ConsistencyReport_Region{Region: req.GetRegion()}
		out.RegionName = millwa.Departments[req.GetRegion()[:2]] // auditScope took a ubigeo of 2 digits or more
	case req.GetAssociation() != "":
		out.Scope = &millwav1.ConsistencyReport_Association{Association: req.GetAssociation()}
	default:
		out.Scope = &millwav1.ConsistencyReport_Classifier{Classifier: req.GetClassifier()}
	}
	for _, c := range r.Below {
		out.ClassifiersBelowThreshold = append(out.ClassifiersBelowThreshold, &millwav1.ClassifierConsistency{
			Classifier: classifierName(c.AssociationID, c.ClassifierID), Statistics: agreementToProto(c.Agreement),
		})
	}
	for _, m := range r.Monthly {
		out.MonthlyAgreement = append(out.MonthlyAgreement, &millwav1.PeriodAgreement{
			StartTime: timestamppb.New(m.Start), EndTime: timestamppb.New(m.End), Statistics: agreementToProto(m.Agreement),
		})
	}
	return out
}

// classifierName is the resource name of a classifier.
func classifierName(associationID, id string) string {
	return associationsCollection + "/" + associationID + "/" + classifiersCollection + "/" + id
}

// auditScope reads the oneof scope of a report or plan: a region (ubigeo
// prefix), an association or a classifier. ok is false when it is
// missing or malformed (a violation is recorded).
func (s *Server) auditScope(vs *millwa.Violations, region, association, classifier string, given bool) (store.AuditScope, bool) {
	switch {
	case !given:
		vs.Add("scope", "is required: give one of region, association or classifier")
	case region != "":
		if !millwa.IsUbigeoPrefix(region) {
			vs.Add("region", "must be an INEI ubigeo of 2, 4 or 6 digits, for example 21 (Puno); got %q", region)
			return store.AuditScope{}, false
		}
		return store.AuditScope{Region: region}, true
	case association != "":
		ids, err := millwa.ParseName("association", association, associationsCollection)
		if err != nil {
			vs.Add("association", "must be a name such as associations/0190…; got %q", association)
			return store.AuditScope{}, false
		}
		return store.AuditScope{AssociationID: ids[0]}, true
	case classifier != "":
		ids, err := millwa.ParseName("classifier", classifier, associationsCollection, classifiersCollection)
		if err != nil {
			vs.Add("classifier", "must be a name such as associations/0190…/classifiers/0190…; got %q", classifier)
			return store.AuditScope{}, false
		}
		return store.AuditScope{AssociationID: ids[0], ClassifierID: ids[1]}, true
	default:
		vs.Add("scope", "must not be empty: give one of region, association or classifier")
	}
	return store.AuditScope{}, false
}

// checkScope answers NotFound for a scope the caller may not read: a
// region outside an agency's regions, an association or classifier that
// does not exist, or that has no lot in an agency's regions.
func (s *Server) checkScope(ctx context.Context, p millwa.Principal, a store.AuditScope) error {
	switch {
	case a.Region != "":
		if p.Role == millwa.RoleAgency && !p.InRegions(a.Region) {
			return millwa.Errorf(millwa.NotFound, "region %s not found among the agency's regions %v", a.Region, p.Regions)
		}
		return nil
	case a.ClassifierID != "":
		if _, err := s.store.GetClassifier(ctx, store.SystemPrincipal, a.AssociationID, a.ClassifierID); err != nil {
			return err
		}
		a.AssociationID = ""
	default:
		if _, err := s.store.GetAssociation(ctx, store.SystemPrincipal, a.AssociationID); err != nil {
			return err
		}
	}
	if p.Role != millwa.RoleAgency {
		return nil
	}
	has, err := s.store.HasAuditLots(ctx, p, a)
	if err != nil {
		return err
	}
	if !has {
		if a.ClassifierID != "" {
			return millwa.Errorf(millwa.NotFound, "classifier %s not found", a.ClassifierID)
		}
		return millwa.Errorf(millwa.NotFound, "association %s not found", a.AssociationID)
	}
	return nil
}

// period reads a required [start, end) period of at most max.
func period(vs *millwa.Violations, start, end *timestamppb.Timestamp, max time.Duration) (from, to time.Time) {
	read := func(field string, ts *timestamppb.Timestamp) time.Time {
		switch {
		case ts == nil:
			vs.Add(field, "is required")
		case ts.CheckValid() != nil:
			vs.Add(field, "must be a valid timestamp")
		default:
			return ts.AsTime().UTC()
		}
		return time.Time{}
	}
	from, to = read("start_time", start), read("end_time", end)
	if from.IsZero() || to.IsZero() {
		return from, to
	}
	switch {
	case !to.After(from):
		vs.Add("end_time", "must be after start_time")
	case to.Sub(from) > max:
		vs.Add("end_time", "must be at most %d days after start_time: ask for a shorter period", int(max.Hours()/24))
	}
	return from, to
}

// readCheck is a check as the report reads it: its borderline flag and
// mean diameter come from its stored grade.
func readCheck(c store.CheckRow) (consistency.Check, error) {
	ck := consistency.Check{
		ClassifierID: c.ClassifierID, AssociationID: c.AssociationID, Standard: c.Standard,
		Declared: c.DeclaredGroup, Checked: c.CheckGroup, Time: c.CreateTime,
	}
	g, err := rpc.StoredGrade(c.Grading, "check grading "+c.ID)
	if err != nil || g == nil {
		return ck, err
	}
	ck.Borderline = g.Borderline
	if mean := g.Metrics.MeanFiberDiameterUm; mean > 0 {
		ck.MeasuredUm = &mean
	}
	return ck, nil
}

// bandsOf are the bands of diameters that grade into each of the
// standard's groups, widened by half the bands' resolution so that a mean
// rounding into a band is inside it.
func bandsOf(st *grading.Standard) map[string]consistency.Band {
	bands := map[string]consistency.Band{}
	for _, g := range st.QualityGroups {
		var b consistency.Band
		if g.Band.MinUm != nil {
			b.LowUm = max(0, *g.Band.MinUm-bandResolutionUm/2)
		}
		if g.Band.MaxUm != nil {
			b.HighUm = *g.Band.MaxUm + bandResolutionUm/2
		} else {
			b.OpenAbove = true
		}
		if b.Validate() == nil {
			bands[g.Code] = b
		}
	}
	return bands
}

// scaleOf is the standard's ordered quality groups, finest first, with the
// short-fibre group as the one unordered code.
func scaleOf(st *grading.Standard) (*consistency.Scale, error) {
	codes := make([]string, len(st.QualityGroups))
	for i, g := range st.QualityGroups {
		codes[i] = g.Code
	}
	if len(codes) == 0 && st.HasCategories() {
		for _, c := range st.FleeceClassification.Categories {
			codes = append(codes, c.Code)
		}
	}
	var unordered []string
	if st.ShortFiberGroup != nil {
		unordered = append(unordered, st.ShortFiberGroup.Code)
	}
	sc, err := consistency.NewScale(codes, unordered...)
	if err != nil {
		return nil, millwa.Wrap(millwa.Internal, err, "the groups of standard %s", st.ID)
	}
	return sc, nil
}

// agreementToProto is the API's form of an agreement.
func agreementToProto(a consistency.Agreement) *millwav1.AgreementStatistics {
	s := a.Statistics
	out := &millwav1.AgreementStatistics{
		CheckCount: int32(s.Checks), ExactAgreementCount: int32(s.ExactCount), AdjacentAgreementCount: int32(s.AdjacentCount),
		ExactAgreementPercent: 100 * s.ExactProportion, AdjacentAgreementPercent: 100 * s.AdjacentProportion,
		DeclaredFinerCount: int32(s.DeclaredFinerCount), DeclaredCoarserCount: int32(s.DeclaredCoarserCount),
	}
	if k := s.WeightedKappa; k.Defined {
		out.WeightedKappa, out.WeightedKappaCi95Low, out.WeightedKappaCi95High = proto.Float64(k.Value), proto.Float64(k.CILow), proto.Float64(k.CIHigh)
	}
	if a.Bias.Defined() {
		out.MeanBiasUm = proto.Float64(a.Bias.MeanUm)
	}
	return out
}

func matrixToProto(m consistency.ConfusionMatrix) *millwav1.ConfusionMatrix {
	out := &millwav1.ConfusionMatrix{QualityGroups: m.Codes}
	for i, code := range m.Codes {
		row := &millwav1.ConfusionMatrixRow{DeclaredQualityGroup: code}
		for _, n := range m.Counts[i] {
			row.CheckedCounts = append(row.CheckedCounts, int32(n))
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}
