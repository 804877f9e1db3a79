package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// watchMarketMethod is the RPC the events route calls.
const watchMarketMethod = "/millwa.v1.MarketService/WatchMarket"

// EventsPath is where REST clients follow the market: the same events as
// MarketService.WatchMarket, as server-sent events.
const EventsPath = "/v1/market/events"

// streamAcceptedHeader is the header WatchMarket sends once it has
// accepted a call (market.StreamAcceptedHeader; the gateway imports no
// service package).
const streamAcceptedHeader = "x-millwa-stream-accepted"

// keepAlive is how often an idle event stream sends a comment, so that
// proxies and mobile networks do not close a quiet connection.
const keepAlive = 15 * time.Second

// resumeDelay is how soon a browser reconnects to an event stream that
// ended with a resumable error.
const resumeDelay = time.Second

// eventJSON writes events as the REST API writes resources.
var eventJSON = protojson.MarshalOptions{EmitDefaultValues: true}

// registerEvents serves GET /v1/market/events: a text/event-stream of the
// caller's market events, one SSE event per MarketEvent, with the event's
// id as the SSE id and its type as the SSE event name, and the MarketEvent
// as JSON data. A client resumes with the Last-Event-ID header, which
// browsers' EventSource sends by itself on reconnecting, or the
// afterEventId query parameter; eventTypes (repeated) narrows the types.
// Like the label routes, it calls the RPC with the metadata of the
// generated routes, so the same key, policy and rate limit apply; it calls
// over a connection of streams, or over conn when streams is nil.
// Errors before the first event are google.rpc.Status JSON with the HTTP
// code of their gRPC code; an error after it is sent as an SSE event named
// "error" whose data is the status, and the stream ends. When the error is
// resumable (ResourceExhausted: the client fell behind and was dropped;
// Unavailable: the replica is stopping) the event also sets the SSE retry
// delay, and EventSource reconnects by itself with Last-Event-ID, losing
// nothing. When the replica stops, the stream's final event is named
// "reconnect": its id is the last event sent (so that EventSource's
// Last-Event-ID is right), its data the WatchMarketResponse.Reconnect as
// JSON, and it sets the retry delay; the response then ends, and the
// browser reconnects through the load balancer to another replica. A
// browser, whose EventSource cannot send a header, passes a session token
// as ?access_token= instead (session.go).
func registerEvents(root *http.ServeMux, mux *runtime.ServeMux, conn *grpc.ClientConn, streams *StreamPool) {
	h := &eventsHandler{mux: mux, client: func() (millwav1.MarketServiceClient, func(), error) {
		return millwav1.NewMarketServiceClient(conn), func() {}, nil
	}}
	if streams != nil {
		h.client = func() (millwav1.MarketServiceClient, func(), error) {
			c, release, err := streams.acquire()
			if err != nil {
				return nil, nil, status.Error(codes.Unavailable, err.Error())
			}
			return millwav1.NewMarketServiceClient(c), release, nil
		}
	}
	root.Handle("GET "+EventsPath, acceptSessionToken(h))
}

type eventsHandler struct {
	mux *runtime.ServeMux
	// client returns a client for one stream and the function to call
	// when the stream has ended.
	client func() (millwav1.MarketServiceClient, func(), error)
}

func (h *eventsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeStatus(w, r, http.StatusInternalServerError, status.New(codes.Internal, "internal error: streaming is not supported here"))
		return
	}
	req := &millwav1.WatchMarketRequest{AfterEventId: r.URL.Query().Get("afterEventId")}
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		req.AfterEventId = id
	}
	for _, name := range r.URL.Query()["eventTypes"] {
		v, ok := millwav1.MarketEventType_value[strings.ToUpper(name)]
		if !ok {
			v, ok = millwav1.MarketEventType_value["MARKET_EVENT_TYPE_"+strings.ToUpper(name)]
		}
		if !ok || v == 0 {
			writeStatus(w, r, http.StatusBadRequest, status.New(codes.InvalidArgument,
				fmt.Sprintf("eventTypes: %q is not a market event type such as TRADE_MATCHED", name)))
			return
		}
		req.EventTypes = append(req.EventTypes, millwav1.MarketEventType(v))
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	ctx, err := runtime.AnnotateContext(ctx, h.mux, r, watchMarketMethod, runtime.WithHTTPPathPattern(EventsPath))
	if err != nil {
		errorHandler(ctx, h.mux, nil, w, r, err)
		return
	}
	client, release, err := h.client()
	if err != nil {
		errorHandler(ctx, h.mux, nil, w, r, err)
		return
	}
	// Cancelled before the room is given back, so that the next stream
	// on the connection does not wait for this one's end.
	defer func() { cancel(); release() }()
	stream, err := client.WatchMarket(ctx, req)
	if err != nil {
		errorHandler(ctx, h.mux, nil, w, r, err)
		return
	}
	// WatchMarket sends its accepted header once it has accepted the call;
	// a call it refuses ends without it, and its status is what Recv says.
	if md, err := stream.Header(); err != nil || len(md.Get(streamAcceptedHeader)) == 0 {
		_, err := stream.Recv()
		if err == nil {
			err = status.Error(codes.Internal, "internal error: the event stream ended without a status")
		}
		errorHandler(ctx, h.mux, nil, w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()

	type received struct {
		resp *millwav1.WatchMarketResponse
		err  error
	}
	next := make(chan received)
	go func() {
		for {
			resp, err := stream.Recv()
			select {
			case next <- received{resp, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
		case got := <-next:
			if got.err != nil {
				st := status.Convert(got.err)
				body, _ := statusJSON.Marshal(st.Proto())
				if c := st.Code(); c == codes.ResourceExhausted || c == codes.Unavailable {
					// A stream dropped for falling behind, or by a replica
					// shutting down: the browser's EventSource reconnects
					// after this delay with the Last-Event-ID it holds.
					fmt.Fprintf(w, "retry: %d\n", resumeDelay.Milliseconds())
				}
				fmt.Fprintf(w, "event: error\ndata: %s\n\n", body)
				flusher.Flush()
				return
			}
			if !h.write(w, got.resp) {
				flusher.Flush()
				return
			}
		}
		flusher.Flush()
	}
}

// write sends one event; false when the client is gone, or when resp was
// the stream's final message, which says where to reconnect.
func (h *eventsHandler) write(w http.ResponseWriter, resp *millwav1.WatchMarketResponse) bool {
	if rc := resp.GetReconnect(); rc != nil {
		writeReconnect(w, rc)
		return false
	}
	e := resp.GetEvent()
	data, err := eventJSON.Marshal(e)
	if err != nil {
		return false
	}
	_, err = fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", e.GetId(), strings.TrimPrefix(e.GetType().String(), "MARKET_EVENT_TYPE_"), data)
	return err == nil
}

// writeReconnect sends the final event of a stream the replica ends as it
// stops.
func writeReconnect(w http.ResponseWriter, rc *millwav1.WatchMarketResponse_Reconnect) {
	data, err := eventJSON.Marshal(rc)
	if err != nil {
		data = []byte("{}")
	}
	fmt.Fprintf(w, "retry: %d\nid: %s\nevent: reconnect\ndata: %s\n\n", resumeDelay.Milliseconds(), rc.GetAfterEventId(), data)
}
