package auth

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/millwa/millwa/internal/millwa"
)

// KeyStore is what authentication reads: keys by the digest of their
// secret, the regions of agencies, and where to record a key's last use.
type KeyStore interface {
	LookupAPIKey(ctx context.Context, digest [32]byte) (millwa.APIKey, error)
	AgencyRegions(ctx context.Context, agencyID string) ([]string, error)
	TouchAPIKey(ctx context.Context, id string, t time.Time) error
}

// touchInterval is how often a key's last use is written at most.
const touchInterval = time.Minute

// Authenticator turns the bearer key of a call into its principal and
// applies the policy table.
type Authenticator struct {
	keys   KeyStore
	policy map[string]Access
	log    *slog.Logger
	now    func() time.Time

	mu      sync.Mutex
	touched map[string]time.Time // key id → last use written

	// digests remembers what the last lookup of a presented secret found,
	// so that admission can charge the right bucket before it reads the
	// database, a key verified less than principalTTL ago is trusted
	// without reading it again, and a secret that names no usable key is
	// refused without reading it again.
	digests digestCache
	// principalTTL is how long a verified key's principal is trusted
	// without reading the key again: how late another replica's revocation
	// can take effect here. Zero reads the key on every call.
	principalTTL time.Duration
}

// NewAuthenticator returns an Authenticator over keys with the given policy
// table (usually Policy, plus any extra services).
func NewAuthenticator(keys KeyStore, policy map[string]Access, log *slog.Logger) *Authenticator {
	return &Authenticator{keys: keys, policy: policy, log: log, now: time.Now, touched: map[string]time.Time{},
		digests: newDigestCache(), principalTTL: PrincipalTTL}
}

// PrincipalTTL is how long a replica trusts the principal of a key it
// has read without reading the key again (never past the key's expiry):
// a key revoked on another replica is refused here at most this long
// after the revocation commits.
const PrincipalTTL = time.Second

// SetPrincipalTTL changes how long a verified principal is trusted
// (PrincipalTTL by default); zero reads the key on every call. Call it
// before serving.
func (a *Authenticator) SetPrincipalTTL(d time.Duration) {
	a.principalTTL = max(d, 0)
}

// Forget is told the id of a key revoked on this replica, once the
// revocation has committed: the key's next call reads the database, so
// that the revocation takes effect here at once. A lookup of the key
// already under way when Forget runs does not cache what it read.
func (a *Authenticator) Forget(keyID string) {
	a.digests.forgetKey(keyID)
}

// Created is told the digest of a key created on this replica, once the
// creation has committed: a refusal of that digest remembered here is
// dropped, so that the key works at once. (A secret the server generates
// cannot have been presented before; an operator's MILLWA_ADMIN_KEY can.)
func (a *Authenticator) Created(digest [32]byte) {
	a.digests.forgetRefusal(digest)
}

// Authenticate is a go-grpc-middleware AuthFunc: it reads the method's
// access from the policy table and the key from "authorization: Bearer …",
// and returns the context with the principal. A public RPC called without a
// key has no principal. Errors are *millwa.Error values, which the
// transport maps to gRPC codes like every other: Unauthenticated (no,
// unknown, revoked or expired key, all with one message, the reason being
// logged), PermissionDenied (the role may not call
// the RPC, or the RPC is missing from the table) or Unavailable (the key
// cannot be checked now; when the caller gave up, the error holds the
// context's error).
func (a *Authenticator) Authenticate(ctx context.Context) (context.Context, error) {
	return a.authenticate(ctx, nil)
}

// authenticate is Authenticate, given the digest of the call's secret when
// the caller has it already (nil otherwise).
func (a *Authenticator) authenticate(ctx context.Context, digest *[32]byte) (context.Context, error) {
	method, _ := grpc.Method(ctx)
	access, ok := a.policy[method]
	if !ok {
		return nil, millwa.Errorf(millwa.PermissionDenied, "%s is not in the access policy, so nobody may call it", method)
	}
	secret, present, err := bearer(ctx)
	if err != nil {
		return nil, err
	}
	if !present {
		if access.Public {
			return ctx, nil
		}
		return nil, millwa.Errorf(millwa.Unauthenticated, "%s needs an API key: send it as the header authorization: Bearer <key>", method)
	}
	digest, sessionRole, err := a.secretDigest(ctx, secret, method, digest)
	if err != nil {
		return nil, err
	}
	p, key, err := a.principal(ctx, *digest)
	if err != nil {
		// A public RPC needs no principal: when the key cannot be checked
		// because the database is away, it goes on anonymously, so that a
		// health check that carries a key still reports NOT_SERVING
		// rather than failing. A key known to be bad is still refused.
		if access.Public && millwa.ErrorCode(err) == millwa.Unavailable && !gaveUp(err) {
			return ctx, nil
		}
		return nil, err
	}
	if sessionRole != "" && sessionRole != p.Role {
		return nil, millwa.Errorf(millwa.Unauthenticated, sessionRefused)
	}
	if !access.Public && !access.Allows(p.Role) {
		return nil, millwa.Errorf(millwa.PermissionDenied, "a key of role %s may not call %s; roles allowed: %s", p.Role, method, roleList(access.Roles))
	}
	return WithKeyExpiry(WithPrincipal(ctx, p), key.ExpireTime), nil
}

// secretDigest returns the digest of the key a call's secret stands for:
// the digest given, or the secret's own, for an API key; for a session
// token, the digest of the key it was issued to, and the role it was
// issued for.
func (a *Authenticator) secretDigest(ctx context.Context, secret, method string, digest *[32]byte) (*[32]byte, millwa.Role, error) {
	if IsSessionToken(secret) {
		d, role, err := a.sessionDigest(ctx, secret, method)
		if err != nil {
			return nil, "", err
		}
		return &d, role, nil
	}
	if digest == nil {
		d := Digest(secret)
		digest = &d
	}
	return digest, "", nil
}

// bearer returns the secret of the authorization header: present is false
// when there is no such header; a malformed one is Unauthenticated.
func bearer(ctx context.Context) (secret string, present bool, err error) {
	values := metadata.ValueFromIncomingContext(ctx, "authorization")
	if len(values) == 0 {
		return "", false, nil
	}
	scheme, secret, ok := strings.Cut(values[0], " ")
	if len(values) > 1 || !ok || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(secret) == "" {
		return "", true, millwa.Errorf(millwa.Unauthenticated, "malformed authorization header: send exactly one header authorization: Bearer <key>")
	}
	return strings.TrimSpace(secret), true, nil
}

// notAuthenticated is the one answer to every key that does not
// authenticate, whether unknown, revoked or expired: telling them apart
// would tell a guesser which secrets once were keys, and a revoked key's
// prefix and time would tell a thief when it was noticed. The detail goes
// to the server's log.
const notAuthenticated = "API key not accepted (unknown, revoked or expired): check the key, or ask your organisation's administrator for a new one"

// badKeyTTL is how long the secret of a revoked or expired key is refused
// from memory, without reading the database. It is safe however long:
// revocation and expiry are final.
const badKeyTTL = 30 * time.Second

// unknownKeyTTL is how long a secret that names no key is refused from
// memory. A key the server creates has a secret of 32 random bytes that
// nobody can have presented before, but an operator-chosen
// MILLWA_ADMIN_KEY stored by a replica that starts later can have been:
// the replica that creates a key drops its own refusal at once (Created),
// and this bounds how long another replica goes on refusing it.
const unknownKeyTTL = 5 * time.Second

func (a *Authenticator) principal(ctx context.Context, digest [32]byte) (millwa.Principal, millwa.APIKey, error) {
	now := a.now()
	if p, key, ok := a.digests.verified(digest, now); ok {
		a.touch(key, now)
		return p, key, nil
	}
	if reason, bad := a.digests.refused(digest, now); bad {
		a.refuse(ctx, reason, millwa.APIKey{}, true)
		return millwa.Principal{}, millwa.APIKey{}, millwa.Errorf(millwa.Unauthenticated, notAuthenticated)
	}
	epoch := a.digests.currentEpoch()
	key, err := a.keys.LookupAPIKey(ctx, digest)
	switch {
	case millwa.ErrorCode(err) == millwa.NotFound:
		a.digests.refuse(digest, "unknown", now.Add(unknownKeyTTL), epoch)
		a.refuse(ctx, "unknown", key, false)
		return millwa.Principal{}, millwa.APIKey{}, millwa.Errorf(millwa.Unauthenticated, notAuthenticated)
	case err != nil:
		return millwa.Principal{}, millwa.APIKey{}, authStoreError(err)
	}
	if reason := inactive(key, now); reason != "" {
		a.digests.refuse(digest, reason, now.Add(badKeyTTL), epoch)
		a.refuse(ctx, reason, key, false)
		return millwa.Principal{}, millwa.APIKey{}, millwa.Errorf(millwa.Unauthenticated, notAuthenticated)
	}
	p := millwa.Principal{KeyID: key.ID, Role: key.Role, Organisation: key.Organisation, OrgAdmin: key.OrgAdmin}
	if p.Role == millwa.RoleAgency {
		if p.Regions, err = a.keys.AgencyRegions(ctx, p.OrganisationID()); err != nil {
			return millwa.Principal{}, millwa.APIKey{}, authStoreError(err)
		}
	}
	a.digests.accept(digest, p, key, now, a.principalTTL, epoch)
	a.touch(key, now)
	return p, key, nil
}

// inactive says why key no longer authenticates at now ("revoked" or
// "expired"), or "" when it does.
func inactive(key millwa.APIKey, now time.Time) string {
	switch {
	case !key.RevokeTime.IsZero():
		return "revoked"
	case !key.Active(now):
		return "expired"
	}
	return ""
}

// refuse logs why a key was refused, which the caller is not told. The
// key's id, prefix and times are the operator's to see; the secret is
// never logged.
func (a *Authenticator) refuse(ctx context.Context, reason string, key millwa.APIKey, cached bool) {
	attrs := []any{"reason", reason, "cached", cached}
	if key.ID != "" {
		attrs = append(attrs, "key", "apiKeys/"+key.ID, "key_prefix", key.KeyPrefix)
	}
	if !key.RevokeTime.IsZero() {
		attrs = append(attrs, "revoke_time", key.RevokeTime.UTC().Format(time.RFC3339))
	}
	if !key.ExpireTime.IsZero() {
		attrs = append(attrs, "expire_time", key.ExpireTime.UTC().Format(time.RFC3339))
	}
	a.log.InfoContext(ctx, "API key refused", attrs...)
}

// touch records the key's use at most once every touchInterval, in the
// background so that no call waits for it.
func (a *Authenticator) touch(key millwa.APIKey, now time.Time) {
	a.mu.Lock()
	last, ok := a.touched[key.ID]
	if !ok {
		last = key.LastUseTime
	}
	if now.Sub(last) < touchInterval {
		a.mu.Unlock()
		return
	}
	a.touched[key.ID] = now
	a.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.keys.TouchAPIKey(ctx, key.ID, now.UTC().Truncate(time.Microsecond)); err != nil {
			a.log.Warn("recording API key use", "key", key.ID, "err", err)
		}
	}()
}

// authStoreError is the error of a key that the store could not check.
// When the caller gave up, it is the store's error itself, which holds the
// context's error, so that the transport answers Canceled or
// DeadlineExceeded; otherwise Unavailable, with the store's error kept for
// the logs only.
func authStoreError(err error) error {
	if gaveUp(err) {
		return err
	}
	return millwa.Wrap(millwa.Unavailable, err, "cannot check the API key now: retry shortly")
}

// gaveUp reports whether err comes from a call that was cancelled or ran
// out of time.
func gaveUp(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func roleList(roles []millwa.Role) string {
	if len(roles) == 0 {
		return "none"
	}
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}
