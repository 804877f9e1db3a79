package gateway

import (
	"net/http"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// accessTokenParam is the query parameter of a session token
// (IdentityService.CreateSessionToken), accepted by the event stream and
// the report pages only, for browsers that cannot send a header there.
const accessTokenParam = "access_token"

// sessionTokenPrefix starts every session token (auth.SessionPrefix; the
// gateway imports no server package).
const sessionTokenPrefix = "mlwt_"

// acceptSessionToken lets a route take a session token in the query
// instead of the Authorization header: the token is moved into the header
// and out of the query, and the server then accepts it for the route's
// RPC only. Anything else in access_token, an API key above all, is
// refused with 401 without being used: a key in a URL ends up in
// histories, logs and Referer headers, so it must be revoked and the
// caller is told so. A request with both a header and a token is refused
// too, so that it is never unclear which one acts.
func acceptSessionToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		tokens, ok := q[accessTokenParam]
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		switch {
		case len(tokens) != 1 || !strings.HasPrefix(tokens[0], sessionTokenPrefix):
			writeStatus(w, r, http.StatusUnauthorized, status.New(codes.Unauthenticated,
				"access_token takes a session token from POST /v1/sessionTokens, never an API key: if you sent a key in a URL, revoke it, and send keys only as the header Authorization: Bearer <key>"))
			return
		case r.Header.Get("Authorization") != "":
			writeStatus(w, r, http.StatusBadRequest, status.New(codes.InvalidArgument,
				"send either the header Authorization or the query parameter access_token, not both"))
			return
		}
		q.Del(accessTokenParam)
		r2 := r.Clone(r.Context())
		r2.URL.RawQuery = q.Encode()
		r2.RequestURI = r2.URL.RequestURI()
		r2.Header.Set("Authorization", "Bearer "+tokens[0])
		next.ServeHTTP(w, r2)
	})
}
