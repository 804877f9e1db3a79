package store_test

import (
	"fmt"
	"io/fs"
	"regexp"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
	"github.com/millwa/millwa/migrations"
)

// latestVersion is the number of the last migration file.
const latestVersion = 20

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewStore(t, url) // migrates once
		a := mustCreate(t, s, association("210101"))
		for run := 2; run <= 3; run++ {
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("Migrate, run %d: %v", run, err)
			}
			v, err := s.SchemaVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if v != latestVersion {
				t.Errorf("SchemaVersion after run %d = %d, want %d", run, v, latestVersion)
			}
		}
		got, err := s.GetAssociation(ctx, admin, a.ID)
		if err != nil {
			t.Fatalf("the association created before migrating again: %v", err)
		}
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("association after migrating again (-want +got):\n%s", diff)
		}
	})
}

// TestMigrationsReversible runs every Down section and migrates up again,
// so that a Down that does not parse or leaves something behind fails here
// rather than on the day it is needed.
func TestMigrationsReversible(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewStore(t, url)
		mustCreate(t, s, association("210101"))
		if err := s.MigrateDownAll(ctx); err != nil {
			t.Fatalf("migrating down: %v", err)
		}
		if v, err := s.SchemaVersion(ctx); err != nil || v != 0 {
			t.Fatalf("SchemaVersion after migrating down = %d, %v; want 0", v, err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrating up again: %v", err)
		}
		all, err := s.ListAssociations(ctx, admin, store.ListQuery{})
		if err != nil || len(all.Items) != 0 {
			t.Errorf("ListAssociations after down and up = %d rows, %v; want an empty schema", len(all.Items), err)
		}
		mustCreate(t, s, association("210101"))
	})
}

// TestMigrateConcurrently starts several "replicas" on one empty PostgreSQL
// database at once: one migrates, the others wait and find nothing to do.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	url := storetest.EmptyPostgresURL(t)
	ctx := t.Context()
	const replicas = 4
	stores := make([]*store.Store, replicas)
	for i := range stores {
		s, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	if v, err := stores[0].SchemaVersion(ctx); err != nil || v != 0 {
		t.Fatalf("SchemaVersion of the empty database = %d, %v; want 0", v, err)
	}
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() { errs[i] = s.Migrate(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: Migrate: %v", i, err)
		}
	}
	for i, s := range stores {
		if v, err := s.SchemaVersion(ctx); err != nil || v != latestVersion {
			t.Errorf("replica %d: SchemaVersion = %d, %v; want %d", i, v, err, latestVersion)
		}
	}
	// The schema works: the chain head was inserted exactly once.
	var heads int64
	if err := queryRow(ctx, stores[0], "SELECT count(*) FROM audit_chain_head", nil, &heads); err != nil || heads != 1 {
		t.Errorf("audit_chain_head rows = %d, %v; want 1", heads, err)
	}
	// The lock was goose's table lock (no advisory lock), and is free.
	var locked bool
	if err := queryRow(ctx, stores[0], "SELECT locked FROM goose_lock", nil, &locked); err != nil || locked {
		t.Errorf("goose_lock.locked = %v, %v; want false", locked, err)
	}
	mustCreate(t, stores[1], association("210101"))
}

// TestMigrationFoldersMatch checks that both dialects have the same
// migrations, numbered 00001, 00002, … without gaps (STYLE.md rule 7).
func TestMigrationFoldersMatch(t *testing.T) {
	t.Parallel()
	names := map[string][]string{}
	for _, dir := range []string{"postgres", "sqlite"} {
		entries, err := fs.ReadDir(migrations.FS, dir)
		if err != nil {
			t.Fatal(err)
		}
		names[dir] = []string{}
		for _, e := range entries {
			names[dir] = append(names[dir], e.Name())
		}
	}
	if diff := cmp.Diff(names["postgres"], names["sqlite"]); diff != "" {
		t.Errorf("migration files (-postgres +sqlite):\n%s", diff)
	}
	valid := regexp.MustCompile(`^(\d{5})_[a-z0-9_]+\.sql$`)
	for i, name := range names["postgres"] {
		m := valid.FindStringSubmatch(name)
		if m == nil {
			t.Errorf("migration %q is not named NNNNN_snake_case.sql", name)
			continue
		}
		if want := fmt.Sprintf("%05d", i+1); m[1] != want {
			t.Errorf("migration %q is number %s, want %s (no gaps)", name, m[1], want)
		}
	}
	if n := len(names["postgres"]); n != latestVersion {
		t.Errorf("%d migrations, but latestVersion is %d: update the test", n, latestVersion)
	}
}

// TestOpenRefusesURL checks the URLs Open cannot use.
func TestOpenRefusesURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, url string
		want      millwa.Code
	}{
		{"empty", "", millwa.Invalid},
		{"no scheme", "millwa.db", millwa.Invalid},
		{"other database", "mysql://root@localhost/millwa", millwa.Invalid},
		{"sqlite without path", "sqlite:", millwa.Invalid},
		{"sqlite in memory", "sqlite::memory:", millwa.Invalid},
		{"sqlite with options", "sqlite:millwa.db?_pragma=foreign_keys(0)", millwa.Invalid},
		{"malformed postgres", "postgres://user:secret@host:notaport/db", millwa.Invalid},
		{"sqlite in a missing folder", "sqlite:" + t.TempDir() + "/missing/millwa.db", millwa.Unavailable},
		{"postgres nobody listens on", "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5", millwa.Unavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := store.Open(t.Context(), tc.url)
			if err == nil {
				s.Close()
			}
			if got := errorCode(err); got != tc.want {
				t.Errorf("Open(%q): code %q (%v), want %q", tc.url, got, err, tc.want)
			}
			if err != nil && regexp.MustCompile(`secret`).MatchString(err.Error()) {
				t.Errorf("Open(%q) error shows the password: %v", tc.url, err)
			}
		})
	}
}
