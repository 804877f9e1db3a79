package observatory

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

//go:embed chart.svg.tmpl
var chartSource string

var chartTemplate = template.Must(template.New("chart").Parse(chartSource))

// The charts' colours: the index's line, the traded series' lines in turn,
// and the surveyed prices' dashed lines.
var (
	IndexColour        = "#0969da"
	SeriesColours      = []string{"#0969da", "#1a7f37", "#8250df", "#bc4c00", "#bf3989", "#1b7c83"}
	FarmGateColour     = "#cf222e"
	IntermediaryColour = "#9a6700"
)

// Geometry of a chart, in CSS pixels.
const (
	chartWidth    = 760
	chartHeight   = 360
	plotLeft      = 70
	plotRight     = 44
	plotTop       = 40
	plotBottom    = 70 // below the plot: tick labels and the legend
	legendRow     = 16
	maxTicks      = 8
	maxChartLines = 6 // traded series drawn; more are left out of the chart
)

// maxJoinedGap is the longest time between two points a line joins: four
// weeks, so that a month without trades is still one line.
const maxJoinedGap = 4 * 7 * 24 * time.Hour

// chart is what the template draws.
type chart struct {
	Width, Height      int
	Lang, Title, Desc  string
	TitleX, AxisLabelY float64
	AxisLabel          string
	Grid               []gridLine
	Ticks              []tick
	Lines              []line
	Legend             []legendKey
	Empty              string
	EmptyX, EmptyY     float64
}

type gridLine struct {
	X1, X2, Y, LabelX, LabelY float64
	Label                     string
}

type tick struct {
	X, Y1, Y2, LabelY float64
	Label             string
}

// line is one series: runs of joined points (a gap breaks it) and dots.
type line struct {
	Colour string
	Dashed bool
	Runs   []string
	Dots   []dot
}

type dot struct {
	X, Y  float64
	Title string
}

type legendKey struct {
	X, X2, Y, TextX, TextY float64
	Colour, Text           string
	Dashed                 bool
}

// point is a value at a week; ok is false for a gap.
type point struct {
	week  time.Time
	value float64
	ok    bool
	title string
}

// plotted is a line before scaling.
type plotted struct {
	colour, label string
	dashed        bool
	points        []point
}

// coord writes a coordinate: SVG takes a decimal point in every language.
func coord(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// IndexSVG draws a GetPriceIndex answer as a line chart.
func IndexSVG(w io.Writer, resp *millwav1.GetPriceIndexResponse, l *Language) error {
	var pts []point
	for _, p := range resp.GetPoints() {
		pts = append(pts, point{week: p.GetWeekStartTime().AsTime(), value: p.GetValue(), ok: p.GetHasValue(),
			title: p.GetWeek() + ": " + l.fixed(p.GetValue(), 2)})
	}
	c := layout(l, l.text.IndexTitle, fmt.Sprintf(l.text.IndexDescF, resp.GetCurrencyCode(), resp.GetBaseYear(), len(pts)),
		l.text.IndexAxis, []plotted{{colour: IndexColour, label: l.text.IndexLegend, points: pts}}, 2)
	return chartTemplate.Execute(w, c)
}

// SeriesSVG draws a ListPriceSeries answer: the volume-weighted price of
// each series (the first maxChartLines) in unit ("kg", "lb" or
// "quintal"), and the surveyed medians of the series' regions and groups,
// dashed.
func SeriesSVG(w io.Writer, resp *millwav1.ListPriceSeriesResponse, unit string, l *Language) error {
	price := func(u *millwav1.UnitPrices) float64 {
		switch unit {
		case "lb":
			return float64(u.GetPerPound()) / 100
		case "quintal":
			return float64(u.GetPerQuintal()) / 100
		}
		return float64(u.GetPerKg()) / 100
	}
	var lines []plotted
	shown := map[string]bool{}
	for i, s := range resp.GetSeries() {
		if i == maxChartLines {
			break
		}
		shown[s.GetRegion()+" "+s.GetQualityGroup()] = true
		pl := plotted{colour: SeriesColours[i%len(SeriesColours)],
			label: s.GetRegionName() + " · " + s.GetQualityGroup() + " · " + s.GetColour()}
		for _, p := range s.GetPoints() {
			pl.points = append(pl.points, point{week: p.GetWeekStartTime().AsTime(), value: price(p.GetVwap()), ok: true,
				title: p.GetWeek() + ": " + l.fixed(price(p.GetVwap()), 2)})
		}
		lines = append(lines, pl)
	}
	surveyed := map[string]*plotted{}
	var keys []string
	for _, sp := range resp.GetSurveyedPrices() {
		if len(resp.GetSeries()) > 0 && !shown[sp.GetRegion()+" "+sp.GetQualityGroup()] {
			continue
		}
		k := sp.GetRegion() + " " + sp.GetQualityGroup() + " " + sp.GetKind().String()
		pl := surveyed[k]
		if pl == nil {
			pl = &plotted{colour: FarmGateColour, dashed: true, label: sp.GetRegionName() + " · " + sp.GetQualityGroup() + " · " + l.text.FarmGate}
			if sp.GetKind() == millwav1.ReferencePriceKind_REFERENCE_PRICE_KIND_INTERMEDIARY {
				pl.colour, pl.label = IntermediaryColour, sp.GetRegionName()+" · "+sp.GetQualityGroup()+" · "+l.text.Intermediary
			}
			surveyed[k] = pl
			keys = append(keys, k)
		}
		pl.points = append(pl.points, point{week: sp.GetWeekStartTime().AsTime(), value: price(sp.GetMedian()), ok: true,
			title: sp.GetWeek() + ": " + l.fixed(price(sp.GetMedian()), 2)})
	}
	for _, k := range keys {
		if len(lines) < 2*maxChartLines {
			lines = append(lines, *surveyed[k])
		}
	}
	u := l.text.Units[unit]
	if u == "" {
		u = l.text.Units["kg"]
	}
	c := layout(l, l.text.SeriesTitle, fmt.Sprintf(l.text.SeriesDescF, resp.GetCurrencyCode(), u),
		fmt.Sprintf(l.text.PriceAxisF, resp.GetCurrencyCode(), u), lines, 2)
	return chartTemplate.Execute(w, c)
}

// layout scales lines into the plot: weeks on x, values on y with a grid
// of round steps, and a legend under the plot.
func layout(l *Language, title, desc, axis string, lines []plotted, decimals int) *chart {
	rows := (len(lines) + 1) / 2
	c := &chart{Width: chartWidth, Height: chartHeight - plotBottom + 40 + rows*legendRow + 4, Lang: l.code, Title: title, Desc: desc,
		TitleX: plotLeft, AxisLabel: axis}
	x0, x1 := float64(plotLeft), float64(chartWidth-plotRight)
	y0, y1 := float64(plotTop), float64(chartHeight-plotBottom)
	c.AxisLabelY = (y0 + y1) / 2
	var first, last time.Time
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, ln := range lines {
		for _, p := range ln.points {
			if !p.ok {
				continue
			}
			if first.IsZero() || p.week.Before(first) {
				first = p.week
			}
			if p.week.After(last) {
				last = p.week
			}
			lo, hi = math.Min(lo, p.value), math.Max(hi, p.value)
		}
	}
	if first.IsZero() {
		c.Empty, c.EmptyX, c.EmptyY = l.text.NoData, (x0+x1)/2, (y0+y1)/2
		return c
	}
	step := niceStep((hi - lo) / 4)
	lo, hi = math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	if hi == lo {
		lo, hi = lo-step, hi+step
	}
	span := last.Sub(first).Hours()
	xOf := func(t time.Time) float64 {
		if span == 0 {
			return (x0 + x1) / 2
		}
		return x0 + (x1-x0)*t.Sub(first).Hours()/span
	}
	yOf := func(v float64) float64 { return y1 - (y1-y0)*(v-lo)/(hi-lo) }
	for v := lo; v <= hi+step/2; v += step {
		y := yOf(v)
		c.Grid = append(c.Grid, gridLine{X1: x0, X2: x1, Y: y, LabelX: x0 - 6, LabelY: y + 4, Label: l.fixed(v, decimals)})
	}
	weeks := int(span/(24*7)) + 1
	every := max(1, (weeks+maxTicks-1)/maxTicks)
	for i := 0; i < weeks; i += every {
		t := first.AddDate(0, 0, 7*i)
		c.Ticks = append(c.Ticks, tick{X: xOf(t), Y1: y1, Y2: y1 + 5, LabelY: y1 + 18, Label: l.date(t)})
	}
	for i, ln := range lines {
		out := line{Colour: ln.colour, Dashed: ln.dashed}
		var run []string
		var prev time.Time
		for _, p := range ln.points {
			// A week without a value, or a stretch of more than
			// maxJoinedGap between two (the months between two seasons),
			// breaks the line rather than draw prices nobody paid.
			if !p.ok || len(run) > 0 && p.week.Sub(prev) > maxJoinedGap {
				if len(run) > 0 {
					out.Runs = append(out.Runs, strings.Join(run, " "))
				}
				run = nil
				if !p.ok {
					continue
				}
			}
			prev = p.week
			x, y := xOf(p.week), yOf(p.value)
			run = append(run, coord(x)+","+coord(y))
			out.Dots = append(out.Dots, dot{X: x, Y: y, Title: p.title})
		}
		if len(run) > 0 {
			out.Runs = append(out.Runs, strings.Join(run, " "))
		}
		c.Lines = append(c.Lines, out)
		lx := x0 + float64(i%2)*(x1-x0)/2
		ly := y1 + 40 + float64(i/2)*legendRow
		c.Legend = append(c.Legend, legendKey{X: lx, X2: lx + 28, Y: ly, TextX: lx + 34, TextY: ly + 4,
			Colour: ln.colour, Text: ln.label, Dashed: ln.dashed})
	}
	return c
}

// niceStep rounds a raw step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}
