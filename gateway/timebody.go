package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// timeBodyRoutes are the POST routes whose JSON body holds a time range at
// its top level (startTime, endTime, asOfTime): what timeQuery does for a
// query string, timeBody does for them.
var timeBodyRoutes = []string{"/v1/audit/samplingPlans:propose"}

// timeBody lets the bounds of a time range in the JSON body of one of
// timeBodyRoutes take a date as well as an RFC 3339 time, as the query
// parameters of the reports do, and answers a string in neither format
// with a field violation that names both. protojson reads a Timestamp as
// RFC 3339 alone and reports a bad one as a bare message. A body that is
// not one JSON object is passed on as it is, for the gateway's strict
// decoder to refuse in its own words; limitBody has already read it, so
// reading it again costs no more than a copy.
func timeBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !slices.Contains(timeBodyRoutes, r.URL.Path) || r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			writeStatus(w, r, http.StatusBadRequest, status.New(codes.InvalidArgument, "reading request body: "+err.Error()))
			return
		}
		rewritten, vs := rewriteTimeBounds(body)
		if len(vs) > 0 {
			writeViolations(w, r, vs)
			return
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(rewritten)), int64(len(rewritten))
		next.ServeHTTP(w, r)
	})
}

// rewriteTimeBounds returns body with each top-level string field that is
// a bound of a time range (timeParam) and a date rewritten as the RFC 3339
// time it stands for, or the field violations of those in neither format.
// A body that is not one JSON object, or holds a key twice, is returned
// unchanged.
func rewriteTimeBounds(body []byte) ([]byte, []*errdetails.BadRequest_FieldViolation) {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&fields); err != nil || fields == nil || dec.More() || hasDuplicateKey(body) {
		return body, nil
	}
	var keys []string
	for key := range fields {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	changed := false
	var vs []*errdetails.BadRequest_FieldViolation
	for _, key := range keys {
		field, ok := timeParam(key)
		var v string
		if !ok || json.Unmarshal(fields[key], &v) != nil {
			continue // not a time bound, or not a string: protojson judges it
		}
		s, bad := timeBound(field, v)
		if bad != nil {
			vs = append(vs, bad)
			continue
		}
		if s != v {
			quoted, err := json.Marshal(s)
			if err != nil {
				return body, nil
			}
			fields[key], changed = quoted, true
		}
	}
	if len(vs) > 0 || !changed {
		return body, vs
	}
	out, err := json.Marshal(fields)
	if err != nil {
		return body, nil
	}
	return out, nil
}

// hasDuplicateKey reports whether the JSON object body names a top-level
// key twice, which decoding into a map would hide from protojson.
func hasDuplicateKey(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok {
			return false
		}
		if seen[key] {
			return true
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return false
		}
	}
	return false
}
