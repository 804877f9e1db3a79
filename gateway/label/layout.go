package label

import (
	"strings"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"
)

// The sheets' page, in millimetres: A6 portrait.
const (
	pageWidth  = 105.0
	pageHeight = 148.0
	margin     = 7.0 // text and QR code stay this far from the edge
	frameInset = 3.5 // the printed frame
	qrSide     = 32.0
	ptToMM     = 25.4 / 72
)

// Font sizes, in points, at scale 1. The layout shrinks them together
// (down to minScale) until the sheet fits the page.
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
// points, its width in mm as the core font sets it, and its spans left to
// right.
type line struct {
	x, y  float64
	size  float64
	width float64
	spans []span
}

// rect is a rectangle in mm: its top-left corner and its size.
type rect struct {
	x, y, w, h float64
}

// rule is a horizontal line at y from x1 to x2, in mm.
type rule struct {
	y, x1, x2 float64
}

// layout is a sheet or a label placed on its page, in mm from the page's
// top-left corner.
type layout struct {
	title    string // the document's title
	page     Page
	frame    rect
	rules    []rule
	lines    []line
	qrX, qrY float64 // the QR code's top-left corner
	qrSide   float64
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

// lineWidth is the width of a line's spans set one after the other.
func (m *measurer) lineWidth(ln line) float64 {
	w := 0.0
	for _, s := range ln.spans {
		w += m.width(s.text, s.bold, ln.size)
	}
	return w
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

// splitName breaks a resource name or URL after each slash, so that it
// wraps at its segments rather than inside an id.
func splitName(name string) []word {
	var ws []word
	for part := range strings.SplitAfterSeq(name, "/") {
		if part != "" {
			ws = append(ws, word{text: part, glued: len(ws) > 0})
		}
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
			cur.width = m.lineWidth(cur)
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
