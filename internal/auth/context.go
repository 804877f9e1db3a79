package auth

import (
	"context"
	"time"

	"github.com/millwa/millwa/internal/millwa"
)

type principalKey struct{}

// WithPrincipal returns ctx carrying the principal of a call.
func WithPrincipal(ctx context.Context, p millwa.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal of the call ctx belongs to. ok is false
// for a public RPC called without a key.
func FromContext(ctx context.Context) (p millwa.Principal, ok bool) {
	p, ok = ctx.Value(principalKey{}).(millwa.Principal)
	return p, ok
}

// Require returns the principal of the call, or Unauthenticated when there
// is none. Services call it on every RPC that is not public, so that a
// missing entry in the interceptor chain cannot open a door.
func Require(ctx context.Context) (millwa.Principal, error) {
	p, ok := FromContext(ctx)
	if !ok || p.Role == "" {
		return millwa.Principal{}, millwa.Errorf(millwa.Unauthenticated, "this call needs an API key: send it as authorization: Bearer <key>")
	}
	return p, nil
}

type keyExpiryKey struct{}

// WithKeyExpiry returns ctx carrying when the caller's key expires (zero:
// never), which the principal does not hold: a key may only create keys
// that expire no later than itself, and a stream ends when its key
// expires.
func WithKeyExpiry(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, keyExpiryKey{}, t)
}

// KeyExpiry returns when the caller's key expires: zero when it never does,
// or when the call has no key (the server's own work, or a handler test).
func KeyExpiry(ctx context.Context) time.Time {
	t, _ := ctx.Value(keyExpiryKey{}).(time.Time)
	return t
}
