// Package labeltest holds what tests of printed labels share: decoding the
// QR code of an SVG label or of a rendered page, rendering a PDF to images
// with poppler's pdftoppm, and measuring the ink in a part of a page.
// Tests import it; the server never does.
package labeltest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
)

var qrRun = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-\d+z`)

// DecodeSVGQR draws the QR code of an SVG label (the group with id "qr": a
// white square of n×n modules and a path of dark runs) at 4 pixels a
// module and decodes it.
func DecodeSVGQR(t testing.TB, svg []byte) string {
	t.Helper()
	var doc struct {
		Groups []struct {
			ID   string `xml:"id,attr"`
			Rect struct {
				Width int `xml:"width,attr"`
			} `xml:"rect"`
			Path struct {
				D string `xml:"d,attr"`
			} `xml:"path"`
		} `xml:"g"`
	}
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatalf("parsing the SVG: %v", err)
	}
	for _, g := range doc.Groups {
		if g.ID != "qr" {
			continue
		}
		const px = 4
		n := g.Rect.Width
		if n < 21 {
			t.Fatalf("QR code of %d modules", n)
		}
		img := image.NewGray(image.Rect(0, 0, n*px, n*px))
		draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
		for _, m := range qrRun.FindAllStringSubmatch(g.Path.D, -1) {
			x, _ := strconv.Atoi(m[1])
			y, _ := strconv.Atoi(m[2])
			w, _ := strconv.Atoi(m[3])
			draw.Draw(img, image.Rect(x*px, y*px, (x+w)*px, (y+1)*px), image.Black, image.Point{}, draw.Src)
		}
		// The image is the code alone, module-aligned: say so, so that the
		// reader does not hunt for finder patterns it may misjudge.
		text, err := decode(img, true)
		if err != nil {
			t.Fatalf("decoding the SVG's QR code: %v", err)
		}
		return text
	}
	t.Fatal("the SVG has no QR code (group qr)")
	return ""
}

// DecodeQR decodes the QR code in the part r of a rendered page.
func DecodeQR(t testing.TB, page image.Image, r image.Rectangle) string {
	t.Helper()
	sub := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(sub, sub.Bounds(), page, r.Min, draw.Src)
	text, err := decode(sub, false)
	if err != nil {
		t.Fatalf("decoding the QR code in %v of the page: %v", r, err)
	}
	return text
}

func decode(img image.Image, pure bool) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	if pure {
		hints = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// RenderPDF renders every page of a PDF in grey at dpi dots per inch with
// pdftoppm (poppler-utils), as a printer would print it. Without pdftoppm
// the test is skipped, loudly, except under CI (CI set), where it fails.
func RenderPDF(t testing.TB, pdf []byte, dpi int) []image.Image {
	t.Helper()
	bin, err := exec.LookPath("pdftoppm")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftoppm is missing: install poppler-utils (.ci/run does)")
		}
		t.Skip("SKIPPED: pdftoppm is missing; install poppler-utils to render labels")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-gray", "-png", "-r", strconv.Itoa(dpi), in, filepath.Join(dir, "page")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	files, err := filepath.Glob(filepath.Join(dir, "page-*.png"))
	if err != nil {
		t.Fatal(err)
	}
	// page-1.png … page-10.png: by number, not by name.
	sort.Slice(files, func(i, j int) bool { return pageNumber(files[i]) < pageNumber(files[j]) })
	var pages []image.Image
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		pages = append(pages, img)
	}
	return pages
}

var pageNum = regexp.MustCompile(`-(\d+)\.png$`)

func pageNumber(file string) int {
	n, _ := strconv.Atoi(pageNum.FindStringSubmatch(file)[1])
	return n
}

// InkBox is the bounding box of the dark pixels (below half grey) of page
// within r; empty when there are none.
func InkBox(page image.Image, r image.Rectangle) image.Rectangle {
	var box image.Rectangle
	r = r.Intersect(page.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if color.GrayModel.Convert(page.At(x, y)).(color.Gray).Y < 128 {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box
}

// MM converts millimetres on a page rendered at dpi to pixels.
func MM(mm float64, dpi int) int {
	return int(mm * float64(dpi) / 25.4)
}

// Describe is a short account of a box in millimetres, for failures.
func Describe(box image.Rectangle, dpi int) string {
	f := func(px int) float64 { return float64(px) * 25.4 / float64(dpi) }
	return fmt.Sprintf("%.1f × %.1f mm at (%.1f, %.1f) mm", f(box.Dx()), f(box.Dy()), f(box.Min.X), f(box.Min.Y))
}
