package report

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

func TestReportScopeText(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scope      any
		regionName string // as the server names the region's department
		es, en     string
		// The names the server gives an association or classifier scope.
		association, classifier string
	}{
		{&millwav1.ConsistencyReport_Region{Region: "08"}, "Cusco", "Región Cusco (08)", "Cusco region (08)", "", ""},
		{&millwav1.ConsistencyReport_Region{Region: "2101"}, "Puno", "Ubigeo 2101 (Puno)", "Ubigeo 2101 (Puno)", "", ""},
		{&millwav1.ConsistencyReport_Region{Region: "99"}, "", "Región 99", "Region 99", "", ""},
		{&millwav1.ConsistencyReport_Association{Association: "associations/a"}, "", "Asociación associations/a", "Association associations/a", "", ""},
		{&millwav1.ConsistencyReport_Classifier{Classifier: "associations/a/classifiers/c"}, "", "Clasificador associations/a/classifiers/c", "Classifier associations/a/classifiers/c", "", ""},
		{&millwav1.ConsistencyReport_Association{Association: "associations/a"}, "", "Asociación APA Sol (associations/a)", "Association APA Sol (associations/a)", "APA Sol", ""},
		{&millwav1.ConsistencyReport_Classifier{Classifier: "associations/a/classifiers/c"}, "",
			"Clasificador Rosa Quispe · APA Sol (associations/a/classifiers/c)", "Classifier Rosa Quispe · APA Sol (associations/a/classifiers/c)", "APA Sol", "Rosa Quispe"},
		{nil, "", "ámbito no indicado", "no scope given", "", ""},
	} {
		r := &millwav1.ConsistencyReport{RegionName: tt.regionName, AssociationDisplayName: tt.association, ClassifierDisplayName: tt.classifier}
		switch s := tt.scope.(type) {
		case *millwav1.ConsistencyReport_Region:
			r.Scope = s
		case *millwav1.ConsistencyReport_Association:
			r.Scope = s
		case *millwav1.ConsistencyReport_Classifier:
			r.Scope = s
		}
		if es, en := scopeText(r, spanish), scopeText(r, english); es != tt.es || en != tt.en {
			t.Errorf("scope %v: %q / %q, want %q / %q", tt.scope, es, en, tt.es, tt.en)
		}
	}
}

func TestReportNumberFormats(t *testing.T) {
	t.Parallel()
	const nb = "\u00a0"
	for _, tt := range []struct {
		name   string
		format func(*Language) string
		es, en string
	}{
		{"fixed", func(l *Language) string { return l.fixed(1234.5, 1) }, "1234,5", "1234.5"},
		{"negative", func(l *Language) string { return l.fixed(-0.126, 2) }, "-0,13", "-0.13"},
		{"percent", func(l *Language) string { return l.pct(200.0 / 3) }, "66,7" + nb + "%", "66.7%"},
		{"kappa", func(l *Language) string { return l.optional(proto.Float64(0.6), 2) }, "0,60", "0.60"},
		{"undefined kappa", func(l *Language) string { return l.optional(nil, 2) }, "no definido", "undefined"},
		{"kappa with interval", func(l *Language) string {
			return l.kappaWithCI(testStats(10, 5, 8, 0, 0, []float64{-0.05, -0.4, 0.3}, nil))
		}, "-0,05 (-0,40" + nb + "–" + nb + "0,30)", "-0.05 (-0.40" + nb + "–" + nb + "0.30)"},
		{"bias above", func(l *Language) string { return l.biasUm(proto.Float64(1.234)) }, "+1,23" + nb + "µm", "+1.23" + nb + "µm"},
		{"bias below", func(l *Language) string { return l.biasUm(proto.Float64(-0.5)) }, "-0,50" + nb + "µm", "-0.50" + nb + "µm"},
		{"bias none", func(l *Language) string { return l.biasUm(nil) }, "no definido", "undefined"},
		{"month", func(l *Language) string { return l.monthName(time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)) }, "ago 2026", "Aug 2026"},
	} {
		if es, en := tt.format(spanish), tt.format(english); es != tt.es || en != tt.en {
			t.Errorf("%s: %q / %q, want %q / %q", tt.name, es, en, tt.es, tt.en)
		}
	}
	if got := coord(1234.56); got != "1234.6" {
		t.Errorf("SVG coordinate %q: SVG takes a decimal point", got)
	}
}
