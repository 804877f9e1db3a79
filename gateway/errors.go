package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The generated handlers turn a body that does not decode, or query
// parameters that do not parse, into InvalidArgument with the error's text
// alone. The gateway's decoder and query parser write those texts in the
// forms below, and requestDetails reads them back to add the BadRequest
// detail a client reads the field from, as from every other
// InvalidArgument (AIP-193).
var (
	bodyFieldText     = regexp.MustCompile(`^request body field "([^"]+)": (.+)$`)
	bodyText          = regexp.MustCompile(`^request body: (.+)$`)
	unknownParamsText = regexp.MustCompile(`^unknown query parameters (.+?): remove them`)
)

// requestDetails returns st with a BadRequest detail when it is an
// InvalidArgument without details whose message is one of the gateway's
// own about the body or the query; other statuses are returned as they
// are.
func requestDetails(st *status.Status) *status.Status {
	if st.Code() != codes.InvalidArgument || len(st.Details()) > 0 {
		return st
	}
	msg := st.Message()
	var vs []*errdetails.BadRequest_FieldViolation
	switch {
	case bodyFieldText.MatchString(msg):
		m := bodyFieldText.FindStringSubmatch(msg)
		vs = append(vs, &errdetails.BadRequest_FieldViolation{Field: m[1], Description: m[2]})
	case bodyText.MatchString(msg):
		vs = append(vs, &errdetails.BadRequest_FieldViolation{Field: "body", Description: bodyText.FindStringSubmatch(msg)[1]})
	case unknownParamsText.MatchString(msg):
		for _, name := range strings.Split(unknownParamsText.FindStringSubmatch(msg)[1], ", ") {
			vs = append(vs, &errdetails.BadRequest_FieldViolation{Field: name,
				Description: "is not a query parameter of this route: remove it, or see /openapi.json for the route's parameters"})
		}
	default:
		return st
	}
	if d, err := st.WithDetails(&errdetails.BadRequest{FieldViolations: vs}); err == nil {
		return d
	}
	return st
}

// bodyErrors is a marshaler whose decoder reports a body that does not
// decode as a bodyError, naming the field or the place where it fails.
type bodyErrors struct {
	runtime.Marshaler
}

// NewDecoder implements runtime.Marshaler.
func (m bodyErrors) NewDecoder(r io.Reader) runtime.Decoder {
	dec := m.Marshaler.NewDecoder(r)
	return runtime.DecoderFunc(func(v any) error {
		err := dec.Decode(v)
		if err == nil || errors.Is(err, io.EOF) {
			return err
		}
		return newBodyError(err)
	})
}

// bodyError is why a request body does not decode, and the field it
// fails at when known.
type bodyError struct {
	field  string
	detail string
}

func (e *bodyError) Error() string {
	if e.field != "" {
		return fmt.Sprintf("request body field %q: %s", e.field, e.detail)
	}
	return "request body: " + e.detail
}

// protojsonField finds the field a protojson error names: "unknown field
// \"x\"", "invalid value for int64 field weightGrams: …", "duplicate field
// \"x\"".
var protojsonField = regexp.MustCompile(`(?:unknown|duplicate) field "([^"]+)"|field ([A-Za-z_][A-Za-z0-9_.]*)`)

// newBodyError describes a decoding error: a JSON syntax error by its
// byte offset, a protojson error by the field it names and its position.
func newBodyError(err error) *bodyError {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		return &bodyError{detail: fmt.Sprintf("not JSON at byte offset %d (%v): send one JSON object", syntax.Offset, syntax)}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &bodyError{detail: "the JSON ends before its value is complete: send one whole JSON object"}
	}
	msg := strings.TrimPrefix(err.Error(), "proto: ")
	e := &bodyError{detail: msg}
	if m := protojsonField.FindStringSubmatch(msg); m != nil {
		e.field = m[1] + m[2]
	}
	return e
}
