package store

import (
	"database/sql/driver"
	"fmt"
	"strings"

	"modernc.org/sqlite"

	"github.com/millwa/millwa/internal/millwa"
)

// Text search (millwa.ParseSearch) compares a row's texts folded as
// millwa.Fold folds the searched words. SQLite calls millwa.Fold itself,
// registered as the function millwa_fold on every connection; PostgreSQL
// folds with translate() and the same table (millwa.FoldFrom, FoldTo), so
// that both find the same rows. Neither needs a stored copy of the folded
// text, which every change of a name would have to keep in step.

// sqliteFoldFunction is the name of millwa.Fold in SQLite's SQL.
const sqliteFoldFunction = "millwa_fold"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(sqliteFoldFunction, 1,
		func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			switch v := args[0].(type) {
			case nil:
				return nil, nil
			case string:
				return millwa.Fold(v), nil
			case []byte:
				return millwa.Fold(string(v)), nil
			default:
				return millwa.Fold(fmt.Sprint(v)), nil
			}
		})
}

// foldSQL is the SQL of expr folded for search, in the dialect.
func foldSQL(dialect, expr string) string {
	if dialect == DialectPostgres {
		return "translate(" + expr + ", '" + millwa.FoldFrom + "', '" + millwa.FoldTo + "')"
	}
	return sqliteFoldFunction + "(" + expr + ")"
}

// matchSQL is the condition that the folded text of expr holds a search
// word, bound to one placeholder (see searchPattern).
func matchSQL(dialect, expr string) string {
	return foldSQL(dialect, expr) + ` LIKE ? ESCAPE '\'`
}

// searchPattern is the LIKE pattern of a folded search word: the word
// anywhere in the text.
func searchPattern(word string) string {
	return "%" + escapeLike(word) + "%"
}

// searchSQL is the condition that a row matches every word of q's search,
// with its arguments: "" when q has none, Invalid when rc cannot be
// searched.
func (rc *resourceColumns) searchSQL(dialect string, q ListQuery) (string, []any, error) {
	if len(q.Search) == 0 {
		return "", nil, nil
	}
	if rc.search == nil {
		return "", nil, millwa.Errorf(millwa.Invalid, "%s cannot be searched by text", rc.from)
	}
	cond := rc.search(dialect)
	n := strings.Count(cond, "?")
	var parts []string
	var args []any
	for _, w := range q.Search {
		parts = append(parts, "("+cond+")")
		for range n {
			args = append(args, searchPattern(w))
		}
	}
	return strings.Join(parts, " AND "), args, nil
}

// memberSearch matches a member by name or DNI.
func memberSearch(dialect string) string {
	return matchSQL(dialect, "full_name || ' ' || dni")
}

// lotNumberSearch matches a lot by its number only: what a processor, who
// never sees the members of a lot, may search by.
func lotNumberSearch(dialect string) string {
	return matchSQL(dialect, "lot_number")
}

// lotSearch matches a lot by its number, or by the name or DNI of a member
// who contributed to it.
func lotSearch(dialect string) string {
	return lotNumberSearch(dialect) + ` OR id IN (SELECT c.lot_id FROM lot_contributions c
		JOIN members m ON m.id = c.member_id WHERE ` + matchSQL(dialect, "m.full_name || ' ' || m.dni") + `)`
}
