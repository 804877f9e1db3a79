package market

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/feed"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// StreamAcceptedHeader is the header WatchMarket sends once it has
// accepted a call, before any event: a refused call ends without it.
const StreamAcceptedHeader = "x-millwa-stream-accepted"

// WatchMarket streams the caller's market events from the outbox, by
// cursor, so that events of every replica arrive in order and without
// gaps; a commit on this replica wakes the stream at once, and a short
// poll brings the others'.
func (s *Server) WatchMarket(req *millwav1.WatchMarketRequest, stream millwav1.MarketService_WatchMarketServer) error {
	ctx := stream.Context()
	p, err := rpc.Require(ctx)
	if err != nil {
		return err
	}
	var vs millwa.Violations
	var types []millwa.MarketEventType
	for i, t := range req.GetEventTypes() {
		d, ok := millwa.ParseMarketEventType(t.String())
		types = append(types, d)
		if !ok {
			vs.Add("event_types["+strconv.Itoa(i)+"]", "must be a MARKET_EVENT_TYPE_ value other than UNSPECIFIED")
		}
	}
	if err := vs.Err(); err != nil {
		return err
	}
	release, err := s.streams.open(p.KeyID)
	if err != nil {
		return err
	}
	defer release()
	after, err := feed.Start(ctx, s.store, req.GetAfterEventId())
	if err != nil {
		return err
	}
	// Headers tell a client (the gateway's event route) that the call was
	// accepted before any event arrives.
	if err := stream.SendHeader(metadata.Pairs(StreamAcceptedHeader, "true")); err != nil {
		return err
	}
	s.observer.WatchStarted()
	defer s.observer.WatchEnded()
	return feed.Follow(ctx, s.cursor, p, after, types, feed.Defaults, func(e *millwa.MarketEvent, head int64) error {
		// Observed as it is handed to the stream, so that a client holding
		// the event can count on the figure being there.
		s.observer.EventSent(head-e.Seq, time.Since(e.Time))
		return stream.Send(&millwav1.WatchMarketResponse{Event: eventToProto(e, p)})
	})
}

// eventToProto shows an event as p may see it: processors never see
// payouts.
func eventToProto(e *millwa.MarketEvent, p millwa.Principal) *millwav1.MarketEvent {
	out := &millwav1.MarketEvent{
		Id: strconv.FormatInt(e.Seq, 10), Type: rpc.EnumToProto[millwav1.MarketEventType](millwav1.MarketEventType_value, "MARKET_EVENT_TYPE_", e.Type), EventTime: timestamppb.New(e.Time), Resource: e.Resource,
	}
	switch {
	case e.Trade != nil:
		tr := *e.Trade
		if p.Role == millwa.RoleProcessor {
			tr.Payouts = nil
		}
		out.Payload = &millwav1.MarketEvent_Trade{Trade: tradeToProto(&tr)}
	case e.Order != nil:
		out.Payload = &millwav1.MarketEvent_PurchaseOrder{PurchaseOrder: orderToProto(e.Order)}
	}
	return out
}

// WithStreamLimits caps the WatchMarket streams open on this replica: at
// most perKey for any one API key and total for all; zero leaves a cap off.
// Each stream holds a connection, a goroutine and reads of the outbox, so
// that one key, or a crowd, could otherwise wear the replica down.
func WithStreamLimits(perKey, total int) Option {
	return func(s *Server) { s.streams = newStreamLimits(perKey, total) }
}

// streamRetryDelay is when a client refused for too many streams is told
// to try again: streams are long-lived, so a slot seldom frees sooner.
const streamRetryDelay = 30 * time.Second

// streamLimits counts open streams by key and in all.
type streamLimits struct {
	perKey, total int

	mu    sync.Mutex
	count int
	byKey map[string]int
}

func newStreamLimits(perKey, total int) *streamLimits {
	return &streamLimits{perKey: perKey, total: total, byKey: map[string]int{}}
}

// open admits one more stream of key, or answers ResourceExhausted saying
// which cap was reached and what to do; release ends the stream's count.
func (l *streamLimits) open(key string) (release func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.perKey > 0 && l.byKey[key] >= l.perKey:
		return nil, millwa.Wrap(millwa.ResourceExhausted, retryAfter(streamRetryDelay),
			"this API key has %d market event streams open, the most one key may hold: close one it no longer reads (one stream carries every event type it asks for), or retry in %v",
			l.byKey[key], streamRetryDelay)
	case l.total > 0 && l.count >= l.total:
		return nil, millwa.Wrap(millwa.ResourceExhausted, retryAfter(streamRetryDelay),
			"this server holds %d market event streams, the most it takes: retry in %v, or against another replica", l.count, streamRetryDelay)
	}
	l.count++
	l.byKey[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.count--
			if l.byKey[key]--; l.byKey[key] == 0 {
				delete(l.byKey, key)
			}
		})
	}, nil
}

// retryAfter is the cause of a refused stream: how long to wait. The
// transport finds RetryDelay in the error's chain and sends a RetryInfo.
type retryAfter time.Duration

func (d retryAfter) Error() string { return fmt.Sprintf("retry after %v", time.Duration(d)) }

// RetryDelay returns how long to wait.
func (d retryAfter) RetryDelay() time.Duration { return time.Duration(d) }

// cursorShare is how long one read of the outbox's head serves every
// stream. Each stream looks for events every feed.Defaults.Poll; thousands
// of streams each reading the head would keep the database busy for
// nothing, and REST calls would wait behind them.
const cursorShare = 100 * time.Millisecond

// sharedCursor is the store as feed.Follow reads it, with the outbox's head
// read at most once every cursorShare for all streams together, and again
// at once after a commit on this replica, so that such events still wake
// every stream at once. Other replicas' events arrive within
// feed.Defaults.Poll plus cursorShare.
type sharedCursor struct {
	*store.Store

	mu  sync.Mutex
	cur store.MarketEventCursor
	// added is the store's commit bell as it was before cur was read:
	// closed once a commit may have moved the head past cur.
	added <-chan struct{}
	at    time.Time
}

// MarketEventCursor implements feed.Source.
func (c *sharedCursor) MarketEventCursor(ctx context.Context) (store.MarketEventCursor, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.added != nil && time.Since(c.at) < cursorShare {
		select {
		case <-c.added:
		default:
			return c.cur, nil
		}
	}
	added := c.Store.MarketEventsAdded()
	cur, err := c.Store.MarketEventCursor(ctx)
	if err != nil {
		return cur, err
	}
	c.cur, c.added, c.at = cur, added, time.Now()
	return cur, nil
}
