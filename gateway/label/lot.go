package label

import (
	"fmt"
	"strings"

	"github.com/skip2/go-qrcode"
)

// A5Landscape is the lot label's page: 210 × 148.5 mm, half an A4 sheet
// (as fpdf sizes A5), two to a page of BatchPDF. A6 is too narrow for a
// lot number in letters read from two metres: "2026-0001" at 25 mm cap
// height is about 170 mm wide.
var A5Landscape = Page{Width: 210, Height: 148.5, Name: "A5", Landscape: true}

// Legibility from two metres. The sign makers' rule of thumb is an inch
// (25.4 mm) of letter height for every ten feet (3 m) of viewing distance,
// about 17 mm at 2 m, for black letters on white in good light. A bale
// label is read in a store's dim light, on a sack, often at an angle, so
// the lot number, the quality group and the net weight are set half as
// large again: a cap height of bigCapMM, 25 mm. They shrink below it only
// when the texts of a line are too long for the label's width: a lot
// number of more than ten characters, or a group without an abbreviation
// beside the weight ("Extrafina" beside "2500 kg" stands about 19 mm high).
const (
	bigCapMM = 25.0
	// capHeight is the cap height of Helvetica and Helvetica-Bold in ems
	// (718/1000 in Adobe's font metrics for both).
	capHeight = 0.718
	// figureHeight is the height of Helvetica-Bold's flat-topped figures
	// ("5", "7": 698/1000 in Adobe's metrics; round ones overshoot to 710).
	// Lot numbers are mostly figures, which stand lower than capitals.
	figureHeight = 0.698
	// bigSize is the font size, in points, whose figures are bigCapMM
	// high (its capitals a little more). A printer without Helvetica
	// substitutes a metric-compatible face (Liberation Sans, Arimo) or a
	// wider one (DejaVu Sans), whose figures stand as high or higher.
	bigSize = bigCapMM / figureHeight / ptToMM
	// descent is how far below the baseline Helvetica-Bold's descenders
	// ("g", "p") reach, in ems (207/1000 for "g"), rounded up.
	descent = 0.22
)

// The net weight's unit, set after its figures at unitScale of their size;
// its leading space parts it from them (and keeps "46.01 kg" one phrase
// for whoever copies the text).
const (
	weightUnit = " kg"
	unitScale  = 0.5
)

// BigWeight is the figures of a lot's net weight in kilograms as the label
// prints them large: to 10 g under 100 kg ("46.01"), in whole kilograms
// from 100 kg ("2500", rounded half up), so that a weight of tonnes beside
// a long group name ("Extrafina") still stands over 17 mm high. The lot's
// page, which the QR code opens, keeps the weight to the gram.
func BigWeight(grams int64) string {
	if grams > -99_995 && grams < 99_995 { // under 100.00 kg to 10 g
		return strings.TrimSuffix(Kilograms(grams), " kg")
	}
	if grams < 0 {
		return fmt.Sprint(-((-grams + 500) / 1000))
	}
	return fmt.Sprint((grams + 500) / 1000)
}

// Font sizes of the lot label, in points.
const (
	lotTitleSize   = 13.0
	lotCaptionSize = 8.0
	lotBodySize    = 8.5
	lotQRSide      = 34.0
)

// Placement is where a label printed alone puts its lot number and its QR
// code, in mm from the page's top-left corner, for checks of the printed
// page: the number's left edge, baseline and cap height (zero when the lot
// has no number), and the QR code's top-left corner and side, quiet zone
// included. On a BatchPDF page the label below is LabelsPerPage-th of the
// A4 page's height lower.
type Placement struct {
	LotNumberX, LotNumberBaseline, LotNumberCapHeight float64
	QRX, QRY, QRSide                                  float64
}

// place lays the lot label out on an A5 landscape page: the product's name
// over a rule; the lot number, the quality group and the net weight in
// letters of bigCapMM cap height; a rule; the details, shrunk together
// until they fit, beside the QR code.
func (l *Label) place() (*layout, error) {
	lo, _, err := l.placeLot()
	return lo, err
}

func (l *Label) placeLot() (*layout, Placement, error) {
	if l.LotName == "" {
		return nil, Placement{}, fmt.Errorf("label: the lot's resource name is empty")
	}
	qr, err := qrcode.New(l.qrText(), qrcode.Medium)
	if err != nil {
		return nil, Placement{}, fmt.Errorf("label: encoding the QR code of %q: %w", l.qrText(), err)
	}
	m := newMeasurer()
	for scale := 1.0; scale > minScale-scaleStep/2; scale -= scaleStep {
		if lo, box, fits := l.placeLotAt(m, scale); fits {
			lo.qr, lo.modules = qr, qr.Bitmap()
			return lo, box, nil
		}
	}
	return nil, Placement{}, fmt.Errorf("label: the texts of %s do not fit an A5 page", l.LotName)
}

// Placement is where the label puts its lot number and QR code.
func (l *Label) Placement() (Placement, error) {
	lo, box, err := l.placeLot()
	if err != nil {
		return Placement{}, err
	}
	box.QRX, box.QRY, box.QRSide = lo.qrX, lo.qrY, lo.qrSide
	return box, nil
}

// bigFit is the font size, at most bigSize, at which texts set in bold on
// one line, gap mm apart, fill at most width mm.
func bigFit(m *measurer, width, gap float64, texts ...string) float64 {
	w := gap * float64(len(texts)-1)
	for _, t := range texts {
		w += m.width(t, true, bigSize)
	}
	if w <= width {
		return bigSize
	}
	return bigSize * (width - gap*float64(len(texts)-1)) / (w - gap*float64(len(texts)-1))
}

// bigLine is one text in large bold letters with its baseline at y.
func bigLine(m *measurer, text string, x, y, size float64) line {
	ln := line{x: x, y: y, size: size, spans: []span{{text, true}}}
	ln.width = m.lineWidth(ln)
	return ln
}

func (l *Label) placeLotAt(m *measurer, scale float64) (*layout, Placement, bool) {
	pg := A5Landscape
	product := l.Product
	if product == (Text{}) {
		product = Product
	}
	lo := &layout{title: product.String() + ": " + l.LotName, page: pg, qrSide: lotQRSide,
		frame: rect{frameInset, frameInset, pg.Width - 2*frameInset, pg.Height - 2*frameInset}}
	left, right, bottom := margin, pg.Width-margin, pg.Height-margin
	width := right - left
	y := margin - 1

	title := words(product.ES, true)
	if en := product.String(); en != product.ES {
		title = append(title, words("/ "+product.EN, false)...)
	}
	lo.lines = append(lo.lines, m.wrap(title, lotTitleSize, left, width, 0, &y)...)
	y += 1.5
	lo.rules = append(lo.rules, rule{y, left, right})

	var box Placement
	if l.LotNumber != "" {
		lo.lines = append(lo.lines, m.wrap(words(Text{"N.º de lote", "Lot number"}.String(), true), lotCaptionSize, left, width, 0, &y)...)
		size := bigFit(m, width, 0, l.LotNumber)
		box.LotNumberX, box.LotNumberCapHeight = left, size*ptToMM*capHeight
		y += 2 + box.LotNumberCapHeight
		box.LotNumberBaseline = y
		lo.lines = append(lo.lines, bigLine(m, l.LotNumber, left, y, size))
		y += descent*size*ptToMM + 0.5
	}

	// The quality group at the left and the net weight at the right, each
	// under its caption.
	group := l.QualityGroup.ES
	if group == "" {
		group = l.QualityGroup.EN
	}
	groupCaption := Text{"Grupo de calidad", "Quality group"}.String()
	switch {
	case l.QualityGroupAbbreviation != "":
		group = l.QualityGroupAbbreviation
		groupCaption += ": " + l.QualityGroup.String()
	case l.QualityGroup.EN != group:
		// The Spanish name is printed large, the English one here.
		groupCaption += ": " + l.QualityGroup.EN
	}
	weight := BigWeight(l.NetWeightGrams)
	weightCaption := Text{"Peso neto", "Net weight"}.String()
	wcw := m.width(weightCaption, true, lotCaptionSize)
	cy := y
	lo.lines = append(lo.lines, m.wrap(words(groupCaption, true), lotCaptionSize, left, width-wcw-6, 0, &y)...)
	lo.lines = append(lo.lines, m.wrap(words(weightCaption, true), lotCaptionSize, right-wcw, wcw+0.01, 0, &cy)...)
	// The unit is set at unitScale of the figures' size, as signs set it:
	// the figures are what is read from afar.
	size := bigSize
	if w, room := m.width(group, true, bigSize)+m.width(weight, true, bigSize)+m.width(weightUnit, true, bigSize*unitScale), width-8; w > room {
		size = bigSize * room / w
	}
	y += 1.5 + size*ptToMM*capHeight
	lo.lines = append(lo.lines, bigLine(m, group, left, y, size))
	uw := m.width(weightUnit, true, size*unitScale)
	ww := m.width(weight, true, size)
	lo.lines = append(lo.lines, bigLine(m, weight, right-uw-ww, y, size))
	lo.lines = append(lo.lines, bigLine(m, weightUnit, right-uw, y, size*unitScale))
	y += descent*size*ptToMM + 0.5
	lo.rules = append(lo.rules, rule{y, left, right})

	// The details at the left; the QR code at the right, at the top of
	// their band, and its link as the last detail.
	lo.qrX, lo.qrY = right-lotQRSide+1, y+0.5
	textWidth := lo.qrX - 2 - left
	for _, f := range l.fields() {
		ws := append(words(f.Caption.String()+":", true), words(f.Value, false)...)
		lo.lines = append(lo.lines, m.wrap(ws, lotBodySize*scale, left, textWidth, 3, &y)...)
		y += 0.3 * scale
	}
	link := append(words(Text{"Código QR: enlace al lote", "QR code: link to the lot"}.String()+":", true), splitName(l.qrText())...)
	lo.lines = append(lo.lines, m.wrap(link, lotBodySize*scale, left, textWidth, 3, &y)...)
	return lo, box, y <= bottom && lo.qrY+lotQRSide <= bottom+1
}
