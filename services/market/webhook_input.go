package market

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/webhook"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// webhookOwners are the collections whose organisations own webhooks.
var webhookOwners = []string{processorsCollection, "associations", "agencies"}

// endpointRule is what webhook URLs may point at.
type endpointRule struct {
	// allowPrivate admits private, loopback, link-local, multicast and
	// unspecified addresses, and http to a loopback address.
	allowPrivate bool
	// resolver looks up endpoint hosts (net.DefaultResolver unless set).
	resolver webhook.Resolver
}

// WithWebhookAllowPrivate admits webhook URLs whose host is, or resolves
// to, a private, loopback, link-local, multicast or unspecified address,
// and http to a loopback address (MILLWA_WEBHOOK_ALLOW_PRIVATE): for tests
// and on-premise receivers.
func WithWebhookAllowPrivate(allow bool) Option {
	return func(s *Server) { s.endpoints.allowPrivate = allow }
}

// checkAuditEvents answers PermissionDenied when w takes audit events but
// its organisation may not read the audit log.
func checkAuditEvents(w *store.Webhook) error {
	if w.AuditEvents && !webhook.MayReadAudit(w.Organisation) {
		return millwa.Errorf(millwa.PermissionDenied, "%s may not read the audit log (only agencies and admins do), so its webhooks may not take audit events: leave audit_events unset", w.Organisation)
	}
	return nil
}

// checkEndpoint records under field what keeps the host of raw, a URL
// CheckURL accepted, from receiving webhooks.
func (s *Server) checkEndpoint(ctx context.Context, vs *millwa.Violations, field, raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	r := s.endpoints.resolver
	if r == nil {
		r = net.DefaultResolver
	}
	webhook.CheckHost(ctx, vs, field, u.Hostname(), r, s.endpoints.allowPrivate)
}

// maxWebhookEventTypes bounds Webhook.event_types: there are fewer types.
const maxWebhookEventTypes = 16

// parseWebhookParent returns the organisation a parent names
// ("processors/{id}", "associations/{id}" or "agencies/{id}"), recording a
// violation of
// field in vs otherwise.
func parseWebhookParent(vs *millwa.Violations, field, parent string) string {
	for _, c := range webhookOwners {
		if _, err := millwa.ParseName(field, parent, c); err == nil {
			return parent
		}
	}
	vs.Add(field, "must be processors/{id}, associations/{id} or agencies/{id}, got %q", parent)
	return ""
}

// parseWebhookName returns the organisation and the id a webhook's name
// holds.
func parseWebhookName(field, name string) (org, id string, err error) {
	for _, c := range webhookOwners {
		if ids, err := millwa.ParseName(field, name, c, "webhooks"); err == nil {
			return c + "/" + ids[0], ids[1], nil
		}
	}
	var vs millwa.Violations
	vs.Add(field, "must be processors/{id}/webhooks/{id}, associations/{id}/webhooks/{id} or agencies/{id}/webhooks/{id}, got %q", name)
	return "", "", vs.Err()
}

// actFor answers NotFound unless p may manage org's webhooks: admins any
// existing organisation's, the others their own organisation's only.
func (s *Server) actFor(ctx context.Context, p millwa.Principal, org string) error {
	if p.Role != millwa.RoleAdmin {
		if p.Organisation != org {
			return millwa.Errorf(millwa.NotFound, "%s not found: a key manages only its own organisation's webhooks", org)
		}
		return nil
	}
	coll, id, _ := strings.Cut(org, "/")
	var err error
	switch coll {
	case processorsCollection:
		_, err = s.store.GetProcessor(ctx, p, id)
	case "agencies":
		_, err = s.store.GetAgency(ctx, p, id)
	default:
		_, err = s.store.GetAssociation(ctx, p, id)
	}
	return err
}

// webhookFromProto checks a webhook given to CreateWebhook and returns it
// for org, recording violations under "webhook" (allowPrivate: see
// endpointRule).
func webhookFromProto(vs *millwa.Violations, org string, in *millwav1.Webhook, allowPrivate bool) store.Webhook {
	if in == nil {
		vs.Add("webhook", "is required")
		return store.Webhook{}
	}
	rpc.OutputOnly(vs, "webhook", in, "name", "state", "last_event_id", "disabled_reason", "create_time", "update_time", "etag", "last_audit_sequence")
	w := store.Webhook{Organisation: org, DisplayName: strings.TrimSpace(in.GetDisplayName()), URL: strings.TrimSpace(in.GetUrl()),
		AuditEvents: in.GetAuditEvents()}
	if n := utf8.RuneCountInString(w.DisplayName); n < 1 || n > 100 {
		vs.Add("webhook.display_name", "must have 1 to 100 characters, got %d", n)
	}
	webhook.CheckURL(vs, "webhook.url", w.URL, allowPrivate)
	if len(in.GetEventTypes()) > maxWebhookEventTypes {
		vs.Add("webhook.event_types", "must have at most %d types; leave it empty for every type", maxWebhookEventTypes)
		return w
	}
	seen := map[millwa.MarketEventType]bool{}
	for i, t := range in.GetEventTypes() {
		mt, ok := millwa.ParseMarketEventType(t.String())
		switch {
		case !ok:
			vs.Add("webhook.event_types["+strconv.Itoa(i)+"]", "must be a MarketEventType other than UNSPECIFIED, got %s", t.String())
		case seen[mt]:
			vs.Add("webhook.event_types["+strconv.Itoa(i)+"]", "repeats %s: give each type once", t.String())
		default:
			seen[mt] = true
			w.EventTypes = append(w.EventTypes, mt)
		}
	}
	return w
}

func webhookToProto(w *store.Webhook) *millwav1.Webhook {
	out := &millwav1.Webhook{
		Name:              w.Name(),
		DisplayName:       w.DisplayName,
		Url:               w.URL,
		State:             millwav1.WebhookState(millwav1.WebhookState_value["WEBHOOK_STATE_"+w.State]),
		LastEventId:       strconv.FormatInt(w.Cursor, 10),
		DisabledReason:    w.DisabledReason,
		CreateTime:        timestamppb.New(w.CreateTime),
		UpdateTime:        timestamppb.New(w.UpdateTime),
		Etag:              millwa.Etag(w.Revision),
		AuditEvents:       w.AuditEvents,
		LastAuditSequence: strconv.FormatInt(w.AuditCursor, 10),
	}
	for _, t := range w.EventTypes {
		out.EventTypes = append(out.EventTypes, rpc.EnumToProto[millwav1.MarketEventType](millwav1.MarketEventType_value, "MARKET_EVENT_TYPE_", t))
	}
	return out
}

func deliveryToProto(d *store.WebhookDelivery) *millwav1.WebhookDelivery {
	out := &millwav1.WebhookDelivery{
		EventId:         strconv.FormatInt(d.EventSeq, 10),
		EventType:       rpc.EnumToProto[millwav1.MarketEventType](millwav1.MarketEventType_value, "MARKET_EVENT_TYPE_", d.EventType),
		State:           millwav1.WebhookDeliveryState(millwav1.WebhookDeliveryState_value["WEBHOOK_DELIVERY_STATE_"+d.State]),
		AttemptCount:    int32(d.Attempts),
		LastStatusCode:  int32(d.StatusCode),
		LastError:       d.LastError,
		LastAttemptTime: timestamppb.New(d.LastAttempt),
	}
	if d.EventType == store.AuditDeliveryType {
		out.EventId, out.EventType = webhook.AuditIDPrefix+strconv.FormatInt(-d.EventSeq, 10), millwav1.MarketEventType_MARKET_EVENT_TYPE_UNSPECIFIED
	}
	if !d.NextAttempt.IsZero() {
		out.NextAttemptTime = timestamppb.New(d.NextAttempt)
	}
	return out
}

// EncodeWebhookEvent is the "event" member of a webhook's body: the
// MarketEvent as WatchMarket sends it to p, in protojson.
func EncodeWebhookEvent(e *millwa.MarketEvent, p millwa.Principal) ([]byte, error) {
	b, err := protojson.Marshal(eventToProto(e, p))
	if err != nil {
		return nil, millwa.Wrap(millwa.Internal, err, "encoding market event %d", e.Seq)
	}
	return b, nil
}
