// Package credential holds the per-call gRPC credential that carries an API
// key. It is its own package, importing only gRPC's credentials interface,
// so that a client such as millwactl can send a key without linking the
// server's authentication, its store or a database driver.
package credential

import "context"

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
