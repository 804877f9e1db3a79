package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// Book locks. The market is cut into books, one per currency, standard and
// market quality group: a lot belongs to one book, an order to the books of
// the groups it accepts, and a trade to its lot's book. A change that can
// allocate grams or give them back locks the books it touches, through a
// row of market_books per book (created on demand), before it locks any
// lot, order or trade, and always in one global order, sorted by
// (currency, standard, quality group), so that two such changes never wait
// for each other in a cycle:
//
//   - a new order, the cancellation or expiry of an order and a trade's
//     change lock their books exclusively (LockBooks);
//   - a clearing locks every book of its currency exclusively
//     (LockCurrencyBooks);
//   - new lots share their books (ShareBooks): lots do not compete with
//     each other for a book, but an order on the same book waits for them,
//     and they for it, so that whichever commits second reads the other's
//     row and no crossing pair is missed.
//
// On SQLite write transactions already run one at a time (BEGIN
// IMMEDIATE): the locks are not taken there and cost nothing.

// Book is one part of the market: the lots of one currency, standard and
// market quality group, and the orders that accept that group.
type Book struct {
	Currency     string `db:"currency"`
	Standard     string `db:"standard"`
	QualityGroup string `db:"quality_group"`
}

func compareBooks(a, b Book) int {
	return cmp.Or(strings.Compare(a.Currency, b.Currency), strings.Compare(a.Standard, b.Standard),
		strings.Compare(a.QualityGroup, b.QualityGroup))
}

// LotBook is the book of a lot.
func LotBook(l *millwa.Lot) Book {
	return Book{Currency: l.Currency, Standard: l.Standard, QualityGroup: l.MarketGroup}
}

// OrderBooks are the books of an order: one per quality group it accepts.
func OrderBooks(o *millwa.PurchaseOrder) []Book {
	books := make([]Book, len(o.QualityGroups))
	for i, g := range o.QualityGroups {
		books[i] = Book{Currency: o.Currency, Standard: o.Standard, QualityGroup: g}
	}
	return books
}

// sortedBooks returns books sorted in the global lock order, without
// repeats.
func sortedBooks(books []Book) []Book {
	out := slices.Clone(books)
	slices.SortFunc(out, compareBooks)
	return slices.Compact(out)
}

// LockBooks locks the books exclusively until the transaction ends,
// creating their rows when missing. The caller takes every book lock it
// needs in one call, before it locks any lot, order or trade. It is a
// no-op on SQLite.
func (tx *Tx) LockBooks(ctx context.Context, books ...Book) error {
	return tx.lockBooks(ctx, books, " FOR UPDATE")
}

// ShareBooks locks the books in share mode until the transaction ends,
// creating their rows when missing: what new lots take, so that they do
// not wait for each other but an order, a cancellation, an expiry or a
// clearing on one of those books waits for them (and they for it). The
// caller takes every book lock it needs in one call, before it locks any
// lot, order or trade. It is a no-op on SQLite.
func (tx *Tx) ShareBooks(ctx context.Context, books ...Book) error {
	return tx.lockBooks(ctx, books, " FOR SHARE")
}

func (tx *Tx) lockBooks(ctx context.Context, books []Book, mode string) error {
	if tx.dialect != DialectPostgres || len(books) == 0 {
		return nil
	}
	books = sortedBooks(books)
	n, err := tx.selectBooks(ctx, books, mode)
	if err != nil || n == len(books) {
		return err
	}
	// A missing row is inserted; until this transaction ends, the
	// uncommitted row holds off every other writer of that book as an
	// exclusive lock would (their insert waits for ours, and their
	// SELECT does not see it). A lock taken after others can deadlock
	// with a transaction creating the same books in another order; the
	// database detects it and InTx runs the loser again.
	args := make([]any, 0, 3*len(books))
	for _, b := range books {
		args = append(args, b.Currency, b.Standard, b.QualityGroup)
	}
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO market_books (currency, standard, quality_group)
		VALUES `+rowPlaceholders(len(books), 3)+` ON CONFLICT DO NOTHING`), args...); err != nil {
		return dbError(err, "creating the rows of %d books", len(books))
	}
	if n, err = tx.selectBooks(ctx, books, mode); err != nil {
		return err
	}
	if n != len(books) {
		return millwa.Errorf(millwa.Internal, "locked %d of %d books", n, len(books))
	}
	return nil
}

// selectBooks locks the rows of the sorted books that exist, in order, and
// returns how many it locked. An exclusive lock also bumps each book's
// version, which tells a new lot that shares the book in a single
// statement (ShareQuietBook) that the book changed since that statement's
// snapshot.
func (tx *Tx) selectBooks(ctx context.Context, books []Book, mode string) (int, error) {
	args := make([]any, 0, 3*len(books))
	for _, b := range books {
		args = append(args, b.Currency, b.Standard, b.QualityGroup)
	}
	sorted := `SELECT currency, standard, quality_group FROM market_books
		WHERE (currency, standard, quality_group) IN (` + rowPlaceholders(len(books), 3) + `)
		ORDER BY currency, standard, quality_group` + mode
	if mode == " FOR UPDATE" {
		return tx.bumpBooks(ctx, sorted, args, len(books))
	}
	var locked []Book
	if err := sqlx.SelectContext(ctx, tx.tx, &locked, tx.tx.Rebind(sorted), args...); err != nil {
		return 0, dbError(err, "locking %d books", len(books))
	}
	return len(locked), nil
}

// bumpBooks locks, in the order sorted (a SELECT … FOR UPDATE of their
// keys) gives, the books it selects, bumps their versions, and returns how
// many.
func (tx *Tx) bumpBooks(ctx context.Context, sorted string, args []any, what int) (int, error) {
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE market_books AS b SET version = b.version + 1
		FROM (`+sorted+`) AS l
		WHERE b.currency = l.currency AND b.standard = l.standard AND b.quality_group = l.quality_group`), args...)
	if err != nil {
		return 0, dbError(err, "locking %d books", what)
	}
	n, err := res.RowsAffected()
	return int(n), dbError(err, "locking %d books", what)
}

// ShareQuietBook is the fast path of a new lot of book b: in one statement
// it locks b in share mode and counts the live orders at time t that
// accept b's group. It reports true when the lock is held and no such
// order exists: nothing can match the lot until this transaction ends, and
// the caller is done. It reports false, having perhaps taken the lock,
// when the caller must take the ordinary path (ShareBooks, then a look at
// the orders): some order may match, the book's row does not exist yet, or
// the book changed after the statement's snapshot (an exclusive holder it
// waited for committed, so the count may be stale). On SQLite it only
// counts.
func (tx *Tx) ShareQuietBook(ctx context.Context, b Book, t time.Time) (bool, error) {
	live, args := liveOrdersWhere(BookFilter{Currency: b.Currency, Standard: b.Standard, Groups: []string{b.QualityGroup}}, t)
	if tx.dialect != DialectPostgres {
		var n int
		err := tx.tx.QueryRowxContext(ctx, tx.tx.Rebind(`SELECT COUNT(*) FROM (SELECT 1 FROM purchase_orders WHERE `+live+` LIMIT 1) AS o`), args...).Scan(&n)
		return n == 0, dbError(err, "counting the live orders of a book")
	}
	key := []any{b.Currency, b.Standard, b.QualityGroup}
	where := `currency = ? AND standard = ? AND quality_group = ?`
	var locked, seen sql.NullInt64
	var orders int
	err := tx.tx.QueryRowxContext(ctx, tx.tx.Rebind(`WITH locked AS (SELECT version FROM market_books WHERE `+where+` FOR SHARE)
		SELECT (SELECT version FROM locked), (SELECT version FROM market_books WHERE `+where+`),
			(SELECT COUNT(*) FROM (SELECT 1 FROM purchase_orders WHERE `+live+` LIMIT 1) AS o)`),
		append(append(append([]any{}, key...), key...), args...)...).Scan(&locked, &seen, &orders)
	if err != nil {
		return false, dbError(err, "sharing a book")
	}
	// Equal versions: no exclusive holder of the book committed between
	// the snapshot and the lock, so the count is the book as locked.
	return locked.Valid && seen.Valid && locked.Int64 == seen.Int64 && orders == 0, nil
}

// LockCurrencyBooks locks every book of the currency exclusively until the
// transaction ends, in the global order: what a clearing takes. A book
// created meanwhile holds only what this clearing did not read. It is a
// no-op on SQLite.
func (tx *Tx) LockCurrencyBooks(ctx context.Context, currency string) error {
	if tx.dialect != DialectPostgres {
		return nil
	}
	_, err := tx.bumpBooks(ctx, `SELECT currency, standard, quality_group FROM market_books
		WHERE currency = ? ORDER BY currency, standard, quality_group FOR UPDATE`, []any{currency}, 0)
	return err
}

// PurchaseOrderBooks returns the books of the purchase order with the
// given id, read without a lock (an order's currency, standard and groups
// never change), so that a change can lock them before the order; none
// when there is no such order.
func (tx *Tx) PurchaseOrderBooks(ctx context.Context, id string) ([]Book, error) {
	key, ok := canonicalID(id)
	if !ok {
		return nil, nil
	}
	var rows []purchaseOrderRow
	err := sqlx.SelectContext(ctx, tx.tx, &rows, tx.tx.Rebind(`SELECT `+purchaseOrderColumns+` FROM purchase_orders WHERE id = ?`), key)
	if err != nil || len(rows) == 0 {
		return nil, dbError(err, "reading the books of purchase order %s", id)
	}
	o := rows[0].purchaseOrder(now())
	return OrderBooks(&o), nil
}

// TradeBooks returns the book of the trade with the given id, read without
// a lock (a trade's lot never changes), so that a change can lock it
// before the trade; none when there is no such trade.
func (tx *Tx) TradeBooks(ctx context.Context, id string) ([]Book, error) {
	key, ok := canonicalID(id)
	if !ok {
		return nil, nil
	}
	var books []Book
	err := sqlx.SelectContext(ctx, tx.tx, &books, tx.tx.Rebind(`SELECT currency, standard, quality_group FROM trades WHERE id = ?`), key)
	return books, dbError(err, "reading the book of trade %s", id)
}
