package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// MarketEventsChannel is the PostgreSQL notification channel on which a
// commit of market events is announced to every replica's event hub.
const MarketEventsChannel = "millwa_market_events"

// notifyMarketEvents announces, once tx commits, that it recorded market
// events, so that the hubs of other replicas read them at once rather than
// at their next poll. PostgreSQL delivers the notification at commit and
// drops it on rollback, and folds a transaction's identical notifications
// into one. SQLite has no other replicas to tell: this replica's own
// watchers are woken by its commit bell.
func notifyMarketEvents(ctx context.Context, tx *sqlx.Tx) error {
	if tx.DriverName() != "pgx" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_notify('`+MarketEventsChannel+`', '')`)
	return dbError(err, "announcing market events")
}
