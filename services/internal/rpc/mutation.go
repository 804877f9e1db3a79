package rpc

import (
	"context"
	"crypto/sha256"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
)

// ReplayedHeader is the response header (gRPC metadata; X-Millwa-Replayed
// over REST) set to "true" when the answer is the stored answer of an
// earlier call with the same request_id.
const ReplayedHeader = "x-millwa-replayed"

// Retention is how long the answer to a request_id is kept for retries.
const Retention = 30 * 24 * time.Hour

// Request is a state-changing request: every such message has a request_id.
type Request interface {
	proto.Message
	GetRequestId() string
}

// Event is what the audit chain records of a change.
type Event struct {
	// Resource is the resource name the change is about.
	Resource string
	// Action is a short verb: "create", "revoke", ….
	Action string
	// Region is the ubigeo code where the resource lies, "" for none.
	Region string
}

// Options adjust how a response is kept for retries.
type Options[R proto.Message] struct {
	// Stored, when set, returns the form of the response to keep for
	// retries, for example without a secret that must not be stored.
	Stored func(R) R
	// Replay, when set, turns a stored response into the answer to a
	// retry, or into an error saying why it cannot be replayed.
	Replay func(R) (R, error)
}

// Do runs change for req, recording each of the events change returns in
// the audit chain (one per resource changed). change must be idempotent: the transaction may
// be retried on a conflict. newResponse makes an empty response for a
// replayed answer; nil makes a new R. The request_id is scoped by the caller's organisation
// and the RPC method; a request_id already used with a different request
// answers Invalid, and one whose first call is still running answers
// Aborted once waiting is pointless.
func Do[R proto.Message](ctx context.Context, st *store.Store, req Request, newResponse func() R,
	change func(tx *store.Tx) (R, []Event, error), opts ...Options[R]) (R, error) {
	var o Options[R]
	if len(opts) > 0 {
		o = opts[0]
	}
	p, _ := auth.FromContext(ctx)
	method, _ := grpc.Method(ctx)
	var key store.RequestKey
	var digest [32]byte
	if id := req.GetRequestId(); id != "" {
		key = store.RequestKey{Organisation: p.Organisation, Method: method, RequestID: id}
		var err error
		if digest, err = requestDigest(req); err != nil {
			var zero R
			return zero, err
		}
	}

	var resp R
	replayed := false
	err := st.InTx(ctx, func(tx *store.Tx) error {
		replayed = false
		if key.RequestID != "" {
			stored, claimed, err := tx.ClaimRequest(ctx, key, digest, Retention)
			if err != nil {
				return err
			}
			if !claimed {
				r := emptyResponse(newResponse)
				if err := proto.Unmarshal(stored, r); err != nil {
					return millwa.Wrap(millwa.Internal, err, "decoding the stored answer to request_id %q", key.RequestID)
				}
				resp, replayed = r, true
				return nil
			}
		}
		r, events, err := change(tx)
		if err != nil {
			return err
		}
		kept := r
		if o.Stored != nil {
			kept = o.Stored(r)
		}
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(kept)
		if err != nil {
			return millwa.Wrap(millwa.Internal, err, "encoding the answer")
		}
		audit := auditEvents(p, method, sha256.Sum256(b), events)
		if key.RequestID == "" {
			if err := tx.RecordAuditEvents(ctx, audit...); err != nil {
				return err
			}
		} else if err := tx.RecordAuditEventsAndComplete(ctx, key, b, audit...); err != nil {
			return err
		}
		resp = r
		return nil
	})
	if err != nil {
		var zero R
		return zero, err
	}
	if replayed {
		// Tell the client the answer is the first call's, not a new change.
		_ = grpc.SetHeader(ctx, metadata.Pairs(ReplayedHeader, "true"))
		if o.Replay != nil {
			return o.Replay(resp)
		}
	}
	return resp, nil
}

// auditEvents are the audit chain's records of events, changes p made
// through method whose answer has the given digest.
func auditEvents(p millwa.Principal, method string, digest [32]byte, events []Event) []*millwa.AuditEvent {
	audit := make([]*millwa.AuditEvent, len(events))
	for i, ev := range events {
		audit[i] = &millwa.AuditEvent{
			Actor:        p.Actor(),
			Role:         p.Role,
			Organisation: p.Organisation,
			Method:       method,
			Resource:     ev.Resource,
			Action:       ev.Action,
			Region:       ev.Region,
			ChangeDigest: digest,
		}
	}
	return audit
}

// requestDigest is the SHA-256 of the request's deterministic encoding
// without its request_id, so that the same request under the same id
// matches and any other does not.
func requestDigest(req Request) ([32]byte, error) {
	c := proto.Clone(req)
	if f := c.ProtoReflect().Descriptor().Fields().ByName("request_id"); f != nil {
		c.ProtoReflect().Clear(f)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	if err != nil {
		return [32]byte{}, millwa.Wrap(millwa.Internal, err, "encoding the request")
	}
	return sha256.Sum256(b), nil
}

// emptyResponse is newResponse(), or a new message of type R when
// newResponse is nil.
func emptyResponse[R proto.Message](newResponse func() R) R {
	if newResponse != nil {
		return newResponse()
	}
	var r R
	return r.ProtoReflect().Type().New().Interface().(R)
}

// Create answers the Create RPC of a resource without a parent: it admits
// the caller, checks the request_id and the resource given in the request
// field named field (Input), and runs insert, which writes the resource
// and answers it with its audit event, under Do.
func Create[D any, PD Checked[D], P comparable, R proto.Message](ctx context.Context, st *store.Store, req Request, field string, in P,
	from func(P) D, insert func(tx *store.Tx, d *D) (R, Event, error)) (R, error) {
	var zero R
	if _, err := Require(ctx); err != nil {
		return zero, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	d := Input[D, PD](&vs, field, in, from)
	if err := vs.Err(); err != nil {
		return zero, err
	}
	return Do(ctx, st, req, nil, func(tx *store.Tx) (R, []Event, error) {
		created := d
		r, ev, err := insert(tx, &created)
		if err != nil {
			return zero, nil, err
		}
		return r, []Event{ev}, nil
	})
}
