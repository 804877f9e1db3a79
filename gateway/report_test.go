package gateway

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// testGroups are the quality groups of pe-ntp-231-301-2014, finest first,
// then its short-fibre group.
var testGroups = []string{"SUPER_BABY", "BABY", "FLEECE", "MEDIUM_FLEECE", "HUARIZO", "COARSE", "SHORT"}

func reportTS(s string) *timestamppb.Timestamp {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return timestamppb.New(t)
}

// testStats is an AgreementStatistics with kappa and bias when given.
func testStats(checks, exact, adjacent, finer, coarser int32, kappa []float64, bias *float64) *millwav1.AgreementStatistics {
	s := &millwav1.AgreementStatistics{CheckCount: checks, ExactAgreementCount: exact, AdjacentAgreementCount: adjacent,
		DeclaredFinerCount: finer, DeclaredCoarserCount: coarser, MeanBiasUm: bias}
	if checks > 0 {
		s.ExactAgreementPercent = float64(exact) / float64(checks) * 100
		s.AdjacentAgreementPercent = float64(adjacent) / float64(checks) * 100
	}
	if len(kappa) == 3 {
		s.WeightedKappa, s.WeightedKappaCi95Low, s.WeightedKappaCi95High = &kappa[0], &kappa[1], &kappa[2]
	}
	return s
}

// testReport is a Puno season like the lenient classifier's: two accurate
// classifiers and one who declares one group finer than measured, plus a
// classifier whose kappa is undefined; checks in November, December,
// February (kappa undefined) and March, none in January.
func testReport() *millwav1.ConsistencyReport {
	rows := [][]int32{
		{0, 5, 0, 0, 0, 0, 0},
		{0, 10, 5, 0, 0, 0, 0},
		{0, 0, 10, 5, 0, 0, 0},
		{0, 0, 0, 10, 5, 0, 0},
		{0, 0, 0, 0, 10, 0, 0},
		{0, 0, 0, 0, 0, 0, 0},
		{0, 0, 0, 0, 0, 0, 0},
	}
	m := &millwav1.ConfusionMatrix{QualityGroups: testGroups}
	for i, r := range rows {
		m.Rows = append(m.Rows, &millwav1.ConfusionMatrixRow{DeclaredQualityGroup: testGroups[i], CheckedCounts: r})
	}
	month := func(start, end string, s *millwav1.AgreementStatistics) *millwav1.PeriodAgreement {
		return &millwav1.PeriodAgreement{StartTime: reportTS(start), EndTime: reportTS(end), Statistics: s}
	}
	return &millwav1.ConsistencyReport{
		Scope:     &millwav1.ConsistencyReport_Region{Region: "21"},
		StartTime: reportTS("2025-11-01T00:00:00Z"), EndTime: reportTS("2026-04-01T00:00:00Z"),
		Standard: "standards/pe-ntp-231-301-2014", KappaThreshold: 0.6, ComputeTime: reportTS("2026-04-02T13:45:09Z"),
		LotCount: 64, ClassifierCount: 4, BorderlineCount: 3, OtherStandardCheckCount: 2,
		Overall:         testStats(60, 40, 60, 20, 0, []float64{0.8567, 0.7712, 0.9423}, proto.Float64(0.8512)),
		ConfusionMatrix: m,
		ClassifiersBelowThreshold: []*millwav1.ClassifierConsistency{
			{Classifier: "associations/apa-nuevo-amanecer/classifiers/c-undefined", Statistics: testStats(1, 0, 1, 1, 0, nil, proto.Float64(1.2))},
			{Classifier: "associations/apa-nuevo-amanecer/classifiers/c-lenient", Statistics: testStats(20, 0, 20, 20, 0, []float64{0.5534, 0.4101, 0.6967}, proto.Float64(1.4))},
		},
		MonthlyAgreement: []*millwav1.PeriodAgreement{
			month("2025-11-01T00:00:00Z", "2025-12-01T00:00:00Z", testStats(20, 15, 20, 5, 0, []float64{0.88, 0.8, 0.96}, proto.Float64(0.5))),
			month("2025-12-01T00:00:00Z", "2026-01-01T00:00:00Z", testStats(20, 12, 20, 8, 0, []float64{0.79, 0.7, 0.88}, proto.Float64(0.9))),
			month("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", testStats(0, 0, 0, 0, 0, nil, nil)),
			month("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z", testStats(1, 1, 1, 0, 0, nil, proto.Float64(0))),
			month("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", testStats(19, 12, 19, 7, 0, []float64{-0.12, -0.3, 0.06}, proto.Float64(-0.25))),
		},
	}
}

// render renders a report with the given renderer, failing t on error.
func render(t *testing.T, fn func(io.Writer, *millwav1.ConsistencyReport, *reportLang) error, r *millwav1.ConsistencyReport, l *reportLang) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := fn(&b, r, l); err != nil {
		t.Fatalf("rendering: %v", err)
	}
	return b.Bytes()
}

// parsePage parses a page as a browser would.
func parsePage(t *testing.T, page []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("parsing the page: %v", err)
	}
	return doc
}

// elements returns the elements under n named name ("" for all), in
// document order.
func elements(n *html.Node, name string) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && (name == "" || d.Data == name) {
			out = append(out, d)
		}
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// byID returns the element with the id, failing t when there is none.
func byID(t *testing.T, doc *html.Node, id string) *html.Node {
	t.Helper()
	for _, e := range elements(doc, "") {
		if attr(e, "id") == id {
			return e
		}
	}
	t.Fatalf("the page has no element with id %q", id)
	return nil
}

// textOf is the text of n and its descendants, runs of ASCII white space
// made one space (no-break spaces are kept: they are part of the format).
func textOf(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.Join(strings.FieldsFunc(b.String(), func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == '\r' }), " ")
}

// tableRows returns the text of each cell of each row of a table.
func tableRows(table *html.Node) [][]string {
	var rows [][]string
	for _, tr := range elements(table, "tr") {
		var cells []string
		for c := tr.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
				cells = append(cells, textOf(c))
			}
		}
		rows = append(rows, cells)
	}
	return rows
}

// svgDoc is the part of the page's SVG drawings the tests read.
type svgDoc struct {
	ID     string     `xml:"id,attr"`
	Title  string     `xml:"title"`
	Desc   string     `xml:"desc"`
	Texts  []svgText  `xml:"text"`
	Groups []svgGroup `xml:"g"`
}

type svgGroup struct {
	Class     string    `xml:"class,attr"`
	Stroke    string    `xml:"stroke,attr"`
	Rects     []svgRect `xml:"rect"`
	Texts     []svgText `xml:"text"`
	Polylines []struct {
		Points string `xml:"points,attr"`
	} `xml:"polyline"`
	Circles []struct {
		CY    float64 `xml:"cy,attr"`
		Title string  `xml:"title"`
	} `xml:"circle"`
}

type svgRect struct {
	Class string  `xml:"class,attr"`
	Fill  string  `xml:"fill,attr"`
	X     float64 `xml:"x,attr"`
	Y     float64 `xml:"y,attr"`
	W     float64 `xml:"width,attr"`
	H     float64 `xml:"height,attr"`
	Title string  `xml:"title"`
}

type svgText struct {
	Fill     string `xml:"fill,attr"`
	FontSize string `xml:"font-size,attr"`
	Text     string `xml:",chardata"`
	Title    string `xml:"title"`
}

func (d svgDoc) group(t *testing.T, class string) svgGroup {
	t.Helper()
	for _, g := range d.Groups {
		if g.Class == class {
			return g
		}
	}
	t.Fatalf("svg %s has no group %q", d.ID, class)
	return svgGroup{}
}

var svgElement = regexp.MustCompile(`(?s)<svg\b.*?</svg>`)

// pageSVGs checks that every SVG drawing of a page is well-formed XML on
// its own (strictly decoded, as a file saved from the page would be read)
// and returns them by id.
func pageSVGs(t *testing.T, page []byte) map[string]svgDoc {
	t.Helper()
	out := map[string]svgDoc{}
	for _, raw := range svgElement.FindAll(page, -1) {
		d := xml.NewDecoder(bytes.NewReader(raw))
		d.Strict = true
		for {
			_, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("an SVG of the page is not well-formed XML: %v\n%.300s", err, raw)
			}
		}
		var doc svgDoc
		if err := xml.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("decoding an SVG of the page: %v", err)
		}
		out[doc.ID] = doc
	}
	return out
}

func TestReportHTMLInBothLanguages(t *testing.T) {
	t.Parallel()
	const nb = "\u00a0"
	for _, tt := range []struct {
		lang                                   *reportLang
		title, scope, period                   string
		overall                                [][]string
		kappa, bias, undefined, lenientKappa   string
		months                                 []string
		threshold, lenientExact, lenientChecks string
	}{
		{
			lang: spanish, title: "Informe de consistencia de la clasificación", scope: "Región Puno (21)",
			period: "2025-11-01 00:00 UTC – 2026-04-01 00:00 UTC (fin excluido)",
			overall: [][]string{
				{"Verificaciones", "60"}, {"Acuerdo exacto", "66,7" + nb + "% (40)"}, {"Acuerdo adyacente (±1 grupo)", "100,0" + nb + "% (60)"},
				{"Declarado más fino que lo medido", "20"}, {"Declarado más grueso que lo medido", "0"},
				{"Kappa ponderado cuadrático (IC 95" + nb + "%)", "0,86 (0,77" + nb + "–" + nb + "0,94)"}, {"Sesgo medio", "+0,85" + nb + "µm"},
			},
			kappa: "0,86 (0,77" + nb + "–" + nb + "0,94)", bias: "+0,85" + nb + "µm", undefined: "no definido",
			lenientKappa: "0,55 (0,41" + nb + "–" + nb + "0,70)", months: []string{"nov 2025", "dic 2025", "ene 2026", "feb 2026", "mar 2026"},
			threshold: "0,60", lenientExact: "0,0" + nb + "%", lenientChecks: "20",
		},
		{
			lang: english, title: "Grading consistency report", scope: "Puno region (21)",
			period: "2025-11-01 00:00 UTC – 2026-04-01 00:00 UTC (end exclusive)",
			overall: [][]string{
				{"Checks", "60"}, {"Exact agreement", "66.7% (40)"}, {"Adjacent agreement (±1 group)", "100.0% (60)"},
				{"Declared finer than measured", "20"}, {"Declared coarser than measured", "0"},
				{"Quadratic-weighted kappa (95% CI)", "0.86 (0.77" + nb + "–" + nb + "0.94)"}, {"Mean bias", "+0.85" + nb + "µm"},
			},
			kappa: "0.86 (0.77" + nb + "–" + nb + "0.94)", bias: "+0.85" + nb + "µm", undefined: "undefined",
			lenientKappa: "0.55 (0.41" + nb + "–" + nb + "0.70)", months: []string{"Nov 2025", "Dec 2025", "Jan 2026", "Feb 2026", "Mar 2026"},
			threshold: "0.60", lenientExact: "0.0%", lenientChecks: "20",
		},
	} {
		t.Run(tt.lang.code, func(t *testing.T) {
			t.Parallel()
			page := render(t, renderReportHTML, testReport(), tt.lang)
			doc := parsePage(t, page)
			if lang := attr(elements(doc, "html")[0], "lang"); lang != tt.lang.code {
				t.Errorf("html lang %q, want %q", lang, tt.lang.code)
			}
			if got, want := textOf(elements(doc, "title")[0]), tt.title+" — "+tt.scope; got != want {
				t.Errorf("title %q, want %q", got, want)
			}
			if got := textOf(elements(doc, "h1")[0]); got != tt.title {
				t.Errorf("h1 %q, want %q", got, tt.title)
			}
			if got := textOf(byID(t, doc, "scope")); got != tt.scope {
				t.Errorf("scope %q, want %q", got, tt.scope)
			}
			if got := textOf(byID(t, doc, "period")); got != tt.period {
				t.Errorf("period %q, want %q", got, tt.period)
			}
			meta := textOf(elements(doc, "dl")[0])
			for _, want := range []string{"standards/pe-ntp-231-301-2014", "2026-04-02 13:45 UTC", tt.threshold} {
				if !strings.Contains(meta, want) {
					t.Errorf("the header block %q lacks %q", meta, want)
				}
			}
			overall := elements(byID(t, doc, "overall"), "table")[0]
			if got := tableRows(overall); !slices.EqualFunc(got, tt.overall, slices.Equal) {
				t.Errorf("overall statistics\n got %q\nwant %q", got, tt.overall)
			}
			below := tableRows(elements(byID(t, doc, "below"), "table")[0])
			if len(below) != 3 {
				t.Fatalf("classifiers below threshold: %q, want a header and 2 rows", below)
			}
			// Worst first, as the server ordered them: undefined kappa first.
			if below[1][0] != "associations/apa-nuevo-amanecer/classifiers/c-undefined" || below[1][6] != tt.undefined {
				t.Errorf("first classifier row %q, want c-undefined with kappa %q", below[1], tt.undefined)
			}
			if got := below[2]; got[0] != "associations/apa-nuevo-amanecer/classifiers/c-lenient" || got[1] != tt.lenientChecks ||
				got[2] != tt.lenientExact || got[6] != tt.lenientKappa {
				t.Errorf("second classifier row %q, want c-lenient, %s checks, exact %s, kappa %s", got, tt.lenientChecks, tt.lenientExact, tt.lenientKappa)
			}
			svgs := pageSVGs(t, page)
			if _, ok := svgs["heatmap"]; !ok {
				t.Error("the page has no heat map")
			}
			var months []string
			for _, m := range svgs["monthly-chart"].group(t, "months").Texts {
				months = append(months, m.Text)
			}
			if !slices.Equal(months, tt.months) {
				t.Errorf("month labels %q, want %q", months, tt.months)
			}
		})
	}
}

// TestReportHTMLIsSelfContained checks that the page loads nothing from
// elsewhere and runs nothing, and carries its own policy for when it is
// saved and opened from disk.
func TestReportHTMLIsSelfContained(t *testing.T) {
	t.Parallel()
	for _, l := range []*reportLang{spanish, english} {
		page := render(t, renderReportHTML, testReport(), l)
		doc := parsePage(t, page)
		for _, e := range elements(doc, "") {
			switch e.Data {
			case "script", "link", "img", "iframe", "object", "embed", "base", "form", "image", "use", "foreignObject", "a":
				t.Errorf("%s: the page has a <%s> element", l.code, e.Data)
			}
			for _, a := range e.Attr {
				if a.Key == "src" || a.Key == "href" || a.Key == "style" || strings.HasPrefix(a.Key, "on") || strings.HasSuffix(a.Key, ":href") {
					t.Errorf("%s: <%s> has the attribute %s=%q", l.code, e.Data, a.Key, a.Val)
				}
			}
		}
		var csp string
		for _, m := range elements(doc, "meta") {
			if attr(m, "http-equiv") == "Content-Security-Policy" {
				csp = attr(m, "content")
			}
		}
		if csp != reportCSP || !strings.HasPrefix(csp, "default-src 'none'") {
			t.Errorf("%s: the page's own policy is %q, want %q", l.code, csp, reportCSP)
		}
		if bytes.Contains(page, []byte("url(")) || bytes.Contains(page, []byte("@import")) {
			t.Errorf("%s: the style loads something", l.code)
		}
		if n := bytes.Count(page, []byte("://")); n != bytes.Count(page, []byte(`xmlns="http://www.w3.org/2000/svg"`)) {
			t.Errorf("%s: the page names an address other than the SVG namespace", l.code)
		}
	}
}

// hostile is a string that would be markup, a formula or both, were it not
// escaped.
const hostile = `<script>alert("x")</script>&amp;'"]]></svg><img src=x onerror=alert(1)>`

func hostileReport() *millwav1.ConsistencyReport {
	r := testReport()
	r.Scope = &millwav1.ConsistencyReport_Association{Association: "associations/" + hostile}
	r.Standard = "standards/" + hostile
	groups := slices.Clone(testGroups)
	groups[1] = "B" + hostile
	r.ConfusionMatrix.QualityGroups = groups
	r.ConfusionMatrix.Rows[1].DeclaredQualityGroup = groups[1]
	r.ClassifiersBelowThreshold[0].Classifier = "=HYPERLINK(\"http://evil.example\",\"x\")" + hostile
	return r
}

func TestReportHTMLEscapesHostileStrings(t *testing.T) {
	t.Parallel()
	for _, l := range []*reportLang{spanish, english} {
		page := render(t, renderReportHTML, hostileReport(), l)
		for _, bad := range []string{"<script", "<img", "]]></svg>"} {
			if bytes.Contains(page, []byte(bad)) {
				t.Errorf("%s: the page contains %q unescaped", l.code, bad)
			}
		}
		doc := parsePage(t, page)
		for _, e := range elements(doc, "") {
			if e.Data == "script" || e.Data == "img" {
				t.Errorf("%s: a hostile string became a <%s> element", l.code, e.Data)
			}
		}
		// Escaped, the strings read as they are.
		if got, want := textOf(byID(t, doc, "scope")), fmt.Sprintf(l.text.ScopeAssociationF, "associations/"+hostile); got != want {
			t.Errorf("%s: scope %q, want %q", l.code, got, want)
		}
		if got := textOf(elements(byID(t, doc, "below"), "code")[0]); !strings.HasSuffix(got, hostile) {
			t.Errorf("%s: classifier %q, want it to end with the hostile string", l.code, got)
		}
		svgs := pageSVGs(t, page) // well-formed despite the strings
		hm := svgs["heatmap"]
		cols := hm.group(t, "columns").Texts
		if cols[1].Title != "B"+hostile || cols[1].Text != truncate("B"+hostile, heatMaxLabel) {
			t.Errorf("%s: hostile column label %q (title %q)", l.code, cols[1].Text, cols[1].Title)
		}
		if !strings.Contains(hm.Desc, "B"+hostile) {
			t.Errorf("%s: the heat map's description %q lacks the hostile group", l.code, hm.Desc)
		}
	}
}

// luminance is the relative brightness of a #rrggbb colour.
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	if err != nil || len(hex) != 7 {
		t.Fatalf("%q is not a #rrggbb colour", hex)
	}
	return 0.2126*float64(v>>16) + 0.7152*float64(v>>8&0xff) + 0.0722*float64(v&0xff)
}

func TestReportHeatMap(t *testing.T) {
	t.Parallel()
	r := testReport()
	hm := pageSVGs(t, render(t, renderReportHTML, r, spanish))["heatmap"]
	if hm.Title != spanish.text.MatrixTitle || !strings.Contains(hm.Desc, "7 grupos de calidad") ||
		!strings.Contains(hm.Desc, "De 60 verificaciones, 40 en la diagonal") {
		t.Errorf("title %q, desc %q", hm.Title, hm.Desc)
	}
	n := len(testGroups)
	var rowLabels, colLabels []string
	for _, x := range hm.group(t, "rows").Texts[:n] {
		rowLabels = append(rowLabels, x.Text)
	}
	for _, x := range hm.group(t, "columns").Texts[:n] {
		colLabels = append(colLabels, x.Text)
	}
	if !slices.Equal(rowLabels, testGroups) || !slices.Equal(colLabels, testGroups) {
		t.Errorf("axis labels: rows %q, columns %q, want %q", rowLabels, colLabels, testGroups)
	}

	cells := hm.group(t, "cells").Rects
	if len(cells) != n*n {
		t.Fatalf("%d cells, want %d", len(cells), n*n)
	}
	var counts []svgText
	for _, x := range hm.group(t, "counts").Texts {
		if x.FontSize == "16" {
			counts = append(counts, x)
		}
	}
	if len(counts) != n*n {
		t.Fatalf("%d counts written, want %d", len(counts), n*n)
	}
	cell := func(i, j int) svgRect { return cells[i*n+j] }
	for i, row := range r.GetConfusionMatrix().GetRows() {
		for j, c := range row.GetCheckedCounts() {
			got := cell(i, j)
			if (got.Class == "cell diagonal") != (i == j) {
				t.Errorf("cell %d,%d has class %q", i, j, got.Class)
			}
			if counts[i*n+j].Text != strconv.Itoa(int(c)) {
				t.Errorf("cell %d,%d shows %q, want %d", i, j, counts[i*n+j].Text, c)
			}
			if c == 0 && got.Fill != heatEmpty.String() {
				t.Errorf("empty cell %d,%d filled %s", i, j, got.Fill)
			}
			if !strings.Contains(got.Title, testGroups[i]) || !strings.Contains(got.Title, testGroups[j]) {
				t.Errorf("cell %d,%d title %q names neither group", i, j, got.Title)
			}
		}
	}
	// Shading: a whole row on the diagonal is the full green, a whole row
	// off it the full orange; a smaller share is paler, in the same hue.
	if got := cell(4, 4).Fill; got != heatAgree.String() {
		t.Errorf("HUARIZO, all on the diagonal: fill %s, want %s", got, heatAgree)
	}
	if got := cell(0, 1).Fill; got != heatDisagree.String() {
		t.Errorf("SUPER_BABY declared, all checked BABY: fill %s, want %s", got, heatDisagree)
	}
	if luminance(t, cell(1, 1).Fill) <= luminance(t, cell(4, 4).Fill) {
		t.Errorf("a 2/3 diagonal cell (%s) is not paler than a full one (%s)", cell(1, 1).Fill, cell(4, 4).Fill)
	}
	if luminance(t, cell(1, 2).Fill) <= luminance(t, cell(0, 1).Fill) {
		t.Errorf("a 1/3 off-diagonal cell (%s) is not paler than a full one (%s)", cell(1, 2).Fill, cell(0, 1).Fill)
	}
	if cell(1, 1).Fill == cell(1, 2).Fill || luminance(t, cell(1, 1).Fill) >= luminance(t, cell(1, 2).Fill) {
		t.Errorf("the diagonal (%s) does not stand out from the rest of its row (%s)", cell(1, 1).Fill, cell(1, 2).Fill)
	}
	if counts[4*n+4].Fill != heatLightText || counts[1*n+2].Fill != heatDarkText {
		t.Errorf("count colours %s on the full cell, %s on a pale one", counts[4*n+4].Fill, counts[1*n+2].Fill)
	}
	// The diagonal is outlined, each outline inside its cell.
	outline := hm.group(t, "outline")
	if outline.Stroke != heatDiagonal.String() || len(outline.Rects) != n {
		t.Fatalf("outline: stroke %s, %d rects; want %s, %d", outline.Stroke, len(outline.Rects), heatDiagonal, n)
	}
	for i, o := range outline.Rects {
		c := cell(i, i)
		half := float64(heatOutline) / 2
		if o.X-half < c.X || o.Y-half < c.Y || o.X+o.W+half > c.X+c.W || o.Y+o.H+half > c.Y+c.H {
			t.Errorf("outline %d %+v is not inside its cell %+v", i, o, c)
		}
	}
	var totals []string
	for _, x := range hm.group(t, "totals").Texts {
		totals = append(totals, x.Text)
	}
	if want := []string{"5", "15", "15", "15", "10", "0", "0", "0", "15", "15", "15", "15", "0", "0"}; !slices.Equal(totals, want) {
		t.Errorf("row then column totals %q, want %q", totals, want)
	}
}

func TestReportMonthlyChart(t *testing.T) {
	t.Parallel()
	chart := pageSVGs(t, render(t, renderReportHTML, testReport(), english))["monthly-chart"]
	if chart.Title != "Agreement by month" || chart.Desc != "5 months, 4 with checks." {
		t.Errorf("title %q, desc %q", chart.Title, chart.Desc)
	}
	gaps := chart.group(t, "gaps").Rects
	if len(gaps) != 1 || gaps[0].Title != "Jan 2026: no checks" {
		t.Errorf("gaps %+v, want January alone", gaps)
	}
	bars := chart.group(t, "bars").Rects
	if len(bars) != 8 {
		t.Fatalf("%d bars, want exact and adjacent for each of 4 months with checks", len(bars))
	}
	// November: 75 % exact, 100 % adjacent; the bars share a baseline.
	exact, adjacent := bars[0], bars[1]
	if exact.Class != "bar exact" || adjacent.Class != "bar adjacent" || exact.Fill == adjacent.Fill {
		t.Errorf("November's bars %+v %+v", exact, adjacent)
	}
	if r := exact.H / adjacent.H; r < 0.74 || r > 0.76 || exact.Y+exact.H != adjacent.Y+adjacent.H {
		t.Errorf("November's exact bar is %.3f of the adjacent one, want 0.75 on the same baseline", r)
	}
	if december, february := bars[3], bars[4]; december.X+december.W > gaps[0].X || february.X < gaps[0].X+gaps[0].W {
		t.Errorf("the gap %+v is not between December's bars and February's", gaps[0])
	}
	// The kappa line: November–December joined; February undefined and
	// January empty break it; March alone is a dot.
	k := chart.group(t, "kappa")
	if len(k.Polylines) != 1 || len(strings.Fields(k.Polylines[0].Points)) != 2 || len(k.Circles) != 3 {
		t.Fatalf("kappa: %d lines %+v, %d dots; want one line of 2 points and 3 dots", len(k.Polylines), k.Polylines, len(k.Circles))
	}
	if mid := (bars[0].Y + bars[0].H) - adjacent.H/2; k.Circles[2].CY <= mid || k.Circles[0].CY >= mid {
		t.Errorf("kappa dots at %v, %v: March (−0.12) should be below the zero line at %v and November (0.88) above", k.Circles[2].CY, k.Circles[0].CY, mid)
	}
	if !strings.Contains(k.Circles[2].Title, "kappa -0.12") {
		t.Errorf("March's tooltip %q", k.Circles[2].Title)
	}
}

func TestReportMonthlyChartOverFiveYears(t *testing.T) {
	t.Parallel()
	r := testReport()
	r.MonthlyAgreement = nil
	start := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 61 {
		s := testStats(int32(i%3), int32(i%3), int32(i%3), 0, 0, []float64{0.5, 0.4, 0.6}, nil)
		if i%3 == 0 {
			s = testStats(0, 0, 0, 0, 0, nil, nil)
		}
		r.MonthlyAgreement = append(r.MonthlyAgreement, &millwav1.PeriodAgreement{
			StartTime: timestamppb.New(start.AddDate(0, i, 0)), EndTime: timestamppb.New(start.AddDate(0, i+1, 0)), Statistics: s})
	}
	chart := pageSVGs(t, render(t, renderReportHTML, r, spanish))["monthly-chart"]
	if n := len(chart.group(t, "months").Texts); n > chartLabels || n < 10 {
		t.Errorf("%d month labels for 61 months, want at most %d", n, chartLabels)
	}
	if n := len(chart.group(t, "gaps").Rects); n != 21 {
		t.Errorf("%d gaps, want 21", n)
	}
	for _, b := range chart.group(t, "bars").Rects {
		if b.X < chartLeft || b.X+b.W > chartWidth-chartRight || b.W <= 0 {
			t.Fatalf("bar %+v outside the plot", b)
		}
	}
	if n := len(chart.group(t, "kappa").Polylines); n != 20 {
		t.Errorf("%d kappa runs, want 20 (each pair of months between gaps)", n)
	}
}

// TestReportWithoutChecks renders a report of a scope and period with no
// checks, a standard without groups and no month: every part says so.
func TestReportWithoutChecks(t *testing.T) {
	t.Parallel()
	r := &millwav1.ConsistencyReport{
		Scope:     &millwav1.ConsistencyReport_Region{Region: "210101"},
		StartTime: reportTS("2026-01-10T00:00:00Z"), EndTime: reportTS("2026-01-10T00:00:00Z"),
		Standard: "standards/x", KappaThreshold: 0.6, Overall: &millwav1.AgreementStatistics{},
	}
	for _, l := range []*reportLang{spanish, english} {
		page := render(t, renderReportHTML, r, l)
		doc := parsePage(t, page)
		body := textOf(doc)
		for _, want := range []string{l.text.NoChecksPeriod, l.text.NoGroups, l.text.NoMonths, l.text.NoneBelow, fmt.Sprintf(l.text.ScopeUbigeoF, "210101", "Puno")} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the page lacks %q", l.code, want)
			}
		}
		if got := textOf(byID(t, doc, "overall-kappa")); got != l.text.Undefined {
			t.Errorf("%s: kappa %q, want %q", l.code, got, l.text.Undefined)
		}
		if got := textOf(byID(t, doc, "overall-bias")); got != l.text.Undefined {
			t.Errorf("%s: bias %q, want %q", l.code, got, l.text.Undefined)
		}
		if len(pageSVGs(t, page)) != 0 {
			t.Errorf("%s: drawings without data", l.code)
		}
		records := readReportCSV(t, render(t, renderReportCSV, r, l))
		if got := csvSection(t, records, l.text.Overall); !slices.Equal(got[1], []string{"0", "0", "0.00", "0", "0.00", "0", "0", "", "", "", ""}) {
			t.Errorf("%s: overall row %q", l.code, got[1])
		}
	}
}

func TestReportScopeText(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scope  any
		es, en string
	}{
		{&millwav1.ConsistencyReport_Region{Region: "08"}, "Región Cusco (08)", "Cusco region (08)"},
		{&millwav1.ConsistencyReport_Region{Region: "2101"}, "Ubigeo 2101 (Puno)", "Ubigeo 2101 (Puno)"},
		{&millwav1.ConsistencyReport_Region{Region: "99"}, "Región 99", "Region 99"},
		{&millwav1.ConsistencyReport_Association{Association: "associations/a"}, "Asociación associations/a", "Association associations/a"},
		{&millwav1.ConsistencyReport_Classifier{Classifier: "associations/a/classifiers/c"}, "Clasificador associations/a/classifiers/c", "Classifier associations/a/classifiers/c"},
		{nil, "ámbito no indicado", "no scope given"},
	} {
		r := &millwav1.ConsistencyReport{}
		switch s := tt.scope.(type) {
		case *millwav1.ConsistencyReport_Region:
			r.Scope = s
		case *millwav1.ConsistencyReport_Association:
			r.Scope = s
		case *millwav1.ConsistencyReport_Classifier:
			r.Scope = s
		}
		if es, en := scopeText(r, spanish), scopeText(r, english); es != tt.es || en != tt.en {
			t.Errorf("scope %v: %q / %q, want %q / %q", tt.scope, es, en, tt.es, tt.en)
		}
	}
}

func TestReportNumberFormats(t *testing.T) {
	t.Parallel()
	const nb = "\u00a0"
	for _, tt := range []struct {
		name   string
		format func(*reportLang) string
		es, en string
	}{
		{"fixed", func(l *reportLang) string { return l.fixed(1234.5, 1) }, "1234,5", "1234.5"},
		{"negative", func(l *reportLang) string { return l.fixed(-0.126, 2) }, "-0,13", "-0.13"},
		{"percent", func(l *reportLang) string { return l.pct(200.0 / 3) }, "66,7" + nb + "%", "66.7%"},
		{"kappa", func(l *reportLang) string { return l.optional(proto.Float64(0.6), 2) }, "0,60", "0.60"},
		{"undefined kappa", func(l *reportLang) string { return l.optional(nil, 2) }, "no definido", "undefined"},
		{"kappa with interval", func(l *reportLang) string {
			return l.kappaWithCI(testStats(10, 5, 8, 0, 0, []float64{-0.05, -0.4, 0.3}, nil))
		}, "-0,05 (-0,40" + nb + "–" + nb + "0,30)", "-0.05 (-0.40" + nb + "–" + nb + "0.30)"},
		{"bias above", func(l *reportLang) string { return l.biasUm(proto.Float64(1.234)) }, "+1,23" + nb + "µm", "+1.23" + nb + "µm"},
		{"bias below", func(l *reportLang) string { return l.biasUm(proto.Float64(-0.5)) }, "-0,50" + nb + "µm", "-0.50" + nb + "µm"},
		{"bias none", func(l *reportLang) string { return l.biasUm(nil) }, "no definido", "undefined"},
		{"month", func(l *reportLang) string { return l.monthName(time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)) }, "ago 2026", "Aug 2026"},
	} {
		if es, en := tt.format(spanish), tt.format(english); es != tt.es || en != tt.en {
			t.Errorf("%s: %q / %q, want %q / %q", tt.name, es, en, tt.es, tt.en)
		}
	}
	if got := coord(1234.56); got != "1234.6" {
		t.Errorf("SVG coordinate %q: SVG takes a decimal point", got)
	}
}

// readReportCSV reads a CSV download: a UTF-8 byte order mark, then RFC 4180
// records (the blank lines between sections are skipped by the reader).
func readReportCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	rest, ok := bytes.CutPrefix(b, []byte(csvBOM))
	if !ok {
		t.Fatal("the CSV does not start with a UTF-8 byte order mark")
	}
	if !bytes.Contains(rest, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(rest, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("the CSV's lines do not all end with CRLF")
	}
	r := csv.NewReader(bytes.NewReader(rest))
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("reading the CSV: %v", err)
	}
	return records
}

// csvSection returns the records of the section titled title: its header
// row and the rows up to the next section's title.
func csvSection(t *testing.T, records [][]string, title string) [][]string {
	t.Helper()
	titles := map[string]bool{}
	for _, l := range []*reportLang{spanish, english} {
		for _, s := range []string{l.text.Overall, l.text.Matrix, l.text.Below, l.text.Monthly} {
			titles[s] = true
		}
	}
	for i, rec := range records {
		if len(rec) == 1 && rec[0] == title {
			end := i + 1
			for end < len(records) && !(len(records[end]) == 1 && titles[records[end][0]]) {
				end++
			}
			return records[i+1 : end]
		}
	}
	t.Fatalf("the CSV has no section %q", title)
	return nil
}

func TestReportCSV(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		lang               *reportLang
		header             [][]string
		statsHeader0       string
		matrixCorner       string
		monthHeader0, mon0 string
	}{
		{spanish, [][]string{
			{"Informe de consistencia de la clasificación"}, {"Ámbito", "Región Puno (21)"}, {"Código del ámbito", "21"},
			{"Inicio (UTC)", "2025-11-01 00:00:00"}, {"Fin (UTC, excluido)", "2026-04-01 00:00:00"},
			{"Estándar", "standards/pe-ntp-231-301-2014"}, {"Umbral de kappa", "0.6000"}, {"Calculado (UTC)", "2026-04-02 13:45:09"},
			{"Lotes registrados en el período", "64"}, {"Clasificadores con verificaciones", "4"}, {"Verificaciones limítrofes", "3"},
			{"Verificaciones bajo otro estándar (excluidas)", "2"},
		}, "Verificaciones", `Declarado \ Verificado`, "Mes", "2025-11"},
		{english, [][]string{
			{"Grading consistency report"}, {"Scope", "Puno region (21)"}, {"Scope code", "21"},
			{"Start (UTC)", "2025-11-01 00:00:00"}, {"End (UTC, exclusive)", "2026-04-01 00:00:00"},
			{"Standard", "standards/pe-ntp-231-301-2014"}, {"Kappa threshold", "0.6000"}, {"Computed (UTC)", "2026-04-02 13:45:09"},
			{"Lots registered in the period", "64"}, {"Classifiers with checks", "4"}, {"Borderline checks", "3"},
			{"Checks under another standard (left out)", "2"},
		}, "Checks", `Declared \ Checked`, "Month", "2025-11"},
	} {
		t.Run(tt.lang.code, func(t *testing.T) {
			t.Parallel()
			records := readReportCSV(t, render(t, renderReportCSV, testReport(), tt.lang))
			if got := records[:len(tt.header)]; !slices.EqualFunc(got, tt.header, slices.Equal) {
				t.Errorf("header block\n got %q\nwant %q", got, tt.header)
			}
			// Numbers are the same in both languages: decimal point, no
			// grouping, undefined as an empty cell.
			overall := csvSection(t, records, tt.lang.text.Overall)
			if len(overall) != 2 || overall[0][0] != tt.statsHeader0 || len(overall[0]) != 11 ||
				!slices.Equal(overall[1], []string{"60", "40", "66.67", "60", "100.00", "20", "0", "0.8567", "0.7712", "0.9423", "0.851"}) {
				t.Errorf("overall section %q", overall)
			}
			matrix := csvSection(t, records, tt.lang.text.Matrix)
			if want := append(append([]string{tt.matrixCorner}, testGroups...), "Total"); !slices.Equal(matrix[0], want) {
				t.Errorf("matrix header %q, want %q", matrix[0], want)
			}
			if len(matrix) != 1+len(testGroups) || !slices.Equal(matrix[2], []string{"BABY", "0", "10", "5", "0", "0", "0", "0", "15"}) {
				t.Errorf("matrix %q", matrix)
			}
			below := csvSection(t, records, tt.lang.text.Below)
			if len(below) != 3 || below[1][0] != "associations/apa-nuevo-amanecer/classifiers/c-undefined" ||
				!slices.Equal(below[1][8:], []string{"", "", "", "1.200"}) ||
				!slices.Equal(below[2], []string{"associations/apa-nuevo-amanecer/classifiers/c-lenient", "20", "0", "0.00", "20", "100.00", "20", "0", "0.5534", "0.4101", "0.6967", "1.400"}) {
				t.Errorf("classifiers below threshold %q", below)
			}
			monthly := csvSection(t, records, tt.lang.text.Monthly)
			if len(monthly) != 6 || monthly[0][0] != tt.monthHeader0 || monthly[1][0] != tt.mon0 {
				t.Fatalf("monthly %q", monthly)
			}
			if got := monthly[3]; got[0] != "2026-01" || got[3] != "0" || got[10] != "" {
				t.Errorf("January, without checks: %q", got)
			}
			if got := monthly[5]; !slices.Equal(got[10:], []string{"-0.1200", "-0.3000", "0.0600", "-0.250"}) {
				t.Errorf("March's negative kappa and bias %q: negative numbers pass unchanged", got)
			}
		})
	}
}

func TestReportCSVNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	records := readReportCSV(t, render(t, renderReportCSV, hostileReport(), english))
	if got := records[2]; got[1] != "associations/"+hostile {
		t.Errorf("scope code %q", got)
	}
	below := csvSection(t, records, "Classifiers below the threshold")
	if got := below[1][0]; got != "'=HYPERLINK(\"http://evil.example\",\"x\")"+hostile {
		t.Errorf("a classifier that reads as a formula: %q, want it prefixed with an apostrophe", got)
	}
	for _, tt := range []struct{ in, want string }{
		{"=1+1", "'=1+1"}, {"+cmd", "'+cmd"}, {"-2+3", "'-2+3"}, {"@SUM(A1)", "'@SUM(A1)"}, {"\tx", "'\tx"},
		{"-0.25", "-0.25"}, {"+1.5", "+1.5"}, {"", ""}, {"BABY", "BABY"}, {"2026-01", "2026-01"},
	} {
		if got := csvSafe(tt.in); got != tt.want {
			t.Errorf("csvSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReportQueryAndLanguage(t *testing.T) {
	t.Parallel()
	start, end := reportTS("2025-11-01T00:00:00Z"), reportTS("2026-05-01T05:00:00Z")
	for _, tt := range []struct {
		query, acceptLanguage string
		want                  *millwav1.GetConsistencyReportRequest
		lang                  string
		fields                []string
	}{
		{query: "region=21&startTime=2025-11-01T00:00:00Z&endTime=2026-05-01T00:00:00-05:00&standard=standards/x&kappaThreshold=0.4",
			want: &millwav1.GetConsistencyReportRequest{Scope: &millwav1.GetConsistencyReportRequest_Region{Region: "21"},
				StartTime: start, EndTime: end, Standard: "standards/x", KappaThreshold: proto.Float64(0.4)}, lang: "es"},
		{query: "association=associations/a&start_time=2025-11-01T00:00:00Z&kappa_threshold=-1&lang=en",
			want: &millwav1.GetConsistencyReportRequest{Scope: &millwav1.GetConsistencyReportRequest_Association{Association: "associations/a"},
				StartTime: start, KappaThreshold: proto.Float64(-1)}, lang: "en"},
		{query: "classifier=associations/a/classifiers/c&lang=EN-gb",
			want: &millwav1.GetConsistencyReportRequest{Scope: &millwav1.GetConsistencyReportRequest_Classifier{Classifier: "associations/a/classifiers/c"}}, lang: "en"},
		// Missing fields are for the server to name, unknown ones ignored.
		{query: "colour=WHITE", want: &millwav1.GetConsistencyReportRequest{}, lang: "es"},
		{query: "", acceptLanguage: "en-US,en;q=0.9,es;q=0.8", want: &millwav1.GetConsistencyReportRequest{}, lang: "en"},
		{query: "", acceptLanguage: "es-PE,es;q=0.9,en;q=0.8", want: &millwav1.GetConsistencyReportRequest{}, lang: "es"},
		{query: "", acceptLanguage: "fr-FR, en;q=0.5", want: &millwav1.GetConsistencyReportRequest{}, lang: "en"},
		{query: "", acceptLanguage: "en;q=0.3, es ;q=0.7", want: &millwav1.GetConsistencyReportRequest{}, lang: "es"},
		{query: "", acceptLanguage: "en;q=0, fr", want: &millwav1.GetConsistencyReportRequest{}, lang: "es"},
		{query: "", acceptLanguage: "qu, *", want: &millwav1.GetConsistencyReportRequest{}, lang: "es"},
		{query: "lang=es", acceptLanguage: "en", want: &millwav1.GetConsistencyReportRequest{}, lang: "es"},
		{query: "startTime=yesterday&kappaThreshold=high&lang=fr", fields: []string{"start_time", "kappa_threshold", "lang"}},
		{query: "region=21&association=associations/a", fields: []string{"scope"}},
		{query: "region=21&region=22&endTime=2026-01-01&lang=en&lang=es", fields: []string{"region", "end_time", "lang"}},
		{query: "startTime=2025-11-01T00:00:00Z&start_time=2025-11-01T00:00:00Z", fields: []string{"start_time"}},
	} {
		q, err := url.ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		req, lang, vs := parseReportQuery(q, tt.acceptLanguage)
		var fields []string
		for _, v := range vs {
			fields = append(fields, v.GetField())
			if v.GetDescription() == "" {
				t.Errorf("%q: violation of %s without a description", tt.query, v.GetField())
			}
		}
		if !slices.Equal(fields, tt.fields) {
			t.Errorf("%q: violations %q, want %q", tt.query, fields, tt.fields)
		}
		if tt.fields != nil {
			continue
		}
		if !proto.Equal(req, tt.want) {
			t.Errorf("%q: request %v, want %v", tt.query, req, tt.want)
		}
		if lang.code != tt.lang {
			t.Errorf("%q, Accept-Language %q: language %s, want %s", tt.query, tt.acceptLanguage, lang.code, tt.lang)
		}
	}
}

func TestReportFileName(t *testing.T) {
	t.Parallel()
	r := testReport()
	if got := reportFileName(r, spanish, "csv"); got != "informe-consistencia_region-21_2025-11-01_2026-04-01.csv" {
		t.Errorf("file name %q", got)
	}
	r.Scope = &millwav1.ConsistencyReport_Classifier{Classifier: "associations/a b/classifiers/ñ\"; x"}
	if got := reportFileName(r, english, "html"); got != "consistency-report_associations-a-b-classifiers-----x_2025-11-01_2026-04-01.html" {
		t.Errorf("file name %q", got)
	}
}

// fakeAudit answers GetConsistencyReport by the region asked for: "21"
// gets testReport, a gRPC code's name that error. It records each call.
type fakeAudit struct {
	millwav1.UnimplementedAuditServiceServer
	mu    sync.Mutex
	calls []*millwav1.GetConsistencyReportRequest
	mds   []metadata.MD
}

func (f *fakeAudit) GetConsistencyReport(ctx context.Context, req *millwav1.GetConsistencyReportRequest) (*millwav1.GetConsistencyReportResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.calls, f.mds = append(f.calls, req), append(f.mds, md)
	f.mu.Unlock()
	if req.GetRegion() == "21" {
		return &millwav1.GetConsistencyReportResponse{ConsistencyReport: testReport()}, nil
	}
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		if c.String() == req.GetRegion() {
			return nil, status.Errorf(c, "refused: %s", c)
		}
	}
	return nil, status.Error(codes.NotFound, "region "+req.GetRegion()+" not found")
}

func (f *fakeAudit) seen() ([]*millwav1.GetConsistencyReportRequest, []metadata.MD) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls), slices.Clone(f.mds)
}

// startReportGateway serves a fakeAudit on a loopback gRPC listener and
// returns the gateway over it.
func startReportGateway(t *testing.T) (*fakeAudit, *httptest.Server) {
	t.Helper()
	fake := &fakeAudit{}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	millwav1.RegisterAuditServiceServer(srv, fake)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	h, err := NewHandler(t.Context(), conn, Options{Metadata: metadata.Pairs(gatewayKey, gatewayToken)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return fake, hs
}

const reportQuery = "?region=21&startTime=2025-11-01T00:00:00Z&endTime=2026-04-01T00:00:00Z&kappaThreshold=0.6"

func TestReportRoutesServeTheReport(t *testing.T) {
	t.Parallel()
	fake, hs := startReportGateway(t)
	for _, tt := range []struct {
		ext, acceptLanguage, query string
		contentType, disposition   string
		lang, fileName, start      string
	}{
		{"html", "", "", "text/html; charset=utf-8", "inline", "es", "informe-consistencia_region-21_2025-11-01_2026-04-01.html", "<!DOCTYPE html>"},
		{"html", "en-GB,en;q=0.8", "", "text/html; charset=utf-8", "inline", "en", "consistency-report_region-21_2025-11-01_2026-04-01.html", "<!DOCTYPE html>"},
		{"csv", "", "&lang=en", "text/csv; charset=utf-8", "attachment", "en", "consistency-report_region-21_2025-11-01_2026-04-01.csv", csvBOM + "Grading consistency report\r\n"},
		{"csv", "en", "&lang=es", "text/csv; charset=utf-8", "attachment", "es", "informe-consistencia_region-21_2025-11-01_2026-04-01.csv", csvBOM + "Informe de consistencia"},
	} {
		header := http.Header{
			"Authorization": {"Bearer secret-key"},
			// A client cannot pose as the gateway.
			"Grpc-Metadata-" + gatewayKey: {"forged"},
		}
		if tt.acceptLanguage != "" {
			header.Set("Accept-Language", tt.acceptLanguage)
		}
		resp, body := get(t, hs, http.MethodGet, ConsistencyReportPath+"."+tt.ext+reportQuery+tt.query, header)
		what := tt.ext + " " + tt.lang
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: HTTP %d: %s", what, resp.StatusCode, body)
		}
		h := resp.Header
		if h.Get("Content-Type") != tt.contentType || h.Get("Content-Language") != tt.lang ||
			h.Get("Cache-Control") != "private, no-store" || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Vary") != "Accept-Language" || h.Get("Content-Length") != strconv.Itoa(len(body)) {
			t.Errorf("%s: headers %v", what, h)
		}
		if csp := h.Get("Content-Security-Policy"); (tt.ext == "html") != (csp == reportCSP) {
			t.Errorf("%s: Content-Security-Policy %q", what, csp)
		}
		disp, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
		if err != nil || disp != tt.disposition || params["filename"] != tt.fileName {
			t.Errorf("%s: Content-Disposition %q, want %s with %s", what, h.Get("Content-Disposition"), tt.disposition, tt.fileName)
		}
		if !bytes.HasPrefix(body, []byte(tt.start)) {
			t.Errorf("%s: body starts %.60q, want %q", what, body, tt.start)
		}
		if tt.ext == "html" && attr(elements(parsePage(t, body), "html")[0], "lang") != tt.lang {
			t.Errorf("%s: the page is not in %s", what, tt.lang)
		}
	}
	calls, mds := fake.seen()
	want := &millwav1.GetConsistencyReportRequest{Scope: &millwav1.GetConsistencyReportRequest_Region{Region: "21"},
		StartTime: reportTS("2025-11-01T00:00:00Z"), EndTime: reportTS("2026-04-01T00:00:00Z"), KappaThreshold: proto.Float64(0.6)}
	if len(calls) != 4 || !proto.Equal(calls[0], want) {
		t.Fatalf("GetConsistencyReport called %d times, first with %v; want %v", len(calls), calls, want)
	}
	md := mds[0]
	if a := md.Get("authorization"); len(a) != 1 || a[0] != "Bearer secret-key" {
		t.Errorf("authorization metadata %q", a)
	}
	if g := md.Get(gatewayKey); len(g) != 1 || g[0] != gatewayToken {
		t.Errorf("gateway metadata %q, want only the gateway's token", g)
	}
	if xff := md.Get("x-forwarded-for"); len(xff) != 1 || !strings.Contains(xff[0], "127.0.0.1") {
		t.Errorf("x-forwarded-for %q", xff)
	}
	if al := mds[1].Get("accept-language"); len(al) != 1 || al[0] != "en-GB,en;q=0.8" {
		t.Errorf("accept-language metadata %q", al)
	}

	resp, body := get(t, hs, http.MethodHead, ConsistencyReportPath+".csv"+reportQuery, nil)
	if resp.StatusCode != http.StatusOK || len(body) != 0 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Errorf("HEAD: HTTP %d, %d bytes, %v", resp.StatusCode, len(body), resp.Header)
	}
}

func TestReportRoutesAnswerErrorsAsStatusJSON(t *testing.T) {
	t.Parallel()
	fake, hs := startReportGateway(t)
	for _, tt := range []struct {
		query    string
		httpCode int
		code     codes.Code
		fields   []string
	}{
		{"?region=NotFound", http.StatusNotFound, codes.NotFound, nil},
		{"?region=Unauthenticated", http.StatusUnauthorized, codes.Unauthenticated, nil},
		{"?region=PermissionDenied", http.StatusForbidden, codes.PermissionDenied, nil},
		{"?region=InvalidArgument", http.StatusBadRequest, codes.InvalidArgument, nil},
		{"?region=ResourceExhausted", http.StatusTooManyRequests, codes.ResourceExhausted, nil},
		{"?region=21&startTime=2025-11-01", http.StatusBadRequest, codes.InvalidArgument, []string{"start_time"}},
		{"?region=21&classifier=associations/a/classifiers/c&kappaThreshold=x", http.StatusBadRequest, codes.InvalidArgument, []string{"kappa_threshold", "scope"}},
		{"?region=21&lang=qu", http.StatusBadRequest, codes.InvalidArgument, []string{"lang"}},
	} {
		for _, ext := range []string{"html", "csv"} {
			resp, body := get(t, hs, http.MethodGet, ConsistencyReportPath+"."+ext+tt.query, nil)
			what := ext + tt.query
			var sp spb.Status
			if err := protojson.Unmarshal(body, &sp); err != nil {
				t.Fatalf("%s: HTTP %d, body is not google.rpc.Status JSON: %v\n%s", what, resp.StatusCode, err, body)
			}
			st := status.FromProto(&sp)
			if resp.StatusCode != tt.httpCode || st.Code() != tt.code || st.Message() == "" {
				t.Errorf("%s: HTTP %d %v %q, want HTTP %d %v", what, resp.StatusCode, st.Code(), st.Message(), tt.httpCode, tt.code)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s: Content-Type %q", what, ct)
			}
			if tt.fields == nil {
				continue
			}
			var fields []string
			var reason string
			for _, d := range st.Details() {
				switch d := d.(type) {
				case *errdetails.BadRequest:
					for _, v := range d.GetFieldViolations() {
						fields = append(fields, v.GetField())
					}
				case *errdetails.ErrorInfo:
					reason = d.GetReason() + "/" + d.GetDomain()
				}
			}
			if !slices.Equal(fields, tt.fields) || reason != "INVALID_FIELDS/millwa" {
				t.Errorf("%s: fields %q reason %q, want %q INVALID_FIELDS/millwa", what, fields, reason, tt.fields)
			}
		}
	}
	// Requests refused by the gateway never reach the server.
	calls, _ := fake.seen()
	if len(calls) != 10 {
		t.Errorf("GetConsistencyReport called %d times, want 10 (5 refusals of the server × 2 formats)", len(calls))
	}
	resp, body := get(t, hs, http.MethodPost, ConsistencyReportPath+".html"+reportQuery, nil)
	var st spb.Status
	if resp.StatusCode == http.StatusOK || protojson.Unmarshal(body, &st) != nil {
		t.Errorf("POST: HTTP %d %s", resp.StatusCode, body)
	}
}
