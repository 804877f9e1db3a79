package report

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

func TestReportQueryAndLanguage(t *testing.T) {
	t.Parallel()
	start, end := reportTS("2025-11-01T00:00:00Z"), reportTS("2026-05-01T05:00:00Z")
	for _, tt := range []struct {
		query, acceptLanguage string
		want                  *millwav1.GetConsistencyReportRequest
		lang                  string
		fields                []string
	}{
		{query: "region=21&startTime=2025-11-01T00:00:00Z&endTime=2026-05-01T00:00:00-05:00&standard=standards/x&kappaThreshold=0.4",
			want: &millwav1.GetConsistencyReportRequest{Scope: &millwav1.GetConsistencyReportRequest_Region{Region: "21"},
				StartTime: start, EndTime: end, Standard: "standards/x", KappaThreshold: proto.Float64(0.4)}, lang: "es"},
		{query: "association=associations/a&start_time=2025-11-01T00:00:00Z&kappa_threshold=-1&lang=en",
			want: &millwav1.GetConsistencyReportRequest{Scope: &millwav1.GetConsistencyReportRequest_Association{Association: "associations/a"},
				StartTime: start, KappaThreshold: proto.Float64(-1)}, lang: "en"},
		{query: "classifier=associations/a/classifiers/c&lang=EN-gb",
			want: &millwav1.GetConsistencyReportRequest{Scope: &millwav1.GetConsistencyReportRequest_Classifier{Classifier: "associations/a/classifiers/c"}}, lang: "en"},
		// A date is the start of that day in Lima, 05:00 UTC.
		{query: "region=21&startTime=2025-11-01&endTime=2026-05-01",
			want: &millwav1.GetConsistencyReportRequest{Scope: &millwav1.GetConsistencyReportRequest_Region{Region: "21"},
				StartTime: reportTS("2025-11-01T05:00:00Z"), EndTime: end}, lang: "es"},
		// Missing fields are for the server to name, unknown ones ignored.
		{query: "colour=WHITE", want: &millwav1.GetConsistencyReportRequest{}, lang: "es"},
		{query: "", acceptLanguage: "en-US,en;q=0.9,es;q=0.8", want: &millwav1.GetConsistencyReportRequest{}, lang: "en"},
		{query: "", acceptLanguage: "es-PE,es;q=0.9,en;q=0.8", want: &millwav1.GetConsistencyReportRequest{}, lang: "es"},
		{query: "", acceptLanguage: "fr-FR, en;q=0.5", want: &millwav1.GetConsistencyReportRequest{}, lang: "en"},
		{query: "", acceptLanguage: "en;q=0.3, es ;q=0.7", want: &millwav1.GetConsistencyReportRequest{}, lang: "es"},
		{query: "", acceptLanguage: "en;q=0, fr", want: &millwav1.GetConsistencyReportRequest{}, lang: "es"},
		{query: "", acceptLanguage: "qu, *", want: &millwav1.GetConsistencyReportRequest{}, lang: "es"},
		{query: "lang=es", acceptLanguage: "en", want: &millwav1.GetConsistencyReportRequest{}, lang: "es"},
		{query: "startTime=yesterday&kappaThreshold=high&lang=fr", fields: []string{"start_time", "kappa_threshold", "lang"}},
		{query: "region=21&association=associations/a", fields: []string{"scope"}},
		{query: "region=21&region=22&endTime=2026-13-01&lang=en&lang=es", fields: []string{"region", "end_time", "lang"}},
		{query: "startTime=2025-11-01T00:00:00Z&start_time=2025-11-01T00:00:00Z", fields: []string{"start_time"}},
	} {
		q, err := url.ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		req, lang, vs := ParseQuery(q, tt.acceptLanguage)
		var fields []string
		for _, v := range vs {
			fields = append(fields, v.GetField())
			if v.GetDescription() == "" {
				t.Errorf("%q: violation of %s without a description", tt.query, v.GetField())
			}
		}
		if !slices.Equal(fields, tt.fields) {
			t.Errorf("%q: violations %q, want %q", tt.query, fields, tt.fields)
		}
		if tt.fields != nil {
			continue
		}
		if !proto.Equal(req, tt.want) {
			t.Errorf("%q: request %v, want %v", tt.query, req, tt.want)
		}
		if lang.code != tt.lang {
			t.Errorf("%q, Accept-Language %q: language %s, want %s", tt.query, tt.acceptLanguage, lang.code, tt.lang)
		}
	}
}

func TestReportFileName(t *testing.T) {
	t.Parallel()
	r := testReport()
	if got := FileName(r, spanish, "csv"); got != "informe-consistencia_region-21_2025-11-01_2026-04-01.csv" {
		t.Errorf("file name %q", got)
	}
	r.Scope = &millwav1.ConsistencyReport_Classifier{Classifier: "associations/a b/classifiers/ñ\"; x"}
	if got := FileName(r, english, "html"); got != "consistency-report_associations-a-b-classifiers-----x_2025-11-01_2026-04-01.html" {
		t.Errorf("file name %q", got)
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"2026-01-01", "2026-01-01T05:00:00Z"},
		{"2026-02-28", "2026-02-28T05:00:00Z"},
		{"2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"},
		{"2026-01-01T00:00:00.5-05:00", "2026-01-01T05:00:00.5Z"},
	} {
		got, err := ParseTime(tt.in)
		if err != nil || got.Format(time.RFC3339Nano) != tt.want || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %s UTC", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "2026-1-1", "2026-02-30", "01/01/2026", "2026-01-01T00:00:00", "2026-01-01 00:00:00Z"} {
		if _, err := ParseTime(in); err == nil || !strings.Contains(err.Error(), "RFC 3339") || !strings.Contains(err.Error(), "2026-01-01") {
			t.Errorf("ParseTime(%q): error %v, want one naming both formats", in, err)
		}
	}
	// The query's violation names the formats too.
	_, _, vs := ParseQuery(url.Values{"endTime": {"mañana"}}, "")
	if len(vs) != 1 || vs[0].GetField() != "end_time" || !strings.Contains(vs[0].GetDescription(), TimeFormats) {
		t.Errorf("violations %v, want end_time naming %q", vs, TimeFormats)
	}
}
