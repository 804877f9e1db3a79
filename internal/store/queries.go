package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// queries is the read side of the store, written once and embedded in both
// Store and Tx, so that every read method works outside a transaction (on
// Store, reading the latest committed state) and inside one (on Tx, seeing
// the transaction's own writes) alike.
type queries struct {
	// db is *sqlx.DB outside a transaction, *sqlx.Tx inside one.
	db      querier
	dialect string
	// forUpdate ends the SELECT of a Get whose row a change follows (a
	// lot, a purchase order, a trade), so that the row stays locked until
	// the transaction ends: " FOR UPDATE" in a PostgreSQL transaction;
	// nothing outside a transaction, nor on SQLite, where BEGIN IMMEDIATE
	// already holds the database's write lock.
	forUpdate string
	// stmts keeps the hot statements of db's pool prepared, on SQLite;
	// nil on PostgreSQL, whose driver caches statements itself.
	stmts *stmtCache
}

// querier is what a query needs: *sqlx.DB outside a transaction, *sqlx.Tx
// inside one.
type querier interface {
	sqlx.ExtContext
}

var (
	_ querier = (*sqlx.DB)(nil)
	_ querier = (*sqlx.Tx)(nil)
)

// Dialect returns DialectSQLite or DialectPostgres.
func (qs queries) Dialect() string { return qs.dialect }

// rowSource is where the rows of one resource are read from.
type rowSource struct {
	// noun is what errors call one row: "lot", "purchase order".
	noun string
	// from is the table, or a join.
	from string
	// selectList is the SELECT list.
	selectList string
	// idExpr is the id column; "id" when empty.
	idExpr string
}

// getRow reads the row of src whose id is id, if it is visible, locked
// when lock is set (see queries.forUpdate). It returns NotFound ("NOUN ID
// not found") when id is not an id, or names no row, or a row the caller
// may not see: the three are indistinguishable.
func getRow[Row any](ctx context.Context, qs queries, src *rowSource, visible scope, id string, lock bool) (Row, error) {
	var row Row
	// Made only when needed: every read formatted it, found or not, which
	// showed in the profile of CreateLot.
	notFound := func() error { return millwa.Errorf(millwa.NotFound, "%s %s not found", millwa.Noun(src.noun), id) }
	key, ok := canonicalID(id)
	if !ok {
		return row, notFound()
	}
	idColumn, suffix := src.idExpr, ""
	if idColumn == "" {
		idColumn = "id"
	}
	if lock {
		suffix = qs.forUpdate
	}
	query := `SELECT ` + src.selectList + ` FROM ` + src.from + ` WHERE ` + idColumn + ` = ? AND (` + visible.sql + `)` + suffix
	err := qs.get(ctx, &row, qs.db.Rebind(query), append([]any{key}, visible.args...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return row, notFound()
	}
	if err != nil {
		return row, dbError(err, "reading %s %s", src.noun, id)
	}
	return row, nil
}

// getOne is getRow converted to the domain type.
func getOne[Row, T any](ctx context.Context, qs queries, src *rowSource, visible scope, id string, convert func(*Row) T) (T, error) {
	row, err := getRow[Row](ctx, qs, src, visible, id, false)
	if err != nil {
		var zero T
		return zero, err
	}
	return convert(&row), nil
}

// listSQLKey is the context key of a func(query string, args []any) that
// listPage hands each page's SELECT, as the database receives it, before
// running it: how the store's tests EXPLAIN the exact query of a List.
type listSQLKey struct{}

// listPage reads one page of a resource's rows, as rc and lq say, among
// those visible, and converts each row to the domain type. When there is a
// row beyond the limit, the page's Next is the sort key of its last item.
func listPage[Row, T any](ctx context.Context, qs queries, rc *resourceColumns, visible scope, lq ListQuery, convert func(*Row) T) (Page[T], error) {
	limit, err := listLimit(lq.Limit)
	if err != nil {
		return Page[T]{}, err
	}
	query, args, err := rc.listSQL(qs.dialect, visible, lq, limit)
	if err != nil {
		return Page[T]{}, err
	}
	keyFields, err := rc.keyFields(reflect.TypeFor[Row](), lq)
	if err != nil {
		return Page[T]{}, err
	}
	query = qs.db.Rebind(query)
	if seen, ok := ctx.Value(listSQLKey{}).(func(string, []any)); ok {
		seen(query, args)
	}
	var rows []Row
	if err := sqlx.SelectContext(ctx, qs.db, &rows, query, args...); err != nil {
		return Page[T]{}, dbError(err, "listing %s", rc.from)
	}
	var page Page[T]
	if len(rows) > limit {
		rows = rows[:limit]
		page.Next = pageKey(&rows[limit-1], keyFields)
	}
	page.Items = make([]T, len(rows))
	for i := range rows {
		page.Items[i] = convert(&rows[i])
	}
	return page, nil
}

// children is how the rows of a child table fill a field of their
// parents, read for a page of parents in one query.
type children[T, Row any] struct {
	// what names the rows in an error: "reading WHAT".
	what string
	// query selects the rows of the parents whose ids replace its %s, an
	// IN list, in the order add is to see them.
	query string
	// id is a parent's id, or "" for a parent whose children are not read.
	id func(*T) string
	// parent is the id of a row's parent.
	parent func(*Row) string
	// add adds a row to its parent.
	add func(*T, *Row)
}

// load fills the children of items.
func (c *children[T, Row]) load(ctx context.Context, q querier, items []T) error {
	var ids []any
	index := map[string]int{}
	for i := range items {
		if id := c.id(&items[i]); id != "" {
			ids = append(ids, id)
			index[id] = i
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var rows []Row
	if err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(fmt.Sprintf(c.query, placeholders(len(ids)))), ids...); err != nil {
		return dbError(err, "reading %s", c.what)
	}
	for i := range rows {
		c.add(&items[index[c.parent(&rows[i])]], &rows[i])
	}
	return nil
}

// List limits shared by every List method.
const (
	// DefaultListLimit is the number of rows a List returns when its
	// filter's Limit is 0.
	DefaultListLimit = 50
	// MaxListLimit is the largest Limit a List accepts: above the API's
	// largest page (500) plus the one extra row a service asks for to
	// learn whether another page follows.
	MaxListLimit = 1000
)

// listLimit returns the number of rows a page of a List with the given
// Limit holds, or Invalid.
func listLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultListLimit, nil
	case limit < 0 || limit > MaxListLimit:
		return 0, millwa.Errorf(millwa.Invalid, "limit must be between 1 and %d, got %d", MaxListLimit, limit)
	}
	return limit, nil
}

// canonicalID returns id as the store keeps ids: a lower-case canonical
// UUID. ok is false when id is not a UUID, and so names no stored row.
func canonicalID(id string) (canonical string, ok bool) {
	u, err := uuid.Parse(id)
	if err != nil || len(id) != 36 {
		return "", false
	}
	return u.String(), true
}

// newID returns a new UUIDv7: ids sort by creation time, so that keyset
// pages in id order stay stable while rows are inserted.
func newID() (string, error) {
	u, err := uuid.NewV7()
	if err != nil {
		return "", millwa.Wrap(millwa.Internal, err, "internal error")
	}
	return u.String(), nil
}

// NewID returns a new UUIDv7 for an id the store does not assign itself
// (a clearing run's).
func NewID() (string, error) { return newID() }
