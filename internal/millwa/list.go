package millwa

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
)

// Page sizes of List calls (AIP-158).
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// PageSize returns the number of items a List call returns for the
// requested page_size: the default for 0, the maximum for anything above it,
// and an Invalid error for a negative size.
func PageSize(requested int32) (int, error) {
	switch {
	case requested < 0:
		var vs Violations
		vs.Add("page_size", "must not be negative; use 0 for the default of %d", DefaultPageSize)
		return 0, vs.Err()
	case requested == 0:
		return DefaultPageSize, nil
	case requested > MaxPageSize:
		return MaxPageSize, nil
	}
	return int(requested), nil
}

// pageToken is what an opaque page token carries: the sort key of the last
// item returned (its order_by values, then its id) and a digest of the
// query, so that a token is only accepted with the parent, filter and order
// it was made for.
type pageToken struct {
	After []string `json:"a"`
	Query []byte   `json:"q"`
}

// maxPageTokenLen bounds the size of a page token accepted from a client.
const maxPageTokenLen = 1024

// EncodePageToken returns the token of the page that follows the item whose
// sort key is after, for the query (parent, filter and order) described by
// query.
func EncodePageToken(after []string, query string) string {
	sum := sha256.Sum256([]byte(query))
	b, _ := json.Marshal(pageToken{After: after, Query: sum[:8]})
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodePageToken returns the sort key after which the page starts: nil for
// an empty token, or an Invalid error when the token is malformed or was
// made for another query.
func DecodePageToken(token, query string) ([]string, error) {
	if token == "" {
		return nil, nil
	}
	var vs Violations
	b, err := base64.RawURLEncoding.DecodeString(token)
	var t pageToken
	if len(token) > maxPageTokenLen || err != nil || json.Unmarshal(b, &t) != nil {
		vs.Add("page_token", "is not a page token returned by this List call: start again without page_token")
		return nil, vs.Err()
	}
	sum := sha256.Sum256([]byte(query))
	if string(t.Query) != string(sum[:8]) {
		vs.Add("page_token", "was made for another parent, filter or order: repeat the same ones, or start again without page_token")
		return nil, vs.Err()
	}
	return t.After, nil
}
