package store

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/jmoiron/sqlx/reflectx"

	"github.com/millwa/millwa/internal/millwa"
)

// ListQuery and Page are the domain's: a List method of the store takes a
// millwa.ListQuery and returns a millwa.Page.
type (
	ListQuery   = millwa.ListQuery
	Page[T any] = millwa.Page[T]
)

// column is how a filterable or orderable field of a resource is stored.
type column struct {
	expr string
	kind millwa.FieldKind
	// prefix makes = and != on a string mean "starts with" and "does not
	// start with" (ubigeo region codes).
	prefix bool
	// wildcard makes = and != on a string a prefix match when the value
	// ends in "*" (the text before the star), and an exact one otherwise
	// (resource names: "associations/0190…/*").
	wildcard bool
}

// uuidID is the implicit key of a resource whose resourceColumns.idColumn
// is unset: the UUIDv7 column "id", whose page keys must be UUIDs.
var uuidID = column{expr: "id", kind: millwa.StringField}

// resourceColumns describes one listable resource: where its rows are read
// from, its columns by field name and its implicit key. A field can be
// ordered by when its column is one of the row's (see keyFields).
type resourceColumns struct {
	rowSource
	columns map[string]column
	// idColumn is the resource's implicit last sort key, named "id" in
	// keys: a column unique per row, so that every order is total. The zero
	// value is uuidID. A resource numbered otherwise (audit events by their
	// int sequence) names its column and kind here.
	idColumn column
	// search, when set, is the condition that a row matches one search
	// word, in the dialect, with ? placeholders that are all bound to the
	// word's pattern (see searchSQL). A resource without it cannot be
	// searched.
	search func(dialect string) string
}

// id returns the column of the implicit key and whether it is uuidID.
func (rc *resourceColumns) id() (col column, isUUID bool) {
	if rc.idColumn.expr == "" {
		return uuidID, true
	}
	return rc.idColumn, false
}

// where returns the SQL condition of q's conditions and its start key, with
// ? placeholders and their arguments, or Invalid for a field or key the
// resource does not have.
func (rc *resourceColumns) where(dialect string, q ListQuery) (string, []any, error) {
	var parts []string
	var args []any
	for _, c := range q.Conditions {
		col, ok := rc.columns[c.Field]
		if !ok || col.kind == 0 {
			return "", nil, millwa.Errorf(millwa.Invalid, "%s cannot be filtered on %s", rc.from, c.Field)
		}
		sql, arg, err := conditionSQL(col, c)
		if err != nil {
			return "", nil, err
		}
		parts = append(parts, sql)
		args = append(args, arg)
	}
	if sql, searchArgs, err := rc.searchSQL(dialect, q); err != nil {
		return "", nil, err
	} else if sql != "" {
		parts = append(parts, sql)
		args = append(args, searchArgs...)
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
		if col.wildcard && (c.Op == millwa.OpEq || c.Op == millwa.OpNe) {
			if stem, ok := strings.CutSuffix(c.Str, "*"); ok {
				col.prefix = true
				c.Str = stem
			}
		}
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

// keys returns the sort keys of q: its order, then the id, unless the order
// already holds the id's column (an audit event's "sequence"), which makes
// it total by itself.
func (rc *resourceColumns) keys(q ListQuery) []millwa.OrderTerm {
	ks := append([]millwa.OrderTerm(nil), q.Order...)
	id, _ := rc.id()
	for _, k := range q.Order {
		if k.Field == "id" || rc.columns[k.Field].expr == id.expr {
			return ks
		}
	}
	return append(ks, millwa.OrderTerm{Field: "id"})
}

// afterSQL is the keyset condition "sort key after q.After". When every
// key goes the same way it is one row comparison, (k1, k2, …) > (v1, v2,
// …) or < for descending keys, which a btree index on (k1, k2, …) serves
// as a range scan; with mixed directions it is the expanded form
// k1 >= v1 AND ((k1 > v1) OR (k1 = v1 AND k2 > v2) OR …), with < and <=
// for descending keys, whose first bound starts an index scan.
// Both select the same rows: page keys never hold NULL, and a NULL column
// makes either form unknown.
func (rc *resourceColumns) afterSQL(dialect string, q ListQuery) (string, []any, error) {
	ks := rc.keys(q)
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
		if _, isUUID := rc.id(); k.Field == "id" && isUUID {
			id, ok := canonicalID(q.After[i])
			if !ok {
				return "", nil, millwa.Errorf(millwa.Invalid, "page key %q does not end with an id", q.After[i])
			}
			values[i] = id
		} else if values[i], err = keyValue(col.kind, q.After[i]); err != nil {
			return "", nil, err
		}
	}
	if sameDirection(ks) {
		cmp := " > "
		if ks[0].Desc {
			cmp = " < "
		}
		if len(ks) == 1 {
			return exprs[0] + cmp + "?", values, nil
		}
		return "(" + strings.Join(exprs, ", ") + ")" + cmp + placeholders(len(ks)), values, nil
	}
	// The bound on the first key, which every disjunct implies, is what an
	// index on the keys can start its scan at.
	bound := " >= ?"
	if ks[0].Desc {
		bound = " <= ?"
	}
	var ors []string
	args := []any{values[0]}
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
	return "(" + exprs[0] + bound + " AND (" + strings.Join(ors, " OR ") + "))", args, nil
}

// sameDirection reports whether the keys all ascend or all descend.
func sameDirection(ks []millwa.OrderTerm) bool {
	for _, k := range ks[1:] {
		if k.Desc != ks[0].Desc {
			return false
		}
	}
	return true
}

// orderColumn is the column of a sort field as ORDER BY and the keyset
// condition compare it. Strings sort by byte order on both databases
// (COLLATE "C" on PostgreSQL), so that both list alike.
func (rc *resourceColumns) orderColumn(dialect, field string) (column, error) {
	col, err := rc.sortColumn(field)
	if err != nil {
		return column{}, err
	}
	if _, isUUID := rc.id(); field == "id" && isUUID {
		return col, nil // a UUID column has no collation to choose
	}
	if col.kind == millwa.StringField && dialect == "postgres" {
		col.expr += ` COLLATE "C"`
	}
	return col, nil
}

// sortColumn is the column of a sort field, or Invalid.
func (rc *resourceColumns) sortColumn(field string) (column, error) {
	if field == "id" {
		id, _ := rc.id()
		return id, nil
	}
	col, ok := rc.columns[field]
	if !ok {
		return column{}, millwa.Errorf(millwa.Invalid, "%s cannot be ordered by %s", rc.from, field)
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
func (rc *resourceColumns) orderBy(dialect string, q ListQuery) (string, error) {
	var parts []string
	for _, k := range rc.keys(q) {
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

// keyFields returns, for each sort key of q, the field of Row that holds
// its column: a page's next key is the last row's values of them, as the
// database holds what the keyset condition of the next page compares. A
// field whose column is not one of Row's plain values (a subquery, a
// nullable string) cannot be ordered by: no key could carry it.
func (rc *resourceColumns) keyFields(row reflect.Type, q ListQuery) ([][]int, error) {
	fields := rowMapper.TypeMap(row)
	var out [][]int
	for _, k := range rc.keys(q) {
		col, err := rc.sortColumn(k.Field)
		if err != nil {
			return nil, err
		}
		f := fields.GetByPath(col.expr)
		if f == nil || !keyable(f.Field.Type) {
			return nil, millwa.Errorf(millwa.Invalid, "%s cannot be ordered by %s", rc.from, k.Field)
		}
		out = append(out, f.Index)
	}
	return out, nil
}

// rowMapper finds a row's fields by column name as sqlx scans them.
var rowMapper = reflectx.NewMapperFunc("db", sqlx.NameMapper)

var (
	dbTimeType     = reflect.TypeFor[dbTime]()
	dbNullTimeType = reflect.TypeFor[dbNullTime]()
)

// keyable reports whether a value of type t can be written in a page key
// the way keyValue reads it back.
func keyable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int32, reflect.Int64:
		return true
	}
	return t == dbTimeType || t == dbNullTimeType
}

// pageKey returns the page key of row: its values of the fields, as
// keyFields found them.
func pageKey(row any, fields [][]int) []string {
	key := make([]string, len(fields))
	for i, f := range fields {
		v := reflectx.FieldByIndexesReadOnly(reflect.ValueOf(row), f)
		switch t := v.Interface().(type) {
		case dbTime:
			key[i] = timeKey(t.Time)
		case dbNullTime:
			key[i] = timeKey(t.Time)
		default:
			key[i] = fmt.Sprint(v.Interface())
		}
	}
	return key
}

// timeKey is how a time is written in a page key.
func timeKey(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// listSQL returns the SELECT of one page: the resource's columns
// with the caller's scope, q's conditions, start key and order, reading
// limit+1 rows.
func (rc *resourceColumns) listSQL(dialect string, visible scope, q ListQuery, limit int) (string, []any, error) {
	where, args, err := rc.where(dialect, q)
	if err != nil {
		return "", nil, err
	}
	if where == "" {
		where = " WHERE (" + visible.sql + ")"
	} else {
		where += " AND (" + visible.sql + ")"
	}
	args = append(args, visible.args...)
	order, err := rc.orderBy(dialect, q)
	if err != nil {
		return "", nil, err
	}
	return fmt.Sprintf("SELECT %s FROM %s%s%s LIMIT ?", rc.selectList, rc.from, where, order), append(args, limit+1), nil
}
