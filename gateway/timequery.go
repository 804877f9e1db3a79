package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/millwa/millwa/gateway/report"
)

// timeQuery lets the query parameters of time ranges (start_time,
// endTime, as_of_time, …) take a date as well as an RFC 3339 time, the way
// an inspector writes a period, and answers a value in neither format with
// a field violation that names both. grpc-gateway reads a Timestamp from a
// query parameter as RFC 3339 alone and reports a bad one as a bare
// message, so the dates are rewritten, and bad values refused, here,
// before it parses the query.
func timeQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery == "" {
			next.ServeHTTP(w, r)
			return
		}
		q := r.URL.Query()
		changed := false
		var vs []*errdetails.BadRequest_FieldViolation
		for key, values := range q {
			field, ok := timeParam(key)
			if !ok {
				continue
			}
			for i, v := range values {
				s, bad := timeBound(field, v)
				if bad != nil {
					vs = append(vs, bad)
					continue
				}
				if s != v {
					values[i], changed = s, true
				}
			}
		}
		if len(vs) > 0 {
			writeViolations(w, r, vs)
			return
		}
		if changed {
			r2 := r.Clone(r.Context())
			r2.URL.RawQuery = q.Encode()
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}

// timeParam reports whether a query parameter is a bound of a time range,
// in the proto's snake_case or JSON's camelCase (a nested field's last
// part counts), and returns its proto field path.
func timeParam(key string) (string, bool) {
	last := key[strings.LastIndexByte(key, '.')+1:]
	switch {
	case strings.HasSuffix(last, "_time"):
		return key, true
	case strings.HasSuffix(last, "Time"):
		return camelToSnake(key), true
	}
	return "", false
}

// camelToSnake turns a JSON field path into the proto's: startTime is
// start_time.
func camelToSnake(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= 'A' && c <= 'Z' {
			b.WriteByte('_')
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}

// writeViolations answers 400 with an InvalidArgument status naming the
// first of vs in its message and carrying all of them as a BadRequest.
func writeViolations(w http.ResponseWriter, r *http.Request, vs []*errdetails.BadRequest_FieldViolation) {
	st := status.New(codes.InvalidArgument, "the request has invalid fields: "+vs[0].GetField()+": "+vs[0].GetDescription())
	if d, err := st.WithDetails(&errdetails.BadRequest{FieldViolations: vs}); err == nil {
		st = d
	}
	writeStatus(w, r, http.StatusBadRequest, st)
}

// timeBound reads v, a bound of the time range field, as the reports do
// (report.ParseTime: a date or an RFC 3339 time): it returns the RFC 3339
// time v stands for, or the violation of field that names both formats.
func timeBound(field, v string) (string, *errdetails.BadRequest_FieldViolation) {
	t, err := report.ParseTime(v)
	if err != nil {
		return "", &errdetails.BadRequest_FieldViolation{Field: field, Description: fmt.Sprintf("%q is not %s", v, report.TimeFormats)}
	}
	return t.Format(time.RFC3339Nano), nil
}
