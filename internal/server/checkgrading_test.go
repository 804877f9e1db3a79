package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// checkSample is a measurement of a lot's sample with a mean of mfd µm.
func checkSample(mfd float64) *millwav1.FiberSample {
	return &millwav1.FiberSample{MeanFiberDiameterUm: ptr(mfd), SdUm: ptr(5.0), FibersMeasured: ptr(int64(4000)), StapleLengthMm: ptr(85.0)}
}

func TestRecordCheckGrading(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		f := ts.lotFixture(t, "210101")
		created, err := millwav1.NewRegistryServiceClient(ts.dial(t, f.secret)).CreateLot(t.Context(),
			&millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: f.lot("BABY")})
		if err != nil {
			t.Fatalf("CreateLot: %v", err)
		}
		lot := created.GetLot()
		puno, punoSecret := ts.createAgency(t, "21")
		cusco, cuscoSecret := ts.createAgency(t, "08")
		asPuno := millwav1.NewAuditServiceClient(ts.dial(t, punoSecret))
		asCusco := millwav1.NewAuditServiceClient(ts.dial(t, cuscoSecret))

		// 27.4 µm on a lot declared BABY: MEDIUM_FLEECE, distant, lenient.
		req := &millwav1.RecordCheckGradingRequest{Parent: puno.GetName(), RequestId: "check-1",
			CheckGrading: &millwav1.CheckGrading{Lot: lot.GetName(), Sample: checkSample(27.4), Note: "muestra del fardo 3",
				SampleTime: timestamppb.New(time.Date(2026, 11, 20, 14, 30, 0, 0, time.UTC))}}
		resp, err := asPuno.RecordCheckGrading(t.Context(), req)
		if err != nil {
			t.Fatalf("RecordCheckGrading: %v", err)
		}
		c := resp.GetCheckGrading()
		if c.GetNote() != "muestra del fardo 3" || !c.GetSampleTime().AsTime().Equal(time.Date(2026, 11, 20, 14, 30, 0, 0, time.UTC)) {
			t.Errorf("note and sample time not kept: %q %v", c.GetNote(), c.GetSampleTime())
		}
		if !strings.HasPrefix(c.GetName(), puno.GetName()+"/checkGradings/") || c.GetLot() != lot.GetName() ||
			c.GetCheckGrade().GetQualityGroup() != "MEDIUM_FLEECE" || c.GetDeclaredQualityGroup() != "BABY" ||
			c.GetMarketQualityGroup() != lot.GetMarketQualityGroup() || c.GetAgreement() != millwav1.Agreement_AGREEMENT_DISTANT ||
			c.GetGroupOffset() <= 0 || c.GetClassifier() != f.classifier || c.GetRegion() != "210101" ||
			c.GetCreateTime() == nil || c.GetEtag() == "" || c.GetSample().GetMeanFiberDiameterUm() != 27.4 {
			t.Fatalf("check grading: %v", c)
		}
		if n := countRows(t, ts, `SELECT COUNT(*) FROM check_gradings WHERE id = ? AND declared_quality_group = 'BABY'
			AND market_quality_group = ? AND check_quality_group = 'MEDIUM_FLEECE' AND mean_fibre_diameter_um = 27.4`,
			idOf(c.GetName()), lot.GetMarketQualityGroup()); n != 1 {
			t.Fatalf("%d stored check gradings with the lot's groups beside the check's, want 1", n)
		}
		// A retry returns the first answer and writes nothing.
		again, err := asPuno.RecordCheckGrading(t.Context(), req)
		if err != nil || !proto.Equal(again.GetCheckGrading(), c) {
			t.Fatalf("retry with the same request_id: %v %v", again, err)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM check_gradings"); n != 1 {
			t.Fatalf("%d check gradings after a check and its retry, want 1", n)
		}
		if n := auditEventsAbout(t, ts, c.GetName()); n != 1 {
			t.Fatalf("%d audit events for the check, want 1", n)
		}
		other := proto.Clone(req).(*millwav1.RecordCheckGradingRequest)
		other.CheckGrading.Sample = checkSample(22.0)
		_, err = asPuno.RecordCheckGrading(t.Context(), other)
		if st := wantCode(t, "request_id reused for another check", err, codes.InvalidArgument); !strings.Contains(st.Message(), "request_id") {
			t.Errorf("request_id reused: %q does not name request_id", st.Message())
		}

		// 22.0 µm agrees with BABY.
		exact, err := asPuno.RecordCheckGrading(t.Context(), &millwav1.RecordCheckGradingRequest{Parent: puno.GetName(),
			CheckGrading: &millwav1.CheckGrading{Lot: lot.GetName(), Sample: checkSample(22.0)}})
		if err != nil {
			t.Fatalf("RecordCheckGrading 22.0 µm: %v", err)
		}
		if e := exact.GetCheckGrading(); e.GetCheckGrade().GetQualityGroup() != "BABY" || e.GetAgreement() != millwav1.Agreement_AGREEMENT_EXACT || e.GetGroupOffset() != 0 {
			t.Fatalf("22.0 µm check: %v", e)
		}
		if n := auditEventsAbout(t, ts, exact.GetCheckGrading().GetName()); n != 1 {
			t.Fatalf("%d audit events for the second check, want 1", n)
		}

		// Cusco's agency does not find Puno's lot, nor Puno's agency; nothing is written.
		checks := countRows(t, ts, "SELECT COUNT(*) FROM check_gradings")
		events := countRows(t, ts, "SELECT COUNT(*) FROM audit_events")
		_, err = asCusco.RecordCheckGrading(t.Context(), &millwav1.RecordCheckGradingRequest{Parent: cusco.GetName(),
			CheckGrading: &millwav1.CheckGrading{Lot: lot.GetName(), Sample: checkSample(22.0)}})
		wantCode(t, "Cusco checks a Puno lot", err, codes.NotFound)
		_, err = asCusco.RecordCheckGrading(t.Context(), &millwav1.RecordCheckGradingRequest{Parent: cusco.GetName(),
			CheckGrading: &millwav1.CheckGrading{Lot: f.assoc.GetName() + "/lots/" + newID(), Sample: checkSample(22.0)}})
		wantCode(t, "Cusco checks a missing lot", err, codes.NotFound)
		_, err = asCusco.RecordCheckGrading(t.Context(), &millwav1.RecordCheckGradingRequest{Parent: puno.GetName(),
			CheckGrading: &millwav1.CheckGrading{Lot: lot.GetName(), Sample: checkSample(22.0)}})
		wantCode(t, "Cusco records under Puno's agency", err, codes.NotFound)
		_, err = millwav1.NewAuditServiceClient(ts.conn).RecordCheckGrading(t.Context(), &millwav1.RecordCheckGradingRequest{
			Parent: "agencies/" + newID(), CheckGrading: &millwav1.CheckGrading{Lot: lot.GetName(), Sample: checkSample(22.0)}})
		wantCode(t, "admin under a missing agency", err, codes.NotFound)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM check_gradings"); n != checks {
			t.Fatalf("%d check gradings after refused checks, want %d", n, checks)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM audit_events"); n != events {
			t.Fatalf("%d audit events after refused checks, want %d", n, events)
		}

		// A bad sample names its field under check_grading.sample.
		for _, tc := range []struct {
			name   string
			sample *millwav1.FiberSample
			field  string
		}{
			{"negative diameter", &millwav1.FiberSample{MeanFiberDiameterUm: ptr(-1.0)}, "check_grading.sample."},
			{"another breed", &millwav1.FiberSample{Breed: "SURI", MeanFiberDiameterUm: ptr(22.0)}, "check_grading.sample.breed"},
			{"no sample", nil, "check_grading.sample"},
		} {
			_, err := asPuno.RecordCheckGrading(t.Context(), &millwav1.RecordCheckGradingRequest{Parent: puno.GetName(),
				CheckGrading: &millwav1.CheckGrading{Lot: lot.GetName(), Sample: tc.sample}})
			st := wantCode(t, tc.name, err, codes.InvalidArgument)
			fields := badRequestFields(st)
			if len(fields) == 0 || !strings.HasPrefix(fields[0], tc.field) {
				t.Errorf("%s: fields %v, want one under %s", tc.name, fields, tc.field)
			}
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM check_gradings"); n != checks {
			t.Fatalf("%d check gradings after bad samples, want %d", n, checks)
		}

		// Over REST, the bare CheckGrading; the admin may record for any agency.
		body := jsonBody(t, &millwav1.CheckGrading{Lot: lot.GetName(), Sample: checkSample(27.4)})
		var viaREST millwav1.CheckGrading
		restOK(t, "POST checkGradings", ts.restAs(t, punoSecret, http.MethodPost, "/v1/"+puno.GetName()+"/checkGradings?requestId=check-rest", body), &viaREST)
		if viaREST.GetAgreement() != millwav1.Agreement_AGREEMENT_DISTANT || viaREST.GetCheckGrade().GetQualityGroup() != "MEDIUM_FLEECE" ||
			auditEventsAbout(t, ts, viaREST.GetName()) != 1 {
			t.Fatalf("REST check grading: %v", &viaREST)
		}
		byAdmin, err := millwav1.NewAuditServiceClient(ts.conn).RecordCheckGrading(t.Context(), &millwav1.RecordCheckGradingRequest{
			Parent: puno.GetName(), CheckGrading: &millwav1.CheckGrading{Lot: lot.GetName(), Sample: checkSample(22.0)}})
		if err != nil || !strings.HasPrefix(byAdmin.GetCheckGrading().GetName(), puno.GetName()+"/") {
			t.Fatalf("admin records for Puno's agency: %v %v", byAdmin, err)
		}
	})
}
