package auth

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/millwa/millwa/internal/millwa"
)

// countingStore is a KeyStore over a map of keys by digest that counts
// what authentication reads, and can hold a lookup until told to go on.
type countingStore struct {
	mu      sync.Mutex
	keys    map[[32]byte]millwa.APIKey
	regions map[string][]string

	lookups     atomic.Int64
	regionReads atomic.Int64
	// hold, when set, is received from before a lookup answers.
	hold chan struct{}
}

func (s *countingStore) set(digest [32]byte, k millwa.APIKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[digest] = k
}

func (s *countingStore) LookupAPIKey(_ context.Context, digest [32]byte) (millwa.APIKey, error) {
	s.lookups.Add(1)
	s.mu.Lock()
	k, ok := s.keys[digest]
	hold := s.hold
	s.mu.Unlock()
	if hold != nil {
		<-hold
	}
	if !ok {
		return millwa.APIKey{}, millwa.Errorf(millwa.NotFound, "no such key")
	}
	return k, nil
}

func (s *countingStore) AgencyRegions(_ context.Context, agencyID string) ([]string, error) {
	s.regionReads.Add(1)
	return s.regions[agencyID], nil
}

func (s *countingStore) TouchAPIKey(context.Context, string, time.Time) error { return nil }

// methodStream names the method of a call for grpc.Method.
type methodStream struct{ grpc.ServerTransportStream }

func (methodStream) Method() string { return "/millwa.v1.IdentityService/WhoAmI" }

// whoAmIContext is the context of a WhoAmI call presenting secret.
func whoAmIContext(secret string) context.Context {
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+secret))
	return grpc.NewContextWithServerTransportStream(ctx, methodStream{})
}

// testClock is a clock that moves only when told to.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// cacheFixture is an authenticator over a counting store holding one
// agency key, on a test clock.
type cacheFixture struct {
	store  *countingStore
	clock  *testClock
	secret string
	digest [32]byte
	key    millwa.APIKey
}

func newCacheFixture(t *testing.T) *cacheFixture {
	t.Helper()
	secret, digest, prefix, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	key := millwa.APIKey{ID: "0190e3c4-0000-7000-8000-0000000000a1", Role: millwa.RoleAgency,
		Organisation: "agencies/0190e3c4-0000-7000-8000-0000000000b1", KeyPrefix: prefix, CreateTime: start.Add(-time.Hour),
		LastUseTime: start}
	st := &countingStore{keys: map[[32]byte]millwa.APIKey{digest: key},
		regions: map[string][]string{"0190e3c4-0000-7000-8000-0000000000b1": {"08", "21"}}}
	return &cacheFixture{store: st, clock: &testClock{t: start}, secret: secret, digest: digest, key: key}
}

// authenticator returns a new authenticator (a replica) over the
// fixture's store and clock.
func (f *cacheFixture) authenticator() *Authenticator {
	a := NewAuthenticator(f.store, Policy, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.now = f.clock.now
	return a
}

// call authenticates secret and returns the principal, or the error's
// code.
func call(a *Authenticator, secret string) (millwa.Principal, millwa.Code) {
	ctx, err := a.Authenticate(whoAmIContext(secret))
	if err != nil {
		return millwa.Principal{}, millwa.ErrorCode(err)
	}
	p, _ := FromContext(ctx)
	return p, ""
}

func TestVerifiedPrincipalIsServedFromMemory(t *testing.T) {
	f := newCacheFixture(t)
	a := f.authenticator()
	for i := range 20 {
		p, code := call(a, f.secret)
		if code != "" || p.KeyID != f.key.ID || len(p.Regions) != 2 {
			t.Fatalf("call %d: principal %+v, code %q; want the agency key with its two regions", i, p, code)
		}
		f.clock.advance(PrincipalTTL / 40)
	}
	if n, r := f.store.lookups.Load(), f.store.regionReads.Load(); n != 1 || r != 1 {
		t.Errorf("20 calls within %v read the key %d times and the regions %d times, want once each", PrincipalTTL, n, r)
	}
	f.clock.advance(PrincipalTTL)
	if _, code := call(a, f.secret); code != "" {
		t.Fatalf("after the TTL: %q", code)
	}
	if n := f.store.lookups.Load(); n != 2 {
		t.Errorf("a call after the TTL read the key %d times in all, want 2 (read again)", n)
	}

	// With no TTL every call reads the key.
	a = f.authenticator()
	a.SetPrincipalTTL(0)
	before := f.store.lookups.Load()
	for range 3 {
		call(a, f.secret)
	}
	if n := f.store.lookups.Load() - before; n != 3 {
		t.Errorf("3 calls with a TTL of 0 read the key %d times, want 3", n)
	}
}

func TestRevocationTakesEffectAtOnceHereAndWithinTheTTLElsewhere(t *testing.T) {
	f := newCacheFixture(t)
	here, elsewhere := f.authenticator(), f.authenticator()
	for _, a := range []*Authenticator{here, elsewhere} {
		if _, code := call(a, f.secret); code != "" {
			t.Fatalf("before revoking: %q", code)
		}
	}
	revoked := f.key
	revoked.RevokeTime = f.clock.now()
	f.store.set(f.digest, revoked)
	here.Forget(f.key.ID)

	if _, code := call(here, f.secret); code != millwa.Unauthenticated {
		t.Errorf("on the replica that revoked it, the key answers %q, want Unauthenticated at once", code)
	}
	// Another replica trusts what it read until the TTL has passed since,
	// and no longer.
	if _, code := call(elsewhere, f.secret); code != "" {
		t.Errorf("another replica within the TTL: %q, want the principal it verified", code)
	}
	f.clock.advance(PrincipalTTL)
	if _, code := call(elsewhere, f.secret); code != millwa.Unauthenticated {
		t.Errorf("another replica once the TTL has passed: %q, want Unauthenticated", code)
	}
	// Refused from memory from then on.
	before := f.store.lookups.Load()
	for _, a := range []*Authenticator{here, elsewhere} {
		if _, code := call(a, f.secret); code != millwa.Unauthenticated {
			t.Errorf("again: %q, want Unauthenticated", code)
		}
	}
	if n := f.store.lookups.Load() - before; n != 0 {
		t.Errorf("refusing a revoked key again read it %d times, want 0", n)
	}
}

func TestCachedPrincipalNeverOutlivesTheKeysExpiry(t *testing.T) {
	f := newCacheFixture(t)
	expiring := f.key
	expiring.ExpireTime = f.clock.now().Add(PrincipalTTL / 4)
	f.store.set(f.digest, expiring)
	a := f.authenticator()
	if _, code := call(a, f.secret); code != "" {
		t.Fatalf("before expiry: %q", code)
	}
	f.clock.advance(PrincipalTTL/4 - time.Nanosecond)
	if _, code := call(a, f.secret); code != "" {
		t.Fatalf("a nanosecond before expiry: %q", code)
	}
	f.clock.advance(time.Nanosecond)
	if _, code := call(a, f.secret); code != millwa.Unauthenticated {
		t.Errorf("at the expire time, within the TTL: %q, want Unauthenticated", code)
	}
}

func TestNewKeyIsNotRefusedByAnEarlierRefusal(t *testing.T) {
	f := newCacheFixture(t)
	const chosen = "an-operator-chosen-admin-secret-0123456789"
	digest := Digest(chosen)
	here, elsewhere := f.authenticator(), f.authenticator()
	for _, a := range []*Authenticator{here, elsewhere} {
		for range 3 {
			if _, code := call(a, chosen); code != millwa.Unauthenticated {
				t.Fatalf("an unknown secret: %q, want Unauthenticated", code)
			}
		}
	}
	if n := f.store.lookups.Load(); n != 2 {
		t.Errorf("3 calls on each of 2 replicas with an unknown secret read it %d times, want once a replica", n)
	}

	f.store.set(digest, millwa.APIKey{ID: "0190e3c4-0000-7000-8000-0000000000a2", Role: millwa.RoleAdmin, KeyPrefix: Prefix(chosen)})
	here.Created(digest)
	if p, code := call(here, chosen); code != "" || p.Role != millwa.RoleAdmin {
		t.Errorf("on the replica that created it, the new key: %+v %q, want the admin principal at once", p, code)
	}
	if _, code := call(elsewhere, chosen); code != millwa.Unauthenticated {
		t.Errorf("another replica within its refusal of the unknown secret: %q, want it still refused from memory", code)
	}
	f.clock.advance(unknownKeyTTL + time.Nanosecond)
	if p, code := call(elsewhere, chosen); code != "" || p.Role != millwa.RoleAdmin {
		t.Errorf("another replica once %v has passed: %+v %q, want the admin principal", unknownKeyTTL, p, code)
	}
}

func TestLookupUnderWayWhenAKeyIsRevokedIsNotCached(t *testing.T) {
	f := newCacheFixture(t)
	a := f.authenticator()
	hold := make(chan struct{})
	f.store.mu.Lock()
	f.store.hold = hold
	f.store.mu.Unlock()
	done := make(chan millwa.Code)
	go func() {
		_, code := call(a, f.secret)
		done <- code
	}()
	for f.store.lookups.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// The lookup has read the key as active; the revocation commits and
	// is announced before the lookup finishes.
	revoked := f.key
	revoked.RevokeTime = f.clock.now()
	f.store.set(f.digest, revoked)
	a.Forget(f.key.ID)
	close(hold)
	if code := <-done; code != "" {
		t.Fatalf("the call whose lookup began before the revocation: %q, want it answered as it was read", code)
	}
	if _, code := call(a, f.secret); code != millwa.Unauthenticated {
		t.Errorf("the next call: %q, want Unauthenticated (what the earlier lookup read was not cached)", code)
	}
	if n := f.store.lookups.Load(); n != 2 {
		t.Errorf("the key was read %d times, want 2", n)
	}
}
