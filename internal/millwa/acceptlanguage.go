package millwa

import (
	"strconv"
	"strings"
)

// maxAcceptLanguage bounds the Accept-Language header parsed: a real one
// names a few languages, and a longer one is not worth the parse.
const maxAcceptLanguage = 256

// LanguageByTag is the language of a BCP 47 tag such as "es", "es-PE" or
// "en-GB" (its primary subtag, in any case); ok is false for a language
// Millwa does not speak.
func LanguageByTag(tag string) (lang Language, ok bool) {
	primary, _, _ := strings.Cut(strings.TrimSpace(tag), "-")
	switch strings.ToLower(primary) {
	case "es":
		return Spanish, true
	case "en":
		return English, true
	}
	return English, false
}

// PreferredLanguage is the language of the two Millwa speaks that an
// Accept-Language header ("es-PE, en;q=0.5") prefers: the one of the
// highest quality, the first listed on a tie; a quality of 0, or one that
// does not parse, refuses the language. ok is false when the header names
// neither (or is longer than a real one), and each caller then falls back
// to its own default.
func PreferredLanguage(header string) (lang Language, ok bool) {
	if len(header) > maxAcceptLanguage {
		return English, false
	}
	bestQ := 0.0
	for item := range strings.SplitSeq(header, ",") {
		tag, params, _ := strings.Cut(item, ";")
		l, known := LanguageByTag(tag)
		if !known {
			continue
		}
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			if v, found := strings.CutPrefix(strings.TrimSpace(p), "q="); found {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f >= 0 && f <= 1 {
					q = f
				} else {
					q = 0
				}
			}
		}
		if q > bestQ {
			lang, bestQ, ok = l, q, true
		}
	}
	return lang, ok
}
