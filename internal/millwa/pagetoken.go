package millwa

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"unicode/utf8"
)

// pageToken is what an opaque page token carries: the sort key of the last
// item returned (its order_by values, then its id) and a digest of the
// query, so that a token is only accepted with the parent, filter and order
// it was made for. The token is signed, so that the sort key reaching the
// database is always one the server read from it.
type pageToken struct {
	After []string `json:"a"`
	Query []byte   `json:"q"`
}

// Limits on a page token accepted from a client.
const (
	maxPageTokenLen = 1024
	maxPageTokenKey = 8
)

// MinPageTokenKeyLen is the shortest key InstallPageTokenKey takes: as
// long as the HMAC-SHA256 output, so that guessing the key is no easier
// than forging a tag.
const MinPageTokenKeyLen = 32

// pageTokenDomain separates page token tags from any other use of the key.
const pageTokenDomain = "millwa page token v1\x00"

// pageKeys holds the key tokens are signed with and the keys they are
// checked against. A process starts with a random key of its own, so that
// tokens are signed even before (or without) a server installing the key
// its replicas share.
var pageKeys struct {
	sync.RWMutex
	sign   []byte
	accept [][]byte
}

func init() {
	k := make([]byte, MinPageTokenKeyLen)
	if _, err := rand.Read(k); err != nil {
		panic("millwa: no randomness for the page token key: " + err.Error())
	}
	pageKeys.sign = k
	pageKeys.accept = [][]byte{k}
}

// InstallPageTokenKey makes key the one page tokens are signed with from
// now on; the server installs, once at start, the key every replica reads
// from the database, so that a token made by one replica pages on another.
// Tokens signed with a key installed earlier in the same process stay
// valid: several servers in one process (tests) each keep paging.
func InstallPageTokenKey(key []byte) error {
	if len(key) < MinPageTokenKeyLen {
		return Errorf(Internal, "page token key has %d bytes, fewer than %d", len(key), MinPageTokenKeyLen)
	}
	key = append([]byte(nil), key...)
	pageKeys.Lock()
	defer pageKeys.Unlock()
	pageKeys.sign = key
	for _, k := range pageKeys.accept {
		if hmac.Equal(k, key) {
			return nil
		}
	}
	pageKeys.accept = append(pageKeys.accept, key)
	return nil
}

func pageTokenTag(key, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(pageTokenDomain))
	m.Write(payload)
	return m.Sum(nil)
}

func queryDigest(query string) []byte {
	sum := sha256.Sum256([]byte(query))
	return sum[:8]
}

// EncodePageToken returns the signed token of the page that follows the
// item whose sort key is after, for the query (parent, filter and order)
// described by query.
func EncodePageToken(after []string, query string) string {
	payload, _ := json.Marshal(pageToken{After: after, Query: queryDigest(query)})
	pageKeys.RLock()
	tag := pageTokenTag(pageKeys.sign, payload)
	pageKeys.RUnlock()
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(tag)
}

// errNotIssued is the answer to a token this service did not sign.
var errNotIssued = errors.New("page token not issued here")

// DecodePageToken returns the sort key after which the page starts: nil for
// an empty token, or an Invalid error naming page_token when the server did
// not sign the token or it was made for another query.
func DecodePageToken(token, query string) ([]string, error) {
	if token == "" {
		return nil, nil
	}
	var vs Violations
	t, err := verifyPageToken(token)
	if err != nil {
		vs.Add("page_token", "was not issued by this service for this query: start again without it")
		return nil, vs.Err()
	}
	if !hmac.Equal(t.Query, queryDigest(query)) {
		vs.Add("page_token", "was made for another parent, filter or order: repeat the same ones, or start again without page_token")
		return nil, vs.Err()
	}
	return t.After, nil
}

// verifyPageToken checks the token's tag against every accepted key and
// returns what it carries.
func verifyPageToken(token string) (pageToken, error) {
	var t pageToken
	enc, encTag, ok := strings.Cut(token, ".")
	if len(token) > maxPageTokenLen || !ok {
		return t, errNotIssued
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(enc)
	tag, err2 := base64.RawURLEncoding.DecodeString(encTag)
	if err1 != nil || err2 != nil || len(tag) != sha256.Size {
		return t, errNotIssued
	}
	pageKeys.RLock()
	signed := false
	for _, k := range pageKeys.accept {
		if hmac.Equal(pageTokenTag(k, payload), tag) {
			signed = true
			break
		}
	}
	pageKeys.RUnlock()
	if !signed || json.Unmarshal(payload, &t) != nil || len(t.After) > maxPageTokenKey {
		return pageToken{}, errNotIssued
	}
	// A signed token only carries what the server read from its rows; this
	// check keeps text no column can hold from ever reaching a query even
	// so.
	for _, v := range t.After {
		if _, _, bad := ForbiddenControl(v); bad || !utf8.ValidString(v) {
			return pageToken{}, errNotIssued
		}
	}
	return t, nil
}
