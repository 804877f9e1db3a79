package webhook

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
)

// AuditEventType is the "type" of an audit event's body.
const AuditEventType = "AUDIT_EVENT"

// MayReadAudit reports whether an organisation's webhooks may take audit
// events: only agencies read the audit log (ListAuditEvents' rule), so
// only their webhooks.
func MayReadAudit(organisation string) bool {
	return strings.HasPrefix(organisation, "agencies/")
}

// auditVisibility is what h's organisation may read of the audit log, as
// ListAuditEvents lets its keys: an agency the events of its regions, of
// itself and of its keys.
func (w *Worker) auditVisibility(ctx context.Context, h *store.Webhook) (store.AuditVisibility, error) {
	v := store.AuditVisibility{Organisation: h.Organisation}
	_, id, _ := strings.Cut(h.Organisation, "/")
	a, err := w.st.GetAgency(ctx, store.SystemPrincipal, id)
	if err != nil {
		return v, err
	}
	v.Regions = a.Regions
	return v, nil
}

// serveAudit delivers the audit events after h's audit cursor that its
// organisation may read, in sequence order; it reports whether it
// delivered every one. Only chained events are read, so the order is the
// chain's.
func (w *Worker) serveAudit(ctx context.Context, h *store.Webhook, leased *time.Time) (bool, error) {
	if !MayReadAudit(h.Organisation) {
		return true, nil
	}
	vis, err := w.auditVisibility(ctx, h)
	if err != nil {
		return false, err
	}
	for {
		head, err := w.st.AuditChainHead(ctx)
		if err != nil {
			return false, err
		}
		page, err := w.st.ListAuditEventsVisibleTo(ctx, vis, store.ListQuery{After: []string{strconv.FormatInt(h.AuditCursor, 10)}, Limit: batch})
		if err != nil {
			return false, err
		}
		for i := range page.Items {
			if ok, err := w.renew(ctx, h, leased); err != nil || !ok {
				return false, err
			}
			out, err := auditOutgoing(&page.Items[i], w.opts.EncodeAudit)
			if err != nil {
				out.failure = "encoding the audit event: " + err.Error()
			}
			if delivered, err := w.attempt(ctx, h, out); err != nil || !delivered {
				return false, err
			}
		}
		if len(page.Items) == batch {
			continue
		}
		if h.AuditCursor < head {
			// The events up to the head read before the page are not the
			// organisation's to read.
			if _, err := w.progress(ctx, h, store.WebhookProgress{Audit: true, Cursor: head, NextAttempt: time.Now()}, nil); err != nil {
				return false, err
			}
		}
		return true, nil
	}
}

func auditOutgoing(e *millwa.AuditEvent, encode EncodeAudit) (outgoing, error) {
	out := outgoing{audit: true, seq: e.Sequence, id: AuditIDPrefix + strconv.FormatInt(e.Sequence, 10), typ: store.AuditDeliveryType}
	var err error
	out.body, err = AuditBody(e, encode)
	return out, err
}

// AuditBody is the JSON body a webhook receives for the audit event e:
// {"id": "audit-" and its sequence, "type": "AUDIT_EVENT", "time",
// "event"}, event being the API's AuditEvent.
func AuditBody(e *millwa.AuditEvent, encode EncodeAudit) ([]byte, error) {
	event, err := encode(e)
	if err != nil {
		return nil, err
	}
	return envelope(AuditIDPrefix+strconv.FormatInt(e.Sequence, 10), AuditEventType, e.Time, event)
}
