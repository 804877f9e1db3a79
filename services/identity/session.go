package identity

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// IssueSessions has the service issue session tokens with issue, which
// signs a token for the key of the call (auth.Authenticator's
// IssueSessionToken). Without it, CreateSessionToken answers Unimplemented.
func IssueSessions(issue func(ctx context.Context) (string, time.Time, error)) Option {
	return func(s *Server) { s.issueSession = issue }
}

// CreateSessionToken issues a short-lived token for the calling key.
func (s *Server) CreateSessionToken(ctx context.Context, _ *millwav1.CreateSessionTokenRequest) (*millwav1.CreateSessionTokenResponse, error) {
	if s.issueSession == nil {
		return nil, millwa.Errorf(millwa.Unimplemented, "session tokens are not issued by this server: send the API key as the header authorization: Bearer <key>")
	}
	token, expire, err := s.issueSession(ctx)
	if err != nil {
		return nil, err
	}
	return &millwav1.CreateSessionTokenResponse{Token: token, ExpireTime: timestamppb.New(expire)}, nil
}
