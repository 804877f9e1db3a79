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
// map each column of its query to, in the query's order.
func TestLotScanTargets(t *testing.T) {
	var r lotContributionsRow
	targets := r.scanTargets()
	var columns []string
	for c := range strings.SplitSeq(lotColumns, ",") {
		columns = append(columns, strings.TrimSpace(c))
	}
	columns = append(columns, "contributions")
	if len(targets) != len(columns) {
		t.Fatalf("%d scan targets for %d columns", len(targets), len(columns))
	}
	fields := rowMapper.TypeMap(reflect.TypeOf(r))
	v := reflect.ValueOf(&r).Elem()
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
