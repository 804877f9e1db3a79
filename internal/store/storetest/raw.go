package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/millwa/millwa/internal/store"
)

// RawDB opens the database at url directly, bypassing the store, for tests
// that write rows no RPC can (a corrupted or an old-format row), and
// returns it with rebind, which turns a query's ? placeholders into the
// dialect's. The database is closed when the test ends.
//
// First, on a migrated database, it runs the sequencer once
// (store.Store.SequencePending), as the store's own readers of the audit
// log do, so that raw reads of audit_events and market_events see every
// change acknowledged before the call.
func RawDB(t testing.TB, url string) (db *sql.DB, rebind func(string) string) {
	t.Helper()
	Settle(t, url)
	driver, dsn := "pgx", url
	rebind = func(q string) string {
		n := 0
		var b strings.Builder
		for _, r := range q {
			if r == '?' {
				n++
				fmt.Fprintf(&b, "$%d", n)
				continue
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
		driver, dsn, rebind = "sqlite", path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)", func(q string) string { return q }
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("storetest: opening %s: %v", redact(url), err)
	}
	t.Cleanup(func() { db.Close() })
	return db, rebind
}

// Settle moves the audit and market events still pending at url into the
// audit chain and the market event outbox (store.Store.SequencePending),
// when the database is migrated far enough to have them.
func Settle(t testing.TB, url string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatalf("storetest: opening %s: %v", redact(url), err)
	}
	defer st.Close()
	if v, err := st.SchemaVersion(ctx); err != nil || v < sequencerSchema {
		return // a database not (yet) migrated has nothing pending
	}
	if _, err := st.SequencePending(ctx); err != nil {
		t.Fatalf("storetest: sequencing pending events at %s: %v", redact(url), err)
	}
}

// sequencerSchema is the migration that brought pending events.
const sequencerSchema = 10
