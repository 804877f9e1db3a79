package main

import (
	"context"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	grpcgzip "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/stats"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// answerEncodings records the grpc-encoding of every answer a client
// receives.
type answerEncodings struct {
	mu   sync.Mutex
	seen []string
}

func (a *answerEncodings) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return ctx
}
func (a *answerEncodings) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (a *answerEncodings) HandleConn(context.Context, stats.ConnStats) {}
func (a *answerEncodings) HandleRPC(_ context.Context, s stats.RPCStats) {
	if h, ok := s.(*stats.InHeader); ok && h.IsClient() {
		a.mu.Lock()
		a.seen = append(a.seen, h.Compression)
		a.mu.Unlock()
	}
}

// TestGRPCCompressionIsRegistered calls the binary, a process of its own
// (so that what counts is the compressors the binary registers, not those
// this test's process does), with a gzipped request: it is understood, and
// the answer comes back gzipped.
func TestGRPCCompressionIsRegistered(t *testing.T) {
	p := start(t, t.TempDir(), "MILLWA_ADMIN_KEY="+adminSecret)
	waitServing(t, p.dial(t))
	enc := &answerEncodings{}
	conn, err := grpc.NewClient(p.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithStatsHandler(enc))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := millwav1.NewGradingServiceClient(conn).ListStandards(t.Context(), &millwav1.ListStandardsRequest{}, grpc.UseCompressor(grpcgzip.Name))
	if err != nil {
		t.Fatalf("ListStandards with a gzipped request: %v", err)
	}
	if len(resp.GetStandards()) == 0 {
		t.Fatal("ListStandards with a gzipped request answered no standard")
	}
	enc.mu.Lock()
	defer enc.mu.Unlock()
	if len(enc.seen) != 1 || enc.seen[0] != grpcgzip.Name {
		t.Errorf("answer encodings %q; want one gzip answer", enc.seen)
	}
}
