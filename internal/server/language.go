package server

import (
	"context"
	"strings"

	"google.golang.org/grpc/metadata"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/millwa"
)

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

// acceptedLanguage is the language of values (accept-language headers,
// "es-PE, en;q=0.5") that Millwa speaks and they prefer; ok is false when
// they name none of them.
func acceptedLanguage(values []string) (lang millwa.Language, ok bool) {
	return millwa.PreferredLanguage(strings.Join(values, ","))
}
