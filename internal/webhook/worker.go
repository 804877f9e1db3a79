package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
)

// DisableMethod is the method the audit event of a webhook the worker
// disables names.
const DisableMethod = "system/DisableWebhook"

// Defaults of Options.
const (
	defaultTimeout     = 10 * time.Second
	defaultRetryWindow = 24 * time.Hour
	defaultSafetyPoll  = 10 * time.Second
	firstBackoff       = 5 * time.Second
	maxBackoff         = time.Hour
	// lease is how long a replica holds an endpoint unless it renews it;
	// it renews it before each post once less than half remains.
	lease = time.Minute
	// batch is how many events one read of the outbox takes for an
	// endpoint.
	batch = 100
	// dueLimit is how many endpoints one round starts.
	dueLimit = 100
	// maxErrorLen bounds the error kept with a delivery.
	maxErrorLen = 500
)

// Encode turns an event into the JSON of the API's MarketEvent, as p may
// see it: the "event" member of every body.
type Encode func(e *millwa.MarketEvent, p millwa.Principal) ([]byte, error)

// EncodeAudit turns an audit event into the JSON of the API's AuditEvent:
// the "event" member of an audit event's body.
type EncodeAudit func(e *millwa.AuditEvent) ([]byte, error)

// AuditIDPrefix starts the webhook-id of an audit event's deliveries, so
// that they never collide with market events' ids.
const AuditIDPrefix = "audit-"

// Options tune a Worker; a zero field takes its default.
type Options struct {
	// Backoff is how long to wait after the attempt-th failed attempt of
	// an event (default: 5 s doubling up to 1 h, less up to a fifth at
	// random, so that endpoints failing together do not retry together).
	Backoff func(attempt int) time.Duration
	// RetryWindow is how long an event may keep failing before the
	// endpoint is disabled (default a day).
	RetryWindow time.Duration
	// Timeout bounds one post, connection to answer (default 10 s).
	Timeout time.Duration
	// SafetyPoll is how often the worker looks for work when nothing woke
	// it (default 10 s): commits on this replica and PostgreSQL's
	// notifications of other replicas' commits wake it at once.
	SafetyPoll time.Duration
	// Log receives what goes wrong in the worker (default slog's).
	Log *slog.Logger
	// EncodeAudit encodes the audit events of the webhooks that take them;
	// unset, such webhooks receive none.
	EncodeAudit EncodeAudit
	// AllowPrivate lets posts connect to private, loopback, link-local,
	// multicast and unspecified addresses (MILLWA_WEBHOOK_ALLOW_PRIVATE);
	// unset, DialControl refuses them at each connection.
	AllowPrivate bool
}

// Backoff is the default retry schedule: 5 s after the first failure,
// doubling up to an hour, each wait shortened by up to a fifth at random.
func Backoff(attempt int) time.Duration {
	d := firstBackoff
	for i := 1; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	n, err := rand.Int(rand.Reader, big.NewInt(int64(d/5)+1))
	if err != nil {
		return d
	}
	return d - time.Duration(n.Int64())
}

// Worker delivers the outbox's market events to every enabled webhook, on
// every replica: an endpoint is served by one replica at a time, the one
// holding its lease, from the cursor stored with it, one event at a time,
// so that each endpoint receives its events in order.
type Worker struct {
	st     *store.Store
	encode Encode
	opts   Options
	client *http.Client
	holder string

	mu      sync.Mutex
	running map[string]bool
	kick    chan struct{}
}

// New returns a worker over st; Run runs it.
func New(st *store.Store, encode Encode, opts Options) *Worker {
	if opts.Backoff == nil {
		opts.Backoff = Backoff
	}
	if opts.RetryWindow <= 0 {
		opts.RetryWindow = defaultRetryWindow
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	if opts.SafetyPoll <= 0 {
		opts.SafetyPoll = defaultSafetyPoll
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return &Worker{st: st, encode: encode, opts: opts, holder: "webhook-" + hex.EncodeToString(b),
		running: map[string]bool{}, kick: make(chan struct{}, 1),
		client: &http.Client{
			Timeout: opts.Timeout,
			// No proxy: the connection goes to the endpoint's own address,
			// which the dialer judges.
			Transport: &http.Transport{
				DialContext:         dialer(opts.Timeout, opts.AllowPrivate).DialContext,
				ForceAttemptHTTP2:   true,
				MaxIdleConns:        100,
				IdleConnTimeout:     90 * time.Second,
				TLSHandshakeTimeout: opts.Timeout,
			},
			// A redirect is not a delivery: the endpoint must answer 2xx itself.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}}
}

// Run delivers until ctx ends, then waits for the posts under way.
func (w *Worker) Run(ctx context.Context) {
	listen, err := w.st.ListenMarketEvents(ctx)
	if err != nil {
		return
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		added := w.st.MarketEventsAdded()
		next, err := w.round(ctx, &wg)
		if err != nil && ctx.Err() == nil {
			w.opts.Log.Warn("looking for webhook deliveries due", "err", err)
		}
		wait := w.opts.SafetyPoll
		if !next.IsZero() {
			wait = max(min(wait, time.Until(next)), 0)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-added:
		case <-listen:
		case <-w.kick:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// round starts serving every endpoint due that has events to send and is
// not served here already; it returns when the next endpoint waiting for
// a retry is due.
func (w *Worker) round(ctx context.Context, wg *sync.WaitGroup) (time.Time, error) {
	cur, err := w.st.MarketEventCursor(ctx)
	if err != nil {
		return time.Time{}, err
	}
	auditHead, err := w.st.AuditChainHead(ctx)
	if err != nil {
		return time.Time{}, err
	}
	hooks, next, err := w.st.DueWebhooks(ctx, w.holder, time.Now(), cur.Head, auditHead, dueLimit)
	if err != nil {
		return time.Time{}, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, h := range hooks {
		if w.running[h.ID] {
			continue
		}
		w.running[h.ID] = true
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			if err := w.serve(ctx, id); err != nil && ctx.Err() == nil {
				w.opts.Log.Warn("delivering to a webhook", "webhook", id, "err", err)
			}
			w.mu.Lock()
			delete(w.running, id)
			w.mu.Unlock()
			select {
			case w.kick <- struct{}{}:
			default:
			}
		}(h.ID)
	}
	return next, nil
}

// serve delivers the events after the cursor of webhook id until it has
// sent them all, one fails, or the lease is lost.
func (w *Worker) serve(ctx context.Context, id string) error {
	t := time.Now()
	h, ok, err := w.st.LeaseWebhook(ctx, id, w.holder, t, t.Add(lease))
	if err != nil || !ok {
		return err
	}
	leased := t.Add(lease)
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = w.st.ReleaseWebhook(ctx, id, w.holder)
	}()
	// The two streams are retried apart: an audit event that keeps failing
	// neither holds up the market events nor is reset by their delivery.
	done := true
	if !h.NextAttempt.After(t) {
		ok, err := w.serveMarket(ctx, &h, Principal(h.Organisation), &leased)
		if err != nil {
			return err
		}
		done = done && ok
	}
	if h.AuditEvents && w.opts.EncodeAudit != nil && !h.AuditRetry.NextAttempt.After(t) {
		ok, err := w.serveAudit(ctx, &h, &leased)
		if err != nil {
			return err
		}
		done = done && ok
	}
	if !done {
		return nil
	}
	return w.st.PurgeWebhookDeliveries(ctx, id, time.Now().Add(-store.WebhookDeliveryRetention))
}

// serveMarket delivers h's market events after its cursor; it reports
// whether it delivered every one.
func (w *Worker) serveMarket(ctx context.Context, h *store.Webhook, p millwa.Principal, leased *time.Time) (bool, error) {
	for {
		cur, err := w.st.MarketEventCursor(ctx)
		if err != nil {
			return false, err
		}
		if h.Cursor < cur.PurgedThrough {
			// The endpoint fell behind the outbox's retention: what it
			// missed is gone, it continues with what is kept.
			h.Cursor, err = w.progress(ctx, h, store.WebhookProgress{Cursor: cur.PurgedThrough, NextAttempt: time.Now()}, nil)
			if err != nil || h.Cursor != cur.PurgedThrough {
				return false, err
			}
		}
		events, err := w.st.MarketEvents(ctx, p, h.Cursor, cur.Head, h.EventTypes, batch)
		if err != nil {
			return false, err
		}
		if more, err := w.send(ctx, h, p, events, leased); err != nil || !more {
			return false, err
		}
		if len(events) == batch {
			continue
		}
		if h.Cursor < cur.Head {
			// The events after the last delivered up to the head are not
			// the endpoint's (another party's, or types it does not take).
			if _, err := w.progress(ctx, h, store.WebhookProgress{Cursor: cur.Head, NextAttempt: time.Now()}, nil); err != nil {
				return false, err
			}
		}
		return true, nil
	}
}

// send posts events to h in order, renewing the lease until leased as it
// goes; it reports whether every event was delivered.
func (w *Worker) send(ctx context.Context, h *store.Webhook, p millwa.Principal, events []millwa.MarketEvent, leased *time.Time) (bool, error) {
	for i := range events {
		if ok, err := w.renew(ctx, h, leased); err != nil || !ok {
			return false, err
		}
		out, err := marketOutgoing(&events[i], p, w.encode)
		if err != nil {
			out.failure = "encoding the event: " + err.Error()
		}
		delivered, err := w.attempt(ctx, h, out)
		if err != nil || !delivered {
			return false, err
		}
	}
	return true, nil
}

// renew renews h's lease once less than half of it remains; it reports
// whether the worker still holds it.
func (w *Worker) renew(ctx context.Context, h *store.Webhook, leased *time.Time) (bool, error) {
	if time.Until(*leased) >= lease/2 {
		return true, nil
	}
	t := time.Now()
	if _, ok, err := w.st.LeaseWebhook(ctx, h.ID, w.holder, t, t.Add(lease)); err != nil || !ok {
		return false, err
	}
	*leased = t.Add(lease)
	return true, nil
}

// outgoing is one event ready to post: its cursor value in its stream, its
// webhook-id, the type its delivery record names, and its body (or why it
// could not be encoded).
type outgoing struct {
	audit   bool
	seq     int64
	id      string
	typ     millwa.MarketEventType
	body    []byte
	failure string
}

// cursor is h's cursor in out's stream.
func (out *outgoing) cursor(h *store.Webhook) int64 {
	if out.audit {
		return h.AuditCursor
	}
	return h.Cursor
}

// deliverySeq is the number out's delivery record is kept under: the
// market event's id, or the audit event's sequence negated.
func (out *outgoing) deliverySeq() int64 {
	if out.audit {
		return -out.seq
	}
	return out.seq
}

func marketOutgoing(e *millwa.MarketEvent, p millwa.Principal, encode Encode) (outgoing, error) {
	out := outgoing{seq: e.Seq, id: strconv.FormatInt(e.Seq, 10), typ: e.Type}
	var err error
	out.body, err = Body(e, p, encode)
	return out, err
}

// attempt posts out to h once and records the outcome: delivered, the
// cursor of its stream moves past it; failed, the endpoint waits for its
// backoff, or is disabled when it has failed for longer than the retry
// window. It reports whether out was delivered.
func (w *Worker) attempt(ctx context.Context, h *store.Webhook, out outgoing) (bool, error) {
	status, failure := 0, out.failure
	if failure == "" {
		status, failure = w.post(ctx, h, out.id, out.body)
	}
	if ctx.Err() != nil {
		return false, nil // stopping: the attempt did not happen
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	d := &store.WebhookDelivery{EventSeq: out.deliverySeq(), EventType: out.typ, StatusCode: status, LastError: failure, LastAttempt: at}
	if failure == "" {
		d.State = store.DeliveryDelivered
		_, err := w.progress(ctx, h, store.WebhookProgress{Audit: out.audit, Cursor: out.seq, NextAttempt: at, Delivery: d}, nil)
		return err == nil && out.cursor(h) == out.seq, err
	}
	r := h.RetryOf(out.audit)
	prog := store.WebhookProgress{Audit: out.audit, Cursor: out.cursor(h), Attempts: r.Attempts + 1, FailingSince: r.FailingSince, Delivery: d}
	if prog.FailingSince.IsZero() {
		prog.FailingSince = at
	}
	var disabled *millwa.AuditEvent
	if at.Sub(prog.FailingSince) >= w.opts.RetryWindow {
		d.State = store.DeliveryFailed
		prog.NextAttempt = at
		prog.DisabledReason = fmt.Sprintf("event %s failed %d times since %s; last: %s", out.id, prog.Attempts,
			prog.FailingSince.Format(time.RFC3339), failure)
		sys := store.SystemPrincipal
		disabled = &millwa.AuditEvent{Actor: sys.Actor(), Role: sys.Role, Method: DisableMethod, Resource: h.Name(), Action: "disable"}
	} else {
		d.State = store.DeliveryRetrying
		prog.NextAttempt = at.Add(w.opts.Backoff(prog.Attempts))
		d.NextAttempt = prog.NextAttempt
	}
	_, err := w.progress(ctx, h, prog, disabled)
	return false, err
}

// progress records p on h if h is still as this worker last read it, and
// updates h to match; the cursor it returns is h's afterwards in p's
// stream (unchanged when a replay or a deletion came first).
func (w *Worker) progress(ctx context.Context, h *store.Webhook, p store.WebhookProgress, disabled *millwa.AuditEvent) (int64, error) {
	cursor := &h.Cursor
	if p.Audit {
		cursor = &h.AuditCursor
	}
	wrote, err := w.st.RecordWebhookProgress(ctx, h.ID, w.holder, *cursor, p, disabled)
	if err != nil || !wrote {
		return *cursor, err
	}
	*cursor, *h.RetryOf(p.Audit) = p.Cursor, store.Retry{Attempts: p.Attempts, FailingSince: p.FailingSince, NextAttempt: p.NextAttempt}
	return *cursor, nil
}

// post sends body to h once under the webhook-id id; it returns the HTTP
// status (0 when none came) and, unless the endpoint answered 2xx, why the
// delivery failed.
func (w *Worker) post(ctx context.Context, h *store.Webhook, id string, body []byte) (int, string) {
	ts := time.Now().Unix()
	sig, err := Sign(h.Secret, id, ts, body)
	if err != nil {
		return 0, err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return 0, trim(err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Millwa-Webhooks/1")
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, sig)
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, trim(err.Error())
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 == 2 {
		return resp.StatusCode, ""
	}
	return resp.StatusCode, trim(fmt.Sprintf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(snippet))))
}

func trim(s string) string {
	if len(s) > maxErrorLen {
		return s[:maxErrorLen]
	}
	return s
}

// Body is the JSON body a webhook receives for e: {"id", "type", "time",
// "event"}, event being the API's MarketEvent as p may see it.
func Body(e *millwa.MarketEvent, p millwa.Principal, encode Encode) ([]byte, error) {
	event, err := encode(e, p)
	if err != nil {
		return nil, err
	}
	return envelope(strconv.FormatInt(e.Seq, 10), "MARKET_EVENT_TYPE_"+string(e.Type), e.Time, event)
}

// envelope is the body of every delivery, market or audit event alike:
// {"id", "type", "time" (RFC 3339, UTC), "event"}.
func envelope(id, typ string, t time.Time, event []byte) ([]byte, error) {
	return json.Marshal(struct {
		ID    string          `json:"id"`
		Type  string          `json:"type"`
		Time  string          `json:"time"`
		Event json.RawMessage `json:"event"`
	}{id, typ, t.UTC().Format(time.RFC3339Nano), json.RawMessage(event)})
}

// Principal is who an organisation's webhook receives events as: the
// organisation's role, so that it gets exactly what the organisation's
// keys see (store.MarketEventVisible's rule).
func Principal(organisation string) millwa.Principal {
	switch {
	case strings.HasPrefix(organisation, "processors/"):
		return millwa.Principal{Role: millwa.RoleProcessor, Organisation: organisation}
	case strings.HasPrefix(organisation, "associations/"):
		return millwa.Principal{Role: millwa.RoleAssociation, Organisation: organisation}
	case strings.HasPrefix(organisation, "agencies/"):
		return millwa.Principal{Role: millwa.RoleAgency, Organisation: organisation}
	}
	return millwa.Principal{}
}
