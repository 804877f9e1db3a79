package store

import "context"

// MarketEventsChannel is the PostgreSQL notification channel on which the
// sequencer announces newly numbered market events to every replica.
const MarketEventsChannel = "millwa_market_events"

// notifyMarketEvents asks PostgreSQL to notify the listeners of
// millwa_market_events when tx commits, so that other replicas read the
// events it numbered without waiting for their next poll. On SQLite there
// is one process, woken by its bell, and nothing is sent.
func notifyMarketEvents(ctx context.Context, tx *Tx) error {
	if tx.dialect != DialectPostgres {
		return nil
	}
	_, err := tx.tx.ExecContext(ctx, `SELECT pg_notify('`+MarketEventsChannel+`', '')`)
	return dbError(err, "notifying %s", MarketEventsChannel)
}
