package store_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// containing reports whether one of queries contains each of parts.
func containing(queries []string, parts ...string) bool {
	return slices.ContainsFunc(queries, func(q string) bool {
		for _, p := range parts {
			if !strings.Contains(q, p) {
				return false
			}
		}
		return true
	})
}

// TestSQLiteReusesPreparedStatements: on SQLite the hot statements (the
// lot with its contributions, the key lookup, CreateLot's inserts) are
// prepared once and then run prepared, outside and inside transactions,
// with the same answers.
func TestSQLiteReusesPreparedStatements(t *testing.T) {
	t.Parallel()
	s := storetest.NewStore(t, storetest.SQLiteURL(t))
	ctx := t.Context()
	admin := millwa.Principal{KeyID: "k", Role: millwa.RoleAdmin}
	first := createLot(t, s, 2)
	unprepared, err := s.GetLot(ctx, admin, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LookupAPIKey(ctx, [32]byte{1}); errorCode(err) != millwa.NotFound {
		t.Fatalf("LookupAPIKey of no key: %v", err)
	}
	second := createLot(t, s, 3) // CreateLot's inserts prepared in the background by now
	readers, writer := s.PreparedQueries()
	if !containing(readers, "FROM lots WHERE id = ?", "group_concat") || !containing(readers, "FROM api_keys WHERE key_digest = ?") {
		t.Errorf("the readers keep %q prepared; want the lot with its contributions and the key lookup", readers)
	}
	if !containing(writer, "INSERT INTO lots") || !containing(writer, "INSERT INTO lot_contributions") {
		t.Errorf("the writer keeps %q prepared; want CreateLot's inserts", writer)
	}

	prepared, err := s.GetLot(ctx, admin, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(unprepared, prepared); diff != "" {
		t.Errorf("GetLot through the prepared statement differs (-unprepared +prepared):\n%s", diff)
	}
	// Inside transactions: the first prepares the writer's GetLot, the
	// second runs it on the transaction's connection.
	for range 2 {
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			l, err := tx.GetLot(ctx, admin, second.ID)
			if err == nil && len(l.Contributions) != 3 {
				t.Errorf("GetLot in a transaction: %d contributions, want 3", len(l.Contributions))
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		s.PreparedQueries()
	}
	if _, writer := s.PreparedQueries(); !containing(writer, "FROM lots WHERE id = ?") {
		t.Errorf("the writer keeps %q prepared; want GetLot's query too", writer)
	}
}

// TestPostgresCachesStatements: pgx prepares the queries it runs and
// keeps them per connection (its default exec mode, which Open keeps), so
// a GetLot is not parsed again on the connection that ran it before.
func TestPostgresCachesStatements(t *testing.T) {
	t.Parallel()
	s := storetest.NewStore(t, storetest.SmallPool(storetest.PostgresURL(t), 1))
	ctx := t.Context()
	admin := millwa.Principal{KeyID: "k", Role: millwa.RoleAdmin}
	l := createLot(t, s, 1)
	for range 2 {
		if _, err := s.GetLot(ctx, admin, l.ID); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := queryRow(ctx, s, `SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%string_agg%' AND statement NOT LIKE '%pg_prepared_statements%'`, nil, &n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("the pool's one connection holds %d prepared statements of GetLot, want 1", n)
	}
}
