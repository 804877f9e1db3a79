package millwa

import (
	"slices"
	"strings"
)

// ParseName splits a resource name such as "associations/{a}/lots/{l}" into
// its ids, checking that the collections are the given ones, in order, and
// that each id is a UUID as the server assigns them. field names the request
// field for the error, which is Invalid and shows the expected pattern.
func ParseName(field, name string, collections ...string) ([]string, error) {
	parts := strings.Split(name, "/")
	ok := len(parts) == 2*len(collections)
	ids := make([]string, 0, len(collections))
	for i := 0; ok && i < len(collections); i++ {
		ok = parts[2*i] == collections[i] && IsID(parts[2*i+1])
		ids = append(ids, parts[2*i+1])
	}
	if !ok {
		var vs Violations
		vs.Add(field, "must be a resource name of the form %s, got %q", namePattern(collections), truncate(name, 200))
		return nil, vs.Err()
	}
	return ids, nil
}

func namePattern(collections []string) string {
	var b strings.Builder
	for i, c := range collections {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(c)
		b.WriteString("/{id}")
	}
	return b.String()
}

// IsID reports whether s is a UUID in canonical lower-case form.
func IsID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// parseEnum returns the value of values that name spells, written with or
// without the API enum's prefix and in any case ("OPEN",
// "PURCHASE_ORDER_STATE_FILLED", "expired"); ok is false for anything
// else, the UNSPECIFIED value included.
func parseEnum[T ~string](name, prefix string, values ...T) (v T, ok bool) {
	v = T(strings.TrimPrefix(strings.ToUpper(name), prefix))
	if slices.Contains(values, v) {
		return v, true
	}
	return "", false
}
