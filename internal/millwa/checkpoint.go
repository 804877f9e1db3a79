package millwa

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// AuditCheckpoint is the audit chain's head signed by the server. A hash
// chain alone can be recomputed whole by whoever can write the audit table;
// a checkpoint saved outside the database cannot, so a rewritten history
// no longer leads to it.
type AuditCheckpoint struct {
	// Sequence is the chain's last event when signed; 0 for an empty log.
	Sequence int64
	// HeadHash is the hash of event Sequence; zero for an empty log.
	HeadHash [32]byte
	// Time is when it was signed, UTC at microsecond precision (the
	// precision of the signed text).
	Time time.Time
	// PublicKey verifies Signature.
	PublicKey ed25519.PublicKey
	// Signature is the Ed25519 signature of Message().
	Signature []byte
}

// checkpointTimeLayout is how the signed text writes Time: fixed width,
// so that one checkpoint has exactly one text.
const checkpointTimeLayout = "2006-01-02T15:04:05.000000Z"

// Message returns the bytes the signature covers, the text the proto's
// AuditCheckpoint documents, so that anyone can check a checkpoint with a
// standard Ed25519 tool rather than Millwa's code.
func (c *AuditCheckpoint) Message() []byte {
	return []byte("millwa-audit-checkpoint/v1\n" +
		"sequence=" + strconv.FormatInt(c.Sequence, 10) + "\n" +
		"head_hash=" + hex.EncodeToString(c.HeadHash[:]) + "\n" +
		"sign_time=" + c.Time.UTC().Format(checkpointTimeLayout) + "\n")
}

// SignAuditCheckpoint returns the checkpoint of the chain head (sequence,
// head) signed with key at t, truncated to the microsecond in UTC.
func SignAuditCheckpoint(key ed25519.PrivateKey, sequence int64, head [32]byte, t time.Time) AuditCheckpoint {
	c := AuditCheckpoint{
		Sequence:  sequence,
		HeadHash:  head,
		Time:      t.UTC().Truncate(time.Microsecond),
		PublicKey: key.Public().(ed25519.PublicKey),
	}
	c.Signature = ed25519.Sign(key, c.Message())
	return c
}

// Verify reports whether the checkpoint's signature verifies under its own
// public key, and that key is want (when want is not nil: the key the
// verifier trusts). It returns an error saying which does not hold.
func (c *AuditCheckpoint) Verify(want ed25519.PublicKey) error {
	if len(c.PublicKey) != ed25519.PublicKeySize {
		return fmt.Errorf("public key has %d bytes, want %d", len(c.PublicKey), ed25519.PublicKeySize)
	}
	if want != nil && !want.Equal(c.PublicKey) {
		return fmt.Errorf("signed with key %x, not this server's key %x: check that the checkpoint comes from this deployment", []byte(c.PublicKey), []byte(want))
	}
	if c.Sequence < 0 {
		return fmt.Errorf("sequence %d is negative", c.Sequence)
	}
	if !ed25519.Verify(c.PublicKey, c.Message(), c.Signature) {
		return errors.New("signature does not verify: the checkpoint is not as the server signed it; use the checkpoint exactly as GetAuditCheckpoint returned it")
	}
	return nil
}
