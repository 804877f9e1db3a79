package server_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// sseEvent is one server-sent event.
type sseEvent struct{ id, name, data string }

// readSSE reads n events from an event stream, skipping comments.
func readSSE(t *testing.T, sc *bufio.Scanner, n int) []sseEvent {
	t.Helper()
	var out []sseEvent
	var cur sseEvent
	for len(out) < n && sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur != (sseEvent{}) {
				out = append(out, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "id: "):
			cur.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data = strings.TrimPrefix(line, "data: ")
		}
	}
	if len(out) < n {
		t.Fatalf("read %d of %d events: %v", len(out), n, sc.Err())
	}
	return out
}

// TestMarketEventsOverSSE checks the REST form of WatchMarket: an
// association follows its trades as server-sent events, resumes with
// Last-Event-ID, and bad calls answer JSON errors.
func TestMarketEventsOverSSE(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		f := ts.lotFixture(t, "210101")
		proc, procKey := ts.createProcessor(t, "040101")

		open := func(secret, lastID, query string) *http.Response {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			t.Cleanup(cancel)
			req, _ := http.NewRequestWithContext(ctx, "GET", ts.baseURL+"/v1/market/events"+query, nil)
			if secret != "" {
				req.Header.Set("Authorization", "Bearer "+secret)
			}
			if lastID != "" {
				req.Header.Set("Last-Event-ID", lastID)
			}
			resp, err := restClient(t).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { resp.Body.Close() })
			return resp
		}
		resp := open(f.secret, "", "")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("events: HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		// A lot and an order that matches it: the association sees the
		// trade (the order's own events are the processor's).
		var lot millwav1.Lot
		numbered := f.lotOf("BABY", 20_000, 2000)
		numbered.LotNumber = "2026-0042"
		restDo(t, ts, f.secret, "POST", "/v1/"+f.assoc.GetName()+"/lots", numbered, &lot)
		var order millwav1.PurchaseOrder
		o := newOrder()
		o.QuantityGrams = 20_000
		restDo(t, ts, procKey, "POST", "/v1/"+proc.GetName()+"/purchaseOrders", o, &order)
		sc := bufio.NewScanner(resp.Body)
		got := readSSE(t, sc, 1)
		var e millwav1.MarketEvent
		if err := protojson.Unmarshal([]byte(got[0].data), &e); err != nil {
			t.Fatalf("event data %q: %v", got[0].data, err)
		}
		if got[0].name != "TRADE_MATCHED" || e.GetId() != got[0].id || e.GetTrade().GetLot() != lot.GetName() {
			t.Fatalf("first event %+v, want TRADE_MATCHED of %s", got[0], lot.GetName())
		}
		// The event's trade shows its lot and parties as GetTrade does,
		// although the matching built it rather than read it.
		var read millwav1.Trade
		restDo(t, ts, f.secret, "GET", "/v1/"+e.GetTrade().GetName(), nil, &read)
		if tr := e.GetTrade(); tr.GetLotNumber() == "" || tr.GetLotNumber() != lot.GetLotNumber() ||
			tr.GetAssociationDisplayName() == "" || tr.GetAssociationDisplayName() != read.GetAssociationDisplayName() ||
			tr.GetProcessorDisplayName() == "" || tr.GetProcessorDisplayName() != read.GetProcessorDisplayName() {
			t.Errorf("the event's trade shows lot number %q, association %q, processor %q; want %q, %q, %q as GetTrade shows",
				tr.GetLotNumber(), tr.GetAssociationDisplayName(), tr.GetProcessorDisplayName(),
				lot.GetLotNumber(), read.GetAssociationDisplayName(), read.GetProcessorDisplayName())
		}
		trade := e.GetTrade().GetName()
		resp.Body.Close()

		// Confirmed while disconnected; resuming gets just that.
		var confirmed millwav1.ConfirmTradeResponse
		restDo(t, ts, f.secret, "POST", "/v1/"+trade+":confirm", &millwav1.ConfirmTradeRequest{}, &confirmed)
		resumed := open(f.secret, got[0].id, "")
		again := readSSE(t, bufio.NewScanner(resumed.Body), 1)
		if again[0].name != "TRADE_CONFIRMED" || again[0].id <= got[0].id {
			t.Fatalf("after resuming from %s: %+v, want the TRADE_CONFIRMED", got[0].id, again[0])
		}

		// Refusals are JSON statuses.
		for _, tt := range []struct {
			secret, lastID, query string
			http                  int
			code                  codes.Code
		}{
			{"", "", "", http.StatusUnauthorized, codes.Unauthenticated},
			{f.secret, "not-an-id", "", http.StatusBadRequest, codes.InvalidArgument},
			{f.secret, "", "?eventTypes=SOLD", http.StatusBadRequest, codes.InvalidArgument},
		} {
			r := open(tt.secret, tt.lastID, tt.query)
			res := restResult{code: r.StatusCode}
			buf := new(strings.Builder)
			sc := bufio.NewScanner(r.Body)
			for sc.Scan() {
				buf.WriteString(sc.Text())
			}
			res.body = []byte(buf.String())
			restError(t, "events "+tt.query+tt.lastID, res, tt.http, tt.code)
		}
	})
}
