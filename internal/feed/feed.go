// Package feed follows the market's event outbox for one subscriber: where
// a subscriber starts (now, or after the last event it received), and the
// loop that hands it every event it may see, in order and without gaps,
// woken at once by a commit on this replica and by a short poll for the
// others'. WatchMarket and the gateway's event stream are built on it.
package feed

import (
	"context"
	"strconv"
	"time"

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

// Options tune a feed.
type Options struct {
	// Poll is how often a feed looks for events when nothing woke it:
	// events recorded by other replicas arrive within this time.
	Poll time.Duration
	// Batch is how many events a feed reads at a time.
	Batch int
}

// Defaults are the options WatchMarket runs with.
var Defaults = Options{Poll: 200 * time.Millisecond, Batch: 500}

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

// Follow hands p's events of the given types (all when empty) numbered
// after after to send, in order, until ctx ends (its error is returned),
// send fails or the source does.
func Follow(ctx context.Context, src Source, p millwa.Principal, after int64, types []millwa.MarketEventType, opts Options, send Send) error {
	for {
		// Listen before reading, so that a commit between the read and the
		// wait still wakes the feed.
		woken := src.MarketEventsAdded()
		cur, err := src.MarketEventCursor(ctx)
		if err != nil {
			return err
		}
		for after < cur.Head {
			events, err := src.MarketEvents(ctx, p, after, cur.Head, types, opts.Batch)
			if err != nil {
				return err
			}
			if len(events) == 0 {
				// None of the rest is p's, or of the types asked for.
				after = cur.Head
				break
			}
			for i := range events {
				if err := send(&events[i], cur.Head); err != nil {
					return err
				}
				after = events[i].Seq
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-woken:
		case <-time.After(opts.Poll):
		}
	}
}
