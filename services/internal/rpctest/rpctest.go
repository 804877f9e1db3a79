// Package rpctest calls service handlers directly in tests, without a
// listener: a context carries the caller's principal, as the
// interceptors put it there, and the RPC's method, as the gRPC server
// does, with a stream that keeps the headers a handler sets.
package rpctest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/millwa"
)

// DefaultMethod is the method of a context from As.
const DefaultMethod = "/millwa.v1.Test/Call"

// As returns a context for calling handlers as p, through DefaultMethod.
func As(p millwa.Principal) context.Context {
	ctx, _ := Method(auth.WithPrincipal(context.Background(), p), DefaultMethod)
	return ctx
}

// Method returns ctx calling through method (for example
// "/millwa.v1.RegistryService/CreateLot"), with the stream that records the
// headers the handler sets.
func Method(ctx context.Context, method string) (context.Context, *Stream) {
	s := &Stream{method: method}
	return grpc.NewContextWithServerTransportStream(ctx, s), s
}

// Stream is a grpc.ServerTransportStream that keeps headers and trailers.
type Stream struct {
	method string
	mu     sync.Mutex
	header metadata.MD
}

// Method is the RPC's full method name.
func (s *Stream) Method() string { return s.method }

// SetHeader keeps md.
func (s *Stream) SetHeader(md metadata.MD) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.header = metadata.Join(s.header, md)
	return nil
}

// SendHeader keeps md.
func (s *Stream) SendHeader(md metadata.MD) error { return s.SetHeader(md) }

// SetTrailer drops md.
func (s *Stream) SetTrailer(metadata.MD) error { return nil }

// Header is what the handler set as headers so far.
func (s *Stream) Header() metadata.MD {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.header.Copy()
}

var shipped = sync.OnceValues(func() (*grading.Registry, error) { return grading.Load("") })

// Standards returns the shipped standards, loaded once for every test.
func Standards(t testing.TB) *grading.Registry {
	t.Helper()
	reg, err := shipped()
	if err != nil {
		t.Fatalf("loading the shipped standards: %v", err)
	}
	return reg
}

// RUC is the n-th valid RUC of a legal entity (20…), for fixtures.
func RUC(n int) string {
	first := fmt.Sprintf("20%08d", n)
	return first + string(millwa.RUCCheckDigit(first))
}
