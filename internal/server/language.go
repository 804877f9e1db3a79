package server

import (
	"context"
	"strings"

	"golang.org/x/text/language"
	"google.golang.org/grpc/metadata"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/millwa"
)

// maxAcceptLanguage bounds the accept-language metadata parsed: a real
// header names a few languages, and a longer one is not worth the parse.
const maxAcceptLanguage = 256

// callLanguage is the language of a call's error messages: the first
// language of the caller's accept-language metadata (the gateway forwards
// REST's Accept-Language header there), by q-value, that Millwa speaks,
// Spanish (es, es-PE, …) or English (en, en-GB, …). Without one, an
// association's key is answered in Spanish, the language of its producers,
// and every other caller in English.
func callLanguage(ctx context.Context) millwa.Language {
	if lang, ok := acceptedLanguage(metadata.ValueFromIncomingContext(ctx, "accept-language")); ok {
		return lang
	}
	if p, ok := auth.FromContext(ctx); ok && p.Role == millwa.RoleAssociation {
		return millwa.Spanish
	}
	return millwa.English
}

// acceptedLanguage is the first language of values (accept-language
// headers, "es-PE, en;q=0.5") that Millwa speaks; ok is false when they
// name none of them or do not parse.
func acceptedLanguage(values []string) (lang millwa.Language, ok bool) {
	header := strings.Join(values, ",")
	if header == "" || len(header) > maxAcceptLanguage {
		return millwa.English, false
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil {
		return millwa.English, false
	}
	for _, tag := range tags {
		switch base, _ := tag.Base(); base.String() {
		case "es":
			return millwa.Spanish, true
		case "en":
			return millwa.English, true
		}
	}
	return millwa.English, false
}
