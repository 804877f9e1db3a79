package grading_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/grading"
)

func TestClassifyFleeceCategoryEdges(t *testing.T) {
	t.Parallel()
	r := registry(t)
	s := standard(t, "pe-ntp-231-300-2014")
	// Extrafina ≥ 70 %, Fina 55–70, Semifina 40–55, Gruesa < 40, on
	// fleeces of 10,000 g whose fine part is split over the fine groups.
	tests := []struct {
		fine      int64
		want      string
		wantShare float64
	}{
		{10000, "EXTRAFINA", 100},
		{7001, "EXTRAFINA", 70.01},
		{7000, "EXTRAFINA", 70},
		{6999, "FINA", 69.99},
		{5500, "FINA", 55},
		{5499, "SEMIFINA", 54.99},
		{4000, "SEMIFINA", 40},
		{3999, "GRUESA", 39.99},
		{1, "GRUESA", 0.01},
		{0, "GRUESA", 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.fine), func(t *testing.T) {
			t.Parallel()
			grams := map[string]int64{"SUPER_BABY": tt.fine / 4, "BABY": tt.fine / 2, "FLEECE": tt.fine - tt.fine/4 - tt.fine/2, "HUARIZO": 10000 - tt.fine}
			got, err := r.ClassifyFleece(s, grams)
			if err != nil {
				t.Fatal(err)
			}
			if got.Category != tt.want || got.FineSharePercent != tt.wantShare {
				t.Errorf("%d of 10,000 g fine: %s at %v %%, want %s at %v %%", tt.fine, got.Category, got.FineSharePercent, tt.want, tt.wantShare)
			}
			if got.CategoryName.ES == "" || got.CategoryName.EN == "" || got.Explanation.ES == "" || got.Explanation.EN == "" {
				t.Errorf("names or explanation missing: %+v", got)
			}
		})
	}
}

func TestClassifyFleeceContractExample(t *testing.T) {
	t.Parallel()
	got, err := registry(t).ClassifyFleece(standard(t, "pe-ntp-231-300-2014"), map[string]int64{"BABY": 1200, "FLEECE": 900, "HUARIZO": 400})
	if err != nil {
		t.Fatal(err)
	}
	want := grading.FleeceResult{
		Category:         "EXTRAFINA",
		CategoryName:     grading.Text{ES: "Extrafina", EN: "Extra fine"},
		FineSharePercent: 84,
		Explanation: grading.Text{
			ES: "2,100 g de 2,500 g son finos (SUPER_BABY, BABY, FLEECE de NTP 231.301:2014 Fibra de alpaca clasificada): 84.0 %, ≥ 70 %: Extrafina (NTP 231.300 Fibra de alpaca en vellón).",
			EN: "2,100 g of 2,500 g fine (SUPER_BABY, BABY, FLEECE of NTP 231.301:2014 Classified alpaca fibre): 84.0 %, ≥ 70 %: Extra fine (NTP 231.300 Alpaca fibre in the fleece).",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("classification (-want +got):\n%s", diff)
	}
}

func TestClassifyFleeceShares(t *testing.T) {
	t.Parallel()
	r := registry(t)
	s := standard(t, "pe-ntp-231-300-2014")
	tests := []struct {
		name    string
		grams   map[string]int64
		want    string
		explain string // in the English explanation
	}{
		{"short fibre counts in the total", map[string]int64{"BABY": 700, "SHORT": 300}, "EXTRAFINA", "700 g of 1,000 g fine"},
		{"medium fleece is not fine", map[string]int64{"FLEECE": 500, "MEDIUM_FLEECE": 500}, "SEMIFINA", "50.0 %, ≥ 40 % and < 55 %"},
		{"two thirds", map[string]int64{"BABY": 2, "COARSE": 1}, "FINA", "66.7 %"},
		{"a hair below 70 % is not written as 70", map[string]int64{"BABY": 699_999, "COARSE": 300_001}, "FINA", "69.9999 %"},
		{"zero weights are allowed", map[string]int64{"BABY": 0, "HUARIZO": 10}, "GRUESA", "0 g of 10 g fine (SUPER_BABY, BABY, FLEECE of NTP 231.301:2014 Classified alpaca fibre): 0.0 %, < 40 %"},
		{"the largest fleece", map[string]int64{"BABY": 1_000_000_000, "FLEECE": 1_000_000_000}, "EXTRAFINA", "2,000,000,000 g"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := r.ClassifyFleece(s, tt.grams)
			if err != nil {
				t.Fatal(err)
			}
			if got.Category != tt.want {
				t.Errorf("category %s, want %s", got.Category, tt.want)
			}
			if !strings.Contains(got.Explanation.EN, tt.explain) {
				t.Errorf("explanation %q lacks %q", got.Explanation.EN, tt.explain)
			}
		})
	}
}

func TestClassifyFleeceRefusesBadInput(t *testing.T) {
	t.Parallel()
	r := registry(t)
	s := standard(t, "pe-ntp-231-300-2014")
	many := map[string]int64{}
	for i := range 51 {
		many[fmt.Sprintf("G%02d", i)] = 1
	}
	tests := []struct {
		name  string
		grams map[string]int64
		want  []string
	}{
		{"nil", nil, []string{"group_grams"}},
		{"empty", map[string]int64{}, []string{"group_grams"}},
		{"total zero", map[string]int64{"BABY": 0, "FLEECE": 0}, []string{"group_grams"}},
		{"negative", map[string]int64{"BABY": -1, "FLEECE": 10}, []string{`group_grams["BABY"]`}},
		{"too heavy", map[string]int64{"BABY": 1_000_000_001}, []string{`group_grams["BABY"]`}},
		{"unknown group", map[string]int64{"LLAMA": 10, "BABY": 10}, []string{`group_grams["LLAMA"]`}},
		{"a group of another standard", map[string]int64{"GRADE_1": 10}, []string{`group_grams["GRADE_1"]`}},
		{"lower case code", map[string]int64{"baby": 10}, []string{`group_grams["baby"]`}},
		{"odd key quoted", map[string]int64{"A\"B": 10}, []string{`group_grams["A\"B"]`}},
		{"several, in key order", map[string]int64{"ZZ": -1, "AA": 1}, []string{`group_grams["AA"]`, `group_grams["ZZ"]`, `group_grams["ZZ"]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := r.ClassifyFleece(s, tt.grams)
			if diff := cmp.Diff(tt.want, violationFields(t, err)); diff != "" {
				t.Errorf("violations (-want +got):\n%s\n%v", diff, err)
			}
		})
	}
	_, err := r.ClassifyFleece(s, many)
	if fields := violationFields(t, err); len(fields) == 0 || fields[0] != "group_grams" {
		t.Errorf("51 entries: violations %v, want group_grams first", fields)
	}
}

func TestClassifyFleeceNotApplicable(t *testing.T) {
	t.Parallel()
	_, err := registry(t).ClassifyFleece(standard(t, "pe-ntp-231-301-2014"), map[string]int64{"BABY": 10})
	if !errors.Is(err, grading.ErrNotApplicable) || !strings.Contains(err.Error(), "use GradeSample") {
		t.Errorf("classifying under a standard without categories: %v, want ErrNotApplicable saying to use GradeSample", err)
	}
}
