package main

// This file reads one data row of the import format (described in csv.go)
// into a lot: each column's value checked, with an error that names the
// line and the column.

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// rowParser turns data rows into lots.
type rowParser struct {
	lay         layout
	header      []string
	association string
	now         time.Time
	lang        language
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

// fail records a problem with the named column (its English name), named
// as the header names it.
func (s *rowState) fail(name, format string, args ...any) {
	i, ok := s.p.lay.index[name]
	if !ok {
		i = -1
	} else {
		name = strings.ToLower(strings.TrimSpace(s.p.header[i]))
	}
	s.errs = append(s.errs, lineError{line: s.line, column: name, colIndex: i, msg: s.p.lang.sprintf(format, args...)})
}

// lineFail records a problem with the whole line.
func (s *rowState) lineFail(format string, args ...any) {
	s.errs = append(s.errs, lineError{line: s.line, msg: s.p.lang.sprintf(format, args...)})
}

// parse turns one data row into a lot, or reports why it cannot.
func (p *rowParser) parse(rec []string, line int) (lotRow, []lineError) {
	s := &rowState{p: p, rec: rec, line: line}
	row := lotRow{line: line}
	if len(rec) < len(p.header) {
		s.lineFail("has %d fields, the header has %d: a missing comma, or a line break inside an unquoted field?", len(rec), len(p.header))
		return row, s.errs
	}
	for i := len(p.header); i < len(rec); i++ {
		if strings.TrimSpace(rec[i]) != "" {
			s.lineFail("has %d fields, the header has %d: an extra comma, or a comma in a field that is not quoted?", len(rec), len(p.header))
			return row, s.errs
		}
	}
	for i, h := range p.header {
		if strings.TrimSpace(h) == "" && strings.TrimSpace(rec[i]) != "" {
			s.errs = append(s.errs, lineError{line: line, column: p.lang.sprintf("(unnamed)"), colIndex: i, msg: p.lang.sprintf("the column has no name in the header: name it or leave it empty")})
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
	tr := p.lang.sprintf
	l.Breed = s.code("breed", tr("a breed code such as HUACAYA or SURI"))
	l.Colour = s.code("colour", tr("a colour code or name such as WHITE, LIGHT_FAWN or Blanco"))
	l.DeclaredQualityGroup = s.code("declared_quality_group", tr("a quality group code or name such as BABY, FLEECE or Gruesa"))
	l.Classifier = s.resource("classifier", "classifiers", tr("the classifier's DNI, id or associations/{association}/classifiers/{id}"))
	l.NetWeightGrams, row.cols.weight = s.amount("net_weight_grams", "net_weight_kg", tr("the net weight"))
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

// code reads a required code of the standard, or one of its names, as
// codeKey writes it: upper case without accents, with underscores between
// words ("Café claro" is CAFE_CLARO). Whether the standard knows it, and
// which code a Spanish or English name stands for, is settled later
// against the server (resolveCodes).
func (s *rowState) code(name, what string) string {
	v := s.get(name)
	if v == "" {
		s.fail(name, "is required: %s", what)
		return ""
	}
	if strings.ContainsFunc(v, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" _-().", r))
	}) || codeKey(v) == "" {
		s.fail(name, "%q is not a code: %s", v, what)
		return ""
	}
	return codeKey(v)
}

// resource reads a required id or resource name of the association's
// collection and returns the resource name.
func (s *rowState) resource(name, collection, what string) string {
	return resourceName(s.get(name), s.p.association, collection, what, func(format string, args ...any) { s.fail(name, format, args...) })
}

// resourceName turns v, an id, a DNI or a resource name, into the resource
// name of an item of collection in association, or reports why it cannot.
// A DNI (8 digits) stands in the id's place until resolveDNIs puts the id
// of the person with that DNI there.
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
			s.fail(gramsCol, "%q: %v", g, wholeError(s.p.lang, err, kgCol))
			return 0, gramsCol
		}
		if n == 0 {
			s.fail(gramsCol, "must be more than 0 g")
		}
		return n, gramsCol
	default:
		n, err := parseFixed(k, 3)
		if err != nil {
			s.fail(kgCol, "%q: %v", k, s.p.lang.format(err.Error()))
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
			s.fail(col, "%q: %v", c, wholeError(s.p.lang, err, "ask_price_pen"))
			return 0, col
		}
	default:
		col = "ask_price_pen"
		if n, err = parseFixed(pen, 2); err != nil {
			s.fail(col, "%q: %v", pen, s.p.lang.format(err.Error()))
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
			s.fail("fibers_measured", "%q: %v", v, wholeError(s.p.lang, err, ""))
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
		name := resourceName(m, s.p.association, "members", s.p.lang.sprintf("a member's DNI, id or associations/{association}/members/{id}"),
			func(format string, args ...any) { s.fail(memberCol, format, args...) })
		grams, col := s.amount(gramsCol, kgCol, s.p.lang.sprintf("what member_%d delivered", pc.n))
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

// errTooManyDecimals says a number had more decimals than its column takes,
// by the number it takes.
var errTooManyDecimals = map[int]error{
	1: errors.New("has more than 1 decimal"),
	2: errors.New("has more than 2 decimals"),
	3: errors.New("has more than 3 decimals"),
}

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
		if e, ok := errTooManyDecimals[decimals]; ok {
			return 0, e
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

// wholeError explains errNotWhole in l, pointing to the decimal column alt
// when there is one; any other error of parseFixed it gives in l.
func wholeError(l language, err error, alt string) string {
	if !errors.Is(err, errNotWhole) {
		return l.format(err.Error())
	}
	if alt == "" {
		return l.sprintf("must be a whole number")
	}
	return l.sprintf("must be a whole number: use %s for decimals", alt)
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
