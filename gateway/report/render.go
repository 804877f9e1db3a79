package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// pageTemplate is the HTML of the page, with the template's actions: a
// file of its own, so that it reads, diffs and highlights as HTML.
//
//go:embed report.html
var pageTemplate string

// reportPage is the page's template. html/template escapes every value by
// its context, the SVG's text, titles and attributes included; nothing is
// passed as trusted HTML.
var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{"coord": coord}).Parse(pageTemplate))

// HTML writes a report as a self-contained page: no script, no
// resource from elsewhere, its drawings inline SVG.
func HTML(w io.Writer, r *millwav1.ConsistencyReport, l *Language) error {
	return reportPage.Execute(w, newReportView(r, l))
}

// statsView is an AgreementStatistics as the page writes it.
type statsView struct {
	Checks, Exact, ExactPct, Adjacent, AdjacentPct string
	Finer, Coarser, KappaCI, Bias                  string
}

func newStatsView(s *millwav1.AgreementStatistics, l *Language) statsView {
	return statsView{
		Checks:      strconv.Itoa(int(s.GetCheckCount())),
		Exact:       strconv.Itoa(int(s.GetExactAgreementCount())),
		ExactPct:    l.pct(s.GetExactAgreementPercent()),
		Adjacent:    strconv.Itoa(int(s.GetAdjacentAgreementCount())),
		AdjacentPct: l.pct(s.GetAdjacentAgreementPercent()),
		Finer:       strconv.Itoa(int(s.GetDeclaredFinerCount())),
		Coarser:     strconv.Itoa(int(s.GetDeclaredCoarserCount())),
		KappaCI:     l.kappaWithCI(s),
		Bias:        l.biasUm(s.MeanBiasUm),
	}
}

// classifierView is one row of the table of classifiers below threshold.
type classifierView struct {
	Name, DisplayName, AssociationName string
	Stats                              statsView
}

// reportView is everything the page shows, already in its language: the
// template only places it.
type reportView struct {
	Lang, CSP                       string
	T                               *reportText
	Scope                           string
	Start, End, Standard, Threshold string
	Computed, Lots, Classifiers     string
	Borderline, OtherStandard       string
	HasChecks                       bool
	Overall                         statsView
	HeatMap                         *heatMap
	Chart                           *monthChart
	Below                           []classifierView
}

func newReportView(r *millwav1.ConsistencyReport, l *Language) reportView {
	v := reportView{
		Lang: l.code, CSP: PageCSP, T: &l.text,
		Scope:         scopeText(r, l),
		Start:         reportTime(r.GetStartTime()),
		End:           reportTime(r.GetEndTime()),
		Standard:      r.GetStandard(),
		Threshold:     l.fixed(r.GetKappaThreshold(), 2),
		Computed:      reportTime(r.GetComputeTime()),
		Lots:          strconv.Itoa(int(r.GetLotCount())),
		Classifiers:   strconv.Itoa(int(r.GetClassifierCount())),
		Borderline:    strconv.Itoa(int(r.GetBorderlineCount())),
		OtherStandard: strconv.Itoa(int(r.GetOtherStandardCheckCount())),
		HasChecks:     r.GetOverall().GetCheckCount() > 0,
		Overall:       newStatsView(r.GetOverall(), l),
		HeatMap:       newHeatMap(r.GetConfusionMatrix(), l),
		Chart:         newMonthChart(r.GetMonthlyAgreement(), l),
	}
	for _, c := range r.GetClassifiersBelowThreshold() {
		v.Below = append(v.Below, classifierView{Name: c.GetClassifier(),
			DisplayName: c.GetClassifierDisplayName(), AssociationName: c.GetAssociationDisplayName(), Stats: newStatsView(c.GetStatistics(), l)})
	}
	return v
}

// rgb is a colour of the drawings.
type rgb struct{ r, g, b uint8 }

func (c rgb) String() string { return fmt.Sprintf("#%02x%02x%02x", c.r, c.g, c.b) }

// mix is c at the given strength over white, 0 white and 1 c itself.
func (c rgb) mix(strength float64) rgb {
	ch := func(v uint8) uint8 { return uint8(255 - (255-float64(v))*strength + 0.5) }
	return rgb{ch(c.r), ch(c.g), ch(c.b)}
}
