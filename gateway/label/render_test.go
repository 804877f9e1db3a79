package label

import (
	"bytes"
	"fmt"
	"image"
	"testing"

	"github.com/millwa/millwa/gateway/label/labeltest"
)

// dpi is the resolution the printed tests render at.
const dpi = 100

// lotNumberArea is the part of a rendered page, in pixels, that holds the
// lot number of the label placed at p, dy mm down the page: from its left
// edge to the right margin, from a little above its capitals to a little
// below its baseline (digits overshoot it by a fraction of a millimetre).
func lotNumberArea(p Placement, dy float64) image.Rectangle {
	top := dy + p.LotNumberBaseline - p.LotNumberCapHeight - 1.5
	return image.Rect(labeltest.MM(p.LotNumberX-1, dpi), labeltest.MM(top, dpi),
		labeltest.MM(A5Landscape.Width-margin+1, dpi), labeltest.MM(dy+p.LotNumberBaseline+1.2, dpi))
}

// checkLotNumberHeight fails t unless the ink of the lot number in area is
// at least bigCapMM high, as read from two metres, and not much more
// (digits overshoot the cap height a little).
func checkLotNumberHeight(t *testing.T, what string, page image.Image, area image.Rectangle) {
	t.Helper()
	box := labeltest.InkBox(page, area)
	heightMM := float64(box.Dy()) * 25.4 / dpi
	// Upwards there is room: a printer without Helvetica or a
	// metric-compatible face (Liberation Sans) substitutes a larger one
	// (DejaVu Sans Bold: figures about 9 % taller), which only reads better.
	if heightMM < bigCapMM-0.3 || heightMM > bigCapMM+2.5 {
		t.Errorf("%s: the lot number's ink is %s, want %.0f mm high (cap height)", what, labeltest.Describe(box, dpi), bigCapMM)
	}
	if box.Dx() < labeltest.MM(100, dpi) {
		t.Errorf("%s: the lot number is only %s", what, labeltest.Describe(box, dpi))
	}
}

// TestPrintedLabel renders the PDF as a printer would and measures it: the
// lot number's letters are 25 mm high, and the QR code printed reads back
// as the lot's URL with its number.
func TestPrintedLabel(t *testing.T) {
	t.Parallel()
	l := sample()
	l.LotNumber = "2026-0001"
	pdf, err := PDF(l)
	if err != nil {
		t.Fatal(err)
	}
	pages := labeltest.RenderPDF(t, pdf, dpi)
	if len(pages) != 1 {
		t.Fatalf("%d pages, want 1", len(pages))
	}
	page := pages[0]
	if w, h := page.Bounds().Dx(), page.Bounds().Dy(); w != labeltest.MM(210, dpi)+1 && w != labeltest.MM(210, dpi) || h > w {
		t.Errorf("page of %d × %d px, want A5 landscape (%d px wide)", w, h, labeltest.MM(210, dpi))
	}
	p, err := l.Placement()
	if err != nil {
		t.Fatal(err)
	}
	if p.LotNumberCapHeight < bigCapMM-0.01 {
		t.Errorf("the lot number is set at %.1f mm cap height, want %.0f", p.LotNumberCapHeight, bigCapMM)
	}
	checkLotNumberHeight(t, "single label", page, lotNumberArea(p, 0))

	// Read where the placement says, and found by a decoder hunting for it.
	if got := labeltest.DecodeQRSquare(t, page, p.QRX, p.QRY, p.QRSide, dpi); got != lotURL {
		t.Errorf("the QR code printed where the placement says holds %q, want %q", got, lotURL)
	}
	qr := image.Rect(labeltest.MM(p.QRX-2, dpi), labeltest.MM(p.QRY-2, dpi), labeltest.MM(p.QRX+p.QRSide+2, dpi), labeltest.MM(p.QRY+p.QRSide+2, dpi))
	if got := labeltest.DecodeQR(t, page, qr); got != lotURL {
		t.Errorf("the printed QR code holds %q, want %q", got, lotURL)
	}
}

// TestPrintedBatch prints five labels two to an A4 page: three pages, each
// label's lot number 25 mm high where its half of the page puts it.
func TestPrintedBatch(t *testing.T) {
	t.Parallel()
	var labels []Label
	for i := range 5 {
		l := sample()
		l.LotNumber = fmt.Sprintf("2026-%04d", i+1)
		labels = append(labels, l)
	}
	var b bytes.Buffer
	if err := BatchPDF(&b, "batch", labels); err != nil {
		t.Fatal(err)
	}
	pages := labeltest.RenderPDF(t, b.Bytes(), dpi)
	if len(pages) != 3 {
		t.Fatalf("%d pages for 5 labels, want 3", len(pages))
	}
	if w, h := pages[0].Bounds().Dx(), pages[0].Bounds().Dy(); h < labeltest.MM(296, dpi) || w > labeltest.MM(211, dpi) {
		t.Errorf("page of %d × %d px, want A4 portrait", w, h)
	}
	for i, l := range labels {
		p, err := l.Placement()
		if err != nil {
			t.Fatal(err)
		}
		dy := float64(i%LabelsPerPage) * A4.Height / LabelsPerPage
		checkLotNumberHeight(t, l.LotNumber, pages[i/LabelsPerPage], lotNumberArea(p, dy))
	}
	// The last page's lower half is blank.
	if box := labeltest.InkBox(pages[2], image.Rect(0, labeltest.MM(150, dpi), labeltest.MM(210, dpi), labeltest.MM(297, dpi))); !box.Empty() {
		t.Errorf("the last page has ink below its one label: %s", labeltest.Describe(box, dpi))
	}
}
