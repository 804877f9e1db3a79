package server

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/millwa/millwa/internal/millwa"
)

// TestLogUnaryMatchesMiddleware checks that the unary call's log line has
// the same fields, values and level as go-grpc-middleware's logging
// interceptor writes (the one streams still use), apart from the clock's
// fields, for calls that succeed and fail, with and without a deadline
// and a principal.
func TestLogUnaryMatchesMiddleware(t *testing.T) {
	cases := []struct {
		name      string
		err       error
		deadline  bool
		principal bool
	}{
		{"ok", nil, true, true},
		{"not found", status.Error(codes.NotFound, "lots/1 not found"), true, true},
		{"internal without deadline or principal", status.Error(codes.Internal, "broken"), false, false},
		{"plain error", context.Canceled, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.WithValue(context.Background(), callInfoKey{}, &callInfo{requestID: "req-1"})
			if c.principal {
				callInfoFrom(ctx).principal.Store(&millwa.Principal{KeyID: "k1", Role: "association", Organisation: "associations/210101"})
			}
			ctx = peer.NewContext(ctx, &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4242}})
			if c.deadline {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Minute)
				defer cancel()
			}
			info := &grpc.UnaryServerInfo{FullMethod: "/millwa.v1.RegistryService/GetLot"}
			handler := func(context.Context, any) (any, error) { return "answer", c.err }

			var ours, theirs bytes.Buffer
			s := &Server{log: slog.New(slog.NewJSONHandler(&ours, nil))}
			resp, err := s.logUnary(ctx, nil, info, handler)
			if resp != "answer" || err != c.err {
				t.Fatalf("logUnary returned %v, %v; want the handler's answer and error", resp, err)
			}
			lib := slog.New(slog.NewJSONHandler(&theirs, nil))
			mw := logging.UnaryServerInterceptor(
				logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
					lib.Log(ctx, slog.Level(lvl), msg, fields...)
				}),
				logging.WithLogOnEvents(logging.FinishCall),
				logging.WithFieldsFromContext(logFields),
			)
			if _, err := mw(ctx, nil, info, handler); err != c.err {
				t.Fatalf("middleware returned %v", err)
			}

			got, want := decodeLine(t, ours.Bytes()), decodeLine(t, theirs.Bytes())
			for _, clock := range []string{"time", "grpc.start_time", "grpc.time_ms"} {
				if _, ok := got[clock]; !ok {
					t.Errorf("line lacks %s: %v", clock, got)
				}
				delete(got, clock)
				delete(want, clock)
			}
			if len(got) != len(want) {
				t.Errorf("fields:\n got %v\nwant %v", got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}

// decodeLine decodes the one JSON log line in b.
func decodeLine(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("log output is not one JSON line: %v\n%s", err, b)
	}
	return m
}

// TestTimeMillisMatchesMiddleware checks the call's duration is written
// as the logging middleware writes it.
func TestTimeMillisMatchesMiddleware(t *testing.T) {
	for _, d := range []time.Duration{0, time.Nanosecond, 999, 1500, 12345678, time.Second, 7*time.Hour + 3*time.Microsecond, 40 * 24 * time.Hour} {
		want := logging.DurationToTimeMillisFields(d)[1]
		if got := timeMillis(d); got != want {
			t.Errorf("timeMillis(%v) = %q, want %q", d, got, want)
		}
	}
}
