package auth

import (
	"context"
	"crypto/subtle"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/millwa/millwa/internal/millwa"
)

// RateLimiter gives each API key (and each client address calling without
// a valid key) a token bucket, so that one client cannot starve the rest.
// Buckets are per replica.
type RateLimiter struct {
	limit rate.Limit
	burst int
	// gatewayToken proves that a call comes from this process's REST
	// gateway, whose x-forwarded-for is then trusted.
	gatewayToken string

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	limiter *rate.Limiter
	seen    time.Time
}

// idleBucket is how long an unused bucket is kept.
const idleBucket = 10 * time.Minute

// GatewayHeader is the metadata key by which the in-process REST gateway
// presents the limiter's gateway token.
const GatewayHeader = "x-millwa-gateway"

// NewRateLimiter returns a limiter allowing perSecond calls a second on
// average, in bursts of up to burst. gatewayToken is the secret the
// in-process gateway sends in GatewayHeader; only calls bearing it have
// their x-forwarded-for trusted.
func NewRateLimiter(perSecond float64, burst int, gatewayToken string) *RateLimiter {
	return &RateLimiter{limit: rate.Limit(perSecond), burst: burst, gatewayToken: gatewayToken, buckets: map[string]*bucket{}}
}

// Admit returns the go-grpc-middleware AuthFunc that charges a call to a
// rate bucket and then authenticates it. Every call is charged, whatever
// its answer, and before anything is read from the database, so that
// neither refused calls nor guessed keys escape the limit or reach the
// database at its rate: a call without a key (or with a malformed header)
// is charged to its client address; one with a secret that authenticated
// lately on this replica, to that key; one with a secret not yet seen, to
// the address's bucket of unverified secrets (apart from the keyless one,
// so that a new key's first call is not refused for its address's public
// calls), whose token goes back when the secret authenticates and the
// call is charged to its key instead: that bucket bounds the database
// reads of secrets that fail, and a key's calls are all counted against
// the key. Errors are *millwa.Error values and
// pass through unchanged: a refused call is ResourceExhausted, whose cause
// says when to retry (see RetryDelay), which the transport sends as a
// RetryInfo.
func Admit(a *Authenticator, l *RateLimiter) func(context.Context) (context.Context, error) {
	return func(ctx context.Context) (context.Context, error) {
		// The client's address is worked out only for the calls charged
		// to it: a known key's calls, most of them, are charged to the key.
		var bucket string
		known := true
		var digest *[32]byte
		if secret, present, err := bearer(ctx); present && err == nil {
			d := Digest(secret)
			digest = &d
			if id, ok := a.digests.knownKey(d, a.now()); ok {
				bucket = "key:" + id
			} else {
				bucket, known = "unverified:"+l.clientHost(ctx), false
			}
		} else {
			bucket = "addr:" + l.clientHost(ctx)
		}
		refund, err := l.reserve(ctx, bucket)
		if err != nil {
			return nil, err
		}
		authed, err := a.authenticate(ctx, digest)
		if err != nil {
			return nil, err
		}
		if p, ok := FromContext(authed); ok && p.KeyID != "" && !known {
			// The secret proved to be a key: the call is the key's, and
			// the address's allowance for unverified secrets is kept for
			// those that fail.
			refund()
			if err := l.take(authed, "key:"+p.KeyID); err != nil {
				return nil, err
			}
		}
		return authed, nil
	}
}

// take charges one call to the named bucket.
func (l *RateLimiter) take(ctx context.Context, key string) error {
	_, err := l.reserve(ctx, key)
	return err
}

// reserve charges one call to the named bucket and returns the function
// that gives the token back, as far as later calls allow.
func (l *RateLimiter) reserve(_ context.Context, key string) (refund func(), err error) {
	now := time.Now()
	l.mu.Lock()
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{limiter: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	if now.Sub(l.sweep) > idleBucket {
		for k, old := range l.buckets {
			if now.Sub(old.seen) > idleBucket {
				delete(l.buckets, k)
			}
		}
		l.sweep = now
	}
	l.mu.Unlock()

	r := b.limiter.ReserveN(now, 1)
	delay := r.DelayFrom(now)
	if r.OK() && delay == 0 {
		// Cancelling at the reservation's own time restores its token.
		return func() { r.CancelAt(now) }, nil
	}
	r.CancelAt(now)
	if !r.OK() || delay < time.Millisecond {
		delay = time.Millisecond
	}
	return nil, millwa.Wrap(millwa.ResourceExhausted, millwa.RetryAfter(delay), "rate limit of %g calls a second (bursts of %d) reached: retry after %v",
		float64(l.limit), l.burst, delay.Round(time.Millisecond))
}

// clientHost is the client's address: the peer's, or for calls from this
// process's REST gateway (which prove it with the gateway token), the
// address the gateway saw, which it appends last to x-forwarded-for
// (entries before it are the client's own claims and are not trusted).
func (l *RateLimiter) clientHost(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return "unknown"
	}
	host, _, err := net.SplitHostPort(p.Addr.String())
	if err != nil {
		host = p.Addr.String()
	}
	// ValueFromIncomingContext reads one key without copying the whole
	// metadata, as FromIncomingContext does.
	token := metadata.ValueFromIncomingContext(ctx, GatewayHeader)
	if l.gatewayToken == "" || len(token) != 1 || subtle.ConstantTimeCompare([]byte(token[0]), []byte(l.gatewayToken)) != 1 {
		return host
	}
	if xff := metadata.ValueFromIncomingContext(ctx, "x-forwarded-for"); len(xff) > 0 {
		parts := strings.Split(xff[len(xff)-1], ",")
		if last := strings.TrimSpace(parts[len(parts)-1]); last != "" {
			return last
		}
	}
	return host
}
