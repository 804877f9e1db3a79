package storetest

import (
	"context"
	neturl "net/url"
	"strings"
	"testing"

	"github.com/millwa/millwa/internal/store"
)

func TestPostgresURLIsFreshMigratedAndDropped(t *testing.T) {
	t.Parallel()
	var urls []string
	t.Run("test", func(t *testing.T) {
		urls = append(urls, PostgresURL(t), PostgresURL(t))
		if urls[0] == urls[1] {
			t.Fatalf("two calls returned the same database %s", urls[0])
		}
		for _, url := range urls {
			s, err := store.Open(t.Context(), url)
			if err != nil {
				t.Fatal(err)
			}
			v, err := s.SchemaVersion(t.Context())
			s.Close()
			if err != nil || v < 1 {
				t.Errorf("SchemaVersion of %s = %d, %v; want the migrated schema", url, v, err)
			}
		}
	})
	if len(urls) == 0 {
		t.Skip("no PostgreSQL server")
	}
	for _, url := range urls {
		u, err := neturl.Parse(url)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(u.Path, "/")
		exists, err := theServer.databaseExists(context.Background(), name)
		if err != nil || exists {
			t.Errorf("database %s still exists (%v) after its test ended", name, err)
		}
	}
}

func TestSQLiteURLIsFresh(t *testing.T) {
	t.Parallel()
	a, b := SQLiteURL(t), SQLiteURL(t)
	if a == b || !strings.HasPrefix(a, "sqlite:") {
		t.Errorf("SQLiteURL returned %q and %q, want two distinct sqlite: URLs", a, b)
	}
}
