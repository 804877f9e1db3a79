package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// This file exports internals to the tests of package store_test only.

// DBTime is the time column type, for tests that write rows by hand.
type DBTime = dbTime

// Exec runs a statement written with ? placeholders in the transaction and
// returns the rows it affected, classifying errors like every other method.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(query), args...)
	if err != nil {
		return 0, dbError(err, "executing %q", query)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, dbError(err, "counting rows of %q", query)
	}
	return n, nil
}

// QueryRow runs a query written with ? placeholders in the transaction and
// scans its one row into dest.
func (tx *Tx) QueryRow(ctx context.Context, query string, args []any, dest ...any) error {
	if err := tx.tx.QueryRowxContext(ctx, tx.tx.Rebind(query), args...).Scan(dest...); err != nil {
		return dbError(err, "querying %q", query)
	}
	return nil
}

// ForUpdate exposes forUpdate.
func (tx *Tx) ForUpdate() string { return tx.forUpdate }

// ConnectionSettings runs query (which returns one value) on as many
// distinct connections as each pool holds at once, and returns the values
// per pool: "writer" and "reader". SQLite only.
func (s *Store) ConnectionSettings(ctx context.Context, query string) (map[string][]string, error) {
	if s.dialect != DialectSQLite {
		return nil, fmt.Errorf("ConnectionSettings is for SQLite, not %s", s.dialect)
	}
	out := map[string][]string{}
	for _, p := range []struct {
		name string
		db   *sqlx.DB
		n    int
	}{{"writer", s.w, s.w.Stats().MaxOpenConnections}, {"reader", s.r, s.r.Stats().MaxOpenConnections}} {
		// Hold every connection at once, so that each query runs on a
		// different one.
		for i := 0; i < p.n; i++ {
			conn, err := p.db.Connx(ctx)
			if err != nil {
				return nil, fmt.Errorf("connection %d of %s: %w", i, p.name, err)
			}
			defer conn.Close()
			var v string
			if err := conn.QueryRowxContext(ctx, query).Scan(&v); err != nil {
				return nil, fmt.Errorf("%s on connection %d of %s: %w", query, i, p.name, err)
			}
			out[p.name] = append(out[p.name], v)
		}
	}
	return out, nil
}

// MigrateDownTo undoes the migrations after version, running their Down
// sections.
func (s *Store) MigrateDownTo(ctx context.Context, version int64) error {
	p, err := s.migrationProvider()
	if err != nil {
		return err
	}
	if _, err := p.DownTo(ctx, version); err != nil {
		return dbError(err, "migrating down to %d", version)
	}
	return nil
}

// MigrateDownAll undoes every migration, running their Down sections.
func (s *Store) MigrateDownAll(ctx context.Context) error {
	p, err := s.migrationProvider()
	if err != nil {
		return err
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		return dbError(err, "migrating down")
	}
	return nil
}

// WithListSQL returns a context under which every List of the store hands
// seen the SELECT of its page, with the database's placeholders, and its
// arguments before running it.
func WithListSQL(ctx context.Context, seen func(query string, args []any)) context.Context {
	return context.WithValue(ctx, listSQLKey{}, seen)
}

// TakeLease takes or renews the sequencer lease for s as at time t, and
// reports whether s holds it.
func (s *Store) TakeLease(ctx context.Context, t time.Time) (bool, error) { return s.takeLease(ctx, t) }

// SequencerLease is how long a sequencer lease lasts.
const SequencerLease = sequencerLease

// FoldText folds text in SQL, as searches fold the texts they compare.
func (s *Store) FoldText(ctx context.Context, text string) (string, error) {
	var out string
	err := s.r.QueryRowxContext(ctx, s.r.Rebind("SELECT "+foldSQL(s.dialect, "CAST(? AS TEXT)")), text).Scan(&out)
	return out, err
}

// SetRequestWait sets how long ClaimRequest waits for another
// transaction's claim of the same key, until restore is called. For tests
// that are not parallel only.
func SetRequestWait(d time.Duration) (restore func()) {
	old := requestWait
	requestWait = d
	return func() { requestWait = old }
}
