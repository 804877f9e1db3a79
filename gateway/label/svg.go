package label

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
)

// SVG renders the lot's label as an SVG document the size of an A5
// landscape page (see SheetSVG).
func SVG(l Label) ([]byte, error) {
	lo, err := l.place()
	if err != nil {
		return nil, err
	}
	return renderSVG(lo), nil
}

// SheetSVG renders a sheet as an SVG document the size of its page, in
// millimetres. The QR code is drawn as vector modules (one path, each dark
// run of a row a rectangle) in the group with id "qr", in module units,
// quiet zone included. Texts are XML-escaped, and each line carries the
// width it was measured at in Helvetica's metrics as its textLength, so
// that a viewer setting it in a wider font squeezes it into that width
// rather than past the frame.
func SheetSVG(s Sheet) ([]byte, error) {
	lo, err := s.place()
	if err != nil {
		return nil, err
	}
	return renderSVG(lo), nil
}

func renderSVG(lo *layout) []byte {
	pageWidth, pageHeight := lo.page.Width, lo.page.Height
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%smm" height="%smm" viewBox="0 0 %s %s" font-family="Helvetica, Arial, sans-serif">`+"\n",
		num(pageWidth), num(pageHeight), num(pageWidth), num(pageHeight))
	b.WriteString("<title>")
	escape(&b, lo.title)
	b.WriteString("</title>\n")
	fmt.Fprintf(&b, `<rect width="%s" height="%s" fill="#fff"/>`+"\n", num(pageWidth), num(pageHeight))
	f := lo.frame
	fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" rx="1.5" fill="none" stroke="#000" stroke-width="0.4"/>`+"\n",
		num(f.x), num(f.y), num(f.w), num(f.h))
	for _, r := range lo.rules {
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#000" stroke-width="0.3"/>`+"\n",
			num(r.x1), num(r.y), num(r.x2), num(r.y))
	}

	for _, ln := range lo.lines {
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="%s" textLength="%s" lengthAdjust="spacingAndGlyphs" xml:space="preserve">`,
			num(ln.x), num(ln.y), num(ln.size*ptToMM), num(ln.width))
		for _, s := range ln.spans {
			if s.bold {
				b.WriteString(`<tspan font-weight="bold">`)
				escape(&b, s.text)
				b.WriteString(`</tspan>`)
			} else {
				escape(&b, s.text)
			}
		}
		b.WriteString("</text>\n")
	}

	n := len(lo.modules)
	fmt.Fprintf(&b, `<g id="qr" transform="translate(%s %s) scale(%s)" shape-rendering="crispEdges">`+"\n",
		num(lo.qrX), num(lo.qrY), num(lo.qrSide/float64(n)))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/>`+"\n", n, n)
	b.WriteString(`<path fill="#000" d="`)
	for y, row := range lo.modules {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			run := 1
			for x+run < len(row) && row[x+run] {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x, y, run, run)
			x += run
		}
	}
	b.WriteString("\"/>\n</g>\n</svg>\n")
	return b.Bytes()
}

// escape writes s as XML character data.
func escape(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s)) // a bytes.Buffer does not fail
}

// num formats a length in mm to at most three decimals.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}
