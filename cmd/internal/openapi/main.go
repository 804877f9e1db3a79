// Command openapi writes gateway/openapi/millwa.openapi.json, the OpenAPI
// 3.1 document that the gateway serves at /openapi.json, from the Swagger
// 2.0 document that protoc-gen-openapiv2 writes (gateway/openapi/
// millwa.swagger.json, served at /openapi.v2.json). It converts the
// document with kin-openapi and adds what the .proto files cannot say: the
// title, servers, the bearer scheme with the public operations (from
// internal/auth's policy table) marked as needing none, the meaning of
// every int64 carried as a string, path parameters with singular names, the
// gateway's hand-written routes and examples. Run it after
// `go tool buf generate`:
//
//	go run ./cmd/internal/openapi
//
// info.version is written as "0.0.0-dev" so that the committed file does not
// change with every commit; the gateway serves the build's version instead
// (see gateway.OpenAPI).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/millwa/millwa/internal/auth"
)

func main() {
	in := flag.String("in", "gateway/openapi/millwa.swagger.json", "Swagger 2.0 document written by protoc-gen-openapiv2")
	out := flag.String("out", "gateway/openapi/millwa.openapi.json", "OpenAPI 3.1 document to write")
	flag.Parse()
	b, err := os.ReadFile(*in)
	if err != nil {
		log.Fatal(err)
	}
	doc, err := convert(b)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, doc, 0o644); err != nil {
		log.Fatal(err)
	}
}

// convert turns the Swagger 2.0 document into Millwa's OpenAPI 3.1 one.
func convert(swagger []byte) ([]byte, error) {
	var v2 openapi2.T
	if err := json.Unmarshal(swagger, &v2); err != nil {
		return nil, fmt.Errorf("reading the Swagger 2.0 document: %w", err)
	}
	doc, err := openapi2conv.ToV3(&v2)
	if err != nil {
		return nil, fmt.Errorf("converting to OpenAPI 3: %w", err)
	}
	doc.OpenAPI = "3.1.0"
	doc.Info = &openapi3.Info{
		Title:       "Millwa API",
		Version:     "0.0.0-dev",
		Description: description,
		License:     &openapi3.License{Name: "See the LICENSE file of the Millwa repository", Identifier: "LicenseRef-Millwa"},
	}
	doc.Servers = openapi3.Servers{
		{URL: "/", Description: "The server that serves this document (by default http://localhost:8080 for `millwa serve`)"},
	}
	renameParameters(doc)
	secure(doc)
	describeInt64(doc)
	addRoutes(doc)
	addExamples(doc)
	answerClientErrors(doc)
	tagOperations(doc)
	pruneSchemas(doc)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

const description = "The REST side of Millwa, the Andean alpaca-fibre market: standards and " +
	"grading, associations with their members, classifiers, lots and receipts, " +
	"processors with their purchase orders, trades, and audits by agencies. " +
	"JSON follows protojson: lowerCamelCase fields, enums by name, int64 values as " +
	"decimal strings, times as RFC 3339 in UTC. Errors are google.rpc.Status JSON " +
	"with the HTTP code of their gRPC code. Calls take an API key as " +
	"`Authorization: Bearer <key>`, except the public ones, which say so " +
	"(`security: []`). Creates and state changes take `?requestId=` so that a retry " +
	"returns the first answer (AIP-155)."

// parameterNames are the path parameters protoc-gen-openapiv2 names by
// stripping the plural's "s", with the names the routes use.
var parameterNames = map[string]string{"agencie": "agency"}

// renameParameters gives every path parameter its singular name.
func renameParameters(doc *openapi3.T) {
	paths := doc.Paths.Map()
	for path, item := range paths {
		newPath := path
		for from, to := range parameterNames {
			newPath = strings.ReplaceAll(newPath, "{"+from+"}", "{"+to+"}")
		}
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				if to, ok := parameterNames[p.Value.Name]; ok && p.Value.In == "path" {
					p.Value.Name = to
				}
			}
		}
		if newPath != path {
			doc.Paths.Delete(path)
			doc.Paths.Set(newPath, item)
		}
	}
}

// publicOperations are the operation ids of the RPCs that need no key.
func publicOperations() map[string]bool {
	ids := map[string]bool{}
	for method, access := range auth.Policy {
		rest, ok := strings.CutPrefix(method, "/millwa.v1.")
		if ok && access.Public {
			ids[strings.Replace(rest, "/", "_", 1)] = true
		}
	}
	return ids
}

// secure adds the bearer scheme, applies it to every operation, and marks
// the public ones as needing none.
func secure(doc *openapi3.T) {
	doc.Components.SecuritySchemes = openapi3.SecuritySchemes{
		"bearer": &openapi3.SecuritySchemeRef{Value: &openapi3.SecurityScheme{
			Type:        "http",
			Scheme:      "bearer",
			Description: "An API key, sent as `Authorization: Bearer <key>`. Keys are created with CreateApiKey (POST /v1/apiKeys) and shown once.",
		}},
	}
	doc.Security = openapi3.SecurityRequirements{{"bearer": []string{}}}
	public := publicOperations()
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if public[op.OperationID] {
				op.Security = &openapi3.SecurityRequirements{}
			}
		}
	}
}

// describeInt64 says, on every int64 that protojson carries as a string,
// that it is one and what it counts.
func describeInt64(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(name string, s *openapi3.SchemaRef)
	walk = func(name string, s *openapi3.SchemaRef) {
		if s == nil || s.Value == nil || s.Ref != "" || seen[s.Value] {
			return
		}
		v := s.Value
		seen[v] = true
		if v.Format == "int64" || v.Format == "uint64" {
			v.Description = strings.TrimSpace(v.Description + "\n\n" + int64Meaning(name))
			v.Pattern = "^-?[0-9]+$"
		}
		for p, ps := range v.Properties {
			walk(p, ps)
		}
		walk(name, v.Items)
		if v.AdditionalProperties.Schema != nil {
			walk(name, v.AdditionalProperties.Schema)
		}
	}
	names := make([]string, 0, len(doc.Components.Schemas))
	for n := range doc.Components.Schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		walk(n, doc.Components.Schemas[n])
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				walk(p.Value.Name, p.Value.Schema)
			}
		}
	}
}

// int64Meaning is the sentence added to an int64 field's description.
func int64Meaning(name string) string {
	lower := strings.ToLower(name)
	const str = "An int64, sent and received as a decimal string."
	switch {
	case strings.Contains(lower, "grams"):
		return str + " Grams."
	case strings.Contains(lower, "price"), strings.Contains(lower, "amount"), strings.Contains(lower, "paid"),
		strings.Contains(lower, "due"), strings.Contains(lower, "fee"), strings.HasSuffix(lower, "minor"):
		return str + " Minor units of the currency (for PEN, céntimos)."
	}
	return str
}

// tagOperations sorts each operation's tags into the document's tag list,
// so that every tag an operation uses is declared.
func tagOperations(doc *openapi3.T) {
	declared := map[string]bool{}
	for _, t := range doc.Tags {
		declared[t.Name] = true
	}
	var added []string
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, t := range op.Tags {
				if !declared[t] {
					declared[t] = true
					added = append(added, t)
				}
			}
		}
	}
	sort.Strings(added)
	for _, t := range added {
		doc.Tags = append(doc.Tags, &openapi3.Tag{Name: t, Description: tagDescriptions[t]})
	}
}

// tagDescriptions describe the tags that no proto service does.
var tagDescriptions = map[string]string{
	"Documents": "The API's own documents and the server's readiness.",
}

// pruneSchemas drops the schemas that nothing refers to: the Get and
// Create response messages, which REST answers replace by the bare
// resource (response_body).
func pruneSchemas(doc *openapi3.T) {
	for {
		b, err := json.Marshal(doc)
		if err != nil {
			return
		}
		removed := false
		for name := range doc.Components.Schemas {
			if !bytes.Contains(b, []byte(`"#/components/schemas/`+name+`"`)) {
				delete(doc.Components.Schemas, name)
				removed = true
			}
		}
		if !removed {
			return
		}
	}
}

// answerClientErrors gives every operation that has a default (error)
// answer a 4XX one of the same schema, so that clients and linters see
// which answers are the caller's to fix.
func answerClientErrors(doc *openapi3.T) {
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			def := op.Responses.Default()
			if def == nil || def.Value == nil || op.Responses.Value("4XX") != nil {
				continue
			}
			op.Responses.Set("4XX", &openapi3.ResponseRef{Value: openapi3.NewResponse().
				WithDescription("A request to correct: google.rpc.Status JSON with the HTTP code of its gRPC code " +
					"(400 INVALID_ARGUMENT with field violations, 401, 403, 404 NOT_FOUND, 409 ABORTED or ALREADY_EXISTS, " +
					"400 FAILED_PRECONDITION, 429 RESOURCE_EXHAUSTED with Retry-After).").
				WithContent(def.Value.Content)})
		}
	}
}
