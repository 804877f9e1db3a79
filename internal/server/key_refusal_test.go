package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/server"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// countingKeys is a KeyStore that counts the keys authentication reads.
type countingKeys struct {
	auth.KeyStore
	lookups atomic.Int64
}

func (c *countingKeys) LookupAPIKey(ctx context.Context, digest [32]byte) (millwa.APIKey, error) {
	c.lookups.Add(1)
	return c.KeyStore.LookupAPIKey(ctx, digest)
}

// withCountingKeys returns the option that has the server read keys
// through counter.
func withCountingKeys(counter *countingKeys) server.Option {
	return server.WithKeyStore(func(ks auth.KeyStore) auth.KeyStore {
		counter.KeyStore = ks
		return counter
	})
}

// callWithKey calls WhoAmI on conn's server with secret as the bearer key.
func callWithKey(ctx context.Context, client millwav1.IdentityServiceClient, secret string) error {
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+secret)
	_, err := client.WhoAmI(ctx, &millwav1.WhoAmIRequest{})
	return err
}

// TestGuessedKeysAreLimitedBeforeTheDatabase: a burst of guessed keys is
// rate-limited before any key is read, so that it causes at most the
// burst's worth of database reads; a secret refused once is refused from
// memory; calls refused with PermissionDenied are rate-limited too.
func TestGuessedKeysAreLimitedBeforeTheDatabase(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		const burst = 5
		counter := &countingKeys{}
		ts := startServerWith(t, dbURL, func(c *config.Config) { c.RateLimit, c.RateBurst = 0.1, burst }, withCountingKeys(counter))
		_, procKey := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, ts.insertProcessor(t, "040101"), false)

		anon := millwav1.NewIdentityServiceClient(ts.dial(t, ""))
		before := counter.lookups.Load()
		codesSeen := map[codes.Code]int{}
		for i := range 600 {
			codesSeen[status.Code(callWithKey(t.Context(), anon, fmt.Sprintf("mlw_guess-%04d-0123456789abcdefghijklmnop", i)))]++
		}
		read := counter.lookups.Load() - before
		if read > burst || codesSeen[codes.ResourceExhausted] < 600-burst || codesSeen[codes.Unauthenticated]+codesSeen[codes.ResourceExhausted] != 600 {
			t.Errorf("600 guessed keys: %d keys read from the database, answers %v; want at most %d reads, the rest ResourceExhausted",
				read, codesSeen, burst)
		}

		// A processor key calling what its role may not: PermissionDenied
		// until its burst is spent, then ResourceExhausted.
		reg := millwav1.NewRegistryServiceClient(ts.dial(t, procKey))
		denied := map[codes.Code]int{}
		for range 3 * burst {
			_, err := reg.CreateAssociation(t.Context(), &millwav1.CreateAssociationRequest{Association: newAssociation(int(fixtureN.Add(1)), "210101")})
			denied[status.Code(err)]++
		}
		if denied[codes.PermissionDenied] > burst || denied[codes.ResourceExhausted] < 2*burst {
			t.Errorf("%d calls refused by the policy table: answers %v; want at most %d PermissionDenied, the rest ResourceExhausted", 3*burst, denied, burst)
		}
	})
}

// TestUnknownKeyIsCachedNegatively: the same unknown secret, sent again
// and again within the rate, is read from the database once.
func TestUnknownKeyIsCachedNegatively(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		counter := &countingKeys{}
		ts := startServer(t, dbURL, withCountingKeys(counter))
		client := millwav1.NewIdentityServiceClient(ts.dial(t, ""))
		before := counter.lookups.Load()
		for i := range 40 {
			if err := callWithKey(t.Context(), client, "mlw_not-a-key-0123456789abcdefghijklmnopq"); status.Code(err) != codes.Unauthenticated {
				t.Fatalf("call %d with an unknown key: %v, want Unauthenticated", i, err)
			}
		}
		if read := counter.lookups.Load() - before; read != 1 {
			t.Errorf("40 calls with one unknown key read the key %d times, want once", read)
		}
	})
}

// TestRefusedKeysLookAlike: unknown, revoked and expired keys get the same
// answer, over gRPC and REST, which names no key, prefix or time; the
// server's log says which it was.
func TestRefusedKeysLookAlike(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		org := ts.insertProcessor(t, "040101")
		revokedName, revoked := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, org, false)
		if _, err := millwav1.NewIdentityServiceClient(ts.conn).RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: revokedName}); err != nil {
			t.Fatal(err)
		}
		expiredName, expired := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, org, false)
		db, rebind := ts.rawDB(t)
		if _, err := db.ExecContext(t.Context(), rebind(`UPDATE api_keys SET expire_time = ? WHERE id = ?`),
			time.Now().Add(-time.Minute).UTC().Format("2006-01-02T15:04:05.000000Z"), strings.TrimPrefix(expiredName, "apiKeys/")); err != nil {
			t.Fatal(err)
		}
		unknown := "mlw_unknownunknown0123456789abcdefghijklmnop"

		client := millwav1.NewIdentityServiceClient(ts.dial(t, ""))
		var first string
		for _, k := range []struct{ what, secret, name string }{
			{"unknown", unknown, ""}, {"revoked", revoked, revokedName}, {"expired", expired, expiredName},
		} {
			st := status.Convert(callWithKey(t.Context(), client, k.secret))
			rest := restError(t, k.what+" key over REST", ts.restAs(t, k.secret, http.MethodGet, "/v1/me", ""), http.StatusUnauthorized, codes.Unauthenticated)
			if st.Code() != codes.Unauthenticated {
				t.Fatalf("%s key: %v (%q), want Unauthenticated", k.what, st.Code(), st.Message())
			}
			if first == "" {
				first = st.Message()
			}
			if st.Message() != first || rest.Message() != first {
				t.Errorf("%s key answers %q over gRPC and %q over REST; want the unknown key's %q", k.what, st.Message(), rest.Message(), first)
			}
			if prefix := auth.Prefix(k.secret); strings.Contains(st.Message(), prefix) || strings.Contains(st.Message(), "apiKeys/") ||
				strings.Contains(st.Message(), fmt.Sprint(time.Now().Year())) {
				t.Errorf("%s key's answer %q reveals the key, its prefix %q or a time", k.what, st.Message(), prefix)
			}
			if k.name != "" && !strings.Contains(ts.logs.String(), fmt.Sprintf(`"reason":%q,"cached":false,"key":%q,"key_prefix":%q`, k.what, k.name, auth.Prefix(k.secret))) {
				t.Errorf("the log does not say that %s (%s…) was refused as %s:\n%s", k.name, auth.Prefix(k.secret), k.what, ts.logs.String())
			}
			if strings.Contains(ts.logs.String(), k.secret) {
				t.Errorf("the log holds the %s key's secret", k.what)
			}
		}
		if !strings.Contains(ts.logs.String(), `"reason":"unknown"`) {
			t.Errorf("the log does not say that an unknown key was refused")
		}
	})
}

// TestShortLivedKeyCannotMintLongerOne: an admin key that expires in an
// hour cannot create a key that never expires, or expires later than it,
// over the API; one that expires with it is created.
func TestShortLivedKeyCannotMintLongerOne(t *testing.T) {
	t.Parallel()
	ts := startServer(t, storetest.SQLiteURL(t))
	expire := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	resp, err := millwav1.NewIdentityServiceClient(ts.conn).CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{ApiKey: &millwav1.ApiKey{
		DisplayName: "an hour", Role: millwav1.Role_ROLE_ADMIN, ExpireTime: timestamppb.New(expire)}})
	if err != nil {
		t.Fatal(err)
	}
	short := millwav1.NewIdentityServiceClient(ts.dial(t, resp.GetSecret()))
	for _, later := range []*timestamppb.Timestamp{nil, timestamppb.New(expire.Add(time.Minute))} {
		_, err := short.CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{ApiKey: &millwav1.ApiKey{
			DisplayName: "forever", Role: millwav1.Role_ROLE_ADMIN, ExpireTime: later}})
		st := status.Convert(err)
		var said string
		for _, d := range st.Details() {
			if br, ok := d.(*errdetails.BadRequest); ok && len(br.GetFieldViolations()) == 1 && br.GetFieldViolations()[0].GetField() == "api_key.expire_time" {
				said = br.GetFieldViolations()[0].GetDescription()
			}
		}
		if st.Code() != codes.InvalidArgument || !strings.Contains(said, expire.Format(time.RFC3339)) {
			t.Errorf("a key expiring at %v creating one expiring at %v: %v (%q, details %v); want InvalidArgument on api_key.expire_time naming %v",
				expire, later, st.Code(), st.Message(), st.Details(), expire.Format(time.RFC3339))
		}
	}
	if _, err := short.CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{ApiKey: &millwav1.ApiKey{
		DisplayName: "as long", Role: millwav1.Role_ROLE_ADMIN, ExpireTime: timestamppb.New(expire)}}); err != nil {
		t.Errorf("a key creating one that expires with it: %v", err)
	}
}
