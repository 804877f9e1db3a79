// Package storetest gives tests a fresh database of each dialect, so that one
// test suite runs against SQLite always and against PostgreSQL whenever a
// server answers.
//
// PostgreSQL databases are cloned (CREATE DATABASE … TEMPLATE) from a
// template that holds the migrated schema. The template is named after a
// digest of the migration files, built at most once per test binary, and
// published by an atomic rename, so test binaries running in parallel share
// it safely and a change to the migrations builds a new one. Each test's
// database has a name unique to its process and is dropped when the test
// ends.
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	neturl "net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/migrations"
)

// EnvPostgresURL names the environment variable holding the URL of the
// PostgreSQL server that tests use (any database on it: the tests create
// their own). Without it they use DefaultPostgresURL.
const EnvPostgresURL = "MILLWA_TEST_POSTGRES_URL"

// DefaultPostgresURL is the server tests use when EnvPostgresURL is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// SQLiteURL returns the URL of a new, empty SQLite database file in the
// test's temporary directory, removed when the test ends.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "millwa.db")
}

// PostgresURL returns the URL of a new PostgreSQL database holding the
// migrated schema and no rows, dropped when the test ends. When no server
// answers at EnvPostgresURL (or DefaultPostgresURL) the test is skipped,
// saying so, unless the environment sets CI=true, where it fails: CI never
// skips PostgreSQL silently.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := postgresServer(t)
	template, err := admin.template()
	if err != nil {
		t.Fatalf("storetest: preparing the PostgreSQL template database: %v", err)
	}
	return admin.createDatabase(t, template)
}

// EmptyPostgresURL is like PostgresURL but the database is empty: no
// migrations applied. It is for tests of migrating itself.
func EmptyPostgresURL(t testing.TB) string {
	t.Helper()
	return postgresServer(t).createDatabase(t, "template0")
}

// ForEachDatabase runs fn as the subtests "sqlite" and "postgres", each with
// the URL of a fresh database of that dialect (from SQLiteURL, which is
// empty, and PostgresURL, which is migrated: open either with NewStore). The
// postgres subtest is skipped as PostgresURL says.
func ForEachDatabase(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLiteURL(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, PostgresURL(t)) })
}

// NewStore opens the database at url, applies the migrations and closes the
// store when the test ends. It fails the test when any of that fails.
func NewStore(t testing.TB, url string) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, url)
	if err != nil {
		t.Fatalf("storetest: opening %s: %v", redact(url), err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("storetest: closing %s: %v", redact(url), err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("storetest: migrating %s: %v", redact(url), err)
	}
	return s
}

// server is a connection to the PostgreSQL server's maintenance database,
// from which test databases are created and dropped.
type server struct {
	url *neturl.URL
	db  *sql.DB

	mu           sync.Mutex
	templateName string
	templateErr  error
}

var (
	serverOnce sync.Once
	theServer  *server
	serverErr  error

	// databaseSeq numbers the databases this process creates.
	databaseSeq atomic.Int64
)

// postgresServer returns the server, or skips or fails t when none answers.
func postgresServer(t testing.TB) *server {
	t.Helper()
	serverOnce.Do(func() { theServer, serverErr = connectServer() })
	if serverErr == nil {
		return theServer
	}
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatalf("storetest: CI=true and PostgreSQL is unavailable: %v", serverErr)
	}
	t.Skipf("storetest: skipping PostgreSQL test (set %s to a server's URL to run it; CI=true makes this a failure): %v", EnvPostgresURL, serverErr)
	return nil
}

func connectServer() (*server, error) {
	raw := os.Getenv(EnvPostgresURL)
	if raw == "" {
		raw = DefaultPostgresURL
	}
	u, err := neturl.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("%s must be a postgres:// URL, got %q", EnvPostgresURL, redact(raw))
	}
	db, err := sql.Open("pgx", raw)
	if err != nil {
		return nil, fmt.Errorf("no PostgreSQL server at %s: %w", u.Redacted(), err)
	}
	db.SetMaxOpenConns(4)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("no PostgreSQL server answers at %s: %w", u.Redacted(), err)
	}
	return &server{url: u, db: db}, nil
}

// databaseURL returns the server's URL with the database replaced.
func (s *server) databaseURL(name string) string {
	u := *s.url
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// createDatabase creates a database cloned from template, dropped when t
// ends, and returns its URL.
func (s *server) createDatabase(t testing.TB, template string) string {
	t.Helper()
	name := fmt.Sprintf("millwa_test_%d_%d_%s", os.Getpid(), databaseSeq.Add(1), randomHex(4))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.create(ctx, name, template); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// FORCE ends connections a test left open (PostgreSQL 13+).
		if _, err := s.db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quote(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("storetest: dropping database %s: %v", name, err)
		}
	})
	return s.databaseURL(name)
}

// create runs CREATE DATABASE name TEMPLATE template, retrying while another
// session is still leaving the template (PostgreSQL refuses to copy a
// database that has other connections).
func (s *server) create(ctx context.Context, name, template string) error {
	stmt := "CREATE DATABASE " + quote(name) + " TEMPLATE " + quote(template)
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if _, err = s.db.ExecContext(ctx, stmt); err == nil {
			return nil
		}
		if !isCode(err, "55006") { // object_in_use
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("creating database %s: %w", name, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("creating database %s from %s: %w", name, template, err)
}

// template returns the name of the migrated template database, building it
// once per process if no process has built it for these migrations yet.
func (s *server) template() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.templateName == "" && s.templateErr == nil {
		s.templateName, s.templateErr = s.buildTemplate()
	}
	return s.templateName, s.templateErr
}

func (s *server) buildTemplate() (string, error) {
	digest, err := migrationsDigest()
	if err != nil {
		return "", err
	}
	name := "millwa_tpl_" + digest
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	exists, err := s.databaseExists(ctx, name)
	if err != nil || exists {
		return name, err
	}
	// Build under a name of our own, then publish by renaming: a rename
	// is atomic, so another process sees no template or a complete one.
	building := fmt.Sprintf("millwa_tplnew_%d_%s", os.Getpid(), randomHex(4))
	if err := s.create(ctx, building, "template0"); err != nil {
		return "", err
	}
	drop := func() {
		_, _ = s.db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+quote(building)+" WITH (FORCE)")
	}
	if err := migrate(ctx, s.databaseURL(building)); err != nil {
		drop()
		return "", err
	}
	err = s.rename(ctx, building, name)
	// Another process published first: PostgreSQL says duplicate_database,
	// or, when both renames run at once, a unique violation in its catalog.
	if isCode(err, "42P04") || isCode(err, "23505") {
		drop()
		if exists, xerr := s.databaseExists(ctx, name); xerr != nil || !exists {
			return "", fmt.Errorf("template database %s was published by another process but is missing (%v): %w", name, xerr, err)
		}
		return name, nil
	}
	if err != nil {
		drop()
		return "", err
	}
	return name, nil
}

func migrate(ctx context.Context, url string) error {
	st, err := store.Open(ctx, url)
	if err != nil {
		return fmt.Errorf("opening the template database: %w", err)
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return fmt.Errorf("migrating the template database: %w", err)
	}
	// Close before cloning: PostgreSQL copies no database with sessions.
	return st.Close()
}

// rename renames a database, retrying while the sessions that built it are
// still ending.
func (s *server) rename(ctx context.Context, from, to string) error {
	stmt := "ALTER DATABASE " + quote(from) + " RENAME TO " + quote(to)
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if _, err = s.db.ExecContext(ctx, stmt); err == nil || !isCode(err, "55006") {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("publishing template database %s: %w", to, err)
	}
	return nil
}

func (s *server) databaseExists(ctx context.Context, name string) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		return false, fmt.Errorf("looking for database %s: %w", name, err)
	}
	return n > 0, nil
}

// migrationsDigest returns a short digest of the PostgreSQL migration files'
// names and contents.
func migrationsDigest() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, "postgres", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("reading the migrations: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func isCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

func quote(name string) string { return pgx.Identifier{name}.Sanitize() }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// redact hides a password in a database URL.
func redact(raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// SmallPool returns a PostgreSQL database URL that limits a server's pool
// to n connections (the store's pool_max_conns parameter), so that the
// packages' tests can share one PostgreSQL server's connections; other
// URLs are returned as they are. Keep the plain URL for reading rows
// directly: the server would refuse the parameter as a setting.
func SmallPool(dbURL string, n int) string {
	if !strings.HasPrefix(dbURL, "postgres") {
		return dbURL
	}
	sep := "?"
	if strings.Contains(dbURL, "?") {
		sep = "&"
	}
	return fmt.Sprintf("%s%spool_max_conns=%d", dbURL, sep, n)
}
