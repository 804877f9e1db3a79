package label

import (
	"strconv"
	"testing"

	"github.com/millwa/millwa/internal/grading"
)

// legibleCapMM is the least cap height read from two metres: the sign
// makers' rule of thumb (an inch for every ten feet) gives about 17 mm
// there, in good light.
const legibleCapMM = 17.0

// bigTextCaps returns the cap height, in mm, of each of the SVG label's
// texts that is exactly one of want.
func bigTextCaps(t *testing.T, l Label, want ...string) map[string]float64 {
	t.Helper()
	svg, err := SVG(l)
	if err != nil {
		t.Fatal(err)
	}
	texts, _ := svgTexts(t, svg)
	attrs := svgTextAttrs.FindAllStringSubmatch(string(svg), -1)
	if len(attrs) != len(texts) {
		t.Fatalf("%d texts, %d with a size", len(texts), len(attrs))
	}
	caps := map[string]float64{}
	for i, a := range attrs {
		for _, w := range want {
			if texts[i] == w {
				size, err := strconv.ParseFloat(a[3], 64)
				if err != nil {
					t.Fatal(err)
				}
				caps[w] = size * capHeight
			}
		}
	}
	return caps
}

// TestGroupAndWeightReadFromTwoMetres checks the sizes the label sets the
// quality group and the net weight in: the sample's at bigCapMM, as the
// lot number; and every quality group and short-fibre group of every
// shipped standard and every fleece category of NTP 231.300 (long Spanish
// words with no abbreviation, "Extrafina"), beside the weight of a bale, of
// just under and just over 100 kg and of tonnes, at least legibleCapMM.
func TestGroupAndWeightReadFromTwoMetres(t *testing.T) {
	t.Parallel()
	l := sample()
	caps := bigTextCaps(t, l, l.LotNumber, l.QualityGroupAbbreviation, BigWeight(l.NetWeightGrams))
	for _, text := range []string{l.LotNumber, l.QualityGroupAbbreviation, BigWeight(l.NetWeightGrams)} {
		if c, ok := caps[text]; !ok || c < bigCapMM {
			t.Errorf("the sample's %q is set %.1f mm high (found %v), want %.0f mm", text, c, ok, bigCapMM)
		}
	}

	reg, err := grading.Load("")
	if err != nil {
		t.Fatal(err)
	}
	type group struct {
		name         grading.Text
		abbreviation string
	}
	printed := 0
	for _, st := range reg.List() {
		var groups []group
		for _, g := range st.QualityGroups {
			groups = append(groups, group{g.Name, g.Abbreviation})
		}
		if g := st.ShortFiberGroup; g != nil {
			groups = append(groups, group{g.Name, g.Abbreviation})
		}
		if fc := st.FleeceClassification; fc != nil {
			// Whole-fleece categories have no abbreviation: their long
			// Spanish names ("Extrafina") share the line with the weight.
			for _, c := range fc.Categories {
				groups = append(groups, group{c.Name, ""})
			}
		}
		printed += len(groups)
		for _, g := range groups {
			for _, grams := range []int64{46_005, 99_995, 100_000, 2_500_000, 12_345_678} {
				l := sample()
				l.QualityGroup = Text{g.name.ES, g.name.EN}
				l.QualityGroupAbbreviation, l.NetWeightGrams = g.abbreviation, grams
				big := g.abbreviation
				if big == "" {
					big = g.name.ES
				}
				caps := bigTextCaps(t, l, big, BigWeight(grams))
				for _, text := range []string{big, BigWeight(grams)} {
					if c, ok := caps[text]; !ok || c < legibleCapMM {
						t.Errorf("%s: %q beside %s is set %.1f mm high (found %v), want at least %.0f mm", st.ID, big, BigWeight(grams), c, ok, legibleCapMM)
					}
				}
			}
		}
	}
	if printed < 20 {
		t.Errorf("%d groups printed, want every group of the shipped standards", printed)
	}
}
