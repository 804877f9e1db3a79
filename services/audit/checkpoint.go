package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"time"

	"github.com/millwa/millwa/internal/millwa"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// maxCheckpoints bounds the checkpoints one VerifyAuditLog call compares.
const maxCheckpoints = 1000

// Option changes how New builds the AuditService.
type Option func(*Server)

// WithSigningKey signs audit checkpoints with key (from a key file, or the
// database's, read once at start) instead of reading the database's key on
// every call.
func WithSigningKey(key ed25519.PrivateKey) Option {
	return func(s *Server) { s.signingKey = key }
}

// LoadSigningKey reads an Ed25519 private key from a PEM file in PKCS #8
// form, as `openssl genpkey -algorithm ed25519 -out key.pem` writes it.
// The error names the file and says what it should hold.
func LoadSigningKey(path string) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the audit signing key: %w", err)
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("audit signing key %s: want a PEM \"PRIVATE KEY\" block (PKCS #8), as `openssl genpkey -algorithm ed25519` writes", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit signing key %s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("audit signing key %s holds a %T, want an Ed25519 key (openssl genpkey -algorithm ed25519)", path, k)
	}
	return key, nil
}

// key returns the key that signs checkpoints: the configured one, else the
// database's, which every replica on it shares.
func (s *Server) key(ctx context.Context) (ed25519.PrivateKey, error) {
	if s.signingKey != nil {
		return s.signingKey, nil
	}
	return s.store.AuditSigningKey(ctx)
}

// GetAuditCheckpoint signs the chain head as it is now.
func (s *Server) GetAuditCheckpoint(ctx context.Context, _ *millwav1.GetAuditCheckpointRequest) (*millwav1.GetAuditCheckpointResponse, error) {
	if _, err := rpc.Require(ctx); err != nil {
		return nil, err
	}
	cp, err := s.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	return &millwav1.GetAuditCheckpointResponse{AuditCheckpoint: CheckpointToProto(&cp)}, nil
}

// Checkpoint signs the chain head as it is now: what GetAuditCheckpoint
// returns, and what the server signs at its checkpoint interval.
func (s *Server) Checkpoint(ctx context.Context) (millwa.AuditCheckpoint, error) {
	key, err := s.key(ctx)
	if err != nil {
		return millwa.AuditCheckpoint{}, err
	}
	seq, head, err := s.store.AuditHead(ctx)
	if err != nil {
		return millwa.AuditCheckpoint{}, err
	}
	return millwa.SignAuditCheckpoint(key, seq, head, time.Now()), nil
}

// CheckpointToProto is the API's form of c.
func CheckpointToProto(c *millwa.AuditCheckpoint) *millwav1.AuditCheckpoint {
	return &millwav1.AuditCheckpoint{
		Sequence:  c.Sequence,
		HeadHash:  hex.EncodeToString(c.HeadHash[:]),
		SignTime:  rpc.Timestamp(c.Time),
		PublicKey: hex.EncodeToString(c.PublicKey),
		Signature: hex.EncodeToString(c.Signature),
	}
}

// CheckpointFromProto parses a checkpoint as GetAuditCheckpoint returned
// it and verifies its signature: under trusted when given, else under the
// key it carries. Problems are added to vs under field.
func CheckpointFromProto(vs *millwa.Violations, field string, p *millwav1.AuditCheckpoint, trusted ed25519.PublicKey) millwa.AuditCheckpoint {
	var c millwa.AuditCheckpoint
	before := len(*vs)
	c.Sequence = p.GetSequence()
	if c.Sequence < 0 {
		vs.Add(field+".sequence", "must not be negative, got %d", c.Sequence)
	}
	decode := func(name, value string, n int) []byte {
		b, err := hex.DecodeString(value)
		if err != nil || len(b) != n {
			vs.Add(field+"."+name, "must be %d lowercase hex characters, as GetAuditCheckpoint returned it", 2*n)
			return nil
		}
		return b
	}
	copy(c.HeadHash[:], decode("head_hash", p.GetHeadHash(), 32))
	c.PublicKey = decode("public_key", p.GetPublicKey(), ed25519.PublicKeySize)
	c.Signature = decode("signature", p.GetSignature(), ed25519.SignatureSize)
	if err := p.GetSignTime().CheckValid(); err != nil {
		vs.Add(field+".sign_time", "must be a valid time, as GetAuditCheckpoint returned it")
	} else {
		c.Time = p.GetSignTime().AsTime()
	}
	if len(*vs) == before {
		if err := c.Verify(trusted); err != nil {
			vs.Add(field+".signature", "%s", err.Error())
		}
	}
	return c
}

// checkpoints parses and verifies the checkpoints of a VerifyAuditLog
// request under this server's public key.
func (s *Server) checkpoints(ctx context.Context, in []*millwav1.AuditCheckpoint) ([]millwa.AuditCheckpoint, error) {
	if len(in) == 0 {
		return nil, nil
	}
	var vs millwa.Violations
	if len(in) > maxCheckpoints {
		vs.Add("checkpoints", "at most %d checkpoints a call, got %d: verify with the latest ones, or split them over several calls", maxCheckpoints, len(in))
		return nil, vs.Err()
	}
	key, err := s.key(ctx)
	if err != nil {
		return nil, err
	}
	trusted := key.Public().(ed25519.PublicKey)
	out := make([]millwa.AuditCheckpoint, len(in))
	for i, p := range in {
		out[i] = CheckpointFromProto(&vs, fmt.Sprintf("checkpoints[%d]", i), p, trusted)
	}
	return out, vs.Err()
}
