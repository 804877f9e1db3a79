package millwa

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The filter grammar of List calls, a subset of AIP-160:
//
//	filter    = condition { "AND" condition }
//	condition = field operator value
//	operator  = "=" | "!=" | "<" | "<=" | ">" | ">="
//	value     = string | integer | "true" | "false" | ENUM_VALUE
//	string    = '"' { character | '\"' | '\\' } '"'
//
// Field names are the proto field names of the listed resource (snake_case)
// or their lowerCamelCase JSON form. Strings, booleans and enum values
// compare for equality only; times are quoted RFC 3339 strings and take
// every operator.

// FieldKind is the type of a filterable field.
type FieldKind int

// Kinds of filterable fields.
const (
	StringField FieldKind = iota + 1
	IntField
	BoolField
	TimeField
	// EnumField takes an enum value's name, quoted or not; Condition.Str
	// holds it as written, for the service to map.
	EnumField
)

// Op is a comparison operator of a filter condition.
type Op string

// Filter operators.
const (
	OpEq Op = "="
	OpNe Op = "!="
	OpLt Op = "<"
	OpLe Op = "<="
	OpGt Op = ">"
	OpGe Op = ">="
)

// Condition is one comparison of a filter. Exactly one of the value fields
// is meaningful, as the field's kind says.
type Condition struct {
	Field string // snake_case field name
	Op    Op
	Str   string
	Int   int64
	Bool  bool
	Time  time.Time
}

// Limits on a filter expression.
const (
	MaxFilterLen        = 1000
	MaxFilterConditions = 20
)

// ParseFilter parses a List filter against the fields the resource allows.
// An empty filter has no conditions. Errors are Invalid and name the field
// "filter" with what is wrong and where.
func ParseFilter(filter string, fields map[string]FieldKind) ([]Condition, error) {
	conds, err := parseFilter(filter, fields)
	if err != nil {
		var vs Violations
		vs.Add("filter", "%s", err)
		return nil, vs.Err()
	}
	return conds, nil
}

func parseFilter(filter string, fields map[string]FieldKind) ([]Condition, error) {
	if len(filter) > MaxFilterLen {
		return nil, fmt.Errorf("is %d bytes long, over the limit of %d", len(filter), MaxFilterLen)
	}
	toks, err := tokenize(filter)
	if err != nil {
		return nil, err
	}
	var conds []Condition
	for i := 0; i < len(toks); {
		if len(conds) > 0 {
			if toks[i].text != "AND" || toks[i].quoted {
				return nil, fmt.Errorf("expected AND at offset %d, found %q (only AND joins conditions)", toks[i].pos, toks[i].text)
			}
			i++
		}
		if len(toks)-i < 3 {
			return nil, fmt.Errorf("incomplete condition at the end: write field operator value, for example state = \"AVAILABLE\"")
		}
		c, err := condition(toks[i], toks[i+1], toks[i+2], fields)
		if err != nil {
			return nil, err
		}
		conds = append(conds, c)
		if len(conds) > MaxFilterConditions {
			return nil, fmt.Errorf("has more than %d conditions", MaxFilterConditions)
		}
		i += 3
	}
	return conds, nil
}

func condition(f, o, v token, fields map[string]FieldKind) (Condition, error) {
	name := snakeCase(f.text)
	kind, ok := fields[name]
	if f.quoted || !ok {
		return Condition{}, fmt.Errorf("unknown field %q at offset %d: filterable fields are %s", f.text, f.pos, fieldList(fields))
	}
	c := Condition{Field: name, Op: Op(o.text)}
	switch c.Op {
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
	default:
		return Condition{}, fmt.Errorf("unknown operator %q at offset %d: use =, !=, <, <=, > or >=", o.text, o.pos)
	}
	switch kind {
	case StringField, EnumField:
		if kind == StringField && !v.quoted {
			return Condition{}, fmt.Errorf("%s takes a quoted string at offset %d, for example %s = \"value\"", name, v.pos, name)
		}
		if err := equalityOnly(c, name, kind); err != nil {
			return Condition{}, err
		}
		if err := checkValueText(name, v); err != nil {
			return Condition{}, err
		}
		c.Str = v.text
	case IntField:
		n, err := strconv.ParseInt(v.text, 10, 64)
		if v.quoted || err != nil {
			return Condition{}, fmt.Errorf("%s takes an integer at offset %d, found %q", name, v.pos, v.text)
		}
		c.Int = n
	case BoolField:
		if v.quoted || (v.text != "true" && v.text != "false") {
			return Condition{}, fmt.Errorf("%s takes true or false at offset %d, found %q", name, v.pos, v.text)
		}
		if err := equalityOnly(c, name, kind); err != nil {
			return Condition{}, err
		}
		c.Bool = v.text == "true"
	case TimeField:
		t, err := time.Parse(time.RFC3339Nano, v.text)
		if !v.quoted || err != nil {
			return Condition{}, fmt.Errorf("%s takes a quoted RFC 3339 time at offset %d, for example %s >= \"2026-01-31T00:00:00Z\"", name, v.pos, name)
		}
		if t = t.UTC(); t.Before(MinTime) || t.After(MaxTime) {
			return Condition{}, fmt.Errorf("%s takes a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z at offset %d, found %q", name, v.pos, v.text)
		}
		c.Time = t
	}
	return c, nil
}

// The range of times a filter accepts is what RFC 3339 and both databases
// can hold, in UTC: a year-0 time parses in Go, but PostgreSQL refuses it
// and SQLite's text form cannot order it.
var (
	// MinTime is the earliest time a filter accepts.
	MinTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	// MaxTime is the latest time a filter accepts.
	MaxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

// checkValueText refuses a string value holding a control character that
// no stored text can hold, so that it never reaches the database.
func checkValueText(name string, v token) error {
	if r, i, ok := ForbiddenControl(v.text); ok {
		return fmt.Errorf("the value of %s at offset %d %s", name, v.pos, ControlMessage(r, i))
	}
	return nil
}

// equalityOnly refuses an ordering comparison (<, <=, >, >=) of a string,
// enum or boolean field, which compare with = or != only.
func equalityOnly(c Condition, name string, kind FieldKind) error {
	if c.Op == OpEq || c.Op == OpNe {
		return nil
	}
	what := map[FieldKind]string{StringField: "a string", EnumField: "an enum", BoolField: "true or false"}[kind]
	return fmt.Errorf("%s is %s: compare it with = or != only", name, what)
}

type token struct {
	text   string
	quoted bool
	pos    int
}

func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' {
					j++
					if j == len(s) || (s[j] != '"' && s[j] != '\\') {
						return nil, fmt.Errorf("bad escape in the string at offset %d: only \\\" and \\\\ are allowed", i)
					}
				}
				b.WriteByte(s[j])
			}
			if j == len(s) {
				return nil, fmt.Errorf("unterminated string at offset %d", i)
			}
			toks = append(toks, token{text: b.String(), quoted: true, pos: i})
			i = j + 1
		case c == '=' || c == '<' || c == '>' || c == '!':
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			toks = append(toks, token{text: s[i:j], pos: i})
			i = j
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			toks = append(toks, token{text: s[i:j], pos: i})
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q at offset %d", c, i)
		}
	}
	return toks, nil
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

// snakeCase turns lowerCamelCase into snake_case; snake_case is unchanged.
func snakeCase(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

func fieldList(fields map[string]FieldKind) string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// OrderTerm is one field of an order_by: the field's snake_case name and its
// direction.
type OrderTerm struct {
	Field string
	Desc  bool
}

// ParseOrderBy parses an AIP-132 order_by ("legal_name, create_time desc")
// against the fields a resource can be ordered by. An empty order_by gives
// def. Errors are Invalid and name the field "order_by".
func ParseOrderBy(orderBy string, fields []string, def []OrderTerm) ([]OrderTerm, error) {
	if strings.TrimSpace(orderBy) == "" {
		return def, nil
	}
	var vs Violations
	if len(orderBy) > MaxFilterLen {
		vs.Add("order_by", "is over %d bytes", MaxFilterLen)
		return nil, vs.Err()
	}
	var terms []OrderTerm
	seen := map[string]bool{}
	for _, part := range strings.Split(orderBy, ",") {
		words := strings.Fields(part)
		if len(words) == 0 || len(words) > 2 || (len(words) == 2 && words[1] != "desc" && words[1] != "asc") {
			vs.Add("order_by", "%q is not a field optionally followed by desc: write for example \"create_time desc\"", strings.TrimSpace(part))
			return nil, vs.Err()
		}
		name := snakeCase(words[0])
		if !slices.Contains(fields, name) || seen[name] {
			vs.Add("order_by", "cannot order by %q (twice, or not a field of the order): fields are %s", words[0], strings.Join(fields, ", "))
			return nil, vs.Err()
		}
		seen[name] = true
		terms = append(terms, OrderTerm{Field: name, Desc: len(words) == 2 && words[1] == "desc"})
	}
	return terms, nil
}
