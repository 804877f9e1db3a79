package server_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestRevokedKeyIsRefusedOnEveryReplica: a key revoked on replica A is
// refused by A at once, and by replica B (a second server on the same
// PostgreSQL, which verified the key before) once B's cached principal
// lapses: eventually, well within the generous bound this test allows.
func TestRevokedKeyIsRefusedOnEveryReplica(t *testing.T) {
	t.Parallel()
	dbURL := storetest.PostgresURL(t)
	a, b := startServer(t, dbURL), startServer(t, dbURL)
	name, secret := a.createKey(t, millwav1.Role_ROLE_PROCESSOR, a.insertProcessor(t, "040101"), false)
	onA := millwav1.NewIdentityServiceClient(a.dial(t, secret))
	onB := millwav1.NewIdentityServiceClient(b.dial(t, secret))
	for _, c := range []struct {
		replica string
		client  millwav1.IdentityServiceClient
	}{{"A", onA}, {"B", onB}} {
		// Twice, so that the second call may be served from the cache.
		for range 2 {
			if _, err := c.client.WhoAmI(t.Context(), &millwav1.WhoAmIRequest{}); err != nil {
				t.Fatalf("WhoAmI on replica %s before revoking: %v", c.replica, err)
			}
		}
	}

	if _, err := millwav1.NewIdentityServiceClient(a.conn).RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	if _, err := onA.WhoAmI(t.Context(), &millwav1.WhoAmIRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("WhoAmI on the replica that revoked the key, right after: %v, want Unauthenticated", err)
	}
	const bound = 30 * time.Second
	deadline := time.Now().Add(bound)
	for {
		_, err := onB.WhoAmI(t.Context(), &millwav1.WhoAmIRequest{})
		if status.Code(err) == codes.Unauthenticated {
			break
		}
		if err != nil {
			t.Fatalf("WhoAmI on replica B after the revocation: %v, want OK until refused, then Unauthenticated", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica B still accepts the key revoked on replica A %v later", bound)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Refused for good.
	if _, err := onB.WhoAmI(t.Context(), &millwav1.WhoAmIRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("WhoAmI on replica B once refused: %v, want Unauthenticated", err)
	}
}

// TestNewKeyWorksAtOnceOnItsReplica: a key created on a replica works on
// it in the first call after the creation, and on another replica too (a
// server-made secret cannot have been refused there before).
func TestNewKeyWorksAtOnceOnItsReplica(t *testing.T) {
	t.Parallel()
	dbURL := storetest.PostgresURL(t)
	a, b := startServer(t, dbURL), startServer(t, dbURL)
	_, secret := a.createKey(t, millwav1.Role_ROLE_PROCESSOR, a.insertProcessor(t, "040101"), false)
	for replica, ts := range map[string]*testServer{"A": a, "B": b} {
		if _, err := millwav1.NewIdentityServiceClient(ts.dial(t, secret)).WhoAmI(t.Context(), &millwav1.WhoAmIRequest{}); err != nil {
			t.Errorf("WhoAmI with a new key on replica %s: %v", replica, err)
		}
	}
}
