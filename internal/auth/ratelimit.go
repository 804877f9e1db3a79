package auth

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// RateLimiter gives each API key (and each client address calling public
// RPCs without a key) a token bucket, so that one client cannot starve the
// rest. Buckets are per replica.
type RateLimiter struct {
	limit rate.Limit
	burst int

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

// NewRateLimiter returns a limiter allowing perSecond calls a second on
// average, in bursts of up to burst.
func NewRateLimiter(perSecond float64, burst int) *RateLimiter {
	return &RateLimiter{limit: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}}
}

// Limit implements go-grpc-middleware's ratelimit.Limiter. It runs after
// authentication, so the call's principal names its bucket. A refused call
// answers ResourceExhausted with a RetryInfo saying when to retry.
func (l *RateLimiter) Limit(ctx context.Context) error {
	key := "addr:" + peerHost(ctx)
	if p, ok := FromContext(ctx); ok && p.KeyID != "" {
		key = "key:" + p.KeyID
	}
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
	st := status.New(codes.ResourceExhausted, fmt.Sprintf("rate limit of %g calls a second (bursts of %d) reached: retry after %v", float64(l.limit), l.burst, delay.Round(time.Millisecond)))
	if with, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(delay)}); err == nil {
		st = with
	}
	return st.Err()
}

// peerHost is the client's address. Calls through the in-process gateway
// come from loopback; for them the address the gateway saw is the last
// entry of x-forwarded-for (the gateway appends it; entries before it are
// the client's own claims and are not trusted).
func peerHost(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return "unknown"
	}
	host, _, err := net.SplitHostPort(p.Addr.String())
	if err != nil {
		host = p.Addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		md, _ := metadata.FromIncomingContext(ctx)
		if xff := md.Get("x-forwarded-for"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if last := strings.TrimSpace(parts[len(parts)-1]); last != "" {
				return last
			}
		}
	}
	return host
}
