package registry

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/consistency"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// recordFindings is how many check gradings and claims of each kind a
// record reads; recentDisagreements how many disagreements it lists.
const (
	recordFindings      = 500
	recentDisagreements = 10
	maxReverseReason    = 500
)

// GetClassifierRecord is the feedback on a classifier's work: agreement
// and bias of the checks of their lots, recent disagreements and the
// sanctions ladder.
func (s *Server) GetClassifierRecord(ctx context.Context, req *millwav1.GetClassifierRecordRequest) (*millwav1.GetClassifierRecordResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := parseRecordName("name", req.GetName())
	if err != nil {
		return nil, err
	}
	c, err := s.store.GetClassifier(ctx, p, ids[0], ids[1])
	if err != nil {
		return nil, err
	}
	rec, err := s.classifierRecord(ctx, s.store.Sanctions, s.store.ClassifierFindings, s.store.ClassifierClaims, s.store.FailedRefereeTests, &c)
	if err != nil {
		return nil, err
	}
	return &millwav1.GetClassifierRecordResponse{Record: rec}, nil
}

// ReverseClassifierSanction reverses the latest standing step of a
// classifier's ladder.
func (s *Server) ReverseClassifierSanction(ctx context.Context, req *millwav1.ReverseClassifierSanctionRequest) (*millwav1.ReverseClassifierSanctionResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := rpc.RequireRole(p, "the agency of the association's region reverses a classifier's sanction", millwa.RoleAgency, millwa.RoleAdmin); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	reason := strings.TrimSpace(req.GetReason())
	if n := utf8.RuneCountInString(reason); n < 1 || n > maxReverseReason || !utf8.ValidString(reason) {
		vs.Add("reason", "must be 1 to %d characters saying why the step is reversed; got %d", maxReverseReason, n)
	}
	ids, err := parseRecordName("name", req.GetName())
	if err != nil {
		return nil, err
	}
	if err := vs.Err(); err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, nil, func(tx *store.Tx) (*millwav1.ReverseClassifierSanctionResponse, []rpc.Event, error) {
		c, err := tx.GetClassifier(ctx, p, ids[0], ids[1])
		if err != nil {
			return nil, nil, err
		}
		sanctions, err := tx.Sanctions(ctx, c.ID)
		if err != nil {
			return nil, nil, err
		}
		standing, _ := rpc.StandingSanction(sanctions)
		if standing == nil {
			return nil, nil, millwa.Reasonf(millwa.FailedPrecondition, "NO_STANDING_SANCTION",
				"classifier %s stands on no step of the sanctions ladder: there is nothing to reverse", c.ID)
		}
		agency := ""
		if p.Role == millwa.RoleAgency {
			agency = p.OrganisationID()
		}
		if _, err := tx.ReverseSanction(ctx, standing.ID, agency, reason); err != nil {
			return nil, nil, err
		}
		rec, err := s.classifierRecord(ctx, tx.Sanctions, tx.ClassifierFindings, tx.ClassifierClaims, tx.FailedRefereeTests, &c)
		if err != nil {
			return nil, nil, err
		}
		return &millwav1.ReverseClassifierSanctionResponse{Record: rec},
			[]rpc.Event{{Resource: rec.GetName(), Action: "reverse_sanction_" + standing.Step}}, nil
	})
}

// parseRecordName parses "associations/{a}/classifiers/{c}/record".
func parseRecordName(field, name string) ([]string, error) {
	base, ok := strings.CutSuffix(name, "/record")
	if !ok {
		base = "\x00" // ParseName then names the expected form
	}
	ids, err := millwa.ParseName(field, base, associationsCollection, "classifiers")
	if err != nil && !ok {
		var vs millwa.Violations
		vs.Add(field, "must be a resource name of the form associations/{association}/classifiers/{classifier}/record, got %q", name)
		return nil, vs.Err()
	}
	return ids, err
}

// classifierRecord assembles a classifier's record from what the reads
// given return (on the store, or inside a transaction).
func (s *Server) classifierRecord(ctx context.Context,
	sanctionsOf func(context.Context, string) ([]store.Sanction, error),
	checksOf func(context.Context, string, int) ([]millwa.CheckGrading, error),
	claimsOf func(context.Context, string, int) ([]millwa.Claim, error),
	failedSince func(context.Context, string, time.Time) (int, error),
	c *millwa.Classifier) (*millwav1.ClassifierRecord, error) {
	sanctions, err := sanctionsOf(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	checks, err := checksOf(ctx, c.ID, recordFindings)
	if err != nil {
		return nil, err
	}
	claims, err := claimsOf(ctx, c.ID, recordFindings)
	if err != nil {
		return nil, err
	}
	standing, since := rpc.StandingSanction(sanctions)
	failed, err := failedSince(ctx, c.ID, since)
	if err != nil {
		return nil, err
	}
	rec := &millwav1.ClassifierRecord{
		Name: rpc.ClassifierRecordName(c.AssociationID, c.ID), ClassifierDisplayName: c.DisplayName,
		FailedRefereeTests: int32(failed), LadderSource: rpc.Ladder.Source,
	}
	var findings []consistency.Finding
	for _, ch := range checks {
		f := consistency.Finding{Source: "CHECK_GRADING", Resource: "agencies/-/checkGradings/" + ch.ID,
			Lot: millwa.LotName(ch.AssociationID, ch.LotID), Declared: ch.DeclaredGroup, Found: ch.CheckGroup, Time: ch.CreateTime}
		f.Offset, f.OffsetKnown = s.groupOffset(ch.Standard, ch.DeclaredGroup, ch.CheckGroup)
		findings = append(findings, f)
	}
	for _, cl := range claims {
		switch cl.State {
		case millwa.ClaimAccepted:
			rec.ClaimsAccepted++
		case millwa.ClaimRepriced:
			rec.ClaimsRepriced++
		case millwa.ClaimUpheld:
			rec.ClaimsUpheld++
		}
		found := cl.MeasuredGroup
		if cl.State == millwa.ClaimUpheld {
			found = cl.SoldGroup // the referee found the group sold
		}
		f := consistency.Finding{Source: "CLAIM", Resource: millwa.ClaimName(cl.TradeID, cl.ID),
			Lot: millwa.LotName(cl.AssociationID, cl.LotID), Declared: cl.SoldGroup, Found: found, Time: cl.UpdateTime}
		if g, err := rpc.StoredGrade(cl.Grade, f.Resource); err == nil && g != nil {
			f.Offset, f.OffsetKnown = s.groupOffset(g.Standard, cl.SoldGroup, found)
		}
		findings = append(findings, f)
	}
	sum := consistency.Summarise(findings, recentDisagreements)
	rec.FindingCount, rec.AgreementCount, rec.MeanGroupOffset = int32(sum.Findings), int32(sum.Agreements), sum.MeanOffset
	if sum.Findings > 0 {
		rec.AgreementPercent = float64(sum.Agreements) * 100 / float64(sum.Findings)
	}
	for _, f := range sum.Recent {
		pf := &millwav1.ClassifierFinding{Source: f.Source, Resource: f.Resource, Lot: f.Lot, DeclaredQualityGroup: f.Declared,
			FoundQualityGroup: f.Found, Time: timestamppb.New(f.Time)}
		if f.OffsetKnown {
			o := int32(f.Offset)
			pf.GroupOffset = &o
		}
		rec.RecentDisagreements = append(rec.RecentDisagreements, pf)
	}
	if standing != nil {
		rec.SanctionStep = sanctionStepToProto(standing.Step)
	}
	for _, sn := range sanctions {
		ps := &millwav1.Sanction{Step: sanctionStepToProto(sn.Step), FailedRefereeTests: int32(sn.FailedTests),
			CreateTime: timestamppb.New(sn.CreateTime.Time), ReverseTime: rpc.Timestamp(sn.ReverseTime.Time), ReverseReason: sn.ReverseReason}
		if sn.ReverseAgencyID.Valid {
			ps.ReverseAgency = "agencies/" + sn.ReverseAgencyID.String
		}
		if rung, ok := rpc.Ladder.Rung(consistency.SanctionStep(sn.Step)); ok {
			ps.Explanation = &millwav1.LocalizedText{Es: rung.Text.ES, En: rung.Text.EN}
		}
		rec.Sanctions = append(rec.Sanctions, ps)
	}
	if cl := claimNameOf(sanctions, claims); cl != nil {
		for i, sn := range sanctions {
			if sn.ClaimID.Valid {
				rec.Sanctions[i].Claim = cl[sn.ClaimID.String]
			}
		}
	}
	return rec, nil
}

// claimNameOf maps the claim ids sanctions name to the claims' resource
// names, from the claims read.
func claimNameOf(sanctions []store.Sanction, claims []millwa.Claim) map[string]string {
	if !slices.ContainsFunc(sanctions, func(s store.Sanction) bool { return s.ClaimID.Valid }) {
		return nil
	}
	out := map[string]string{}
	for _, c := range claims {
		out[c.ID] = millwa.ClaimName(c.TradeID, c.ID)
	}
	return out
}

// groupOffset is position(found) − position(declared) among the
// standard's ordered groups (or fleece categories), and whether both are
// there.
func (s *Server) groupOffset(standard, declared, found string) (int, bool) {
	st, ok := s.standards.Get(strings.TrimPrefix(standard, "standards/"))
	if !ok {
		return 0, false
	}
	var codes []string
	for _, g := range st.QualityGroups {
		codes = append(codes, g.Code)
	}
	if len(codes) == 0 && st.FleeceClassification != nil {
		for _, c := range st.FleeceClassification.Categories {
			codes = append(codes, c.Code)
		}
	}
	d, f := slices.Index(codes, declared), slices.Index(codes, found)
	if d < 0 || f < 0 {
		return 0, false
	}
	return f - d, true
}

// sanctionStepToProto is the API's form of a step.
func sanctionStepToProto(step string) millwav1.SanctionStep {
	return rpc.EnumToProto[millwav1.SanctionStep](millwav1.SanctionStep_value, "SANCTION_STEP_", step)
}
