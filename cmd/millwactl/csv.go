// CSV format of "millwactl lots import" (importación de lotes)
//
// A file holds the lots of one association, one lot per row. It is UTF-8
// text (a leading byte-order mark, as spreadsheets write it, is allowed),
// fields are separated by commas, a field holding a comma, a quote or a line
// break is enclosed in double quotes ("" inside quotes is one quote), and the
// first row is a header naming the columns. Column names are English
// snake_case or their Spanish names (the table of spanishColumns, in
// csvnames.go: numero_lote, campana, norma, raza, color, grupo,
// clasificador, peso_neto_g, peso_neto_kg, precio_centimos, precio_soles,
// centro_acopio, fecha_clasificacion, diametro_um, de_um, fibras_medidas,
// longitud_mecha_mm, and socio_N, gramos_N, kg_N), in any order, any letter
// case, with or without accents; a column that is not listed is an error
// naming it. Surrounding spaces in values are ignored.
// Rows whose every field is empty are skipped. Decimals are written with a
// point ("46.5", never "46,5") and numbers without thousands separators.
//
// Columns (Spanish meaning in brackets):
//
//	lot_number              [número de lote] optional; the association's own
//	                        number on its bale stencil, at most 32 characters
//	campaign                [campaña] required; the shearing season, as the
//	                        year it starts (2026 for November 2026 to April
//	                        2027), 2000 to next year
//	standard                [norma técnica] optional; a standard id or
//	                        resource name, default pe-ntp-231-301-2014
//	breed                   [raza] required; a breed code of the standard:
//	                        HUACAYA or SURI
//	colour                  [color] required; a colour code of the standard,
//	                        for example WHITE, LIGHT_FAWN, BLACK
//	declared_quality_group  [grupo de calidad declarado] required; the quality
//	                        group the classifier assigned, for example BABY,
//	                        FLEECE, MEDIUM_FLEECE, HUARIZO, COARSE
//	classifier              [clasificador(a)] required; the classifier's id,
//	                        or its resource name
//	                        associations/{association}/classifiers/{id}
//	net_weight_grams        [peso neto, gramos] net weight in whole grams
//	net_weight_kg           [peso neto, kilogramos] or in kilograms with up to
//	                        3 decimals; each row gives exactly one of the two
//	ask_price_per_kg        [precio de oferta por kg, céntimos] asking price
//	                        per kilogram in céntimos (minor units of PEN)
//	ask_price_pen           [precio de oferta por kg, soles] or in soles with
//	                        up to 2 decimals; each row gives exactly one
//	collection_point        [centro de acopio] required; where the fleece was
//	                        collected, 1 to 200 characters
//	classification_date     [fecha de clasificación] optional; YYYY-MM-DD,
//	                        not in the future; default the day the server
//	                        creates the lot (Peru time)
//	mean_fiber_diameter_um  [diámetro medio de fibra, µm] optional
//	                        measurement, 5 to 100
//	sd_um                   [desviación estándar del diámetro, µm] optional,
//	                        0 to 50; needs mean_fiber_diameter_um
//	fibers_measured         [número de fibras medidas] optional, whole number
//	                        1 to 10000000; needs mean_fiber_diameter_um
//	staple_length_mm        [longitud de mecha, mm] optional, 1 to 500;
//	                        needs mean_fiber_diameter_um
//	member_1, grams_1, …    [socio(a) N, gramos aportados] the contributions,
//	                        as numbered pairs: member_N is a member's id or
//	                        resource name associations/{association}/members/{id}
//	kg_1, …                 [kilogramos aportados] and grams_N (whole grams) or
//	                        kg_N (up to 3 decimals) what that member delivered
//
// Each row needs at least one contribution, each member at most once, and
// the contributions must sum exactly to the net weight. A row may leave
// trailing pairs empty, so rows with different numbers of contributors fit
// one header. Codes (breed, colour, quality group) may be written in any
// letter case, with spaces or hyphens for underscores ("light fawn" is
// LIGHT_FAWN); a colour or quality group may also be named by the
// standard's Spanish or English name or abbreviation ("Blanco", "Beige
// claro", "LF", "Gruesa", "Alpaca Corta"), accents and case aside. Members
// and classifiers may be named by DNI (8 digits), looked up among the
// association's once per import. Resource names must name the
// --association being imported.
//
// Example:
//
//	lot_number,campaign,breed,colour,declared_quality_group,classifier,net_weight_kg,ask_price_pen,collection_point,member_1,kg_1,member_2,kg_2
//	L-001,2026,HUACAYA,WHITE,BABY,0192f0c4-…,46,22.50,Centro de acopio Ichu,0192f0c5-…,30,0192f0c6-…,16
//
// Re-running an import (after an interruption, a lost connection or a kill)
// never creates a lot twice, provided the file is not changed in between and
// --batch is the same: each batch's request_id is derived from the SHA-256 of
// the file's bytes and the line numbers the batch spans. Do not edit a file
// that was partly imported to fix or add rows: put those rows in a new file.

package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// column is one column of the import format, for the help text: its
// English name, its meaning in Spanish, and what it holds in English and in
// Spanish. Its Spanish name, accepted in the header beside the English, is
// in spanishColumns.
type column struct {
	name, spanish, help, helpES string
}

// lotColumns lists the columns of the format, in the order the help shows
// them. member_N, grams_N and kg_N stand for the numbered pairs.
var lotColumns = []column{
	{"lot_number", "número de lote", "optional; the association's own number on its bale stencil, at most 32 characters",
		"opcional; el número de la asociación en el estarcido del fardo, hasta 32 caracteres"},
	{"campaign", "campaña", "required; shearing season as the year it starts (2026 for Nov 2026 to Apr 2027), 2000 to next year",
		"obligatoria; la campaña de esquila como el año en que empieza (2026 de nov. 2026 a abr. 2027), de 2000 al año próximo"},
	{"standard", "norma técnica", "optional; standard id or resource name, default " + defaultStandard,
		"opcional; id o nombre de recurso de la norma, por defecto " + defaultStandard},
	{"breed", "raza", "required; breed code of the standard: HUACAYA or SURI",
		"obligatoria; código de raza de la norma: HUACAYA o SURI"},
	{"colour", "color", "required; colour code or name of the standard, in Spanish or English, for example WHITE, Blanco, LIGHT_FAWN, Beige claro, LF",
		"obligatorio; código o nombre del color en la norma, en castellano o inglés, por ejemplo Blanco, WHITE, Beige claro, LIGHT_FAWN, LF"},
	{"declared_quality_group", "grupo de calidad declarado", "required; group the classifier assigned, code or name, for example BABY, FLEECE, MEDIUM_FLEECE, HUARIZO, COARSE (Gruesa), SHORT (Corta)",
		"obligatorio; grupo que asignó el clasificador, código o nombre, por ejemplo Baby, Fleece, Medium Fleece, Huarizo, Gruesa (COARSE), Corta (SHORT)"},
	{"classifier", "clasificador(a)", "required; the classifier's DNI (8 digits), id or associations/{association}/classifiers/{id}",
		"obligatorio; el DNI del clasificador (8 dígitos), su id o associations/{association}/classifiers/{id}"},
	{"net_weight_grams", "peso neto en gramos", "net weight in whole grams; or",
		"peso neto en gramos enteros; o"},
	{"net_weight_kg", "peso neto en kilogramos", "net weight in kilograms, up to 3 decimals (exactly one of the two per row)",
		"peso neto en kilogramos, hasta 3 decimales (exactamente uno de los dos por fila)"},
	{"ask_price_per_kg", "precio de oferta por kg en céntimos", "asking price per kilogram in céntimos; or",
		"precio de oferta por kilogramo en céntimos; o"},
	{"ask_price_pen", "precio de oferta por kg en soles", "asking price per kilogram in soles, up to 2 decimals (exactly one of the two per row)",
		"precio de oferta por kilogramo en soles, hasta 2 decimales (exactamente uno de los dos por fila)"},
	{"collection_point", "centro de acopio", "required; where the fleece was collected, 1 to 200 characters",
		"obligatorio; dónde se acopió la fibra, de 1 a 200 caracteres"},
	{"classification_date", "fecha de clasificación", "optional; YYYY-MM-DD, not in the future; default the day the lot is created (Peru time)",
		"opcional; AAAA-MM-DD, no futura; por defecto el día en que se crea el lote (hora del Perú)"},
	{"mean_fiber_diameter_um", "diámetro medio de fibra, µm", "optional measurement, 5 to 100",
		"medición opcional, de 5 a 100"},
	{"sd_um", "desviación estándar del diámetro, µm", "optional, 0 to 50; needs mean_fiber_diameter_um",
		"opcional, de 0 a 50; requiere diametro_um"},
	{"fibers_measured", "número de fibras medidas", "optional, whole number 1 to 10000000; needs mean_fiber_diameter_um",
		"opcional, número entero de 1 a 10000000; requiere diametro_um"},
	{"staple_length_mm", "longitud de mecha, mm", "optional, 1 to 500; needs mean_fiber_diameter_um",
		"opcional, de 1 a 500; requiere diametro_um"},
	{"member_N", "socio(a) N", "contributions as numbered pairs member_1,grams_1,member_2,grams_2,…: a member's DNI (8 digits), id or associations/{association}/members/{id}",
		"aportes en pares numerados socio_1,gramos_1,socio_2,gramos_2,…: el DNI del socio (8 dígitos), su id o associations/{association}/members/{id}"},
	{"grams_N", "gramos aportados por el socio N", "whole grams member_N delivered; or",
		"gramos enteros que entregó el socio N; o"},
	{"kg_N", "kilogramos aportados por el socio N", "kilograms member_N delivered, up to 3 decimals (exactly one of grams_N and kg_N per filled pair)",
		"kilogramos que entregó el socio N, hasta 3 decimales (exactamente uno de gramos_N y kg_N por par lleno)"},
}

// defaultStandard is the standard of a row that names none.
const defaultStandard = "pe-ntp-231-301-2014"

// Limits checked before sending. Where the API's documentation and the
// server disagree, the stricter applies, so that a row that passes here is
// not refused there.
const (
	minCampaign        = 2000
	maxLotGrams        = 50_000_000 // the server's limit (the proto says 100 t)
	maxContributions   = 500        // the server's limit (the proto says 1,000)
	maxAskPricePerKg   = 10_000_000 // the server's limit (the proto says 100,000,000)
	maxLotNumberLen    = 32         // the proto's limit (the server takes 64)
	maxCollectionPoint = 200
	maxFibersMeasured  = 10_000_000
	dateLayout         = "2006-01-02"
)

// peruTime is the zone in which classification dates are read (no DST).
var peruTime = time.FixedZone("PET", -5*60*60)

// lineError is a problem with one line of the file: a field (column
// non-empty, colIndex its 0-based position) or the whole line.
type lineError struct {
	line     int
	column   string
	colIndex int
	msg      string
}

// String formats the error as "LINE: column NAME (LETTER): message", the
// file name being added by the caller.
func (e lineError) String() string { return e.text(english) }

// text is String in l (the message itself is already in l).
func (e lineError) text(l language) string {
	if e.column == "" {
		return fmt.Sprintf("%d: %s", e.line, e.msg)
	}
	if e.colIndex < 0 {
		return l.sprintf("%d: column %s: %s", e.line, e.column, e.msg)
	}
	return l.sprintf("%d: column %s (%s): %s", e.line, e.column, columnLetter(e.colIndex), e.msg)
}

// columnLetter is the spreadsheet name of the 0-based column i: A, …, Z,
// AA, ….
func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// lotRow is one data row of the file. lot is nil when the row is bad.
type lotRow struct {
	line int
	lot  *millwav1.Lot
	// cols says which column each field of lot came from, to name the
	// column of an error the server reports.
	cols rowColumns
}

// rowColumns names the columns a row's fields came from where the format
// offers a choice or a repetition.
type rowColumns struct {
	weight, price string
	// contributions[i] are the member and amount columns of
	// lot.contributions[i].
	contributions [][2]string
}

// csvFile is a parsed import file.
type csvFile struct {
	header []string
	// rows are the data rows in file order, good and bad.
	rows []lotRow
	// errs are the problems found, in line order.
	errs []lineError
}

// badLines returns the set of lines that have an error.
func (f *csvFile) badLines() map[int]bool {
	bad := map[int]bool{}
	for _, e := range f.errs {
		bad[e.line] = true
	}
	return bad
}

// pairCols are the columns of contribution N.
type pairCols struct {
	n                 int
	member, grams, kg int // column indexes, -1 when absent
}

// layout is what the header says: where each column is.
type layout struct {
	index map[string]int
	pairs []pairCols
}

// parseLotsCSV parses an import file for the association (its resource
// name, "associations/{id}"), judging dates and campaigns against now, with
// messages in English. A problem with the header, or CSV syntax the reader
// cannot get past, is returned as err; problems with rows are collected in
// the result's errs.
func parseLotsCSV(data []byte, association string, now time.Time) (*csvFile, error) {
	return parseLotsCSVIn(english, data, association, now)
}

// parseLotsCSVIn is parseLotsCSV with messages in l.
func parseLotsCSVIn(l language, data []byte, association string, now time.Time) (*csvFile, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, l.errorf("the file is not UTF-8 text: save it as \"CSV UTF-8\"")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, l.errorf("the file is empty: it needs a header row and one row per lot")
	}
	if err != nil {
		return nil, l.errorf("line 1: %w", csvSyntax(l, err))
	}
	lay, err := parseHeader(l, header)
	if err != nil {
		return nil, err
	}
	f := &csvFile{header: header}
	p := rowParser{lay: lay, header: header, association: association, now: now, lang: l}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			f.errs = append(f.errs, lineError{line: line, msg: l.sprintf("%v; the rest of the file was not read", csvSyntax(l, err))})
			break
		}
		line, _ := r.FieldPos(0)
		if allBlank(rec) {
			continue
		}
		row, errs := p.parse(rec, line)
		f.rows = append(f.rows, row)
		f.errs = append(f.errs, errs...)
	}
	return f, nil
}

// csvSyntax rewords a CSV reader error for people.
func csvSyntax(l language, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrQuote), errors.Is(pe.Err, csv.ErrBareQuote):
			return l.errorf("a quote (\") out of place at character %d of line %d: a field with quotes must be enclosed in quotes, with each quote inside doubled", pe.Column, pe.Line)
		}
		return pe.Err
	}
	return err
}

func allBlank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// fixedColumns are the columns other than the numbered pairs.
var fixedColumns = []string{
	"lot_number", "campaign", "standard", "breed", "colour", "declared_quality_group", "classifier",
	"net_weight_grams", "net_weight_kg", "ask_price_per_kg", "ask_price_pen", "collection_point",
	"classification_date", "mean_fiber_diameter_um", "sd_um", "fibers_measured", "staple_length_mm",
}

// requiredColumns must be in every header.
var requiredColumns = []string{"campaign", "breed", "colour", "declared_quality_group", "classifier", "collection_point"}

// parseHeader reads the header row, reporting every problem at once.
// Column names are English or Spanish (spanishColumns); the layout names
// them in English.
func parseHeader(l language, header []string) (layout, error) {
	lay := layout{index: map[string]int{}}
	var problems, unknown []string
	if len(header) == 1 && strings.Contains(header[0], ";") {
		return lay, l.errorf("line 1: the header is separated by semicolons: export the sheet as CSV with commas (\"CSV UTF-8 (delimitado por comas)\")")
	}
	pairs := map[int]*pairCols{}
	for i, raw := range header {
		if strings.TrimSpace(raw) == "" {
			continue // checked per row: an unnamed column must stay empty
		}
		name := canonicalColumn(raw)
		if j, dup := lay.index[name]; dup {
			problems = append(problems, l.sprintf("column %s repeats %q of column %s", columnLetter(i), name, columnLetter(j)))
			continue
		}
		lay.index[name] = i
		if slices.Contains(fixedColumns, name) {
			continue
		}
		kind, num, ok := strings.Cut(name, "_")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 1 || strconv.Itoa(n) != num || (kind != "member" && kind != "grams" && kind != "kg") {
			unknown = append(unknown, fmt.Sprintf("%q (%s)", raw, columnLetter(i)))
			continue
		}
		pc := pairs[n]
		if pc == nil {
			pc = &pairCols{n: n, member: -1, grams: -1, kg: -1}
			pairs[n] = pc
		}
		switch kind {
		case "member":
			pc.member = i
		case "grams":
			pc.grams = i
		case "kg":
			pc.kg = i
		}
	}
	if len(unknown) > 0 {
		problems = append(problems, l.sprintf("unknown column %s: the columns are %s, and member_N with grams_N or kg_N, or their Spanish names (see --help)",
			strings.Join(unknown, ", "), strings.Join(fixedColumns, ", ")))
	}
	var missing []string
	for _, c := range requiredColumns {
		if _, ok := lay.index[c]; !ok {
			missing = append(missing, c)
		}
	}
	if !lay.has("net_weight_grams") && !lay.has("net_weight_kg") {
		missing = append(missing, l.sprintf("%s or %s", "net_weight_grams", "net_weight_kg"))
	}
	if !lay.has("ask_price_per_kg") && !lay.has("ask_price_pen") {
		missing = append(missing, l.sprintf("%s or %s", "ask_price_per_kg", "ask_price_pen"))
	}
	if len(pairs) == 0 {
		missing = append(missing, l.sprintf("member_1 with grams_1 or kg_1"))
	}
	if len(missing) > 0 {
		problems = append(problems, l.sprintf("missing column %s", strings.Join(missing, ", ")))
	}
	for _, n := range sortedKeys(pairs) {
		pc := pairs[n]
		switch {
		case pc.member < 0:
			problems = append(problems, l.sprintf("grams_%d or kg_%d without member_%d", n, n, n))
		case pc.grams < 0 && pc.kg < 0:
			problems = append(problems, l.sprintf("member_%d without grams_%d or kg_%d", n, n, n))
		}
		lay.pairs = append(lay.pairs, *pc)
	}
	if len(problems) > 0 {
		return lay, l.errorf("line 1 (header): %s", strings.Join(problems, "; "))
	}
	return lay, nil
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (l layout) has(name string) bool {
	_, ok := l.index[name]
	return ok
}
