package store

import (
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
