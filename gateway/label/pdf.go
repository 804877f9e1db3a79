package label

import (
	"bytes"
	"fmt"
	"time"

	"github.com/go-pdf/fpdf"
)

// pdfImageDots is the size of one QR module in the PDF's PNG, in pixels:
// the image is drawn at qrSide mm, so a module is several pixels and prints
// sharp.
const pdfImageDots = 8

// PDF renders the label as a one-page A6 PDF (see SheetPDF).
func PDF(l Label) ([]byte, error) {
	lo, err := l.place()
	if err != nil {
		return nil, err
	}
	return renderPDF(lo)
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
	return renderPDF(lo)
}

func renderPDF(lo *layout) ([]byte, error) {
	pageWidth, pageHeight := lo.page.Width, lo.page.Height
	pdf := fpdf.New("P", "mm", lo.page.Name, "")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.SetTitle(lo.title, true)
	pdf.SetCreator("Millwa", true)
	// A fixed date and catalogue order keep the same label the same bytes.
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(time.Unix(0, 0).UTC())
	pdf.SetModificationDate(time.Unix(0, 0).UTC())
	pdf.AddPage()

	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.4)
	pdf.RoundedRect(frameInset, frameInset, pageWidth-2*frameInset, pageHeight-2*frameInset, 1.5, "1234", "D")
	pdf.SetLineWidth(0.3)
	pdf.Line(margin, lo.ruleY, pageWidth-margin, lo.ruleY)

	pdf.SetTextColor(0, 0, 0)
	for _, ln := range lo.lines {
		x := ln.x
		for _, s := range ln.spans {
			style := ""
			if s.bold {
				style = "B"
			}
			pdf.SetFont("Helvetica", style, ln.size)
			t := tr(s.text)
			pdf.Text(x, ln.y, t)
			x += pdf.GetStringWidth(t)
		}
	}

	png, err := lo.qr.PNG(-pdfImageDots)
	if err != nil {
		return nil, fmt.Errorf("label: drawing the QR code of %s: %w", lo.title, err)
	}
	opts := fpdf.ImageOptions{ImageType: "PNG"}
	pdf.RegisterImageOptionsReader("qr", opts, bytes.NewReader(png))
	pdf.ImageOptions("qr", lo.qrX, lo.qrY, qrSide, qrSide, false, opts, 0, "")

	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("label: writing the PDF of %s: %w", lo.title, err)
	}
	return out.Bytes(), nil
}
