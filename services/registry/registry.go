// Package registry implements millwa.v1.RegistryService: producer
// associations, their members and classifiers, and their graded lots. It
// converts between proto messages and domain types and leaves validation
// rules to internal/millwa and persistence to internal/store.
package registry

import (
	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// Server is the RegistryService. RPCs not built yet answer Unimplemented
// through the embedded type.
type Server struct {
	millwav1.UnimplementedRegistryServiceServer
	store     *store.Store
	standards *grading.Registry
	// continuous matches new lots at once against the live orders.
	continuous bool
	// publicURL is the base URL a label's QR code links to; see
	// WithPublicURL.
	publicURL func() string
}

// Option configures a Server.
type Option func(*Server)

// WithPublicURL sets the base URL people reach the REST gateway at, such as
// "https://millwa.example", that a lot label's QR code links to. It is a
// function because the address may be known only once the gateway
// listens. Without it labels link to "http://localhost".
func WithPublicURL(base func() string) Option {
	return func(s *Server) { s.publicURL = base }
}

// New returns a RegistryService backed by st, grading lots with standards.
// With continuous set, new lots are matched at once against the live
// purchase orders (see internal/allocation); otherwise they wait for a
// clearing.
func New(st *store.Store, standards *grading.Registry, continuous bool, opts ...Option) *Server {
	s := &Server{store: st, standards: standards, continuous: continuous,
		publicURL: func() string { return "http://localhost" }}
	for _, o := range opts {
		o(s)
	}
	return s
}
