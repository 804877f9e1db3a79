package main

// This file holds the Spanish side of the import format: the Spanish
// column names accepted beside the English ones, and the matching of the
// standard's Spanish (and English) colour and quality-group names to their
// codes.

import (
	"strconv"
	"strings"
	"unicode"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// spanishColumns maps each Spanish column name to the English one it
// stands for. Names are compared after foldName, so "Campaña", "campana"
// and "CAMPAÑA" are one name, and "peso neto kg" is peso_neto_kg. The
// numbered pairs are socio_N, gramos_N and kg_N.
var spanishColumns = map[string]string{
	"numero_lote":         "lot_number",
	"campana":             "campaign",
	"norma":               "standard",
	"raza":                "breed",
	"color":               "colour",
	"grupo":               "declared_quality_group",
	"clasificador":        "classifier",
	"peso_neto_g":         "net_weight_grams",
	"peso_neto_kg":        "net_weight_kg",
	"precio_centimos":     "ask_price_per_kg",
	"precio_soles":        "ask_price_pen",
	"centro_acopio":       "collection_point",
	"fecha_clasificacion": "classification_date",
	"diametro_um":         "mean_fiber_diameter_um",
	"de_um":               "sd_um",
	"fibras_medidas":      "fibers_measured",
	"longitud_mecha_mm":   "staple_length_mm",
}

// spanishPairs maps the Spanish kinds of the numbered pairs to the English.
var spanishPairs = map[string]string{"socio": "member", "gramos": "grams"}

// spanishColumnName is the Spanish name of an English column, for the
// help; "" when it has none.
func spanishColumnName(english string) string {
	for es, en := range spanishColumns {
		if en == english {
			return es
		}
	}
	switch english {
	case "member_N":
		return "socio_N"
	case "grams_N":
		return "gramos_N"
	}
	return ""
}

// foldName lowercases s, drops the accents of Spanish letters (ñ becomes
// n) and writes spaces and hyphens as underscores.
func foldName(s string) string {
	return strings.Map(func(r rune) rune {
		switch r = unicode.ToLower(r); r {
		case 'á', 'à', 'ä':
			return 'a'
		case 'é', 'è', 'ë':
			return 'e'
		case 'í', 'ì', 'ï':
			return 'i'
		case 'ó', 'ò', 'ö':
			return 'o'
		case 'ú', 'ù', 'ü':
			return 'u'
		case 'ñ':
			return 'n'
		case ' ', '-':
			return '_'
		}
		return r
	}, strings.TrimSpace(s))
}

// canonicalColumn is the English name of a header cell, Spanish or
// English: "Peso neto kg" is net_weight_kg, "socio_2" member_2. A name
// that is neither comes back folded, for the caller to report.
func canonicalColumn(raw string) string {
	name := foldName(raw)
	if en, ok := spanishColumns[name]; ok {
		return en
	}
	if kind, num, ok := strings.Cut(name, "_"); ok {
		if en, ok := spanishPairs[kind]; ok {
			return en + "_" + num
		}
	}
	return name
}

// columnAt is the header's own name of the column whose English name is
// name, lower case, and its position; name and -1 when the header lacks it.
func columnAt(header []string, name string) (string, int) {
	for i, h := range header {
		if canonicalColumn(h) == name {
			return strings.ToLower(strings.TrimSpace(h)), i
		}
	}
	return name, -1
}

// codeKey is how codes and names are compared: upper case without accents,
// a parenthesised remark dropped, and every run of other characters one
// underscore. "light fawn", "Light-Fawn" and LIGHT_FAWN are one key;
// "Café claro" is CAFE_CLARO; "Pintado (mezcla de colores)" is PINTADO.
func codeKey(s string) string {
	if i := strings.IndexByte(s, '('); i > 0 {
		s = s[:i]
	}
	var b strings.Builder
	pending := false
	for _, r := range foldName(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if pending && b.Len() > 0 {
				b.WriteByte('_')
			}
			pending = false
			b.WriteRune(unicode.ToUpper(r))
			continue
		}
		pending = true
	}
	return b.String()
}

// codeNames maps every way a file may name a code of the standard to the
// code: the code itself, its abbreviation, and its Spanish and English
// names, with and without the word "Alpaca" ("Gruesa", "Alpaca Gruesa" and
// "Coarse" are COARSE). A name two codes share is left out.
func codeNames[T any](items []T, code func(T) string, name func(T) *millwav1.LocalizedText, abbreviation func(T) string) map[string]string {
	out := map[string]string{}
	ambiguous := map[string]bool{}
	add := func(key, c string) {
		if key == "" || ambiguous[key] {
			return
		}
		if prev, ok := out[key]; ok && prev != c {
			delete(out, key)
			ambiguous[key] = true
			return
		}
		out[key] = c
	}
	for _, it := range items {
		c := code(it)
		add(c, c)
		if abbreviation != nil {
			add(codeKey(abbreviation(it)), c)
		}
		for _, n := range []string{name(it).GetEs(), name(it).GetEn()} {
			k := codeKey(n)
			add(k, c)
			add(strings.TrimSuffix(strings.TrimPrefix(k, "ALPACA_"), "_ALPACA"), c)
		}
	}
	// A code always means itself, whatever a name of another code says.
	for _, it := range items {
		out[code(it)] = code(it)
	}
	return out
}

// isDNI reports whether v is a Peruvian DNI: 8 digits.
func isDNI(v string) bool {
	if len(v) != 8 {
		return false
	}
	_, err := strconv.ParseUint(v, 10, 32)
	return err == nil
}
