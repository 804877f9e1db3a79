package millwa

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestPageTokenSignature checks that only tokens the server signed are
// accepted: a token made without the key, or altered after signing, is
// refused with the message that tells the client to start again.
func TestPageTokenSignature(t *testing.T) {
	t.Parallel()
	const query = "associations/-\x00\x00"
	tok := EncodePageToken([]string{"2026-01-01T00:00:00.000000Z", "0192"}, query)
	if got, err := DecodePageToken(tok, query); err != nil || len(got) != 2 || got[1] != "0192" {
		t.Fatalf("round trip = %v, %v", got, err)
	}
	payload, tag, _ := strings.Cut(tok, ".")

	// The unsigned form the server used to accept, with a year-0 key.
	unsigned, _ := json.Marshal(pageToken{After: []string{"0000-01-01T00:00:00Z", "x"}, Query: queryDigest(query)})
	// The same payload with a NUL in the key, signed with a guessed key.
	nul, _ := json.Marshal(pageToken{After: []string{"a\x00", "x"}, Query: queryDigest(query)})
	guessed := base64.RawURLEncoding.EncodeToString(nul) + "." +
		base64.RawURLEncoding.EncodeToString(pageTokenTag(bytes.Repeat([]byte{1}, 32), nul))
	// The real tag over another payload.
	swapped := base64.RawURLEncoding.EncodeToString(unsigned) + "." + tag
	flipped := []byte(payload)
	flipped[len(flipped)/2] ^= 1
	for name, bad := range map[string]string{
		"unsigned":     base64.RawURLEncoding.EncodeToString(unsigned),
		"guessed key":  guessed,
		"swapped":      swapped,
		"altered":      string(flipped) + "." + tag,
		"no tag":       payload + ".",
		"short tag":    payload + "." + tag[:20],
		"over limit":   strings.Repeat("A", 2000) + "." + tag,
		"not base64":   "%%%." + tag,
		"empty object": "e30",
	} {
		_, err := DecodePageToken(bad, query)
		var e *Error
		if ErrorCode(err) != Invalid || !errors.As(err, &e) || len(e.Violations) != 1 ||
			e.Violations[0].Field != "page_token" || !strings.Contains(e.Violations[0].Description, "not issued by this service") {
			t.Errorf("%s token: %v; want Invalid page_token, not issued by this service", name, err)
		}
	}
}

// TestPageTokenKeyInstalled checks that tokens are signed with the
// installed key, so that another process holding the same key (a replica)
// accepts them, and that tokens signed before keep working.
func TestPageTokenKeyInstalled(t *testing.T) {
	before := EncodePageToken([]string{"a"}, "q")
	if err := InstallPageTokenKey([]byte("short")); ErrorCode(err) != Internal {
		t.Errorf("short key installed: %v", err)
	}
	key := bytes.Repeat([]byte{7}, 32)
	if err := InstallPageTokenKey(key); err != nil {
		t.Fatal(err)
	}
	tok := EncodePageToken([]string{"b"}, "q")
	payload, tag, _ := strings.Cut(tok, ".")
	p, _ := base64.RawURLEncoding.DecodeString(payload)
	if want := base64.RawURLEncoding.EncodeToString(pageTokenTag(key, p)); tag != want {
		t.Errorf("token tag %s, want the installed key's %s", tag, want)
	}
	for _, tk := range []string{before, tok} {
		if _, err := DecodePageToken(tk, "q"); err != nil {
			t.Errorf("token %s refused after installing a key: %v", tk, err)
		}
	}
}
