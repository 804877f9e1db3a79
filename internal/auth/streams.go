package auth

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/millwa/millwa/internal/millwa"
)

// KeyStates says which keys no longer authenticate; *store.Store is one.
type KeyStates interface {
	// InactiveAPIKeys returns those of ids that are revoked, expired at t
	// or gone, in one query.
	InactiveAPIKeys(ctx context.Context, ids []string, t time.Time) ([]string, error)
}

// StreamCheckInterval is how often a StreamGuard asks the database whether
// the keys of its open streams still authenticate: a key revoked on
// another replica ends its streams here within about this long.
const StreamCheckInterval = 500 * time.Millisecond

// errKeyInactive is the cause with which a guarded stream's context is
// cancelled.
var errKeyInactive = errors.New("the stream's API key was revoked or expired")

// StreamGuard ends the long-lived streams (WatchMarket, and the REST event
// stream built on it) of keys that stop authenticating while the stream is
// open: authentication only runs when a call starts. It keeps this
// replica's open streams by key id; a key's expiry ends them by a timer, a
// revocation on this replica at once (Revoked), and one on any replica at
// the next Check, which asks about every key with open streams in
// one query.
type StreamGuard struct {
	states KeyStates
	log    *slog.Logger

	mu      sync.Mutex
	streams map[string]map[*guardedStream]struct{} // key id → open streams
}

type guardedStream struct {
	cancel context.CancelCauseFunc
}

// NewStreamGuard returns a guard that checks keys with states.
func NewStreamGuard(states KeyStates, log *slog.Logger) *StreamGuard {
	return &StreamGuard{states: states, log: log, streams: map[string]map[*guardedStream]struct{}{}}
}

// Guard returns ctx, cancelled when the key of the call's principal stops
// authenticating (StreamEndedByKey then reports true), and the function to
// call when the stream ends. A call without a key is returned as it is.
func (g *StreamGuard) Guard(ctx context.Context) (context.Context, func()) {
	p, ok := FromContext(ctx)
	if !ok || p.KeyID == "" {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	s := &guardedStream{cancel: cancel}
	stopTimer := func() bool { return true }
	if exp := KeyExpiry(ctx); !exp.IsZero() {
		t := time.AfterFunc(time.Until(exp), func() { cancel(errKeyInactive) })
		stopTimer = t.Stop
	}
	g.mu.Lock()
	if g.streams[p.KeyID] == nil {
		g.streams[p.KeyID] = map[*guardedStream]struct{}{}
	}
	g.streams[p.KeyID][s] = struct{}{}
	g.mu.Unlock()
	return ctx, func() {
		stopTimer()
		g.mu.Lock()
		delete(g.streams[p.KeyID], s)
		if len(g.streams[p.KeyID]) == 0 {
			delete(g.streams, p.KeyID)
		}
		g.mu.Unlock()
		cancel(context.Canceled)
	}
}

// Revoked ends the open streams of the key with the given id at once: the
// replica that revokes a key calls it after the revocation commits.
func (g *StreamGuard) Revoked(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for s := range g.streams[id] {
		s.cancel(errKeyInactive)
	}
}

// checkBatch bounds the ids asked about in one statement.
const checkBatch = 500

// Check asks the database, in one query per checkBatch keys, whether any
// key with open streams was revoked or expired, and ends those streams.
// A check that fails is logged and leaves the streams open: a database
// that does not answer for a moment is no reason to cut every subscriber.
// The server calls it every StreamCheckInterval.
func (g *StreamGuard) Check(ctx context.Context) {
	g.mu.Lock()
	ids := make([]string, 0, len(g.streams))
	for id := range g.streams {
		ids = append(ids, id)
	}
	g.mu.Unlock()
	for len(ids) > 0 {
		batch := ids[:min(len(ids), checkBatch)]
		ids = ids[len(batch):]
		inactive, err := g.states.InactiveAPIKeys(ctx, batch, time.Now())
		if err != nil {
			if ctx.Err() == nil {
				g.log.Warn("checking the keys of open streams", "err", err)
			}
			return
		}
		for _, id := range inactive {
			g.Revoked(id)
		}
	}
}

// StreamEndedByKey reports whether ctx, from Guard, was cancelled because
// its key stopped authenticating.
func StreamEndedByKey(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), errKeyInactive)
}

// StreamKeyError is what a stream ended by its key answers: the same for a
// revoked key as for an expired one, like authentication's own answer.
func StreamKeyError() *millwa.Error {
	return &millwa.Error{Code: millwa.Unauthenticated, Message: "this stream's API key is no longer accepted (revoked or expired): open the stream again with a valid key"}
}
