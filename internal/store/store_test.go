package store_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// TestSQLiteConnectionSettings checks the settings on every connection of
// both pools: durability and integrity must not depend on which pooled
// connection a query happens to get.
func TestSQLiteConnectionSettings(t *testing.T) {
	t.Parallel()
	s := storetest.NewStore(t, storetest.SQLiteURL(t))
	if got := s.Dialect(); got != store.DialectSQLite {
		t.Fatalf("Dialect = %q, want %q", got, store.DialectSQLite)
	}
	for _, tc := range []struct {
		pragma     string
		want       string
		wantReader string // when it differs from want
	}{
		{pragma: "journal_mode", want: "wal"},
		{pragma: "synchronous", want: "2"}, // FULL
		{pragma: "foreign_keys", want: "1"},
		{pragma: "busy_timeout", want: "10000"},
		{pragma: "query_only", want: "0", wantReader: "1"},
	} {
		t.Run(tc.pragma, func(t *testing.T) {
			got, err := s.ConnectionSettings(t.Context(), "PRAGMA "+tc.pragma)
			if err != nil {
				t.Fatal(err)
			}
			wantReader := tc.want
			if tc.wantReader != "" {
				wantReader = tc.wantReader
			}
			want := map[string][]string{
				"writer": {tc.want},
				"reader": strings.Split(strings.Repeat(wantReader+" ", 4), " ")[:4],
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("PRAGMA %s per connection (-want +got):\n%s", tc.pragma, diff)
			}
		})
	}
}

func TestPostgresConnectionSettings(t *testing.T) {
	t.Parallel()
	s := storetest.NewStore(t, storetest.PostgresURL(t))
	if got := s.Dialect(); got != store.DialectPostgres {
		t.Fatalf("Dialect = %q, want %q", got, store.DialectPostgres)
	}
	for _, tc := range []struct{ setting, want string }{
		{"synchronous_commit", "on"},
		{"application_name", "millwa"},
	} {
		var got string
		if err := queryRow(t.Context(), s, "SELECT current_setting(?)", []any{tc.setting}, &got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s = %q, want %q", tc.setting, got, tc.want)
		}
	}
}

func TestPing(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		if err := s.Ping(t.Context()); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
}
