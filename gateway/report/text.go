package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"

	"github.com/millwa/millwa/internal/millwa"
)

// Language is a language the report is written in: its words and how it
// writes numbers.
type Language struct {
	code    string // the BCP 47 tag, for html lang and Content-Language
	decimal string // the decimal separator
	// percent follows a percentage: Spanish puts a (no-break) space before
	// the sign, English none.
	percent string
	months  [12]string // short month names, January first
	text    reportText
}

// reportText is every word of the report in one language. Fields named
// …F are fmt formats.
type reportText struct {
	FileName, Title string
	// What the report covers: a department (name, code), a finer ubigeo
	// (code, department), a region code alone, an association, a
	// classifier, or nothing.
	ScopeRegionF, ScopeUbigeoF, ScopeCodeF, ScopeAssociationF, ScopeClassifierF, NoScope string

	Period, PeriodNote, Standard, Threshold, Computed string
	Lots, Classifiers, Borderline, OtherStandard      string

	Overall, Checks, Exact, Adjacent, Finer, Coarser  string
	Kappa, KappaCI, KappaLow, KappaHigh, Bias, BiasUm string
	Undefined, NoChecksPeriod                         string

	Matrix, MatrixNote, Declared, Checked, Total string
	MatrixTitle, MatrixDescF, CellTitleF         string
	NoGroups, ShareLegend, Agree, Disagree       string

	Monthly, MonthlyNote, Month, Start, End, NoChecks string
	ChartTitle, ChartDescF, MonthTitleF, NoMonths     string

	Below, BelowNote, NoneBelow, Classifier, Footer string
	// ClassifierName and AssociationName head the CSV's name columns.
	ClassifierName, AssociationName string

	// Column headers of the CSV that the page words differently.
	ExactCount, ExactPct, AdjacentCount, AdjacentPct, Scope, ScopeCode string
}

var spanish = &Language{
	code: "es", decimal: ",", percent: "\u00a0%",
	months: [12]string{"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"},
	text: reportText{
		FileName:          "informe-consistencia",
		Title:             "Informe de consistencia de la clasificación",
		ScopeRegionF:      "Región %s (%s)",
		ScopeUbigeoF:      "Ubigeo %s (%s)",
		ScopeCodeF:        "Región %s",
		ScopeAssociationF: "Asociación %s",
		ScopeClassifierF:  "Clasificador %s",
		NoScope:           "ámbito no indicado",
		Period:            "Período",
		PeriodNote:        "fin excluido",
		Standard:          "Estándar",
		Threshold:         "Umbral de kappa",
		Computed:          "Calculado",
		Lots:              "Lotes registrados en el período",
		Classifiers:       "Clasificadores con verificaciones",
		Borderline:        "Verificaciones limítrofes",
		OtherStandard:     "Verificaciones bajo otro estándar (excluidas)",
		Overall:           "Resultados generales",
		Checks:            "Verificaciones",
		Exact:             "Acuerdo exacto",
		Adjacent:          "Acuerdo adyacente (±1 grupo)",
		Finer:             "Declarado más fino que lo medido",
		Coarser:           "Declarado más grueso que lo medido",
		Kappa:             "Kappa ponderado cuadrático",
		KappaCI:           "Kappa ponderado cuadrático (IC 95\u00a0%)",
		KappaLow:          "Kappa IC 95 % inferior",
		KappaHigh:         "Kappa IC 95 % superior",
		Bias:              "Sesgo medio",
		BiasUm:            "Sesgo medio (µm)",
		Undefined:         "no definido",
		NoChecksPeriod:    "No hay verificaciones en el período.",
		Matrix:            "Matriz de confusión",
		MatrixNote:        "Filas: grupo declarado por el clasificador; columnas: grupo hallado por la verificación. El color indica la proporción de la fila: verde en la diagonal (acuerdo exacto, recuadrada), naranja fuera de ella.",
		Declared:          "Declarado",
		Checked:           "Verificado",
		Total:             "Total",
		MatrixTitle:       "Mapa de calor de la matriz de confusión: grupo declarado × grupo verificado",
		MatrixDescF:       "%d grupos de calidad (%s). De %d verificaciones, %d en la diagonal (acuerdo exacto).",
		CellTitleF:        "Declarado %s, verificado %s: %d de %d (%s)",
		NoGroups:          "El estándar no define grupos de calidad.",
		ShareLegend:       "Proporción de la fila",
		Agree:             "acuerdo",
		Disagree:          "desacuerdo",
		Monthly:           "Acuerdo mensual",
		MonthlyNote:       "Barras: acuerdo exacto y adyacente (%, eje izquierdo); línea: kappa ponderado (eje derecho, de −1 a 1). Los meses sin verificaciones quedan en blanco.",
		Month:             "Mes",
		Start:             "Inicio (UTC)",
		End:               "Fin (UTC, excluido)",
		NoChecks:          "sin verificaciones",
		ChartTitle:        "Acuerdo por mes",
		ChartDescF:        "%d meses, %d con verificaciones.",
		MonthTitleF:       "%s: %d verificaciones; acuerdo exacto %s, adyacente %s; kappa %s",
		NoMonths:          "El período no abarca ningún mes.",
		Below:             "Clasificadores bajo el umbral",
		BelowNote:         "Del peor al mejor: primero los de kappa no definido con desacuerdos, luego el kappa más bajo.",
		NoneBelow:         "Ningún clasificador está bajo el umbral.",
		Classifier:        "Clasificador",
		ClassifierName:    "Nombre del clasificador",
		AssociationName:   "Asociación",
		Footer:            "Millwa — informe calculado en cada consulta a partir de la última verificación de cada lote.",
		ExactCount:        "Acuerdo exacto (verificaciones)",
		ExactPct:          "Acuerdo exacto (%)",
		AdjacentCount:     "Acuerdo adyacente (verificaciones)",
		AdjacentPct:       "Acuerdo adyacente (%)",
		Scope:             "Ámbito",
		ScopeCode:         "Código del ámbito",
	},
}

var english = &Language{
	code: "en", decimal: ".", percent: "%",
	months: [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	text: reportText{
		FileName:          "consistency-report",
		Title:             "Grading consistency report",
		ScopeRegionF:      "%s region (%s)",
		ScopeUbigeoF:      "Ubigeo %s (%s)",
		ScopeCodeF:        "Region %s",
		ScopeAssociationF: "Association %s",
		ScopeClassifierF:  "Classifier %s",
		NoScope:           "no scope given",
		Period:            "Period",
		PeriodNote:        "end exclusive",
		Standard:          "Standard",
		Threshold:         "Kappa threshold",
		Computed:          "Computed",
		Lots:              "Lots registered in the period",
		Classifiers:       "Classifiers with checks",
		Borderline:        "Borderline checks",
		OtherStandard:     "Checks under another standard (left out)",
		Overall:           "Overall agreement",
		Checks:            "Checks",
		Exact:             "Exact agreement",
		Adjacent:          "Adjacent agreement (±1 group)",
		Finer:             "Declared finer than measured",
		Coarser:           "Declared coarser than measured",
		Kappa:             "Quadratic-weighted kappa",
		KappaCI:           "Quadratic-weighted kappa (95% CI)",
		KappaLow:          "Kappa 95% CI low",
		KappaHigh:         "Kappa 95% CI high",
		Bias:              "Mean bias",
		BiasUm:            "Mean bias (µm)",
		Undefined:         "undefined",
		NoChecksPeriod:    "There are no checks in the period.",
		Matrix:            "Confusion matrix",
		MatrixNote:        "Rows: group declared by the classifier; columns: group found by the check. Shading is the share of the row: green on the diagonal (exact agreement, outlined), orange off it.",
		Declared:          "Declared",
		Checked:           "Checked",
		Total:             "Total",
		MatrixTitle:       "Heat map of the confusion matrix: declared group × checked group",
		MatrixDescF:       "%d quality groups (%s). Of %d checks, %d on the diagonal (exact agreement).",
		CellTitleF:        "Declared %s, checked %s: %d of %d (%s)",
		NoGroups:          "The standard defines no quality groups.",
		ShareLegend:       "Share of the row",
		Agree:             "agreement",
		Disagree:          "disagreement",
		Monthly:           "Monthly agreement",
		MonthlyNote:       "Bars: exact and adjacent agreement (%, left axis); line: weighted kappa (right axis, −1 to 1). Months without checks are left blank.",
		Month:             "Month",
		Start:             "Start (UTC)",
		End:               "End (UTC, exclusive)",
		NoChecks:          "no checks",
		ChartTitle:        "Agreement by month",
		ChartDescF:        "%d months, %d with checks.",
		MonthTitleF:       "%s: %d checks; exact agreement %s, adjacent %s; kappa %s",
		NoMonths:          "The period spans no month.",
		Below:             "Classifiers below the threshold",
		BelowNote:         "Worst first: undefined kappa with disagreements first, then the lowest kappa.",
		NoneBelow:         "No classifier is below the threshold.",
		Classifier:        "Classifier",
		ClassifierName:    "Classifier name",
		AssociationName:   "Association",
		Footer:            "Millwa — report computed on each request from the latest check of each lot.",
		ExactCount:        "Exact agreement (checks)",
		ExactPct:          "Exact agreement (%)",
		AdjacentCount:     "Adjacent agreement (checks)",
		AdjacentPct:       "Adjacent agreement (%)",
		Scope:             "Scope",
		ScopeCode:         "Scope code",
	},
}

// langByTag is the report language of a tag such as "es", "en" or
// "en-GB": by its primary subtag.
func langByTag(tag string) (*Language, bool) {
	lang, ok := millwa.LanguageByTag(tag)
	if !ok {
		return spanish, false
	}
	return reportLanguage(lang), true
}

// langFromAcceptLanguage picks the language an Accept-Language header
// prefers of the two the report is written in (millwa.PreferredLanguage),
// Spanish when it names neither.
func langFromAcceptLanguage(header string) *Language {
	if lang, ok := millwa.PreferredLanguage(header); ok {
		return reportLanguage(lang)
	}
	return spanish
}

// reportLanguage is the report's texts in lang.
func reportLanguage(lang millwa.Language) *Language {
	if lang == millwa.English {
		return english
	}
	return spanish
}

// Code is the language's BCP 47 tag, "es" or "en", as html lang and
// Content-Language give it.
func (l *Language) Code() string { return l.code }

// fixed writes v with d decimals and the language's decimal separator.
func (l *Language) fixed(v float64, d int) string {
	return strings.Replace(strconv.FormatFloat(v, 'f', d, 64), ".", l.decimal, 1)
}

// pct writes a percentage with one decimal.
func (l *Language) pct(v float64) string { return l.fixed(v, 1) + l.percent }

// optional writes v with d decimals, or the word for undefined.
func (l *Language) optional(v *float64, d int) string {
	if v == nil {
		return l.text.Undefined
	}
	return l.fixed(*v, d)
}

// kappaWithCI writes a weighted kappa and its 95 % interval.
func (l *Language) kappaWithCI(s *millwav1.AgreementStatistics) string {
	if s.WeightedKappa == nil {
		return l.text.Undefined
	}
	k := l.fixed(s.GetWeightedKappa(), 2)
	if s.WeightedKappaCi95Low == nil || s.WeightedKappaCi95High == nil {
		return k
	}
	return k + " (" + l.fixed(s.GetWeightedKappaCi95Low(), 2) + "\u00a0–\u00a0" + l.fixed(s.GetWeightedKappaCi95High(), 2) + ")"
}

// biasUm writes a mean bias in micrometres with its sign, as it says on
// which side of the band the fibre lies.
func (l *Language) biasUm(v *float64) string {
	if v == nil {
		return l.text.Undefined
	}
	s := l.fixed(*v, 2)
	if *v > 0 {
		s = "+" + s
	}
	return s + "\u00a0µm"
}

// monthName writes a month such as "ene 2026" or "Jan 2026".
func (l *Language) monthName(t time.Time) string {
	return l.months[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// reportTime writes an instant in UTC to the minute, the same in both
// languages, as people compare it with other records.
func reportTime(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "—"
	}
	return ts.AsTime().UTC().Format("2006-01-02 15:04 UTC")
}

// scopeText says what a report covers: a department by name, a finer
// ubigeo with its department, an association or a classifier. The
// department's name is the report's region_name, so that the server's
// table of ubigeo codes is the only one; a code it names no department for
// is written alone.
func scopeText(r *millwav1.ConsistencyReport, l *Language) string {
	switch s := r.GetScope().(type) {
	case *millwav1.ConsistencyReport_Region:
		code, name := s.Region, r.GetRegionName()
		switch {
		case name == "":
			return fmt.Sprintf(l.text.ScopeCodeF, code)
		case len(code) == 2:
			return fmt.Sprintf(l.text.ScopeRegionF, name, code)
		}
		return fmt.Sprintf(l.text.ScopeUbigeoF, code, name)
	case *millwav1.ConsistencyReport_Association:
		if name := r.GetAssociationDisplayName(); name != "" {
			return fmt.Sprintf(l.text.ScopeAssociationF, name+" ("+s.Association+")")
		}
		return fmt.Sprintf(l.text.ScopeAssociationF, s.Association)
	case *millwav1.ConsistencyReport_Classifier:
		if name := r.GetClassifierDisplayName(); name != "" {
			return fmt.Sprintf(l.text.ScopeClassifierF, name+" · "+r.GetAssociationDisplayName()+" ("+s.Classifier+")")
		}
		return fmt.Sprintf(l.text.ScopeClassifierF, s.Classifier)
	}
	return l.text.NoScope
}
