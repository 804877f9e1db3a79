// CSV format of "millwactl lots import" (importación de lotes)
//
// A file holds the lots of one association, one lot per row. It is UTF-8
// text (a leading byte-order mark, as spreadsheets write it, is allowed),
// fields are separated by commas, a field holding a comma, a quote or a line
// break is enclosed in double quotes ("" inside quotes is one quote), and the
// first row is a header naming the columns. Column names are English
// snake_case, in any order and any letter case; a column that is not listed
// below is an error naming it. Surrounding spaces in values are ignored.
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
// LIGHT_FAWN). Resource names must name the --association being imported.
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
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// column is one column of the import format, for the help text.
type column struct {
	name, spanish, help string
}

// lotColumns lists the columns of the format, in the order the help shows
// them. member_N, grams_N and kg_N stand for the numbered pairs.
var lotColumns = []column{
	{"lot_number", "número de lote", "optional; the association's own number on its bale stencil, at most 32 characters"},
	{"campaign", "campaña", "required; shearing season as the year it starts (2026 for Nov 2026 to Apr 2027), 2000 to next year"},
	{"standard", "norma técnica", "optional; standard id or resource name, default " + defaultStandard},
	{"breed", "raza", "required; breed code of the standard: HUACAYA or SURI"},
	{"colour", "color", "required; colour code of the standard, for example WHITE, LIGHT_FAWN, BLACK"},
	{"declared_quality_group", "grupo de calidad declarado", "required; group the classifier assigned, for example BABY, FLEECE, MEDIUM_FLEECE, HUARIZO, COARSE"},
	{"classifier", "clasificador(a)", "required; the classifier's id or associations/{association}/classifiers/{id}"},
	{"net_weight_grams", "peso neto en gramos", "net weight in whole grams; or"},
	{"net_weight_kg", "peso neto en kilogramos", "net weight in kilograms, up to 3 decimals (exactly one of the two per row)"},
	{"ask_price_per_kg", "precio de oferta por kg en céntimos", "asking price per kilogram in céntimos; or"},
	{"ask_price_pen", "precio de oferta por kg en soles", "asking price per kilogram in soles, up to 2 decimals (exactly one of the two per row)"},
	{"collection_point", "centro de acopio", "required; where the fleece was collected, 1 to 200 characters"},
	{"classification_date", "fecha de clasificación", "optional; YYYY-MM-DD, not in the future; default the day the lot is created (Peru time)"},
	{"mean_fiber_diameter_um", "diámetro medio de fibra, µm", "optional measurement, 5 to 100"},
	{"sd_um", "desviación estándar del diámetro, µm", "optional, 0 to 50; needs mean_fiber_diameter_um"},
	{"fibers_measured", "número de fibras medidas", "optional, whole number 1 to 10000000; needs mean_fiber_diameter_um"},
	{"staple_length_mm", "longitud de mecha, mm", "optional, 1 to 500; needs mean_fiber_diameter_um"},
	{"member_N", "socio(a) N", "contributions as numbered pairs member_1,grams_1,member_2,grams_2,…: a member's id or associations/{association}/members/{id}"},
	{"grams_N", "gramos aportados por el socio N", "whole grams member_N delivered; or"},
	{"kg_N", "kilogramos aportados por el socio N", "kilograms member_N delivered, up to 3 decimals (exactly one of grams_N and kg_N per filled pair)"},
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
func (e lineError) String() string {
	if e.column == "" {
		return fmt.Sprintf("%d: %s", e.line, e.msg)
	}
	if e.colIndex < 0 {
		return fmt.Sprintf("%d: column %s: %s", e.line, e.column, e.msg)
	}
	return fmt.Sprintf("%d: column %s (%s): %s", e.line, e.column, columnLetter(e.colIndex), e.msg)
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
// name, "associations/{id}"), judging dates and campaigns against now. A
// problem with the header, or CSV syntax the reader cannot get past, is
// returned as err; problems with rows are collected in the result's errs.
func parseLotsCSV(data []byte, association string, now time.Time) (*csvFile, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, errors.New("the file is not UTF-8 text: save it as \"CSV UTF-8\"")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty: it needs a header row and one row per lot")
	}
	if err != nil {
		return nil, fmt.Errorf("line 1: %w", csvSyntax(err))
	}
	lay, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	f := &csvFile{header: header}
	p := rowParser{lay: lay, header: header, association: association, now: now}
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
			f.errs = append(f.errs, lineError{line: line, msg: csvSyntax(err).Error() + "; the rest of the file was not read"})
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
func csvSyntax(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrQuote), errors.Is(pe.Err, csv.ErrBareQuote):
			return fmt.Errorf("a quote (\") out of place at character %d of line %d: a field with quotes must be enclosed in quotes, with each quote inside doubled", pe.Column, pe.Line)
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
func parseHeader(header []string) (layout, error) {
	lay := layout{index: map[string]int{}}
	var problems, unknown []string
	if len(header) == 1 && strings.Contains(header[0], ";") {
		return lay, errors.New("line 1: the header is separated by semicolons: export the sheet as CSV with commas (\"CSV UTF-8 (delimitado por comas)\")")
	}
	pairs := map[int]*pairCols{}
	for i, raw := range header {
		name := strings.ToLower(strings.TrimSpace(raw))
		if name == "" {
			continue // checked per row: an unnamed column must stay empty
		}
		if j, dup := lay.index[name]; dup {
			problems = append(problems, fmt.Sprintf("column %s repeats %q of column %s", columnLetter(i), name, columnLetter(j)))
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
		problems = append(problems, fmt.Sprintf("unknown column %s: the columns are %s, and member_N with grams_N or kg_N",
			strings.Join(unknown, ", "), strings.Join(fixedColumns, ", ")))
	}
	var missing []string
	for _, c := range requiredColumns {
		if _, ok := lay.index[c]; !ok {
			missing = append(missing, c)
		}
	}
	if !lay.has("net_weight_grams") && !lay.has("net_weight_kg") {
		missing = append(missing, "net_weight_grams or net_weight_kg")
	}
	if !lay.has("ask_price_per_kg") && !lay.has("ask_price_pen") {
		missing = append(missing, "ask_price_per_kg or ask_price_pen")
	}
	if len(pairs) == 0 {
		missing = append(missing, "member_1 with grams_1 or kg_1")
	}
	if len(missing) > 0 {
		problems = append(problems, "missing column "+strings.Join(missing, ", "))
	}
	for _, n := range sortedKeys(pairs) {
		pc := pairs[n]
		switch {
		case pc.member < 0:
			problems = append(problems, fmt.Sprintf("grams_%d or kg_%d without member_%d", n, n, n))
		case pc.grams < 0 && pc.kg < 0:
			problems = append(problems, fmt.Sprintf("member_%d without grams_%d or kg_%d", n, n, n))
		}
		lay.pairs = append(lay.pairs, *pc)
	}
	if len(problems) > 0 {
		return lay, fmt.Errorf("line 1 (header): %s", strings.Join(problems, "; "))
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

// rowParser turns data rows into lots.
type rowParser struct {
	lay         layout
	header      []string
	association string
	now         time.Time
}

// rowState collects the errors of one row.
type rowState struct {
	p    *rowParser
	rec  []string
	line int
	errs []lineError
}

// get returns the trimmed value of the named column, "" when the header
// lacks it.
func (s *rowState) get(name string) string {
	i, ok := s.p.lay.index[name]
	if !ok || i >= len(s.rec) {
		return ""
	}
	return strings.TrimSpace(s.rec[i])
}

func (s *rowState) at(i int) string {
	if i < 0 || i >= len(s.rec) {
		return ""
	}
	return strings.TrimSpace(s.rec[i])
}

// fail records a problem with the named column.
func (s *rowState) fail(name, format string, args ...any) {
	i, ok := s.p.lay.index[name]
	if !ok {
		i = -1
	}
	s.errs = append(s.errs, lineError{line: s.line, column: name, colIndex: i, msg: fmt.Sprintf(format, args...)})
}

// failAt records a problem with the column at index i.
func (s *rowState) failAt(i int, format string, args ...any) {
	name := strings.ToLower(strings.TrimSpace(s.p.header[i]))
	s.errs = append(s.errs, lineError{line: s.line, column: name, colIndex: i, msg: fmt.Sprintf(format, args...)})
}

// parse turns one data row into a lot, or reports why it cannot.
func (p *rowParser) parse(rec []string, line int) (lotRow, []lineError) {
	s := &rowState{p: p, rec: rec, line: line}
	row := lotRow{line: line}
	if len(rec) < len(p.header) {
		s.errs = append(s.errs, lineError{line: line, msg: fmt.Sprintf("has %d fields, the header has %d: a missing comma, or a line break inside an unquoted field?", len(rec), len(p.header))})
		return row, s.errs
	}
	for i := len(p.header); i < len(rec); i++ {
		if strings.TrimSpace(rec[i]) != "" {
			s.errs = append(s.errs, lineError{line: line, msg: fmt.Sprintf("has %d fields, the header has %d: an extra comma, or a comma in a field that is not quoted?", len(rec), len(p.header))})
			return row, s.errs
		}
	}
	for i, h := range p.header {
		if strings.TrimSpace(h) == "" && strings.TrimSpace(rec[i]) != "" {
			s.errs = append(s.errs, lineError{line: line, column: "(unnamed)", colIndex: i, msg: "the column has no name in the header: name it or leave it empty"})
		}
	}

	l := &millwav1.Lot{}
	l.LotNumber = s.text("lot_number", 0, maxLotNumberLen)
	if v := s.get("campaign"); v == "" {
		s.fail("campaign", "is required: the year the shearing season starts, for example %d", p.now.Year())
	} else if c, err := strconv.Atoi(v); err != nil {
		s.fail("campaign", "%q is not a year such as %d", v, p.now.Year())
	} else if c < minCampaign || c > p.now.In(peruTime).Year()+1 {
		s.fail("campaign", "%d is not a season from %d to %d", c, minCampaign, p.now.In(peruTime).Year()+1)
	} else {
		l.Campaign = int32(c)
	}
	if v := s.get("standard"); v != "" {
		id := strings.TrimPrefix(v, "standards/")
		if id == "" || strings.Contains(id, "/") {
			s.fail("standard", "%q is not a standard: give its id, for example %s", v, defaultStandard)
		} else {
			l.Standard = "standards/" + id
		}
	}
	l.Breed = s.code("breed", "a breed code such as HUACAYA or SURI")
	l.Colour = s.code("colour", "a colour code such as WHITE or LIGHT_FAWN")
	l.DeclaredQualityGroup = s.code("declared_quality_group", "a quality group code such as BABY or FLEECE")
	l.Classifier = s.resource("classifier", "classifiers", "the classifier's id or associations/{association}/classifiers/{id}")
	l.NetWeightGrams, row.cols.weight = s.amount("net_weight_grams", "net_weight_kg", "the net weight")
	if l.NetWeightGrams > maxLotGrams {
		s.fail(row.cols.weight, "is %s: a lot weighs at most %s", kg(l.NetWeightGrams), kg(maxLotGrams))
	}
	l.AskPricePerKg, row.cols.price = s.price()
	l.CollectionPoint = s.text("collection_point", 1, maxCollectionPoint)
	if v := s.get("classification_date"); v != "" {
		d, err := time.ParseInLocation(dateLayout, v, peruTime)
		switch {
		case err != nil:
			s.fail("classification_date", "%q is not a date YYYY-MM-DD", v)
		case d.After(p.now):
			s.fail("classification_date", "%s is in the future", v)
		default:
			l.ClassificationDate = v
		}
	}
	l.Measurement = s.measurement()
	row.cols.contributions = s.contributions(l)

	if len(s.errs) > 0 {
		return row, s.errs
	}
	row.lot = l
	return row, nil
}

// text reads a free-text column of min to max characters without control
// characters.
func (s *rowState) text(name string, min, max int) string {
	v := s.get(name)
	n := utf8.RuneCountInString(v)
	switch {
	case n < min:
		s.fail(name, "is required")
	case n > max:
		s.fail(name, "has %d characters, at most %d are allowed", n, max)
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		s.fail(name, "must not hold line breaks or control characters")
	default:
		return v
	}
	return ""
}

// code reads a required code of the standard: upper case, with spaces and
// hyphens as underscores. Whether the standard knows it is checked later,
// against the server.
func (s *rowState) code(name, what string) string {
	v := s.get(name)
	if v == "" {
		s.fail(name, "is required: %s", what)
		return ""
	}
	c := strings.ToUpper(strings.NewReplacer(" ", "_", "-", "_").Replace(v))
	if strings.ContainsFunc(c, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') }) {
		s.fail(name, "%q is not a code: %s", v, what)
		return ""
	}
	return c
}

// resource reads a required id or resource name of the association's
// collection and returns the resource name.
func (s *rowState) resource(name, collection, what string) string {
	return resourceName(s.get(name), s.p.association, collection, what, func(format string, args ...any) { s.fail(name, format, args...) })
}

// resourceName turns v, an id or a resource name, into the resource name of
// an item of collection in association, or reports why it cannot.
func resourceName(v, association, collection, what string, fail func(string, ...any)) string {
	if v == "" {
		fail("is required: %s", what)
		return ""
	}
	prefix := association + "/" + collection + "/"
	id := v
	if strings.HasPrefix(v, "associations/") {
		if !strings.HasPrefix(v, prefix) {
			fail("%s is not of %s", v, association)
			return ""
		}
		id = strings.TrimPrefix(v, prefix)
	}
	if id == "" || strings.ContainsAny(id, "/ \t") || strings.ContainsFunc(id, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		fail("%q is not %s", v, what)
		return ""
	}
	return prefix + id
}

// amount reads a weight given in grams (gramsCol) or kilograms (kgCol):
// exactly one of them. It returns the grams and the column used.
func (s *rowState) amount(gramsCol, kgCol, what string) (int64, string) {
	g, k := s.get(gramsCol), s.get(kgCol)
	switch {
	case g != "" && k != "":
		s.fail(kgCol, "give %s in %s or in %s, not both", what, gramsCol, kgCol)
		return 0, kgCol
	case g == "" && k == "":
		col := gramsCol
		if !s.p.lay.has(gramsCol) {
			col = kgCol
		}
		s.fail(col, "%s is required", what)
		return 0, col
	case g != "":
		n, err := parseFixed(g, 0)
		if err != nil {
			s.fail(gramsCol, "%q: %v", g, wholeError(err, kgCol))
			return 0, gramsCol
		}
		if n == 0 {
			s.fail(gramsCol, "must be more than 0 g")
		}
		return n, gramsCol
	default:
		n, err := parseFixed(k, 3)
		if err != nil {
			s.fail(kgCol, "%q: %v", k, err)
			return 0, kgCol
		}
		if n == 0 {
			s.fail(kgCol, "must be more than 0 kg")
		}
		return n, kgCol
	}
}

// price reads the asking price in céntimos or soles.
func (s *rowState) price() (int64, string) {
	c, pen := s.get("ask_price_per_kg"), s.get("ask_price_pen")
	var n int64
	var col string
	var err error
	switch {
	case c != "" && pen != "":
		s.fail("ask_price_pen", "give the price in ask_price_per_kg (céntimos) or in ask_price_pen (soles), not both")
		return 0, "ask_price_pen"
	case c == "" && pen == "":
		col = "ask_price_per_kg"
		if !s.p.lay.has(col) {
			col = "ask_price_pen"
		}
		s.fail(col, "the asking price per kilogram is required")
		return 0, col
	case c != "":
		col = "ask_price_per_kg"
		if n, err = parseFixed(c, 0); err != nil {
			s.fail(col, "%q: %v", c, wholeError(err, "ask_price_pen"))
			return 0, col
		}
	default:
		col = "ask_price_pen"
		if n, err = parseFixed(pen, 2); err != nil {
			s.fail(col, "%q: %v", pen, err)
			return 0, col
		}
	}
	if n == 0 || n > maxAskPricePerKg {
		s.fail(col, "must be from 0.01 to %d soles a kilogram", maxAskPricePerKg/100)
	}
	return n, col
}

// measurement reads the optional measurement columns.
func (s *rowState) measurement() *millwav1.FiberSample {
	m := &millwav1.FiberSample{}
	m.MeanFiberDiameterUm = s.decimal("mean_fiber_diameter_um", 5, 100)
	m.SdUm = s.decimal("sd_um", 0, 50)
	m.StapleLengthMm = s.decimal("staple_length_mm", 1, 500)
	if v := s.get("fibers_measured"); v != "" {
		n, err := parseFixed(v, 0)
		switch {
		case err != nil:
			s.fail("fibers_measured", "%q: %v", v, wholeError(err, ""))
		case n < 1 || n > maxFibersMeasured:
			s.fail("fibers_measured", "must be 1 to %d", maxFibersMeasured)
		default:
			m.FibersMeasured = &n
		}
	}
	if m.MeanFiberDiameterUm == nil {
		for _, c := range []string{"sd_um", "fibers_measured", "staple_length_mm"} {
			if s.get(c) != "" {
				s.fail(c, "needs mean_fiber_diameter_um on the same row")
			}
		}
		return nil
	}
	return m
}

// decimal reads an optional decimal column within [min, max].
func (s *rowState) decimal(name string, min, max float64) *float64 {
	v := s.get(name)
	if v == "" {
		return nil
	}
	if strings.Contains(v, ",") {
		s.fail(name, "%q: write decimals with a point, such as 22.5", v)
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		s.fail(name, "%q is not a number such as 22.5", v)
		return nil
	}
	if f < min || f > max {
		s.fail(name, "%s is outside %g to %g", v, min, max)
		return nil
	}
	return &f
}

// contributions reads the numbered pairs into l and returns the columns of
// each contribution.
func (s *rowState) contributions(l *millwav1.Lot) [][2]string {
	var cols [][2]string
	seen := map[string]int{}
	var sum int64
	sumOK := true
	for _, pc := range s.p.lay.pairs {
		memberCol := fmt.Sprintf("member_%d", pc.n)
		m, g, k := s.at(pc.member), s.at(pc.grams), s.at(pc.kg)
		if m == "" && g == "" && k == "" {
			continue
		}
		gramsCol, kgCol := fmt.Sprintf("grams_%d", pc.n), fmt.Sprintf("kg_%d", pc.n)
		if m == "" {
			s.fail(memberCol, "is empty but its amount is given: name the member")
			sumOK = false
			continue
		}
		name := resourceName(m, s.p.association, "members", "a member's id or associations/{association}/members/{id}",
			func(format string, args ...any) { s.fail(memberCol, format, args...) })
		grams, col := s.amount(gramsCol, kgCol, fmt.Sprintf("what member_%d delivered", pc.n))
		if name == "" || grams <= 0 {
			sumOK = false
			continue
		}
		if prev, dup := seen[name]; dup {
			s.fail(memberCol, "names the same member as member_%d: add their grams into one contribution", prev)
			sumOK = false
			continue
		}
		seen[name] = pc.n
		sum += grams
		l.Contributions = append(l.Contributions, &millwav1.Contribution{Member: name, Grams: grams})
		cols = append(cols, [2]string{memberCol, col})
	}
	switch {
	case len(l.Contributions) == 0 && sumOK:
		s.fail("member_1", "every lot needs at least one member's contribution")
	case len(l.Contributions) > maxContributions:
		s.fail("member_1", "has %d contributions, at most %d are allowed", len(l.Contributions), maxContributions)
	case sumOK && l.NetWeightGrams > 0 && sum != l.NetWeightGrams:
		weightCol := "net_weight_grams"
		if s.get(weightCol) == "" {
			weightCol = "net_weight_kg"
		}
		s.fail(weightCol, "is %s but the contributions sum to %s: they must be equal", kg(l.NetWeightGrams), kg(sum))
	}
	return cols
}

// errNotWhole says a whole number had decimals.
var errNotWhole = errors.New("has decimals")

// parseFixed parses a non-negative decimal with at most decimals digits
// after the point and returns it times 10^decimals, exactly.
func parseFixed(s string, decimals int) (int64, error) {
	if strings.Contains(s, ",") {
		return 0, errors.New("write decimals with a point and no thousands separators, such as 46.5")
	}
	if strings.HasPrefix(s, "-") {
		return 0, errors.New("must be positive")
	}
	whole, frac, point := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || (point && (frac == "" || !allDigits(frac))) {
		return 0, errors.New("is not a number such as 46.5")
	}
	if len(frac) > decimals {
		if decimals == 0 {
			return 0, errNotWhole
		}
		return 0, fmt.Errorf("has more than %d decimals", decimals)
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 15 {
		return 0, errors.New("is too large")
	}
	digits := whole + frac + strings.Repeat("0", decimals-len(frac))
	if digits == "" {
		return 0, nil
	}
	return strconv.ParseInt(digits, 10, 64)
}

// wholeError explains errNotWhole, pointing to the decimal column alt when
// there is one.
func wholeError(err error, alt string) error {
	if !errors.Is(err, errNotWhole) {
		return err
	}
	if alt == "" {
		return errors.New("must be a whole number")
	}
	return fmt.Errorf("must be a whole number: use %s for decimals", alt)
}

func allDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// kg formats grams as kilograms for messages, for example "46.5 kg".
func kg(grams int64) string {
	s := strconv.FormatFloat(float64(grams)/1000, 'f', 3, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + " kg"
}
