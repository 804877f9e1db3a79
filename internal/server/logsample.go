package server

import (
	"context"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc/peer"
)

// refusalLogEvery is how often a client's refusals for its rate (429 over
// REST) are logged at most: one line, with the count of those left out
// since the last, rather than a line per refused call, so that a client
// hammering the server cannot flood the log.
const refusalLogEvery = time.Minute

// refusalLogMaxClients bounds the clients the sampler remembers; past it,
// those not logged within refusalLogEvery are forgotten.
const refusalLogMaxClients = 10_000

// logSampler decides which of a client's repeated warnings are logged:
// the first, then at most one every refusalLogEvery. Its zero value is
// ready to use.
type logSampler struct {
	mu      sync.Mutex
	clients map[string]*sampledClient
}

// sampledClient is when a client's warning was last logged and how many
// were left out since.
type sampledClient struct {
	logged  time.Time
	skipped int
}

// admit reports whether client's warning at now is logged and, when it is,
// how many were left out before it.
func (l *logSampler) admit(client string, now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.clients == nil {
		l.clients = map[string]*sampledClient{}
	}
	c, ok := l.clients[client]
	if ok && now.Sub(c.logged) < refusalLogEvery {
		c.skipped++
		return false, 0
	}
	if !ok {
		if len(l.clients) >= refusalLogMaxClients {
			for k, old := range l.clients {
				if now.Sub(old.logged) >= refusalLogEvery {
					delete(l.clients, k)
				}
			}
		}
		c = &sampledClient{}
		l.clients[client] = c
	}
	skipped := c.skipped
	c.logged, c.skipped = now, 0
	return true, skipped
}

// logClient is who a call's warnings are counted against: the REST
// client's address for a call of the gateway, the peer's host otherwise.
func logClient(ctx context.Context) string {
	if ci := callInfoFrom(ctx); ci != nil && ci.client != "" {
		return ci.client
	}
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return "unknown"
	}
	host, _, err := net.SplitHostPort(p.Addr.String())
	if err != nil {
		return p.Addr.String()
	}
	return host
}
