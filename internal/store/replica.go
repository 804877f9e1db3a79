package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// Reads that tolerate a bounded staleness (public statistics, the
// observatory, processors' lists of lots on offer) may run on PostgreSQL
// standbys rather than on the primary: UseReplica opens a second pool on
// them, and StaleRead chooses, for each read, the standbys while their
// replay lag is known to be under the bound, and the primary otherwise.
// Everything else reads the primary: a transaction's reads, Gets (a client
// that just got a resource's etag or made a change with a request_id reads
// it back there), and every other list.

// DefaultMaxReplicaLag is the staleness StaleRead allows a standby unless
// the operator sets another (MILLWA_MAX_REPLICA_LAG).
const DefaultMaxReplicaLag = 5 * time.Second

// PoolReplica is the name PoolStats gives the pool of standbys that
// UseReplica opens.
const PoolReplica = "replica"

// The bounds of how often a replica's lag is measured: a fifth of the
// allowed lag, so that a measurement is never far behind the bound.
const (
	replicaProbeMin     = 100 * time.Millisecond
	replicaProbeMax     = time.Second
	replicaProbeTimeout = time.Second
)

// replicaLagQuery measures, on one server, how far behind its primary the
// data it serves may be, in seconds: 0 on a primary, and on a standby that
// has replayed all the WAL it received; the time since the last replayed
// commit on a standby with WAL left to replay (paused, or slow); NULL when
// the standby streams from no primary, or has replayed no commit yet, whose
// lag cannot be known.
const replicaLagQuery = `SELECT CASE
	WHEN NOT pg_is_in_recovery() THEN 0
	WHEN NOT EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN NULL
	WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
	ELSE EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())
END::float8`

// replica is the pool of standbys and what is known of their lag.
type replica struct {
	db     *sqlx.DB
	maxLag time.Duration
	// hosts is one configuration per host of the URL: the lag is
	// measured on each, since the pool's connections may be on any.
	hosts []*pgx.ConnConfig
	every time.Duration

	mu sync.Mutex
	// lag is the worst lag measured over the hosts that answered, at
	// measured; known is false when none answered or one could not say.
	lag      time.Duration
	measured time.Time
	known    bool

	onReplica, onPrimary atomic.Uint64
	stop                 context.CancelFunc
	done                 chan struct{}
}

// UseReplica opens a pool on the PostgreSQL standbys named by url
// (typically several hosts with target_session_attrs=prefer-standby) for
// the reads of StaleRead, which it sends there while every standby's
// replay lag is under maxLag. The standbys' lag is measured in the
// background until Close. UseReplica must be called before the store
// serves reads, at most once.
//
// It returns Invalid for a URL it cannot use, or when the store is not on
// PostgreSQL, and Unavailable when no host of url answers. Connections are
// read-only whatever server they reach.
func (s *Store) UseReplica(ctx context.Context, url string, maxLag time.Duration) error {
	if s.dialect != DialectPostgres {
		return millwa.Errorf(millwa.Invalid, "a read replica needs a PostgreSQL database, not %s", s.dialect)
	}
	if maxLag <= 0 {
		return millwa.Errorf(millwa.Invalid, "the maximum replica lag must be positive, got %v", maxLag)
	}
	url, maxConns, err := poolSize(url)
	if err != nil {
		return err
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return millwa.Wrap(millwa.Invalid, err, "read replica URL is not a valid PostgreSQL URL: %v", err)
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "millwa-read"
	}
	// A read pool that lands on a primary (prefer-standby falls back to
	// one) must still never write.
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = postgresDialTimeout
	}
	r := &replica{maxLag: maxLag, every: min(max(maxLag/5, replicaProbeMin), replicaProbeMax), done: make(chan struct{})}
	for i := range 1 + len(cfg.Fallbacks) {
		host := cfg.Copy()
		if i > 0 {
			fb := cfg.Fallbacks[i-1]
			host.Host, host.Port, host.TLSConfig = fb.Host, fb.Port, fb.TLSConfig
		}
		host.Fallbacks, host.ValidateConnect = nil, nil
		host.ConnectTimeout = replicaProbeTimeout
		r.hosts = append(r.hosts, host)
	}
	r.db = sqlx.NewDb(stdlib.OpenDB(*cfg), "pgx")
	r.db.SetMaxOpenConns(maxConns)
	r.db.SetMaxIdleConns(maxConns)
	r.db.SetConnMaxIdleTime(postgresMaxIdleTime)
	r.db.SetConnMaxLifetime(postgresMaxLifetime)
	if err := r.db.PingContext(ctx); err != nil {
		r.db.Close()
		err = translate(err)
		if millwa.ErrorCode(err) == millwa.Internal {
			err = unavailable(err)
		}
		return fmt.Errorf("connecting to the read replica at %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	r.measure(ctx)
	probeCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	r.stop = stop
	go r.probe(probeCtx)
	s.replica = r
	return nil
}

// Reader is the read side of the store on one pool: every read method of
// Store, on the pool StaleRead chose.
type Reader struct {
	queries
}

// StaleRead returns a Reader for one read that tolerates a bounded
// staleness: on the standbys of UseReplica while their replay lag, as last
// measured and aged since, is under the maximum; on the primary otherwise,
// and always when no replica is in use. What it reads may miss the
// changes of the last MaxReplicaLag, never more: use it only for public and
// list reads documented as possibly stale (GetMarketStats, the
// observatory's reads, ListLots for processors), never inside a mutation
// nor for a read that must see a change just made.
func (s *Store) StaleRead() Reader {
	r := s.replica
	if r == nil {
		return Reader{s.queries}
	}
	if r.fresh() {
		r.onReplica.Add(1)
		return Reader{queries{db: r.db, dialect: s.dialect}}
	}
	r.onPrimary.Add(1)
	return Reader{s.queries}
}

// ReplicaStats is what a store knows of its read replica.
type ReplicaStats struct {
	// InUse is whether UseReplica opened a replica; the other fields are
	// zero when it did not.
	InUse bool
	// Lag is the worst replay lag last measured over the standbys, and
	// LagKnown whether it could be measured at all.
	Lag      time.Duration
	LagKnown bool
	// OnReplica and OnPrimary count the reads StaleRead sent to the
	// standbys and to the primary since the store opened.
	OnReplica, OnPrimary uint64
}

// ReplicaStats returns what the store knows of its read replica.
func (s *Store) ReplicaStats() ReplicaStats {
	r := s.replica
	if r == nil {
		return ReplicaStats{}
	}
	r.mu.Lock()
	lag, known := r.lag, r.known
	r.mu.Unlock()
	return ReplicaStats{InUse: true, Lag: lag, LagKnown: known, OnReplica: r.onReplica.Load(), OnPrimary: r.onPrimary.Load()}
}

// fresh reports whether a read on the standbys now would see data at most
// maxLag old: the lag last measured plus the time since the measurement,
// during which a standby may have fallen further behind.
func (r *replica) fresh() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.known && r.lag+time.Since(r.measured) < r.maxLag
}

// probe measures the lag every r.every until ctx ends.
func (r *replica) probe(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(r.every)
	defer t.Stop()
	conns := make([]*pgx.Conn, len(r.hosts))
	defer func() {
		for _, c := range conns {
			if c != nil {
				closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
				_ = c.Close(closeCtx)
				cancel()
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.measureWith(ctx, conns)
	}
}

// measure takes one measurement with connections of its own.
func (r *replica) measure(ctx context.Context) {
	conns := make([]*pgx.Conn, len(r.hosts))
	r.measureWith(ctx, conns)
	for _, c := range conns {
		if c != nil {
			_ = c.Close(ctx)
		}
	}
}

// measureWith measures the lag on every host, reusing and replacing conns
// (one per host), and records the worst. A host that cannot be reached is
// left out: the pool's reads cannot reach it either. The time recorded is
// the start of the measurement, so that its age is never understated.
func (r *replica) measureWith(ctx context.Context, conns []*pgx.Conn) {
	start := time.Now()
	worst, known, answered := time.Duration(0), true, 0
	for i, host := range r.hosts {
		lag, ok, err := r.hostLag(ctx, host, &conns[i])
		if err != nil {
			continue
		}
		answered++
		if !ok {
			known = false
			continue
		}
		worst = max(worst, lag)
	}
	r.mu.Lock()
	r.lag, r.measured, r.known = worst, start, known && answered > 0
	r.mu.Unlock()
}

// hostLag measures one host's lag on *conn, connecting first when *conn is
// nil and dropping it when the query fails. ok is false when the host
// cannot know its lag.
func (r *replica) hostLag(ctx context.Context, host *pgx.ConnConfig, conn **pgx.Conn) (lag time.Duration, ok bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, replicaProbeTimeout)
	defer cancel()
	if *conn == nil {
		if *conn, err = pgx.ConnectConfig(ctx, host); err != nil {
			*conn = nil
			return 0, false, err
		}
	}
	var seconds *float64
	if err := (*conn).QueryRow(ctx, replicaLagQuery).Scan(&seconds); err != nil {
		_ = (*conn).Close(context.Background())
		*conn = nil
		return 0, false, err
	}
	if seconds == nil {
		return 0, false, nil
	}
	return time.Duration(max(*seconds, 0) * float64(time.Second)), true, nil
}

// close stops the measurements and closes the pool.
func (r *replica) close() error {
	r.stop()
	<-r.done
	return r.db.Close()
}
