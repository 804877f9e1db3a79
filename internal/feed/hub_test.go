package feed_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/millwa/millwa/internal/feed"
	"github.com/millwa/millwa/internal/millwa"
)

// processor returns a processor's id and its principal.
func processor() (string, millwa.Principal) {
	id := uuid.NewString()
	return id, millwa.Principal{KeyID: uuid.NewString(), Role: millwa.RoleProcessor, Organisation: "processors/" + id}
}

// follower runs hub.Follow in the background and collects what it sends.
type follower struct {
	mu   sync.Mutex
	seqs []int64
	done chan error
}

func follow(ctx context.Context, t *testing.T, hub *feed.Hub, p millwa.Principal, after int64, types []millwa.MarketEventType, send func(*millwa.MarketEvent)) *follower {
	f := &follower{done: make(chan error, 1)}
	go func() {
		f.done <- hub.Follow(ctx, p, after, types, func(e *millwa.MarketEvent, head int64) error {
			if e.Seq > head {
				t.Errorf("event %d sent with head %d", e.Seq, head)
			}
			if send != nil {
				send(e)
			}
			f.mu.Lock()
			f.seqs = append(f.seqs, e.Seq)
			f.mu.Unlock()
			return nil
		})
	}()
	return f
}

func (f *follower) got() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.seqs)
}

// waitFor waits until f has n events.
func (f *follower) waitFor(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); len(f.got()) < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("got events %v; waited for %d", f.got(), n)
		}
	}
}

// seqsOf returns the numbers of processor's events after after, of the
// given types (all when empty), in o.
func (o *outbox) seqsOf(processor string, after int64, types ...millwa.MarketEventType) []int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []int64
	for _, e := range o.events[after:] {
		if e.ProcessorID == processor && (len(types) == 0 || slices.Contains(types, e.Type)) {
			out = append(out, e.Seq)
		}
	}
	return out
}

// TestHubDeliversInOrder follows p1 from event 2 while events of p1 and
// p2 arrive, woken by a local commit, a notification and the safety
// poll: it gets each of p1's events after 2 once, in order, and never
// p2's; a stream of one type gets only that type.
func TestHubDeliversInOrder(t *testing.T) {
	o := newOutbox()
	p1, pr1 := processor()
	p2, _ := processor()
	o.add(p1, 5, false)
	o.add(p2, 3, false)
	hub := feed.NewHub(o, feed.HubOptions{SafetyPoll: 50 * time.Millisecond, Batch: 2})
	defer hub.Close()
	ctx, cancel := context.WithCancel(t.Context())
	f := follow(ctx, t, hub, pr1, 2, nil, func(e *millwa.MarketEvent) {
		if e.ProcessorID != p1 {
			t.Errorf("sent event %d of %s to %s", e.Seq, e.ProcessorID, p1)
		}
	})
	paid := follow(ctx, t, hub, pr1, 0, []millwa.MarketEventType{millwa.EventTradePaid}, nil)
	f.waitFor(t, 3)                                 // 3, 4, 5 from the database
	o.add(p1, 2, true)                              // 9, 10: the bell
	o.add(p2, 4, true)                              // none of p1's
	o.addTyped(p1, millwa.EventTradePaid, 1, false) // 15: announced
	o.notify <- struct{}{}
	f.waitFor(t, 6)
	o.add(p1, 1, false) // 16: found by the safety poll
	f.waitFor(t, 7)
	paid.waitFor(t, 1)
	cancel()
	if err := <-f.done; !errors.Is(err, context.Canceled) {
		t.Errorf("Follow ended with %v; want context.Canceled", err)
	}
	if want := []int64{3, 4, 5, 9, 10, 15, 16}; !slices.Equal(f.got(), want) {
		t.Errorf("events sent %v; want %v", f.got(), want)
	}
	<-paid.done
	if want := []int64{15}; !slices.Equal(paid.got(), want) {
		t.Errorf("TRADE_PAID events sent %v; want %v", paid.got(), want)
	}
}

// TestHubReadsEachEventOnce: fifty streams following from the head cost
// the outbox one read per wake with new events, not one per stream, and
// while idle only the safety poll's reads of the head.
func TestHubReadsEachEventOnce(t *testing.T) {
	o := newOutbox()
	hub := feed.NewHub(o, feed.HubOptions{SafetyPoll: time.Hour})
	defer hub.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	p, pr := processor()
	var fs []*follower
	for range 50 {
		fs = append(fs, follow(ctx, t, hub, pr, 0, nil, nil))
	}
	for hub.Subscribers() < 50 {
		time.Sleep(time.Millisecond)
	}
	for i := range 5 {
		o.add(p, 2, true)
		for _, f := range fs {
			f.waitFor(t, 2*(i+1))
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.scopedReads != 0 {
		t.Errorf("%d reads scoped to a stream; streams starting at the head read nothing themselves", o.scopedReads)
	}
	if o.systemReads != 5 {
		t.Errorf("%d reads of events for 5 commits of 2 events, each read before the next; want 5", o.systemReads)
	}
	// The first subscription's, the hub's first, and one per commit.
	if o.heads != 7 {
		t.Errorf("%d reads of the head; want 7", o.heads)
	}
}

// TestHubSwitchesWithoutGapOrDuplicate starts streams from many cursors
// while events keep arriving, so that many switch from the database to the
// hub while the hub is handing out events; the hub's buffers are small, so
// that some streams fall behind while catching up and some are dropped
// and resume, as a client would. Each ends with exactly its processor's
// events after its cursor, in order.
func TestHubSwitchesWithoutGapOrDuplicate(t *testing.T) {
	o := newOutbox()
	hub := feed.NewHub(o, feed.HubOptions{SafetyPoll: 20 * time.Millisecond, Batch: 3, Buffer: 4})
	defer hub.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	procs := make([]string, 3)
	prins := make([]millwa.Principal, 3)
	for i := range procs {
		procs[i], prins[i] = processor()
	}
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for i := range 300 {
			o.add(procs[i%3], 1+i%3, i%2 == 0)
			time.Sleep(100 * time.Microsecond)
		}
	}()
	type stream struct {
		proc  int
		after int64
		mu    sync.Mutex
		seqs  []int64
		drops int
	}
	var streams []*stream
	var wg sync.WaitGroup
	for i := range 60 {
		time.Sleep(500 * time.Microsecond)
		cur, _ := o.MarketEventCursor(ctx)
		s := &stream{proc: i % 3, after: cur.Head * int64(i%5) / 4} // up to the head, maybe past the hub
		streams = append(streams, s)
		wg.Go(func() {
			after := s.after
			for {
				err := hub.Follow(ctx, prins[s.proc], after, nil, func(e *millwa.MarketEvent, _ int64) error {
					s.mu.Lock()
					s.seqs = append(s.seqs, e.Seq)
					s.mu.Unlock()
					after = e.Seq
					return nil
				})
				var me *millwa.Error
				if !errors.As(err, &me) || me.Reason != "STREAM_TOO_SLOW" {
					return
				}
				s.mu.Lock()
				s.drops++
				s.mu.Unlock()
			}
		})
	}
	<-writerDone
	for _, s := range streams {
		want := o.seqsOf(procs[s.proc], s.after)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			s.mu.Lock()
			n := len(s.seqs)
			s.mu.Unlock()
			if n >= len(want) || time.Now().After(deadline) {
				break
			}
		}
		s.mu.Lock()
		if !slices.Equal(s.seqs, want) {
			t.Errorf("stream of processor %d from %d got %d events %v; want %d %v", s.proc, s.after, len(s.seqs), s.seqs, len(want), want)
		}
		s.mu.Unlock()
	}
	cancel()
	wg.Wait()
}

// TestHubDropsStuckStream: a stream that stops reading does not hold up
// the others; once it reads again it gets what it held, then
// ResourceExhausted naming its last event, and resuming from there loses
// nothing.
func TestHubDropsStuckStream(t *testing.T) {
	o := newOutbox()
	hub := feed.NewHub(o, feed.HubOptions{SafetyPoll: time.Hour, Buffer: 4, SlowGrace: 50 * time.Millisecond})
	defer hub.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	p, pr := processor()
	unstick := make(chan struct{})
	stuck := follow(ctx, t, hub, pr, 0, nil, func(*millwa.MarketEvent) { <-unstick })
	var others []*follower
	for range 5 {
		others = append(others, follow(ctx, t, hub, pr, 0, nil, nil))
	}
	for hub.Subscribers() < 6 {
		time.Sleep(time.Millisecond)
	}
	for range 40 {
		o.add(p, 1, true)
		time.Sleep(200 * time.Microsecond)
	}
	for _, f := range others {
		f.waitFor(t, 40)
	}
	if n := hub.Subscribers(); n != 5 {
		t.Errorf("%d subscribers while one stream is stuck; want the 5 that read", n)
	}
	time.Sleep(100 * time.Millisecond) // stuck for longer than SlowGrace
	close(unstick)
	var err error
	select {
	case err = <-stuck.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the stuck stream did not end once it read again")
	}
	got := stuck.got()
	if len(got) == 0 || len(got) >= 40 {
		t.Fatalf("the stuck stream got %d events before it was dropped; want some, not all", len(got))
	}
	last := got[len(got)-1]
	var me *millwa.Error
	if !errors.As(err, &me) || me.Code != millwa.ResourceExhausted || me.Reason != "STREAM_TOO_SLOW" ||
		!strings.Contains(me.Message, fmt.Sprintf("after_event_id (o Last-Event-ID) = %d", last)) ||
		!strings.Contains(me.Message, fmt.Sprintf("after_event_id (or Last-Event-ID) = %d", last)) {
		t.Fatalf("the stuck stream ended with %v; want ResourceExhausted STREAM_TOO_SLOW naming event %d in Spanish and English", err, last)
	}
	resumed := follow(ctx, t, hub, pr, last, nil, nil)
	resumed.waitFor(t, 40-len(got))
	if all := append(got, resumed.got()...); !slices.Equal(all, o.seqsOf(p, 0)) {
		t.Errorf("before and after resuming the stream got %v; want every event once, in order", all)
	}
}

// TestHubClose: closing the hub ends every stream at once, one that
// waits for events and one still catching up from the database alike,
// each with a *Reconnect naming the last event it sent (an Unavailable
// error); a stream that follows a closed hub gets one too, naming where
// it would have started.
func TestHubClose(t *testing.T) {
	o := newOutbox()
	p1, pr := processor()
	o.add(p1, 3, false)
	hub := feed.NewHub(o, feed.HubOptions{Batch: 1})
	live := follow(t.Context(), t, hub, pr, 0, nil, nil)
	live.waitFor(t, 3)
	// This one blocks in its first send, while catching up.
	sending := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	catching := follow(t.Context(), t, hub, pr, 0, nil, func(*millwa.MarketEvent) {
		once.Do(func() { close(sending) })
		<-release
	})
	<-sending
	hub.Close()
	close(release)
	for name, tc := range map[string]struct {
		f         *follower
		wantAfter int64
	}{"waiting": {live, 3}, "catching up": {catching, 1}} {
		err := <-tc.f.done
		var rc *feed.Reconnect
		if !errors.As(err, &rc) || rc.After != tc.wantAfter || millwa.ErrorCode(err) != millwa.Unavailable {
			t.Errorf("the %s stream of a closed hub ended with %#v; want a Reconnect after %d, Unavailable", name, err, tc.wantAfter)
		}
	}
	err := hub.Follow(t.Context(), pr, 2, nil, nil)
	var rc *feed.Reconnect
	if !errors.As(err, &rc) || rc.After != 2 || millwa.ErrorCode(err) != millwa.Unavailable {
		t.Errorf("a stream on a closed hub = %#v; want a Reconnect after 2, Unavailable", err)
	}
}

// TestHubBurstLargerThanBuffer: streams that keep reading get a burst of
// many more events than their buffers hold, all of them in order and
// without an error: they catch up from the database and join again.
func TestHubBurstLargerThanBuffer(t *testing.T) {
	o := newOutbox()
	hub := feed.NewHub(o, feed.HubOptions{SafetyPoll: time.Hour, Buffer: 4, Batch: 50, SlowGrace: time.Hour})
	defer hub.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	p, pr := processor()
	var fs []*follower
	for range 5 {
		fs = append(fs, follow(ctx, t, hub, pr, 0, nil, nil))
	}
	for hub.Subscribers() < 5 {
		time.Sleep(time.Millisecond)
	}
	o.add(p, 300, true)
	o.add(p, 1, true)
	for _, f := range fs {
		f.waitFor(t, 301)
		if got := f.got(); !slices.Equal(got, o.seqsOf(p, 0)) {
			t.Errorf("a stream got %v; want every event once, in order", got)
		}
	}
	for _, f := range fs {
		select {
		case err := <-f.done:
			t.Errorf("a stream that kept reading ended with %v", err)
		default:
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.scopedReads == 0 {
		t.Error("no stream read the database: the burst fitted the buffers, and tested nothing")
	}
}
