package server_test

import (
	"net/http"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// startRateLimitedServer is startServer with a rate limit of perSecond
// calls a second in bursts of burst, per key (or per client address
// without a key).
func startRateLimitedServer(t *testing.T, dbURL string, perSecond float64, burst int) *testServer {
	t.Helper()
	return startServerWith(t, dbURL, func(c *config.Config) { c.RateLimit, c.RateBurst = perSecond, burst })
}

// checkRetryInfo fails t unless st is ResourceExhausted with a positive
// RetryInfo delay.
func checkRetryInfo(t *testing.T, what string, st *status.Status) {
	t.Helper()
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("%s: %v (%q), want ResourceExhausted", what, st.Code(), st.Message())
	}
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			if ri.GetRetryDelay().AsDuration() <= 0 {
				t.Errorf("%s: RetryInfo delay %v, want a positive delay", what, ri.GetRetryDelay().AsDuration())
			}
			return
		}
	}
	t.Errorf("%s: no google.rpc.RetryInfo detail in %v (%q, details %v)", what, st.Code(), st.Message(), st.Details())
}

func TestRateLimitPerKey(t *testing.T) {
	t.Parallel()
	// One token every 10 s: a quick run of calls never earns a new one.
	const burst = 3
	ts := startRateLimitedServer(t, storetest.SQLiteURL(t), 0.1, burst)
	// The admin spends its burst creating the organisations' keys.
	_, first := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, ts.insertProcessor(t, "040101"), false)
	_, second := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, ts.insertProcessor(t, "040101"), false)
	_, third := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, ts.insertProcessor(t, "040101"), false)

	whoAmI := func(secret string) error {
		_, err := millwav1.NewIdentityServiceClient(ts.dial(t, secret)).WhoAmI(t.Context(), &millwav1.WhoAmIRequest{})
		return err
	}
	t.Run("gRPC", func(t *testing.T) {
		for i := range burst {
			if err := whoAmI(first); err != nil {
				t.Fatalf("call %d of a burst of %d: %v", i+1, burst, err)
			}
		}
		checkRetryInfo(t, "the call after the burst", status.Convert(whoAmI(first)))
		// Another key has its own bucket.
		if err := whoAmI(second); err != nil {
			t.Fatalf("another key, after the first was limited: %v", err)
		}
		// The admin, whose burst went on creating keys, is limited too.
		_, err := millwav1.NewIdentityServiceClient(ts.conn).WhoAmI(t.Context(), &millwav1.WhoAmIRequest{})
		checkRetryInfo(t, "the admin after its burst", status.Convert(err))
	})

	t.Run("REST", func(t *testing.T) {
		// The second key has spent one call; REST shares its bucket.
		for i := 1; i < burst; i++ {
			restOK(t, "GET /v1/me within the burst", ts.restAs(t, second, http.MethodGet, "/v1/me", ""), &millwav1.WhoAmIResponse{})
		}
		st := restError(t, "GET /v1/me after the burst", ts.restAs(t, second, http.MethodGet, "/v1/me", ""), http.StatusTooManyRequests, codes.ResourceExhausted)
		checkRetryInfo(t, "REST call after the burst", st)
		restOK(t, "GET /v1/me with a key of its own", ts.restAs(t, third, http.MethodGet, "/v1/me", ""), &millwav1.WhoAmIResponse{})
	})
}

func TestRateLimitPerAddressWithoutKey(t *testing.T) {
	t.Parallel()
	const burst = 3
	ts := startRateLimitedServer(t, storetest.SQLiteURL(t), 0.1, burst)
	_, key := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, ts.insertProcessor(t, "040101"), false)
	health := healthpb.NewHealthClient(ts.dial(t, ""))

	// Public RPCs without a key share this address's bucket.
	for i := range burst {
		if _, err := health.Check(t.Context(), &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatalf("public call %d of a burst of %d: %v", i+1, burst, err)
		}
	}
	_, err := health.Check(t.Context(), &healthpb.HealthCheckRequest{})
	checkRetryInfo(t, "a public call without a key after the burst", status.Convert(err))
	// REST calls from the same address without a key share it, whatever
	// address the client claims.
	for _, claim := range []string{"", "203.0.113.7"} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.baseURL+"/v1/standards", nil)
		if err != nil {
			t.Fatal(err)
		}
		if claim != "" {
			req.Header.Set("X-Forwarded-For", claim)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("public REST call without a key (X-Forwarded-For %q) after the address's burst: HTTP %d, want 429", claim, resp.StatusCode)
		}
	}
	// A call with a key is not counted against the address.
	if _, err := millwav1.NewIdentityServiceClient(ts.dial(t, key)).WhoAmI(t.Context(), &millwav1.WhoAmIRequest{}); err != nil {
		t.Errorf("a call with a key, from the limited address: %v", err)
	}
	if _, err := healthpb.NewHealthClient(ts.dial(t, key)).Check(t.Context(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("a public call with a key, from the limited address: %v", err)
	}
}
