package observatory

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

func week(n int) *timestamppb.Timestamp {
	return timestamppb.New(time.Date(2026, 1, 5, 5, 0, 0, 0, time.UTC).AddDate(0, 0, 7*n))
}

// TestIndexChartBreaksAtGaps draws an index whose third week has no value:
// the line is two runs, every point with a value has a dot, and the
// document is well-formed XML in the language asked for.
func TestIndexChartBreaksAtGaps(t *testing.T) {
	resp := &millwav1.GetPriceIndexResponse{CurrencyCode: "PEN", BaseYear: 2026}
	for i, v := range []float64{100, 102.5, 0, 99.75, 104.34} {
		resp.Points = append(resp.Points, &millwav1.PriceIndexPoint{Week: "2026-W0" + string(rune('2'+i)), WeekStartTime: week(i), Value: v, HasValue: v != 0})
	}
	for _, tt := range []struct {
		lang  *Language
		title string
	}{{spanish, "Indicador Alpaca (índice semanal"}, {english, "weekly price index"}} {
		var b bytes.Buffer
		if err := IndexSVG(&b, resp, tt.lang); err != nil {
			t.Fatal(err)
		}
		svg := b.String()
		if err := xml.Unmarshal(b.Bytes(), new(struct{})); err != nil {
			t.Errorf("%s: not well-formed XML: %v", tt.lang.code, err)
		}
		if n := strings.Count(svg, "<polyline"); n != 2 {
			t.Errorf("%s: %d runs of the line, want 2 (broken at the gap)", tt.lang.code, n)
		}
		if n := strings.Count(svg, "<circle"); n != 4 {
			t.Errorf("%s: %d dots, want 4", tt.lang.code, n)
		}
		if !strings.Contains(svg, tt.title) || !strings.Contains(svg, `stroke="`+IndexColour+`"`) {
			t.Errorf("%s: title or line colour missing:\n%s", tt.lang.code, svg)
		}
	}
}

// TestLinesBreakBetweenSeasons does not join points months apart.
func TestLinesBreakBetweenSeasons(t *testing.T) {
	resp := &millwav1.GetPriceIndexResponse{CurrencyCode: "PEN", BaseYear: 2026}
	for i, n := range []int{0, 1, 2, 18, 19} { // weeks 0 to 2, then 16 weeks later
		resp.Points = append(resp.Points, &millwav1.PriceIndexPoint{Week: "w", WeekStartTime: week(n), Value: 100 + float64(i), HasValue: true})
	}
	var b bytes.Buffer
	if err := IndexSVG(&b, resp, english); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "<polyline"); n != 2 {
		t.Errorf("%d runs, want 2: one per season", n)
	}
}

// TestSeriesChartWithoutData says so rather than drawing an empty plot.
func TestSeriesChartWithoutData(t *testing.T) {
	var b bytes.Buffer
	if err := SeriesSVG(&b, &millwav1.ListPriceSeriesResponse{CurrencyCode: "PEN"}, "kg", spanish); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), spanish.text.NoData) || strings.Contains(b.String(), "<polyline") {
		t.Errorf("an empty series chart:\n%s", b.String())
	}
}
