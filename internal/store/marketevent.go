package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// MarketEventRetention is how long market events are kept for watchers to
// resume from.
const MarketEventRetention = 30 * 24 * time.Hour

// AppendMarketEvents records events in the outbox's pending table, in
// their order, inside the change's transaction, without a number and
// without a lock: the sequencer numbers them after the commit, in the
// order it finds transactions committed, and then wakes this replica's
// watchers (see Store.MarketEventsAdded) and, on PostgreSQL, notifies
// every replica. It sets each event's Time; its Seq stays 0.
func (tx *Tx) AppendMarketEvents(ctx context.Context, events ...millwa.MarketEvent) error {
	if len(events) == 0 {
		return nil
	}
	if err := tx.fillTradeDisplay(ctx, events); err != nil {
		return err
	}
	t := now()
	for from := 0; from < len(events); from += pendingInsertRows {
		chunk := events[from:min(from+pendingInsertRows, len(events))]
		args := make([]any, 0, 6*len(chunk))
		for i := range chunk {
			e := &chunk[i]
			e.Time = t
			payload, err := json.Marshal(struct {
				Trade *millwa.Trade         `json:"trade,omitempty"`
				Order *millwa.PurchaseOrder `json:"order,omitempty"`
			}{e.Trade, e.Order})
			if err != nil {
				return millwa.Wrap(millwa.Internal, err, "encoding a market event")
			}
			args = append(args, string(e.Type), e.Resource, nullID(e.ProcessorID), nullID(e.AssociationID), string(payload), dbTime{t})
		}
		_, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO market_events_pending
			(type, resource, processor_id, association_id, payload, create_time) VALUES `+rowPlaceholders(len(chunk), 6)), args...)
		if err != nil {
			return dbError(err, "recording %d market events", len(chunk))
		}
	}
	tx.pendingEvents = true
	return nil
}

// fillTradeDisplay sets what a trade shows of its lot and parties (its
// lot number and the parties' legal names) on the trades of events that
// were built in the change rather than read, so that every reader of the
// event (a stream, a server-sent-events client, a webhook) gets the trade
// as GetTrade shows it: the trades are in the transaction already, and
// are read with GetTrade's display columns, displayChunk at a time.
func (tx *Tx) fillTradeDisplay(ctx context.Context, events []millwa.MarketEvent) error {
	var ids []string
	seen := map[string]bool{}
	for _, e := range events {
		if tr := e.Trade; tr != nil && !seen[tr.ID] && (tr.LotNumber == "" || tr.AssociationName == "" || tr.ProcessorName == "") {
			seen[tr.ID] = true
			ids = append(ids, tr.ID)
		}
	}
	shown := make(map[string]tradeRow, len(ids))
	for from := 0; from < len(ids); from += displayChunk {
		in := inScope("id", ids[from:min(from+displayChunk, len(ids))])
		var rows []tradeRow
		if err := sqlx.SelectContext(ctx, tx.tx, &rows, tx.tx.Rebind(`SELECT id, `+tradeDisplayColumns+` FROM trades WHERE `+in.sql),
			in.args...); err != nil {
			return dbError(err, "reading the lot numbers and party names of %d trades", len(ids))
		}
		for _, r := range rows {
			shown[r.ID] = r
		}
	}
	for i := range events {
		if tr := events[i].Trade; tr != nil && seen[tr.ID] {
			// The event keeps its own copy: the caller's trade is left as
			// it was.
			c, r := *tr, shown[tr.ID]
			c.LotNumber = cmp.Or(c.LotNumber, r.LotNumber.String)
			c.AssociationName = cmp.Or(c.AssociationName, r.AssociationName.String)
			c.ProcessorName = cmp.Or(c.ProcessorName, r.ProcessorName.String)
			events[i].Trade = &c
		}
	}
	return nil
}

// displayChunk is how many trades one query of fillTradeDisplay reads,
// well under both databases' limits on bound parameters.
const displayChunk = 1000

func nullID(id string) sql.NullString {
	return sql.NullString{String: id, Valid: id != ""}
}

// marketEventRow is a market_events row.
type marketEventRow struct {
	Seq int64 `db:"seq"`
	marketEventFields
}

// marketEventFields are the columns a market event has before it is
// numbered, shared by market_events and market_events_pending.
type marketEventFields struct {
	Type          string         `db:"type"`
	Resource      string         `db:"resource"`
	ProcessorID   sql.NullString `db:"processor_id"`
	AssociationID sql.NullString `db:"association_id"`
	Payload       string         `db:"payload"`
	CreateTime    dbTime         `db:"create_time"`
}

// MarketEventCursor is where the outbox stands: Head is the last event
// recorded, PurgedThrough the last one deleted by retention.
type MarketEventCursor struct {
	Head, PurgedThrough int64
}

// MarketEventCursor reads the outbox's head and retention mark.
func (s *Store) MarketEventCursor(ctx context.Context) (MarketEventCursor, error) {
	var c MarketEventCursor
	err := s.r.QueryRowxContext(ctx, `SELECT event_seq, purged_through FROM market_lock WHERE id = 1`).Scan(&c.Head, &c.PurgedThrough)
	return c, dbError(err, "reading the market event counter")
}

// MarketEvents returns, in order, at most limit events numbered after
// after and up to through that p may see, of the given types (all when
// empty). Every event up to the head read by MarketEventCursor has
// committed, so a reader that passes that head as through and then
// resumes after it misses nothing.
func (s *Store) MarketEvents(ctx context.Context, p millwa.Principal, after, through int64, types []millwa.MarketEventType, limit int) ([]millwa.MarketEvent, error) {
	visible := tradeScope(p) // an event is seen by the parties to its trade or order
	query := `SELECT seq, type, resource, processor_id, association_id, payload, create_time FROM market_events
		WHERE seq > ? AND seq <= ? AND (` + visible.sql + `)`
	args := append([]any{after, through}, visible.args...)
	if len(types) > 0 {
		in := inScope("type", types)
		query += ` AND ` + in.sql
		args = append(args, in.args...)
	}
	var rows []marketEventRow
	if err := sqlx.SelectContext(ctx, s.r, &rows, s.r.Rebind(query+` ORDER BY seq LIMIT ?`), append(args, limit)...); err != nil {
		return nil, dbError(err, "reading market events")
	}
	out := make([]millwa.MarketEvent, len(rows))
	for i, r := range rows {
		var payload struct {
			Trade *millwa.Trade         `json:"trade"`
			Order *millwa.PurchaseOrder `json:"order"`
		}
		if err := json.Unmarshal([]byte(r.Payload), &payload); err != nil {
			return nil, millwa.Wrap(millwa.Internal, err, "decoding market event %d", r.Seq)
		}
		out[i] = millwa.MarketEvent{Seq: r.Seq, Type: millwa.MarketEventType(r.Type), Time: r.CreateTime.Time,
			Resource: r.Resource, ProcessorID: r.ProcessorID.String, AssociationID: r.AssociationID.String,
			Trade: payload.Trade, Order: payload.Order}
	}
	return out, nil
}

// PurgeMarketEvents deletes the events older than before, at most limit
// of them, and advances the retention mark; it returns how many it
// deleted.
func (s *Store) PurgeMarketEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int
	err := s.InTx(ctx, func(tx *Tx) error {
		n = 0
		if err := tx.LockMarket(ctx); err != nil {
			return err
		}
		var last sql.NullInt64
		if err := tx.tx.GetContext(ctx, &last, tx.tx.Rebind(`SELECT MAX(seq) FROM
			(SELECT seq FROM market_events WHERE create_time < ? ORDER BY seq LIMIT ?) AS old`), dbTime{before}, limit); err != nil {
			return dbError(err, "finding old market events")
		}
		if !last.Valid {
			return nil
		}
		res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`DELETE FROM market_events WHERE seq <= ?`), last.Int64)
		if err != nil {
			return dbError(err, "deleting old market events")
		}
		deleted, _ := res.RowsAffected()
		n = int(deleted)
		_, err = tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE market_lock SET purged_through = ? WHERE id = 1`), last.Int64)
		return dbError(err, "advancing the market event retention mark")
	})
	return n, err
}

// eventBell wakes this replica's watchers when its sequencer has numbered
// market events. It is only a hint: watchers also poll, so events numbered
// by another replica's sequencer arrive too.
type eventBell struct {
	mu sync.Mutex
	ch chan struct{}
}

func (b *eventBell) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

func (b *eventBell) ring() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
}

// MarketEventsAdded returns a channel closed when this store's sequencer
// next numbers market events.
func (s *Store) MarketEventsAdded() <-chan struct{} { return s.bell.wait() }

// TradedVolumes returns the trades that market statistics count: CONFIRMED,
// DELIVERED or PAID, confirmed in [from, to), of the standard and currency,
// and, when set, of the region (ubigeo prefix), quality group and colour.
//
// The statistics tolerate a bounded staleness: read them through StaleRead.
func (qs queries) TradedVolumes(ctx context.Context, from, to time.Time, standard, currency, region, group, colour string) ([]millwa.TradedVolume, error) {
	query := `SELECT confirm_time, origin_ubigeo, quality_group, colour, association_id, grams, price_minor_per_kg
		FROM trades WHERE state IN ('CONFIRMED', 'DELIVERED', 'PAID') AND confirm_time >= ? AND confirm_time < ?
		AND standard = ? AND currency = ?`
	args := []any{dbTime{from}, dbTime{to}, standard, currency}
	if region != "" {
		query += ` AND origin_ubigeo LIKE ? ESCAPE '\'`
		args = append(args, escapeLike(region)+"%")
	}
	if group != "" {
		query += ` AND quality_group = ?`
		args = append(args, group)
	}
	if colour != "" {
		query += ` AND colour = ?`
		args = append(args, colour)
	}
	var rows []struct {
		ConfirmTime   dbTime `db:"confirm_time"`
		OriginUbigeo  string `db:"origin_ubigeo"`
		QualityGroup  string `db:"quality_group"`
		Colour        string `db:"colour"`
		AssociationID string `db:"association_id"`
		Grams         int64  `db:"grams"`
		Price         int64  `db:"price_minor_per_kg"`
	}
	if err := sqlx.SelectContext(ctx, qs.db, &rows, qs.db.Rebind(query), args...); err != nil {
		return nil, dbError(err, "reading traded volumes")
	}
	out := make([]millwa.TradedVolume, len(rows))
	for i, r := range rows {
		out[i] = millwa.TradedVolume{ConfirmTime: r.ConfirmTime.Time, OriginUbigeo: r.OriginUbigeo, QualityGroup: r.QualityGroup,
			Colour: r.Colour, AssociationID: r.AssociationID, Grams: r.Grams, PricePerKg: r.Price}
	}
	return out, nil
}
