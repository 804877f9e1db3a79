package label

import (
	"fmt"

	"github.com/skip2/go-qrcode"
)

// Page is a sheet's paper size, in millimetres.
type Page struct {
	Width, Height float64
	// Name is the size as fpdf knows it: "A6", "A4".
	Name string
	// Landscape turns the named size on its side: Width is then its
	// longer edge.
	Landscape bool
}

// Paper sizes: A6 for the slips a member keeps, A4 for statements (lot
// labels are A5Landscape).
var (
	A6 = Page{Width: pageWidth, Height: pageHeight, Name: "A6"}
	A4 = Page{Width: 210, Height: 297, Name: "A4"}
)

// Field is one line of a sheet's body: a bilingual caption, in bold, and
// its value.
type Field struct {
	Caption Text
	Value   string
	// Large prints the field bigger: what a reader looks for first (a
	// lot's group and weight, a receipt's number, a balance).
	Large bool
}

// Sheet is a printable page: a title in Spanish and English over a rule,
// captioned fields, and at the bottom a QR code of a resource name with a
// caption saying what it holds. Lot labels, receipt slips and member
// statements are sheets, laid out and rendered alike (SheetSVG,
// SheetPDF).
type Sheet struct {
	Title  Text
	Fields []Field
	// QRText is the QR code's text, a resource name. Required.
	QRText    string
	QRCaption Text
	// Page is the paper; A6 when zero.
	Page Page
}

// place lays the sheet out: the largest scale at which it fits the page.
func (s *Sheet) place() (*layout, error) {
	if s.QRText == "" {
		return nil, fmt.Errorf("label: the QR code's text is empty")
	}
	qr, err := qrcode.New(s.QRText, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("label: encoding the QR code of %q: %w", s.QRText, err)
	}
	m := newMeasurer()
	for scale := 1.0; scale > minScale-scaleStep/2; scale -= scaleStep {
		if lo, fits := s.placeAt(m, scale); fits {
			lo.qr, lo.modules = qr, qr.Bitmap()
			return lo, nil
		}
	}
	return nil, fmt.Errorf("label: the texts of %s do not fit an %s page", s.QRText, s.page().Name)
}

func (s *Sheet) page() Page {
	if s.Page == (Page{}) {
		return A6
	}
	return s.Page
}

// placeAt lays the sheet out with font sizes times scale, and reports
// whether it fits the page.
func (s *Sheet) placeAt(m *measurer, scale float64) (*layout, bool) {
	pg := s.page()
	lo := &layout{title: s.Title.String() + ": " + s.QRText, page: pg, qrSide: qrSide,
		frame: rect{frameInset, frameInset, pg.Width - 2*frameInset, pg.Height - 2*frameInset}}
	width := pg.Width - 2*margin
	y := margin - 1
	lo.lines = append(lo.lines, m.wrap(words(s.Title.ES, true), titleSize*scale, margin, width, 0, &y)...)
	lo.lines = append(lo.lines, m.wrap(words(s.Title.EN, false), subtitle*scale, margin, width, 0, &y)...)
	y += 1.5
	lo.rules = append(lo.rules, rule{y, margin, pg.Width - margin})
	y += 1
	for _, f := range s.Fields {
		size := bodySize * scale
		if f.Large {
			size = largeSize * scale
		}
		ws := append(words(f.Caption.String()+":", true), words(f.Value, false)...)
		lo.lines = append(lo.lines, m.wrap(ws, size, margin, width, 3, &y)...)
		y += 0.5 * scale
	}

	// The QR code at the bottom left; beside it, what it holds.
	lo.qrX, lo.qrY = margin-1, pg.Height-margin-qrSide+1
	textX := lo.qrX + qrSide + 1
	ty := lo.qrY + 3
	lo.lines = append(lo.lines, m.wrap(words(s.QRCaption.String(), true), captionSize*scale, textX, pg.Width-margin-textX, 0, &ty)...)
	lo.lines = append(lo.lines, m.wrap(splitName(s.QRText), captionSize*scale, textX, pg.Width-margin-textX, 0, &ty)...)
	fits := y <= lo.qrY+2 && ty <= pg.Height-margin
	return lo, fits
}
