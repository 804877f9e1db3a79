package store

import (
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/millwa"
)

func TestParseContributions(t *testing.T) {
	const a, b = "0190e3c4-0000-7000-8000-00000000000a", "0190e3c4-0000-7000-8000-00000000000b"
	for _, tc := range []struct {
		in   string
		want []millwa.Contribution
	}{
		{"", nil},
		{a + ":1500", []millwa.Contribution{{MemberID: a, Grams: 1500}}},
		{a + ":1," + b + ":2", []millwa.Contribution{{MemberID: a, Grams: 1}, {MemberID: b, Grams: 2}}},
		// Put in member id order whatever order the database gave.
		{b + ":2," + a + ":1", []millwa.Contribution{{MemberID: a, Grams: 1}, {MemberID: b, Grams: 2}}},
	} {
		got, err := parseContributions(tc.in)
		if err != nil {
			t.Errorf("parseContributions(%q): %v", tc.in, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("parseContributions(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
	for _, bad := range []string{a, a + ":", ":5", a + ":x", a + ":1,", a + ":99999999999999999999"} {
		if got, err := parseContributions(bad); err == nil {
			t.Errorf("parseContributions(%q) = %v, want an error", bad, got)
		}
	}
}

// TestLotScanTargets: the fields GetLot scans into are those sqlx would
// map each column of its query to, in the query's order, and
// GetLotWithSources's likewise, with the sources last.
func TestLotScanTargets(t *testing.T) {
	var columns []string
	for c := range strings.SplitSeq(lotColumns, ",") {
		columns = append(columns, strings.TrimSpace(c))
	}
	columns = append(columns, "contributions")
	var r lotContributionsRow
	checkScanTargets(t, &r, r.scanTargets(), columns)
	var rs lotSourcesRow
	checkScanTargets(t, &rs, rs.scanTargets(), append(columns, "sources"))
}

// checkScanTargets checks that targets are the fields of *row that sqlx
// maps columns to, in order.
func checkScanTargets(t *testing.T, row any, targets []any, columns []string) {
	t.Helper()
	if len(targets) != len(columns) {
		t.Fatalf("%d scan targets for %d columns", len(targets), len(columns))
	}
	v := reflect.ValueOf(row).Elem()
	fields := rowMapper.TypeMap(v.Type())
	for i, col := range columns {
		f := fields.GetByPath(col)
		if f == nil {
			t.Fatalf("no field for column %s", col)
		}
		if want := v.FieldByIndex(f.Index).Addr().Interface(); want != targets[i] {
			t.Errorf("column %d, %s, is scanned into the wrong field", i, col)
		}
	}
}

func TestParseSources(t *testing.T) {
	const r1, r2, m = "0190e3c4-0000-7000-8000-000000000001", "0190e3c4-0000-7000-8000-000000000002", "0190e3c4-0000-7000-8000-00000000000a"
	for _, tc := range []struct {
		in   string
		want []millwa.Source
	}{
		{"", nil},
		{r1 + ":" + m + ":1500", []millwa.Source{{ReceiptID: r1, MemberID: m, Grams: 1500}}},
		// Put in receipt id order whatever order the database gave.
		{r2 + ":" + m + ":2," + r1 + ":" + m + ":1", []millwa.Source{{ReceiptID: r1, MemberID: m, Grams: 1}, {ReceiptID: r2, MemberID: m, Grams: 2}}},
	} {
		got, err := parseSources(tc.in)
		if err != nil {
			t.Errorf("parseSources(%q): %v", tc.in, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("parseSources(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
	for _, bad := range []string{r1, r1 + ":" + m, r1 + ":" + m + ":", ":" + m + ":5", r1 + "::5", r1 + ":" + m + ":x", r1 + ":" + m + ":1,"} {
		if got, err := parseSources(bad); err == nil {
			t.Errorf("parseSources(%q) = %v, want an error", bad, got)
		}
	}
}
