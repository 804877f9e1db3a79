package market

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/feed"
	"github.com/millwa/millwa/internal/millwa"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// StreamAcceptedHeader is the header WatchMarket sends once it has
// accepted a call, before any event: a refused call ends without it.
const StreamAcceptedHeader = "x-millwa-stream-accepted"

// WatchMarket streams the caller's market events by cursor, so that
// events of every replica arrive in order and without gaps: it reads from
// the database what the caller missed, then takes the rest from the
// replica's event hub, which reads each new event once for every stream.
// A client that does not keep up is dropped with ResourceExhausted (reason
// STREAM_TOO_SLOW) and resumes from the last event it received.
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
	release, err := s.streams.Open(p.KeyID)
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
	err = s.hub.Follow(ctx, p, after, types, func(e *millwa.MarketEvent, head int64) error {
		// Observed as it is handed to the stream, so that a client holding
		// the event can count on the figure being there.
		s.observer.EventSent(head-e.Seq, time.Since(e.Time))
		return stream.SendMsg(s.responses.response(e, p))
	})
	var rc *feed.Reconnect
	if errors.As(err, &rc) {
		// The replica is stopping: the final message says where to resume.
		_ = stream.SendMsg(reconnectResponse(rc))
	}
	return err
}

// reconnectResponse is the final message of a stream the replica ends as
// it stops.
func reconnectResponse(rc *feed.Reconnect) *millwav1.WatchMarketResponse {
	return &millwav1.WatchMarketResponse{Reconnect: &millwav1.WatchMarketResponse_Reconnect{
		AfterEventId: strconv.FormatInt(rc.After, 10),
		Message: "el servidor se está deteniendo: vuelva a conectarse con after_event_id igual a este / " +
			"the server is stopping: reconnect with after_event_id set to this one",
	}}
}

// responseCacheSize is how many recent events keep their responses.
const responseCacheSize = 1024

// responseCache keeps the responses of recent events, so that an event
// the hub hands to thousands of streams is turned into its message once
// for each way of showing it (with payouts, and without for processors)
// rather than once per stream. An event's number names its content for
// good (the outbox never changes an event), so the number is the key.
// The responses are shared and never changed: gRPC only reads a message
// it sends.
type responseCache struct {
	slots [responseCacheSize]atomic.Pointer[cachedResponse]
}

// cachedResponse is one event's responses, each made once.
type cachedResponse struct {
	seq  int64
	once [2]sync.Once
	resp [2]*sharedResponse
}

// sharedResponse is a response sent to many streams. The server's codec
// sends the bytes of MarshalOnce, made at the first send, to every stream;
// any other codec marshals the embedded message.
type sharedResponse struct {
	*millwav1.WatchMarketResponse
	once sync.Once
	b    []byte
	err  error
}

// MarshalOnce returns the response's encoding, made once.
func (r *sharedResponse) MarshalOnce() ([]byte, error) {
	r.once.Do(func() { r.b, r.err = proto.Marshal(r.WatchMarketResponse) })
	return r.b, r.err
}

// response returns e's response as p may see it.
func (c *responseCache) response(e *millwa.MarketEvent, p millwa.Principal) *sharedResponse {
	view := 0
	if p.Role == millwa.RoleProcessor {
		view = 1
	}
	slot := &c.slots[uint64(e.Seq)%responseCacheSize]
	cr := slot.Load()
	if cr == nil || cr.seq != e.Seq {
		fresh := &cachedResponse{seq: e.Seq}
		if !slot.CompareAndSwap(cr, fresh) {
			// Another stream took the slot first: for this event, or for
			// one far from it (a stream catching up), which it keeps.
			if cr = slot.Load(); cr == nil || cr.seq != e.Seq {
				return &sharedResponse{WatchMarketResponse: &millwav1.WatchMarketResponse{Event: eventToProto(e, p)}}
			}
		} else {
			cr = fresh
		}
	}
	cr.once[view].Do(func() {
		cr.resp[view] = &sharedResponse{WatchMarketResponse: &millwav1.WatchMarketResponse{Event: eventToProto(e, p)}}
	})
	return cr.resp[view]
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
// Each stream holds a connection, a goroutine and a buffer of events, so
// that one key, or a crowd, could otherwise wear the replica down.
func WithStreamLimits(perKey, total int) Option {
	return func(s *Server) { s.streams = feed.NewLimits(perKey, total) }
}

// WithHub has WatchMarket follow the outbox through hub, the replica's
// one reader of it, which the caller closes on shutdown. Without it the
// service makes its own, closed by Close.
func WithHub(hub *feed.Hub) Option {
	return func(s *Server) { s.hub, s.ownHub = hub, false }
}

// Close stops the event hub the service made for itself, ending its
// streams with Unavailable; a hub given by WithHub is left to its owner.
func (s *Server) Close() {
	if s.ownHub {
		s.hub.Close()
	}
}
