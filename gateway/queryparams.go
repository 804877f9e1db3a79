package gateway

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// gatewayQueryParams are query parameters the gateway reads itself rather
// than the request message: ?requestId= on every route (requestid.go) and
// access_token, a browser's short-lived token for routes it cannot send a
// header to. Every other parameter must name a field of the route's
// request message.
var gatewayQueryParams = []string{"requestId", "request_id", "access_token", "accessToken"}

// unknownParamsFormat is the message of a request with query parameters
// that name no field, the parameters listed after "parameters ".
const unknownParamsFormat = "unknown query parameters %s: remove them, or see /openapi.json for the parameters of this route"

// strictQuery is the gateway's query parameter parser: grpc-gateway's own,
// which silently ignores a parameter that names no field, after a check
// that refuses such parameters with InvalidArgument naming them, so that
// a misspelt filter or page size is an error and not an unfiltered
// answer. Fields are found by reflecting over the request message, by
// their proto or JSON names, so that fields added later are taken with
// no change here.
type strictQuery struct {
	runtime.DefaultQueryParser
}

// Parse implements runtime.QueryParameterParser.
func (q *strictQuery) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	var unknown []string
	for key := range values {
		if !slices.Contains(gatewayQueryParams, key) && !hasFieldPath(msg.ProtoReflect().Descriptor(), key) {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		// The generated handlers turn the error into InvalidArgument with
		// its text; errorHandler adds the BadRequest detail (errors.go).
		return fmt.Errorf(unknownParamsFormat, strings.Join(unknown, ", "))
	}
	return q.DefaultQueryParser.Parse(msg, values, filter)
}

// hasFieldPath reports whether key, a dotted path of proto or JSON field
// names with an optional [map key] after it ("filter", "pageSize",
// "range.startTime", "labels[color]"), names a field of md.
func hasFieldPath(md protoreflect.MessageDescriptor, key string) bool {
	if i := strings.IndexByte(key, '['); i > 0 && strings.HasSuffix(key, "]") {
		key = key[:i]
	}
	parts := strings.Split(key, ".")
	for i, name := range parts {
		if md == nil {
			return false
		}
		fields := md.Fields()
		fd := fields.ByTextName(name)
		if fd == nil {
			fd = fields.ByJSONName(name)
		}
		if fd == nil {
			return false
		}
		if i < len(parts)-1 {
			md = fd.Message()
		}
	}
	return true
}

// installQueryParser makes strictQuery grpc-gateway's query parser, once:
// the parser is a package variable of grpc-gateway, shared by every mux.
var installQueryParser = sync.OnceFunc(func() {
	runtime.SetQueryParameterParser(&strictQuery{})(nil)
})
