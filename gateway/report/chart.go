package report

import (
	"fmt"
	"strconv"
	"strings"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// The monthly chart's colours, distinct from the heat map's.
var (
	chartExact    = rgb{0x09, 0x69, 0xda}
	chartAdjacent = rgb{0x9e, 0xcb, 0xff}
	chartKappa    = rgb{0x82, 0x50, 0xdf}
)

// Geometry of the monthly chart, in CSS pixels.
const (
	chartWidth  = 760
	chartHeight = 330
	chartLeft   = 56
	chartRight  = 56
	chartTop    = 16
	chartBottom = 74
	chartLabels = 12 // at most this many month labels
	chartMaxBar = 40 // the widest bar
)

// monthChart is the agreement per month drawn as an SVG chart: exact and
// adjacent agreement as bars on a 0–100 % axis, the weighted kappa as a
// line on a −1 to 1 axis that shares its grid (0 % is −1, 50 % is 0).
type monthChart struct {
	Width, Height int
	Title, Desc   string
	Grid          []chartTick
	Gaps          []chartBar
	Bars          []chartBar
	KappaLines    []string // the points of each run of months with a kappa
	KappaDots     []chartDot
	KappaStroke   string
	Months        []svgLabel
	Legend        []chartKey
}

// chartTick is a horizontal grid line with its labels on both axes.
type chartTick struct {
	X1, X2, Y            float64
	Left, Right          string
	LeftX, RightX, TextY float64
}

// chartBar is a bar, or the blank of a month without checks, with its
// tooltip.
type chartBar struct {
	X, Y, W, H  float64
	Class, Fill string
	Title       string
}

// chartDot is a point of the kappa line.
type chartDot struct {
	X, Y  float64
	Title string
}

// chartKey is an entry of the legend: a swatch, or a line, and its text.
type chartKey struct {
	X, X2, Y, TextX, TextY, LineY float64
	Colour, Text                  string
	Line                          bool
}

// coord writes a coordinate: SVG takes a decimal point in every language.
func coord(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func newMonthChart(months []*millwav1.PeriodAgreement, l *Language) *monthChart {
	n := len(months)
	if n == 0 {
		return nil
	}
	c := &monthChart{Width: chartWidth, Height: chartHeight, Title: l.text.ChartTitle, KappaStroke: chartKappa.String()}
	plotX, plotY := float64(chartLeft), float64(chartTop)
	plotW, plotH := float64(chartWidth-chartLeft-chartRight), float64(chartHeight-chartTop-chartBottom)
	bottom := plotY + plotH
	yPct := func(p float64) float64 { return plotY + plotH*(1-min(max(p, 0), 100)/100) }
	yKappa := func(k float64) float64 { return yPct((min(max(k, -1), 1) + 1) * 50) }
	for k := range 5 {
		p := float64(k) * 25
		y := yPct(p)
		c.Grid = append(c.Grid, chartTick{X1: plotX, X2: plotX + plotW, Y: y,
			Left: l.fixed(p, 0) + l.percent, Right: l.fixed(float64(k)/2-1, 1),
			LeftX: plotX - 6, RightX: plotX + plotW + 6, TextY: y + 4})
	}
	slot := plotW / float64(n)
	// Two bars and a small gap fill most of a month's slot, but a short
	// period's few months do not get bars wider than a bar reads.
	barW := max(min(slot*0.36, chartMaxBar), 1)
	barGap := min(slot*0.04, 4)
	every := (n + chartLabels - 1) / chartLabels
	var run []string
	withChecks := 0
	endRun := func() {
		if len(run) > 1 {
			c.KappaLines = append(c.KappaLines, strings.Join(run, " "))
		}
		run = nil
	}
	for i, m := range months {
		s := m.GetStatistics()
		x := plotX + slot*float64(i)
		name := l.monthName(m.GetStartTime().AsTime().UTC())
		if i%every == 0 {
			c.Months = append(c.Months, svgLabel{X: x + slot/2, Y: bottom + 16, Text: name})
		}
		if s.GetCheckCount() == 0 {
			// A month without checks is a gap: no bars, a blank band and a
			// break in the kappa line, never a zero that reads as a month
			// of total disagreement.
			c.Gaps = append(c.Gaps, chartBar{X: x + 1, Y: plotY, W: max(slot-2, 1), H: plotH,
				Class: "gap", Title: name + ": " + l.text.NoChecks})
			endRun()
			continue
		}
		withChecks++
		title := fmt.Sprintf(l.text.MonthTitleF, name, s.GetCheckCount(), l.pct(s.GetExactAgreementPercent()),
			l.pct(s.GetAdjacentAgreementPercent()), l.optional(s.WeightedKappa, 2))
		left := x + (slot-2*barW-barGap)/2
		for k, bar := range []struct {
			pct         float64
			class, fill string
		}{
			{s.GetExactAgreementPercent(), "bar exact", chartExact.String()},
			{s.GetAdjacentAgreementPercent(), "bar adjacent", chartAdjacent.String()},
		} {
			top := yPct(bar.pct)
			c.Bars = append(c.Bars, chartBar{X: left + float64(k)*(barW+barGap), Y: top, W: barW, H: bottom - top,
				Class: bar.class, Fill: bar.fill, Title: title})
		}
		if s.WeightedKappa == nil {
			endRun()
			continue
		}
		cx, cy := x+slot/2, yKappa(s.GetWeightedKappa())
		run = append(run, coord(cx)+","+coord(cy))
		c.KappaDots = append(c.KappaDots, chartDot{X: cx, Y: cy, Title: title})
	}
	endRun()
	c.Desc = fmt.Sprintf(l.text.ChartDescF, n, withChecks)
	legendY := bottom + 36
	for k, key := range []chartKey{
		{Colour: chartExact.String(), Text: l.text.Exact},
		{Colour: chartAdjacent.String(), Text: l.text.Adjacent},
		{Colour: chartKappa.String(), Text: l.text.Kappa, Line: true},
	} {
		key.X, key.Y = plotX+float64(k)*220, legendY
		key.X2, key.TextX, key.TextY, key.LineY = key.X+14, key.X+20, legendY+10, legendY+6
		c.Legend = append(c.Legend, key)
	}
	return c
}
