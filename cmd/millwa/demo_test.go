package main

import (
	"bytes"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/store/storetest"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, to read the demo's database
)

var update = flag.Bool("update", false, "rewrite the README's demo output with this run's")

// readmeDemoMarker is the line just before the README's block of the
// demo's output.
const readmeDemoMarker = "<!-- The output of `go run ./cmd/millwa demo` on a fresh database;"

// TestDemoIsDeterministic runs the demo, with its defaults, on two fresh
// SQLite databases: both print the same summary, which is the README's,
// and leave the same business rows, ids ranked and times dropped.
func TestDemoIsDeterministic(t *testing.T) {
	var outs, dumps []string
	for run := range 2 {
		dir := t.TempDir()
		cmd := exec.Command(binary, "demo")
		cmd.Dir, cmd.Env = dir, baseEnv()
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("demo: %v\n%s\n%s", err, stdout.String(), stderr.String())
		}
		// The first admin key is made on a fresh database: announced on
		// stderr, never in the summary.
		if !strings.Contains(stderr.String(), "First admin key") || strings.Contains(stdout.String(), "mlw_") {
			t.Errorf("the first admin key is not on stderr alone:\n%s", stdout.String())
		}
		outs = append(outs, stdout.String())
		dumps = append(dumps, canonicalDump(t, openSQLite(t, filepath.Join(dir, "millwa.db"))))
		if run == 0 {
			checkDemoObservatory(t, filepath.Join(dir, "millwa.db"), stdout.String())
		}
	}
	if diff := cmp.Diff(outs[0], outs[1]); diff != "" {
		t.Errorf("two demo runs print different summaries (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(dumps[0], dumps[1]); diff != "" {
		t.Errorf("two demo runs leave different rows (-first +second):\n%s", diff)
	}
	for _, want := range []string{"Seeded 500 lots", "(the lenient classifier)", "lots to check: 2026-"} {
		if !strings.Contains(outs[0], want) {
			t.Errorf("the summary does not say %q:\n%s", want, outs[0])
		}
	}
	if regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-`).MatchString(outs[0]) {
		t.Errorf("the summary prints an id:\n%s", outs[0])
	}
	checkReadmeDemo(t, outs[0])
}

// TestDemoIsDeterministicOnPostgres runs the demo, with its defaults, on
// two fresh PostgreSQL databases: both print the README's summary, the
// one SQLite's runs print, and leave the same business rows.
func TestDemoIsDeterministicOnPostgres(t *testing.T) {
	var outs, dumps []string
	for range 2 {
		url := storetest.PostgresURL(t)
		cmd := exec.Command(binary, "demo")
		cmd.Dir, cmd.Env = t.TempDir(), append(baseEnv(), "MILLWA_DATABASE_URL="+url)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("demo on PostgreSQL: %v\n%s\n%s", err, stdout.String(), stderr.String())
		}
		outs = append(outs, stdout.String())
		db, _ := storetest.RawDB(t, url)
		dumps = append(dumps, canonicalDump(t, db))
	}
	if diff := cmp.Diff(outs[0], outs[1]); diff != "" {
		t.Errorf("two demo runs on PostgreSQL print different summaries (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(dumps[0], dumps[1]); diff != "" {
		t.Errorf("two demo runs on PostgreSQL leave different rows (-first +second):\n%s", diff)
	}
	checkReadmeDemo(t, outs[0])
}

// checkReadmeDemo compares the README's block of the demo's output with
// out, or rewrites it with -update.
func checkReadmeDemo(t *testing.T, out string) {
	t.Helper()
	path := filepath.Join("..", "..", "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	at := strings.Index(text, readmeDemoMarker)
	if at < 0 {
		t.Fatalf("README.md has no line starting %q", readmeDemoMarker)
	}
	open := at + strings.Index(text[at:], "\n```\n") + len("\n```\n")
	end := open + strings.Index(text[open:], "```\n")
	if *update {
		if err := os.WriteFile(path, []byte(text[:open]+out+text[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if diff := cmp.Diff(text[open:end], out); diff != "" {
		t.Errorf("README.md's demo output is not what the demo prints (-README +demo); run with -update to rewrite it:\n%s", diff)
	}
}

// businessTables are the tables of what the demo seeds; keys, the audit
// log, events and request records hold secrets, hashes or times by
// nature, and are left out.
var businessTables = []string{
	"associations", "members", "classifiers", "receipts", "receipt_groups", "receipt_counters", "lots", "lot_contributions",
	"lot_sources", "processors", "purchase_orders", "trades", "allocations", "trade_payments", "payouts", "member_payments",
	"agencies", "agency_regions", "check_gradings", "sampling_plans", "reference_prices",
}

var (
	uuidPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timePattern = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`)
)

// openSQLite opens the SQLite database at path to read, until the test
// ends.
func openSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// canonicalDump is the business tables of the database db as
// text: each id, wherever it appears, replaced by its table and its rank
// among that table's ids (server-made UUIDv7s sort in creation order),
// every time dropped (columns ending in _time, and times inside text),
// and each table's rows sorted.
func canonicalDump(t *testing.T, db *sql.DB) string {
	t.Helper()
	ranks := map[string]string{}
	for _, table := range businessTables {
		var ids []string
		rows, err := db.Query(`SELECT id FROM ` + table + ` ORDER BY id`)
		if err != nil {
			continue // a table keyed otherwise
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		for i, id := range ids {
			ranks[id] = fmt.Sprintf("%s#%d", table, i+1)
		}
	}
	// Each table's rows, as column=value fields, times left out.
	tables := make([][][]string, len(businessTables))
	for ti, table := range businessTables {
		rows, err := db.Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatalf("reading %s: %v", table, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var fields []string
			for i, c := range cols {
				if strings.HasSuffix(c, "_time") {
					continue
				}
				v := vals[i]
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				fields = append(fields, c+"="+fmt.Sprint(v))
			}
			tables[ti] = append(tables[ti], fields)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	// Ids of no table's rows (a clearing's, say) are ranked among
	// themselves.
	var others []string
	for _, rows := range tables {
		for _, fields := range rows {
			for _, f := range fields {
				for _, id := range uuidPattern.FindAllString(f, -1) {
					if _, ok := ranks[id]; !ok {
						ranks[id] = ""
						others = append(others, id)
					}
				}
			}
		}
	}
	slices.Sort(others)
	for i, id := range others {
		ranks[id] = fmt.Sprintf("other#%d", i+1)
	}
	canon := func(s string) string {
		s = timePattern.ReplaceAllString(s, "<time>")
		return uuidPattern.ReplaceAllStringFunc(s, func(id string) string { return ranks[id] })
	}
	var out strings.Builder
	for ti, table := range businessTables {
		var lines []string
		for _, fields := range tables[ti] {
			lines = append(lines, canon(strings.Join(fields, " ")))
		}
		slices.Sort(lines)
		fmt.Fprintf(&out, "%s: %d rows\n", table, len(lines))
		for _, l := range lines {
			out.WriteString("  " + l + "\n")
		}
	}
	if !strings.Contains(out.String(), "lots: 584 rows") {
		t.Fatalf("the demo's database has not its 584 lots (the 2026 season's 504, the 2025 season's 80):\n%.2000s", out.String())
	}
	return out.String()
}
