// Package store is Millwa's database: its queries, transactions, idempotency
// records and audit chain, over PostgreSQL (github.com/jackc/pgx/v5/stdlib)
// or SQLite (modernc.org/sqlite, pure Go), both through sqlx.
//
// The store speaks in domain terms (internal/millwa) and classifies every
// error it returns as a *millwa.Error: NotFound for a missing row,
// AlreadyExists for a unique key taken, FailedPrecondition for a row that a
// CHECK, foreign key or trigger refuses, Aborted for a transaction that lost
// a conflict, Unavailable when the database cannot be reached, and Internal
// for everything else. The driver's error stays reachable through Unwrap for
// logs.
//
// Reads are written once, on queries, which both Store (reads outside a
// transaction) and Tx (reads inside one) embed; writes happen inside InTx
// on a Tx. Which rows a caller may see is decided in scope.go.
package store

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/millwa/millwa/internal/millwa"
)

// The dialects a Store speaks, as Dialect returns them.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Connection pool settings. SQLite has one writer connection, so that write
// transactions queue in Go rather than fail with SQLITE_BUSY, and a few
// read-only connections that WAL lets run beside it.
const (
	sqliteBusyTimeout = 10 * time.Second
	sqliteReaders     = 4
	// postgresMaxOpen is the default size of the PostgreSQL pool; the URL's
	// pool_max_conns parameter (pgxpool's name for it) changes it. Idle
	// connections are kept up to the same number: a pool that closes what
	// it just opened spends its time starting server processes.
	postgresMaxOpen     = 20
	postgresMaxIdleTime = 5 * time.Minute
	postgresMaxLifetime = 30 * time.Minute
	postgresDialTimeout = 10 * time.Second
)

func init() {
	// sqlx knows "sqlite3" but not modernc's driver name.
	sqlx.BindDriver("sqlite", sqlx.QUESTION)
}

// Store is a connection to Millwa's database. It is safe for concurrent use
// by any number of goroutines, and any number of replicas may share one
// PostgreSQL database.
type Store struct {
	// queries reads through r.
	queries
	// w runs transactions. On SQLite it is a pool of one connection that
	// begins transactions with BEGIN IMMEDIATE.
	w *sqlx.DB
	// r runs reads outside a transaction: read-only connections on SQLite,
	// the same pool as w on PostgreSQL.
	r *sqlx.DB
	// rstmts and wstmts keep the hot statements of r and w prepared, on
	// SQLite; nil on PostgreSQL.
	rstmts, wstmts *stmtCache
	// bell wakes this replica's market watchers when the sequencer has
	// numbered events.
	bell *eventBell
	// seq runs this replica's sequencer (sequencer.go).
	seq *sequencer
	// txStats counts InTx's conflicts, for TxStats.
	txStats txCounters
	// pgConfig is the PostgreSQL connection's configuration, from which
	// ListenMarketEvents opens its own connection; nil on SQLite.
	pgConfig *pgx.ConnConfig
	// replica is the pool of standbys for StaleRead (replica.go); nil
	// unless UseReplica opened it.
	replica *replica
}

// Open connects to the database named by url and checks that it answers:
//
//   - "sqlite:PATH" (also "sqlite://PATH"): the SQLite file PATH, created if
//     missing, in WAL mode with synchronous=FULL, foreign keys on and a
//     busy timeout on every connection;
//   - "postgres://…" or "postgresql://…": a PostgreSQL server (or a
//     compatible one), with synchronous_commit=on.
//
// Open does not apply migrations: call Migrate. It returns Invalid for a URL
// it cannot use and Unavailable when the database does not answer.
func Open(ctx context.Context, url string) (*Store, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//"))
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return openPostgres(ctx, url)
	}
	scheme, _, found := strings.Cut(url, ":")
	if !found || url == "" {
		return nil, millwa.Errorf(millwa.Invalid, "database URL must be sqlite:PATH or postgres://…, got no scheme")
	}
	return nil, millwa.Errorf(millwa.Invalid, "database URL scheme %q is not supported: use sqlite:PATH or postgres://…", scheme)
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	switch {
	case path == "":
		return nil, millwa.Errorf(millwa.Invalid, "database URL sqlite: needs a file path, for example sqlite:millwa.db")
	case path == ":memory:" || strings.Contains(path, "mode=memory"):
		return nil, millwa.Errorf(millwa.Invalid, "an in-memory SQLite database is not supported: name a file, for example sqlite:millwa.db")
	case strings.Contains(path, "?"):
		return nil, millwa.Errorf(millwa.Invalid, "database URL sqlite:PATH takes a plain file path without '?': Millwa sets the connection options itself")
	}
	common := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)", sqliteBusyTimeout.Milliseconds())
	w, err := sqlx.Open("sqlite", path+"?"+common+"&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, dbError(err, "opening SQLite database %s", path)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The writer connects first: it switches the file to WAL, which the
	// readers then share.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, dbError(err, "opening SQLite database %s", path)
	}
	r, err := sqlx.Open("sqlite", path+"?"+common+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, dbError(err, "opening SQLite database %s for reading", path)
	}
	r.SetMaxOpenConns(sqliteReaders)
	r.SetMaxIdleConns(sqliteReaders)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, dbError(err, "opening SQLite database %s for reading", path)
	}
	rstmts, wstmts := newStmtCache(r), newStmtCache(w)
	return &Store{queries: queries{db: r, dialect: DialectSQLite, stmts: rstmts}, w: w, r: r,
		rstmts: rstmts, wstmts: wstmts, bell: &eventBell{}, seq: newSequencer()}, nil
}

func openPostgres(ctx context.Context, url string) (*Store, error) {
	url, maxConns, err := poolSize(url)
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's message redacts the password.
		return nil, millwa.Wrap(millwa.Invalid, err, "database URL is not a valid PostgreSQL URL: %v", err)
	}
	// The statement cache is pgx's default (QueryExecModeCacheStatement,
	// 512 statements a connection): each query is parsed once per
	// connection and then only bound and run, which is why PostgreSQL
	// needs no stmtCache. A URL's default_query_exec_mode may still
	// change it, for a pooler that cannot keep prepared statements.
	// An acknowledged commit is on disk (and on synchronous standbys),
	// whatever the server's default.
	cfg.RuntimeParams["synchronous_commit"] = "on"
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "millwa"
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = postgresDialTimeout
	}
	db := sqlx.NewDb(stdlib.OpenDB(*cfg), "pgx")
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(postgresMaxIdleTime)
	db.SetConnMaxLifetime(postgresMaxLifetime)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		err = translate(err)
		if millwa.ErrorCode(err) == millwa.Internal {
			// Whatever stops the first connection (authentication, a
			// missing database) leaves the service without a database.
			err = unavailable(err)
		}
		return nil, fmt.Errorf("connecting to PostgreSQL at %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	return &Store{queries: queries{db: db, dialect: DialectPostgres}, w: db, r: db, bell: &eventBell{}, seq: newSequencer(), pgConfig: cfg}, nil
}

// Ping checks that the database answers. It returns Unavailable when it does
// not. On PostgreSQL it asks the primary (through a multi-host URL, whichever
// server is the primary now); the standbys of UseReplica do not count, since
// without them StaleRead reads the primary.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return dbError(err, "pinging the %s database", s.dialect)
	}
	if s.r != s.w {
		if err := s.r.PingContext(ctx); err != nil {
			return dbError(err, "pinging the %s database for reading", s.dialect)
		}
	}
	return nil
}

// Close closes every connection. Transactions still running fail.
func (s *Store) Close() error {
	s.stopSequencer()
	var errs []error
	if s.replica != nil {
		errs = append(errs, s.replica.close())
	}
	for _, c := range []*stmtCache{s.rstmts, s.wstmts} {
		if c != nil {
			errs = append(errs, c.close())
		}
	}
	if s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	if err := errors.Join(errs...); err != nil {
		return dbError(err, "closing the %s database", s.dialect)
	}
	return nil
}

// poolSize takes the pool_max_conns parameter out of a PostgreSQL URL (the
// server would refuse it as a setting) and returns the URL without it and
// the pool size: the parameter's value, or postgresMaxOpen.
func poolSize(raw string) (string, int, error) {
	u, err := neturl.Parse(raw)
	if err != nil {
		return raw, postgresMaxOpen, nil // pgx reports it, with the password redacted
	}
	q := u.Query()
	v := q.Get("pool_max_conns")
	if v == "" {
		return raw, postgresMaxOpen, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return "", 0, millwa.Errorf(millwa.Invalid, "database URL parameter pool_max_conns must be 1 to 1000, got %q", v)
	}
	q.Del("pool_max_conns")
	u.RawQuery = q.Encode()
	return u.String(), n, nil
}
