package demo

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/consistency"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// demoSeason is what the audit part of the demo needs of the season: the
// true diameter of every lot by name, the lenient classifier and the
// season's period.
type demoSeason struct {
	mfd map[string]float64
	// lots are the season's lots by name and classifier, in the order they
	// were registered.
	lots       []seasonLot
	lenient    string
	start, end time.Time
}

// seasonLot is a lot of the season and the classifier who declared it.
type seasonLot struct{ name, classifier string }

// newDemoSeason is the season of a demo run at now: its period runs from
// 300 days before now's day (UTC) to the end of the day after, in whole
// days, so that the runs of a day ask for the same period.
func newDemoSeason(now time.Time) demoSeason {
	day := now.UTC().Truncate(24 * time.Hour)
	return demoSeason{mfd: map[string]float64{}, start: day.AddDate(0, 0, -300), end: day.AddDate(0, 0, 2)}
}

// The season's calendar (campaign 2026) for the times the API takes in
// the past: when the agency drew its samples and when the processors
// weighed what was delivered. Before those days have come, an hour ago
// stands in for them.
var (
	demoSampleTime = pastOrHourAgo(time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC))
	demoWeighTime  = pastOrHourAgo(time.Date(2026, 11, 28, 14, 0, 0, 0, time.UTC))
)

// pastOrHourAgo is t when it has passed, else the start of the hour an
// hour ago.
func pastOrHourAgo(t time.Time) time.Time {
	if ago := time.Now().Add(-time.Hour).UTC().Truncate(time.Hour); t.After(ago) {
		return ago
	}
	return t
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
		plan, err := storedPlan(ctx, audit, agency, season, int64(seed), rid("plan"))
		if err != nil {
			return fmt.Errorf("proposing the season's sampling plan: %w", err)
		}
		for n, lot := range lotsToCheck(plan.GetSamplingPlan(), season) {
			mfd := season.mfd[lot]
			sd, fibres, staple := 4.2, int64(3000), 85.0
			if _, err := audit.RecordCheckGrading(ctx, &millwav1.RecordCheckGradingRequest{Parent: agency, RequestId: rid("check", n),
				CheckGrading: &millwav1.CheckGrading{Lot: lot, Note: "muestra de la campaña", SampleTime: timestamppb.New(demoSampleTime),
					Sample: &millwav1.FiberSample{MeanFiberDiameterUm: &mfd, SdUm: &sd, FibersMeasured: &fibres, StapleLengthMm: &staple}}}); err != nil {
				return fmt.Errorf("check-grading %s: %w", lot, err)
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
	for i, c := range r.GetClassifiersBelowThreshold() {
		st := c.GetStatistics()
		fmt.Fprintf(stdout, "  %d. %s (%s): %d checks, exact agreement %.0f%%, declared finer %d, mean bias %+.1f µm, kappa %s%s\n",
			i+1, c.GetClassifierDisplayName(), c.GetAssociationDisplayName(), st.GetCheckCount(), st.GetExactAgreementPercent(), st.GetDeclaredFinerCount(),
			st.GetMeanBiasUm(), kappaText(st), map[bool]string{true: "  (the lenient classifier)", false: ""}[c.GetClassifier() == season.lenient])
	}
	next, err := storedPlan(ctx, audit, agency, season, int64(seed)+1, rid("follow-up-plan"))
	if err != nil {
		return fmt.Errorf("proposing the follow-up plan: %w", err)
	}
	stored, err := audit.ListSamplingPlans(ctx, &millwav1.ListSamplingPlansRequest{Parent: agency, Filter: `region = "` + demoRegion + `"`, PageSize: 500})
	if err != nil {
		return fmt.Errorf("listing the agency's sampling plans: %w", err)
	}
	fmt.Fprintf(stdout, "Follow-up sampling plan (%d plans stored for Puno), %d of %d lots:\n",
		len(stored.GetSamplingPlans()), next.GetSamplingPlan().GetSampleCount(), next.GetSamplingPlan().GetLotCount())
	for _, cs := range next.GetSamplingPlan().GetClassifierSamples() {
		fmt.Fprintf(stdout, "  %s: %s\n", cs.GetClassifierDisplayName(), cs.GetReason().GetEn())
		if cs.GetClassifier() == season.lenient {
			numbers := slices.Clone(cs.GetLotNumbers())
			slices.Sort(numbers)
			fmt.Fprintf(stdout, "    lots to check: %s\n", strings.Join(numbers, ", "))
		}
	}
	return nil
}

// lotsToCheck are the lots the agency checks: those the plan chose, then,
// for a classifier the plan sampled fewer than consistency.MinChecksToJudge
// of (a small season), more of its lots in the order they were registered,
// up to that many, so that every classifier can be judged. Lots of an
// earlier seed, whose true diameters this run does not know, are left out.
func lotsToCheck(plan *millwav1.SamplingPlan, season demoSeason) []string {
	var out []string
	count := map[string]int{}
	chosen := map[string]bool{}
	for _, cs := range plan.GetClassifierSamples() {
		count[cs.GetClassifier()] = 0
		for _, lot := range cs.GetLots() {
			if _, ok := season.mfd[lot]; ok {
				out = append(out, lot)
				chosen[lot] = true
				count[cs.GetClassifier()]++
			}
		}
	}
	for _, l := range season.lots {
		if n, sampled := count[l.classifier]; sampled && n < consistency.MinChecksToJudge && !chosen[l.name] {
			out = append(out, l.name)
			count[l.classifier]++
		}
	}
	return out
}

// storedPlan returns the agency's stored plan of Puno drawn with seed, or
// proposes and stores it. A rerun finds the plan the first run stored,
// whatever day it runs, and shows it again rather than storing another.
func storedPlan(ctx context.Context, audit millwav1.AuditServiceClient, agency string, season demoSeason, seed int64, requestID string) (*millwav1.ProposeSamplingPlanResponse, error) {
	for token := ""; ; {
		page, err := audit.ListSamplingPlans(ctx, &millwav1.ListSamplingPlansRequest{Parent: agency, Filter: `region = "` + demoRegion + `"`,
			PageSize: 500, PageToken: token})
		if err != nil {
			return nil, err
		}
		for _, p := range page.GetSamplingPlans() {
			if p.GetSeed() == seed {
				return &millwav1.ProposeSamplingPlanResponse{SamplingPlan: p}, nil
			}
		}
		if token = page.GetNextPageToken(); token == "" {
			break
		}
	}
	return audit.ProposeSamplingPlan(ctx, &millwav1.ProposeSamplingPlanRequest{Parent: agency, Region: demoRegion,
		StartTime: timestamppb.New(season.start), EndTime: timestamppb.New(season.end), Seed: proto.Int64(seed), RequestId: requestID})
}

func kappaText(s *millwav1.AgreementStatistics) string {
	if s.WeightedKappa == nil {
		return "undefined"
	}
	return fmt.Sprintf("%.2f (95%% CI %.2f to %.2f)", s.GetWeightedKappa(), s.GetWeightedKappaCi95Low(), s.GetWeightedKappaCi95High())
}
