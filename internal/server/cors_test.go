package server_test

import (
	"net/http"
	"testing"

	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/store/storetest"
)

// corsRequest sends a request from a browser page of origin and returns
// the answer's header and status.
func (ts *testServer) corsRequest(t *testing.T, method, path, origin string, header map[string]string) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, ts.baseURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// TestCORS allows a listed origin's preflight and requests, with the
// headers a page needs, and answers another origin, and any origin when
// none is listed, without a CORS header.
func TestCORS(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		const listed, other = "https://console.example", "https://evil.example"
		ts := startServerWith(t, dbURL, func(c *config.Config) { c.CORSOrigins = listed + ",http://localhost:5173" })
		preflight := map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type, x-request-id"}

		code, h := ts.corsRequest(t, http.MethodOptions, "/v1/associations", listed, preflight)
		if code != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != listed ||
			h.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type, X-Request-Id, Accept-Language" ||
			h.Get("Access-Control-Allow-Methods") == "" {
			t.Errorf("preflight from a listed origin: HTTP %d, header %v", code, h)
		}
		code, h = ts.corsRequest(t, http.MethodGet, "/v1/me", listed, map[string]string{"Authorization": "Bearer " + adminSecret})
		if code != http.StatusOK || h.Get("Access-Control-Allow-Origin") != listed || h.Get("Access-Control-Expose-Headers") != "X-Request-Id, Retry-After" {
			t.Errorf("GET from a listed origin: HTTP %d, header %v", code, h)
		}

		code, h = ts.corsRequest(t, http.MethodOptions, "/v1/associations", other, preflight)
		if h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Headers") != "" || code == http.StatusNoContent {
			t.Errorf("preflight from another origin: HTTP %d, header %v; want no CORS header", code, h)
		}
		code, h = ts.corsRequest(t, http.MethodGet, "/v1/me", other, map[string]string{"Authorization": "Bearer " + adminSecret})
		if h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("GET from another origin: HTTP %d, header %v; want no CORS header", code, h)
		}

		off := startServer(t, dbURL)
		if _, h := off.corsRequest(t, http.MethodOptions, "/v1/associations", listed, preflight); h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight with CORS off: header %v; want no CORS header", h)
		}
	})
}
