package label

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/go-pdf/fpdf"
)

// pdfImageDots is the size of one QR module in the PDF's PNG, in pixels:
// the image is drawn at the QR code's side in mm, so a module is several
// pixels and prints sharp.
const pdfImageDots = 8

// PDF renders the lot's label as a one-page A5 landscape PDF (see
// SheetPDF for the fonts).
func PDF(l Label) ([]byte, error) {
	lo, err := l.place()
	if err != nil {
		return nil, err
	}
	return renderPDF(lo.page, lo.title, []placed{{lo, 0, 0}}, false)
}

// SheetPDF renders a sheet as a one-page PDF of its paper size. Texts are
// set in the core Helvetica font, in code page 1252: Spanish and Quechua
// letters print, a character outside it prints as ".". The QR code is a
// PNG image.
func SheetPDF(s Sheet) ([]byte, error) {
	lo, err := s.place()
	if err != nil {
		return nil, err
	}
	return renderPDF(lo.page, lo.title, []placed{{lo, 0, 0}}, false)
}

// LabelsPerPage is how many lot labels an A4 page of BatchPDF holds: two
// A5 landscape labels, one above the other.
const LabelsPerPage = 2

// BatchPDF writes the labels of several lots to w as one PDF of A4 pages,
// LabelsPerPage to a page in the order given, with a dashed line to cut
// them apart. Every label is laid out before anything is written, so that
// a label that cannot be printed fails the batch with nothing written.
func BatchPDF(w io.Writer, title string, labels []Label) error {
	if len(labels) == 0 {
		return fmt.Errorf("label: a batch of no labels")
	}
	var ps []placed
	for i := range labels {
		lo, err := labels[i].place()
		if err != nil {
			return err
		}
		ps = append(ps, placed{lo, 0, float64(i%LabelsPerPage) * A4.Height / LabelsPerPage})
	}
	body, err := renderPDF(A4, title, ps, true)
	if err != nil {
		return err
	}
	_, err = w.Write(body)
	return err
}

// placed is a layout at an offset on its page, in mm.
type placed struct {
	lo     *layout
	dx, dy float64
}

// renderPDF draws the layouts on pages of pg: a new page whenever a layout
// sits at the top (dy 0). With cuts, a dashed line runs between the
// labels of a page.
func renderPDF(pg Page, title string, ps []placed, cuts bool) ([]byte, error) {
	orientation := "P"
	if pg.Landscape {
		orientation = "L"
	}
	pdf := fpdf.New(orientation, "mm", pg.Name, "")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.SetTitle(title, true)
	pdf.SetCreator("Millwa", true)
	// A fixed date and catalogue order keep the same label the same bytes.
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(time.Unix(0, 0).UTC())
	pdf.SetModificationDate(time.Unix(0, 0).UTC())
	for i, p := range ps {
		if i == 0 || p.dy == 0 {
			pdf.AddPage()
			if cuts {
				pdf.SetDrawColor(150, 150, 150)
				pdf.SetLineWidth(0.2)
				pdf.SetDashPattern([]float64{2, 2}, 0)
				for k := 1; k < LabelsPerPage; k++ {
					y := pg.Height * float64(k) / LabelsPerPage
					pdf.Line(0, y, pg.Width, y)
				}
				pdf.SetDashPattern(nil, 0)
			}
		}
		if err := drawPDF(pdf, tr, p, "qr"+strconv.Itoa(i)); err != nil {
			return nil, err
		}
	}
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("label: writing the PDF of %s: %w", title, err)
	}
	return out.Bytes(), nil
}

// drawPDF draws one layout at its offset; image names the QR code's image,
// one name per layout of a document.
func drawPDF(pdf *fpdf.Fpdf, tr func(string) string, p placed, image string) error {
	lo, dx, dy := p.lo, p.dx, p.dy
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.4)
	f := lo.frame
	pdf.RoundedRect(dx+f.x, dy+f.y, f.w, f.h, 1.5, "1234", "D")
	pdf.SetLineWidth(0.3)
	for _, r := range lo.rules {
		pdf.Line(dx+r.x1, dy+r.y, dx+r.x2, dy+r.y)
	}

	pdf.SetTextColor(0, 0, 0)
	for _, ln := range lo.lines {
		x := dx + ln.x
		for _, s := range ln.spans {
			style := ""
			if s.bold {
				style = "B"
			}
			pdf.SetFont("Helvetica", style, ln.size)
			t := tr(s.text)
			pdf.Text(x, dy+ln.y, t)
			x += pdf.GetStringWidth(t)
		}
	}

	png, err := lo.qr.PNG(-pdfImageDots)
	if err != nil {
		return fmt.Errorf("label: drawing the QR code of %s: %w", lo.title, err)
	}
	opts := fpdf.ImageOptions{ImageType: "PNG"}
	pdf.RegisterImageOptionsReader(image, opts, bytes.NewReader(png))
	pdf.ImageOptions(image, dx+lo.qrX, dy+lo.qrY, lo.qrSide, lo.qrSide, false, opts, 0, "")
	return pdf.Error()
}
