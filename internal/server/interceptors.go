package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	grpcauth "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/readmask"
)

// RequestID returns the id of the call ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	if info := callInfoFrom(ctx); info != nil {
		return info.requestID
	}
	return ""
}

// maxRequestIDLen bounds a client-supplied x-request-id.
const maxRequestIDLen = 128

// newRequestID takes the client's x-request-id when it is a sane token, or
// makes one, and sends it back as a header.
func newRequestID(ctx context.Context) string {
	var id string
	// One value, without the copy of all the metadata that
	// FromIncomingContext makes.
	if v := metadata.ValueFromIncomingContext(ctx, "x-request-id"); len(v) > 0 && validRequestID(v[0]) {
		id = v[0]
	}
	if id == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	_ = grpc.SetHeader(ctx, metadata.MD{"x-request-id": []string{id}})
	return id
}

// withCall returns ctx carrying a new callInfo with the call's request id
// and, for a call of this process's REST gateway, the REST client's
// address: one context value serves the request id, the client and the
// principal alike.
func (s *Server) withCall(ctx context.Context) context.Context {
	return context.WithValue(ctx, callInfoKey{}, &callInfo{requestID: newRequestID(ctx), client: s.restClient(ctx)})
}

// restClient is the address of the REST client a call of this process's
// gateway is made for: the address the gateway saw, which it appends last
// to x-forwarded-for (entries before it are the client's own claims), for
// a call bearing the gateway's token; "" for any other call, whose peer
// address is its client's.
func (s *Server) restClient(ctx context.Context) string {
	token := metadata.ValueFromIncomingContext(ctx, auth.GatewayHeader)
	if s.gatewayToken == "" || len(token) != 1 || subtle.ConstantTimeCompare([]byte(token[0]), []byte(s.gatewayToken)) != 1 {
		return ""
	}
	xff := metadata.ValueFromIncomingContext(ctx, "x-forwarded-for")
	if len(xff) == 0 {
		return ""
	}
	parts := strings.Split(xff[len(xff)-1], ",")
	return strings.TrimSpace(parts[len(parts)-1])
}

func validRequestID(s string) bool {
	if s == "" || len(s) > maxRequestIDLen {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' })
}

// interceptors builds the server's interceptor chains. Order, outermost
// first: request id, for unary calls the deadline policy, metrics,
// logging, refusing malformed input (before anything reads the database),
// admission (the rate limit, then authentication and the policy table),
// noting the principal for the log, for streams the guard that ends them
// when their key stops authenticating, error mapping and panic recovery.
func (s *Server) interceptors() ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor) {
	logOpts := []logging.Option{
		logging.WithLogOnEvents(logging.FinishCall),
		logging.WithFieldsFromContext(logFields),
	}
	logger := logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		s.log.Log(ctx, slog.Level(lvl), msg, fields...)
	})
	recoverOpt := recovery.WithRecoveryHandlerContext(s.recovered)

	unary := []grpc.UnaryServerInterceptor{
		// The deadline comes before everything that may wait on the
		// database, the key lookup included, so that no call outlives it.
		s.startCall,
		s.metrics.UnaryServerInterceptor(),
		s.logUnary,
		s.serveCall,
		// Inside serveCall, so that a bad read_mask is mapped like any
		// other invalid input and the call is admitted first.
		readmask.UnaryServerInterceptor,
	}
	stream := []grpc.StreamServerInterceptor{
		func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			return handler(srv, &contextStream{ServerStream: ss, ctx: s.withCall(ss.Context())})
		},
		s.metrics.StreamServerInterceptor(),
		logging.StreamServerInterceptor(logger, logOpts...),
		s.checkInputStream,
		grpcauth.StreamServerInterceptor(s.admit),
		func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			notePrincipal(ss.Context())
			return handler(srv, ss)
		},
		s.guardStream,
		func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			err := handler(srv, ss)
			return toStatus(ss.Context(), s.log, info.FullMethod, err)
		},
		recovery.StreamServerInterceptor(recoverOpt),
	}
	return unary, stream
}

// startCall gives a unary call its request id (see withCall) and applies
// the deadline policy (see deadlinePolicy), in one interceptor rather than
// two since every call passes through both.
func (s *Server) startCall(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return s.deadlinePolicy(s.withCall(ctx), req, info, handler)
}

// serveCall is the inner part of the unary chain, in one interceptor
// since every call passes through all of its steps, in this order:
// refusing malformed input (before anything that may refuse a call: it
// takes the codec's note of a request that did not decode, see
// inputCodec, and before anything reads the database), admission (the
// rate limit, then authentication and the policy table), noting the
// principal for the log, error mapping and panic recovery.
func (s *Server) serveCall(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := s.inputError(ctx, info.FullMethod, req); err != nil {
		return nil, err
	}
	ctx, err := s.admit(ctx)
	if err != nil {
		return nil, err
	}
	notePrincipal(ctx)
	resp, err := s.recoverUnary(ctx, req, handler)
	return resp, toStatus(ctx, s.log, info.FullMethod, err)
}

// recoverUnary runs handler, turning a panic into the Internal status
// recovered answers.
func (s *Server) recoverUnary(ctx context.Context, req any, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, s.recovered(ctx, p)
		}
	}()
	return handler(ctx, req)
}

// recovered logs a handler's panic and returns what the caller sees of it.
func (s *Server) recovered(ctx context.Context, p any) error {
	s.log.ErrorContext(ctx, "panic in handler", "panic", fmt.Sprint(p), "stack", string(debug.Stack()), "request_id", RequestID(ctx))
	return internalStatus(callLanguage(ctx))
}

// deadlinePolicy gives a call without a deadline the default one and cuts a
// longer deadline down to the maximum, so that no unary call runs unbounded.
func (s *Server) deadlinePolicy(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	limit := s.cfg.DefaultRPCTimeout
	if dl, ok := ctx.Deadline(); ok {
		if time.Until(dl) <= s.cfg.MaxRPCTimeout {
			return handler(ctx, req)
		}
		limit = s.cfg.MaxRPCTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	return handler(ctx, req)
}

// contextStream is a ServerStream with a replaced context.
type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (c *contextStream) Context() context.Context { return c.ctx }

// guardStream runs a stream under the stream guard, so that it ends when
// its key is revoked or expires, answering Unauthenticated rather than the
// Canceled its handler sees.
func (s *Server) guardStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx, done := s.streams.Guard(ss.Context())
	defer done()
	err := handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
	if auth.StreamEndedByKey(ctx) {
		return newStatus(auth.StreamKeyError(), callLanguage(ctx))
	}
	return err
}
