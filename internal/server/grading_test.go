package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// The request of the grading contract, as a laboratory sends it.
const contractSample = `{"sample": {"breed": "HUACAYA", "meanFiberDiameterUm": 22.4, "sdUm": 4.1, "fibersMeasured": 2000, "stapleLengthMm": 82}}`

// keys returns the sorted keys of a JSON object.
func keys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object: %s", raw)
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// histogramJSON is a diameter histogram of 1,130 fibres in 1 µm classes
// from 9.5 µm, centred near centre.
func histogramJSON(centre int) string {
	counts := make([]string, 40)
	total := 0
	for i := range counts {
		d := i - (centre - 10)
		n := 0
		if d >= -8 && d <= 8 {
			n = 130 - 15*max(d, -d)
		}
		counts[i] = fmt.Sprint(n)
		total += n
	}
	return `{"sample": {"breed": "SURI", "stapleLengthMm": 90, "histogram": {"startUm": 9.5, "widthUm": 1.0, "counts": [` + strings.Join(counts, ",") + `]}}}`
}

func TestGradeSampleContract(t *testing.T) {
	t.Parallel()
	ts := startServer(t, storetest.SQLiteURL(t))

	// Public: no key needed.
	res := ts.restAs(t, "", http.MethodPost, "/v1/standards/pe-ntp-231-301-2014:grade", contractSample)
	if res.code != http.StatusOK {
		t.Fatalf("grade: %d %s", res.code, res.body)
	}
	if diff := cmp.Diff([]string{"alternatives", "borderline", "explanation", "metrics", "qualityGroup", "qualityGroupName", "standard"}, keys(t, res.body)); diff != "" {
		t.Fatalf("answer keys (-want +got):\n%s\n%s", diff, res.body)
	}
	var got struct {
		QualityGroup     string            `json:"qualityGroup"`
		QualityGroupName map[string]string `json:"qualityGroupName"`
		Metrics          json.RawMessage   `json:"metrics"`
		Borderline       bool              `json:"borderline"`
		Alternatives     []string          `json:"alternatives"`
		Explanation      map[string]string `json:"explanation"`
		Standard         string            `json:"standard"`
	}
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatal(err)
	}
	if got.QualityGroup != "BABY" || got.Borderline || got.Alternatives == nil || len(got.Alternatives) != 0 ||
		got.Standard != "standards/pe-ntp-231-301-2014" || got.QualityGroupName["es"] == "" || got.QualityGroupName["en"] == "" ||
		got.Explanation["es"] == "" || got.Explanation["en"] == "" {
		t.Fatalf("contract answer: %s", res.body)
	}
	// Summary values give every metric but the comfort factor, which needs a histogram.
	if diff := cmp.Diff([]string{"cvPercent", "fibersMeasured", "meanFiberDiameterUm", "mfdCi95HighUm", "mfdCi95LowUm", "sdUm", "spinningFinenessUm"}, keys(t, got.Metrics)); diff != "" {
		t.Errorf("metrics keys (-want +got):\n%s", diff)
	}
	var m struct {
		MFD  float64 `json:"meanFiberDiameterUm"`
		CV   float64 `json:"cvPercent"`
		Low  float64 `json:"mfdCi95LowUm"`
		High float64 `json:"mfdCi95HighUm"`
	}
	if err := json.Unmarshal(got.Metrics, &m); err != nil {
		t.Fatal(err)
	}
	// CV = 4.1 / 22.4 = 18.30 %; interval 22.4 ± 1.96 × 4.1 / √2000 = ± 0.1797.
	if m.MFD != 22.4 || fmt.Sprintf("%.2f %.2f %.2f", m.CV, m.Low, m.High) != "18.30 22.22 22.58" {
		t.Errorf("metrics %+v, want CV 18.30 and interval 22.22–22.58", m)
	}

	// The same requests over gRPC give identical answers.
	for _, body := range []string{contractSample, histogramJSON(21), histogramJSON(27)} {
		var req millwav1.GradeSampleRequest
		if err := protojson.Unmarshal([]byte(body), &req); err != nil {
			t.Fatal(err)
		}
		req.Standard = "standards/pe-ntp-231-301-2014"
		resp, err := millwav1.NewGradingServiceClient(ts.dial(t, "")).GradeSample(t.Context(), &req)
		if err != nil {
			t.Fatalf("gRPC grade: %v", err)
		}
		grpcJSON, _ := protojson.MarshalOptions{EmitDefaultValues: true}.Marshal(resp)
		rest := ts.restAs(t, "", http.MethodPost, "/v1/standards/pe-ntp-231-301-2014:grade", body)
		var a, b any
		_ = json.Unmarshal(grpcJSON, &a)
		_ = json.Unmarshal(rest.body, &b)
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("gRPC and REST answers differ (-grpc +rest):\n%s", diff)
		}
	}

	// A histogram gives the comfort factor.
	res = ts.restAs(t, "", http.MethodPost, "/v1/standards/pe-ntp-231-301-2014:grade", histogramJSON(21))
	if res.code != http.StatusOK || !strings.Contains(string(res.body), `"comfortFactorPercent"`) {
		t.Fatalf("histogram grade: %d %s", res.code, res.body)
	}
}

func TestGradeSampleRefusesBadInput(t *testing.T) {
	t.Parallel()
	ts := startServer(t, storetest.SQLiteURL(t))
	tests := []struct {
		name, path, body string
		wantHTTP         int
		wantField        string
	}{
		{"NaN", "pe-ntp-231-301-2014:grade", `{"sample": {"breed": "HUACAYA", "meanFiberDiameterUm": "NaN"}}`, 400, "sample.mean_fiber_diameter_um"},
		{"infinite", "pe-ntp-231-301-2014:grade", `{"sample": {"breed": "HUACAYA", "meanFiberDiameterUm": "Infinity"}}`, 400, "sample.mean_fiber_diameter_um"},
		{"negative SD", "pe-ntp-231-301-2014:grade", `{"sample": {"breed": "HUACAYA", "meanFiberDiameterUm": 20, "sdUm": -1}}`, 400, "sample.sd_um"},
		{"too fine", "pe-ntp-231-301-2014:grade", `{"sample": {"breed": "HUACAYA", "meanFiberDiameterUm": 4.9}}`, 400, "sample.mean_fiber_diameter_um"},
		{"too many fibres", "pe-ntp-231-301-2014:grade", `{"sample": {"breed": "HUACAYA", "meanFiberDiameterUm": 20, "sdUm": 4, "fibersMeasured": 10000001}}`, 400, "sample.fibers_measured"},
		{"histogram and summary", "pe-ntp-231-301-2014:grade", `{"sample": {"breed": "HUACAYA", "meanFiberDiameterUm": 20, "histogram": {"startUm": 10, "widthUm": 1, "counts": [1, 2]}}}`, 400, "sample"},
		{"empty histogram", "pe-ntp-231-301-2014:grade", `{"sample": {"breed": "HUACAYA", "histogram": {"startUm": 10, "widthUm": 1, "counts": [0, 0]}}}`, 400, "sample.histogram.counts"},
		{"unknown breed", "pe-ntp-231-301-2014:grade", `{"sample": {"breed": "LLAMA", "meanFiberDiameterUm": 20}}`, 400, "sample.breed"},
		{"no sample", "pe-ntp-231-301-2014:grade", `{}`, 400, "sample"},
		{"bad standard name", "NOPE!:grade", contractSample, 400, "standard"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := ts.restAs(t, "", http.MethodPost, "/v1/standards/"+tt.path, tt.body)
			if res.code != tt.wantHTTP {
				t.Fatalf("HTTP %d, want %d: %s", res.code, tt.wantHTTP, res.body)
			}
			var st struct {
				Code    codes.Code `json:"code"`
				Details []struct {
					Type       string `json:"@type"`
					Violations []struct {
						Field string `json:"field"`
					} `json:"fieldViolations"`
				} `json:"details"`
			}
			if err := json.Unmarshal(res.body, &st); err != nil || st.Code != codes.InvalidArgument {
				t.Fatalf("not InvalidArgument: %s", res.body)
			}
			var fields []string
			for _, d := range st.Details {
				for _, v := range d.Violations {
					fields = append(fields, v.Field)
				}
			}
			found := false
			for _, f := range fields {
				found = found || strings.HasPrefix(f, tt.wantField)
			}
			if !found {
				t.Fatalf("violations %v do not name %s: %s", fields, tt.wantField, res.body)
			}
		})
	}
	if res := ts.restAs(t, "", http.MethodPost, "/v1/standards/no-such-standard:grade", contractSample); res.code != http.StatusNotFound {
		t.Errorf("unknown standard: %d %s", res.code, res.body)
	}
	res := ts.restAs(t, "", http.MethodPost, "/v1/standards/pe-ntp-231-300-2014:grade", contractSample)
	if code, msg := restStatus(t, res); code != codes.FailedPrecondition || !strings.Contains(msg, "lassify") {
		t.Errorf("grading against a fleece-category standard: %v %q, want FailedPrecondition pointing to ClassifyFleece", code, msg)
	}
}

func TestStandardsAndFleeceClassification(t *testing.T) {
	t.Parallel()
	ts := startServer(t, storetest.SQLiteURL(t))
	res := ts.restAs(t, "", http.MethodGet, "/v1/standards", "")
	var list millwav1.ListStandardsResponse
	if err := protojson.Unmarshal(res.body, &list); err != nil || res.code != http.StatusOK {
		t.Fatalf("list: %d %s", res.code, res.body)
	}
	ids := map[string]bool{}
	for _, s := range list.GetStandards() {
		ids[s.GetStandardId()] = true
		if s.GetSource() == "" || s.GetConfidence() == millwav1.Confidence_CONFIDENCE_UNSPECIFIED {
			t.Errorf("%s lacks its source or confidence", s.GetName())
		}
	}
	for _, want := range []string{"pe-ntp-231-301-2014", "pe-ntp-231-301-2004", "pe-ntp-231-300-2014", "na-alpaca-grades", "au-aafl-2005", "pe-processors-commercial"} {
		if !ids[want] {
			t.Errorf("standards list lacks %s", want)
		}
	}

	// Paging and filtering.
	first, err := millwav1.NewGradingServiceClient(ts.dial(t, "")).ListStandards(t.Context(), &millwav1.ListStandardsRequest{PageSize: 2})
	if err != nil || len(first.GetStandards()) != 2 || first.GetNextPageToken() == "" {
		t.Fatalf("first page: %v %v", first, err)
	}
	second, err := millwav1.NewGradingServiceClient(ts.dial(t, "")).ListStandards(t.Context(), &millwav1.ListStandardsRequest{PageSize: 2, PageToken: first.GetNextPageToken()})
	if err != nil || len(second.GetStandards()) == 0 || second.GetStandards()[0].GetStandardId() <= first.GetStandards()[1].GetStandardId() {
		t.Fatalf("second page: %v %v", second, err)
	}
	peru, err := millwav1.NewGradingServiceClient(ts.dial(t, "")).ListStandards(t.Context(), &millwav1.ListStandardsRequest{Filter: `country_code = "PE" AND edition_year >= 2014`})
	// NTP 231.300 carries no edition year (no source dates a 2014
	// edition), nor do the processors' commercial grades: only NTP
	// 231.301:2014 is dated 2014 or later.
	if err != nil || len(peru.GetStandards()) != 1 || peru.GetStandards()[0].GetStandardId() != "pe-ntp-231-301-2014" {
		t.Fatalf("Peruvian standards of 2014 or later: %v %v", peru, err)
	}

	res = ts.restAs(t, "", http.MethodGet, "/v1/standards/pe-ntp-231-301-2014", "")
	var std millwav1.Standard
	if err := protojson.Unmarshal(res.body, &std); err != nil || res.code != http.StatusOK {
		t.Fatalf("get: %d %s", res.code, res.body)
	}
	if len(std.GetQualityGroups()) != 6 || std.GetQualityGroups()[1].GetCode() != "BABY" ||
		std.GetQualityGroups()[1].GetDiameterBand().GetMaxUm() != 23.0 || std.GetShortFiberGroup().GetCode() != "SHORT" || len(std.GetColours()) < 12 {
		t.Fatalf("pe-ntp-231-301-2014 as served: %s", res.body)
	}
	if res := ts.restAs(t, "", http.MethodGet, "/v1/standards/xx-unknown", ""); res.code != http.StatusNotFound {
		t.Errorf("unknown standard: %d", res.code)
	}

	// The contract's fleece: 2,100 of 2,500 g fine (Baby and Fleece) is 84 %.
	res = ts.restAs(t, "", http.MethodPost, "/v1/standards/pe-ntp-231-300-2014:classifyFleece", `{"groupGrams": {"BABY": 1200, "FLEECE": 900, "HUARIZO": 400}}`)
	var fleece millwav1.ClassifyFleeceResponse
	if err := protojson.Unmarshal(res.body, &fleece); err != nil || res.code != http.StatusOK {
		t.Fatalf("classify: %d %s", res.code, res.body)
	}
	if fleece.GetFineSharePercent() != 84 || fleece.GetCategory() == "" || fleece.GetCategoryName().GetEs() == "" || fleece.GetExplanation().GetEn() == "" {
		t.Fatalf("classification: %s", res.body)
	}
	res = ts.restAs(t, "", http.MethodPost, "/v1/standards/pe-ntp-231-300-2014:classifyFleece", `{"groupGrams": {"LLAMA": 10}}`)
	if code, _ := restStatus(t, res); code != codes.InvalidArgument {
		t.Errorf("unknown group: %s", res.body)
	}
}
