package server_test

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// sessionToken asks the gateway for a session token of the key secret.
func sessionToken(t *testing.T, ts *testServer, secret string) *millwav1.CreateSessionTokenResponse {
	t.Helper()
	res := ts.restAs(t, secret, http.MethodPost, "/v1/sessionTokens", "{}")
	var out millwav1.CreateSessionTokenResponse
	if err := protojson.Unmarshal(res.body, &out); err != nil || res.code != http.StatusOK {
		t.Fatalf("POST /v1/sessionTokens: HTTP %d: %s", res.code, res.body)
	}
	return &out
}

// signedToken is a session token signed as the server signs one, with the
// key's secret known: the test's way to make one that has expired.
func signedToken(keyID, role, secret string, expiry time.Time) string {
	digest := sha256.Sum256([]byte(secret))
	exp := strconv.FormatInt(expiry.Unix(), 10)
	m := hmac.New(sha256.New, digest[:])
	m.Write([]byte("millwa session token v1\x00" + keyID + "\x00" + role + "\x00" + exp))
	return fmt.Sprintf("mlwt_%s.%s.%s.%s", keyID, role, exp, base64.RawURLEncoding.EncodeToString(m.Sum(nil)))
}

// openEvents opens the event stream with the given query and no header.
func openEvents(t *testing.T, ts *testServer, query string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.baseURL+"/v1/market/events"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := restClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestSessionTokens follows the market from a browser's point of view: a
// session token in the query opens the event stream and the report pages,
// and nothing else; an API key in the query, a forged token, an expired
// one and one of a revoked key are refused.
func TestSessionTokens(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		f := ts.lotFixture(t, "210101")
		proc, procKey := ts.createProcessor(t, "040101")

		issued := sessionToken(t, ts, f.secret)
		if !strings.HasPrefix(issued.GetToken(), "mlwt_") || issued.GetExpireTime().AsTime().After(time.Now().Add(15*time.Minute+time.Second)) {
			t.Fatalf("session token %q expiring %v, want mlwt_… within 15 minutes", issued.GetToken(), issued.GetExpireTime().AsTime())
		}
		resp := openEvents(t, ts, "?access_token="+url.QueryEscape(issued.GetToken()))
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("events with a session token: HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var lot millwav1.Lot
		restDo(t, ts, f.secret, "POST", "/v1/"+f.assoc.GetName()+"/lots", f.lotOf("BABY", 20_000, 2000), &lot)
		o := newOrder()
		o.QuantityGrams = 20_000
		var order millwav1.PurchaseOrder
		restDo(t, ts, procKey, "POST", "/v1/"+proc.GetName()+"/purchaseOrders", o, &order)
		if got := readSSE(t, bufio.NewScanner(resp.Body), 1); got[0].name != "TRADE_MATCHED" {
			t.Fatalf("first event with a session token: %+v, want TRADE_MATCHED", got[0])
		}
		resp.Body.Close()

		// The report page takes an admin's token, and without it answers
		// 401.
		admin := sessionToken(t, ts, adminSecret)
		const report = "/v1/audit/consistencyReport.html?region=21&startTime=2026-01-01T00:00:00Z&endTime=2026-06-01T00:00:00Z"
		res := ts.restAs(t, "", http.MethodGet, report+"&access_token="+url.QueryEscape(admin.GetToken()), "")
		if res.code != http.StatusOK || !strings.Contains(string(res.body), "<html") {
			t.Errorf("report page with a session token: HTTP %d: %.300s", res.code, res.body)
		}
		restError(t, "a report page without a token", ts.restAs(t, "", http.MethodGet, report, ""), http.StatusUnauthorized, codes.Unauthenticated)
		restError(t, "a report page with the API key in the query",
			ts.restAs(t, "", http.MethodGet, report+"&access_token="+url.QueryEscape(adminSecret), ""), http.StatusUnauthorized, codes.Unauthenticated)

		// The token is the key's for those routes only.
		tokenConn := ts.dial(t, issued.GetToken())
		if _, err := millwav1.NewIdentityServiceClient(tokenConn).WhoAmI(t.Context(), &millwav1.WhoAmIRequest{}); status.Code(err) != codes.Unauthenticated {
			t.Errorf("WhoAmI with a session token: %v, want Unauthenticated", err)
		}
		if _, err := millwav1.NewIdentityServiceClient(tokenConn).CreateSessionToken(t.Context(), &millwav1.CreateSessionTokenRequest{}); status.Code(err) != codes.Unauthenticated {
			t.Errorf("CreateSessionToken with a session token: %v, want Unauthenticated", err)
		}

		keyID, role, _ := strings.Cut(strings.TrimPrefix(issued.GetToken(), "mlwt_"), ".")
		role, _, _ = strings.Cut(role, ".")
		forged := issued.GetToken()[:len(issued.GetToken())-4] + "AAAA"
		if forged == issued.GetToken() {
			forged = issued.GetToken()[:len(issued.GetToken())-4] + "BBBB"
		}
		for _, tt := range []struct{ what, query string }{
			{"the API key in the query", "?access_token=" + url.QueryEscape(f.secret)},
			{"a forged token", "?access_token=" + url.QueryEscape(forged)},
			{"a token signed with another key", "?access_token=" + url.QueryEscape(signedToken(keyID, role, procKey, time.Now().Add(10*time.Minute)))},
			{"an expired token", "?access_token=" + url.QueryEscape(signedToken(keyID, role, f.secret, time.Now().Add(-time.Second)))},
			{"a token of another role", "?access_token=" + url.QueryEscape(signedToken(keyID, "admin", f.secret, time.Now().Add(10*time.Minute)))},
		} {
			r := openEvents(t, ts, tt.query)
			if r.StatusCode != http.StatusUnauthorized {
				t.Errorf("events with %s: HTTP %d, want 401", tt.what, r.StatusCode)
			}
		}
		// The server's own signature recipe, checked by the refusals
		// above, accepts a token made by it while the key lives.
		if r := openEvents(t, ts, "?access_token="+url.QueryEscape(signedToken(keyID, role, f.secret, time.Now().Add(time.Minute)))); r.StatusCode != http.StatusOK {
			t.Fatalf("events with a token signed by the recipe: HTTP %d", r.StatusCode)
		}

		// Revoking the key voids its tokens.
		if _, err := millwav1.NewIdentityServiceClient(ts.conn).RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: "apiKeys/" + keyID}); err != nil {
			t.Fatalf("RevokeApiKey: %v", err)
		}
		if r := openEvents(t, ts, "?access_token="+url.QueryEscape(issued.GetToken())); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("events with a token of a revoked key: HTTP %d, want 401", r.StatusCode)
		}
	})
}
