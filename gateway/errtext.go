package gateway

import (
	"net/http"
	"regexp"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/millwa/millwa/internal/millwa"
)

// The server answers in the caller's language and says which in a
// google.rpc.LocalizedMessage. The gateway's own answers (an unknown
// route, a body too large or not JSON, an unknown query parameter, a bad
// date) are written in English where they arise, and localize renders them
// in the language the request's Accept-Language asks for, English when it
// asks for none the gateway has: the gateway answers before any key is
// read, so it cannot default to Spanish for associations as the server
// does.

// gatewayES is the Spanish of the gateway's messages, keyed by their
// English format; a value has the same verbs in the same order. A message
// is matched against each format whole, and the text each verb stands for
// is itself translated when it is one of these messages.
var gatewayES = map[string]string{
	"method %s is not allowed on %s: see /openapi.json for the methods each path takes":    "el método %s no está permitido en %s: vea en /openapi.json los métodos de cada ruta",
	"no REST route for %s %s: see /openapi.json for the paths of the API":                  "no hay ruta REST para %s %s: vea en /openapi.json las rutas de la API",
	"request body of %d bytes is over the limit of %d bytes: send fewer items per request": "el cuerpo de la solicitud, de %d bytes, supera el límite de %d bytes: envíe menos elementos por solicitud",
	"request body is over the limit of %d bytes: send fewer items per request":             "el cuerpo de la solicitud supera el límite de %d bytes: envíe menos elementos por solicitud",
	"reading request body: %s":                                               "leyendo el cuerpo de la solicitud: %s",
	"request body field %q: %s":                                              "campo %q del cuerpo de la solicitud: %s",
	"request body: %s":                                                       "cuerpo de la solicitud: %s",
	"not JSON at byte offset %d (%v): send one JSON object":                  "no es JSON en el byte %d (%v): envíe un objeto JSON",
	"the JSON ends before its value is complete: send one whole JSON object": "el JSON termina antes de completar su valor: envíe un objeto JSON completo",
	"unexpected data after the JSON value: send one JSON object":             "hay datos después del valor JSON: envíe un solo objeto JSON",
	"unknown query parameters %s: remove them, or see /openapi.json for the parameters of this route":    "parámetros de consulta desconocidos %s: quítelos, o vea en /openapi.json los parámetros de esta ruta",
	"is not a query parameter of this route: remove it, or see /openapi.json for the route's parameters": "no es un parámetro de consulta de esta ruta: quítelo, o vea en /openapi.json los parámetros de la ruta",
	"eventTypes: %q is not a market event type such as TRADE_MATCHED":                                    "eventTypes: %q no es un tipo de evento del mercado, como TRADE_MATCHED",
	"invalid request: check %s":                            "solicitud no válida: revise %s",
	"the request has invalid fields: %s: %s":               "la solicitud tiene campos no válidos: %s: %s",
	"request_id: %s":                                       "request_id: %s",
	"the query names two request ids, %q and %q: send one": "la consulta nombra dos request ids, %q y %q: envíe uno",
	"the query's requestId %q differs from the body's %q: send the id once, or the same id in both": "el requestId de la consulta, %q, difiere del del cuerpo, %q: envíe el id una vez, o el mismo id en ambos",
	"%q is not " + timeFormatsEN: "%q no es " + timeFormatsES,
	"access_token takes a session token from POST /v1/sessionTokens, never an API key: if you sent a key in a URL, revoke it, and send keys only as the header Authorization: Bearer <key>": "access_token lleva un token de sesión de POST /v1/sessionTokens, nunca una clave de API: si envió una clave en una URL, revóquela, y envíe las claves solo en la cabecera Authorization: Bearer <clave>",
	"send either the header Authorization or the query parameter access_token, not both":                                                                                                    "envíe la cabecera Authorization o el parámetro de consulta access_token, no ambos",
	"matches more than %d lots: narrow it (by lot_number, state or create_time) and print the rest in another batch":                                                                        "coincide con más de %d lotes: acótelo (por lot_number, state o create_time) e imprima el resto en otro lote de etiquetas",
	"no lot of %s that has a label matches the filter %q: check the filter with ListLots":                                                                                                   "ningún lote de %s con rótulo coincide con el filtro %q: revise el filtro con ListLots",
	"%q is not a lot of %s: give lot ids or names such as %s/lots/{lot}, and print another association's lots from its own path":                                                            "%q no es un lote de %s: dé ids o nombres de lotes como %s/lots/{lot}, e imprima los lotes de otra asociación desde su propia ruta",
	"give the lots to print: names=… (lot ids or names, comma-separated or repeated, at most %d) or filter=… (as ListLots takes it)":                                                        "indique los lotes que imprimir: names=… (ids o nombres de lotes, separados por comas o repetidos, como máximo %d) o filter=… (como lo toma ListLots)",
	"give the lots either by names or by filter, not both":                                                                                                                                  "indique los lotes por names o por filter, no por ambos",
	"at most %d lots per batch, got %d: print them in several batches":                                                                                                                      "como máximo %d lotes por impresión, se recibieron %d: imprímalos en varias tandas",
	"internal error: %s": "error interno: %s",
	"lang %q is not one of es (Spanish, the default) or en (English)": "lang %q no es es (español, el predeterminado) ni en (inglés)",
	"unit %q is not one of kg (the default), lb or quintal":           "unit %q no es kg (el predeterminado), lb ni quintal",
}

// timeFormatsEN and timeFormatsES say what a time bound may be; the
// English is report.TimeFormats, which a test keeps equal.
const (
	timeFormatsEN = "an RFC 3339 time such as 2026-01-01T00:00:00Z, or a date such as 2026-01-01, " +
		"meaning the start of that day in Peru (America/Lima, 05:00 UTC)"
	timeFormatsES = "una hora RFC 3339 como 2026-01-01T00:00:00Z, ni una fecha como 2026-01-01, " +
		"que significa el inicio de ese día en el Perú (America/Lima, 05:00 UTC)"
)

// gatewayFormat is one entry of gatewayES compiled: the English format as
// a pattern whose groups are its verbs, and the Spanish split at its verbs.
type gatewayFormat struct {
	pattern *regexp.Regexp
	es      []string // literal text around the verbs: len = verbs + 1
}

// formatVerb matches the verbs the gateway's messages use.
var formatVerb = regexp.MustCompile(`%[sdqv]`)

var gatewayFormats = compileFormats(gatewayES)

func compileFormats(catalogue map[string]string) []gatewayFormat {
	out := make([]gatewayFormat, 0, len(catalogue))
	for en, es := range catalogue {
		parts := formatVerb.Split(en, -1)
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		out = append(out, gatewayFormat{
			pattern: regexp.MustCompile(`^` + strings.Join(parts, `(.*?)`) + `$`),
			es:      formatVerb.Split(es, -1),
		})
	}
	return out
}

// spanish is msg in Spanish, and whether the catalogue had it.
func spanish(msg string, depth int) (string, bool) {
	for _, f := range gatewayFormats {
		m := f.pattern.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		var b strings.Builder
		for i, lit := range f.es {
			b.WriteString(lit)
			if i+1 < len(f.es) {
				arg := m[i+1]
				if depth > 0 {
					if t, ok := spanish(arg, depth-1); ok {
						arg = t
					}
				}
				b.WriteString(arg)
			}
		}
		return b.String(), true
	}
	return msg, false
}

// wantsSpanish reports whether r's Accept-Language prefers Spanish to
// English (by q-value; languages the gateway lacks are passed over).
func wantsSpanish(r *http.Request) bool {
	if r == nil {
		return false
	}
	lang, ok := millwa.PreferredLanguage(r.Header.Get("Accept-Language"))
	return ok && lang == millwa.Spanish
}

// localize returns st with its message in the language r asks for and a
// LocalizedMessage saying which, when st is the gateway's own (the
// server's answers carry a LocalizedMessage already and are returned as
// they are). Field violations are translated too.
func localize(r *http.Request, st *status.Status) *status.Status {
	p := st.Proto()
	for _, d := range p.GetDetails() {
		if d.MessageIs((*errdetails.LocalizedMessage)(nil)) {
			return st
		}
	}
	msg, locale := p.GetMessage(), "en"
	if wantsSpanish(r) {
		if t, ok := spanish(msg, 1); ok {
			msg, locale = t, "es-PE"
			p.Message = t
			for i, d := range p.GetDetails() {
				var br errdetails.BadRequest
				if !d.MessageIs(&br) || d.UnmarshalTo(&br) != nil {
					continue
				}
				for _, v := range br.GetFieldViolations() {
					if t, ok := spanish(v.GetDescription(), 1); ok {
						v.Description = t
					}
				}
				if a, err := anypb.New(&br); err == nil {
					p.Details[i] = a
				}
			}
		}
	}
	if a, err := anypb.New(&errdetails.LocalizedMessage{Locale: locale, Message: msg}); err == nil {
		p.Details = append(p.Details, a)
	}
	return status.FromProto(p)
}
