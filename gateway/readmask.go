package gateway

import (
	"context"
	"net/http"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// The server prunes the answer to a request with a read mask (AIP-157,
// internal/readmask); the gateway's JSON would still write every pruned
// field with its default value, since it emits defaults. So a REST request
// with ?readMask= gets its resources written without default values: the
// fields named in the mask and set, and nothing else.

// sparseKey marks the context of a REST request with a read mask.
type sparseKey struct{}

// sparseJSON writes the answer to a masked request: no default values.
var sparseJSON = protojson.MarshalOptions{}

// markSparse marks the context of a request whose query has a read mask
// other than "*".
func markSparse(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		for _, key := range []string{"readMask", "read_mask"} {
			for _, v := range q[key] {
				if v = strings.TrimSpace(v); v != "" && v != "*" {
					r = r.WithContext(context.WithValue(r.Context(), sparseKey{}, true))
					next.ServeHTTP(w, r)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// sparse is a message to be written without default values.
type sparse struct{ proto.Message }

// responseBody is what grpc-gateway's answers with a response_body
// implement.
type responseBody interface {
	XXX_ResponseBody() any
}

// sparseBody is an answer with a response_body, whose body is written
// without default values.
type sparseBody struct {
	proto.Message
	body responseBody
}

// XXX_ResponseBody implements grpc-gateway's response_body selection.
func (s sparseBody) XXX_ResponseBody() any {
	if m, ok := s.body.XXX_ResponseBody().(proto.Message); ok {
		return sparse{m}
	}
	return s.body.XXX_ResponseBody()
}

// rewriteSparse wraps the answer to a masked request so that strictJSON
// writes it without default values.
func rewriteSparse(ctx context.Context, resp proto.Message) (any, error) {
	if ctx.Value(sparseKey{}) == nil {
		return resp, nil
	}
	if rb, ok := resp.(responseBody); ok {
		return sparseBody{Message: resp, body: rb}, nil
	}
	return sparse{resp}, nil
}
