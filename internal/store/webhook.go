package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// Webhook states.
const (
	WebhookEnabled  = "ENABLED"
	WebhookDisabled = "DISABLED"
)

// Webhook is an endpoint an organisation registered to receive its market
// events, with its delivery cursor.
type Webhook struct {
	ID string
	// Organisation is "processors/{id}" or "associations/{id}": events are
	// delivered as that organisation may see them.
	Organisation string
	DisplayName  string
	URL          string
	EventTypes   []millwa.MarketEventType
	// Secret signs every delivery; it is kept as is, since the server
	// must compute the HMAC of every body.
	Secret         string
	State          string
	DisabledReason string
	// Cursor is the last event delivered, or skipped as not subscribed.
	Cursor int64
	// Retry is where the market event after Cursor stands in its retries.
	Retry
	// AuditEvents is set when the endpoint also receives the audit events
	// its organisation may read; AuditCursor is the sequence of the last
	// one delivered, or skipped as not visible to it, and AuditRetry where
	// the audit event after it stands in its retries, apart from Retry.
	AuditEvents bool
	AuditCursor int64
	AuditRetry  Retry
	CreateTime  time.Time
	UpdateTime  time.Time
	Revision    int64
}

// Retry is where the event after one of a webhook's cursors stands:
// how many times it failed, since when (zero while nothing fails), and
// when the worker may post it again.
type Retry struct {
	Attempts     int
	FailingSince time.Time
	NextAttempt  time.Time
}

// RetryOf is the retry state of the audit stream when audit is set, of
// the market stream otherwise.
func (w *Webhook) RetryOf(audit bool) *Retry {
	if audit {
		return &w.AuditRetry
	}
	return &w.Retry
}

// Name is the webhook's resource name.
func (w *Webhook) Name() string { return w.Organisation + "/webhooks/" + w.ID }

// webhookRow is a webhooks row.
type webhookRow struct {
	ID             string     `db:"id"`
	Organisation   string     `db:"organisation"`
	DisplayName    string     `db:"display_name"`
	URL            string     `db:"url"`
	EventTypes     string     `db:"event_types"`
	Secret         string     `db:"secret"`
	State          string     `db:"state"`
	DisabledReason string     `db:"disabled_reason"`
	Cursor         int64      `db:"cursor_seq"`
	Attempts       int        `db:"attempts"`
	FailingSince   dbNullTime `db:"failing_since"`
	NextAttempt    dbTime     `db:"next_attempt_time"`
	AuditEvents    int        `db:"audit_events"`
	AuditCursor    int64      `db:"audit_cursor"`
	AuditAttempts  int        `db:"audit_attempts"`
	AuditFailing   dbNullTime `db:"audit_failing_since"`
	AuditNext      dbTime     `db:"audit_next_attempt_time"`
	CreateTime     dbTime     `db:"create_time"`
	UpdateTime     dbTime     `db:"update_time"`
	Revision       int64      `db:"revision"`
}

const webhookColumns = `id, organisation, display_name, url, event_types, secret, state, disabled_reason, cursor_seq,
	attempts, failing_since, next_attempt_time, create_time, update_time, revision, audit_events, audit_cursor,
	audit_attempts, audit_failing_since, audit_next_attempt_time`

func (r *webhookRow) webhook() Webhook {
	w := Webhook{ID: r.ID, Organisation: r.Organisation, DisplayName: r.DisplayName, URL: r.URL, Secret: r.Secret,
		State: r.State, DisabledReason: r.DisabledReason, Cursor: r.Cursor,
		Retry:      Retry{Attempts: r.Attempts, FailingSince: r.FailingSince.Time, NextAttempt: r.NextAttempt.Time},
		CreateTime: r.CreateTime.Time, UpdateTime: r.UpdateTime.Time, Revision: r.Revision,
		AuditEvents: r.AuditEvents == 1, AuditCursor: r.AuditCursor,
		AuditRetry: Retry{Attempts: r.AuditAttempts, FailingSince: r.AuditFailing.Time, NextAttempt: r.AuditNext.Time}}
	if r.EventTypes != "" {
		for _, t := range strings.Split(r.EventTypes, ",") {
			w.EventTypes = append(w.EventTypes, millwa.MarketEventType(t))
		}
	}
	return w
}

func joinTypes(types []millwa.MarketEventType) string {
	s := make([]string, len(types))
	for i, t := range types {
		s[i] = string(t)
	}
	return strings.Join(s, ",")
}

// CreateWebhook inserts w, enabled, with its cursor at the outbox's head
// and its audit cursor at the audit chain's, so that it receives the
// events recorded from now on. It sets w's ID, state, cursors, times and
// revision.
func (tx *Tx) CreateWebhook(ctx context.Context, w *Webhook) error {
	id, err := newID()
	if err != nil {
		return err
	}
	var head int64
	if err := tx.tx.QueryRowxContext(ctx, `SELECT event_seq FROM market_lock WHERE id = 1`).Scan(&head); err != nil {
		return dbError(err, "reading the market event counter")
	}
	var auditHead int64
	if err := tx.tx.QueryRowxContext(ctx, `SELECT last_sequence FROM audit_chain_head WHERE id = 1`).Scan(&auditHead); err != nil {
		return dbError(err, "reading the audit chain's head")
	}
	t := now()
	w.ID, w.State, w.Cursor, w.NextAttempt, w.CreateTime, w.UpdateTime, w.Revision = id, WebhookEnabled, head, t, t, t, 1
	w.AuditCursor, w.AuditRetry = auditHead, Retry{NextAttempt: t}
	audit := 0
	if w.AuditEvents {
		audit = 1
	}
	_, err = tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO webhooks (`+webhookColumns+`, lease_holder, lease_expire_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, 0, NULL, ?, ?, ?, 1, ?, ?, 0, NULL, ?, '', ?)`),
		id, w.Organisation, w.DisplayName, w.URL, joinTypes(w.EventTypes), w.Secret, WebhookEnabled, head,
		dbTime{t}, dbTime{t}, dbTime{t}, audit, auditHead, dbTime{t}, dbTime{time.Unix(0, 0)})
	return dbError(err, "inserting webhook")
}

// GetWebhook reads the webhook id of the organisation org: NotFound when
// there is none, or when it belongs to another organisation. Callers
// check first that the caller acts for org.
func (qs queries) GetWebhook(ctx context.Context, org, id string) (Webhook, error) {
	key, ok := canonicalID(id)
	if !ok {
		return Webhook{}, millwa.Errorf(millwa.NotFound, "webhook %s not found", id)
	}
	var row webhookRow
	err := sqlx.GetContext(ctx, qs.db, &row, qs.db.Rebind(`SELECT `+webhookColumns+` FROM webhooks WHERE id = ? AND organisation = ?`+qs.forUpdate), key, org)
	if errors.Is(err, sql.ErrNoRows) {
		return Webhook{}, millwa.Errorf(millwa.NotFound, "webhook %s not found", id)
	}
	if err != nil {
		return Webhook{}, dbError(err, "reading webhook %s", id)
	}
	return row.webhook(), nil
}

// ListWebhooks returns at most limit webhooks of org with ids after
// after ("" for the first page), in id order (the order of creation).
func (qs queries) ListWebhooks(ctx context.Context, org, after string, limit int) ([]Webhook, error) {
	query, args := `SELECT `+webhookColumns+` FROM webhooks WHERE organisation = ?`, []any{org}
	if after != "" {
		key, ok := canonicalID(after)
		if !ok {
			return nil, millwa.Errorf(millwa.Internal, "webhook page token holds %q, not an id", after)
		}
		query += ` AND id > ?`
		args = append(args, key)
	}
	var rows []webhookRow
	err := sqlx.SelectContext(ctx, qs.db, &rows, qs.db.Rebind(query+` ORDER BY id LIMIT ?`), append(args, limit)...)
	if err != nil {
		return nil, dbError(err, "listing webhooks")
	}
	out := make([]Webhook, len(rows))
	for i := range rows {
		out[i] = rows[i].webhook()
	}
	return out, nil
}

// DeleteWebhook deletes the webhook id of org and its deliveries.
func (tx *Tx) DeleteWebhook(ctx context.Context, org, id string) error {
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`DELETE FROM webhook_deliveries WHERE webhook_id = ?`), id); err != nil {
		return dbError(err, "deleting the deliveries of webhook %s", id)
	}
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`DELETE FROM webhooks WHERE id = ? AND organisation = ?`), id, org)
	if err != nil {
		return dbError(err, "deleting webhook %s", id)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return millwa.Errorf(millwa.NotFound, "webhook %s not found", id)
	}
	return nil
}

// ReplayWebhook moves the cursor of the webhook id of org back to after,
// enables it and clears the failures of both its streams, so that the worker sends every
// event after after again at once. It returns the webhook as changed.
func (tx *Tx) ReplayWebhook(ctx context.Context, org, id string, after int64) (Webhook, error) {
	t := now()
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE webhooks SET cursor_seq = ?, state = ?, disabled_reason = '',
		attempts = 0, failing_since = NULL, next_attempt_time = ?,
		audit_attempts = 0, audit_failing_since = NULL, audit_next_attempt_time = ?, update_time = ?, revision = revision + 1
		WHERE id = ? AND organisation = ?`), after, WebhookEnabled, dbTime{t}, dbTime{t}, dbTime{t}, id, org)
	if err != nil {
		return Webhook{}, dbError(err, "replaying webhook %s", id)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Webhook{}, millwa.Errorf(millwa.NotFound, "webhook %s not found", id)
	}
	return tx.GetWebhook(ctx, org, id)
}

// MarketEventBefore returns the number of the last event kept that was
// recorded before t, or the retention mark when there is none: replaying
// after it sends every event recorded at or after t.
func (qs queries) MarketEventBefore(ctx context.Context, t time.Time) (int64, error) {
	var seq sql.NullInt64
	err := sqlx.GetContext(ctx, qs.db, &seq, qs.db.Rebind(`SELECT MAX(seq) FROM market_events WHERE create_time < ?`), dbTime{t})
	if err != nil {
		return 0, dbError(err, "finding the market event before %v", t)
	}
	if seq.Valid {
		return seq.Int64, nil
	}
	var purged int64
	err = qs.db.QueryRowxContext(ctx, `SELECT purged_through FROM market_lock WHERE id = 1`).Scan(&purged)
	return purged, dbError(err, "reading the market event retention mark")
}
