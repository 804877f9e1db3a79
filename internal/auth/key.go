// Package auth authenticates callers by API key, decides by a single policy
// table which roles may call each RPC, limits each key's rate, and gives
// services the principal of a call.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
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

// Bearer is a per-call gRPC credential carrying an API key as
// "authorization: Bearer <key>". gRPC sends it only over TLS unless
// Insecure is set, for plaintext connections to loopback.
type Bearer struct {
	Secret   string
	Insecure bool
}

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (b Bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.Secret}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials.
func (b Bearer) RequireTransportSecurity() bool { return !b.Insecure }
