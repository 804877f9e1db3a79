// Package label renders the bale label (rotulado, NTP 231.370) of a lot as
// SVG and as an A6 PDF: every text in Spanish first and English second, and
// a QR code of the lot's resource name. It works on plain Go values and
// does no I/O, so that the gateway, the CLI or a batch job can print the
// same label from the same data.
//
// SVG and PDF share one layout: lines are measured with the metrics of the
// PDF's core font (Helvetica, whose widths Arial shares), wrapped to the
// label's width, and shrunk together until everything fits the page, so
// both forms break lines at the same words.
package label

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"
)

// Text is a short text in Spanish and in English.
type Text struct {
	ES string
	EN string
}

// String is the text as a label prints it: Spanish first, then English,
// "es / en"; one of them alone when the other is empty.
func (t Text) String() string {
	switch {
	case t.EN == "":
		return t.ES
	case t.ES == "":
		return t.EN
	}
	return t.ES + " / " + t.EN
}

// Product is the product a bale of classed fibre holds.
var Product = Text{ES: "Fibra de alpaca clasificada", EN: "Classified alpaca fibre"}

// Label is what a lot's bale label carries. Optional fields are left out of
// the label when empty.
type Label struct {
	// LotName is the lot's resource name, "associations/{a}/lots/{l}": the
	// text of the QR code. Required.
	LotName string
	// LotID is the last segment of LotName.
	LotID string
	// LotNumber is the association's own number for the lot; optional.
	LotNumber string
	// Product is the product's name; Product when empty.
	Product Text
	// Standard is the short title of the standard, for example
	// "NTP 231.301:2014".
	Standard Text
	// QualityGroup is the display name of the lot's market quality group.
	QualityGroup Text
	Colour       Text
	Breed        Text
	// NetWeightGrams is printed in kilograms with two decimals.
	NetWeightGrams int64
	// Campaign is the shearing season, the year it starts; 0 leaves it out.
	Campaign int
	// Association is the association's legal name, RUC its taxpayer number.
	Association string
	RUC         string
	// Origin: the comunidad campesina, district, province and department
	// (región) names, any of which may be empty, and the INEI ubigeo code.
	Community  string
	District   string
	Province   string
	Department string
	Ubigeo     string
	// CollectionPoint is where the fleece was collected (centro de acopio).
	CollectionPoint string
	// Classifier is the classifier's full name, Certification their
	// certificate number (optional).
	Classifier    string
	Certification string
	// ClassificationDate is "YYYY-MM-DD".
	ClassificationDate string
	// MeanFiberDiameterUm is the measured mean fibre diameter, when the lot
	// was measured; printed to 0.1 µm.
	MeanFiberDiameterUm *float64
}

// Kilograms formats grams as kilograms with two decimals, rounding half
// away from zero: 46000 is "46.00 kg", 1234 is "1.23 kg".
func Kilograms(grams int64) string {
	sign := ""
	if grams < 0 {
		sign, grams = "-", -grams
	}
	centi := (grams + 5) / 10
	return fmt.Sprintf("%s%d.%02d kg", sign, centi/100, centi%100)
}

// fields are the lines of the label's body, in order; empty optional
// values are left out.
func (l *Label) fields() []Field {
	fs := []Field{
		{Caption: Text{"Norma", "Standard"}, Value: l.Standard.String()},
		{Caption: Text{"Grupo de calidad", "Quality group"}, Value: l.QualityGroup.String(), Large: true},
		{Caption: Text{"Color", "Colour"}, Value: l.Colour.String()},
		{Caption: Text{"Raza", "Breed"}, Value: l.Breed.String()},
		{Caption: Text{"Peso neto", "Net weight"}, Value: Kilograms(l.NetWeightGrams), Large: true},
	}
	if l.MeanFiberDiameterUm != nil {
		fs = append(fs, Field{Caption: Text{"Diámetro medio de fibra", "Mean fibre diameter"}, Value: fmt.Sprintf("%.1f µm", *l.MeanFiberDiameterUm)})
	}
	if l.LotNumber != "" {
		fs = append(fs, Field{Caption: Text{"N.º de lote", "Lot number"}, Value: l.LotNumber})
	}
	fs = append(fs, Field{Caption: Text{"Código del lote", "Lot id"}, Value: l.LotID})
	if l.Campaign != 0 {
		fs = append(fs, Field{Caption: Text{"Campaña de esquila", "Shearing season"}, Value: fmt.Sprint(l.Campaign)})
	}
	fs = append(fs,
		Field{Caption: Text{"Asociación", "Association"}, Value: l.Association},
		Field{Caption: Text{"RUC", "Taxpayer number"}, Value: l.RUC},
		Field{Caption: Text{"Origen", "Origin"}, Value: l.origin()},
	)
	if l.CollectionPoint != "" {
		fs = append(fs, Field{Caption: Text{"Centro de acopio", "Collection point"}, Value: l.CollectionPoint})
	}
	fs = append(fs, Field{Caption: Text{"Clasificador(a)", "Classifier"}, Value: l.Classifier})
	if l.Certification != "" {
		fs = append(fs, Field{Caption: Text{"N.º de certificado", "Certificate number"}, Value: l.Certification})
	}
	fs = append(fs, Field{Caption: Text{"Fecha de clasificación", "Classification date"}, Value: l.ClassificationDate})
	return fs
}

// origin is "community, district, province, department (ubigeo code)",
// leaving out the parts that are empty.
func (l *Label) origin() string {
	var parts []string
	for _, p := range []string{l.Community, l.District, l.Province, l.Department} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	s := strings.Join(parts, ", ")
	if l.Ubigeo != "" {
		if s != "" {
			s += " "
		}
		s += "(ubigeo " + l.Ubigeo + ")"
	}
	return s
}

// The page, in millimetres: A6 portrait.
const (
	pageWidth  = 105.0
	pageHeight = 148.0
	margin     = 7.0 // text and QR code stay this far from the edge
	frameInset = 3.5 // the printed frame
	qrSide     = 32.0
	ptToMM     = 25.4 / 72
)

// Font sizes, in points, at scale 1. The layout shrinks them together
// (down to minScale) until the label fits the page.
const (
	titleSize   = 15.0
	subtitle    = 10.5
	bodySize    = 8.0
	largeSize   = 10.5
	captionSize = 6.5
	minScale    = 0.55
	scaleStep   = 0.05
)

// span is a run of text in one weight on one line.
type span struct {
	text string
	bold bool
}

// line is one line of text: its start and baseline in mm, its font size in
// points, and its spans left to right.
type line struct {
	x, y  float64
	size  float64
	spans []span
}

// layout is a label placed on the page.
type layout struct {
	title    string // the document's title
	page     Page
	lines    []line
	ruleY    float64 // the rule under the product's name
	qrX, qrY float64 // the QR code's top-left corner
	qr       *qrcode.QRCode
	modules  [][]bool // the QR code's modules, quiet zone included
}

// measurer gives the widths of texts in the PDF's core font.
type measurer struct {
	pdf *fpdf.Fpdf
	// tr converts UTF-8 to the font's code page (cp1252); runes outside it
	// become ".". It keeps a buffer: one per render, never shared.
	tr func(string) string
}

func newMeasurer() *measurer {
	pdf := fpdf.New("P", "mm", "A6", "")
	return &measurer{pdf: pdf, tr: pdf.UnicodeTranslatorFromDescriptor("")}
}

func (m *measurer) width(s string, bold bool, size float64) float64 {
	style := ""
	if bold {
		style = "B"
	}
	m.pdf.SetFont("Helvetica", style, size)
	return m.pdf.GetStringWidth(m.tr(s))
}

// word is a unit of wrapping. A word follows the one before it after a
// space, or with none when glued.
type word struct {
	text  string
	bold  bool
	glued bool
}

func words(s string, bold bool) []word {
	var ws []word
	for _, f := range strings.Fields(s) {
		ws = append(ws, word{text: f, bold: bold})
	}
	return ws
}

// wrap sets ws in lines of at most width mm starting at x, the first
// baseline at *y, moving *y down one line height per line. Continuation
// lines are indented by indent. A word wider than a line is cut.
func (m *measurer) wrap(ws []word, size, x, width, indent float64, y *float64) []line {
	lead := size * ptToMM * 1.22
	var out []line
	var cur line
	used := 0.0
	start := func() {
		ix := x
		if len(out) > 0 {
			ix += indent
		}
		*y += lead
		cur = line{x: ix, y: *y - lead*0.25, size: size}
		used = 0
	}
	flush := func() {
		if len(cur.spans) > 0 {
			out = append(out, cur)
		}
	}
	avail := func() float64 {
		if len(out) > 0 {
			return width - indent
		}
		return width
	}
	add := func(text string, bold bool) {
		if n := len(cur.spans); n > 0 && cur.spans[n-1].bold == bold {
			cur.spans[n-1].text += text
		} else {
			cur.spans = append(cur.spans, span{text, bold})
		}
	}
	start()
	for _, w := range ws {
		sep := ""
		if len(cur.spans) > 0 && !w.glued {
			sep = " "
		}
		ww := m.width(sep+w.text, w.bold, size)
		if used+ww <= avail() {
			add(sep+w.text, w.bold)
			used += ww
			continue
		}
		if len(cur.spans) > 0 {
			flush()
			start()
		}
		// Cut a word longer than a whole line into pieces that fit.
		rest := w.text
		for m.width(rest, w.bold, size) > avail() {
			n := m.fit(rest, w.bold, size, avail())
			add(rest[:n], w.bold)
			rest = rest[n:]
			flush()
			start()
		}
		add(rest, w.bold)
		used = m.width(rest, w.bold, size)
	}
	flush()
	return out
}

// fit is the length in bytes of the longest prefix of s, at least one
// rune, no wider than width.
func (m *measurer) fit(s string, bold bool, size, width float64) int {
	n := 0
	for i, r := range s {
		end := i + utf8.RuneLen(r)
		if n > 0 && m.width(s[:end], bold, size) > width {
			break
		}
		n = end
	}
	return n
}

// Sheet is the label as a printable page.
func (l *Label) Sheet() Sheet {
	product := l.Product
	if product == (Text{}) {
		product = Product
	}
	return Sheet{Title: product, Fields: l.fields(), QRText: l.LotName,
		QRCaption: Text{"Código QR: nombre del lote", "QR code: lot name"}}
}

// place lays the label out (see Sheet.place).
func (l *Label) place() (*layout, error) {
	if l.LotName == "" {
		return nil, fmt.Errorf("label: the lot's resource name (the QR code's text) is empty")
	}
	s := l.Sheet()
	return s.place()
}

// splitName breaks a resource name after each slash, so that it wraps at
// its segments rather than inside an id.
func splitName(name string) []word {
	var ws []word
	for part := range strings.SplitAfterSeq(name, "/") {
		if part != "" {
			ws = append(ws, word{text: part, glued: len(ws) > 0})
		}
	}
	return ws
}
