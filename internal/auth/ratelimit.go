package auth

import (
	"context"
	"crypto/subtle"
	"fmt"
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

// Admit returns the go-grpc-middleware AuthFunc that authenticates a call
// and then charges it to a bucket: the key's, or for calls without a key or
// with one that fails authentication, the client address's, so that
// guessing keys is limited too. Errors are *millwa.Error values and pass
// through unchanged: a refused call is ResourceExhausted, whose cause says
// when to retry (see RetryDelay), which the transport sends as a RetryInfo.
func Admit(a *Authenticator, l *RateLimiter) func(context.Context) (context.Context, error) {
	return func(ctx context.Context) (context.Context, error) {
		authed, err := a.Authenticate(ctx)
		if millwa.ErrorCode(err) == millwa.Unauthenticated {
			if lerr := l.take(ctx, "addr:"+l.clientHost(ctx)); lerr != nil {
				return nil, lerr
			}
			return nil, err
		}
		if err != nil {
			return nil, err
		}
		key := "addr:" + l.clientHost(ctx)
		if p, ok := FromContext(authed); ok && p.KeyID != "" {
			key = "key:" + p.KeyID
		}
		if err := l.take(authed, key); err != nil {
			return nil, err
		}
		return authed, nil
	}
}

// take charges one call to the named bucket.
func (l *RateLimiter) take(_ context.Context, key string) error {
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
		return nil
	}
	r.CancelAt(now)
	if !r.OK() || delay < time.Millisecond {
		delay = time.Millisecond
	}
	return millwa.Wrap(millwa.ResourceExhausted, retryAfter(delay), "rate limit of %g calls a second (bursts of %d) reached: retry after %v",
		float64(l.limit), l.burst, delay.Round(time.Millisecond))
}

// retryAfter is the cause of a rate-limited call's error: how long the
// client should wait before it calls again.
type retryAfter time.Duration

func (d retryAfter) Error() string {
	return fmt.Sprintf("retry after %v", time.Duration(d))
}

// RetryDelay returns how long to wait. The transport finds it in an
// error's chain by this method and sends it as a google.rpc.RetryInfo.
func (d retryAfter) RetryDelay() time.Duration { return time.Duration(d) }

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
	md, _ := metadata.FromIncomingContext(ctx)
	token := md.Get(GatewayHeader)
	if l.gatewayToken == "" || len(token) != 1 || subtle.ConstantTimeCompare([]byte(token[0]), []byte(l.gatewayToken)) != 1 {
		return host
	}
	if xff := md.Get("x-forwarded-for"); len(xff) > 0 {
		parts := strings.Split(xff[len(xff)-1], ",")
		if last := strings.TrimSpace(parts[len(parts)-1]); last != "" {
			return last
		}
	}
	return host
}
