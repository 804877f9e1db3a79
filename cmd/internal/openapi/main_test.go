package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
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
// parameters, int64 meanings and the hand-written routes.
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
		Paths      map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Type        string `json:"type"`
					Format      string `json:"format"`
					Description string `json:"description"`
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
}
