package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// The listener's timings. While it has no connection it wakes its reader
// every listenFallbackPoll, so that events keep arriving, if later; it
// tries to connect again after a wait that doubles from listenRetryMin up
// to listenRetryMax.
const (
	listenFallbackPoll = time.Second
	listenRetryMin     = 100 * time.Millisecond
	listenRetryMax     = 10 * time.Second
	// listenAppName names the listening connection in pg_stat_activity.
	listenAppName = "millwa-listen"
)

// ListenMarketEvents returns a channel that receives a value soon after
// any replica commits market events, until ctx ends. Several commits may
// share one value: the receiver reads the outbox by cursor, so the values
// only say when to look.
//
// On PostgreSQL a connection of its own, outside the pool, listens on
// MarketEventsChannel. When that connection fails it is opened again with
// growing waits, and meanwhile the channel receives a value every second,
// so that a reader polls until notifications flow again; it also receives
// one on each (re)connection, for what was missed while deaf. On SQLite,
// which has no other replicas, the channel is nil (it never receives):
// this replica's commits ring MarketEventsAdded.
//
// The error is non-nil only when ctx has already ended.
func (s *Store) ListenMarketEvents(ctx context.Context) (<-chan struct{}, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.pgConfig == nil {
		return nil, nil
	}
	wake := make(chan struct{}, 1)
	go s.listen(ctx, wake)
	return wake, nil
}

// listen keeps a listening connection open until ctx ends, ringing wake
// for each notification.
func (s *Store) listen(ctx context.Context, wake chan<- struct{}) {
	ring := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	retry := listenRetryMin
	for ctx.Err() == nil {
		conn, err := s.connectListener(ctx)
		if err == nil {
			retry = listenRetryMin
			ring()
			for {
				if _, err = conn.WaitForNotification(ctx); err != nil {
					break
				}
				ring()
			}
			closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = conn.Close(closeCtx)
			cancel()
			if ctx.Err() != nil {
				return
			}
		}
		// Deaf until the next connection: poll in its stead.
		ring()
		deadline := time.NewTimer(retry)
		tick := time.NewTicker(listenFallbackPoll)
	wait:
		for {
			select {
			case <-ctx.Done():
				deadline.Stop()
				tick.Stop()
				return
			case <-tick.C:
				ring()
			case <-deadline.C:
				break wait
			}
		}
		tick.Stop()
		retry = min(2*retry, listenRetryMax)
	}
}

// connectListener opens a connection listening on MarketEventsChannel.
func (s *Store) connectListener(ctx context.Context) (*pgx.Conn, error) {
	cfg := s.pgConfig.Copy()
	cfg.RuntimeParams["application_name"] = listenAppName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `LISTEN `+MarketEventsChannel); err != nil {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = conn.Close(closeCtx)
		cancel()
		return nil, err
	}
	return conn, nil
}
