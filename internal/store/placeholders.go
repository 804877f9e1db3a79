package store

import "strings"

// rowPlaceholders returns n rows of width ? placeholders each, "(?, ?), (?, ?)",
// for a multi-row VALUES list or an IN list of row values; Rebind turns
// them into the dialect's.
func rowPlaceholders(n, width int) string {
	row := "(" + strings.Repeat("?, ", width-1) + "?)"
	var b strings.Builder
	b.Grow(n * (len(row) + 2))
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}
