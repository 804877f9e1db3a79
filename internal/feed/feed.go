// Package feed follows the market's event outbox for WatchMarket and the
// gateway's event stream: where a subscriber starts (now, or after the
// last event it received), the Hub that reads the outbox once per replica
// and hands every subscriber the events it may see, in order and without
// gaps, and the Limits on how many streams a replica holds.
package feed

import (
	"context"
	"strconv"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
)

// Source is the outbox a feed reads; *store.Store is one.
type Source interface {
	// MarketEventsAdded returns a channel closed at the next commit of
	// market events on this replica.
	MarketEventsAdded() <-chan struct{}
	// MarketEventCursor reads the outbox's head and retention mark.
	MarketEventCursor(ctx context.Context) (store.MarketEventCursor, error)
	// MarketEvents returns, in order, at most limit of the events numbered
	// in (after, through] that p may see, of the given types (all when
	// empty).
	MarketEvents(ctx context.Context, p millwa.Principal, after, through int64, types []millwa.MarketEventType, limit int) ([]millwa.MarketEvent, error)
}

// Start returns the number of the last event a subscriber has, from
// afterID, the id of the last event it received: the outbox's head for
// "", so that it gets only what happens from now on. An id that is not a
// number, or names no event yet, is Invalid (field after_event_id); one
// whose successors are no longer kept is FailedPrecondition with reason
// EVENTS_PURGED, telling the client to read the current state first.
func Start(ctx context.Context, src Source, afterID string) (int64, error) {
	var after int64
	if afterID != "" {
		n, err := strconv.ParseInt(afterID, 10, 64)
		if err != nil || n < 0 {
			var vs millwa.Violations
			vs.Add("after_event_id", "must be the id of an event received from WatchMarket, or empty; got %q", afterID)
			return 0, vs.Err()
		}
		after = n
	}
	cur, err := src.MarketEventCursor(ctx)
	if err != nil {
		return 0, err
	}
	switch {
	case afterID == "":
		return cur.Head, nil
	case after < cur.PurgedThrough:
		return 0, &millwa.Error{Code: millwa.FailedPrecondition, Reason: "EVENTS_PURGED", Message: "events after " +
			afterID + " are no longer kept: read the current state with the List RPCs, then watch again with an empty after_event_id"}
	case after > cur.Head:
		var vs millwa.Violations
		vs.Add("after_event_id", "names no event yet (the last is %d): pass the id of an event received, or empty", cur.Head)
		return 0, vs.Err()
	}
	return after, nil
}

// Send hands one event to the subscriber; head is the outbox's head as the
// feed last read it. An error ends the feed with that error.
type Send func(e *millwa.MarketEvent, head int64) error
