package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"image"
	"image/color"
	"image/png"
	"mime"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"google.golang.org/grpc/codes"

	"github.com/millwa/millwa/internal/store/storetest"
)

// reportPagePath is the path of the season's report for Puno in the given
// format, with extra query parameters.
func (s season) reportPagePath(ext, extra string) string {
	q := url.Values{
		"region":    {"21"},
		"startTime": {s.start.UTC().Format(time.RFC3339Nano)},
		"endTime":   {s.end.UTC().Format(time.RFC3339Nano)},
	}
	return "/v1/audit/consistencyReport." + ext + "?" + q.Encode() + extra
}

// pageNodes parses an HTML page and returns its elements by id and all its
// elements in document order.
func pageNodes(t *testing.T, page []byte) (map[string]*html.Node, []*html.Node) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("parsing the report page: %v", err)
	}
	ids := map[string]*html.Node{}
	var all []*html.Node
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		all = append(all, n)
		for _, a := range n.Attr {
			if a.Key == "id" {
				ids[a.Val] = n
			}
		}
	}
	return ids, all
}

func nodeAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// nodeText is the text under n, runs of ASCII white space made one space;
// no-break spaces are kept, as they are part of how numbers are written.
func nodeText(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data + " ")
		}
	}
	return strings.Join(strings.FieldsFunc(b.String(), func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == '\r' }), " ")
}

// reportPageFacts is what the tests read of a report page.
type reportPageFacts struct {
	lang, scope   string
	heatMapCells  int
	diagonalCells int
	belowRows     [][]string // each row of the classifiers table: its cells' text
	cellFills     []string   // fills of the heat map's cells with checks
	outlineColour string
}

func readReportPage(t *testing.T, page []byte) reportPageFacts {
	t.Helper()
	ids, all := pageNodes(t, page)
	var f reportPageFacts
	for _, n := range all {
		if n.Data == "html" {
			f.lang = nodeAttr(n, "lang")
		}
	}
	if n, ok := ids["scope"]; ok {
		f.scope = nodeText(n)
	}
	heatMap, ok := ids["heatmap"]
	if !ok {
		t.Fatalf("the report page has no heat map (svg#heatmap):\n%.2000s", page)
	}
	for n := range heatMap.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch class := nodeAttr(n, "class"); {
		case n.Data == "rect" && strings.HasPrefix(class, "cell"):
			f.heatMapCells++
			if class == "cell diagonal" {
				f.diagonalCells++
			}
		case n.Data == "g" && class == "outline":
			f.outlineColour = nodeAttr(n, "stroke")
		}
	}
	// The counts are written in the cells' order; a cell with checks is
	// shaded, and its count is not "0".
	var cells, counts []*html.Node
	for n := range heatMap.Descendants() {
		if n.Type == html.ElementNode && n.Data == "rect" && strings.HasPrefix(nodeAttr(n, "class"), "cell") {
			cells = append(cells, n)
		}
		if n.Type == html.ElementNode && n.Data == "text" && nodeAttr(n, "font-size") == "16" {
			counts = append(counts, n)
		}
	}
	if len(cells) != len(counts) {
		t.Fatalf("%d heat map cells but %d counts", len(cells), len(counts))
	}
	for i, c := range cells {
		if nodeText(counts[i]) != "0" && !slices.Contains(f.cellFills, nodeAttr(c, "fill")) {
			f.cellFills = append(f.cellFills, nodeAttr(c, "fill"))
		}
	}
	if below, ok := ids["below"]; ok {
		for tr := range below.Descendants() {
			if tr.Type != html.ElementNode || tr.Data != "tr" {
				continue
			}
			var row []string
			for td := tr.FirstChild; td != nil; td = td.NextSibling {
				if td.Type == html.ElementNode && td.Data == "td" {
					row = append(row, nodeText(td))
				}
			}
			if row != nil {
				f.belowRows = append(f.belowRows, row)
			}
		}
	}
	return f
}

// TestConsistencyReportPages checks the report for people over real HTTP
// with an agency's key: the page and the CSV of the lenient season list
// the lenient classifier and draw the heat map, in Spanish by default and
// in English on request; another region's agency gets 404, an association
// 403 and a caller without a key 401, as JSON statuses. On SQLite the page
// is also rendered in headless Chromium (the subtest "chromium"): the page
// is the same whatever the database, and one browser run is enough.
func TestConsistencyReportPages(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		s := lenientSeason(t, dbURL)
		for _, tt := range []struct {
			extra, acceptLanguage, lang, scope, exact string
		}{
			{"", "", "es", "Región Puno (21)", "0,0\u00a0%"},
			{"&lang=en", "", "en", "Puno region (21)", "0.0%"},
			{"", "en-GB,en;q=0.9", "en", "Puno region (21)", "0.0%"},
		} {
			resp, page := getReport(t, s.ts, s.agencyKey, s.reportPagePath("html", tt.extra), tt.acceptLanguage)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
				t.Fatalf("the report page (%s): HTTP %d %s\n%.500s", tt.lang, resp.StatusCode, resp.Header.Get("Content-Type"), page)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			f := readReportPage(t, page)
			if f.lang != tt.lang || f.scope != tt.scope {
				t.Errorf("page in %q for %q, want %q for %q", f.lang, f.scope, tt.lang, tt.scope)
			}
			// pe-ntp-231-301-2014 has 7 groups: a 7 × 7 heat map.
			if f.heatMapCells != 49 || f.diagonalCells != 7 {
				t.Errorf("heat map of %d cells, %d on the diagonal; want 49 and 7", f.heatMapCells, f.diagonalCells)
			}
			if len(f.belowRows) != 1 || !s.namesLenient(f.belowRows[0][0]) || f.belowRows[0][1] != "20" || f.belowRows[0][2] != tt.exact {
				t.Errorf("classifiers below threshold %q, want the lenient %s alone, 20 checks, exact %s", f.belowRows, s.lenient, tt.exact)
			}
		}

		resp, body := getReport(t, s.ts, s.agencyKey, s.reportPagePath("csv", ""), "")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("the CSV: HTTP %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		disp, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
		fileName := "informe-consistencia_region-21_" + s.start.UTC().Format("2006-01-02") + "_" + s.end.UTC().Format("2006-01-02") + ".csv"
		if err != nil || disp != "attachment" || params["filename"] != fileName {
			t.Errorf("Content-Disposition %q, want attachment; filename=%s", resp.Header.Get("Content-Disposition"), fileName)
		}
		r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff"))))
		r.FieldsPerRecord = -1
		records, err := r.ReadAll()
		if err != nil {
			t.Fatalf("reading the CSV: %v\n%s", err, body)
		}
		section := func(title string) [][]string {
			for i, rec := range records {
				if len(rec) == 1 && rec[0] == title && i+2 < len(records) {
					return records[i+1:]
				}
			}
			t.Fatalf("the CSV has no section %q:\n%s", title, body)
			return nil
		}
		if overall := section("Resultados generales")[1]; !slices.Equal(overall[:7], []string{"60", "40", "66.67", "60", "100.00", "20", "0"}) {
			t.Errorf("overall statistics in the CSV: %q", overall)
		}
		if below := section("Clasificadores bajo el umbral"); below[1][0] != s.lenient || below[1][1] != "Clasificador 1" ||
			below[1][2] != s.f.assoc.GetLegalName() || below[1][3] != "20" || below[1][4] != "0" ||
			(len(below) > 2 && len(below[2]) > 1) {
			t.Errorf("classifiers below threshold in the CSV: %q, want the lenient %s alone", below, s.lenient)
		}
		if matrix := section("Matriz de confusión"); matrix[0][1] != "SUPER_BABY" || matrix[1][0] != "SUPER_BABY" || matrix[1][2] != "5" {
			t.Errorf("confusion matrix in the CSV: %q", matrix[:2])
		}

		for _, ext := range []string{"html", "csv"} {
			restError(t, "the Cusco agency's "+ext+" report on Puno", s.ts.restAs(t, s.cuscoKey, http.MethodGet, s.reportPagePath(ext, ""), ""),
				http.StatusNotFound, codes.NotFound)
			restError(t, "an association's "+ext+" report", s.ts.restAs(t, s.f.secret, http.MethodGet, s.reportPagePath(ext, ""), ""),
				http.StatusForbidden, codes.PermissionDenied)
			restError(t, "a "+ext+" report without a key", s.ts.restAs(t, "", http.MethodGet, s.reportPagePath(ext, ""), ""),
				http.StatusUnauthorized, codes.Unauthenticated)
		}
		st := restError(t, "a report page without a period", s.ts.restAs(t, s.agencyKey, http.MethodGet, "/v1/audit/consistencyReport.html?region=21", ""),
			http.StatusBadRequest, codes.InvalidArgument)
		if !strings.Contains(st.Message(), "start_time") {
			t.Errorf("a report page without a period: %q names no start_time", st.Message())
		}
		if strings.HasPrefix(dbURL, "sqlite:") {
			t.Run("chromium", func(t *testing.T) { renderInChromium(t, s) })
		}
	})
}

// getReport fetches a report page with the key and Accept-Language given
// ("" for none).
func getReport(t *testing.T, ts *testServer, key, path, acceptLanguage string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.baseURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return resp, b.Bytes()
}

// chromiumBinary finds Debian's chromium. Without it the test is skipped,
// unless CI=true: CI must run it.
func chromiumBinary(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatal("CI=true and neither chromium nor chromium-browser is on PATH: .ci/run must install Debian's chromium package (apt-get install -y chromium)")
	}
	t.Skip("skipping: neither chromium nor chromium-browser is on PATH (apt-get install -y chromium); CI=true makes this a failure")
	return ""
}

// chromiumTimeout bounds a Chromium run. One takes 5 to 15 s on a
// two-core machine; the margin is for a machine busy with the rest of the
// test suite.
const chromiumTimeout = 90 * time.Second

// screenshotCopy is where the latest screenshot of the report is kept for
// people to look at; the test logs it.
var screenshotCopy = filepath.Join(os.TempDir(), "millwa-report.png")

// renderInChromium renders the lenient season's report page in headless
// Chromium and checks that the page it loaded has the heat map and the
// lenient classifier, and that its screenshot shows the heat map: the
// diagonal's outline, in a colour used nowhere else, over a square the
// size of the 7 × 7 matrix, and within it every shade of a cell with
// checks.
func renderInChromium(t *testing.T, s season) {
	chromium := chromiumBinary(t)
	res := s.ts.restAs(t, s.agencyKey, http.MethodGet, s.reportPagePath("html", ""), "")
	if res.code != http.StatusOK {
		t.Fatalf("the report page: HTTP %d %s", res.code, res.body)
	}
	want := readReportPage(t, res.body)

	// The page needs the key, which a browser opening a URL would not
	// send: it is fetched here and opened from a file.
	dir := t.TempDir()
	page, shot := filepath.Join(dir, "report.html"), filepath.Join(dir, "report.png")
	if err := os.WriteFile(page, res.body, 0o600); err != nil {
		t.Fatal(err)
	}
	// The profile is outside t.TempDir: Chromium's helpers may still be
	// writing to it when the test ends, and the test must not fail on it.
	profile, err := os.MkdirTemp("", "millwa-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(profile) })

	ctx, cancel := context.WithTimeout(t.Context(), chromiumTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		// Exact colours at one pixel per CSS pixel, so the screenshot can
		// be checked for the page's colours.
		"--force-color-profile=srgb", "--force-device-scale-factor=1",
		"--user-data-dir="+profile, "--window-size=1200,1600",
		"--screenshot="+shot, "--dump-dom", (&url.URL{Scheme: "file", Path: page}).String())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	began := time.Now()
	if err := cmd.Run(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Fatalf("chromium did not finish within %v:\n%s", chromiumTimeout, stderr.String())
		}
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	t.Logf("chromium rendered the page in %v", time.Since(began).Round(time.Millisecond))

	// The DOM Chromium built holds the heat map and the lenient classifier.
	dom := readReportPage(t, stdout.Bytes())
	if dom.heatMapCells != 49 || dom.diagonalCells != 7 || len(dom.belowRows) != 1 || !s.namesLenient(dom.belowRows[0][0]) || dom.scope != "Región Puno (21)" {
		t.Errorf("chromium's DOM: %d heat map cells, %d diagonal, classifiers %q, scope %q; want 49, 7, the lenient %s, Región Puno (21)",
			dom.heatMapCells, dom.diagonalCells, dom.belowRows, dom.scope, s.lenient)
	}

	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("chromium wrote no screenshot: %v\n%s", err, stderr.String())
	}
	if err := os.WriteFile(screenshotCopy+".tmp", b, 0o644); err == nil && os.Rename(screenshotCopy+".tmp", screenshotCopy) == nil {
		t.Logf("screenshot of the report page: %s", screenshotCopy)
	} else {
		t.Logf("screenshot of the report page (removed with the test's directory): %s", shot)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if got := img.Bounds().Size(); got != image.Pt(1200, 1600) {
		t.Errorf("screenshot of %v, want 1200×1600", got)
	}
	count, bounds := pixelsOf(img)

	outline := hexColour(t, want.outlineColour)
	// Each diagonal outline is a 4 px frame inside a 62 px cell: 864
	// pixels, of which antialiasing may take a few.
	if n := count[outline]; n < 7*864*8/10 {
		t.Errorf("%d pixels of the diagonal's outline %s in the screenshot, want about %d", n, want.outlineColour, 7*864)
	}
	// The outlines span the 7 × 7 matrix of 64 px cells, less a 1 px
	// gutter on each side.
	if r := bounds[outline]; r.Dx() < 7*64-4 || r.Dx() > 7*64 || r.Dy() < 7*64-4 || r.Dy() > 7*64 {
		t.Errorf("the diagonal's outline spans %v in the screenshot, want a square of about %d px", r, 7*64-2)
	}
	if len(want.cellFills) < 3 {
		t.Fatalf("the heat map has %d shades of cells with checks, want the full and partial diagonal and off-diagonal ones", len(want.cellFills))
	}
	// Within that square, every shade of a cell with checks shows, over at
	// least most of a cell (62 × 62 px, its count and share written over
	// it). The legend below the matrix repeats some shades: it is left out.
	inMatrix, _ := pixelsOf(img, bounds[outline])
	for _, fill := range want.cellFills {
		if n := inMatrix[hexColour(t, fill)]; n < 1500 {
			t.Errorf("%d pixels of the heat map's shade %s in the matrix of the screenshot, want at least most of a cell", n, fill)
		}
	}
}

// pixelsOf counts the pixels of an image by colour, within the given
// rectangle (all of it when none is given), and finds the bounds of each
// colour.
func pixelsOf(img image.Image, within ...image.Rectangle) (map[color.RGBA]int, map[color.RGBA]image.Rectangle) {
	count := map[color.RGBA]int{}
	bounds := map[color.RGBA]image.Rectangle{}
	b := img.Bounds()
	for _, r := range within {
		b = b.Intersect(r)
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			count[c]++
			bounds[c] = bounds[c].Union(image.Rect(x, y, x+1, y+1))
		}
	}
	return count, bounds
}

// hexColour reads a #rrggbb colour as an opaque pixel.
func hexColour(t *testing.T, hex string) color.RGBA {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	if err != nil || len(hex) != 7 {
		t.Fatalf("%q is not a #rrggbb colour", hex)
	}
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

// namesLenient reports whether a cell of the page's classifiers table
// names the lenient classifier by its name and its association's, then by
// its resource name.
func (s season) namesLenient(cell string) bool {
	return strings.HasPrefix(cell, "Clasificador 1 · "+s.f.assoc.GetLegalName()) && strings.HasSuffix(cell, s.lenient)
}
