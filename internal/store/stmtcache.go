package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// maxCachedStmts bounds the statements one pool keeps prepared. The hot
// queries are a handful of texts (a Get's text varies only with the
// caller's role and an agency's number of regions); past the bound a
// query simply runs unprepared.
const maxCachedStmts = 256

// stmtPrepareTimeout bounds a background preparation, which waits for a
// free connection of the pool.
const stmtPrepareTimeout = 10 * time.Second

// stmtCache keeps the hot statements of one SQLite pool prepared, by their
// text as the database receives it (after Rebind). modernc's driver
// compiles every statement run without one anew, which was a fifth of a
// GetLot's CPU; a prepared statement keeps its compiled form on each
// connection, and a transaction reuses it through Tx.Stmt on its own
// connection.
//
// A statement missing from the cache runs unprepared and is prepared in
// the background: preparing needs a connection of the pool, and the
// writer pool's only connection may be the very one the caller's
// transaction holds.
//
// PostgreSQL needs none of this: pgx caches the statements of each
// connection itself (see openPostgres).
type stmtCache struct {
	db *sqlx.DB

	mu      sync.Mutex
	stmts   map[string]*sqlx.Stmt
	pending map[string]bool
	closed  bool
	wg      sync.WaitGroup
}

func newStmtCache(db *sqlx.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sqlx.Stmt{}, pending: map[string]bool{}}
}

// lookup returns the prepared statement of query, or nil after starting
// to prepare it.
func (c *stmtCache) lookup(query string) *sqlx.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stmts[query]; ok {
		return s
	}
	if c.closed || c.pending[query] || len(c.stmts)+len(c.pending) >= maxCachedStmts {
		return nil
	}
	c.pending[query] = true
	c.wg.Add(1)
	go c.prepare(query)
	return nil
}

// prepare prepares query on the pool and keeps it. A failure (the
// database closing, a statement SQLite refuses) leaves the query to run
// unprepared, where its error, if any, reaches the caller.
func (c *stmtCache) prepare(query string) {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), stmtPrepareTimeout)
	defer cancel()
	s, err := c.db.PreparexContext(ctx, query)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, query)
	if err != nil {
		return
	}
	if c.closed {
		s.Close()
		return
	}
	c.stmts[query] = s
}

// close waits for the preparations under way and closes every statement.
func (c *stmtCache) close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, s := range c.stmts {
		errs = append(errs, s.Close())
		delete(c.stmts, q)
	}
	return errors.Join(errs...)
}

// byDialect returns query rebound for each dialect.
func byDialect(query string) map[string]string {
	return map[string]string{
		DialectSQLite:   sqlx.Rebind(sqlx.QUESTION, query),
		DialectPostgres: sqlx.Rebind(sqlx.DOLLAR, query),
	}
}

// stmt returns query's prepared statement for qs's querier (bound to the
// transaction inside one), or nil when there is none yet; release ends
// the transaction's use of it.
func (qs queries) stmt(ctx context.Context, query string) (s *sqlx.Stmt, release func()) {
	if qs.stmts == nil {
		return nil, nil
	}
	s = qs.stmts.lookup(query)
	if s == nil {
		return nil, nil
	}
	if tx, ok := qs.db.(*sqlx.Tx); ok {
		// Reuses the statement already prepared on the transaction's
		// connection, or prepares it there once.
		ts := tx.StmtxContext(ctx, s)
		return ts, func() { ts.Close() }
	}
	return s, func() {}
}

// scanner is a row that lists its fields in the order of its query's
// columns, to be scanned without reflection.
type scanner interface {
	scanTargets() []any
}

// get is sqlx.GetContext on qs's querier, through a prepared statement
// when the store keeps one, and without sqlx's mapping of columns to
// fields when dest is a scanner. query is already rebound.
func (qs queries) get(ctx context.Context, dest any, query string, args ...any) error {
	s, release := qs.stmt(ctx, query)
	sc, direct := dest.(scanner)
	switch {
	case s == nil && direct:
		return qs.db.QueryRowxContext(ctx, query, args...).Scan(sc.scanTargets()...)
	case s == nil:
		return sqlx.GetContext(ctx, qs.db, dest, query, args...)
	}
	defer release()
	if direct {
		return s.QueryRowContext(ctx, args...).Scan(sc.scanTargets()...)
	}
	return s.GetContext(ctx, dest, args...)
}

// selectRows is sqlx.SelectContext on qs's querier, through a prepared
// statement when the store keeps one. query is already rebound.
func (qs queries) selectRows(ctx context.Context, dest any, query string, args ...any) error {
	s, release := qs.stmt(ctx, query)
	if s == nil {
		return sqlx.SelectContext(ctx, qs.db, dest, query, args...)
	}
	defer release()
	return s.SelectContext(ctx, dest, args...)
}

// exec runs a statement in the transaction, prepared when the store keeps
// it. query is already rebound.
func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, release := tx.stmt(ctx, query)
	if s == nil {
		return tx.tx.ExecContext(ctx, query, args...)
	}
	defer release()
	return s.ExecContext(ctx, args...)
}
