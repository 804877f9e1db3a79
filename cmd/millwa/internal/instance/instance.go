// Package instance gives the millwa commands their Millwa: the configured
// database, migrated, for the commands that work on it directly (migrate,
// admin), and a server run inside the command for those that seed or
// measure through the API (demo, bench), so that every rule, grade and
// audit event applies to what they do.
package instance

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/credential"
	"github.com/millwa/millwa/internal/server"
	"github.com/millwa/millwa/internal/store"
)

// OpenStore opens the configured database and applies the migrations.
func OpenStore(ctx context.Context, cfg config.Config) (*store.Store, error) {
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("opening database %s: %w", config.Redact(cfg.DatabaseURL), err)
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrating database: %w", err)
	}
	return st, nil
}

// Server is a Millwa server running inside the command on loopback ports.
type Server struct {
	srv  *server.Server
	stop func() error
}

// Start runs cfg's server on loopback ports chosen by the system until
// Stop. It logs as it would in production (JSON, level info) into
// nothing: formatting each call's line is part of a call's cost, writing
// it to a terminal is not; a first admin key it makes is not printed.
// The server outlives ctx's cancellation until Stop, so that a caller can
// still finish its work after an interrupt.
func Start(ctx context.Context, cfg config.Config) (*Server, error) {
	cfg.GRPCAddr, cfg.HTTPAddr, cfg.MetricsAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	srv, err := server.New(ctx, cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), server.WithSecretOutput(io.Discard))
	if err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()
	return &Server{srv: srv, stop: func() error { stop(); return <-done }}, nil
}

// GRPCAddr is the address the gRPC server listens on.
func (s *Server) GRPCAddr() string { return s.srv.GRPCAddr() }

// HTTPAddr is the address the REST gateway listens on.
func (s *Server) HTTPAddr() string { return s.srv.HTTPAddr() }

// MetricsAddr is the address /metrics is served on.
func (s *Server) MetricsAddr() string { return s.srv.MetricsAddr() }

// Stop shuts the server down gracefully and returns what its run
// returned.
func (s *Server) Stop() error { return s.stop() }

// Dial connects to the plaintext gRPC address addr of a server on this
// machine, sending secret as the API key of every call.
func Dial(addr, secret string) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(credential.Bearer{Secret: secret, Insecure: true}))
}
