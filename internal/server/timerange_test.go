package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
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

		for _, path := range []string{"/v1/audit/consistencyReport", "/v1/audit/consistencyReport.html"} {
			bad := url.Values{"region": {"21"}, "startTime": {"01/12/2026"}, "endTime": {next.Format(time.DateOnly)}}
			st := restError(t, "a report from 01/12/2026 on "+path, s.ts.restAs(t, s.agencyKey, http.MethodGet, path+"?"+bad.Encode(), ""),
				http.StatusBadRequest, codes.InvalidArgument)
			var named bool
			for _, d := range st.Details() {
				if br, ok := d.(*errdetails.BadRequest); ok {
					for _, v := range br.GetFieldViolations() {
						named = named || v.GetField() == "start_time" && strings.Contains(v.GetDescription(), "RFC 3339") &&
							strings.Contains(v.GetDescription(), "2026-01-01") && strings.Contains(v.GetDescription(), "01/12/2026")
					}
				}
			}
			if !named {
				t.Errorf("%s: %v; want a start_time violation quoting the value and naming both formats", path, st.Details())
			}
		}
	})
}
