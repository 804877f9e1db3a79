package audit

import (
	"context"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/consistency"
	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
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
	p, err := auth.Require(ctx)
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
	st, ok := s.standards.GradingStandard(req.GetStandard())
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
	scale, err := scaleOf(st)
	if err != nil {
		return nil, err
	}
	report := &millwav1.ConsistencyReport{
		StartTime: timestamppb.New(from), EndTime: timestamppb.New(to), Standard: "standards/" + st.ID,
		KappaThreshold: threshold, ComputeTime: timestamppb.Now(), LotCount: int32(len(lots)),
	}
	switch {
	case req.GetRegion() != "":
		report.Scope = &millwav1.ConsistencyReport_Region{Region: req.GetRegion()}
		report.RegionName = millwa.Departments[req.GetRegion()[:2]] // auditScope took a ubigeo of 2 digits or more
	case req.GetAssociation() != "":
		report.Scope = &millwav1.ConsistencyReport_Association{Association: req.GetAssociation()}
	default:
		report.Scope = &millwav1.ConsistencyReport_Classifier{Classifier: req.GetClassifier()}
	}

	var counted []checked
	byClassifier := map[string][]checked{}
	var order []string
	for _, c := range checks {
		if c.Standard != st.ID {
			report.OtherStandardCheckCount++
			continue
		}
		ck := readCheck(c, st)
		if ck.borderline {
			report.BorderlineCount++
		}
		counted = append(counted, ck)
		if _, seen := byClassifier[c.ClassifierID]; !seen {
			order = append(order, c.ClassifierID)
		}
		byClassifier[c.ClassifierID] = append(byClassifier[c.ClassifierID], ck)
	}
	report.ClassifierCount = int32(len(byClassifier))
	overall, err := agreementOf(scale, counted)
	if err != nil {
		return nil, err
	}
	report.Overall = overall.toProto()
	report.ConfusionMatrix = matrixToProto(overall.stats.Matrix)

	var perClassifier []consistency.ClassifierStatistics
	results := map[string]agreement{}
	classifierName := map[string]string{}
	for _, id := range order {
		a, err := agreementOf(scale, byClassifier[id])
		if err != nil {
			return nil, err
		}
		results[id] = a
		classifierName[id] = associationsCollection + "/" + byClassifier[id][0].row.AssociationID + "/" + classifiersCollection + "/" + id
		perClassifier = append(perClassifier, consistency.ClassifierStatistics{ClassifierID: id, Statistics: a.stats})
	}
	below, err := consistency.BelowThreshold(perClassifier, threshold)
	if err != nil {
		return nil, err
	}
	for _, c := range below[:min(len(below), maxClassifiersBelow)] {
		report.ClassifiersBelowThreshold = append(report.ClassifiersBelowThreshold, &millwav1.ClassifierConsistency{
			Classifier: classifierName[c.ClassifierID], Statistics: results[c.ClassifierID].toProto(),
		})
	}

	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(to); m = m.AddDate(0, 1, 0) {
		end := m.AddDate(0, 1, 0)
		var in []checked
		for _, c := range counted {
			if !c.row.CreateTime.Before(m) && c.row.CreateTime.Before(end) {
				in = append(in, c)
			}
		}
		a, err := agreementOf(scale, in)
		if err != nil {
			return nil, err
		}
		report.MonthlyAgreement = append(report.MonthlyAgreement, &millwav1.PeriodAgreement{
			StartTime: timestamppb.New(m), EndTime: timestamppb.New(end), Statistics: a.toProto(),
		})
	}
	return &millwav1.GetConsistencyReportResponse{ConsistencyReport: report}, nil
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

// checked is a check as the statistics read it.
type checked struct {
	row        store.CheckRow
	borderline bool
	// measuredUm is the check's mean fibre diameter; hasMeasured is false
	// when the grade document has none.
	measuredUm  float64
	hasMeasured bool
	declared    consistency.Band
	hasBand     bool
}

// readCheck decodes the recorded grade for its borderline flag and mean
// diameter, and finds the declared group's band.
func readCheck(c store.CheckRow, st *grading.Standard) checked {
	ck := checked{row: c}
	var g millwav1.Grade
	if c.Grading != "" && protojson.Unmarshal([]byte(c.Grading), &g) == nil {
		ck.borderline = g.GetBorderline()
		if m := g.GetMetrics(); m != nil && m.GetMeanFiberDiameterUm() > 0 {
			ck.measuredUm, ck.hasMeasured = m.GetMeanFiberDiameterUm(), true
		}
	}
	ck.declared, ck.hasBand = bandOf(st, c.DeclaredGroup)
	return ck
}

// bandOf is the band of diameters that grade into group code, widened by
// half the bands' resolution so that a mean rounding into the band is
// inside it.
func bandOf(st *grading.Standard, code string) (consistency.Band, bool) {
	for _, g := range st.QualityGroups {
		if g.Code != code {
			continue
		}
		var b consistency.Band
		if g.Band.MinUm != nil {
			b.LowUm = max(0, *g.Band.MinUm-bandResolutionUm/2)
		}
		if g.Band.MaxUm != nil {
			b.HighUm = *g.Band.MaxUm + bandResolutionUm/2
		} else {
			b.OpenAbove = true
		}
		return b, b.Validate() == nil
	}
	return consistency.Band{}, false
}

// scaleOf is the standard's ordered quality groups, finest first, with the
// short-fibre group as the one unordered code.
func scaleOf(st *grading.Standard) (*consistency.Scale, error) {
	codes := make([]string, len(st.QualityGroups))
	for i, g := range st.QualityGroups {
		codes[i] = g.Code
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

// agreement is the statistics of a set of checks and their diameter bias.
type agreement struct {
	stats consistency.Statistics
	bias  consistency.Bias
}

// agreementOf computes quadratic-weighted agreement and bias of checks.
func agreementOf(scale *consistency.Scale, checks []checked) (agreement, error) {
	pairs := make([]consistency.Pair, 0, len(checks))
	var diam []consistency.DiameterCheck
	for _, c := range checks {
		pairs = append(pairs, consistency.Pair{Declared: c.row.DeclaredGroup, Checked: c.row.CheckGroup})
		if c.hasMeasured && c.hasBand {
			diam = append(diam, consistency.DiameterCheck{MeasuredUm: c.measuredUm, Declared: c.declared})
		}
	}
	stats, err := scale.Agreement(pairs, consistency.Quadratic)
	if err != nil {
		return agreement{}, millwa.Wrap(millwa.Internal, err, "computing agreement")
	}
	bias, err := consistency.MeanBias(diam)
	if err != nil {
		return agreement{}, millwa.Wrap(millwa.Internal, err, "computing bias")
	}
	return agreement{stats: stats, bias: bias}, nil
}

func (a agreement) toProto() *millwav1.AgreementStatistics {
	s := a.stats
	out := &millwav1.AgreementStatistics{
		CheckCount: int32(s.Checks), ExactAgreementCount: int32(s.ExactCount), AdjacentAgreementCount: int32(s.AdjacentCount),
		ExactAgreementPercent: 100 * s.ExactProportion, AdjacentAgreementPercent: 100 * s.AdjacentProportion,
		DeclaredFinerCount: int32(s.DeclaredFinerCount), DeclaredCoarserCount: int32(s.DeclaredCoarserCount),
	}
	if k := s.WeightedKappa; k.Defined {
		out.WeightedKappa, out.WeightedKappaCi95Low, out.WeightedKappaCi95High = proto.Float64(k.Value), proto.Float64(k.CILow), proto.Float64(k.CIHigh)
	}
	if a.bias.Defined() {
		out.MeanBiasUm = proto.Float64(a.bias.MeanUm)
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
