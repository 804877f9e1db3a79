package feed

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
)

// HubSource is the outbox a Hub follows; *store.Store is one.
type HubSource interface {
	Source
	// ListenMarketEvents returns a channel that receives a value soon
	// after any replica commits market events; nil when the database
	// announces nothing (see store.Store.ListenMarketEvents).
	ListenMarketEvents(ctx context.Context) (<-chan struct{}, error)
}

// HubOptions tune a Hub; a zero field takes its default.
type HubOptions struct {
	// SafetyPoll is how often the hub reads the outbox's head when
	// nothing woke it, in case a notification was lost: the only reads an
	// idle replica makes, whatever the number of streams (default 2 s).
	SafetyPoll time.Duration
	// Batch is how many events the hub, or a stream catching up, reads
	// at a time (default 500).
	Batch int
	// Buffer is how many events the hub holds for a stream (default
	// 256). A stream whose buffer fills up is detached: it catches up
	// from the database and joins again, unless it was still sending what
	// it held SlowGrace later, which makes it too slow.
	Buffer int
	// SlowGrace is how long a detached stream may take to send what the
	// hub held for it before it is dropped as too slow (default 5 s).
	SlowGrace time.Duration
	// OnRead, when set, is called for each read of the outbox the hub or
	// a stream catching up makes (of the head or of events), for metrics.
	OnRead func()
}

// Hub defaults.
const (
	defaultSafetyPoll = 2 * time.Second
	defaultBatch      = 500
	defaultBuffer     = 256
	defaultSlowGrace  = 5 * time.Second
	// hubRetry is how long the hub waits to read again after a read of
	// the outbox failed.
	hubRetry = 500 * time.Millisecond
)

// Hub is a replica's one reader of the market's event outbox. It reads
// each new batch of events once, for every type and party, and hands each
// event to every subscribed stream that may see it, in memory; a stream
// reads the database only to catch up from where its client left off. The
// hub reads when a commit on this replica rings its bell, when PostgreSQL
// announces a commit of any replica (LISTEN/NOTIFY), and at a slow safety
// poll, so that an idle replica asks the database for the head about once
// every SafetyPoll in all, not once per stream.
//
// Every stream has a buffer of Buffer events, and the hub never waits for
// a stream: one whose buffer is full is detached. A stream that sends
// what it held within SlowGrace (a burst larger than the buffer, such as a
// clearing's trades) reads the rest from the database and joins again; one
// that takes longer ends, after the events it held, with
// ResourceExhausted (reason STREAM_TOO_SLOW), telling the client to
// reconnect from the last event it received. A slow client costs only
// itself.
type Hub struct {
	src  HubSource
	opts HubOptions

	mu      sync.Mutex
	started bool
	closed  bool
	// pos is the last event handed to the subscribers: a subscriber that
	// joins gets, from the hub, every event after pos.
	pos  int64
	subs map[*subscription]struct{}
	// closing is closed by Close, so that streams still catching up from
	// the database stop too.
	closing chan struct{}

	stop context.CancelFunc
	done chan struct{}
}

// NewHub returns a hub over src. It reads nothing until the first stream
// subscribes; Close stops it.
func NewHub(src HubSource, opts HubOptions) *Hub {
	if opts.SafetyPoll <= 0 {
		opts.SafetyPoll = defaultSafetyPoll
	}
	if opts.Batch <= 0 {
		opts.Batch = defaultBatch
	}
	if opts.Buffer <= 0 {
		opts.Buffer = defaultBuffer
	}
	if opts.SlowGrace <= 0 {
		opts.SlowGrace = defaultSlowGrace
	}
	if opts.OnRead == nil {
		opts.OnRead = func() {}
	}
	return &Hub{src: src, opts: opts, subs: map[*subscription]struct{}{}, closing: make(chan struct{})}
}

// delivery is one event handed to a subscriber, with the outbox's head as
// the hub read it then.
type delivery struct {
	e    *millwa.MarketEvent
	head int64
}

// subscription is one stream's place in the hub.
type subscription struct {
	p     millwa.Principal
	types []millwa.MarketEventType
	// from is the hub's position when the stream subscribed: the hub
	// hands it the events after from; those up to from it reads itself.
	from int64
	// ch is closed by the hub when it drops the subscription, after err
	// is set, and detached when err is errBehind.
	ch       chan delivery
	err      error
	detached time.Time
}

// wants reports whether the subscriber may see e and asked for its type.
func (s *subscription) wants(e *millwa.MarketEvent) bool {
	return store.MarketEventVisible(s.p, e) && (len(s.types) == 0 || slices.Contains(s.types, e.Type))
}

// errBehind is the reason a subscriber whose buffer filled up is
// detached: Follow catches it up, or ends it as too slow.
var errBehind = &millwa.Error{Code: millwa.ResourceExhausted, Reason: "STREAM_TOO_SLOW"}

// errHubClosed ends the streams of a hub that is closing: the server is
// shutting down.
var errHubClosed = &millwa.Error{Code: millwa.Unavailable, Reason: "STREAM_CLOSED",
	Message: "el servidor se está deteniendo: vuelva a conectarse (a otra réplica) con after_event_id igual al id del último evento recibido / " +
		"the server is shutting down: reconnect (to another replica) with after_event_id set to the id of the last event received"}

// Reconnect is the error that ends every stream of a hub that closes (the
// replica is stopping): After is the number of the last event the stream
// sent, from which the client resumes on another replica without loss.
// It unwraps to an Unavailable error (reason STREAM_CLOSED), which is what
// the stream's status says once its final message is sent.
type Reconnect struct {
	After int64
}

// Error implements error.
func (r *Reconnect) Error() string { return errHubClosed.Error() }

// Unwrap returns the Unavailable error the stream ends with.
func (r *Reconnect) Unwrap() error { return errHubClosed }

// subscribe adds a subscriber, starting the hub on the first one.
func (h *Hub) subscribe(ctx context.Context, p millwa.Principal, types []millwa.MarketEventType) (*subscription, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errHubClosed
	}
	if !h.started {
		h.opts.OnRead()
		cur, err := h.src.MarketEventCursor(ctx)
		if err != nil {
			return nil, err
		}
		h.pos = cur.Head
		runCtx, stop := context.WithCancel(context.Background())
		h.stop, h.done, h.started = stop, make(chan struct{}), true
		go h.run(runCtx)
	}
	s := &subscription{p: p, types: types, from: h.pos, ch: make(chan delivery, h.opts.Buffer)}
	h.subs[s] = struct{}{}
	return s, nil
}

// unsubscribe removes s, if the hub has not dropped it already.
func (h *Hub) unsubscribe(s *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
}

// drop removes s and ends its stream with err, after the events it holds.
// The caller holds h.mu.
func (h *Hub) drop(s *subscription, err error) {
	delete(h.subs, s)
	s.err = err
	if err == errBehind {
		s.detached = time.Now()
	}
	close(s.ch)
}

// Subscribers returns how many streams the hub feeds.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Close stops the hub and ends all its streams at once, each with a
// *Reconnect naming the last event it sent, so that its client resumes on
// another replica from there: those waiting for events, and those still
// catching up from the database. Later streams are refused the same way.
// A server that stops calls it first, before it waits for calls in flight,
// since a stream never ends by itself.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	close(h.closing)
	stop, done := h.stop, h.done
	h.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		h.drop(s, errHubClosed)
	}
}

// run reads the outbox at each wake until ctx ends.
func (h *Hub) run(ctx context.Context) {
	defer close(h.done)
	// A failed listen leaves the bell and the safety poll.
	notified, _ := h.src.ListenMarketEvents(ctx)
	safety := time.NewTicker(h.opts.SafetyPoll)
	defer safety.Stop()
	for {
		// Listen before reading, so that a commit between the read and
		// the wait still wakes the hub.
		bell := h.src.MarketEventsAdded()
		var retry <-chan time.Time
		if err := h.read(ctx); err != nil && ctx.Err() == nil {
			retry = time.After(hubRetry)
		}
		select {
		case <-ctx.Done():
			return
		case <-bell:
		case <-notified:
		case <-safety.C:
		case <-retry:
		}
	}
}

// read hands every event past the hub's position to its subscribers.
func (h *Hub) read(ctx context.Context) error {
	h.opts.OnRead()
	cur, err := h.src.MarketEventCursor(ctx)
	if err != nil {
		return err
	}
	h.mu.Lock()
	pos := h.pos
	if pos < cur.PurgedThrough {
		// The hub was away longer than events are kept: its streams
		// cannot go on without a gap.
		for s := range h.subs {
			h.drop(s, &millwa.Error{Code: millwa.FailedPrecondition, Reason: "EVENTS_PURGED", Message: "events after " +
				strconv.FormatInt(pos, 10) + " are no longer kept: read the current state with the List RPCs, then watch again with an empty after_event_id"})
		}
		h.pos, pos = cur.PurgedThrough, cur.PurgedThrough
	}
	h.mu.Unlock()
	for pos < cur.Head {
		h.opts.OnRead()
		events, err := h.src.MarketEvents(ctx, store.SystemPrincipal, pos, cur.Head, nil, h.opts.Batch)
		if err != nil {
			return err
		}
		h.mu.Lock()
		for i := range events {
			e := &events[i]
			for s := range h.subs {
				if !s.wants(e) {
					continue
				}
				select {
				case s.ch <- delivery{e, cur.Head}:
				default:
					h.drop(s, errBehind)
				}
			}
		}
		if len(events) == 0 {
			pos = cur.Head
		} else {
			pos = events[len(events)-1].Seq
		}
		h.pos = pos
		h.mu.Unlock()
	}
	return nil
}

// Follow hands p's events of the given types (all when empty) numbered
// after after to send, in order and each once, until ctx ends (its error
// is returned), send fails, or the hub drops the stream. It reads the
// events up to the hub's position from the database, scoped to p, then
// takes the rest from the hub.
//
// A stream the hub detached for falling behind sends what it holds, then
// catches up from the database and subscribes again; when that sending
// took longer than SlowGrace (or the client stopped reading), it ends
// instead with ResourceExhausted (reason STREAM_TOO_SLOW) naming the last
// event sent, from which the client resumes without loss. The same holds
// for a stream detached while still catching up from the database.
func (h *Hub) Follow(ctx context.Context, p millwa.Principal, after int64, types []millwa.MarketEventType, send Send) error {
	for {
		sub, err := h.subscribe(ctx, p, types)
		if err == errHubClosed {
			return &Reconnect{After: after}
		}
		if err != nil {
			return err
		}
		after, err = h.follow(ctx, sub, after, send)
		h.unsubscribe(sub)
		if err != errCatchUpAgain {
			return err
		}
	}
}

// errCatchUpAgain says a stream fell behind the hub but keeps up: it
// subscribes again and catches up from the database.
var errCatchUpAgain = &millwa.Error{Code: millwa.Aborted}

// follow runs one subscription: it returns the last event sent and why it
// ended.
func (h *Hub) follow(ctx context.Context, sub *subscription, after int64, send Send) (int64, error) {
	// Catch up from the database to where the hub took over.
	for after < sub.from {
		select {
		case <-h.closing:
			return after, &Reconnect{After: after}
		default:
		}
		h.opts.OnRead()
		events, err := h.src.MarketEvents(ctx, sub.p, after, sub.from, sub.types, h.opts.Batch)
		if err != nil {
			return after, err
		}
		if len(events) == 0 {
			// None of the rest is p's, or of the types asked for.
			after = sub.from
			break
		}
		for i := range events {
			if err := send(&events[i], sub.from); err != nil {
				return after, err
			}
			after = events[i].Seq
		}
	}
	h.mu.Lock()
	_, live := h.subs[sub]
	h.mu.Unlock()
	if !live && sub.err == errBehind {
		return after, h.behind(sub, after)
	}
	for {
		select {
		case <-ctx.Done():
			return after, ctx.Err()
		case d, ok := <-sub.ch:
			if !ok {
				if sub.err == errHubClosed {
					return after, &Reconnect{After: after}
				}
				if sub.err != errBehind {
					return after, sub.err
				}
				return after, h.behind(sub, after)
			}
			// A stream that started past the hub's position (it read the
			// head after a commit the hub had not yet read) has these.
			if d.e.Seq <= after {
				continue
			}
			if err := send(d.e, d.head); err != nil {
				return after, err
			}
			after = d.e.Seq
		}
	}
}

// behind is how a stream the hub detached goes on, once it has sent
// every event it had when it was detached and the last sent was after:
// it catches up again when that took at most SlowGrace, and ends as too
// slow otherwise.
func (h *Hub) behind(sub *subscription, after int64) error {
	if time.Since(sub.detached) > h.opts.SlowGrace {
		return tooSlow(after)
	}
	return errCatchUpAgain
}

// tooSlow is the error of a stream dropped for falling behind, after the
// event numbered last.
func tooSlow(last int64) error {
	id := strconv.FormatInt(last, 10)
	return &millwa.Error{Code: millwa.ResourceExhausted, Reason: "STREAM_TOO_SLOW", Message: "este cliente no leía los eventos al ritmo en que llegan y " +
		"se cerró su flujo: vuelva a conectarse con after_event_id (o Last-Event-ID) = " + id + ", el último evento recibido, y no perderá ninguno / " +
		"this client was not reading events as fast as they arrive and its stream was closed: reconnect with after_event_id (or Last-Event-ID) = " +
		id + ", the last event received, and none will be lost"}
}
