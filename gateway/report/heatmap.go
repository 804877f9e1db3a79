package report

import (
	"fmt"
	"strconv"
	"strings"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// The heat map's colours. A row's checks on the diagonal are green and off
// it orange, each as strong as its share of the row, so that a lenient
// classifier shows as an orange band beside a pale diagonal. The diagonal
// is also outlined in a dark green used nowhere else on the page, which
// makes it stand out in grey scale and lets a screenshot be checked for it.
var (
	heatAgree      = rgb{0x1a, 0x7f, 0x37}
	heatDisagree   = rgb{0xc2, 0x41, 0x0c}
	heatEmpty      = rgb{0xf3, 0xf4, 0xf6}
	heatDiagonal   = rgb{0x0b, 0x3d, 0x1e}
	heatDarkText   = "#1f2328"
	heatLightText  = "#ffffff"
	heatMinimum    = 0.15 // the strength of the smallest non-zero share, so that it stays visible
	heatTextSwitch = 0.55 // strength from which the count is written in white
)

// heatStrength is the strength of a cell's colour for its share of the row.
func heatStrength(share float64) float64 { return heatMinimum + (1-heatMinimum)*share }

// Geometry of the heat map, in CSS pixels.
const (
	heatCellSize  = 64  // a cell's side
	heatOutline   = 4   // the diagonal's outline, drawn inside the cell
	heatCharWidth = 7.5 // a generous width of a 12 px label character
	heatMaxLabel  = 18  // runes of a group code shown; the cell's title has all
)

// heatMap is the confusion matrix drawn as an SVG heat map.
type heatMap struct {
	Width, Height         int
	Title, Desc           string
	GridX, GridY          int // top-left corner of the cells
	GridW, GridH          int
	Columns, Rows         []svgLabel
	Cells                 []heatCell
	Outlines              []heatRect
	RowTotals, ColTotals  []svgLabel
	TotalX, TotalY        svgLabel // the "Total" headers
	CheckedAxis, DeclAxis svgLabel
	Legend                []heatSwatch
	LegendTitle           svgLabel
	LegendAgree           svgLabel
	LegendDisagree        svgLabel
	OutlineColour         string
	OutlineWidth          int
}

// svgLabel is a text of a drawing; Full, when set, is its untruncated form
// for a tooltip.
type svgLabel struct {
	X, Y       float64
	Text, Full string
}

// heatRect is a rectangle of a drawing.
type heatRect struct{ X, Y, W, H int }

// heatCell is one cell of the matrix.
type heatCell struct {
	heatRect
	Fill, TextFill string
	Diagonal       bool
	Count, Share   string
	CX, CY         int // the centre, where the count is written
	Title          string
}

// heatSwatch is one step of the legend.
type heatSwatch struct {
	heatRect
	Fill string
}

// truncate keeps the first n runes of s, marking a cut with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func newHeatMap(m *millwav1.ConfusionMatrix, l *Language) *heatMap {
	groups := m.GetQualityGroups()
	n := len(groups)
	if n == 0 {
		return nil
	}
	longest := 0
	for _, g := range groups {
		longest = max(longest, len([]rune(truncate(g, heatMaxLabel))))
	}
	labelW := int(float64(longest)*heatCharWidth) + 12
	h := &heatMap{
		GridX: 40 + labelW, GridY: 44 + int(float64(labelW)*0.7),
		GridW: n * heatCellSize, GridH: n * heatCellSize,
		OutlineColour: heatDiagonal.String(), OutlineWidth: heatOutline,
	}
	h.Width = h.GridX + h.GridW + 72
	legendY := h.GridY + h.GridH + 50
	h.Height = legendY + 56

	// counts[i][j]: declared groups[i], checked groups[j]. A row the
	// server left short counts as zeros rather than shifting the cells.
	counts := make([][]int, n)
	colTotal := make([]int, n)
	total, diagonal := 0, 0
	for i := range counts {
		counts[i] = make([]int, n)
		if i < len(m.GetRows()) {
			for j, c := range m.GetRows()[i].GetCheckedCounts() {
				if j < n {
					counts[i][j] = int(c)
				}
			}
		}
	}
	for i := range n {
		rowTotal := 0
		for j := range n {
			rowTotal += counts[i][j]
		}
		y := h.GridY + i*heatCellSize
		h.Rows = append(h.Rows, svgLabel{X: float64(h.GridX - 8), Y: float64(y + heatCellSize/2 + 4),
			Text: truncate(groups[i], heatMaxLabel), Full: groups[i]})
		h.RowTotals = append(h.RowTotals, svgLabel{X: float64(h.GridX + h.GridW + 12), Y: float64(y + heatCellSize/2 + 5),
			Text: strconv.Itoa(rowTotal)})
		for j := range n {
			c := counts[i][j]
			colTotal[j] += c
			total += c
			if i == j {
				diagonal += c
			}
			x := h.GridX + j*heatCellSize
			share := 0.0
			if rowTotal > 0 {
				share = float64(c) / float64(rowTotal)
			}
			cell := heatCell{
				heatRect: heatRect{X: x + 1, Y: y + 1, W: heatCellSize - 2, H: heatCellSize - 2},
				Fill:     heatEmpty.String(), TextFill: "#8c959f",
				Diagonal: i == j, Count: strconv.Itoa(c),
				CX: x + heatCellSize/2, CY: y + heatCellSize/2,
				Title: fmt.Sprintf(l.text.CellTitleF, groups[i], groups[j], c, rowTotal, l.pct(share*100)),
			}
			if c > 0 {
				base := heatDisagree
				if i == j {
					base = heatAgree
				}
				strength := heatStrength(share)
				cell.Fill = base.mix(strength).String()
				cell.TextFill = heatDarkText
				if strength >= heatTextSwitch {
					cell.TextFill = heatLightText
				}
				cell.Share = l.fixed(share*100, 0) + l.percent
			}
			h.Cells = append(h.Cells, cell)
			if i == j {
				// Inset by half the stroke so that the whole outline lies
				// inside the cell and no neighbour paints over it.
				o := heatOutline / 2
				h.Outlines = append(h.Outlines, heatRect{X: x + 1 + o, Y: y + 1 + o, W: heatCellSize - 2 - heatOutline, H: heatCellSize - 2 - heatOutline})
			}
		}
	}
	for j := range n {
		x := float64(h.GridX + j*heatCellSize + heatCellSize/2)
		h.Columns = append(h.Columns, svgLabel{X: x + 4, Y: float64(h.GridY - 8),
			Text: truncate(groups[j], heatMaxLabel), Full: groups[j]})
		h.ColTotals = append(h.ColTotals, svgLabel{X: x, Y: float64(h.GridY + h.GridH + 18), Text: strconv.Itoa(colTotal[j])})
	}
	h.TotalX = svgLabel{X: float64(h.GridX + h.GridW + 12), Y: float64(h.GridY - 8), Text: l.text.Total}
	h.TotalY = svgLabel{X: float64(h.GridX - 8), Y: float64(h.GridY + h.GridH + 18), Text: l.text.Total}
	h.CheckedAxis = svgLabel{X: float64(h.GridX + h.GridW/2), Y: 18, Text: l.text.Checked}
	h.DeclAxis = svgLabel{X: 18, Y: float64(h.GridY + h.GridH/2), Text: l.text.Declared}
	h.Title = l.text.MatrixTitle
	h.Desc = fmt.Sprintf(l.text.MatrixDescF, n, strings.Join(groups, ", "), total, diagonal)

	// The legend: five strengths of each colour, 0 % to 100 % of the row.
	h.LegendTitle = svgLabel{X: float64(h.GridX), Y: float64(legendY - 6), Text: l.text.ShareLegend + " (0–100" + l.percent + ")"}
	for k := range 5 {
		strength := heatStrength(float64(k) / 4)
		for row, base := range []rgb{heatAgree, heatDisagree} {
			h.Legend = append(h.Legend, heatSwatch{
				heatRect: heatRect{X: h.GridX + k*28, Y: legendY + row*22, W: 26, H: 18},
				Fill:     base.mix(strength).String(),
			})
		}
	}
	h.LegendAgree = svgLabel{X: float64(h.GridX + 5*28 + 6), Y: float64(legendY + 13), Text: l.text.Agree}
	h.LegendDisagree = svgLabel{X: float64(h.GridX + 5*28 + 6), Y: float64(legendY + 35), Text: l.text.Disagree}
	return h
}
