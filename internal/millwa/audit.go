package millwa

import (
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// AuditEvent records one state change. Events form a hash chain: each
// event's Hash covers the previous event's hash, its sequence and its
// canonical bytes, so that changing or removing any event breaks every link
// after it.
type AuditEvent struct {
	// Sequence numbers events from 1 without gaps.
	Sequence int64
	// Actor is the API key's resource name ("apiKeys/{id}") or "system".
	Actor        string
	Role         Role
	Organisation string
	// Method is the full RPC method, for example
	// "/millwa.v1.RegistryService/CreateAssociation".
	Method string
	// Resource is the resource name the change is about.
	Resource string
	// Action is a short verb: "create", "withdraw", "revoke", ….
	Action string
	// Region is the ubigeo code of where the resource lies, "" when none;
	// agencies see the events of their regions.
	Region string
	// ChangeDigest is the SHA-256 of the change (the stored response).
	ChangeDigest [32]byte
	// Time is when the event was appended, UTC, microseconds.
	Time     time.Time
	PrevHash [32]byte
	Hash     [32]byte
}

// CanonicalBytes is the event's content as the chain hashes it: every field
// but Sequence, PrevHash and Hash, in a fixed order, each written as its
// length (unsigned varint) followed by its bytes; Time as RFC 3339 with
// microseconds in UTC.
func (e *AuditEvent) CanonicalBytes() []byte {
	fields := [][]byte{
		[]byte(e.Actor),
		[]byte(e.Role),
		[]byte(e.Organisation),
		[]byte(e.Method),
		[]byte(e.Resource),
		[]byte(e.Action),
		[]byte(e.Region),
		e.ChangeDigest[:],
		[]byte(e.Time.UTC().Format("2006-01-02T15:04:05.000000Z")),
	}
	var b []byte
	for _, f := range fields {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

// ChainHash is sha256(prev ‖ sequence as 8 bytes big-endian ‖ canonical
// bytes of e): the hash of e when it follows the event whose hash is prev.
func ChainHash(prev [32]byte, sequence int64, e *AuditEvent) [32]byte {
	h := sha256.New()
	h.Write(prev[:])
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], uint64(sequence))
	h.Write(seq[:])
	h.Write(e.CanonicalBytes())
	var out [32]byte
	h.Sum(out[:0])
	return out
}
