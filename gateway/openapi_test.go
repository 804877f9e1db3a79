package gateway

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestOpenAPINamesTheReportRoutes checks that the OpenAPI document leads a
// reader from the JSON report to its page and spreadsheet forms, and says
// that its period takes dates.
func TestOpenAPINamesTheReportRoutes(t *testing.T) {
	t.Parallel()
	var doc struct {
		Paths map[string]map[string]struct {
			Description string `json:"description"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	op, ok := doc.Paths[ConsistencyReportPath]["get"]
	if !ok {
		t.Fatalf("the OpenAPI document has no GET %s", ConsistencyReportPath)
	}
	for _, want := range []string{ConsistencyReportPath + ".html", ConsistencyReportPath + ".csv", "2026-01-01", "America/Lima"} {
		if !strings.Contains(op.Description, want) {
			t.Errorf("GET %s's description lacks %q:\n%s", ConsistencyReportPath, want, op.Description)
		}
	}
}

// TestOpenAPIVersionIsTheBuild checks that the served document carries the
// build's version in place of the committed placeholder, and leaves the
// rest of the document as written.
func TestOpenAPIVersionIsTheBuild(t *testing.T) {
	t.Parallel()
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct {
			Version string `json:"version"`
		} `json:"info"`
	}
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || doc.Info.Version != BuildVersion() {
		t.Errorf("openapi %q, info.version %q; want 3.1.0 and %q", doc.OpenAPI, doc.Info.Version, BuildVersion())
	}
	got := withVersion([]byte(`{"info": {"version": "0.0.0-dev"}, "x": 1}`), `v1.2.3"`)
	if want := `{"info": {"version": "v1.2.3\""}, "x": 1}`; string(got) != want {
		t.Errorf("withVersion = %s, want %s", got, want)
	}
}
