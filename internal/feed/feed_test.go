package feed_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/millwa/millwa/internal/feed"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
)

// outbox is a HubSource in memory: events numbered from 1, each of one
// processor, seen as store.MarketEventVisible says.
type outbox struct {
	mu     sync.Mutex
	events []millwa.MarketEvent
	purged int64
	bell   chan struct{}
	// notify is what ListenMarketEvents returns: another replica's
	// commits announced.
	notify chan struct{}
	// systemReads and scopedReads count reads of events for every party
	// (the hub's) and for one (a stream catching up); heads counts reads
	// of the head.
	systemReads, scopedReads, heads int
}

func newOutbox() *outbox {
	return &outbox{bell: make(chan struct{}), notify: make(chan struct{}, 1)}
}

// add commits n events of processor, of type typ, ringing the bell when
// ring is set (a commit on this replica) and not otherwise (another
// replica's, found by a notification or a poll).
func (o *outbox) add(processor string, n int, ring bool) {
	o.addTyped(processor, millwa.EventTradeMatched, n, ring)
}

func (o *outbox) addTyped(processor string, typ millwa.MarketEventType, n int, ring bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for range n {
		seq := int64(len(o.events) + 1)
		o.events = append(o.events, millwa.MarketEvent{Seq: seq, Type: typ, ProcessorID: processor, Time: time.Now()})
	}
	if ring {
		close(o.bell)
		o.bell = make(chan struct{})
	}
}

func (o *outbox) MarketEventsAdded() <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.bell
}

func (o *outbox) ListenMarketEvents(context.Context) (<-chan struct{}, error) { return o.notify, nil }

func (o *outbox) MarketEventCursor(context.Context) (store.MarketEventCursor, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.heads++
	return store.MarketEventCursor{Head: int64(len(o.events)), PurgedThrough: o.purged}, nil
}

func (o *outbox) MarketEvents(_ context.Context, p millwa.Principal, after, through int64, types []millwa.MarketEventType, limit int) ([]millwa.MarketEvent, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if p.Role == millwa.RoleAdmin {
		o.systemReads++
	} else {
		o.scopedReads++
	}
	var out []millwa.MarketEvent
	for _, e := range o.events[after:through] {
		if store.MarketEventVisible(p, &e) && (len(types) == 0 || slices.Contains(types, e.Type)) && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func TestStart(t *testing.T) {
	o := newOutbox()
	o.add("p1", 10, false)
	o.purged = 3
	for _, tc := range []struct {
		after  string
		want   int64
		code   millwa.Code
		reason string
	}{
		{after: "", want: 10},
		{after: "3", want: 3},
		{after: "10", want: 10},
		{after: "2", code: millwa.FailedPrecondition, reason: "EVENTS_PURGED"},
		{after: "11", code: millwa.Invalid},
		{after: "-1", code: millwa.Invalid},
		{after: "seven", code: millwa.Invalid},
	} {
		got, err := feed.Start(context.Background(), o, tc.after)
		if tc.code == "" {
			if err != nil || got != tc.want {
				t.Errorf("Start(%q) = %d, %v; want %d", tc.after, got, err, tc.want)
			}
			continue
		}
		var e *millwa.Error
		if !errors.As(err, &e) || e.Code != tc.code || tc.reason != "" && e.Reason != tc.reason {
			t.Errorf("Start(%q) = %d, %v; want a %s error with reason %q", tc.after, got, err, tc.code, tc.reason)
		}
		if tc.code == millwa.Invalid && (len(e.Violations) != 1 || e.Violations[0].Field != "after_event_id") {
			t.Errorf("Start(%q) violations = %+v; want one of after_event_id", tc.after, e.Violations)
		}
	}
}

// TestLimits: a key's streams and the replica's are capped, each refusal
// says which cap and when to retry, and releasing a stream frees its slot
// once, however often it is released.
func TestLimits(t *testing.T) {
	l := feed.NewLimits(2, 3)
	a1, err1 := l.Open("a")
	_, err2 := l.Open("a")
	if err1 != nil || err2 != nil {
		t.Fatalf("two streams of one key: %v, %v", err1, err2)
	}
	_, err := l.Open("a")
	var me *millwa.Error
	var retry interface{ RetryDelay() time.Duration }
	if !errors.As(err, &me) || me.Code != millwa.ResourceExhausted || !errors.As(err, &retry) || retry.RetryDelay() <= 0 {
		t.Fatalf("a third stream of one key = %v; want ResourceExhausted with a retry delay", err)
	}
	if _, err := l.Open("b"); err != nil {
		t.Fatalf("another key's stream: %v", err)
	}
	if _, err := l.Open("c"); millwa.ErrorCode(err) != millwa.ResourceExhausted {
		t.Fatalf("a stream past the replica's cap = %v; want ResourceExhausted", err)
	}
	a1()
	a1()
	if _, err := l.Open("c"); err != nil {
		t.Fatalf("a stream after one was released: %v", err)
	}
	if _, err := l.Open("d"); millwa.ErrorCode(err) != millwa.ResourceExhausted {
		t.Errorf("releasing twice freed two slots: %v", err)
	}
}
