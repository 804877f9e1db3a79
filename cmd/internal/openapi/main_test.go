package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCommittedDocumentIsFresh converts the committed Swagger 2.0 document
// and compares the result with the committed OpenAPI 3.1 one, so that go
// test, not only CI's regenerate-and-diff step, catches a document left
// stale by a change of the generator.
func TestCommittedDocumentIsFresh(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "gateway", "openapi")
	swagger, err := os.ReadFile(filepath.Join(dir, "millwa.swagger.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "millwa.openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := convert(swagger)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("gateway/openapi/millwa.openapi.json is stale: run 'go run ./cmd/internal/openapi' and commit it")
	}
}

// TestConversion checks the parts the generator adds: singular path
// parameters, int64 meanings, the hand-written routes and the examples,
// and that the .proto files' field_behavior annotations reach the
// document as required and readOnly.
func TestConversion(t *testing.T) {
	swagger, err := os.ReadFile(filepath.Join("..", "..", "..", "gateway", "openapi", "millwa.swagger.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := convert(swagger)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Required   []string `json:"required"`
				Properties map[string]struct {
					Type        string `json:"type"`
					Format      string `json:"format"`
					Description string `json:"description"`
					ReadOnly    bool   `json:"readOnly"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for p := range doc.Paths {
		if strings.Contains(p, "{agencie}") {
			t.Errorf("path %s keeps the parameter {agencie}", p)
		}
	}
	for _, r := range routes {
		if _, ok := doc.Paths[r.path]; !ok {
			t.Errorf("hand-written route %s is missing", r.path)
		}
	}
	tests := []struct{ schema, property, want string }{
		{"v1Lot", "netWeightGrams", "Grams."},
		{"v1Lot", "askPricePerKg", "Minor units of the currency"},
		{"v1PurchaseOrder", "quantityGrams", "Grams."},
	}
	for _, tc := range tests {
		p := doc.Components.Schemas[tc.schema].Properties[tc.property]
		if p.Type != "string" || p.Format != "int64" || !strings.Contains(p.Description, tc.want) {
			t.Errorf("%s.%s = %+v; want a string of format int64 whose description says %q", tc.schema, tc.property, p, tc.want)
		}
	}

	// REQUIRED fields are required, OUTPUT_ONLY ones readOnly, in every
	// service's resources, the webhooks' included.
	for schema, want := range map[string][]string{
		"v1Lot":           {"campaign", "breed", "colour", "declaredQualityGroup", "netWeightGrams", "askPricePerKg"},
		"v1PurchaseOrder": {"quantityGrams", "bidPricePerKg"},
		"v1Webhook":       {"displayName", "url"},
	} {
		got := doc.Components.Schemas[schema].Required
		for _, f := range want {
			if !slices.Contains(got, f) {
				t.Errorf("%s.required = %v; want %s among them (REQUIRED in the .proto)", schema, got, f)
			}
		}
	}
	for _, sp := range []struct{ schema, property string }{
		{"v1Lot", "name"}, {"v1Lot", "createTime"}, {"v1Trade", "grams"}, {"v1Trade", "pricePerKg"},
		{"v1Webhook", "name"}, {"v1Webhook", "lastEventId"}, {"v1WebhookDelivery", "eventId"}, {"v1WebhookDelivery", "lastError"},
	} {
		if !doc.Components.Schemas[sp.schema].Properties[sp.property].ReadOnly {
			t.Errorf("%s.%s is not readOnly (OUTPUT_ONLY in the .proto)", sp.schema, sp.property)
		}
	}
	// Every example reaches its operation: one renamed would drop its
	// example silently.
	shown := map[string]bool{}
	for _, item := range doc.Paths {
		for _, raw := range item {
			var op struct {
				OperationID string `json:"operationId"`
				Responses   map[string]struct {
					Content map[string]struct {
						Examples map[string]json.RawMessage `json:"examples"`
					} `json:"content"`
				} `json:"responses"`
			}
			if json.Unmarshal(raw, &op) == nil && len(op.Responses["200"].Content["application/json"].Examples) > 0 {
				shown[op.OperationID] = true
			}
		}
	}
	for id := range examples {
		if !shown[id] {
			t.Errorf("the example of %s is on no operation's answer", id)
		}
	}
}
