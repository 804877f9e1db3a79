package millwa

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var testFields = map[string]FieldKind{
	"region":      StringField,
	"campaign":    IntField,
	"discrepancy": BoolField,
	"create_time": TimeField,
	"state":       EnumField,
}

func TestParseFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		filter string
		want   string // fmt of the conditions, or "error: <substring>"
	}{
		{"", "[]"},
		{`region = "21"`, `[region = 21]`},
		{`region="21" AND campaign >= 2025`, `[region = 21 campaign >= 2025]`},
		{`  discrepancy = true  `, `[discrepancy = true]`},
		{`createTime < "2026-01-31T05:00:00-05:00"`, `[create_time < 2026-01-31T10:00:00Z]`},
		{`region = "a \"quoted\" \\ value"`, `[region = a "quoted" \ value]`},
		{`region != ""`, `[region != ]`},
		{`state = AVAILABLE AND state != "LOT_STATE_SOLD"`, `[state = AVAILABLE state != LOT_STATE_SOLD]`},
		{`state > AVAILABLE`, "error: = or !="},
		{`region = 21`, "error: quoted string"},
		{`region > "21"`, "error: = or !="},
		{`campaign = "2025"`, "error: integer"},
		{`campaign = 20x5`, "error: integer"},
		{`discrepancy = yes`, "error: true or false"},
		{`discrepancy < true`, "error: = or !="},
		{`create_time > "yesterday"`, "error: RFC 3339"},
		{`colour = "WHITE"`, "error: unknown field"},
		{`region = "21" OR campaign = 1`, "error: expected AND"},
		{`region = "21" and campaign = 1`, "error: expected AND"},
		{`region = "21" AND`, "error: incomplete"},
		{`region =`, "error: incomplete"},
		{`region ~ "21"`, "error: unexpected character"},
		{`region = "21`, "error: unterminated"},
		{`region = "\x"`, "error: bad escape"},
		{`region == "21"`, "error: unknown operator"},
		{`"region" = "21"`, "error: unknown field"},
		{strings.Repeat(`campaign = 1 AND `, 20) + `campaign = 1`, "error: more than 20"},
		{strings.Repeat(" ", 1001), "error: over the limit"},
		{`create_time >= "0000-01-01T00:00:00Z"`, "error: from 0001-01-01"},
		{`create_time < "0001-01-01T00:30:00+01:00"`, "error: from 0001-01-01"},
		{`create_time < "9999-12-31T23:00:00-05:00"`, "error: from 0001-01-01"},
		{`create_time >= "0001-01-01T00:00:00Z"`, `[create_time >= 0001-01-01T00:00:00Z]`},
		{`create_time <= "9999-12-31T23:59:59Z"`, `[create_time <= 9999-12-31T23:59:59Z]`},
		{"region = \"2\x001\"", "error: NUL character"},
		{"state = \"A\x00\"", "error: NUL character"},
		{"region = \"2\x1b1\"", "error: U+001B"},
		{"region = \"2\u00851\"", "error: U+0085"},
		{"region = \"a\tb\"", "[region = a\tb]"},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			conds, err := ParseFilter(tt.filter, testFields)
			var got string
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Code != Invalid || len(e.Violations) != 1 || e.Violations[0].Field != "filter" {
					t.Fatalf("error is not an Invalid error on the filter field: %#v", err)
				}
				got = "error: " + e.Violations[0].Description
			} else {
				parts := make([]string, len(conds))
				for i, c := range conds {
					var v any
					switch testFields[c.Field] {
					case StringField, EnumField:
						v = c.Str
					case IntField:
						v = c.Int
					case BoolField:
						v = c.Bool
					case TimeField:
						v = c.Time.Format(time.RFC3339)
					}
					parts[i] = fmt.Sprintf("%s %s %v", c.Field, c.Op, v)
				}
				got = "[" + strings.Join(parts, " ") + "]"
			}
			if strings.HasPrefix(tt.want, "error: ") {
				if !strings.HasPrefix(got, "error: ") || !strings.Contains(got, strings.TrimPrefix(tt.want, "error: ")) {
					t.Fatalf("got %q, want an error containing %q", got, strings.TrimPrefix(tt.want, "error: "))
				}
				return
			}
			if got != tt.want {
				t.Fatalf("(-want +got)\n- %s\n+ %s", tt.want, got)
			}
		})
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{`region = "21"`, `campaign >= 2025 AND discrepancy = false`, `create_time < "2026-01-01T00:00:00Z"`, `"`, `a = "\\"`, `AND AND`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, filter string) {
		conds, err := ParseFilter(filter, testFields)
		if err != nil {
			if ErrorCode(err) != Invalid {
				t.Fatalf("error of code %s: %v", ErrorCode(err), err)
			}
			return
		}
		if len(conds) > MaxFilterConditions {
			t.Fatalf("%d conditions accepted", len(conds))
		}
		for _, c := range conds {
			if _, ok := testFields[c.Field]; !ok {
				t.Fatalf("condition on unknown field %q", c.Field)
			}
		}
	})
}

func TestParseOrderBy(t *testing.T) {
	t.Parallel()
	fields := []string{"legal_name", "create_time"}
	def := []OrderTerm{{Field: "create_time"}}
	tests := []struct {
		in, want string
	}{
		{"", "[{create_time false}]"},
		{"legal_name", "[{legal_name false}]"},
		{"legalName desc, create_time", "[{legal_name true} {create_time false}]"},
		{" create_time asc ", "[{create_time false}]"},
		{"ruc", "error"},
		{"legal_name, legal_name", "error"},
		{"legal_name descending", "error"},
		{"legal_name,", "error"},
	}
	for _, tt := range tests {
		got, err := ParseOrderBy(tt.in, fields, def)
		s := fmt.Sprint(got)
		if err != nil {
			if ErrorCode(err) != Invalid {
				t.Fatalf("%q: error code %s", tt.in, ErrorCode(err))
			}
			s = "error"
		}
		if s != tt.want {
			t.Errorf("ParseOrderBy(%q) = %s, want %s", tt.in, s, tt.want)
		}
	}
}

func TestPageTokens(t *testing.T) {
	t.Parallel()
	after := []string{"Asociación Ñ", "0192d1a0-0000-7000-8000-000000000000"}
	tok := EncodePageToken(after, "filter-a")
	got, err := DecodePageToken(tok, "filter-a")
	if err != nil || fmt.Sprint(got) != fmt.Sprint(after) {
		t.Fatalf("round trip = %v, %v", got, err)
	}
	if _, err := DecodePageToken(tok, "filter-b"); ErrorCode(err) != Invalid {
		t.Errorf("token accepted for another query: %v", err)
	}
	for _, bad := range []string{"%%%", "e30", strings.Repeat("A", 2000)} {
		if _, err := DecodePageToken(bad, "filter-a"); ErrorCode(err) != Invalid {
			t.Errorf("bad token %.20q accepted: %v", bad, err)
		}
	}
	if got, err := DecodePageToken("", "x"); got != nil || err != nil {
		t.Errorf("empty token = %v, %v", got, err)
	}
	for requested, want := range map[int32]int{0: DefaultPageSize, 1: 1, 500: 500, 501: MaxPageSize, 1 << 30: MaxPageSize} {
		if got, err := PageSize(requested); got != want || err != nil {
			t.Errorf("PageSize(%d) = %d, %v; want %d", requested, got, err, want)
		}
	}
	if _, err := PageSize(-1); ErrorCode(err) != Invalid {
		t.Errorf("negative page size accepted")
	}
}

func TestParseName(t *testing.T) {
	t.Parallel()
	const id = "0192d1a0-0000-7000-8000-000000000000"
	ids, err := ParseName("name", "associations/"+id+"/lots/"+id, "associations", "lots")
	if err != nil || len(ids) != 2 || ids[0] != id {
		t.Fatalf("ParseName = %v, %v", ids, err)
	}
	for _, bad := range []string{"", "associations", "associations/" + id + "/", "lots/" + id, "associations/" + strings.ToUpper(id), "associations/" + id + "/members/" + id} {
		_, err := ParseName("name", bad, "associations")
		var e *Error
		if !errors.As(err, &e) || e.Violations[0].Field != "name" || !strings.Contains(e.Violations[0].Description, "associations/{id}") {
			t.Errorf("ParseName(%q) = %v, want an Invalid error showing the pattern", bad, err)
		}
	}
}
