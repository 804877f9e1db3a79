// Package auth authenticates callers by API key, decides by a single policy
// table which roles may call each RPC, limits each key's rate, and gives
// services the principal of a call.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/millwa/millwa/internal/credential"
)

// secretPrefix starts every secret, so that a leaked key is recognisable
// (and secret scanners can find one).
const secretPrefix = "mlw_"

// prefixLen is how much of a secret is kept to recognise the key by.
const prefixLen = 12

// minBootstrapSecretLen bounds how short an operator-chosen admin secret
// (MILLWA_ADMIN_KEY) may be.
const minBootstrapSecretLen = 32

// NewSecret returns a new API key secret of 32 random bytes, "mlw_"
// followed by their unpadded base64url form, with its digest and prefix.
func NewSecret() (secret string, digest [32]byte, prefix string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", digest, "", fmt.Errorf("generating an API key: %w", err)
	}
	secret = secretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, Digest(secret), Prefix(secret), nil
}

// Digest is what is stored of a secret: its SHA-256.
func Digest(secret string) [32]byte {
	return sha256.Sum256([]byte(secret))
}

// Prefix is the start of a secret that identifies the key to people.
func Prefix(secret string) string {
	if len(secret) <= prefixLen {
		return secret
	}
	return secret[:prefixLen]
}

// Bearer is the per-call gRPC credential carrying an API key. It lives in
// internal/credential so that clients can send a key without linking this
// package; the alias keeps auth.Bearer for the server's own tests.
type Bearer = credential.Bearer
