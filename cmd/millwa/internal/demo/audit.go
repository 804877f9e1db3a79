package demo

import (
	"context"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// demoSeason is what the audit part of the demo needs of the season: the
// true diameter of every lot by name, the lenient classifier and the
// season's period.
type demoSeason struct {
	mfd        map[string]float64
	lenient    string
	start, end time.Time
}

// demoRegion is the region the demo's agency oversees: Puno, where three
// of the demo's associations are and the lenient classifier works.
const demoRegion = "21"

// demoAudit has a regional agency check the season in Puno: it proposes a
// sampling plan, check-grades the lots the plan chose (measuring each
// lot's true diameter), reads the consistency report, in which the
// lenient classifier stands out, and proposes the follow-up plan, which
// samples that classifier under tightened inspection. A second run finds
// the checks made and only reports.
func demoAudit(ctx context.Context, stdout io.Writer, conn *grpc.ClientConn, addr string, seed uint64,
	rid func(string, ...int) string, season demoSeason) error {
	a, err := millwav1.NewAuditServiceClient(conn).CreateAgency(ctx, &millwav1.CreateAgencyRequest{RequestId: rid("agency"),
		Agency: &millwav1.Agency{DisplayName: "Dirección Regional Agraria Puno", Regions: []string{demoRegion}}})
	if err != nil {
		return fmt.Errorf("creating the agency: %w", err)
	}
	agency := a.GetAgency().GetName()
	ac, err := dialAs(ctx, conn, addr, millwav1.Role_ROLE_AGENCY, agency)
	if err != nil {
		return fmt.Errorf("creating the agency's key: %w", err)
	}
	defer ac.Close()
	audit := millwav1.NewAuditServiceClient(ac)
	start, end := timestamppb.New(season.start), timestamppb.New(season.end)
	reportReq := &millwav1.GetConsistencyReportRequest{Scope: &millwav1.GetConsistencyReportRequest_Region{Region: demoRegion}, StartTime: start, EndTime: end}

	report, err := audit.GetConsistencyReport(ctx, reportReq)
	if err != nil {
		return fmt.Errorf("reading the consistency report: %w", err)
	}
	if report.GetConsistencyReport().GetOverall().GetCheckCount() == 0 {
		plan, err := audit.ProposeSamplingPlan(ctx, &millwav1.ProposeSamplingPlanRequest{Region: demoRegion, StartTime: start, EndTime: end,
			Seed: proto.Int64(int64(seed))})
		if err != nil {
			return fmt.Errorf("proposing the season's sampling plan: %w", err)
		}
		n := 0
		for _, cs := range plan.GetSamplingPlan().GetClassifierSamples() {
			for _, lot := range cs.GetLots() {
				mfd, ok := season.mfd[lot]
				if !ok {
					continue // a lot of an earlier seed
				}
				sd, fibres, staple := 4.2, int64(3000), 85.0
				if _, err := audit.RecordCheckGrading(ctx, &millwav1.RecordCheckGradingRequest{Parent: agency, RequestId: rid("check", n),
					CheckGrading: &millwav1.CheckGrading{Lot: lot, Note: "muestra de la campaña",
						Sample: &millwav1.FiberSample{MeanFiberDiameterUm: &mfd, SdUm: &sd, FibersMeasured: &fibres, StapleLengthMm: &staple}}}); err != nil {
					return fmt.Errorf("check-grading %s: %w", lot, err)
				}
				n++
			}
		}
		if report, err = audit.GetConsistencyReport(ctx, reportReq); err != nil {
			return fmt.Errorf("reading the consistency report: %w", err)
		}
	}

	r := report.GetConsistencyReport()
	o := r.GetOverall()
	fmt.Fprintf(stdout, "\nAudit: %s checked %d of %d lots in Puno; exact agreement %.0f%%, weighted kappa %s.\n",
		"Dirección Regional Agraria Puno", o.GetCheckCount(), r.GetLotCount(), o.GetExactAgreementPercent(), kappaText(o))
	names := map[string]string{}
	if list, err := millwav1.NewRegistryServiceClient(conn).ListClassifiers(ctx,
		&millwav1.ListClassifiersRequest{Parent: "associations/-", PageSize: 500}); err == nil {
		for _, c := range list.GetClassifiers() {
			names[c.GetName()] = c.GetDisplayName()
		}
	}
	name := func(classifier string) string {
		if n, ok := names[classifier]; ok {
			return n
		}
		return classifier
	}
	for i, c := range r.GetClassifiersBelowThreshold() {
		st := c.GetStatistics()
		fmt.Fprintf(stdout, "  %d. %s: %d checks, exact agreement %.0f%%, declared finer %d, mean bias %+.1f µm, kappa %s%s\n",
			i+1, name(c.GetClassifier()), st.GetCheckCount(), st.GetExactAgreementPercent(), st.GetDeclaredFinerCount(),
			st.GetMeanBiasUm(), kappaText(st), map[bool]string{true: "  (the lenient classifier)", false: ""}[c.GetClassifier() == season.lenient])
	}
	next, err := audit.ProposeSamplingPlan(ctx, &millwav1.ProposeSamplingPlanRequest{Region: demoRegion, StartTime: start, EndTime: end,
		Seed: proto.Int64(int64(seed) + 1)})
	if err != nil {
		return fmt.Errorf("proposing the follow-up plan: %w", err)
	}
	fmt.Fprintln(stdout, "Follow-up sampling plan:")
	for _, cs := range next.GetSamplingPlan().GetClassifierSamples() {
		fmt.Fprintf(stdout, "  %s: %s\n", name(cs.GetClassifier()), cs.GetReason().GetEn())
	}
	return nil
}

func kappaText(s *millwav1.AgreementStatistics) string {
	if s.WeightedKappa == nil {
		return "undefined"
	}
	return fmt.Sprintf("%.2f (95%% CI %.2f to %.2f)", s.GetWeightedKappa(), s.GetWeightedKappaCi95Low(), s.GetWeightedKappaCi95High())
}
