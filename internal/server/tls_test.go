package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// testCert makes a self-signed certificate for 127.0.0.1 and localhost
// with the given serial number and writes it and its key as PEM files.
func testCert(t *testing.T, serial int64, certFile, keyFile string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: "millwa test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// Written beside the files and renamed over them, as a mounted
	// Secret is updated, so that no handshake reads half a pair.
	for name, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "PRIVATE KEY", Bytes: keyDER}} {
		tmp := name + ".new"
		if err := os.WriteFile(tmp, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, name); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestTLSOnBothListeners serves TLS from a generated certificate: gRPC
// and HTTPS calls that trust it succeed (the HTTPS one through the
// gateway's own TLS connection to gRPC), plain-text ones fail, and a
// certificate written over the files is served from the next handshake
// on, without a restart.
func TestTLSOnBothListeners(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		dir := t.TempDir()
		certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
		first := testCert(t, 1, certFile, keyFile)
		ts := startServerWith(t, dbURL, func(c *config.Config) { c.TLSCertFile, c.TLSKeyFile = certFile, keyFile })
		roots := x509.NewCertPool()
		roots.AddCert(first)

		conn, err := grpc.NewClient(ts.srv.GRPCAddr(), grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: roots})))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if resp, err := healthpb.NewHealthClient(conn).Check(t.Context(), &healthpb.HealthCheckRequest{}); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("gRPC health check over TLS: %v %v", resp, err)
		}
		if _, err := millwav1.NewGradingServiceClient(conn).ListStandards(t.Context(), &millwav1.ListStandardsRequest{}); err != nil {
			t.Fatalf("ListStandards over TLS: %v", err)
		}
		plain, err := grpc.NewClient(ts.srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer plain.Close()
		if _, err := healthpb.NewHealthClient(plain).Check(t.Context(), &healthpb.HealthCheckRequest{}); err == nil {
			t.Error("a plain-text gRPC call to the TLS listener succeeded")
		}

		httpsClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
		defer httpsClient.CloseIdleConnections()
		get := func(c *http.Client, url string) (int, string) {
			t.Helper()
			resp, err := c.Get(url)
			if err != nil {
				return 0, err.Error()
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if code, body := get(httpsClient, "https://"+ts.srv.HTTPAddr()+"/v1/standards"); code != http.StatusOK || !strings.Contains(body, "pe-ntp-231-301-2014") {
			t.Fatalf("GET /v1/standards over HTTPS: %d %.300s", code, body)
		}
		if code, body := get(http.DefaultClient, "http://"+ts.srv.HTTPAddr()+"/v1/standards"); code == http.StatusOK {
			t.Errorf("a plain HTTP call to the TLS listener answered 200: %.300s", body)
		}
		// curl, as an operator would check it, with the certificate as its
		// only trusted root.
		if curl, err := exec.LookPath("curl"); err == nil {
			out, err := exec.CommandContext(t.Context(), curl, "-sS", "--fail", "--cacert", certFile,
				"https://"+ts.srv.HTTPAddr()+"/healthz").CombinedOutput()
			if err != nil {
				t.Errorf("curl --cacert over HTTPS: %v %s", err, out)
			}
		} else if os.Getenv("CI") != "" {
			t.Error("curl is not installed: CI checks the HTTPS listener with it")
		}
		// grpcurl (pinned in go.mod's tool block) lists the services
		// through reflection over TLS.
		out, err := exec.CommandContext(t.Context(), "go", "tool", "grpcurl", "-cacert", certFile, ts.srv.GRPCAddr(), "list").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "millwa.v1.MarketService") {
			t.Errorf("grpcurl -cacert … list: %v %s", err, out)
		}

		// A renewed certificate: new key, new serial, a later time.
		second := testCert(t, 2, certFile, keyFile)
		later := time.Now().Add(time.Minute)
		for _, f := range []string{certFile, keyFile} {
			if err := os.Chtimes(f, later, later); err != nil {
				t.Fatal(err)
			}
		}
		roots.AddCert(second)
		for _, addr := range []string{ts.srv.GRPCAddr(), ts.srv.HTTPAddr()} {
			c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, NextProtos: []string{"h2"}})
			if err != nil {
				t.Fatalf("TLS handshake with %s after the renewal: %v", addr, err)
			}
			got := c.ConnectionState().PeerCertificates[0].SerialNumber
			c.Close()
			if got.Cmp(second.SerialNumber) != 0 {
				t.Errorf("%s serves certificate %v after the files changed; want the new one, %v", addr, got, second.SerialNumber)
			}
		}
		// The gateway's new connections pin the new certificate.
		fresh := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
		defer fresh.CloseIdleConnections()
		if code, body := get(fresh, "https://"+ts.srv.HTTPAddr()+"/v1/standards"); code != http.StatusOK {
			t.Fatalf("GET /v1/standards over HTTPS after the renewal: %d %.300s", code, body)
		}
	})
}

// TestMetricsOnTheirOwnListener: /metrics answers on the metrics
// listener, and the public HTTP port answers 404 for it.
func TestMetricsOnTheirOwnListener(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		ts := startServer(t, dbURL)
		if res := ts.metrics(t); res.code != http.StatusOK || !strings.Contains(string(res.body), "grpc_server_handled_total") {
			t.Fatalf("GET /metrics on %s: %d %.300s", ts.srv.MetricsAddr(), res.code, res.body)
		}
		if res := ts.restAs(t, "", http.MethodGet, "/metrics", ""); res.code != http.StatusNotFound {
			t.Errorf("GET /metrics on the public port: %d %.300s; want 404", res.code, res.body)
		}
	})
}
