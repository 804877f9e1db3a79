package millwa

import (
	"fmt"
	"unicode/utf8"
)

// ForbiddenControl returns the first control character of s that no
// string input may hold, and its byte offset: U+0000, which PostgreSQL's
// text cannot store, and every other C0 or C1 control character but tab,
// line feed and carriage return, which have no meaning in a name, a note or
// a query. ok is false when s holds none.
func ForbiddenControl(s string) (r rune, offset int, ok bool) {
	for i, c := range s {
		if isForbiddenControl(c) {
			return c, i, true
		}
	}
	return 0, 0, false
}

func isForbiddenControl(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	}
	return false
}

// ControlMessage is the violation message for a string holding the control
// character r at byte offset i, as ForbiddenControl found it.
func ControlMessage(r rune, i int) string {
	if r == 0 {
		return fmt.Sprintf("holds a NUL character (U+0000) at byte %d: remove it; no text may contain NUL", i)
	}
	return fmt.Sprintf("holds the control character U+%04X at byte %d: remove it; only tab, line feed and carriage return are allowed", r, i)
}

// CheckText records a violation of field when s is not valid UTF-8 or
// holds a control character that ForbiddenControl forbids.
func CheckText(vs *Violations, field, s string) {
	if !utf8.ValidString(s) {
		vs.Add(field, "is not valid UTF-8: send text encoded as UTF-8")
		return
	}
	if r, i, ok := ForbiddenControl(s); ok {
		vs.Add(field, "%s", ControlMessage(r, i))
	}
}
