package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestTimeRangeDates checks that a time range's bounds may be dates, read
// as the start of that day in Lima (05:00 UTC), on the JSON route and the
// report's CSV, and that a value in neither format is refused with a field
// violation naming both formats.
func TestTimeRangeDates(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		s := lenientSeason(t, dbURL)
		lima := time.FixedZone("America/Lima", -5*60*60)
		// The season's checks were recorded just now: the Lima day around
		// now holds them all.
		day := time.Now().In(lima)
		first := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, lima)
		if s.start.Before(first) {
			first = first.AddDate(0, 0, -1) // the season began before Lima's midnight
		}
		next := first.AddDate(0, 0, 2)
		q := url.Values{"region": {"21"}, "startTime": {first.Format(time.DateOnly)}, "end_time": {next.Format(time.DateOnly)}}

		res := s.ts.restAs(t, s.agencyKey, http.MethodGet, "/v1/audit/consistencyReport?"+q.Encode(), "")
		var r millwav1.ConsistencyReport
		if res.code != http.StatusOK {
			t.Fatalf("report over dates %v: HTTP %d %s", q, res.code, res.body)
		}
		if err := protojson.Unmarshal(res.body, &r); err != nil {
			t.Fatal(err)
		}
		if got, want := r.GetStartTime().AsTime(), first.UTC(); !got.Equal(want) || got.Hour() != 5 {
			t.Errorf("start_time %v, want %v (midnight in Lima, 05:00 UTC)", got, want)
		}
		if !r.GetEndTime().AsTime().Equal(next) || r.GetOverall().GetCheckCount() != 60 {
			t.Errorf("end_time %v, %d checks; want %v and the season's 60 checks", r.GetEndTime().AsTime(), r.GetOverall().GetCheckCount(), next.UTC())
		}

		resp, body := getReport(t, s.ts, s.agencyKey, "/v1/audit/consistencyReport.csv?"+q.Encode(), "")
		want := "informe-consistencia_region-21_" + first.UTC().Format(time.DateOnly)
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), want) {
			t.Errorf("the CSV over dates: HTTP %d, %q, want a file name starting %s\n%.300s", resp.StatusCode, resp.Header.Get("Content-Disposition"), want, body)
		}

		// A sampling plan's period, in a JSON body, takes dates too.
		var proposed millwav1.ProposeSamplingPlanResponse
		planBody := `{"region": "21", "startTime": "` + first.Format(time.DateOnly) + `", "endTime": "` + next.Format(time.DateOnly) + `", "seed": "42"}`
		restOK(t, "a sampling plan over dates", s.ts.restAs(t, s.agencyKey, http.MethodPost, "/v1/audit/samplingPlans:propose", planBody), &proposed)
		if plan := proposed.GetSamplingPlan(); !plan.GetStartTime().AsTime().Equal(first) || !plan.GetEndTime().AsTime().Equal(next) || plan.GetLotCount() != 60 || plan.GetSeed() != 42 {
			t.Errorf("the plan over dates: %v to %v, %d lots, seed %d; want %v to %v, the season's 60 lots, seed 42",
				plan.GetStartTime().AsTime(), plan.GetEndTime().AsTime(), plan.GetLotCount(), plan.GetSeed(), first.UTC(), next.UTC())
		}
		badBody := `{"region": "21", "startTime": "` + first.Format(time.DateOnly) + `", "end_time": "01/12/2026"}`
		st := restError(t, "a sampling plan to 01/12/2026", s.ts.restAs(t, s.agencyKey, http.MethodPost, "/v1/audit/samplingPlans:propose", badBody),
			http.StatusBadRequest, codes.InvalidArgument)
		if !namesTimeFormats(st, "end_time", "01/12/2026") {
			t.Errorf("a sampling plan to 01/12/2026: %v; want an end_time violation quoting the value and naming both formats", st.Details())
		}

		for _, path := range []string{"/v1/audit/consistencyReport", "/v1/audit/consistencyReport.html"} {
			bad := url.Values{"region": {"21"}, "startTime": {"01/12/2026"}, "endTime": {next.Format(time.DateOnly)}}
			st := restError(t, "a report from 01/12/2026 on "+path, s.ts.restAs(t, s.agencyKey, http.MethodGet, path+"?"+bad.Encode(), ""),
				http.StatusBadRequest, codes.InvalidArgument)
			if !namesTimeFormats(st, "start_time", "01/12/2026") {
				t.Errorf("%s: %v; want a start_time violation quoting the value and naming both formats", path, st.Details())
			}
		}
	})
}

// namesTimeFormats reports whether st holds a violation of field that
// quotes value and names both formats a time bound may take.
func namesTimeFormats(st *status.Status, field, value string) bool {
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if v.GetField() == field && strings.Contains(v.GetDescription(), "RFC 3339") &&
					strings.Contains(v.GetDescription(), "2026-01-01") && strings.Contains(v.GetDescription(), value) {
					return true
				}
			}
		}
	}
	return false
}
