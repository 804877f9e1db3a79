package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/millwa/millwa/internal/millwa"
)

// Session tokens let a browser open what it cannot send a header to: an
// EventSource cannot set Authorization, and a link to a report page cannot
// either. A token is issued to a key (IdentityService.CreateSessionToken)
// and is accepted as that key, for SessionTTL at most, by the methods of
// SessionMethods only, so that a token that leaks from a URL into a log
// or a history opens little, and not for long.
//
// A token is "mlwt_{key id}.{role}.{expiry, unix seconds}.{mac}", the mac
// an HMAC-SHA256 of the rest keyed with the digest of the key's secret:
// only the server holds the digest, every replica reads it from the
// database, and a revoked or expired key's tokens are refused with it.

// SessionPrefix starts every session token, so that a token is never
// taken for an API key, nor an API key for a token.
const SessionPrefix = "mlwt_"

// SessionTTL is how long a session token is accepted at most.
const SessionTTL = 15 * time.Minute

// SessionMethods are the RPCs a session token opens: the market events
// (/v1/market/events) and the consistency report (its pages).
var SessionMethods = map[string]bool{
	"/millwa.v1.MarketService/WatchMarket":         true,
	"/millwa.v1.AuditService/GetConsistencyReport": true,
}

// DigestStore is what session tokens read: the digest of a key's secret
// by the key's id.
type DigestStore interface {
	APIKeyDigest(ctx context.Context, id string) ([32]byte, error)
}

// sessionRefused is the one answer to a token that is not accepted,
// whatever the reason, which is logged.
const sessionRefused = "session token not accepted (malformed, forged, expired, or its key revoked): ask for a new one with CreateSessionToken"

// IsSessionToken reports whether a bearer secret is a session token.
func IsSessionToken(secret string) bool {
	return strings.HasPrefix(secret, SessionPrefix)
}

// sessionMAC signs the fields of a token with the digest of its key.
func sessionMAC(digest [32]byte, keyID string, role millwa.Role, expiry int64) []byte {
	m := hmac.New(sha256.New, digest[:])
	m.Write([]byte("millwa session token v1\x00" + keyID + "\x00" + string(role) + "\x00" + strconv.FormatInt(expiry, 10)))
	return m.Sum(nil)
}

// IssueSessionToken returns a session token for the key of the call, and
// when it expires: SessionTTL from now, or the key's own expiry when that
// comes first. The call must carry the key itself: a session token cannot
// be traded for another. It returns Unauthenticated when it does not.
func (a *Authenticator) IssueSessionToken(ctx context.Context) (string, time.Time, error) {
	secret, present, err := bearer(ctx)
	p, ok := FromContext(ctx)
	switch {
	case err != nil:
		return "", time.Time{}, err
	case !present || !ok || p.KeyID == "" || IsSessionToken(secret):
		return "", time.Time{}, millwa.Errorf(millwa.Unauthenticated, "a session token is issued for an API key: call with the header authorization: Bearer <key>")
	}
	expire := a.now().Add(SessionTTL).Truncate(time.Second)
	if ke := KeyExpiry(ctx); !ke.IsZero() && ke.Before(expire) {
		expire = ke.Truncate(time.Second)
	}
	exp := expire.Unix()
	mac := sessionMAC(Digest(secret), p.KeyID, p.Role, exp)
	token := SessionPrefix + p.KeyID + "." + string(p.Role) + "." + strconv.FormatInt(exp, 10) + "." + base64.RawURLEncoding.EncodeToString(mac)
	return token, expire.UTC(), nil
}

// sessionDigest checks a session token presented to method and returns
// the digest of its key's secret, with which the key is then read as for
// an API key, and the role the token was issued for. Errors are
// Unauthenticated, or Unavailable when the key cannot be read now.
func (a *Authenticator) sessionDigest(ctx context.Context, token, method string) ([32]byte, millwa.Role, error) {
	var none [32]byte
	if !SessionMethods[method] {
		return none, "", millwa.Errorf(millwa.Unauthenticated, "a session token opens only the market events and the report pages, not %s: send the API key as the header authorization: Bearer <key>", method)
	}
	fields := strings.Split(strings.TrimPrefix(token, SessionPrefix), ".")
	ds, ok := a.keys.(DigestStore)
	if len(fields) != 4 || !ok {
		a.log.InfoContext(ctx, "session token refused", "reason", "malformed")
		return none, "", millwa.Errorf(millwa.Unauthenticated, sessionRefused)
	}
	keyID, role := fields[0], millwa.Role(fields[1])
	exp, err1 := strconv.ParseInt(fields[2], 10, 64)
	mac, err2 := base64.RawURLEncoding.DecodeString(fields[3])
	if err1 != nil || err2 != nil {
		a.log.InfoContext(ctx, "session token refused", "reason", "malformed")
		return none, "", millwa.Errorf(millwa.Unauthenticated, sessionRefused)
	}
	if !a.now().Before(time.Unix(exp, 0)) {
		a.log.InfoContext(ctx, "session token refused", "reason", "expired", "key", "apiKeys/"+keyID)
		return none, "", millwa.Errorf(millwa.Unauthenticated, sessionRefused)
	}
	digest, err := ds.APIKeyDigest(ctx, keyID)
	switch {
	case millwa.ErrorCode(err) == millwa.NotFound:
		a.log.InfoContext(ctx, "session token refused", "reason", "unknown key", "key", "apiKeys/"+keyID)
		return none, "", millwa.Errorf(millwa.Unauthenticated, sessionRefused)
	case err != nil:
		return none, "", authStoreError(err)
	}
	if !hmac.Equal(mac, sessionMAC(digest, keyID, role, exp)) {
		a.log.InfoContext(ctx, "session token refused", "reason", "bad signature", "key", "apiKeys/"+keyID)
		return none, "", millwa.Errorf(millwa.Unauthenticated, sessionRefused)
	}
	return digest, role, nil
}
