package market

import (
	"context"
	"errors"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/webhook"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// CreateWebhook registers an endpoint for an organisation's market events
// and answers its signing secret, once.
func (s *Server) CreateWebhook(ctx context.Context, req *millwav1.CreateWebhookRequest) (*millwav1.CreateWebhookResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	org := parseWebhookParent(&vs, "parent", req.GetParent())
	w := webhookFromProto(&vs, org, req.GetWebhook(), s.endpoints.allowPrivate)
	if err := vs.Err(); err != nil {
		return nil, err
	}
	if err := checkAuditEvents(&w); err != nil {
		return nil, err
	}
	s.checkEndpoint(ctx, &vs, "webhook.url", w.URL)
	if err := vs.Err(); err != nil {
		return nil, err
	}
	if err := s.actFor(ctx, p, org); err != nil {
		return nil, err
	}
	if w.Secret, err = webhook.NewSecret(); err != nil {
		return nil, millwa.Wrap(millwa.Internal, err, "generating a webhook secret")
	}
	return rpc.Do(ctx, s.store, req, nil, func(tx *store.Tx) (*millwav1.CreateWebhookResponse, []rpc.Event, error) {
		created := w
		if err := tx.CreateWebhook(ctx, &created); err != nil {
			return nil, nil, err
		}
		resp := &millwav1.CreateWebhookResponse{Webhook: webhookToProto(&created), Secret: created.Secret}
		return resp, []rpc.Event{{Resource: resp.Webhook.Name, Action: "create"}}, nil
	}, rpc.Options[*millwav1.CreateWebhookResponse]{
		// The secret stays in the webhook's row only; a retry reads it
		// from there, so that it answers exactly what the first call did.
		Stored: func(r *millwav1.CreateWebhookResponse) *millwav1.CreateWebhookResponse {
			kept := proto.Clone(r).(*millwav1.CreateWebhookResponse)
			kept.Secret = ""
			return kept
		},
		Replay: func(r *millwav1.CreateWebhookResponse) (*millwav1.CreateWebhookResponse, error) {
			_, id, err := parseWebhookName("name", r.GetWebhook().GetName())
			if err != nil {
				return nil, err
			}
			cur, err := s.store.GetWebhook(ctx, org, id)
			if err != nil {
				return nil, millwa.Errorf(millwa.FailedPrecondition, "the first call with this request_id created %s, since deleted: create another with a new request_id", r.GetWebhook().GetName())
			}
			r.Secret = cur.Secret
			return r, nil
		},
	})
}

// GetWebhook returns one webhook, without its secret.
func (s *Server) GetWebhook(ctx context.Context, req *millwav1.GetWebhookRequest) (*millwav1.GetWebhookResponse, error) {
	w, err := s.readWebhook(ctx, req.GetName())
	if err != nil {
		return nil, err
	}
	return &millwav1.GetWebhookResponse{Webhook: webhookToProto(&w)}, nil
}

// readWebhook admits the caller and reads the webhook name names, if the
// caller manages it.
func (s *Server) readWebhook(ctx context.Context, name string) (store.Webhook, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return store.Webhook{}, err
	}
	org, id, err := parseWebhookName("name", name)
	if err != nil {
		return store.Webhook{}, err
	}
	if err := s.actFor(ctx, p, org); err != nil {
		return store.Webhook{}, err
	}
	return s.store.GetWebhook(ctx, org, id)
}

// ListWebhooks lists an organisation's webhooks in the order they were
// created.
func (s *Server) ListWebhooks(ctx context.Context, req *millwav1.ListWebhooksRequest) (*millwav1.ListWebhooksResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	var vs millwa.Violations
	org := parseWebhookParent(&vs, "parent", req.GetParent())
	limit := pageLimit(&vs, req.GetPageSize())
	after, err := millwa.DecodePageToken(req.GetPageToken(), "webhooks "+org)
	rpc.AddViolations(&vs, err)
	if err := vs.Err(); err != nil {
		return nil, err
	}
	if err := s.actFor(ctx, p, org); err != nil {
		return nil, err
	}
	from := ""
	if len(after) == 1 {
		from = after[0]
	}
	hooks, err := s.store.ListWebhooks(ctx, org, from, limit+1)
	if err != nil {
		return nil, err
	}
	resp := &millwav1.ListWebhooksResponse{}
	for i := range hooks[:min(limit, len(hooks))] {
		resp.Webhooks = append(resp.Webhooks, webhookToProto(&hooks[i]))
	}
	if len(hooks) > limit {
		resp.NextPageToken = millwa.EncodePageToken([]string{hooks[limit-1].ID}, "webhooks "+org)
	}
	return resp, nil
}

// DeleteWebhook deletes a webhook and its delivery records.
func (s *Server) DeleteWebhook(ctx context.Context, req *millwav1.DeleteWebhookRequest) (*millwav1.DeleteWebhookResponse, error) {
	org, id, err := s.changeWebhook(ctx, req, req.GetName())
	if err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, nil, func(tx *store.Tx) (*millwav1.DeleteWebhookResponse, []rpc.Event, error) {
		cur, err := tx.GetWebhook(ctx, org, id)
		if err != nil {
			return nil, nil, err
		}
		if err := rpc.CheckEtag(req.GetName(), req.GetEtag(), millwa.Etag(cur.Revision)); err != nil {
			return nil, nil, err
		}
		if err := tx.DeleteWebhook(ctx, org, id); err != nil {
			return nil, nil, err
		}
		return &millwav1.DeleteWebhookResponse{}, []rpc.Event{{Resource: cur.Name(), Action: "delete"}}, nil
	})
}

// changeWebhook admits a request that changes the webhook name names:
// request_id and name well formed, the caller managing the webhook's
// organisation.
func (s *Server) changeWebhook(ctx context.Context, req rpc.Request, name string) (org, id string, err error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return "", "", err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	org, id, err = parseWebhookName("name", name)
	rpc.AddViolations(&vs, err)
	if err := vs.Err(); err != nil {
		return "", "", err
	}
	return org, id, s.actFor(ctx, p, org)
}

// ReplayWebhook moves a webhook's cursor back and enables it.
func (s *Server) ReplayWebhook(ctx context.Context, req *millwav1.ReplayWebhookRequest) (*millwav1.ReplayWebhookResponse, error) {
	org, id, err := s.changeWebhook(ctx, req, req.GetName())
	if err != nil {
		return nil, err
	}
	after, err := s.replayStart(ctx, req)
	if err != nil {
		return nil, err
	}
	return rpc.Do(ctx, s.store, req, nil, func(tx *store.Tx) (*millwav1.ReplayWebhookResponse, []rpc.Event, error) {
		w, err := tx.ReplayWebhook(ctx, org, id, after)
		if err != nil {
			return nil, nil, err
		}
		return &millwav1.ReplayWebhookResponse{Webhook: webhookToProto(&w)}, []rpc.Event{{Resource: w.Name(), Action: "replay"}}, nil
	})
}

// replayStart is the event a replay starts after: after_event_id, or the
// last event recorded before start_time.
func (s *Server) replayStart(ctx context.Context, req *millwav1.ReplayWebhookRequest) (int64, error) {
	var vs millwa.Violations
	byID, byTime := req.GetAfterEventId() != "", req.GetStartTime() != nil
	if byID == byTime {
		vs.Add("after_event_id", "set exactly one of after_event_id and start_time")
		return 0, vs.Err()
	}
	cur, err := s.store.MarketEventCursor(ctx)
	if err != nil {
		return 0, err
	}
	if byTime {
		if err := req.GetStartTime().CheckValid(); err != nil {
			vs.Add("start_time", "must be a valid timestamp")
			return 0, vs.Err()
		}
		return s.store.MarketEventBefore(ctx, req.GetStartTime().AsTime())
	}
	after, err := strconv.ParseInt(req.GetAfterEventId(), 10, 64)
	switch {
	case err != nil || after < 0:
		vs.Add("after_event_id", "must be the id of an event (a number), or 0 for every event kept; got %q", req.GetAfterEventId())
		return 0, vs.Err()
	case after > cur.Head:
		vs.Add("after_event_id", "names no event yet (the last is %d)", cur.Head)
		return 0, vs.Err()
	case after < cur.PurgedThrough && after != 0:
		e := millwa.Errorf(millwa.FailedPrecondition, "the events after %s are no longer kept: replay after %d or later", req.GetAfterEventId(), cur.PurgedThrough)
		e.Reason = "EVENTS_PURGED"
		return 0, e
	}
	return max(after, cur.PurgedThrough), nil
}

// ListWebhookDeliveries lists a webhook's deliveries, newest event first.
func (s *Server) ListWebhookDeliveries(ctx context.Context, req *millwav1.ListWebhookDeliveriesRequest) (*millwav1.ListWebhookDeliveriesResponse, error) {
	var vs millwa.Violations
	limit := pageLimit(&vs, req.GetPageSize())
	after, err := millwa.DecodePageToken(req.GetPageToken(), "deliveries "+req.GetParent())
	rpc.AddViolations(&vs, err)
	if err := vs.Err(); err != nil {
		return nil, err
	}
	w, err := s.readWebhook(ctx, req.GetParent())
	if err != nil {
		return nil, renameField(err, "name", "parent")
	}
	var before int64
	if len(after) == 1 {
		before, _ = strconv.ParseInt(after[0], 10, 64)
	}
	ds, err := s.store.ListWebhookDeliveries(ctx, w.ID, before, limit+1)
	if err != nil {
		return nil, err
	}
	resp := &millwav1.ListWebhookDeliveriesResponse{}
	for i := range ds[:min(limit, len(ds))] {
		resp.Deliveries = append(resp.Deliveries, deliveryToProto(&ds[i]))
	}
	if len(ds) > limit {
		resp.NextPageToken = millwa.EncodePageToken([]string{strconv.FormatInt(ds[limit-1].EventSeq, 10)}, "deliveries "+req.GetParent())
	}
	return resp, nil
}

// pageLimit is a page_size's number of items: 50 for 0, at most 500.
func pageLimit(vs *millwa.Violations, size int32) int {
	switch {
	case size < 0 || size > 500:
		vs.Add("page_size", "must be 0 to 500, got %d", size)
		return 0
	case size == 0:
		return 50
	}
	return int(size)
}

// renameField renames the field of the violations of an Invalid error:
// a List request names its webhook in parent, where readWebhook says name.
func renameField(err error, from, to string) error {
	var e *millwa.Error
	if errors.As(err, &e) && e.Code == millwa.Invalid {
		for i := range e.Violations {
			if e.Violations[i].Field == from {
				e.Violations[i].Field = to
			}
		}
	}
	return err
}
