package server

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certFiles serves the certificate of a pair of PEM files and reads them
// again when either changes (its modification time or size), at the next
// handshake after the change: a renewed certificate (cert-manager
// rewriting a mounted Secret, say) is taken without a restart. A pair that
// does not load, half-written or mismatched, leaves the last good one in
// use, with a warning in the log.
type certFiles struct {
	certFile, keyFile string
	log               *slog.Logger

	mu   sync.Mutex
	cert *tls.Certificate
	// stamp is what the files looked like when cert was read.
	stamp [2]fileStamp
}

// fileStamp is what tells a file changed.
type fileStamp struct {
	mod  time.Time
	size int64
}

// loadCertFiles reads the pair once, failing when it does not load, so
// that a wrong file stops the server at start.
func loadCertFiles(certFile, keyFile string, log *slog.Logger) (*certFiles, error) {
	c := &certFiles{certFile: certFile, keyFile: keyFile, log: log}
	stamp, err := c.stamps()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading the TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	c.cert, c.stamp = &cert, stamp
	return c, nil
}

// stamps reads the files' modification times and sizes.
func (c *certFiles) stamps() ([2]fileStamp, error) {
	var out [2]fileStamp
	for i, name := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(name)
		if err != nil {
			return out, fmt.Errorf("reading the TLS file %s: %w", name, err)
		}
		out[i] = fileStamp{mod: fi.ModTime(), size: fi.Size()}
	}
	return out, nil
}

// current returns the certificate, read again first when a file changed.
func (c *certFiles) current() *tls.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	stamp, err := c.stamps()
	if err != nil || stamp == c.stamp {
		return c.cert
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		c.log.Warn("the TLS files changed but do not load: serving the previous certificate",
			"cert_file", c.certFile, "key_file", c.keyFile, "err", err)
		// Not noted as read, so that the next handshake tries again:
		// the other file of the pair may still be on its way.
		return c.cert
	}
	c.cert, c.stamp = &cert, stamp
	c.log.Info("loaded a new TLS certificate", "cert_file", c.certFile, "not_after", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	return c.cert
}

// serverConfig is the TLS configuration of both listeners.
func (c *certFiles) serverConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return c.current(), nil
		},
	}
}

// errNotOwnCertificate is what the gateway's connection says of a server
// that does not present this server's certificate.
var errNotOwnCertificate = errors.New("the gRPC listener did not present this server's own TLS certificate")

// gatewayConfig is the TLS configuration of the gateway's connections to
// the gRPC listener of the same process. The certificate names the public
// host, not the loopback address the gateway dials, so instead of the
// host name the connection checks that the peer presents exactly the
// certificate this process serves: only this process holds its key.
func (c *certFiles) gatewayConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The usual name check cannot hold for a loopback address;
		// VerifyConnection pins the certificate instead.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			own := c.current()
			if len(cs.PeerCertificates) == 0 || len(own.Certificate) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, own.Certificate[0]) {
				return errNotOwnCertificate
			}
			return nil
		},
	}
}
