package gateway

import (
	"net/http"
	"slices"
	"strings"
)

// CORS answers, for the origins an operator lists (MILLWA_CORS_ORIGINS),
// the browser's cross-origin checks: preflight requests, and the headers
// that let a page of a listed origin read an answer. Requests from other
// origins get no CORS header, so that browsers keep them from reading
// answers; they are served as any request.
const (
	corsAllowMethods  = "GET, POST, PATCH, DELETE"
	corsAllowHeaders  = "Authorization, Content-Type, X-Request-Id, Accept-Language"
	corsExposeHeaders = "X-Request-Id, Retry-After"
	// corsMaxAge is how long, in seconds, a browser may reuse a preflight.
	corsMaxAge = "600"
)

// cors wraps next with the CORS answers for origins; with no origins it
// returns next as it is.
func cors(next http.Handler, origins []string) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		h := w.Header()
		addVary(h, "Origin")
		if origin == "" || !slices.Contains(origins, strings.ToLower(origin)) {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			addVary(h, "Access-Control-Request-Method")
			addVary(h, "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		next.ServeHTTP(w, r)
	})
}

// addVary adds a header name to the Vary header of an answer.
func addVary(h http.Header, name string) {
	h["Vary"] = append(h["Vary"], name)
}
