package report

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

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
	hm := pageSVGs(t, render(t, HTML, r, spanish))["heatmap"]
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
