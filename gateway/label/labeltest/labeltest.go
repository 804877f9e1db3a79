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

// DecodeQRSquare reads the QR code printed in the square of side mm whose
// top-left corner is at x, y mm on a page rendered at dpi, the square
// holding the code and its quiet zone of four modules, as the label's
// Placement gives it. Knowing where the code is, it does not hunt for it
// as DecodeQR does (a hunt that misjudges codes of under three pixels a
// module now and then). For each QR version it reads the pixel at the
// centre of every module, shifting the grid by up to a pixel since the
// renderer rounds the page's size to whole pixels; a grid whose quiet
// zone is all light and whose three finder patterns are whole is decoded,
// and the first that decodes gives the text.
func DecodeQRSquare(t testing.TB, page image.Image, x, y, side float64, dpi int) string {
	t.Helper()
	px := func(mm float64) float64 { return mm * float64(dpi) / 25.4 }
	last := "no version's modules are 1.5 pixels or more"
	for version := 1; version <= 40; version++ {
		n := 17 + 4*version + 8
		module := px(side / float64(n))
		if module < 1.5 {
			break // too small to read at this resolution
		}
		for _, shift := range [][2]float64{{0, 0}, {0, -0.5}, {0, 0.5}, {-0.5, 0}, {0.5, 0}, {-0.5, -0.5}, {0.5, 0.5}, {-0.5, 0.5}, {0.5, -0.5}, {0, -1}, {0, 1}, {-1, 0}, {1, 0}} {
			grid := make([][]bool, n)
			for i := range n {
				grid[i] = make([]bool, n)
				for j := range n {
					grid[i][j] = darkAt(page, px(x)+shift[0]+(float64(j)+0.5)*module, px(y)+shift[1]+(float64(i)+0.5)*module)
				}
			}
			if why := qrShape(grid); why != "" {
				last = fmt.Sprintf("as version %d: %s", version, why)
				continue
			}
			text, err := decode(moduleImage(grid), true)
			if err == nil {
				return text
			}
			last = fmt.Sprintf("as version %d: %v", version, err)
		}
	}
	t.Fatalf("no QR code reads in the %.1f mm square at (%.1f, %.1f) mm of the page; last try %s", side, x, y, last)
	return ""
}

// qrShape says what is wrong with a grid of n×n modules read as a QR code
// with its quiet zone: ink in the quiet zone, or a finder pattern (a dark
// ring of 7×7 modules round a light one round a dark 3×3 core) not whole.
// It returns "" when neither is.
func qrShape(grid [][]bool) string {
	n := len(grid)
	for i := range n {
		for j := range n {
			if grid[i][j] && (i < 4 || j < 4 || i >= n-4 || j >= n-4) {
				return "ink in the quiet zone"
			}
		}
	}
	for _, c := range [][2]int{{4, 4}, {4, n - 11}, {n - 11, 4}} {
		for i := range 7 {
			for j := range 7 {
				ring := max(abs(i-3), abs(j-3))
				if want := ring != 2; grid[c[0]+i][c[1]+j] != want {
					return "a finder pattern is not whole"
				}
			}
		}
	}
	return ""
}

// moduleImage draws a grid of modules at 4 pixels a module.
func moduleImage(grid [][]bool) image.Image {
	const scale = 4
	n := len(grid)
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for i := range n {
		for j := range n {
			if grid[i][j] {
				draw.Draw(img, image.Rect(j*scale, i*scale, (j+1)*scale, (i+1)*scale), image.Black, image.Point{}, draw.Src)
			}
		}
	}
	return img
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// darkAt says whether the pixel under (x, y) is darker than mid-grey.
func darkAt(page image.Image, x, y float64) bool {
	p := image.Point{int(x), int(y)}
	return p.In(page.Bounds()) && color.GrayModel.Convert(page.At(p.X, p.Y)).(color.Gray).Y < 128
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
