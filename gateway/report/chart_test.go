package report

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

func TestReportMonthlyChart(t *testing.T) {
	t.Parallel()
	chart := pageSVGs(t, render(t, HTML, testReport(), english))["monthly-chart"]
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
	chart := pageSVGs(t, render(t, HTML, r, spanish))["monthly-chart"]
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
