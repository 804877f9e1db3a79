package label

import (
	"bytes"
	"compress/zlib"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/millwa/millwa/gateway/label/labeltest"
)

const (
	lotName = "associations/0192d1a0-0000-7000-8000-000000000001/lots/0192d1a0-0000-7000-8000-00000000abcd"
	lotURL  = "https://millwa.example/v1/" + lotName + "#n=L-0042"
)

// sample is a measured lot whose names hold characters XML escapes and
// Spanish and Quechua letters.
func sample() Label {
	mfd := 27.4
	return Label{
		LotName:                  lotName,
		QRText:                   lotURL,
		LotID:                    "0192d1a0-0000-7000-8000-00000000abcd",
		LotNumber:                "L-0042",
		Product:                  Product,
		Standard:                 Text{"NTP 231.301:2014", "NTP 231.301:2014"},
		QualityGroup:             Text{"Alpaca Medium Fleece", "Alpaca Medium Fleece"},
		QualityGroupAbbreviation: "MF",
		Colour:                   Text{"Blanco", "White"},
		Breed:                    Text{"Huacaya", "Huacaya"},
		NetWeightGrams:           46005,
		Campaign:                 2026,
		Association:              `Asociación "Ñuñoa" & Hijos <Sur>`,
		RUC:                      "20448012345",
		Community:                "Comunidad Q'ero & Pitumarca",
		District:                 "Puno",
		Province:                 "Puno",
		Department:               "Puno",
		Ubigeo:                   "210101",
		CollectionPoint:          "Centro de acopio Ichu <km 12>",
		Classifier:               "María Ñahui Quispe",
		Certification:            "SINEACE-123",
		ClassificationDate:       "2026-11-20",
		MeanFiberDiameterUm:      &mfd,
	}
}

// wantTexts are texts the sample's label must show, each line Spanish then
// English, each value once.
var wantTexts = []string{
	"Fibra de alpaca clasificada / Classified alpaca fibre",
	"N.º de lote / Lot number L-0042",
	"Grupo de calidad / Quality group: Alpaca Medium Fleece",
	"Peso neto / Net weight",
	"MF",
	"46.01 kg",
	"Norma / Standard: NTP 231.301:2014 Color",
	"Color / Colour: Blanco / White",
	"Raza / Breed: Huacaya Diámetro",
	"Diámetro medio de fibra / Mean fibre diameter: 27.4 µm",
	"Código del lote / Lot id: 0192d1a0-0000-7000-8000-00000000abcd",
	"Campaña de esquila / Shearing season: 2026",
	`Asociación / Association: Asociación "Ñuñoa" & Hijos <Sur>`,
	"RUC / Taxpayer number: 20448012345",
	"Origen / Origin: Comunidad Q'ero & Pitumarca, Puno, Puno, Puno (ubigeo 210101)",
	"Centro de acopio / Collection point: Centro de acopio Ichu <km 12>",
	"Clasificador(a) / Classifier: María Ñahui Quispe",
	"N.º de certificado / Certificate number: SINEACE-123",
	"Fecha de clasificación / Classification date: 2026-11-20",
}

// svgTexts parses an SVG strictly and returns the text of each <text>
// element (its tspans included) and of <title>.
func svgTexts(t *testing.T, svg []byte) (texts []string, title string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	d.Strict = true
	var cur *strings.Builder
	inTitle := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			switch tok.Name.Local {
			case "text":
				cur = &strings.Builder{}
			case "title":
				inTitle = true
			}
		case xml.EndElement:
			switch tok.Name.Local {
			case "text":
				texts = append(texts, cur.String())
				cur = nil
			case "title":
				inTitle = false
			}
		case xml.CharData:
			if cur != nil {
				cur.Write(tok)
			}
			if inTitle {
				title += string(tok)
			}
		}
	}
	return texts, title
}

// joined is the label's texts as one string, lines joined by a space and
// runs of white space made one: wrapped lines read as one.
func joined(texts []string) string {
	return strings.Join(strings.Fields(strings.Join(texts, " ")), " ")
}

func TestSVGShowsEveryFieldInBothLanguages(t *testing.T) {
	t.Parallel()
	svg, err := SVG(sample())
	if err != nil {
		t.Fatal(err)
	}
	texts, title := svgTexts(t, svg)
	all := joined(texts)
	for _, want := range wantTexts {
		if !strings.Contains(all, want) {
			t.Errorf("the SVG does not show %q\ntexts: %s", want, all)
		}
	}
	// The link wraps after a slash.
	if !strings.Contains(strings.ReplaceAll(all, "/ ", "/"), "QR code: link to the lot: "+lotURL) {
		t.Errorf("the SVG does not print the QR code's text: %s", all)
	}
	if !strings.Contains(title, lotName) {
		t.Errorf("title %q does not name the lot", title)
	}
	// Escaped, never raw: the names cannot open elements or attributes.
	for _, raw := range []string{"<Sur>", "<km 12>", "& Hijos", `"Ñuñoa"`} {
		if bytes.Contains(svg, []byte(raw)) {
			t.Errorf("the SVG holds %q unescaped", raw)
		}
	}
	if !bytes.Contains(svg, []byte("Asociación &#34;Ñuñoa&#34; &amp; Hijos &lt;Sur&gt;")) {
		t.Errorf("the association's name is not escaped as expected")
	}
	for _, want := range []string{`width="210mm"`, `height="148.5mm"`, `viewBox="0 0 210 148.5"`} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("the SVG is not an A5 landscape page: no %s", want)
		}
	}
}

func TestSVGQRCodeDecodesToTheLotName(t *testing.T) {
	t.Parallel()
	svg, err := SVG(sample())
	if err != nil {
		t.Fatal(err)
	}
	if got := labeltest.DecodeSVGQR(t, svg); got != lotURL {
		t.Fatalf("QR code holds %q, want %q", got, lotURL)
	}
}

// pdfText inflates the PDF's compressed streams and returns them with the
// uncompressed parts.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	var b strings.Builder
	rest := pdf
	for {
		i := bytes.Index(rest, []byte("stream\n"))
		if i < 0 {
			break
		}
		b.Write(rest[:i])
		rest = rest[i+len("stream\n"):]
		j := bytes.Index(rest, []byte("endstream"))
		if j < 0 {
			t.Fatal("a stream has no end")
		}
		if r, err := zlib.NewReader(bytes.NewReader(rest[:j])); err == nil {
			inflated, _ := io.ReadAll(r)
			b.Write(inflated)
		}
		rest = rest[j+len("endstream"):]
	}
	b.Write(rest)
	return b.String()
}

func TestPDFIsAnA5PageWithTheTexts(t *testing.T) {
	t.Parallel()
	pdf, err := PDF(sample())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.HasSuffix(bytes.TrimSpace(pdf), []byte("%%EOF")) {
		t.Fatalf("not a PDF: %.40q … %q", pdf, pdf[max(0, len(pdf)-20):])
	}
	if len(pdf) < 3000 {
		t.Fatalf("PDF of %d bytes: too small to hold the label", len(pdf))
	}
	text := pdfText(t, pdf)
	// A5 landscape is 595.28 × 420.94 points.
	if !strings.Contains(text, "/MediaBox [0 0 595.28 420.94]") {
		t.Errorf("the page is not A5 landscape: %.300s", text)
	}
	if !strings.Contains(text, "/Subtype /Image") {
		t.Errorf("the PDF has no image (the QR code)")
	}
	// Texts are in code page 1252, each span a string of the content stream.
	all := pdfLines(text)
	tr := newMeasurer().tr
	for _, want := range wantTexts {
		if !strings.Contains(all, tr(want)) {
			t.Errorf("the PDF does not show %q\ntexts: %q", want, all)
		}
	}
}

var pdfShow = regexp.MustCompile(`BT [\d.]+ ([\d.]+) Td \((.*?)\) Tj ET`)

// pdfLines is the text the PDF shows, as joined does it for the SVG: the
// strings of each line (one baseline) run together, lines joined by a
// space.
func pdfLines(content string) string {
	var lines []string
	lastY := ""
	for _, m := range pdfShow.FindAllStringSubmatch(content, -1) {
		s := strings.NewReplacer(`\\`, `\`, `\(`, "(", `\)`, ")").Replace(m[2])
		if m[1] == lastY {
			lines[len(lines)-1] += s
			continue
		}
		lines, lastY = append(lines, s), m[1]
	}
	return joined(lines)
}

func TestPDFIsTheSameForTheSameLabel(t *testing.T) {
	t.Parallel()
	a, err := PDF(sample())
	if err != nil {
		t.Fatal(err)
	}
	b, err := PDF(sample())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("two PDFs of one label differ")
	}
}

func TestKilograms(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		grams int64
		want  string
	}{
		{46000, "46.00 kg"}, {1, "0.00 kg"}, {5, "0.01 kg"}, {1234, "1.23 kg"}, {1235, "1.24 kg"},
		{999995, "1000.00 kg"}, {100_000_000, "100000.00 kg"}, {0, "0.00 kg"},
	} {
		if got := Kilograms(tt.grams); got != tt.want {
			t.Errorf("Kilograms(%d) = %q, want %q", tt.grams, got, tt.want)
		}
	}
}

// TestLongTextsFitThePage fills every text to its API limit: the label
// shrinks its details, keeps every line inside the frame and clear of the
// QR code, and still shows every word.
func TestLongTextsFitThePage(t *testing.T) {
	t.Parallel()
	l := sample()
	long := strings.Repeat("Comunidad Campesina de Pichacani ", 7)[:200]
	l.Association, l.Community, l.CollectionPoint, l.Classifier = long, long, long, long
	l.LotNumber = strings.Repeat("9", 32)
	l.Certification = strings.Repeat("W", 60) // one word wider than a line
	l.District, l.Province = "Pichacani", "Puno"

	lo, err := l.place()
	if err != nil {
		t.Fatal(err)
	}
	pg := A5Landscape
	for _, ln := range lo.lines {
		if ln.x < margin-0.01 || ln.x+ln.width > pg.Width-margin+0.01 || ln.y > pg.Height-margin {
			t.Errorf("line %v at (%.1f, %.1f), %.1f mm wide, leaves the page", ln.spans, ln.x, ln.y, ln.width)
		}
		// A line whose letters reach into the QR code's band ends before it.
		if ln.y > lo.qrY && ln.y-ln.size*ptToMM < lo.qrY+lo.qrSide && ln.x+ln.width > lo.qrX {
			t.Errorf("line %v at (%.1f, %.1f), %.1f mm wide, runs into the QR code at x %.1f", ln.spans, ln.x, ln.y, ln.width, lo.qrX)
		}
	}
	svg, err := SVG(l)
	if err != nil {
		t.Fatal(err)
	}
	texts, _ := svgTexts(t, svg)
	all := joined(texts)
	for _, want := range []string{"Asociación / Association: " + strings.TrimSpace(long), "Origen / Origin: " + strings.TrimSpace(long) + ", Pichacani, Puno, Puno (ubigeo 210101)"} {
		if !strings.Contains(all, want) {
			t.Errorf("the SVG does not show %q\n%s", want, all)
		}
	}
	if !strings.Contains(strings.ReplaceAll(all, " ", ""), strings.Repeat("W", 60)) {
		t.Errorf("the cut word is lost: %s", all)
	}
	if _, err := PDF(l); err != nil {
		t.Fatal(err)
	}
	if got := labeltest.DecodeSVGQR(t, svg); got != lotURL {
		t.Fatalf("QR code holds %q, want %q", got, lotURL)
	}
}

var svgTextAttrs = regexp.MustCompile(`<text x="([\d.]+)" y="([\d.]+)" font-size="([\d.]+)" textLength="([\d.]+)" lengthAdjust="spacingAndGlyphs"`)

// TestSVGTextFitsItsFrame checks that every text of the SVG, long ones
// included, declares the width Helvetica's metrics give it and that this
// width ends inside the frame: a viewer whose font is wider squeezes the
// text into it.
func TestSVGTextFitsItsFrame(t *testing.T) {
	t.Parallel()
	l := sample()
	l.Association = strings.Repeat("Asociación de Productores Alpaqueros ", 5)
	l.LotNumber = "2026-000000123456"
	svg, err := SVG(l)
	if err != nil {
		t.Fatal(err)
	}
	texts, _ := svgTexts(t, svg)
	attrs := svgTextAttrs.FindAllStringSubmatch(string(svg), -1)
	if len(attrs) != len(texts) || len(texts) < 15 {
		t.Fatalf("%d texts, %d with a textLength: want every one to have it", len(texts), len(attrs))
	}
	frameRight := A5Landscape.Width - frameInset
	m := newMeasurer()
	for i, a := range attrs {
		x, _ := strconv.ParseFloat(a[1], 64)
		sizeMM, _ := strconv.ParseFloat(a[3], 64)
		w, _ := strconv.ParseFloat(a[4], 64)
		if x < frameInset || x+w > frameRight {
			t.Errorf("text %q runs from %.1f to %.1f mm, outside the frame (%.1f to %.1f)", texts[i], x, x+w, frameInset, frameRight)
		}
		// The declared width is the text's, as the PDF sets it: bold
		// captions and regular values measured apart.
		plain := m.width(texts[i], false, sizeMM/ptToMM)
		bold := m.width(texts[i], true, sizeMM/ptToMM)
		if w < plain*0.999 || w > bold*1.001 {
			t.Errorf("text %q declares %.2f mm, but measures %.2f (regular) to %.2f (bold)", texts[i], w, plain, bold)
		}
	}
}

// TestNothingIsPrintedTwice counts each value on the label: a name the
// same in both languages, the lot number, the group and the weight appear
// once.
func TestNothingIsPrintedTwice(t *testing.T) {
	t.Parallel()
	svg, err := SVG(sample())
	if err != nil {
		t.Fatal(err)
	}
	texts, _ := svgTexts(t, svg)
	// The link holds the lot number too, as its fragment.
	all := strings.ReplaceAll(strings.ReplaceAll(joined(texts), "/ ", "/"), lotURL, "")
	for _, once := range []string{"NTP 231.301:2014", "Huacaya", "Alpaca Medium Fleece", "L-0042", "46.01 kg", "Fibra de alpaca clasificada", "SINEACE-123"} {
		if n := strings.Count(all, once); n != 1 {
			t.Errorf("%q is printed %d times, want once\n%s", once, n, all)
		}
	}
	if got := (Text{"Huacaya", "Huacaya"}).String(); got != "Huacaya" {
		t.Errorf("a text the same in both languages prints as %q", got)
	}
}

func TestOptionalFieldsAreLeftOut(t *testing.T) {
	t.Parallel()
	l := sample()
	l.MeanFiberDiameterUm, l.LotNumber, l.Certification, l.CollectionPoint, l.Community = nil, "", "", "", ""
	l.Product = Text{}
	svg, err := SVG(l)
	if err != nil {
		t.Fatal(err)
	}
	texts, _ := svgTexts(t, svg)
	all := joined(texts)
	for _, absent := range []string{"Diámetro", "N.º de lote", "N.º de certificado", "Centro de acopio"} {
		if strings.Contains(all, absent) {
			t.Errorf("the label shows %q for an empty field", absent)
		}
	}
	for _, want := range []string{"Fibra de alpaca clasificada", "Origen / Origin: Puno, Puno, Puno (ubigeo 210101)"} {
		if !strings.Contains(all, want) {
			t.Errorf("the label does not show %q: %s", want, all)
		}
	}
}

func TestNoLotNameIsAnError(t *testing.T) {
	t.Parallel()
	l := sample()
	l.LotName = ""
	if _, err := SVG(l); err == nil {
		t.Error("SVG of a label without a lot name: no error")
	}
	if _, err := PDF(l); err == nil {
		t.Error("PDF of a label without a lot name: no error")
	}
}

// TestConcurrentRenders renders from many goroutines: run with -race, it
// shows that no render shares state with another.
func TestConcurrentRenders(t *testing.T) {
	t.Parallel()
	want, err := SVG(sample())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got, err := SVG(sample())
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("concurrent SVG differs: %v", err)
			}
			if _, err := PDF(sample()); err != nil {
				t.Errorf("concurrent PDF: %v", err)
			}
		})
	}
	wg.Wait()
}

// TestUnknownUbigeoShowsTheCode prints the origin of a code the server
// could not name as the code alone, and a named one as "district,
// province, department".
func TestUnknownUbigeoShowsTheCode(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		district, province, department, want string
	}{
		{"", "", "", "Origen / Origin: (ubigeo 210101) Centro"},
		{"Caracoto", "San Roman", "Puno", "Origen / Origin: Caracoto, San Roman, Puno (ubigeo 210101) Centro"},
	} {
		l := sample()
		l.Community, l.District, l.Province, l.Department = "", tt.district, tt.province, tt.department
		svg, err := SVG(l)
		if err != nil {
			t.Fatal(err)
		}
		texts, _ := svgTexts(t, svg)
		if all := joined(texts); !strings.Contains(all, tt.want) {
			t.Errorf("the label does not show %q\n%s", tt.want, all)
		}
	}
}

// TestGroupWithoutAbbreviation prints the Spanish name of a group the
// standard gives no abbreviation large and its English name in the
// caption, each once.
func TestGroupWithoutAbbreviation(t *testing.T) {
	t.Parallel()
	l := sample()
	l.QualityGroup, l.QualityGroupAbbreviation = Text{"Extrafina", "Extra fine"}, ""
	svg, err := SVG(l)
	if err != nil {
		t.Fatal(err)
	}
	texts, _ := svgTexts(t, svg)
	all := joined(texts)
	if !strings.Contains(all, "Grupo de calidad / Quality group: Extra fine") || strings.Count(all, "Extrafina") != 1 || !slices.Contains(texts, "Extrafina") {
		t.Errorf("want the caption to name the group in English and the Spanish name alone, large:\n%s", all)
	}
}

func TestBigWeight(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		grams int64
		want  string
	}{
		{46_005, "46.01"}, {1, "0.00"}, {99_994, "99.99"}, {99_995, "100"}, {100_000, "100"},
		{100_499, "100"}, {100_500, "101"}, {2_500_000, "2500"}, {12_345_678, "12346"}, {-150_500, "-151"},
	} {
		if got := BigWeight(tt.grams); got != tt.want {
			t.Errorf("BigWeight(%d) = %q, want %q", tt.grams, got, tt.want)
		}
	}
}
