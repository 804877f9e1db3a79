package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// Helpers shared by identity_test.go, retry_test.go, audit_trail_test.go,
// tenancy_test.go and ratelimit_test.go.

// wantCode fails t unless err has the gRPC code want, and returns its
// status.
func wantCode(t *testing.T, what string, err error, want codes.Code) *status.Status {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != want {
		t.Fatalf("%s: code %v (%q), want %v", what, st.Code(), st.Message(), want)
	}
	return st
}

// errorReason is the reason of the status's ErrorInfo detail, "" when none.
func errorReason(st *status.Status) string {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

// badRequestFields lists the fields of the status's BadRequest detail.
func badRequestFields(st *status.Status) []string {
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

// restOK fails t unless res is a 200 answer, and decodes its body into m.
func restOK(t *testing.T, what string, res restResult, m proto.Message) {
	t.Helper()
	if res.code != http.StatusOK {
		t.Fatalf("%s: HTTP %d, want 200: %.500s", what, res.code, res.body)
	}
	if err := protojson.Unmarshal(res.body, m); err != nil {
		t.Fatalf("%s: decoding %T: %v\n%s", what, m, err, res.body)
	}
}

// restError fails t unless res is an error answer with the HTTP status and
// gRPC code given, and returns the google.rpc.Status of its body, details
// included.
func restError(t *testing.T, what string, res restResult, httpCode int, code codes.Code) *status.Status {
	t.Helper()
	var sp spb.Status
	if err := protojson.Unmarshal(res.body, &sp); err != nil {
		t.Fatalf("%s: HTTP %d, body is not google.rpc.Status JSON: %v\n%.500s", what, res.code, err, res.body)
	}
	st := status.FromProto(&sp)
	if res.code != httpCode || st.Code() != code {
		t.Fatalf("%s: HTTP %d %v (%q), want HTTP %d %v", what, res.code, st.Code(), st.Message(), httpCode, code)
	}
	return st
}

// restClient returns an HTTP client for bursts of concurrent calls. Call it
// after starting the servers: its connections are closed when the test
// ends, before the servers stop, as net/http counts a connection dialled
// for a burst but never used as active for 5 s, which would hold up a
// graceful stop.
func restClient(t *testing.T) *http.Client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// restCall calls the gateway without a testing.T, for goroutines.
func restCall(ctx context.Context, hc *http.Client, baseURL, secret, method, path, body string) (restResult, error) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, baseURL+path, r)
	if err != nil {
		return restResult{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return restResult{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return restResult{code: resp.StatusCode, body: b}, err
}

// jsonBody is m as the REST gateway takes it.
func jsonBody(t *testing.T, m proto.Message) string {
	t.Helper()
	b, err := protojson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// countRows runs a SELECT COUNT(*) on the server's database ("?" for
// arguments).
func countRows(t *testing.T, ts *testServer, query string, args ...any) int {
	t.Helper()
	db, rebind := ts.rawDB(t)
	var n int
	if err := db.QueryRowContext(t.Context(), rebind(query), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// rowCounts counts the rows of the tables a state change writes.
type rowCounts struct{ Associations, APIKeys, AuditEvents, RequestIDs int }

func countState(t *testing.T, ts *testServer) rowCounts {
	t.Helper()
	db, _ := ts.rawDB(t)
	var c rowCounts
	for _, q := range []struct {
		table string
		n     *int
	}{{"associations", &c.Associations}, {"api_keys", &c.APIKeys}, {"audit_events", &c.AuditEvents}, {"idempotency_records", &c.RequestIDs}} {
		if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM "+q.table).Scan(q.n); err != nil {
			t.Fatalf("counting %s: %v", q.table, err)
		}
	}
	return c
}

// checkNothingWritten fails t when the counts changed since before.
func checkNothingWritten(t *testing.T, ts *testServer, before rowCounts) {
	t.Helper()
	if diff := cmp.Diff(before, countState(t, ts)); diff != "" {
		t.Errorf("a refused request wrote rows (-before +after):\n%s", diff)
	}
}

// idOf is the id at the end of a resource name.
func idOf(name string) string { return name[strings.LastIndex(name, "/")+1:] }

// newID is a fresh UUIDv7 that names nothing.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// sameNotFound fails t unless the two errors are NotFound with the same
// message once the ids they are about are masked.
func sameNotFound(t *testing.T, what string, hidden error, hiddenID string, missing error, missingID string) {
	t.Helper()
	h := wantCode(t, what+" (another tenant's)", hidden, codes.NotFound)
	m := wantCode(t, what+" (nonexistent)", missing, codes.NotFound)
	if diff := cmp.Diff(strings.ReplaceAll(m.Message(), missingID, "{id}"), strings.ReplaceAll(h.Message(), hiddenID, "{id}")); diff != "" {
		t.Errorf("%s: another tenant's object is told apart from a missing one (-missing +hidden):\n%s", what, diff)
	}
	if diff := cmp.Diff(errorReason(m), errorReason(h)); diff != "" {
		t.Errorf("%s: reasons differ (-missing +hidden):\n%s", what, diff)
	}
}

// newKey creates a key with the given caller and returns the response.
func newKey(t *testing.T, conn *grpc.ClientConn, k *millwav1.ApiKey) *millwav1.CreateApiKeyResponse {
	t.Helper()
	if k.GetDisplayName() == "" {
		k.DisplayName = "key " + k.GetRole().String()
	}
	resp, err := millwav1.NewIdentityServiceClient(conn).CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{ApiKey: k})
	if err != nil {
		t.Fatalf("CreateApiKey(%v): %v", k, err)
	}
	return resp
}

// bootAdminKey is the name of the server's first admin key.
func bootAdminKey(t *testing.T, ts *testServer) string {
	t.Helper()
	resp, err := millwav1.NewIdentityServiceClient(ts.conn).ListApiKeys(t.Context(), &millwav1.ListApiKeysRequest{Filter: `role = "ROLE_ADMIN"`})
	if err != nil || len(resp.GetApiKeys()) == 0 || resp.GetApiKeys()[0].GetDisplayName() != "first admin key" {
		t.Fatalf("listing admin keys: %v %v, want the first admin key first", resp, err)
	}
	return resp.GetApiKeys()[0].GetName()
}

// expireKey sets a key's expiry in the past, which no RPC can do.
func expireKey(t *testing.T, ts *testServer, name string) {
	t.Helper()
	db, rebind := ts.rawDB(t)
	past := time.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04:05.000000Z")
	if _, err := db.ExecContext(t.Context(), rebind(`UPDATE api_keys SET expire_time = ? WHERE id = ?`), past, idOf(name)); err != nil {
		t.Fatalf("expiring %s: %v", name, err)
	}
}

func TestWhoAmIForEachRole(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		assoc := ts.createAssociation(t, "210101").GetName()
		proc := ts.insertProcessor(t, "040101")
		agency := ts.insertAgency(t, "21", "0801")
		expire := time.Now().Add(time.Hour).UTC().Truncate(time.Second)

		admin := newKey(t, ts.conn, &millwav1.ApiKey{DisplayName: "second admin", Role: millwav1.Role_ROLE_ADMIN})
		association := newKey(t, ts.conn, &millwav1.ApiKey{DisplayName: "acopio", Role: millwav1.Role_ROLE_ASSOCIATION, Organisation: assoc, OrgAdmin: true})
		processor := newKey(t, ts.conn, &millwav1.ApiKey{DisplayName: "planta", Role: millwav1.Role_ROLE_PROCESSOR, Organisation: proc})
		agencyKey := newKey(t, ts.conn, &millwav1.ApiKey{DisplayName: "auditor", Role: millwav1.Role_ROLE_AGENCY, Organisation: agency,
			ExpireTime: timestamppb.New(expire)})

		tests := []struct {
			name   string
			secret string
			want   *millwav1.WhoAmIResponse
		}{
			{"first admin", adminSecret, &millwav1.WhoAmIResponse{ApiKey: bootAdminKey(t, ts), DisplayName: "first admin key", Role: millwav1.Role_ROLE_ADMIN}},
			{"admin", admin.GetSecret(), &millwav1.WhoAmIResponse{ApiKey: admin.GetApiKey().GetName(), DisplayName: "second admin", Role: millwav1.Role_ROLE_ADMIN}},
			{"association", association.GetSecret(), &millwav1.WhoAmIResponse{ApiKey: association.GetApiKey().GetName(), DisplayName: "acopio",
				Role: millwav1.Role_ROLE_ASSOCIATION, Organisation: assoc, OrgAdmin: true}},
			{"processor", processor.GetSecret(), &millwav1.WhoAmIResponse{ApiKey: processor.GetApiKey().GetName(), DisplayName: "planta",
				Role: millwav1.Role_ROLE_PROCESSOR, Organisation: proc}},
			{"agency", agencyKey.GetSecret(), &millwav1.WhoAmIResponse{ApiKey: agencyKey.GetApiKey().GetName(), DisplayName: "auditor",
				Role: millwav1.Role_ROLE_AGENCY, Organisation: agency, Regions: []string{"0801", "21"}, ExpireTime: timestamppb.New(expire)}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := millwav1.NewIdentityServiceClient(ts.dial(t, tt.secret)).WhoAmI(t.Context(), &millwav1.WhoAmIRequest{})
				if err != nil {
					t.Fatalf("gRPC WhoAmI: %v", err)
				}
				opts := cmp.Options{protocmp.Transform(), protocmp.SortRepeatedFields(&millwav1.WhoAmIResponse{}, "regions")}
				if diff := cmp.Diff(tt.want, got, opts); diff != "" {
					t.Errorf("gRPC WhoAmI (-want +got):\n%s", diff)
				}
				var rest millwav1.WhoAmIResponse
				restOK(t, "GET /v1/me", ts.restAs(t, tt.secret, http.MethodGet, "/v1/me", ""), &rest)
				if diff := cmp.Diff(tt.want, &rest, opts); diff != "" {
					t.Errorf("REST GET /v1/me (-want +got):\n%s", diff)
				}
			})
		}

		for _, secret := range []string{"", "mlw_" + strings.Repeat("A", 43)} {
			_, err := millwav1.NewIdentityServiceClient(ts.dial(t, secret)).WhoAmI(t.Context(), &millwav1.WhoAmIRequest{})
			wantCode(t, fmt.Sprintf("WhoAmI with key %q", secret), err, codes.Unauthenticated)
			restError(t, "GET /v1/me without a valid key", ts.restAs(t, secret, http.MethodGet, "/v1/me", ""), http.StatusUnauthorized, codes.Unauthenticated)
		}
	})
}

func TestCreateApiKeyWhoMayCreate(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.createAssociation(t, "210101").GetName()
		b := ts.createAssociation(t, "080101").GetName()
		proc := ts.insertProcessor(t, "040101")
		agency := ts.insertAgency(t, "21")
		_, aAdmin := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a, true)
		_, aPlain := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a, false)
		_, pAdmin := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, proc, true)
		_, gAdmin := ts.createKey(t, millwav1.Role_ROLE_AGENCY, agency, true)

		const (
			admin   = millwav1.Role_ROLE_ADMIN
			assocR  = millwav1.Role_ROLE_ASSOCIATION
			procR   = millwav1.Role_ROLE_PROCESSOR
			agencyR = millwav1.Role_ROLE_AGENCY
		)
		tests := []struct {
			name   string
			caller string
			key    *millwav1.ApiKey
			want   codes.Code
		}{
			{"admin: an admin key", adminSecret, &millwav1.ApiKey{Role: admin}, codes.OK},
			{"admin: an association's org admin", adminSecret, &millwav1.ApiKey{Role: assocR, Organisation: a, OrgAdmin: true}, codes.OK},
			{"admin: another association's key", adminSecret, &millwav1.ApiKey{Role: assocR, Organisation: b}, codes.OK},
			{"admin: a processor key", adminSecret, &millwav1.ApiKey{Role: procR, Organisation: proc}, codes.OK},
			{"admin: an agency key", adminSecret, &millwav1.ApiKey{Role: agencyR, Organisation: agency}, codes.OK},
			{"org admin: own association", aAdmin, &millwav1.ApiKey{Role: assocR, Organisation: a}, codes.OK},
			{"org admin: own association, org admin too", aAdmin, &millwav1.ApiKey{Role: assocR, Organisation: a, OrgAdmin: true}, codes.OK},
			{"org admin: another association", aAdmin, &millwav1.ApiKey{Role: assocR, Organisation: b}, codes.PermissionDenied},
			{"org admin: another role", aAdmin, &millwav1.ApiKey{Role: procR, Organisation: proc}, codes.PermissionDenied},
			{"org admin: ROLE_ADMIN", aAdmin, &millwav1.ApiKey{Role: admin}, codes.PermissionDenied},
			{"processor org admin: own processor", pAdmin, &millwav1.ApiKey{Role: procR, Organisation: proc}, codes.OK},
			{"processor org admin: an association", pAdmin, &millwav1.ApiKey{Role: assocR, Organisation: a}, codes.PermissionDenied},
			{"agency org admin: own agency", gAdmin, &millwav1.ApiKey{Role: agencyR, Organisation: agency}, codes.OK},
			{"agency org admin: ROLE_ADMIN", gAdmin, &millwav1.ApiKey{Role: admin}, codes.PermissionDenied},
			{"plain key: own association", aPlain, &millwav1.ApiKey{Role: assocR, Organisation: a}, codes.PermissionDenied},
			{"plain key: ROLE_ADMIN", aPlain, &millwav1.ApiKey{Role: admin}, codes.PermissionDenied},
		}
		for _, tt := range tests {
			for _, transport := range []string{"grpc", "rest"} {
				t.Run(tt.name+"/"+transport, func(t *testing.T) {
					key := proto.Clone(tt.key).(*millwav1.ApiKey)
					key.DisplayName = tt.name + " over " + transport
					before := countState(t, ts)
					var got *millwav1.CreateApiKeyResponse
					if transport == "grpc" {
						resp, err := millwav1.NewIdentityServiceClient(ts.dial(t, tt.caller)).CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{ApiKey: key})
						wantCode(t, "CreateApiKey", err, tt.want)
						got = resp
					} else {
						res := ts.restAs(t, tt.caller, http.MethodPost, "/v1/apiKeys", jsonBody(t, key))
						if tt.want != codes.OK {
							restError(t, "POST /v1/apiKeys", res, http.StatusForbidden, tt.want)
						} else {
							got = &millwav1.CreateApiKeyResponse{}
							restOK(t, "POST /v1/apiKeys", res, got)
						}
					}
					if tt.want != codes.OK {
						checkNothingWritten(t, ts, before)
						return
					}
					want := proto.Clone(key).(*millwav1.ApiKey)
					want.State = millwav1.ApiKey_STATE_ACTIVE
					if diff := cmp.Diff(want, got.GetApiKey(), protocmp.Transform(),
						protocmp.IgnoreFields(&millwav1.ApiKey{}, "name", "key_prefix", "create_time", "update_time", "etag")); diff != "" {
						t.Errorf("created key (-want +got):\n%s", diff)
					}
					if !strings.HasPrefix(got.GetApiKey().GetName(), "apiKeys/") || !strings.HasPrefix(got.GetSecret(), got.GetApiKey().GetKeyPrefix()) {
						t.Errorf("created key %v with secret %q: want a name apiKeys/{id} and a key_prefix that starts the secret", got.GetApiKey(), got.GetSecret())
					}
					after := countState(t, ts)
					if after.APIKeys != before.APIKeys+1 || after.AuditEvents != before.AuditEvents+1 {
						t.Errorf("rows after creating a key: %+v, before %+v: want one more key and one more audit event", after, before)
					}
					who, err := millwav1.NewIdentityServiceClient(ts.dial(t, got.GetSecret())).WhoAmI(t.Context(), &millwav1.WhoAmIRequest{})
					if err != nil || who.GetApiKey() != got.GetApiKey().GetName() {
						t.Errorf("the new key's WhoAmI: %v, %v; want %s", who, err, got.GetApiKey().GetName())
					}
				})
			}
		}
	})
}

func TestCreateApiKeyRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.createAssociation(t, "210101").GetName()
		proc := ts.insertProcessor(t, "040101")
		_, aAdmin := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a, true)
		past := timestamppb.New(time.Now().Add(-time.Minute))
		ok := func(mutate func(k *millwav1.ApiKey)) *millwav1.ApiKey {
			k := &millwav1.ApiKey{DisplayName: "Oficina de acopio", Role: millwav1.Role_ROLE_ASSOCIATION, Organisation: a}
			mutate(k)
			return k
		}
		tests := []struct {
			name   string
			caller string
			req    *millwav1.CreateApiKeyRequest
			code   codes.Code
			fields []string
		}{
			{"no key", adminSecret, &millwav1.CreateApiKeyRequest{}, codes.InvalidArgument, []string{"api_key"}},
			{"no role", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.Role = 0 })},
				codes.InvalidArgument, []string{"api_key.role"}},
			{"unknown role", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.Role = 42 })},
				codes.InvalidArgument, []string{"api_key.role"}},
			{"admin with an organisation", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.Role = millwav1.Role_ROLE_ADMIN })},
				codes.InvalidArgument, []string{"api_key.organisation"}},
			{"org_admin on an admin key", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) {
				k.Role, k.Organisation, k.OrgAdmin = millwav1.Role_ROLE_ADMIN, "", true
			})}, codes.InvalidArgument, []string{"api_key.org_admin"}},
			{"expire_time in the past", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.ExpireTime = past })},
				codes.InvalidArgument, []string{"api_key.expire_time"}},
			{"expire_time out of range", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) {
				k.ExpireTime = &timestamppb.Timestamp{Seconds: 1 << 60}
			})}, codes.InvalidArgument, []string{"api_key.expire_time"}},
			{"organisation of the wrong kind", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.Organisation = proc })},
				codes.InvalidArgument, []string{"api_key.organisation"}},
			{"processor key for an association", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.Role = millwav1.Role_ROLE_PROCESSOR })},
				codes.InvalidArgument, []string{"api_key.organisation"}},
			{"no organisation", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.Organisation = "" })},
				codes.InvalidArgument, []string{"api_key.organisation"}},
			{"malformed organisation", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.Organisation = "associations/abc" })},
				codes.InvalidArgument, []string{"api_key.organisation"}},
			{"no display name", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.DisplayName = "  " })},
				codes.InvalidArgument, []string{"api_key.display_name"}},
			{"display name too long", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.DisplayName = strings.Repeat("ñ", 101) })},
				codes.InvalidArgument, []string{"api_key.display_name"}},
			{"output only: name", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.Name = "apiKeys/" + newID() })},
				codes.InvalidArgument, []string{"api_key.name"}},
			{"output only: key_prefix", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.KeyPrefix = "mlw_abcdefgh" })},
				codes.InvalidArgument, []string{"api_key.key_prefix"}},
			{"output only: state", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.State = millwav1.ApiKey_STATE_ACTIVE })},
				codes.InvalidArgument, []string{"api_key.state"}},
			{"output only: revoke_time", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.RevokeTime = past })},
				codes.InvalidArgument, []string{"api_key.revoke_time"}},
			{"output only: last_use_time", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.LastUseTime = past })},
				codes.InvalidArgument, []string{"api_key.last_use_time"}},
			{"output only: create_time", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.CreateTime = past })},
				codes.InvalidArgument, []string{"api_key.create_time"}},
			{"output only: update_time", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.UpdateTime = past })},
				codes.InvalidArgument, []string{"api_key.update_time"}},
			{"output only: etag", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.Etag = "r1" })},
				codes.InvalidArgument, []string{"api_key.etag"}},
			{"request_id with a space", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(*millwav1.ApiKey) {}), RequestId: "a b"},
				codes.InvalidArgument, []string{"request_id"}},
			{"request_id too long", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(*millwav1.ApiKey) {}), RequestId: strings.Repeat("x", 65)},
				codes.InvalidArgument, []string{"request_id"}},
			{"org admin: past expiry of own key", aAdmin, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) { k.ExpireTime = past })},
				codes.InvalidArgument, []string{"api_key.expire_time"}},
			{"association that does not exist", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) {
				k.Organisation = "associations/" + newID()
			})}, codes.NotFound, nil},
			{"processor that does not exist", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) {
				k.Role, k.Organisation = millwav1.Role_ROLE_PROCESSOR, "processors/"+newID()
			})}, codes.NotFound, nil},
			{"agency that does not exist", adminSecret, &millwav1.CreateApiKeyRequest{ApiKey: ok(func(k *millwav1.ApiKey) {
				k.Role, k.Organisation = millwav1.Role_ROLE_AGENCY, "agencies/"+newID()
			})}, codes.NotFound, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := countState(t, ts)
				_, err := millwav1.NewIdentityServiceClient(ts.dial(t, tt.caller)).CreateApiKey(t.Context(), tt.req)
				st := wantCode(t, "CreateApiKey", err, tt.code)
				if diff := cmp.Diff(tt.fields, badRequestFields(st)); diff != "" {
					t.Errorf("violated fields (-want +got):\n%s", diff)
				}
				if tt.code == codes.NotFound && !strings.Contains(st.Message(), tt.req.GetApiKey().GetOrganisation()) {
					t.Errorf("NotFound message %q does not name %s", st.Message(), tt.req.GetApiKey().GetOrganisation())
				}
				checkNothingWritten(t, ts, before)
			})
		}

		// Over REST, the violations come back in the google.rpc.Status body.
		before := countState(t, ts)
		res := ts.rest(t, http.MethodPost, "/v1/apiKeys", `{"displayName": "x", "role": "ROLE_ADMIN", "orgAdmin": true}`)
		st := restError(t, "POST /v1/apiKeys with org_admin on an admin key", res, http.StatusBadRequest, codes.InvalidArgument)
		if diff := cmp.Diff([]string{"api_key.org_admin"}, badRequestFields(st)); diff != "" {
			t.Errorf("REST violations (-want +got):\n%s", diff)
		}
		checkNothingWritten(t, ts, before)
	})
}

func TestApiKeySecretIsShownOnceAndNeverStored(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.createAssociation(t, "210101").GetName()
		resp, err := millwav1.NewIdentityServiceClient(ts.conn).CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{
			ApiKey:    &millwav1.ApiKey{DisplayName: "secret keeper", Role: millwav1.Role_ROLE_ASSOCIATION, Organisation: a},
			RequestId: "secret-once",
		})
		if err != nil {
			t.Fatal(err)
		}
		secret := resp.GetSecret()
		if !regexp.MustCompile(`^mlw_[A-Za-z0-9_-]{43}$`).MatchString(secret) {
			t.Fatalf("secret %q: want mlw_ and 43 base64url characters", secret)
		}
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(secret, "mlw_"))
		if err != nil || len(raw) != 32 {
			t.Fatalf("secret %q does not hold 32 bytes: %v", secret, err)
		}
		if got := resp.GetApiKey().GetKeyPrefix(); got != secret[:12] {
			t.Errorf("key_prefix = %q, want the secret's first 12 characters %q", got, secret[:12])
		}

		// It works at once, over both transports.
		who, err := millwav1.NewIdentityServiceClient(ts.dial(t, secret)).WhoAmI(t.Context(), &millwav1.WhoAmIRequest{})
		if err != nil || who.GetApiKey() != resp.GetApiKey().GetName() {
			t.Fatalf("WhoAmI with the new secret: %v %v", who, err)
		}
		var rest millwav1.WhoAmIResponse
		restOK(t, "GET /v1/me with the new secret", ts.restAs(t, secret, http.MethodGet, "/v1/me", ""), &rest)

		// The database holds its digest and nothing else of it: every
		// column of every table is searched for the secret and its bytes.
		db, rebind := ts.rawDB(t)
		var digest []byte
		if err := db.QueryRowContext(t.Context(), rebind(`SELECT key_digest FROM api_keys WHERE id = ?`), idOf(resp.GetApiKey().GetName())).Scan(&digest); err != nil {
			t.Fatal(err)
		}
		if want := sha256.Sum256([]byte(secret)); !bytes.Equal(digest, want[:]) {
			t.Errorf("key_digest = %x, want SHA-256 of the secret %x", digest, want)
		}
		needles := map[string][]byte{"secret": []byte(secret), "secret bytes": raw, "base64 part": []byte(secret[4:])}
		tables := tableNames(t, db, strings.HasPrefix(dbURL, "sqlite:"))
		if len(tables) < 5 {
			t.Fatalf("found only tables %v", tables)
		}
		for _, table := range tables {
			scanTable(t, db, table, func(column string, value []byte) {
				for what, needle := range needles {
					if bytes.Contains(value, needle) {
						t.Errorf("%s.%s holds the %s", table, column, what)
					}
				}
			})
		}

		// Lists never show it; a retry does not repeat it.
		list, err := millwav1.NewIdentityServiceClient(ts.conn).ListApiKeys(t.Context(), &millwav1.ListApiKeysRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := protojson.Marshal(list); bytes.Contains(b, []byte(secret[4:])) {
			t.Errorf("ListApiKeys shows the secret: %s", b)
		}
		if res := ts.rest(t, http.MethodGet, "/v1/apiKeys", ""); bytes.Contains(res.body, []byte(secret[4:])) {
			t.Errorf("GET /v1/apiKeys shows the secret: %s", res.body)
		}
		_, err = millwav1.NewIdentityServiceClient(ts.conn).CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{
			ApiKey:    &millwav1.ApiKey{DisplayName: "secret keeper", Role: millwav1.Role_ROLE_ASSOCIATION, Organisation: a},
			RequestId: "secret-once",
		})
		if st := wantCode(t, "retried CreateApiKey", err, codes.FailedPrecondition); strings.Contains(st.String(), secret[4:]) {
			t.Errorf("the retry's error shows the secret: %v", st)
		}
	})
}

// tableNames lists the tables of the database.
func tableNames(t *testing.T, db *sql.DB, sqlite bool) []string {
	t.Helper()
	q := `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`
	if sqlite {
		q = `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1`
	}
	rows, err := db.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// scanTable calls fn with every non-NULL value of the table, as bytes.
func scanTable(t *testing.T, db *sql.DB, table string, fn func(column string, value []byte)) {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT * FROM "`+table+`"`)
	if err != nil {
		t.Fatalf("reading %s: %v", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		values := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range values {
			ptrs[i] = &values[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("reading %s: %v", table, err)
		}
		for i, v := range values {
			switch v := v.(type) {
			case nil:
			case []byte:
				fn(cols[i], v)
			case string:
				fn(cols[i], []byte(v))
			default:
				fn(cols[i], []byte(fmt.Sprint(v)))
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// listKeyNames lists every key the caller sees with the filter, over gRPC
// or REST, following pages of pageSize.
func listKeyNames(t *testing.T, ts *testServer, secret, transport, filter string, pageSize int32) ([]string, error) {
	t.Helper()
	var names []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("ListApiKeys does not end")
		}
		var resp *millwav1.ListApiKeysResponse
		if transport == "grpc" {
			var err error
			resp, err = millwav1.NewIdentityServiceClient(ts.dial(t, secret)).ListApiKeys(t.Context(),
				&millwav1.ListApiKeysRequest{Filter: filter, PageSize: pageSize, PageToken: token})
			if err != nil {
				return nil, err
			}
		} else {
			q := url.Values{"filter": {filter}, "pageSize": {fmt.Sprint(pageSize)}, "pageToken": {token}}
			res := ts.restAs(t, secret, http.MethodGet, "/v1/apiKeys?"+q.Encode(), "")
			if res.code != http.StatusOK {
				var sp spb.Status
				if err := protojson.Unmarshal(res.body, &sp); err != nil {
					t.Fatalf("GET /v1/apiKeys: HTTP %d %s", res.code, res.body)
				}
				return nil, status.FromProto(&sp).Err()
			}
			resp = &millwav1.ListApiKeysResponse{}
			restOK(t, "GET /v1/apiKeys", res, resp)
		}
		if pageSize > 0 && len(resp.GetApiKeys()) > int(pageSize) {
			t.Fatalf("page of %d keys, page_size %d", len(resp.GetApiKeys()), pageSize)
		}
		for _, k := range resp.GetApiKeys() {
			names = append(names, k.GetName())
		}
		if token = resp.GetNextPageToken(); token == "" {
			return names, nil
		}
	}
}

func TestListApiKeysVisibilityFiltersAndPaging(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.createAssociation(t, "210101").GetName()
		b := ts.createAssociation(t, "080101").GetName()
		proc := ts.insertProcessor(t, "040101")
		agency := ts.insertAgency(t, "21")

		boot := bootAdminKey(t, ts)
		aAdmin, aAdminSecret := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a, true)
		aPlain, aPlainSecret := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a, false)
		aRevoked, aRevokedSecret := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a, false)
		aExpired, aExpiredSecret := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a, false)
		bAdmin, _ := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, b, true)
		bPlain, bPlainSecret := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, b, false)
		pPlain, pPlainSecret := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, proc, false)
		gPlain, gPlainSecret := ts.createKey(t, millwav1.Role_ROLE_AGENCY, agency, false)
		if _, err := millwav1.NewIdentityServiceClient(ts.conn).RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: aRevoked}); err != nil {
			t.Fatal(err)
		}
		expireKey(t, ts, aExpired)
		all := []string{boot, aAdmin, aPlain, aRevoked, aExpired, bAdmin, bPlain, pPlain, gPlain}

		tests := []struct {
			name   string
			caller string
			filter string
			want   []string
		}{
			{"admin sees every key", adminSecret, "", all},
			{"org admin sees its organisation's", aAdminSecret, "", []string{aAdmin, aPlain, aRevoked, aExpired}},
			{"plain association key sees itself", aPlainSecret, "", []string{aPlain}},
			{"other association's plain key sees itself", bPlainSecret, "", []string{bPlain}},
			{"processor key sees itself", pPlainSecret, "", []string{pPlain}},
			{"agency key sees itself", gPlainSecret, "", []string{gPlain}},
			{"role", adminSecret, `role = "ROLE_ASSOCIATION"`, []string{aAdmin, aPlain, aRevoked, aExpired, bAdmin, bPlain}},
			{"role without prefix", adminSecret, `role = "agency"`, []string{gPlain}},
			{"role admin", adminSecret, `role = "ROLE_ADMIN"`, []string{boot}},
			{"organisation", adminSecret, `organisation = "` + b + `"`, []string{bAdmin, bPlain}},
			{"state revoked", adminSecret, `state = "STATE_REVOKED"`, []string{aRevoked}},
			{"state expired", adminSecret, `state = "STATE_EXPIRED"`, []string{aExpired}},
			{"state active", adminSecret, `state = "STATE_ACTIVE"`, []string{boot, aAdmin, aPlain, bAdmin, bPlain, pPlain, gPlain}},
			{"org_admin", adminSecret, `org_admin = true`, []string{aAdmin, bAdmin}},
			{"combined", adminSecret, `role = "ROLE_ASSOCIATION" AND org_admin = false AND state = "STATE_ACTIVE"`, []string{aPlain, bPlain}},
			{"org admin filters within its organisation", aAdminSecret, `state = "STATE_ACTIVE"`, []string{aAdmin, aPlain}},
			{"org admin cannot filter its way out", aAdminSecret, `organisation = "` + b + `"`, nil},
			{"plain key cannot filter its way out", aPlainSecret, `role = "ROLE_ADMIN"`, nil},
		}
		for _, tt := range tests {
			for _, transport := range []string{"grpc", "rest"} {
				t.Run(tt.name+"/"+transport, func(t *testing.T) {
					got, err := listKeyNames(t, ts, tt.caller, transport, tt.filter, 0)
					if err != nil {
						t.Fatalf("ListApiKeys(filter %q): %v", tt.filter, err)
					}
					if diff := cmp.Diff(tt.want, got); diff != "" {
						t.Errorf("ListApiKeys(filter %q) (-want +got):\n%s", tt.filter, diff)
					}
				})
			}
		}

		t.Run("pages", func(t *testing.T) {
			for _, size := range []int32{1, 2, 4, 9, 500, 1000} {
				got, err := listKeyNames(t, ts, adminSecret, "grpc", "", size)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(all, got); diff != "" {
					t.Errorf("pages of %d (-want +got):\n%s", size, diff)
				}
			}
			got, err := listKeyNames(t, ts, adminSecret, "rest", `role = "ROLE_ASSOCIATION"`, 4)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{aAdmin, aPlain, aRevoked, aExpired, bAdmin, bPlain}, got); diff != "" {
				t.Errorf("filtered REST pages of 4 (-want +got):\n%s", diff)
			}
		})

		t.Run("states and no secrets", func(t *testing.T) {
			resp, err := millwav1.NewIdentityServiceClient(ts.conn).ListApiKeys(t.Context(), &millwav1.ListApiKeysRequest{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]millwav1.ApiKey_State{}
			for _, k := range resp.GetApiKeys() {
				got[k.GetName()] = k.GetState()
				if (k.GetState() == millwav1.ApiKey_STATE_REVOKED) != (k.GetRevokeTime() != nil) {
					t.Errorf("%s: state %v with revoke_time %v", k.GetName(), k.GetState(), k.GetRevokeTime())
				}
				if len(k.GetKeyPrefix()) != 12 || k.GetCreateTime() == nil || k.GetEtag() == "" {
					t.Errorf("%s lacks output fields: %v", k.GetName(), k)
				}
			}
			want := map[string]millwav1.ApiKey_State{}
			for _, n := range all {
				want[n] = millwav1.ApiKey_STATE_ACTIVE
			}
			want[aRevoked], want[aExpired] = millwav1.ApiKey_STATE_REVOKED, millwav1.ApiKey_STATE_EXPIRED
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("states (-want +got):\n%s", diff)
			}
			for _, secret := range []string{aRevokedSecret, aExpiredSecret} {
				_, err := millwav1.NewIdentityServiceClient(ts.dial(t, secret)).ListApiKeys(t.Context(), &millwav1.ListApiKeysRequest{})
				wantCode(t, "ListApiKeys with a revoked or expired key", err, codes.Unauthenticated)
			}
		})

		t.Run("invalid requests", func(t *testing.T) {
			client := millwav1.NewIdentityServiceClient(ts.conn)
			first, err := client.ListApiKeys(t.Context(), &millwav1.ListApiKeysRequest{PageSize: 1})
			if err != nil || first.GetNextPageToken() == "" {
				t.Fatalf("first page: %v %v", first, err)
			}
			for _, tt := range []struct {
				name string
				req  *millwav1.ListApiKeysRequest
				want []string
			}{
				{"negative page size", &millwav1.ListApiKeysRequest{PageSize: -1}, []string{"page_size"}},
				{"unknown role", &millwav1.ListApiKeysRequest{Filter: `role = "ROLE_KING"`}, []string{"filter"}},
				{"unknown state", &millwav1.ListApiKeysRequest{Filter: `state = "STATE_SLEEPING"`}, []string{"filter"}},
				{"unknown field", &millwav1.ListApiKeysRequest{Filter: `key_digest = "x"`}, []string{"filter"}},
				{"malformed", &millwav1.ListApiKeysRequest{Filter: `role =`}, []string{"filter"}},
				{"garbage token", &millwav1.ListApiKeysRequest{PageToken: "%%%"}, []string{"page_token"}},
				{"token of another filter", &millwav1.ListApiKeysRequest{PageSize: 1, PageToken: first.GetNextPageToken(), Filter: `org_admin = true`}, []string{"page_token"}},
			} {
				_, err := client.ListApiKeys(t.Context(), tt.req)
				if diff := cmp.Diff(tt.want, fieldViolations(t, err)); diff != "" {
					t.Errorf("%s: violations (-want +got):\n%s", tt.name, diff)
				}
			}
		})
	})
}

func TestRevokeApiKey(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.createAssociation(t, "210101").GetName()
		b := ts.createAssociation(t, "080101").GetName()
		aAdmin, aAdminSecret := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a, true)
		aPlain, aPlainSecret := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a, false)
		aSelf, aSelfSecret := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a, false)
		aOther, _ := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a, false)
		bPlain, bPlainSecret := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, b, false)
		admin := millwav1.NewIdentityServiceClient(ts.conn)
		asA := millwav1.NewIdentityServiceClient(ts.dial(t, aAdminSecret))
		whoAmI := func(secret string) error {
			_, err := millwav1.NewIdentityServiceClient(ts.dial(t, secret)).WhoAmI(t.Context(), &millwav1.WhoAmIRequest{})
			return err
		}

		t.Run("revoked key is refused at once", func(t *testing.T) {
			if err := whoAmI(aPlainSecret); err != nil {
				t.Fatalf("before revoking: %v", err)
			}
			restOK(t, "GET /v1/me before revoking", ts.restAs(t, aPlainSecret, http.MethodGet, "/v1/me", ""), &millwav1.WhoAmIResponse{})
			read, err := asA.ListApiKeys(t.Context(), &millwav1.ListApiKeysRequest{Filter: `org_admin = false`, PageSize: 1})
			if err != nil || read.GetApiKeys()[0].GetName() != aPlain {
				t.Fatalf("reading %s: %v %v", aPlain, read, err)
			}
			before := read.GetApiKeys()[0]
			resp, err := asA.RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: aPlain, Etag: before.GetEtag()})
			if err != nil {
				t.Fatalf("RevokeApiKey with a fresh etag: %v", err)
			}
			got := resp.GetApiKey()
			if got.GetState() != millwav1.ApiKey_STATE_REVOKED || got.GetRevokeTime() == nil || got.GetEtag() == before.GetEtag() ||
				!got.GetUpdateTime().AsTime().Equal(got.GetRevokeTime().AsTime()) {
				t.Errorf("revoked key %v: want state REVOKED, a revoke_time equal to update_time and a new etag", got)
			}
			wantCode(t, "gRPC call with a revoked key", whoAmI(aPlainSecret), codes.Unauthenticated)
			restError(t, "REST call with a revoked key", ts.restAs(t, aPlainSecret, http.MethodGet, "/v1/me", ""), http.StatusUnauthorized, codes.Unauthenticated)

			// Revoking again changes nothing.
			before2 := countState(t, ts)
			_, err = admin.RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: aPlain})
			wantCode(t, "revoking twice", err, codes.FailedPrecondition)
			restError(t, "revoking twice over REST", ts.rest(t, http.MethodPost, "/v1/"+aPlain+":revoke", `{}`), http.StatusBadRequest, codes.FailedPrecondition)
			// A stale etag says so before anything else.
			_, err = admin.RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: aPlain, Etag: before.GetEtag()})
			wantCode(t, "revoking with the etag read before the revocation", err, codes.Aborted)
			checkNothingWritten(t, ts, before2)
		})

		t.Run("stale etag changes nothing", func(t *testing.T) {
			before := countState(t, ts)
			_, err := admin.RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: aOther, Etag: "not-the-etag"})
			wantCode(t, "RevokeApiKey with a stale etag", err, codes.Aborted)
			res := ts.rest(t, http.MethodPost, "/v1/"+aOther+":revoke", `{"etag": "not-the-etag"}`)
			restError(t, "REST revoke with a stale etag", res, http.StatusConflict, codes.Aborted)
			checkNothingWritten(t, ts, before)
		})

		t.Run("another organisation's key is not found", func(t *testing.T) {
			before := countState(t, ts)
			missing := "apiKeys/" + newID()
			_, hidden := asA.RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: bPlain})
			_, absent := asA.RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: missing})
			sameNotFound(t, "RevokeApiKey", hidden, idOf(bPlain), absent, idOf(missing))
			// A plain key cannot see its siblings either.
			_, hidden = millwav1.NewIdentityServiceClient(ts.dial(t, aSelfSecret)).RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: aAdmin})
			sameNotFound(t, "RevokeApiKey by a plain key", hidden, idOf(aAdmin), absent, idOf(missing))

			hiddenREST := restError(t, "REST revoke of another organisation's key",
				ts.restAs(t, aAdminSecret, http.MethodPost, "/v1/"+bPlain+":revoke", `{}`), http.StatusNotFound, codes.NotFound)
			absentREST := restError(t, "REST revoke of a missing key",
				ts.restAs(t, aAdminSecret, http.MethodPost, "/v1/"+missing+":revoke", `{}`), http.StatusNotFound, codes.NotFound)
			sameNotFound(t, "REST revoke", hiddenREST.Err(), idOf(bPlain), absentREST.Err(), idOf(missing))
			checkNothingWritten(t, ts, before)
			if err := whoAmI(bPlainSecret); err != nil {
				t.Errorf("the other organisation's key stopped working: %v", err)
			}
		})

		t.Run("any key may revoke itself", func(t *testing.T) {
			resp, err := millwav1.NewIdentityServiceClient(ts.dial(t, aSelfSecret)).RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: aSelf})
			if err != nil || resp.GetApiKey().GetState() != millwav1.ApiKey_STATE_REVOKED {
				t.Fatalf("a plain key revoking itself: %v %v", resp, err)
			}
			wantCode(t, "the self-revoked key", whoAmI(aSelfSecret), codes.Unauthenticated)

			// And over REST, as the org admin for its own organisation.
			var revoked millwav1.RevokeApiKeyResponse
			restOK(t, "REST revoke by the org admin", ts.restAs(t, aAdminSecret, http.MethodPost, "/v1/"+aOther+":revoke", `{}`), &revoked)
			if revoked.GetApiKey().GetName() != aOther || revoked.GetApiKey().GetState() != millwav1.ApiKey_STATE_REVOKED {
				t.Errorf("REST revoke answered %v", &revoked)
			}
		})

		// Last, as it revokes the server's first admin key.
		t.Run("last active admin key", func(t *testing.T) {
			boot := bootAdminKey(t, ts)
			before := countState(t, ts)
			_, err := admin.RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: boot})
			wantCode(t, "revoking the only admin key", err, codes.FailedPrecondition)
			checkNothingWritten(t, ts, before)

			// An expired admin key does not count.
			expired := newKey(t, ts.conn, &millwav1.ApiKey{Role: millwav1.Role_ROLE_ADMIN}).GetApiKey().GetName()
			expireKey(t, ts, expired)
			_, err = admin.RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: boot})
			wantCode(t, "revoking the only active admin key beside an expired one", err, codes.FailedPrecondition)

			second := newKey(t, ts.conn, &millwav1.ApiKey{Role: millwav1.Role_ROLE_ADMIN})
			asSecond := millwav1.NewIdentityServiceClient(ts.dial(t, second.GetSecret()))
			if _, err := asSecond.RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: boot}); err != nil {
				t.Fatalf("revoking the first admin key when another is active: %v", err)
			}
			_, err = asSecond.RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: second.GetApiKey().GetName()})
			wantCode(t, "revoking the last admin key", err, codes.FailedPrecondition)
			// The expired admin key may still be revoked.
			if _, err := asSecond.RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: expired}); err != nil {
				t.Errorf("revoking an expired admin key: %v", err)
			}
		})
	})
}

// TestRevokeAdminKeysConcurrently revokes every active admin key at once:
// exactly one revocation must fail, or the platform is left without an
// admin.
func TestRevokeAdminKeysConcurrently(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		secrets := []string{adminSecret}
		names := []string{bootAdminKey(t, ts)}
		for range 4 {
			k := newKey(t, ts.conn, &millwav1.ApiKey{Role: millwav1.Role_ROLE_ADMIN})
			secrets, names = append(secrets, k.GetSecret()), append(names, k.GetApiKey().GetName())
		}
		clients := make([]millwav1.IdentityServiceClient, len(secrets))
		for i, s := range secrets {
			clients[i] = millwav1.NewIdentityServiceClient(ts.dial(t, s))
			if _, err := clients[i].WhoAmI(t.Context(), &millwav1.WhoAmIRequest{}); err != nil {
				t.Fatal(err)
			}
		}
		start := make(chan struct{})
		errs := make([]error, len(secrets))
		var wg sync.WaitGroup
		for i := range secrets {
			wg.Go(func() {
				<-start
				_, errs[i] = clients[i].RevokeApiKey(context.Background(), &millwav1.RevokeApiKeyRequest{Name: names[i]})
			})
		}
		close(start)
		wg.Wait()
		got := map[codes.Code]int{}
		for _, err := range errs {
			got[status.Code(err)]++
		}
		if diff := cmp.Diff(map[codes.Code]int{codes.OK: len(secrets) - 1, codes.FailedPrecondition: 1}, got); diff != "" {
			t.Errorf("answers to revoking all %d admin keys at once (-want +got):\n%s", len(secrets), diff)
		}
		if n := countRows(t, ts, `SELECT COUNT(*) FROM api_keys WHERE role = 'admin' AND revoke_time IS NULL`); n != 1 {
			t.Errorf("%d admin keys left unrevoked, want 1", n)
		}
	})
}
