package store

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/millwa/millwa/internal/millwa"
)

// ListQuery selects one page of a List: the conditions rows must meet, their
// order, and where the page starts. Every List method of the store takes
// one, so that filters, orders and keyset pages work the same everywhere.
type ListQuery struct {
	// Conditions are joined by AND. Their fields must be filterable fields
	// of the resource; the service has parsed them with millwa.ParseFilter.
	Conditions []millwa.Condition
	// Order lists the sort fields; the id is always the last, implicit key,
	// so the order is total. Empty means id order, which is creation order.
	Order []millwa.OrderTerm
	// After is the Next key of the previous page: the page starts after the
	// row whose sort key it is. Empty starts at the beginning.
	After []string
	// Limit is the page size: 0 means DefaultListLimit.
	Limit int
}

// Page is one page of a List: its items and, when more rows follow, the
// sort key of its last item, to pass as ListQuery.After for the next page.
type Page[T any] struct {
	Items []T
	Next  []string
}

// column is how a filterable or orderable field of a resource is stored.
type column struct {
	expr string
	kind millwa.FieldKind
	// prefix makes = and != on a string mean "starts with" and "does not
	// start with" (ubigeo region codes).
	prefix bool
}

// resourceColumns describes the listable fields of one resource: its
// columns by field name, and how to read a field's sort value from an item.
type resourceColumns[T any] struct {
	table   string
	columns map[string]column
	// key returns the sort value of field for item, as ListQuery.After
	// carries it; "id" must be supported.
	key func(item *T, field string) string
}

// where returns the SQL condition of q's conditions and its start key, with
// ? placeholders and their arguments, or Invalid for a field or key the
// resource does not have.
func (rc *resourceColumns[T]) where(dialect string, q ListQuery) (string, []any, error) {
	var parts []string
	var args []any
	for _, c := range q.Conditions {
		col, ok := rc.columns[c.Field]
		if !ok || col.kind == 0 {
			return "", nil, millwa.Errorf(millwa.Invalid, "%s cannot be filtered on %s", rc.table, c.Field)
		}
		sql, arg, err := conditionSQL(col, c)
		if err != nil {
			return "", nil, err
		}
		parts = append(parts, sql)
		args = append(args, arg)
	}
	if len(q.After) > 0 {
		sql, keyArgs, err := rc.afterSQL(dialect, q)
		if err != nil {
			return "", nil, err
		}
		parts = append(parts, sql)
		args = append(args, keyArgs...)
	}
	if len(parts) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(parts, " AND "), args, nil
}

var sqlOps = map[millwa.Op]string{
	millwa.OpEq: "=", millwa.OpNe: "<>",
	millwa.OpLt: "<", millwa.OpLe: "<=", millwa.OpGt: ">", millwa.OpGe: ">=",
}

func conditionSQL(col column, c millwa.Condition) (string, any, error) {
	op, ok := sqlOps[c.Op]
	if !ok {
		return "", nil, millwa.Errorf(millwa.Invalid, "unknown operator %q", c.Op)
	}
	switch col.kind {
	case millwa.StringField:
		if col.prefix {
			like := "LIKE"
			if c.Op == millwa.OpNe {
				like = "NOT LIKE"
			}
			return col.expr + " " + like + ` ? ESCAPE '\'`, escapeLike(c.Str) + "%", nil
		}
		return col.expr + " " + op + " ?", c.Str, nil
	case millwa.IntField:
		return col.expr + " " + op + " ?", c.Int, nil
	case millwa.BoolField:
		return col.expr + " " + op + " ?", c.Bool, nil
	case millwa.TimeField:
		return col.expr + " " + op + " ?", dbTime{c.Time}, nil
	}
	return "", nil, millwa.Errorf(millwa.Invalid, "field %s has no kind", c.Field)
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// keys returns the sort keys of q: its order, then the id.
func keys(q ListQuery) []millwa.OrderTerm {
	return append(append([]millwa.OrderTerm(nil), q.Order...), millwa.OrderTerm{Field: "id"})
}

// afterSQL is the keyset condition "sort key after q.After":
// (k1 > v1) OR (k1 = v1 AND k2 > v2) OR …, with < for descending keys.
func (rc *resourceColumns[T]) afterSQL(dialect string, q ListQuery) (string, []any, error) {
	ks := keys(q)
	if len(q.After) != len(ks) {
		return "", nil, millwa.Errorf(millwa.Invalid, "page key has %d values, the order needs %d", len(q.After), len(ks))
	}
	values := make([]any, len(ks))
	exprs := make([]string, len(ks))
	for i, k := range ks {
		col, err := rc.orderColumn(dialect, k.Field)
		if err != nil {
			return "", nil, err
		}
		exprs[i] = col.expr
		if k.Field == "id" {
			id, ok := canonicalID(q.After[i])
			if !ok {
				return "", nil, millwa.Errorf(millwa.Invalid, "page key %q does not end with an id", q.After[i])
			}
			values[i] = id
		} else if values[i], err = keyValue(col.kind, q.After[i]); err != nil {
			return "", nil, err
		}
	}
	var ors []string
	var args []any
	for i, k := range ks {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, exprs[j]+" = ?")
			args = append(args, values[j])
		}
		cmp := " > ?"
		if k.Desc {
			cmp = " < ?"
		}
		ands = append(ands, exprs[i]+cmp)
		args = append(args, values[i])
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")", args, nil
}

// orderColumn is the column of a sort field. Strings sort by byte order on
// both databases (COLLATE "C" on PostgreSQL), so that both list alike.
func (rc *resourceColumns[T]) orderColumn(dialect, field string) (column, error) {
	if field == "id" {
		return column{expr: "id", kind: millwa.StringField}, nil
	}
	col, ok := rc.columns[field]
	if !ok {
		return column{}, millwa.Errorf(millwa.Invalid, "%s cannot be ordered by %s", rc.table, field)
	}
	if col.kind == millwa.StringField && dialect == "postgres" {
		col.expr += ` COLLATE "C"`
	}
	return col, nil
}

func keyValue(kind millwa.FieldKind, s string) (any, error) {
	switch kind {
	case millwa.StringField:
		return s, nil
	case millwa.IntField:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, millwa.Errorf(millwa.Invalid, "page key %q is not an integer", s)
		}
		return n, nil
	case millwa.BoolField:
		return s == "true", nil
	case millwa.TimeField:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, millwa.Errorf(millwa.Invalid, "page key %q is not a time", s)
		}
		return dbTime{t}, nil
	}
	return nil, millwa.Errorf(millwa.Invalid, "unknown key kind")
}

// orderBy is the ORDER BY clause of q.
func (rc *resourceColumns[T]) orderBy(dialect string, q ListQuery) (string, error) {
	var parts []string
	for _, k := range keys(q) {
		col, err := rc.orderColumn(dialect, k.Field)
		if err != nil {
			return "", err
		}
		dir := " ASC"
		if k.Desc {
			dir = " DESC"
		}
		parts = append(parts, col.expr+dir)
	}
	return " ORDER BY " + strings.Join(parts, ", "), nil
}

// page cuts the limit+1 rows a List read into a page: when there is a row
// beyond the limit, the page's Next is the sort key of its last item.
func (rc *resourceColumns[T]) page(items []T, q ListQuery, limit int) Page[T] {
	if len(items) <= limit {
		return Page[T]{Items: items}
	}
	items = items[:limit]
	last := &items[limit-1]
	ks := keys(q)
	next := make([]string, len(ks))
	for i, k := range ks {
		next[i] = rc.key(last, k.Field)
	}
	return Page[T]{Items: items, Next: next}
}

// timeKey is how a time is written in a page key.
func timeKey(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// listSQL returns the SELECT of one page: columns from the resource's table
// with q's conditions, start key and order, reading limit+1 rows.
func (rc *resourceColumns[T]) listSQL(dialect, columns string, q ListQuery, limit int) (string, []any, error) {
	where, args, err := rc.where(dialect, q)
	if err != nil {
		return "", nil, err
	}
	order, err := rc.orderBy(dialect, q)
	if err != nil {
		return "", nil, err
	}
	return fmt.Sprintf("SELECT %s FROM %s%s%s LIMIT ?", columns, rc.table, where, order), append(args, limit+1), nil
}
