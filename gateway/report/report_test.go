package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
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
		Scope: &millwav1.ConsistencyReport_Region{Region: "21"}, RegionName: "Puno",
		StartTime: reportTS("2025-11-01T00:00:00Z"), EndTime: reportTS("2026-04-01T00:00:00Z"),
		Standard: "standards/pe-ntp-231-301-2014", KappaThreshold: 0.6, ComputeTime: reportTS("2026-04-02T13:45:09Z"),
		LotCount: 64, ClassifierCount: 4, BorderlineCount: 3, OtherStandardCheckCount: 2,
		Overall:         testStats(60, 40, 60, 20, 0, []float64{0.8567, 0.7712, 0.9423}, proto.Float64(0.8512)),
		ConfusionMatrix: m,
		ClassifiersBelowThreshold: []*millwav1.ClassifierConsistency{
			{Classifier: "associations/apa-nuevo-amanecer/classifiers/c-undefined", Statistics: testStats(1, 0, 1, 1, 0, nil, proto.Float64(1.2))},
			{Classifier: "associations/apa-nuevo-amanecer/classifiers/c-lenient", ClassifierDisplayName: "Rosa Quispe Mamani",
				AssociationDisplayName: "APA Nuevo Amanecer", Statistics: testStats(20, 0, 20, 20, 0, []float64{0.5534, 0.4101, 0.6967}, proto.Float64(1.4))},
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
func render(t *testing.T, fn func(io.Writer, *millwav1.ConsistencyReport, *Language) error, r *millwav1.ConsistencyReport, l *Language) []byte {
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
		lang                                   *Language
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
			page := render(t, HTML, testReport(), tt.lang)
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
			if got := below[2]; !strings.HasPrefix(got[0], "Rosa Quispe Mamani · APA Nuevo Amanecer") ||
				!strings.HasSuffix(got[0], "associations/apa-nuevo-amanecer/classifiers/c-lenient") || got[1] != tt.lenientChecks ||
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
	for _, l := range []*Language{spanish, english} {
		page := render(t, HTML, testReport(), l)
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
		if csp != PageCSP || !strings.HasPrefix(csp, "default-src 'none'") {
			t.Errorf("%s: the page's own policy is %q, want %q", l.code, csp, PageCSP)
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
	for _, l := range []*Language{spanish, english} {
		page := render(t, HTML, hostileReport(), l)
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

// TestReportWithoutChecks renders a report of a scope and period with no
// checks, a standard without groups and no month: every part says so.
func TestReportWithoutChecks(t *testing.T) {
	t.Parallel()
	r := &millwav1.ConsistencyReport{
		Scope: &millwav1.ConsistencyReport_Region{Region: "210101"}, RegionName: "Puno",
		StartTime: reportTS("2026-01-10T00:00:00Z"), EndTime: reportTS("2026-01-10T00:00:00Z"),
		Standard: "standards/x", KappaThreshold: 0.6, Overall: &millwav1.AgreementStatistics{},
	}
	for _, l := range []*Language{spanish, english} {
		page := render(t, HTML, r, l)
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
		records := readReportCSV(t, render(t, CSV, r, l))
		if got := csvSection(t, records, l.text.Overall); !slices.Equal(got[1], []string{"0", "0", "0.00", "0", "0.00", "0", "0", "", "", "", ""}) {
			t.Errorf("%s: overall row %q", l.code, got[1])
		}
	}
}
