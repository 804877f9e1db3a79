package storetest

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

// RawDB opens the database at url directly, bypassing the store, for tests
// that write rows no RPC can (a corrupted or an old-format row), and
// returns it with rebind, which turns a query's ? placeholders into the
// dialect's. The database is closed when the test ends.
func RawDB(t testing.TB, url string) (db *sql.DB, rebind func(string) string) {
	t.Helper()
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
