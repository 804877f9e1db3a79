package millwa

import (
	"fmt"
	"strings"
)

// Language is a language Millwa speaks to people: its error messages and
// field violations are written in English and translated through a
// catalogue keyed by the English format string (messages_es.go).
type Language int

// Languages.
const (
	// English is the language every message is written in.
	English Language = iota
	// Spanish is the language of Peru's producers and associations.
	Spanish
)

// Locale is the BCP 47 tag of l as a google.rpc.LocalizedMessage names it:
// "en" or "es-PE".
func (l Language) Locale() string {
	if l == Spanish {
		return "es-PE"
	}
	return "en"
}

// Noun is a word of Millwa's vocabulary ("lot", "purchase order") passed
// as an argument of a message, which Translate translates with the message
// (wordsES); any other argument is the caller's data and stays as it is.
type Noun string

// Translate renders format with args in lang. A format the catalogue lacks
// is rendered in English, so a message is never lost for want of a
// translation.
func Translate(lang Language, format string, args ...any) string {
	if lang == Spanish {
		if es, ok := messagesES[format]; ok {
			format = es
			args = spanishNouns(args)
		}
	}
	if len(args) == 0 && !strings.Contains(format, "%") {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// HasTranslation reports whether the catalogue has format in lang.
func HasTranslation(lang Language, format string) bool {
	if lang == English {
		return true
	}
	_, ok := messagesES[format]
	return ok
}

// formatVerbs returns the verbs of a format string in order ("%s", "%d",
// "%q", with their flags), leaving out "%%": a translation must use the
// same verbs in the same order as its English format.
func formatVerbs(format string) []string {
	var verbs []string
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("+-# 0123456789.*[]", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			break
		}
		if format[j] != '%' {
			verbs = append(verbs, format[i:j+1])
		}
		i = j
	}
	return verbs
}

// Localized is a message argument written in both languages, such as a
// grade's explanation: it prints in English and Translate gives its
// Spanish.
type Localized struct{ ES, EN string }

// String is the English.
func (l Localized) String() string { return l.EN }

// spanishNouns returns args with every Noun and Localized in Spanish.
func spanishNouns(args []any) []any {
	out := args
	for i, a := range args {
		if l, ok := a.(Localized); ok {
			if &out[0] == &args[0] {
				out = append([]any(nil), args...)
			}
			out[i] = l.ES
			continue
		}
		n, ok := a.(Noun)
		if !ok {
			continue
		}
		if es, ok := wordsES[n]; ok {
			if &out[0] == &args[0] {
				out = append([]any(nil), args...)
			}
			out[i] = es
		}
	}
	return out
}
