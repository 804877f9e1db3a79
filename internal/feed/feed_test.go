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

// outbox is a Source in memory: events numbered from 1, each of one
// processor, seen by that processor only.
type outbox struct {
	mu     sync.Mutex
	events []millwa.MarketEvent
	purged int64
	bell   chan struct{}
	reads  int
}

func newOutbox() *outbox { return &outbox{bell: make(chan struct{})} }

// add commits events of processor, ringing the bell when ring is set (a
// commit on this replica) and not otherwise (another replica's).
func (o *outbox) add(processor string, n int, ring bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for range n {
		seq := int64(len(o.events) + 1)
		o.events = append(o.events, millwa.MarketEvent{Seq: seq, Type: millwa.EventTradeMatched, ProcessorID: processor, Time: time.Now()})
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

func (o *outbox) MarketEventCursor(context.Context) (store.MarketEventCursor, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return store.MarketEventCursor{Head: int64(len(o.events)), PurgedThrough: o.purged}, nil
}

func (o *outbox) MarketEvents(_ context.Context, p millwa.Principal, after, through int64, _ []millwa.MarketEventType, limit int) ([]millwa.MarketEvent, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reads++
	var out []millwa.MarketEvent
	for _, e := range o.events[after:through] {
		if e.ProcessorID == p.Organisation && len(out) < limit {
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

// TestFollowDeliversInOrder follows p1 from event 2 while events of p1 and
// p2 arrive, woken by local commits and found by polling: it gets each of
// p1's events after 2 once, in order, and never p2's.
func TestFollowDeliversInOrder(t *testing.T) {
	o := newOutbox()
	o.add("p1", 5, false)
	o.add("p2", 3, false)
	p := millwa.Principal{Role: millwa.RoleProcessor, Organisation: "p1"}
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan int64, 100)
	done := make(chan error, 1)
	go func() {
		done <- feed.Follow(ctx, o, p, 2, nil, feed.Options{Poll: 20 * time.Millisecond, Batch: 2}, func(e *millwa.MarketEvent, head int64) error {
			if e.ProcessorID != "p1" || e.Seq > head {
				t.Errorf("sent event %d of %s with head %d", e.Seq, e.ProcessorID, head)
			}
			got <- e.Seq
			return nil
		})
	}()
	var seqs []int64
	wait := func(n int) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for len(seqs) < n {
			select {
			case s := <-got:
				seqs = append(seqs, s)
			case <-deadline:
				t.Fatalf("got events %v; waited for %d", seqs, n)
			}
		}
	}
	wait(3)               // 3, 4, 5
	o.add("p1", 2, true)  // 9, 10: woken
	o.add("p2", 4, true)  // none of p1's
	o.add("p1", 1, false) // 15: found by the poll
	wait(6)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Follow ended with %v; want context.Canceled", err)
	}
	if want := []int64{3, 4, 5, 9, 10, 15}; !slices.Equal(seqs, want) {
		t.Errorf("events sent %v; want %v", seqs, want)
	}
	select {
	case s := <-got:
		t.Errorf("event %d sent after the last expected", s)
	default:
	}
}

// TestFollowSkipsForeignEvents: a stretch of other parties' events is
// passed over in one read, not read again at every wake.
func TestFollowSkipsForeignEvents(t *testing.T) {
	o := newOutbox()
	o.add("p2", 50, false)
	p := millwa.Principal{Role: millwa.RoleProcessor, Organisation: "p1"}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := feed.Follow(ctx, o, p, 0, nil, feed.Options{Poll: 10 * time.Millisecond, Batch: 5}, func(e *millwa.MarketEvent, _ int64) error {
		t.Errorf("sent event %d of %s to p1", e.Seq, e.ProcessorID)
		return nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Follow ended with %v; want the deadline", err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	// One read of the 50 events; later wakes find the head unmoved.
	if o.reads != 1 {
		t.Errorf("%d reads of the outbox; want 1", o.reads)
	}
}

func TestFollowEndsWhenSendFails(t *testing.T) {
	o := newOutbox()
	o.add("p1", 3, false)
	p := millwa.Principal{Role: millwa.RoleProcessor, Organisation: "p1"}
	gone := errors.New("client gone")
	n := 0
	err := feed.Follow(context.Background(), o, p, 0, nil, feed.Defaults, func(*millwa.MarketEvent, int64) error {
		n++
		return gone
	})
	if !errors.Is(err, gone) || n != 1 {
		t.Errorf("Follow = %v after %d sends; want the send's error after 1", err, n)
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
