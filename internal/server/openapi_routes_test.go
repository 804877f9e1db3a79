package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// openAPIDocument is the part of /openapi.json that the route test reads.
type openAPIDocument struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		Title   string `json:"title"`
		Version string `json:"version"`
	} `json:"info"`
	Security   []map[string][]string `json:"security"`
	Components struct {
		SecuritySchemes map[string]struct {
			Type   string `json:"type"`
			Scheme string `json:"scheme"`
		} `json:"securitySchemes"`
	} `json:"components"`
	Paths map[string]map[string]struct {
		OperationID string                 `json:"operationId"`
		Security    *[]map[string][]string `json:"security"`
	} `json:"paths"`
}

var openAPIPlaceholder = regexp.MustCompile(`\{([^}]+)\}`)

// TestOpenAPIRoutesAreServed reads the OpenAPI 3.1 document from a running
// server, checks its security scheme and that every public RPC of the
// policy table is marked as needing no key, and then requests every
// operation it lists, with the path's placeholders filled by resources made
// for the test, one of every kind: no answer may be the gateway's "no
// REST route" 404 (nor the standard mux's plain one), and every GET answers
// 200 (but the consistency report's and the batch labels', which need
// query parameters). A route in the document that the gateway does not
// serve fails here.
func TestOpenAPIRoutesAreServed(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startAccessServer(t, dbURL)

		res := ts.restAs(t, "", http.MethodGet, "/openapi.json", "")
		if res.code != http.StatusOK {
			t.Fatalf("GET /openapi.json: %d %s", res.code, res.body)
		}
		var doc openAPIDocument
		if err := json.Unmarshal(res.body, &doc); err != nil {
			t.Fatalf("/openapi.json is not JSON: %v", err)
		}
		checkOpenAPIHeader(t, doc)

		v2 := ts.restAs(t, "", http.MethodGet, "/openapi.v2.json", "")
		var swagger struct {
			Swagger string `json:"swagger"`
		}
		if v2.code != http.StatusOK || json.Unmarshal(v2.body, &swagger) != nil || swagger.Swagger != "2.0" {
			t.Errorf("GET /openapi.v2.json: %d, swagger %q; want 200 and a Swagger 2.0 document", v2.code, swagger.Swagger)
		}

		// Real resources for the placeholders: a sold lot brings an
		// association with members and a classifier, a processor and a
		// delivered trade, on which the processor files a claim; the
		// association records a receipt, an agency of its region proposes
		// a sampling plan and checks the sold lot, and each kind of
		// organisation registers a webhook.
		sold := ts.sellWholeLot(t, "OA-0001")
		asProc := millwav1.NewMarketServiceClient(ts.dial(t, sold.key))
		order, err := asProc.CreatePurchaseOrder(t.Context(),
			&millwav1.CreatePurchaseOrderRequest{Parent: sold.proc.GetName(), PurchaseOrder: newOrder()})
		if err != nil {
			t.Fatalf("CreatePurchaseOrder: %v", err)
		}
		claim, err := asProc.FileClaim(t.Context(), &millwav1.FileClaimRequest{Parent: sold.trade.GetName(),
			Claim: &millwav1.Claim{Sample: laserSample(25.0), Laboratory: "Laboratorio de la planta", StatedPricePerKg: 2000}})
		if err != nil {
			t.Fatalf("FileClaim: %v", err)
		}
		seller := acopio{lotFixture: sold.seller, reg: millwav1.NewRegistryServiceClient(ts.dial(t, sold.seller.secret))}
		receipt := seller.receive(t, seller.classed(sold.seller.members[0], map[string]int64{"BABY": 10_000}))
		agency, agencyKey := ts.createAgency(t, "21")
		asAgency := millwav1.NewAuditServiceClient(ts.dial(t, agencyKey))
		plan, err := asAgency.ProposeSamplingPlan(t.Context(), &millwav1.ProposeSamplingPlanRequest{
			Region: "21", StartTime: timestamppb.New(time.Now().Add(-time.Hour)), EndTime: timestamppb.New(time.Now().Add(time.Hour)), Seed: ptr(int64(1))})
		if err != nil || plan.GetSamplingPlan().GetName() == "" {
			t.Fatalf("ProposeSamplingPlan: %v, %v; want a stored plan", plan, err)
		}
		check, err := asAgency.RecordCheckGrading(t.Context(), &millwav1.RecordCheckGradingRequest{Parent: agency.GetName(),
			CheckGrading: &millwav1.CheckGrading{Lot: sold.lot.GetName(), Sample: checkSample(21.0)}})
		if err != nil {
			t.Fatalf("RecordCheckGrading: %v", err)
		}
		webhooks := map[string]string{ // the webhook of the organisation a path starts with
			"/v1/processors/":   createWebhook(t, ts, sold.key, sold.proc.GetName(), webhookURL).GetWebhook().GetName(),
			"/v1/associations/": createWebhook(t, ts, sold.seller.secret, sold.seller.assoc.GetName(), webhookURL).GetWebhook().GetName(),
			"/v1/agencies/":     createWebhook(t, ts, agencyKey, agency.GetName(), webhookURL).GetWebhook().GetName(),
		}
		keyName, _ := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, sold.seller.assoc.GetName(), false)
		ids := map[string]string{
			"association":   path.Base(sold.seller.assoc.GetName()),
			"member":        path.Base(sold.seller.members[0]),
			"classifier":    path.Base(sold.seller.classifier),
			"lot":           path.Base(sold.lot.GetName()),
			"receipt":       path.Base(receipt.GetName()),
			"processor":     path.Base(sold.proc.GetName()),
			"purchaseOrder": path.Base(order.GetPurchaseOrder().GetName()),
			"trade":         path.Base(sold.trade.GetName()),
			"claim":         path.Base(claim.GetClaim().GetName()),
			"agency":        path.Base(agency.GetName()),
			"samplingPlan":  path.Base(plan.GetSamplingPlan().GetName()),
			"checkGrading":  path.Base(check.GetCheckGrading().GetName()),
			"apiKey":        path.Base(keyName),
			"standard":      "pe-ntp-231-301-2014",
			"statement":     "2026",
			"campaign":      "2026",
		}

		// GETs first, so that the state changes (a withdrawn lot, a
		// cancelled order) come after the reads of the same resources.
		type call struct{ method, template string }
		var calls []call
		for template, ops := range doc.Paths {
			for method := range ops {
				calls = append(calls, call{strings.ToUpper(method), template})
			}
		}
		sort.Slice(calls, func(i, j int) bool {
			if (calls[i].method == http.MethodGet) != (calls[j].method == http.MethodGet) {
				return calls[i].method == http.MethodGet
			}
			return calls[i].template+calls[i].method < calls[j].template+calls[j].method
		})
		if len(calls) < 60 {
			t.Fatalf("the document lists %d operations; want every route the gateway serves", len(calls))
		}
		for _, c := range calls {
			p, known := c.template, true
			p = openAPIPlaceholder.ReplaceAllStringFunc(p, func(v string) string {
				name := strings.Trim(v, "{}")
				if name == "webhook" {
					for prefix, hook := range webhooks {
						if strings.HasPrefix(c.template, prefix) {
							return path.Base(hook)
						}
					}
				}
				id, ok := ids[name]
				if !ok {
					t.Errorf("%s %s: path parameter {%s} names none of the resources the test made", c.method, c.template, name)
					known = false
				}
				return id
			})
			if !known {
				continue
			}
			// Query parameters a route cannot answer without.
			if q, ok := openAPIRequiredQuery[c.template]; ok {
				p += "?" + q
			}
			code, body := openAPICall(t, ts, c.method, p)
			if code == http.StatusNotFound {
				if st, msg := openAPIStatus(body); st != codes.NotFound || strings.HasPrefix(msg, "no REST route") {
					t.Errorf("%s %s (%s): the gateway has no such route: %s", c.method, p, c.template, body)
					continue
				}
			}
			if c.method == http.MethodGet && !strings.Contains(c.template, "consistencyReport") &&
				!strings.HasSuffix(c.template, ":labels.pdf") && code != http.StatusOK {
				t.Errorf("%s %s (%s) = %d, want 200: %s", c.method, p, c.template, code, body)
			}
		}
	})
}

// checkOpenAPIHeader checks the document's version, title, security
// scheme and public operations.
func checkOpenAPIHeader(t *testing.T, doc openAPIDocument) {
	t.Helper()
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") || doc.Info.Title != "Millwa API" || doc.Info.Version == "" {
		t.Errorf("openapi %q, title %q, version %q; want 3.1.x, \"Millwa API\" and the build's version", doc.OpenAPI, doc.Info.Title, doc.Info.Version)
	}
	if s := doc.Components.SecuritySchemes["bearer"]; s.Type != "http" || s.Scheme != "bearer" {
		t.Errorf("security scheme bearer = %+v, want http bearer", s)
	}
	if len(doc.Security) != 1 || doc.Security[0]["bearer"] == nil {
		t.Errorf("global security = %v, want [{bearer: []}]", doc.Security)
	}
	public := map[string]bool{}
	for method, access := range auth.Policy {
		if rest, ok := strings.CutPrefix(method, "/millwa.v1."); ok {
			public[strings.Replace(rest, "/", "_", 1)] = access.Public
		}
	}
	marked := map[string]bool{}
	for template, ops := range doc.Paths {
		for method, op := range ops {
			isPublic, inPolicy := public[op.OperationID]
			open := op.Security != nil && len(*op.Security) == 0
			if inPolicy && isPublic != open {
				t.Errorf("%s %s (%s): security [] is %v, but the policy table says public = %v", method, template, op.OperationID, open, isPublic)
			}
			if open {
				marked[op.OperationID] = true
			}
		}
	}
	for _, id := range []string{"GradingService_ListStandards", "GradingService_GetStandard", "GradingService_GradeSample",
		"GradingService_ClassifyFleece", "MarketService_GetMarketStats"} {
		if !marked[id] {
			t.Errorf("%s is public but not marked security: []", id)
		}
	}
}

// openAPICall calls the gateway as the admin with an empty JSON object as
// the body of anything but GET, and returns the status and at most 4 KiB of
// the body. An event stream is closed once its status has arrived.
func openAPICall(t *testing.T, ts *testServer, method, p string) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var body io.Reader
	if method != http.MethodGet {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequestWithContext(ctx, method, ts.baseURL+p, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminSecret)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, p, err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp.StatusCode, nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, b
}

// openAPIStatus decodes a google.rpc.Status body; codes.Unknown when it is
// not one.
func openAPIStatus(body []byte) (codes.Code, string) {
	var st struct {
		Code    codes.Code `json:"code"`
		Message string     `json:"message"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return codes.Unknown, string(body)
	}
	return st.Code, st.Message
}

// openAPIRequiredQuery is the query of the routes that need one to answer
// 200, by their template in the document.
var openAPIRequiredQuery = map[string]string{
	"/v1/associations/{association}/members/-/statements": "campaign=2026",
}
