package audit

import (
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/millwa/millwa/internal/millwa"
)

// EncodeWebhookEvent is the "event" member of an audit event's webhook
// body: the AuditEvent as ListAuditEvents answers it, in protojson.
func EncodeWebhookEvent(e *millwa.AuditEvent) ([]byte, error) {
	b, err := protojson.Marshal(eventToProto(e))
	if err != nil {
		return nil, millwa.Wrap(millwa.Internal, err, "encoding audit event %d", e.Sequence)
	}
	return b, nil
}
