package gateway

import (
	"context"
	"mime"
	"net/http"
	"strconv"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
)

// callForRoute makes the RPC behind a route that is not a REST mapping of
// it (a label, a report), with the metadata the generated routes send: the
// Authorization header as "authorization", the forwarded headers,
// x-forwarded-for and Options.Metadata, all taken from mux, so that the
// same interceptors, policy and rate limit apply. On failure it answers
// the error as the generated routes do and ok is false.
func callForRoute[Resp any](w http.ResponseWriter, r *http.Request, mux *runtime.ServeMux, method, pattern string,
	call func(context.Context) (Resp, error)) (resp Resp, ok bool) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	annotated, err := runtime.AnnotateContext(ctx, mux, r, method, runtime.WithHTTPPathPattern(pattern))
	if err != nil {
		errorHandler(ctx, mux, nil, w, r, err)
		return resp, false
	}
	resp, err = call(annotated)
	if err != nil {
		errorHandler(annotated, mux, nil, w, r, err)
		return resp, false
	}
	return resp, true
}

// document is a rendered answer of a route for people.
type document struct {
	body        []byte
	contentType string
	// disposition is "inline" for a page to read, "attachment" for a file
	// to save.
	disposition string
	fileName    string
	// csp is the Content-Security-Policy of the answer, if any.
	csp string
}

// writeDocument answers d with the headers every route for people sends.
// Its body is a tenant's data fetched with a key, so no shared cache may
// keep it; HEAD gets the headers alone.
func writeDocument(w http.ResponseWriter, r *http.Request, d document) {
	hd := w.Header()
	hd.Set("Content-Type", d.contentType)
	hd.Set("Content-Disposition", mime.FormatMediaType(d.disposition, map[string]string{"filename": d.fileName}))
	hd.Set("Content-Length", strconv.Itoa(len(d.body)))
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	if d.csp != "" {
		hd.Set("Content-Security-Policy", d.csp)
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(d.body)
	}
}
