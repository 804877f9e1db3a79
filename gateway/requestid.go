package gateway

import (
	"context"
	"fmt"
	"net/http"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// queryRequestIDKey carries a REST call's ?requestId= from the HTTP request
// to the gateway's own client interceptor. grpc-gateway reads no query
// parameters at all on routes whose body is "*" (batchCreate, withdraw,
// cancel, clear, confirm, …), so without it a retried call there would be a
// new call. It is binary metadata so that any query text passes, and the
// interceptor removes it: it never reaches the server.
const queryRequestIDKey = "x-millwa-gateway-query-request-id-bin"

// requestIDField is the field of every state-changing request that makes
// a retry safe (AIP-155).
const requestIDField protoreflect.Name = "request_id"

// queryRequestIDs returns the request ids in r's query under either of the
// names grpc-gateway accepts for the field, as metadata for the interceptor.
func queryRequestIDs(r *http.Request) metadata.MD {
	q := r.URL.Query()
	ids := append(q["requestId"], q["request_id"]...)
	if len(ids) == 0 {
		return nil
	}
	return metadata.MD{queryRequestIDKey: ids}
}

// DialOptions are the options the connection given to NewHandler must be
// dialled with: the interceptors that give ?requestId= to the request on
// every route.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(unaryRequestID),
		grpc.WithChainStreamInterceptor(streamRequestID),
	}
}

// unaryRequestID sets the request's request_id from the query when the
// body left it empty, and refuses a body and a query that name different
// ids, since either answer could then be the wrong one. The same id in
// both is one request.
func unaryRequestID(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	ctx, ids := takeQueryRequestIDs(ctx)
	if len(ids) > 0 {
		if m, ok := req.(proto.Message); ok {
			if err := mergeRequestID(m.ProtoReflect(), ids); err != nil {
				return err
			}
		}
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// streamRequestID only keeps the gateway's query metadata off the wire:
// no streaming call takes a request_id.
func streamRequestID(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	ctx, _ = takeQueryRequestIDs(ctx)
	return streamer(ctx, desc, cc, method, opts...)
}

// takeQueryRequestIDs removes the query's request ids from ctx's outgoing
// metadata and returns them.
func takeQueryRequestIDs(ctx context.Context) (context.Context, []string) {
	md, ok := metadata.FromOutgoingContext(ctx)
	if !ok || len(md.Get(queryRequestIDKey)) == 0 {
		return ctx, nil
	}
	ids := md.Get(queryRequestIDKey)
	md = md.Copy()
	md.Delete(queryRequestIDKey)
	return metadata.NewOutgoingContext(ctx, md), ids
}

// mergeRequestID puts the query's id into m's request_id, if m has one.
func mergeRequestID(m protoreflect.Message, ids []string) error {
	fd := m.Descriptor().Fields().ByName(requestIDField)
	if fd == nil || fd.Kind() != protoreflect.StringKind || fd.IsList() {
		return nil // not a state-changing call: nothing to retry safely
	}
	query := ids[0]
	for _, id := range ids[1:] {
		if id != query {
			return requestIDConflict(fmt.Sprintf("the query names two request ids, %q and %q: send one", query, id))
		}
	}
	switch body := m.Get(fd).String(); {
	case body == "":
		m.Set(fd, protoreflect.ValueOfString(query))
	case body != query:
		return requestIDConflict(fmt.Sprintf("the query's requestId %q differs from the body's %q: send the id once, or the same id in both", query, body))
	}
	return nil
}

// requestIDConflict is the InvalidArgument answer naming request_id.
func requestIDConflict(msg string) error {
	st := status.New(codes.InvalidArgument, "request_id: "+msg)
	if d, err := st.WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
		{Field: "request_id", Description: msg},
	}}); err == nil {
		st = d
	}
	return st.Err()
}
