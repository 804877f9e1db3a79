// Package observatory renders the public price observatory for people and
// open-data portals: the price series as CSV and the index and series as
// SVG charts drawn on the server, in Spanish first or in English.
package observatory

import (
	"strconv"
	"strings"
	"time"

	"github.com/millwa/millwa/internal/millwa"
)

// Language is a language the charts and the CSV's notes are written in.
type Language struct {
	code    string
	decimal string
	months  [12]string
	text    words
}

// words is every word of the charts and the CSV's notes in one language.
// Fields named …F are fmt formats.
type words struct {
	IndexTitle, IndexDescF, IndexAxis, IndexLegend string
	SeriesTitle, SeriesDescF, PriceAxisF           string
	FarmGate, Intermediary, NoData                 string
	Units                                          map[string]string
	LicenceLabel, RuleLabel                        string
}

var spanish = &Language{
	code: "es", decimal: ",",
	months: [12]string{"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"},
	text: words{
		IndexTitle:   "Indicador Alpaca (índice semanal de precios de fibra clasificada)",
		IndexDescF:   "Índice de Laspeyres encadenado en %s, año base %d, 100 en la primera semana con precios; %d semanas.",
		IndexAxis:    "Índice",
		IndexLegend:  "Indicador Alpaca",
		SeriesTitle:  "Precios semanales de fibra de alpaca (promedio ponderado por volumen)",
		SeriesDescF:  "Precio promedio ponderado por volumen en %s por %s, por región, grupo de calidad y color; los precios relevados son encuestas, no ventas.",
		PriceAxisF:   "%s por %s",
		FarmGate:     "relevado en chacra (encuesta, no venta)",
		Intermediary: "relevado a intermediarios (encuesta, no venta)",
		NoData:       "Sin datos publicados en este periodo",
		Units:        map[string]string{"kg": "kg", "lb": "libra", "quintal": "quintal"},
		LicenceLabel: "Licencia",
		RuleLabel:    "Regla de confidencialidad",
	},
}

var english = &Language{
	code: "en", decimal: ".",
	months: [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	text: words{
		IndexTitle:   "Indicador Alpaca (weekly price index of classed fibre)",
		IndexDescF:   "Chained Laspeyres index in %s, base year %d, 100 in the first week with prices; %d weeks.",
		IndexAxis:    "Index",
		IndexLegend:  "Indicador Alpaca",
		SeriesTitle:  "Weekly alpaca-fibre prices (volume-weighted average)",
		SeriesDescF:  "Volume-weighted average price in %s per %s, by region, quality group and colour; surveyed prices are surveys, not trades.",
		PriceAxisF:   "%s per %s",
		FarmGate:     "surveyed at the farm gate (survey, not trade)",
		Intermediary: "surveyed from intermediaries (survey, not trade)",
		NoData:       "No published data in this period",
		Units:        map[string]string{"kg": "kg", "lb": "pound", "quintal": "quintal"},
		LicenceLabel: "Licence",
		RuleLabel:    "Confidentiality rule",
	},
}

// Code is the language's BCP 47 tag, "es" or "en".
func (l *Language) Code() string { return l.code }

// LangByTag returns the language of a tag such as "es", "en-GB"; ok is
// false for any other, with Spanish.
func LangByTag(tag string) (l *Language, ok bool) {
	lang, ok := millwa.LanguageByTag(tag)
	if !ok {
		return spanish, false
	}
	return of(lang), true
}

// LangFromAcceptLanguage picks the language an Accept-Language header
// prefers of the two (millwa.PreferredLanguage), Spanish when it names
// neither.
func LangFromAcceptLanguage(header string) *Language {
	if lang, ok := millwa.PreferredLanguage(header); ok {
		return of(lang)
	}
	return spanish
}

// of is the observatory's texts in lang.
func of(lang millwa.Language) *Language {
	if lang == millwa.English {
		return english
	}
	return spanish
}

// fixed writes v with d decimals and the language's decimal separator.
func (l *Language) fixed(v float64, d int) string {
	return strings.Replace(strconv.FormatFloat(v, 'f', d, 64), ".", l.decimal, 1)
}

// date writes a day in Peru as "17 nov 2025".
func (l *Language) date(t time.Time) string {
	t = t.In(peru)
	return strconv.Itoa(t.Day()) + " " + l.months[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// peru is Peru's time zone, UTC-5 all year.
var peru = time.FixedZone("PET", -5*60*60)
