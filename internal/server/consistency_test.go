package server_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// season is what a lenient-classifier season leaves: an association in
// Puno with two accurate classifiers and one who declares every lot one
// group finer than it measures, 20 lots each, all checked by the Puno
// agency.
type season struct {
	ts                 *testServer
	f                  lotFixture
	accurate           []string
	lenient            string
	agency, agencyKey  string
	start, end         time.Time
	cuscoKey, cuscoOrg string
	// lotNumbers are the lots' numbers by resource name.
	lotNumbers map[string]string
}

// seasonGroups are the true groups of the lots in turn, with a mean
// diameter in the middle of each band of pe-ntp-231-301-2014, and the
// group one finer.
var seasonGroups = []struct {
	code, finer string
	mfd         float64
}{
	{"BABY", "SUPER_BABY", 21.5},
	{"FLEECE", "BABY", 24.8},
	{"MEDIUM_FLEECE", "FLEECE", 27.8},
	{"HUARIZO", "MEDIUM_FLEECE", 30.3},
}

func lenientSeason(t *testing.T, dbURL string) season {
	t.Helper()
	ts := startServer(t, dbURL)
	s := season{ts: ts, f: ts.lotFixture(t, "210101"), start: time.Now().Add(-time.Hour)}
	reg := millwav1.NewRegistryServiceClient(ts.conn)
	var classifiers []string
	for i := range 2 {
		c, err := reg.CreateClassifier(t.Context(), &millwav1.CreateClassifierRequest{Parent: s.f.assoc.GetName(), Classifier: &millwav1.Classifier{
			DisplayName: fmt.Sprintf("Clasificador %d", i), Dni: fmt.Sprintf("4%07d", fixtureN.Add(1)),
			CertificationNumber: "SINEACE-124", CertificationDate: "2024-05-10",
		}})
		if err != nil {
			t.Fatal(err)
		}
		classifiers = append(classifiers, c.GetClassifier().GetName())
	}
	s.accurate = []string{s.f.classifier, classifiers[0]}
	s.lenient = classifiers[1]
	puno, punoKey := ts.createAgency(t, "21")
	s.agency, s.agencyKey = puno.GetName(), punoKey
	var cusco *millwav1.Agency
	cusco, s.cuscoKey = ts.createAgency(t, "08")
	s.cuscoOrg = cusco.GetName()
	asAssoc := millwav1.NewRegistryServiceClient(ts.dial(t, s.f.secret))
	asAgency := millwav1.NewAuditServiceClient(ts.dial(t, s.agencyKey))
	s.lotNumbers = map[string]string{}
	for k, classifier := range append(slices.Clone(s.accurate), s.lenient) {
		for i := range 20 {
			g := seasonGroups[i%len(seasonGroups)]
			l := s.f.lot(g.code)
			l.Classifier = classifier
			l.LotNumber = fmt.Sprintf("PU-%d-%02d", k, i)
			if classifier == s.lenient {
				l.DeclaredQualityGroup = g.finer
			}
			created, err := asAssoc.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: s.f.assoc.GetName(), Lot: l})
			if err != nil {
				t.Fatal(err)
			}
			s.lotNumbers[created.GetLot().GetName()] = l.LotNumber
			check, err := asAgency.RecordCheckGrading(t.Context(), &millwav1.RecordCheckGradingRequest{Parent: s.agency,
				CheckGrading: &millwav1.CheckGrading{Lot: created.GetLot().GetName(), Sample: checkSample(g.mfd)}})
			if err != nil {
				t.Fatal(err)
			}
			if c := check.GetCheckGrading(); c.GetLotNumber() != l.LotNumber || c.GetAssociationDisplayName() != s.f.assoc.GetLegalName() || c.GetClassifierDisplayName() == "" {
				t.Fatalf("recorded check names lot %q of %q classed by %q; want lot %q of %q and its classifier",
					c.GetLotNumber(), c.GetAssociationDisplayName(), c.GetClassifierDisplayName(), l.LotNumber, s.f.assoc.GetLegalName())
			}
		}
	}
	s.end = time.Now().Add(time.Hour)
	return s
}

// TestConsistencyReportFindsTheLenientClassifier checks the acceptance of
// the audit: in a season with one classifier who declares every lot one
// group finer than measured, the report for its region lists it first
// (and only it), with its bias, and the sampling plan for the next period
// samples it more than the accurate classifiers.
func TestConsistencyReportFindsTheLenientClassifier(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		s := lenientSeason(t, dbURL)
		audit := millwav1.NewAuditServiceClient(s.ts.dial(t, s.agencyKey))
		resp, err := audit.GetConsistencyReport(t.Context(), &millwav1.GetConsistencyReportRequest{
			Scope: &millwav1.GetConsistencyReportRequest_Region{Region: "21"}, StartTime: timestamppb.New(s.start), EndTime: timestamppb.New(s.end)})
		if err != nil {
			t.Fatal(err)
		}
		r := resp.GetConsistencyReport()
		o := r.GetOverall()
		if r.GetLotCount() != 60 || r.GetClassifierCount() != 3 || o.GetCheckCount() != 60 || o.GetExactAgreementCount() != 40 ||
			o.GetAdjacentAgreementCount() != 60 || o.GetDeclaredFinerCount() != 20 || o.GetDeclaredCoarserCount() != 0 {
			t.Fatalf("report totals: lots %d, classifiers %d, overall %v; want 60 lots, 3 classifiers, 60 checks, 40 exact, 60 adjacent, 20 finer",
				r.GetLotCount(), r.GetClassifierCount(), o)
		}
		below := r.GetClassifiersBelowThreshold()
		if len(below) != 1 || below[0].GetClassifier() != s.lenient {
			t.Fatalf("classifiers below threshold: %v, want the lenient %s alone", below, s.lenient)
		}
		// The report names the lenient classifier and its association, not
		// only their resource names.
		if below[0].GetClassifierDisplayName() != "Clasificador 1" || below[0].GetAssociationDisplayName() != s.f.assoc.GetLegalName() {
			t.Errorf("the lenient classifier is named %q of %q, want Clasificador 1 of %q",
				below[0].GetClassifierDisplayName(), below[0].GetAssociationDisplayName(), s.f.assoc.GetLegalName())
		}
		st := below[0].GetStatistics()
		if st.GetExactAgreementCount() != 0 || st.GetDeclaredFinerCount() != 20 || st.GetMeanBiasUm() <= 0 || st.WeightedKappa == nil {
			t.Fatalf("the lenient classifier's statistics: %v; want no exact agreement, 20 declared finer, a positive bias", st)
		}
		// The confusion matrix: rows are declared, columns checked.
		m := r.GetConfusionMatrix()
		col := func(code string) int { return slices.Index(m.GetQualityGroups(), code) }
		for _, row := range m.GetRows() {
			switch row.GetDeclaredQualityGroup() {
			case "SUPER_BABY":
				if row.GetCheckedCounts()[col("BABY")] != 5 {
					t.Errorf("SUPER_BABY declared, BABY checked: %d, want 5", row.GetCheckedCounts()[col("BABY")])
				}
			case "BABY":
				if row.GetCheckedCounts()[col("BABY")] != 10 || row.GetCheckedCounts()[col("FLEECE")] != 5 {
					t.Errorf("BABY row %v: want 10 BABY and 5 FLEECE", row.GetCheckedCounts())
				}
			}
		}
		if n := len(r.GetMonthlyAgreement()); n < 1 || n > 2 {
			t.Fatalf("%d months in a two-hour period", n)
		}

		// The plan for the next period samples the lenient classifier more.
		plan, err := audit.ProposeSamplingPlan(t.Context(), &millwav1.ProposeSamplingPlanRequest{Region: "21",
			StartTime: timestamppb.New(s.start), EndTime: timestamppb.New(s.end), Seed: proto.Int64(42)})
		if err != nil {
			t.Fatal(err)
		}
		p := plan.GetSamplingPlan()
		size := map[string]*millwav1.ClassifierSample{}
		for _, cs := range p.GetClassifierSamples() {
			size[cs.GetClassifier()] = cs
			if int(cs.GetSampleSize()) != len(cs.GetLots()) || !slices.IsSorted(cs.GetLots()) || cs.GetReason().GetEs() == "" {
				t.Fatalf("classifier sample %v: lots do not match the size, or are unsorted, or no reason", cs)
			}
			// The plan names lots by the numbers on their bales and
			// classifiers by name.
			if len(cs.GetLotNumbers()) != len(cs.GetLots()) {
				t.Fatalf("classifier sample %v: %d lot numbers for %d lots", cs, len(cs.GetLotNumbers()), len(cs.GetLots()))
			}
			for i, lot := range cs.GetLots() {
				if want := s.lotNumbers[lot]; want == "" || cs.GetLotNumbers()[i] != want {
					t.Errorf("lot %s is numbered %q in the plan, want %q", lot, cs.GetLotNumbers()[i], want)
				}
			}
			if cs.GetClassifierDisplayName() == "" || cs.GetAssociationDisplayName() != s.f.assoc.GetLegalName() {
				t.Errorf("classifier sample %s named %q of %q, want a name and %q", cs.GetClassifier(),
					cs.GetClassifierDisplayName(), cs.GetAssociationDisplayName(), s.f.assoc.GetLegalName())
			}
		}
		l := size[s.lenient]
		if l.GetClassifierDisplayName() != "Clasificador 1" {
			t.Errorf("the lenient classifier's sample is named %q, want Clasificador 1", l.GetClassifierDisplayName())
		}
		if l.GetSeverity() != millwav1.InspectionSeverity_INSPECTION_SEVERITY_TIGHTENED || l.GetSampleSize() != 8 || l.GetRecentCheckCount() != 20 {
			t.Fatalf("lenient classifier's sample: %v; want TIGHTENED, 8 lots (20 lots: letter C, tightened takes D's 8)", l)
		}
		for _, a := range s.accurate {
			if size[a].GetSampleSize() >= l.GetSampleSize() || size[a].GetSeverity() != millwav1.InspectionSeverity_INSPECTION_SEVERITY_REDUCED {
				t.Fatalf("accurate classifier's sample %v; want REDUCED and smaller than the lenient one's %d", size[a], l.GetSampleSize())
			}
		}
		if p.GetLotCount() != 60 || p.GetSeed() != 42 || p.GetSampleCount() != l.GetSampleSize()+size[s.accurate[0]].GetSampleSize()+size[s.accurate[1]].GetSampleSize() {
			t.Fatalf("plan totals: %d lots, %d chosen, seed %d", p.GetLotCount(), p.GetSampleCount(), p.GetSeed())
		}
		// Re-derivable: the same inputs give the same plan.
		again, err := audit.ProposeSamplingPlan(t.Context(), &millwav1.ProposeSamplingPlanRequest{Region: "21",
			StartTime: timestamppb.New(s.start), EndTime: timestamppb.New(s.end), Seed: proto.Int64(42), AsOfTime: p.GetAsOfTime()})
		// It is stored again, under a name of its own.
		derived := proto.Clone(again.GetSamplingPlan()).(*millwav1.SamplingPlan)
		if err != nil || derived.GetName() == p.GetName() {
			t.Fatalf("the plan re-derived: %v %v, want a new stored plan", derived.GetName(), err)
		}
		derived.Name, derived.CreateTime = p.GetName(), p.GetCreateTime()
		if !proto.Equal(derived, p) {
			t.Fatalf("the plan re-derived with its seed and as_of_time differs")
		}
		// As of before any check, every classifier is sampled normally.
		before, err := audit.ProposeSamplingPlan(t.Context(), &millwav1.ProposeSamplingPlanRequest{Region: "21",
			StartTime: timestamppb.New(s.start), EndTime: timestamppb.New(s.end), Seed: proto.Int64(42), AsOfTime: timestamppb.New(s.start)})
		if err != nil || before.GetSamplingPlan().GetLotCount() != 0 {
			t.Fatalf("plan as of before the season: %v %v, want no lots yet", before, err)
		}
	})
}

// TestConsistencyScopeAndValidation checks that an agency reads reports
// and plans only within its regions (NotFound otherwise, as for what does
// not exist), that other roles are refused, and that bad requests name
// their fields.
func TestConsistencyScopeAndValidation(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		s := lenientSeason(t, dbURL)
		cusco := millwav1.NewAuditServiceClient(s.ts.dial(t, s.cuscoKey))
		start, end := timestamppb.New(s.start), timestamppb.New(s.end)
		for name, req := range map[string]*millwav1.GetConsistencyReportRequest{
			"region":      {Scope: &millwav1.GetConsistencyReportRequest_Region{Region: "21"}, StartTime: start, EndTime: end},
			"association": {Scope: &millwav1.GetConsistencyReportRequest_Association{Association: s.f.assoc.GetName()}, StartTime: start, EndTime: end},
			"classifier":  {Scope: &millwav1.GetConsistencyReportRequest_Classifier{Classifier: s.lenient}, StartTime: start, EndTime: end},
		} {
			_, err := cusco.GetConsistencyReport(t.Context(), req)
			wantCode(t, "Cusco agency's report on Puno's "+name, err, codes.NotFound)
			resp, err := millwav1.NewAuditServiceClient(s.ts.conn).GetConsistencyReport(t.Context(), req)
			if err != nil || resp.GetConsistencyReport().GetOverall().GetCheckCount() == 0 {
				t.Fatalf("admin's report on the %s: %v %v", name, resp, err)
			}
			// The scope is named as well as given by resource name.
			r := resp.GetConsistencyReport()
			wantAssoc, wantClassifier := map[string]string{"region": "", "association": s.f.assoc.GetLegalName(), "classifier": s.f.assoc.GetLegalName()}[name], ""
			if name == "classifier" {
				wantClassifier = "Clasificador 1"
			}
			if r.GetAssociationDisplayName() != wantAssoc || r.GetClassifierDisplayName() != wantClassifier {
				t.Errorf("the %s report names %q of %q, want %q of %q", name, r.GetClassifierDisplayName(), r.GetAssociationDisplayName(), wantClassifier, wantAssoc)
			}
		}
		_, err := cusco.ProposeSamplingPlan(t.Context(), &millwav1.ProposeSamplingPlanRequest{Region: "2101", StartTime: start, EndTime: end})
		wantCode(t, "Cusco agency's plan for a Puno province", err, codes.NotFound)
		_, err = millwav1.NewAuditServiceClient(s.ts.dial(t, s.f.secret)).GetConsistencyReport(t.Context(),
			&millwav1.GetConsistencyReportRequest{Scope: &millwav1.GetConsistencyReportRequest_Region{Region: "21"}, StartTime: start, EndTime: end})
		wantCode(t, "an association reads a report", err, codes.PermissionDenied)

		audit := millwav1.NewAuditServiceClient(s.ts.dial(t, s.agencyKey))
		for _, tt := range []struct {
			req  *millwav1.GetConsistencyReportRequest
			want []string
		}{
			{&millwav1.GetConsistencyReportRequest{StartTime: start, EndTime: end}, []string{"scope"}},
			{&millwav1.GetConsistencyReportRequest{Scope: &millwav1.GetConsistencyReportRequest_Region{Region: "99"}, StartTime: start, EndTime: end}, []string{"region"}},
			{&millwav1.GetConsistencyReportRequest{Scope: &millwav1.GetConsistencyReportRequest_Region{Region: "21"}, StartTime: end, EndTime: start}, []string{"end_time"}},
			{&millwav1.GetConsistencyReportRequest{Scope: &millwav1.GetConsistencyReportRequest_Region{Region: "21"}}, []string{"start_time", "end_time"}},
			{&millwav1.GetConsistencyReportRequest{Scope: &millwav1.GetConsistencyReportRequest_Classifier{Classifier: "classifiers/x"}, StartTime: start, EndTime: end,
				KappaThreshold: proto.Float64(1.5)}, []string{"classifier", "kappa_threshold"}},
		} {
			_, err := audit.GetConsistencyReport(t.Context(), tt.req)
			if got := fieldViolations(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("GetConsistencyReport(%v): fields %v, want %v", tt.req, got, tt.want)
			}
		}
		_, err = audit.ProposeSamplingPlan(t.Context(), &millwav1.ProposeSamplingPlanRequest{Region: "21", StartTime: start,
			EndTime: timestamppb.New(s.start.Add(400 * 24 * time.Hour)), AsOfTime: timestamppb.New(time.Now().Add(time.Hour))})
		if got := fieldViolations(t, err); !slices.Equal(got, []string{"end_time", "as_of_time"}) {
			t.Errorf("plan over 400 days as of the future: fields %v", got)
		}
	})
}
