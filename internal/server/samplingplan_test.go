package server_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestStoredSamplingPlans checks that a proposed plan is stored under its
// agency with its audit event, that a retry with its request_id returns it
// without storing another, that GetSamplingPlan and ListSamplingPlans
// (gRPC and REST) read it back naming the lenient classifier and the lots'
// numbers, and that another agency finds it NotFound and a processor is
// refused.
func TestStoredSamplingPlans(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		s := lenientSeason(t, dbURL)
		audit := millwav1.NewAuditServiceClient(s.ts.dial(t, s.agencyKey))
		start, end := timestamppb.New(s.start), timestamppb.New(s.end)
		req := &millwav1.ProposeSamplingPlanRequest{Region: "21", StartTime: start, EndTime: end, Seed: proto.Int64(7), RequestId: "plan-1"}
		first, err := audit.ProposeSamplingPlan(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		plan := first.GetSamplingPlan()
		if !hasPrefix(plan.GetName(), s.agency+"/samplingPlans/") || plan.GetCreateTime() == nil || plan.GetEtag() == "" {
			t.Fatalf("proposed plan %q created %v etag %q; want a name under %s, a time and an etag", plan.GetName(), plan.GetCreateTime(), plan.GetEtag(), s.agency)
		}
		// The same request_id: the same plan, nothing new stored.
		retry, err := audit.ProposeSamplingPlan(t.Context(), req)
		if err != nil || !proto.Equal(retry.GetSamplingPlan(), plan) {
			t.Fatalf("retry with the same request_id: %v %v, want the first plan", retry.GetSamplingPlan().GetName(), err)
		}
		other := proto.Clone(req).(*millwav1.ProposeSamplingPlanRequest)
		other.Seed = proto.Int64(8)
		_, err = audit.ProposeSamplingPlan(t.Context(), other)
		wantCode(t, "the same request_id for another seed", err, codes.InvalidArgument)

		got, err := audit.GetSamplingPlan(t.Context(), &millwav1.GetSamplingPlanRequest{Name: plan.GetName()})
		if err != nil || !proto.Equal(got.GetSamplingPlan(), plan) {
			t.Fatalf("GetSamplingPlan: %v, want the plan as proposed", err)
		}
		// The stored plan names the lenient classifier and the numbers on
		// the bales of the lots it chose.
		var lenient *millwav1.ClassifierSample
		for _, cs := range got.GetSamplingPlan().GetClassifierSamples() {
			if cs.GetClassifier() == s.lenient {
				lenient = cs
			}
			for i, lot := range cs.GetLots() {
				if cs.GetLotNumbers()[i] != s.lotNumbers[lot] {
					t.Errorf("stored plan numbers lot %s %q, want %q", lot, cs.GetLotNumbers()[i], s.lotNumbers[lot])
				}
			}
		}
		if lenient == nil || lenient.GetClassifierDisplayName() != "Clasificador 1" ||
			lenient.GetSeverity() != millwav1.InspectionSeverity_INSPECTION_SEVERITY_TIGHTENED || lenient.GetReason().GetEn() == "" {
			t.Fatalf("the lenient classifier in the stored plan: %v; want Clasificador 1, tightened, with a reason", lenient)
		}

		// A second plan, of a province, without a request_id; the list is
		// most recent first and filters by region.
		second, err := audit.ProposeSamplingPlan(t.Context(), &millwav1.ProposeSamplingPlanRequest{Region: "2101", StartTime: start, EndTime: end})
		if err != nil {
			t.Fatal(err)
		}
		list, err := audit.ListSamplingPlans(t.Context(), &millwav1.ListSamplingPlansRequest{Parent: s.agency})
		if err != nil || len(list.GetSamplingPlans()) != 2 || list.GetSamplingPlans()[0].GetName() != second.GetSamplingPlan().GetName() ||
			list.GetSamplingPlans()[1].GetName() != plan.GetName() {
			t.Fatalf("ListSamplingPlans: %v %v; want the province's plan, then the first", list, err)
		}
		page, err := audit.ListSamplingPlans(t.Context(), &millwav1.ListSamplingPlansRequest{Parent: s.agency, PageSize: 1})
		if err != nil || len(page.GetSamplingPlans()) != 1 || page.GetNextPageToken() == "" {
			t.Fatalf("first page of one: %v %v", page, err)
		}
		page, err = audit.ListSamplingPlans(t.Context(), &millwav1.ListSamplingPlansRequest{Parent: s.agency, PageSize: 1, PageToken: page.GetNextPageToken()})
		if err != nil || len(page.GetSamplingPlans()) != 1 || page.GetSamplingPlans()[0].GetName() != plan.GetName() || page.GetNextPageToken() != "" {
			t.Fatalf("second page of one: %v %v; want the first plan, last", page, err)
		}
		province, err := audit.ListSamplingPlans(t.Context(), &millwav1.ListSamplingPlansRequest{Parent: s.agency, Filter: `region = "2101"`})
		if err != nil || len(province.GetSamplingPlans()) != 1 || province.GetSamplingPlans()[0].GetRegion() != "2101" {
			t.Fatalf("plans of region 2101: %v %v, want one", province, err)
		}
		after, err := audit.ListSamplingPlans(t.Context(), &millwav1.ListSamplingPlansRequest{Parent: s.agency,
			Filter: `create_time > "` + s.end.UTC().Format("2006-01-02T15:04:05Z") + `"`})
		if err != nil || len(after.GetSamplingPlans()) != 0 {
			t.Fatalf("plans after the season's end: %v %v, want none", after, err)
		}

		// REST: the bare plan, and the list.
		res := s.ts.restAs(t, s.agencyKey, http.MethodGet, "/v1/"+plan.GetName(), "")
		var bare millwav1.SamplingPlan
		if res.code != http.StatusOK || protojson.Unmarshal(res.body, &bare) != nil || !proto.Equal(&bare, plan) {
			t.Fatalf("REST get: HTTP %d %s", res.code, res.body)
		}
		res = s.ts.restAs(t, s.agencyKey, http.MethodGet, "/v1/"+s.agency+"/samplingPlans?"+url.Values{"filter": {`region = "21"`}}.Encode(), "")
		var restList millwav1.ListSamplingPlansResponse
		if res.code != http.StatusOK || protojson.Unmarshal(res.body, &restList) != nil || len(restList.GetSamplingPlans()) != 1 {
			t.Fatalf("REST list: HTTP %d %s", res.code, res.body)
		}

		// The audit log holds one event for the stored plan.
		events, err := audit.ListAuditEvents(t.Context(), &millwav1.ListAuditEventsRequest{Filter: `resource = "` + plan.GetName() + `"`})
		if err != nil || len(events.GetAuditEvents()) != 1 || events.GetAuditEvents()[0].GetAction() != "create" {
			t.Fatalf("audit events of the plan: %v %v, want one create", events, err)
		}

		// Another agency: NotFound, as for what does not exist; it cannot
		// store a plan under Puno's name either.
		cusco := millwav1.NewAuditServiceClient(s.ts.dial(t, s.cuscoKey))
		_, err = cusco.GetSamplingPlan(t.Context(), &millwav1.GetSamplingPlanRequest{Name: plan.GetName()})
		wantCode(t, "the Cusco agency reads Puno's plan", err, codes.NotFound)
		_, err = cusco.ListSamplingPlans(t.Context(), &millwav1.ListSamplingPlansRequest{Parent: s.agency})
		wantCode(t, "the Cusco agency lists Puno's plans", err, codes.NotFound)
		_, err = cusco.GetSamplingPlan(t.Context(), &millwav1.GetSamplingPlanRequest{Name: s.cuscoOrg + "/samplingPlans/" + plan.GetName()[len(s.agency+"/samplingPlans/"):]})
		wantCode(t, "Puno's plan under Cusco's name", err, codes.NotFound)
		// A processor may not read plans at all.
		proc, _ := s.ts.createProcessor(t, "040101")
		_, procKey := s.ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, proc.GetName(), false)
		asProc := millwav1.NewAuditServiceClient(s.ts.dial(t, procKey))
		_, err = asProc.GetSamplingPlan(t.Context(), &millwav1.GetSamplingPlanRequest{Name: plan.GetName()})
		wantCode(t, "a processor reads a plan", err, codes.PermissionDenied)
		_, err = asProc.ListSamplingPlans(t.Context(), &millwav1.ListSamplingPlansRequest{Parent: s.agency})
		wantCode(t, "a processor lists plans", err, codes.PermissionDenied)

		// An admin reads every agency's plans, stores one by naming the
		// agency, and gets a preview without a parent; the parent's regions
		// must hold the region.
		admin := millwav1.NewAuditServiceClient(s.ts.conn)
		if _, err := admin.GetSamplingPlan(t.Context(), &millwav1.GetSamplingPlanRequest{Name: plan.GetName()}); err != nil {
			t.Errorf("an admin reads the plan: %v", err)
		}
		stored, err := admin.ProposeSamplingPlan(t.Context(), &millwav1.ProposeSamplingPlanRequest{Region: "21", StartTime: start, EndTime: end, Parent: s.agency})
		if err != nil || !hasPrefix(stored.GetSamplingPlan().GetName(), s.agency+"/samplingPlans/") {
			t.Fatalf("an admin's plan for Puno: %v %v", stored.GetSamplingPlan().GetName(), err)
		}
		preview, err := admin.ProposeSamplingPlan(t.Context(), &millwav1.ProposeSamplingPlanRequest{Region: "21", StartTime: start, EndTime: end})
		if err != nil || preview.GetSamplingPlan().GetName() != "" || preview.GetSamplingPlan().GetLotCount() != 60 {
			t.Fatalf("an admin's preview: %v %v; want no name and 60 lots", preview.GetSamplingPlan().GetName(), err)
		}
		_, err = admin.ProposeSamplingPlan(t.Context(), &millwav1.ProposeSamplingPlanRequest{Region: "21", StartTime: start, EndTime: end, Parent: s.cuscoOrg})
		wantCode(t, "a Puno plan for the Cusco agency", err, codes.InvalidArgument)
		n, err := admin.ListSamplingPlans(t.Context(), &millwav1.ListSamplingPlansRequest{Parent: s.agency})
		if err != nil || len(n.GetSamplingPlans()) != 3 {
			t.Fatalf("Puno's plans after the admin's: %v %v, want 3 (a preview and a refusal store nothing)", len(n.GetSamplingPlans()), err)
		}
		for _, bad := range []*millwav1.ListSamplingPlansRequest{
			{Parent: "agencies"},
			{Parent: s.agency, Filter: `lot = "x"`},
			{Parent: s.agency, OrderBy: "region"},
			{Parent: s.agency, PageSize: -1},
		} {
			_, err := audit.ListSamplingPlans(t.Context(), bad)
			wantCode(t, "ListSamplingPlans("+bad.String()+")", err, codes.InvalidArgument)
		}
	})
}

func hasPrefix(s, prefix string) bool { return len(s) > len(prefix) && s[:len(prefix)] == prefix }

// TestSamplingPlanJudgesFleeceChecks: a classifier who categorises whole
// fleeces, and whose every categorised lot an agency finds two or three
// categories coarser, is sampled tightened in the next plan, judged on
// the fleece categories' scale; its checks under NTP 231.300 are not left
// out for being under another standard than graded fibre's.
func TestSamplingPlanJudgesFleeceChecks(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		f := ts.acopioFixture(t, 1, 0)
		r := f.receive(t, f.categorised(f.members[0], "EXTRAFINA", 120_000))
		agency, agencyKey := ts.createAgency(t, "21")
		audit := millwav1.NewAuditServiceClient(ts.dial(t, agencyKey))
		start := timestamppb.New(time.Now().Add(-time.Hour))
		for i := range 6 {
			lot, err := f.reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: f.assoc.GetName(),
				Lot: f.lotFrom(fleeceStandard, "EXTRAFINA", 1400, &millwav1.LotSource{Receipt: r.GetName(), Grams: 20_000})})
			if err != nil {
				t.Fatalf("CreateLot %d: %v", i, err)
			}
			// 70 % of the classed weight coarse: GRUESA, three categories
			// below the EXTRAFINA declared; every other one SEMIFINA.
			grams := map[string]int64{"BABY": 300, "HUARIZO": 700}
			if i%2 == 1 {
				grams = map[string]int64{"BABY": 500, "HUARIZO": 500}
			}
			check, err := audit.RecordCheckGrading(t.Context(), &millwav1.RecordCheckGradingRequest{Parent: agency.GetName(),
				CheckGrading: &millwav1.CheckGrading{Lot: lot.GetLot().GetName(), ClassedGrams: grams}})
			if err != nil || check.GetCheckGrading().GetGroupOffset() < 1 {
				t.Fatalf("check of fleece lot %d: %v, %v; want it found coarser", i, check, err)
			}
		}
		plan, err := audit.ProposeSamplingPlan(t.Context(), &millwav1.ProposeSamplingPlanRequest{Region: "21",
			StartTime: start, EndTime: timestamppb.New(time.Now().Add(time.Hour)), Seed: proto.Int64(5)})
		if err != nil {
			t.Fatalf("ProposeSamplingPlan: %v", err)
		}
		samples := plan.GetSamplingPlan().GetClassifierSamples()
		if len(samples) != 1 || samples[0].GetClassifier() != f.classifier {
			t.Fatalf("plan samples %v; want the fleece classifier alone", samples)
		}
		c := samples[0]
		if c.GetSeverity() != millwav1.InspectionSeverity_INSPECTION_SEVERITY_TIGHTENED || c.GetRecentCheckCount() != 6 || c.GetLotCount() != 6 {
			t.Errorf("the fleece classifier is sampled %v on %d recent checks of %d lots; want tightened on 6 checks of 6 lots (reason %q)",
				c.GetSeverity(), c.GetRecentCheckCount(), c.GetLotCount(), c.GetReason().GetEn())
		}
	})
}
