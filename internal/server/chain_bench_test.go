package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// BenchmarkUnaryChain measures what the server layer costs a unary call
// before and after its handler: the whole unary interceptor chain around
// a handler that answers at once, for an authenticated GetLot (request
// id, deadline, metrics, the log line at level info, the input check,
// admission through the principal cache, error mapping and recovery).
func BenchmarkUnaryChain(b *testing.B) {
	cfg := config.Default()
	cfg.AdminKey = "mlw_admin-benchmark-key-0123456789abcdef"
	cfg.GRPCAddr = "127.0.0.1:0"
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.MetricsAddr = ""
	cfg.DatabaseURL = storetest.SQLiteURL(b)
	cfg.RateLimit, cfg.RateBurst = 1e9, 1e9
	s, err := New(b.Context(), cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.close)
	unary, _ := s.interceptors()
	info := &grpc.UnaryServerInfo{FullMethod: millwav1.RegistryService_GetLot_FullMethodName}
	lot := &millwav1.Lot{Name: "lots/01"}
	var call grpc.UnaryHandler = func(context.Context, any) (any, error) { return lot, nil }
	for i := len(unary) - 1; i >= 0; i-- {
		next, ic := call, unary[i]
		call = func(ctx context.Context, req any) (any, error) { return ic(ctx, req, info, next) }
	}
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs(
		"authorization", "Bearer "+cfg.AdminKey, "user-agent", "grpc-go/1.0"))
	ctx = peer.NewContext(ctx, &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4242}})
	ctx = grpc.NewContextWithServerTransportStream(ctx, benchStream{method: info.FullMethod})
	req := &millwav1.GetLotRequest{Name: "lots/01HZX3K8Q9V2M4N6P8R0S2T4V6"}
	if _, err := call(ctx, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := call(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// benchStream is the transport stream of a call the benchmark makes
// without a transport: it names the method and drops headers.
type benchStream struct{ method string }

func (s benchStream) Method() string               { return s.method }
func (s benchStream) SetHeader(metadata.MD) error  { return nil }
func (s benchStream) SendHeader(metadata.MD) error { return nil }
func (s benchStream) SetTrailer(metadata.MD) error { return nil }
