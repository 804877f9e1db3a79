package gateway

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestOpenAPINamesTheReportRoutes checks that the OpenAPI document, which
// has paths only for the generated routes, leads a reader from the JSON
// report to its page and spreadsheet forms, and says that its period takes
// dates.
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
