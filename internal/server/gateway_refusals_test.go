package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/millwa/millwa/internal/store/storetest"
)

// violations returns the fields of st's BadRequest detail.
func violations(st *status.Status) []string {
	var fields []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	return fields
}

// TestRESTRefusesUnknownQueryParameters: a query parameter that names no
// field of the route's request message answers 400 naming it, in the
// message and in a BadRequest detail; fields by their JSON or proto names
// and ?requestId= are taken.
func TestRESTRefusesUnknownQueryParameters(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		ts := startServer(t, dbURL)
		for _, q := range []string{"pageSize=10", "page_size=10", "requestId=r-1", "filter=country_code%20%3D%20%22PE%22&pageToken="} {
			if res := ts.rest(t, http.MethodGet, "/v1/standards?"+q, ""); res.code != http.StatusOK {
				t.Errorf("GET /v1/standards?%s: HTTP %d %.300s; want 200", q, res.code, res.body)
			}
		}
		st := restError(t, "GET /v1/standards with misspelt parameters", ts.rest(t, http.MethodGet, "/v1/standards?pageSzie=10&colour=red&pageSize=5", ""),
			http.StatusBadRequest, codes.InvalidArgument)
		if !strings.Contains(st.Message(), "colour, pageSzie") {
			t.Errorf("message %q does not name colour and pageSzie", st.Message())
		}
		if got := violations(st); !slices.Equal(got, []string{"colour", "pageSzie"}) {
			t.Errorf("field violations %v; want [colour pageSzie]", got)
		}
	})
}

// TestRESTBodyErrorsNameTheField: a body that does not decode answers 400
// with a BadRequest detail naming the field it fails at, or "body" with
// the byte offset for JSON that does not parse; nothing is written.
func TestRESTBodyErrorsNameTheField(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		ts := startServer(t, dbURL)
		for _, c := range []struct{ body, field, says string }{
			{`{"legalName": "Asociación", `, "body", "ends before"},
			{`{"legalName" "Asociación"}`, "body", "offset 14"},
			{`{"legalNmae": "Asociación"}`, "legalNmae", "unknown field"},
			{`{"legalName": 5}`, "legalName", "invalid value"},
			{`{"legalName": "a"} {}`, "body", "one JSON object"},
		} {
			st := restError(t, "POST "+c.body, ts.rest(t, http.MethodPost, "/v1/associations", c.body), http.StatusBadRequest, codes.InvalidArgument)
			var br *errdetails.BadRequest
			for _, d := range st.Details() {
				if b, ok := d.(*errdetails.BadRequest); ok {
					br = b
				}
			}
			if br == nil || len(br.GetFieldViolations()) != 1 || br.GetFieldViolations()[0].GetField() != c.field ||
				!strings.Contains(br.GetFieldViolations()[0].GetDescription(), c.says) {
				t.Errorf("POST %s: %q with details %v; want one violation of %s saying %q", c.body, st.Message(), st.Details(), c.field, c.says)
			}
		}
		if res := ts.rest(t, http.MethodGet, "/v1/associations", ""); strings.Contains(string(res.body), "legalN") {
			t.Errorf("a refused body wrote an association: %.300s", res.body)
		}
	})
}

// TestRESTRateRefusals: a REST client past its burst gets 429 with a
// Retry-After of whole seconds; the log names the REST client's address,
// not the gateway's, and its refusals take one line, not one each.
func TestRESTRateRefusals(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		const burst = 3
		ts := startRateLimitedServer(t, dbURL, 0.1, burst)
		// From another loopback address than the gateway's 127.0.0.1.
		tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}
		t.Cleanup(tr.CloseIdleConnections)
		client := &http.Client{Transport: tr}
		get := func() *http.Response {
			t.Helper()
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.baseURL+"/v1/standards", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Forwarded-For", "203.0.113.7") // a claim, not trusted
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp
		}
		for i := range burst {
			if resp := get(); resp.StatusCode != http.StatusOK {
				t.Fatalf("call %d of the burst: HTTP %d", i+1, resp.StatusCode)
			}
		}
		const refused = 5
		for i := range refused {
			resp := get()
			if resp.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("call %d past the burst: HTTP %d; want 429", i+1, resp.StatusCode)
			}
			if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || secs < 1 {
				t.Errorf("429 with Retry-After %q; want whole seconds, at least 1", resp.Header.Get("Retry-After"))
			}
		}
		// Each line is written as its call ends, just after its answer.
		var ok, exhausted []map[string]any
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		for ctx.Err() == nil {
			ok, exhausted = nil, nil
			for _, line := range strings.Split(ts.logs.String(), "\n") {
				var rec map[string]any
				if json.Unmarshal([]byte(line), &rec) != nil || rec["grpc.method"] != "ListStandards" {
					continue
				}
				switch rec["grpc.code"] {
				case "OK":
					ok = append(ok, rec)
				case "ResourceExhausted":
					exhausted = append(exhausted, rec)
				}
			}
			if len(ok) == burst && len(exhausted) >= 1 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if len(ok) != burst {
			t.Fatalf("%d lines of answered calls; want %d\n%s", len(ok), burst, ts.logs.String())
		}
		for _, rec := range append(ok, exhausted...) {
			if rec["client.address"] != "127.0.0.2" {
				t.Errorf("REST call logged with client.address %v (peer %v); want the client's 127.0.0.2", rec["client.address"], rec["peer.address"])
			}
		}
		if len(exhausted) != 1 {
			t.Errorf("%d refused calls took %d log lines; want 1 (the rest sampled out)", refused, len(exhausted))
		}
	})
}
