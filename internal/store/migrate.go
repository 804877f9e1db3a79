package store

import (
	"context"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/millwa/millwa/migrations"
)

// Migration locking on PostgreSQL uses goose's table locker: a row in
// goose_lock taken with INSERT … ON CONFLICT and held by a lease that a
// heartbeat renews. Unlike the session locker it needs no advisory lock, so
// it also works on CockroachDB and YugabyteDB, and a replica that dies while
// migrating frees the lock when its lease runs out. Replicas that start
// together wait for the one that holds the lock, then find nothing to do.
const (
	migrationLockLease     = 30 * time.Second
	migrationLockHeartbeat = 5 * time.Second
	migrationLockPoll      = 500 * time.Millisecond
	migrationLockAttempts  = 1200 // 10 minutes of polling
)

// Migrate applies every migration of the store's dialect that the database
// has not applied yet. It is safe to call at every start, and on PostgreSQL
// from several replicas at once: one applies the migrations while the
// others wait for it. (SQLite, a single-process database, takes no lock.) It
// returns Unavailable when the database cannot be reached and Internal when
// a migration fails or the migration lock could not be had in ten minutes.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.migrationProvider()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return dbError(err, "migrating the %s database", s.dialect)
	}
	return nil
}

// migrationProvider returns a goose provider over the dialect's embedded
// migration folder.
func (s *Store) migrationProvider() (*goose.Provider, error) {
	dir, gooseDialect := "sqlite", goose.DialectSQLite3
	if s.dialect == DialectPostgres {
		dir, gooseDialect = "postgres", goose.DialectPostgres
	}
	files, err := fs.Sub(migrations.FS, dir)
	if err != nil {
		return nil, dbError(err, "reading the %s migrations", dir)
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if s.dialect == DialectPostgres {
		locker, err := lock.NewPostgresTableLocker(
			lock.WithTableLeaseDuration(migrationLockLease),
			lock.WithTableHeartbeatInterval(migrationLockHeartbeat),
			lock.WithTableLockTimeout(migrationLockPoll, migrationLockAttempts),
		)
		if err != nil {
			return nil, dbError(err, "configuring the migration lock")
		}
		opts = append(opts, goose.WithLocker(locker))
	}
	// On SQLite goose gets the single writer connection, which it holds for
	// the whole run, so no other write can interleave.
	p, err := goose.NewProvider(gooseDialect, s.w.DB, files, opts...)
	if err != nil {
		return nil, dbError(err, "loading the %s migrations", dir)
	}
	return p, nil
}

// SchemaVersion returns the highest migration version applied to the
// database, 0 when none is. It returns Unavailable when the database cannot
// be reached.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	p, err := s.migrationProvider()
	if err != nil {
		return 0, err
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("reading the schema version: %w", translate(err))
	}
	return v, nil
}
