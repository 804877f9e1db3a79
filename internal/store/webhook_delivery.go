package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// Webhook delivery states.
const (
	DeliveryRetrying  = "RETRYING"
	DeliveryDelivered = "DELIVERED"
	DeliveryFailed    = "FAILED"
)

// AuditDeliveryType is the event type of the deliveries of audit events.
const AuditDeliveryType millwa.MarketEventType = "AUDIT_EVENT"

// Delivery records are kept WebhookDeliveryRetention, and at most
// WebhookDeliveriesKept per webhook, the newest.
const (
	WebhookDeliveryRetention = 7 * 24 * time.Hour
	WebhookDeliveriesKept    = 1000
)

// WebhookDelivery is one event's delivery to a webhook, with its attempts.
type WebhookDelivery struct {
	// EventSeq is the market event's id, or the audit event's sequence
	// negated (EventType AuditDeliveryType).
	EventSeq    int64
	EventType   millwa.MarketEventType
	State       string
	Attempts    int
	StatusCode  int
	LastError   string
	LastAttempt time.Time
	// NextAttempt is zero unless the delivery is retrying.
	NextAttempt time.Time
}

type deliveryRow struct {
	EventSeq    int64      `db:"event_seq"`
	EventType   string     `db:"event_type"`
	State       string     `db:"state"`
	Attempts    int        `db:"attempt_count"`
	StatusCode  int        `db:"last_status_code"`
	LastError   string     `db:"last_error"`
	LastAttempt dbTime     `db:"last_attempt_time"`
	NextAttempt dbNullTime `db:"next_attempt_time"`
}

// ListWebhookDeliveries returns at most limit deliveries of the webhook id
// numbered before before (0 for the first page): market events newest
// first, then audit events (negative numbers) newest first.
func (qs queries) ListWebhookDeliveries(ctx context.Context, id string, before int64, limit int) ([]WebhookDelivery, error) {
	query := `SELECT event_seq, event_type, state, attempt_count, last_status_code, last_error, last_attempt_time, next_attempt_time
		FROM webhook_deliveries WHERE webhook_id = ?`
	args := []any{id}
	if before != 0 {
		query += ` AND event_seq < ?`
		args = append(args, before)
	}
	var rows []deliveryRow
	if err := sqlx.SelectContext(ctx, qs.db, &rows, qs.db.Rebind(query+` ORDER BY event_seq DESC LIMIT ?`), append(args, limit)...); err != nil {
		return nil, dbError(err, "listing the deliveries of webhook %s", id)
	}
	out := make([]WebhookDelivery, len(rows))
	for i, r := range rows {
		out[i] = WebhookDelivery{EventSeq: r.EventSeq, EventType: millwa.MarketEventType(r.EventType), State: r.State,
			Attempts: r.Attempts, StatusCode: r.StatusCode, LastError: r.LastError, LastAttempt: r.LastAttempt.Time,
			NextAttempt: r.NextAttempt.Time}
	}
	return out, nil
}

// DueWebhooks returns the enabled webhooks behind head (the outbox's), or
// taking audit events and behind auditHead (the audit chain's),
// whose next attempt is due at t and whose lease is free or held by
// holder, at most limit of them, and the earliest next attempt of the
// enabled webhooks not yet due (zero when there is none).
func (s *Store) DueWebhooks(ctx context.Context, holder string, t time.Time, head, auditHead int64, limit int) ([]Webhook, time.Time, error) {
	// Read where the outbox's head was read, off the writer on SQLite: a
	// stale answer only starts or skips a round, and the lease decides.
	var rows []webhookRow
	err := sqlx.SelectContext(ctx, s.r, &rows, s.r.Rebind(`SELECT `+webhookColumns+` FROM webhooks
		WHERE state = ? AND ((cursor_seq < ? AND next_attempt_time <= ?)
			OR (audit_events = 1 AND audit_cursor < ? AND audit_next_attempt_time <= ?))
		AND (lease_holder = ? OR lease_expire_time < ?)
		ORDER BY next_attempt_time, id LIMIT ?`), WebhookEnabled, head, dbTime{t}, auditHead, dbTime{t}, holder, dbTime{t}, limit)
	if err != nil {
		return nil, time.Time{}, dbError(err, "reading the webhooks due")
	}
	var next dbNullTime
	err = sqlx.GetContext(ctx, s.r, &next, s.r.Rebind(`SELECT MIN(at) FROM (
		SELECT next_attempt_time AS at FROM webhooks WHERE state = ? AND next_attempt_time > ?
		UNION ALL SELECT audit_next_attempt_time FROM webhooks WHERE state = ? AND audit_events = 1 AND audit_next_attempt_time > ?) due`),
		WebhookEnabled, dbTime{t}, WebhookEnabled, dbTime{t})
	if err != nil {
		return nil, time.Time{}, dbError(err, "reading the next webhook attempt")
	}
	out := make([]Webhook, len(rows))
	for i := range rows {
		out[i] = rows[i].webhook()
	}
	return out, next.Time, nil
}

// LeaseWebhook takes or renews the lease of webhook id for holder until
// until, unless another holder's lease is unexpired at t, and reports
// whether holder holds it. It returns the webhook as it stands, so that
// the holder continues from its cursor.
func (s *Store) LeaseWebhook(ctx context.Context, id, holder string, t, until time.Time) (Webhook, bool, error) {
	res, err := s.w.ExecContext(ctx, s.w.Rebind(`UPDATE webhooks SET lease_holder = ?, lease_expire_time = ?
		WHERE id = ? AND state = ? AND (lease_holder = ? OR lease_expire_time < ?)`),
		holder, dbTime{until}, id, WebhookEnabled, holder, dbTime{t})
	if err != nil {
		return Webhook{}, false, dbError(err, "taking the lease of webhook %s", id)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return Webhook{}, false, nil
	}
	var row webhookRow
	if err := sqlx.GetContext(ctx, s.w, &row, s.w.Rebind(`SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`), id); err != nil {
		return Webhook{}, false, dbError(err, "reading webhook %s", id)
	}
	return row.webhook(), true, nil
}

// ReleaseWebhook gives up holder's lease of webhook id, so that any
// replica may take it at once.
func (s *Store) ReleaseWebhook(ctx context.Context, id, holder string) error {
	_, err := s.w.ExecContext(ctx, s.w.Rebind(`UPDATE webhooks SET lease_holder = '', lease_expire_time = ? WHERE id = ? AND lease_holder = ?`),
		dbTime{time.Unix(0, 0)}, id, holder)
	return dbError(err, "releasing the lease of webhook %s", id)
}

// WebhookProgress is what one step of delivery changes on a webhook: the
// cursor and retry state of one stream (the audit events' when Audit is
// set, the market events' otherwise), whether it is disabled (with the
// reason), and the delivery attempted, if any.
type WebhookProgress struct {
	Audit          bool
	Cursor         int64
	Attempts       int
	FailingSince   time.Time
	NextAttempt    time.Time
	DisabledReason string
	Delivery       *WebhookDelivery
}

// RecordWebhookProgress writes p on webhook id if holder still holds its
// lease and the cursor (p.Audit: the audit cursor) is still from (a
// replay or a deletion meanwhile
// wins), with the delivery record and, when p disables the webhook, the
// audit event of it, in one transaction. It reports whether it wrote.
func (s *Store) RecordWebhookProgress(ctx context.Context, id, holder string, from int64, p WebhookProgress, disabled *millwa.AuditEvent) (bool, error) {
	wrote := false
	err := s.InTx(ctx, func(tx *Tx) error {
		wrote = false
		t := now()
		state := WebhookEnabled
		if p.DisabledReason != "" {
			state = WebhookDisabled
		}
		// Each stream has its cursor and its retries.
		cursor, retry := "cursor_seq", ""
		if p.Audit {
			cursor, retry = "audit_cursor", "audit_"
		}
		res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE webhooks SET `+cursor+` = ?, `+retry+`attempts = ?, `+retry+`failing_since = ?,
			`+retry+`next_attempt_time = ?, state = ?, disabled_reason = ?, update_time = CASE WHEN ? THEN ? ELSE update_time END,
			revision = CASE WHEN ? THEN revision + 1 ELSE revision END
			WHERE id = ? AND lease_holder = ? AND `+cursor+` = ? AND state = ?`),
			p.Cursor, p.Attempts, dbNullTime{p.FailingSince}, dbTime{p.NextAttempt}, state, p.DisabledReason,
			state != WebhookEnabled, dbTime{t}, state != WebhookEnabled, id, holder, from, WebhookEnabled)
		if err != nil {
			return dbError(err, "recording the progress of webhook %s", id)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		if d := p.Delivery; d != nil {
			if err := tx.upsertDelivery(ctx, id, d); err != nil {
				return err
			}
		}
		if disabled != nil {
			if err := tx.RecordAuditEvents(ctx, disabled); err != nil {
				return err
			}
		}
		wrote = true
		return nil
	})
	return wrote, err
}

func (tx *Tx) upsertDelivery(ctx context.Context, id string, d *WebhookDelivery) error {
	_, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO webhook_deliveries (webhook_id, event_seq, event_type, state,
		attempt_count, last_status_code, last_error, last_attempt_time, next_attempt_time) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)
		ON CONFLICT (webhook_id, event_seq) DO UPDATE SET state = excluded.state,
		attempt_count = webhook_deliveries.attempt_count + 1, last_status_code = excluded.last_status_code,
		last_error = excluded.last_error, last_attempt_time = excluded.last_attempt_time,
		next_attempt_time = excluded.next_attempt_time`),
		id, d.EventSeq, string(d.EventType), d.State, d.StatusCode, d.LastError, dbTime{d.LastAttempt}, dbNullTime{d.NextAttempt})
	return dbError(err, "recording a delivery of webhook %s", id)
}

// AuditChainHead returns the sequence of the last audit event chained.
func (s *Store) AuditChainHead(ctx context.Context) (int64, error) {
	var head int64
	err := s.r.QueryRowxContext(ctx, `SELECT last_sequence FROM audit_chain_head WHERE id = 1`).Scan(&head)
	return head, dbError(err, "reading the audit chain's head")
}

// PurgeWebhookDeliveries deletes the delivery records of webhook id older
// than before, and those beyond the newest WebhookDeliveriesKept.
func (s *Store) PurgeWebhookDeliveries(ctx context.Context, id string, before time.Time) error {
	_, err := s.w.ExecContext(ctx, s.w.Rebind(`DELETE FROM webhook_deliveries WHERE webhook_id = ? AND (last_attempt_time < ?
		OR event_seq <= (SELECT event_seq FROM webhook_deliveries WHERE webhook_id = ? ORDER BY event_seq DESC LIMIT 1 OFFSET ?))`),
		id, dbTime{before}, id, WebhookDeliveriesKept)
	return dbError(err, "purging the deliveries of webhook %s", id)
}
