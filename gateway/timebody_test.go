package gateway

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRewriteTimeBounds checks which bodies timeBody rewrites: dates of
// time bounds become Lima's midnight in UTC, RFC 3339 times their instant
// in UTC, other fields stay as sent, a bound in neither format is a violation naming its
// field, and what is not one JSON object, or names a key twice, is left to
// the strict decoder.
func TestRewriteTimeBounds(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, body, want string
		violations       []string
	}{
		{"dates", `{"region":"21","startTime":"2026-01-01","end_time":"2026-02-01","seed":"7"}`,
			`{"end_time":"2026-02-01T05:00:00Z","region":"21","seed":"7","startTime":"2026-01-01T05:00:00Z"}`, nil},
		{"RFC 3339 times in UTC are sent as they are", `{"startTime": "2026-01-01T00:00:00Z", "endTime":"2026-02-01T05:00:00Z"}`,
			`{"startTime": "2026-01-01T00:00:00Z", "endTime":"2026-02-01T05:00:00Z"}`, nil},
		{"an offset is read as the instant it names", `{"startTime":"2026-01-01T00:00:00Z","endTime":"2026-02-01T00:00:00-05:00"}`,
			`{"endTime":"2026-02-01T05:00:00Z","startTime":"2026-01-01T00:00:00Z"}`, nil},
		{"a bound in neither format", `{"startTime":"01/12/2026","asOfTime":"ayer","endTime":"2026-02-01"}`,
			`{"startTime":"01/12/2026","asOfTime":"ayer","endTime":"2026-02-01"}`, []string{"as_of_time", "start_time"}},
		{"a bound that is not a string", `{"startTime":20260101,"endTime":"2026-02-01"}`,
			`{"endTime":"2026-02-01T05:00:00Z","startTime":20260101}`, nil},
		{"not an object", `["2026-01-01"]`, `["2026-01-01"]`, nil},
		{"trailing data", `{"startTime":"2026-01-01"} {}`, `{"startTime":"2026-01-01"} {}`, nil},
		{"a key twice", `{"startTime":"2026-01-01","startTime":"2026-01-02"}`, `{"startTime":"2026-01-01","startTime":"2026-01-02"}`, nil},
		{"not JSON", `{"startTime":`, `{"startTime":`, nil},
	} {
		got, vs := rewriteTimeBounds([]byte(tt.body))
		var fields []string
		for _, v := range vs {
			fields = append(fields, v.GetField())
		}
		if string(got) != tt.want || !cmp.Equal(fields, tt.violations) {
			t.Errorf("%s: %s with violations of %v; want %s with %v", tt.name, got, fields, tt.want, tt.violations)
		}
	}
}
