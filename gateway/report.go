package gateway

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// getConsistencyReportMethod is the RPC the report routes call, as the
// policy table and the interceptors know it.
const getConsistencyReportMethod = "/millwa.v1.AuditService/GetConsistencyReport"

// ConsistencyReportPath is the JSON route of AuditService.GetConsistencyReport;
// the report for people is served at the same path with the extension
// ".html" (a page) or ".csv" (a download), with the same query parameters.
const ConsistencyReportPath = "/v1/audit/consistencyReport"

// reportCSP is the Content-Security-Policy of the HTML report: it loads
// nothing from anywhere and runs nothing. Its inline style applies, and
// data: images would; it may not be framed, nor send a form.
const reportCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// reportFormat is one form of the consistency report for people.
type reportFormat struct {
	ext         string // the path's and the file name's extension
	contentType string
	// disposition is "inline" for a page to read, "attachment" for a file
	// to save.
	disposition string
	render      func(io.Writer, *millwav1.ConsistencyReport, *reportLang) error
	csp         string
}

var reportFormats = []reportFormat{
	{ext: "html", contentType: "text/html; charset=utf-8", disposition: "inline", render: renderReportHTML, csp: reportCSP},
	{ext: "csv", contentType: "text/csv; charset=utf-8", disposition: "attachment", render: renderReportCSV},
}

// registerReports serves the consistency report for people,
// GET /v1/audit/consistencyReport.html and …/consistencyReport.csv. Like
// the label routes they are not REST mappings of an RPC: each parses the
// query parameters of the JSON route (region, association or classifier;
// startTime and endTime in RFC 3339; standard; kappaThreshold), calls
// AuditService.GetConsistencyReport over conn with the metadata the
// generated routes send, so that the same key, policy and rate limit
// apply, and renders the answer in the language of lang ("es", the
// default, or "en") or, without lang, of Accept-Language. Errors, the
// page's included, are google.rpc.Status JSON with the HTTP code of their
// gRPC code, as on every other route: a program fetches the page with the
// caller's key and needs to tell a refusal from a report.
func registerReports(root *http.ServeMux, mux *runtime.ServeMux, conn *grpc.ClientConn) {
	client := millwav1.NewAuditServiceClient(conn)
	for _, f := range reportFormats {
		pattern := ConsistencyReportPath + "." + f.ext
		root.Handle("GET "+pattern, &reportHandler{mux: mux, client: client, format: f, pattern: pattern})
	}
}

// reportHandler serves one format of the consistency report.
type reportHandler struct {
	mux     *runtime.ServeMux
	client  millwav1.AuditServiceClient
	format  reportFormat
	pattern string
}

func (h *reportHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, lang, violations := parseReportQuery(r.URL.Query(), r.Header.Get("Accept-Language"))
	if len(violations) > 0 {
		writeStatus(w, r, http.StatusBadRequest, invalidQuery(violations))
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	annotated, err := runtime.AnnotateContext(ctx, h.mux, r, getConsistencyReportMethod, runtime.WithHTTPPathPattern(h.pattern))
	if err != nil {
		errorHandler(ctx, h.mux, nil, w, r, err)
		return
	}
	ctx = annotated
	resp, err := h.client.GetConsistencyReport(ctx, req)
	if err != nil {
		errorHandler(ctx, h.mux, nil, w, r, err)
		return
	}
	var body bytes.Buffer
	if err := h.format.render(&body, resp.GetConsistencyReport(), lang); err != nil {
		// Rendering into memory fails only on a bug on this side, whose
		// detail the client cannot act on.
		writeStatus(w, r, http.StatusInternalServerError, status.New(codes.Internal,
			"internal error: the consistency report could not be rendered as "+h.format.ext))
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", h.format.contentType)
	hd.Set("Content-Disposition", mime.FormatMediaType(h.format.disposition, map[string]string{
		"filename": reportFileName(resp.GetConsistencyReport(), lang, h.format.ext),
	}))
	hd.Set("Content-Length", strconv.Itoa(body.Len()))
	// A tenant's data fetched with a key: no shared cache keeps it.
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Language", lang.code)
	hd.Set("Vary", "Accept-Language")
	if h.format.csp != "" {
		hd.Set("Content-Security-Policy", h.format.csp)
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body.Bytes())
	}
}

// reportParam is one query parameter of the report routes: its name in
// the JSON route's camelCase, the proto field name (which grpc-gateway
// accepts too, and which errors name) and how it sets the request.
type reportParam struct {
	name, field string
	set         func(req *millwav1.GetConsistencyReportRequest, v string) string // a violation's description, or ""
}

var reportParams = []reportParam{
	{"region", "region", func(req *millwav1.GetConsistencyReportRequest, v string) string {
		req.Scope = &millwav1.GetConsistencyReportRequest_Region{Region: v}
		return ""
	}},
	{"association", "association", func(req *millwav1.GetConsistencyReportRequest, v string) string {
		req.Scope = &millwav1.GetConsistencyReportRequest_Association{Association: v}
		return ""
	}},
	{"classifier", "classifier", func(req *millwav1.GetConsistencyReportRequest, v string) string {
		req.Scope = &millwav1.GetConsistencyReportRequest_Classifier{Classifier: v}
		return ""
	}},
	{"startTime", "start_time", func(req *millwav1.GetConsistencyReportRequest, v string) string {
		t, msg := parseReportTime(v)
		req.StartTime = t
		return msg
	}},
	{"endTime", "end_time", func(req *millwav1.GetConsistencyReportRequest, v string) string {
		t, msg := parseReportTime(v)
		req.EndTime = t
		return msg
	}},
	{"standard", "standard", func(req *millwav1.GetConsistencyReportRequest, v string) string {
		req.Standard = v
		return ""
	}},
	{"kappaThreshold", "kappa_threshold", func(req *millwav1.GetConsistencyReportRequest, v string) string {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Sprintf("kappaThreshold %q is not a number such as 0.6", v)
		}
		req.KappaThreshold = &f
		return ""
	}},
}

// parseReportTime reads a timestamp as the JSON route does: RFC 3339.
func parseReportTime(v string) (*timestamppb.Timestamp, string) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return nil, fmt.Sprintf("%q is not an RFC 3339 time such as 2026-01-01T00:00:00Z", v)
	}
	return timestamppb.New(t), ""
}

// parseReportQuery reads the request and the language of a report route.
// It checks only what the request message cannot carry (a value that is
// not a time or a number, two scopes, a parameter given twice, an unknown
// language) and leaves the rest, a missing scope or period included, to
// GetConsistencyReport, so that both routes answer the same request the
// same way. Unknown parameters are ignored, as on the JSON route.
func parseReportQuery(q url.Values, acceptLanguage string) (*millwav1.GetConsistencyReportRequest, *reportLang, []*errdetails.BadRequest_FieldViolation) {
	req := &millwav1.GetConsistencyReportRequest{}
	var vs []*errdetails.BadRequest_FieldViolation
	add := func(field, desc string) {
		vs = append(vs, &errdetails.BadRequest_FieldViolation{Field: field, Description: desc})
	}
	var scopes []string
	for _, p := range reportParams {
		values := append(append([]string(nil), q[p.name]...), q[p.field]...)
		if p.name == p.field {
			values = q[p.name]
		}
		switch {
		case len(values) == 0:
			continue
		case len(values) > 1:
			add(p.field, fmt.Sprintf("%s is given %d times: give it once", p.name, len(values)))
			continue
		}
		if p.field == "region" || p.field == "association" || p.field == "classifier" {
			scopes = append(scopes, p.name)
		}
		if msg := p.set(req, values[0]); msg != "" {
			add(p.field, msg)
		}
	}
	if len(scopes) > 1 {
		add("scope", "give one of region, association or classifier, not "+strings.Join(scopes, " and "))
	}
	lang := langFromAcceptLanguage(acceptLanguage)
	switch values := q["lang"]; {
	case len(values) > 1:
		add("lang", fmt.Sprintf("lang is given %d times: give it once", len(values)))
	case len(values) == 1:
		l, ok := langByTag(values[0])
		if !ok {
			add("lang", fmt.Sprintf("lang %q is not one of es (Spanish, the default) or en (English)", values[0]))
		}
		lang = l
	}
	return req, lang, vs
}

// invalidQuery is the status of a report request whose query parameters
// do not make a request, shaped as the server's invalid requests are: an
// ErrorInfo and a BadRequest naming the fields.
func invalidQuery(vs []*errdetails.BadRequest_FieldViolation) *status.Status {
	fields := make([]string, len(vs))
	for i, v := range vs {
		fields[i] = v.GetField()
	}
	st := status.New(codes.InvalidArgument, "invalid request: check "+strings.Join(fields, ", "))
	if withDetails, err := st.WithDetails(
		&errdetails.ErrorInfo{Reason: "INVALID_FIELDS", Domain: "millwa"},
		&errdetails.BadRequest{FieldViolations: vs},
	); err == nil {
		st = withDetails
	}
	return st
}

// reportFileName is the name a report is saved under: the language's word
// for the report, the scope and the period, in characters every file
// system takes.
func reportFileName(r *millwav1.ConsistencyReport, l *reportLang, ext string) string {
	var scope string
	switch s := r.GetScope().(type) {
	case *millwav1.ConsistencyReport_Region:
		scope = "region-" + s.Region
	case *millwav1.ConsistencyReport_Association:
		scope = s.Association
	case *millwav1.ConsistencyReport_Classifier:
		scope = s.Classifier
	}
	parts := []string{l.text.FileName}
	if scope != "" {
		parts = append(parts, scope)
	}
	for _, ts := range []*timestamppb.Timestamp{r.GetStartTime(), r.GetEndTime()} {
		if ts != nil {
			parts = append(parts, ts.AsTime().UTC().Format("2006-01-02"))
		}
	}
	var b strings.Builder
	for _, c := range strings.Join(parts, "_") {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
		if b.Len() >= 120 {
			break
		}
	}
	return b.String() + "." + ext
}

// reportLang is a language the report is written in: its words and how it
// writes numbers.
type reportLang struct {
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

	// Column headers of the CSV that the page words differently.
	ExactCount, ExactPct, AdjacentCount, AdjacentPct, Scope, ScopeCode string
}

var spanish = &reportLang{
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
		Footer:            "Millwa — informe calculado en cada consulta a partir de la última verificación de cada lote.",
		ExactCount:        "Acuerdo exacto (verificaciones)",
		ExactPct:          "Acuerdo exacto (%)",
		AdjacentCount:     "Acuerdo adyacente (verificaciones)",
		AdjacentPct:       "Acuerdo adyacente (%)",
		Scope:             "Ámbito",
		ScopeCode:         "Código del ámbito",
	},
}

var english = &reportLang{
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
func langByTag(tag string) (*reportLang, bool) {
	primary, _, _ := strings.Cut(strings.TrimSpace(tag), "-")
	switch strings.ToLower(primary) {
	case "es":
		return spanish, true
	case "en":
		return english, true
	}
	return spanish, false
}

// langFromAcceptLanguage picks the language an Accept-Language header
// prefers of the two the report is written in: the highest quality, the
// first listed on a tie, Spanish when it names neither.
func langFromAcceptLanguage(header string) *reportLang {
	best, bestQ := spanish, 0.0
	for _, item := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(item, ";")
		l, ok := langByTag(tag)
		if !ok {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if v, found := strings.CutPrefix(strings.TrimSpace(p), "q="); found {
				if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
					q = f
				} else {
					q = 0
				}
			}
		}
		if q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}

// fixed writes v with d decimals and the language's decimal separator.
func (l *reportLang) fixed(v float64, d int) string {
	return strings.Replace(strconv.FormatFloat(v, 'f', d, 64), ".", l.decimal, 1)
}

// pct writes a percentage with one decimal.
func (l *reportLang) pct(v float64) string { return l.fixed(v, 1) + l.percent }

// optional writes v with d decimals, or the word for undefined.
func (l *reportLang) optional(v *float64, d int) string {
	if v == nil {
		return l.text.Undefined
	}
	return l.fixed(*v, d)
}

// kappaWithCI writes a weighted kappa and its 95 % interval.
func (l *reportLang) kappaWithCI(s *millwav1.AgreementStatistics) string {
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
func (l *reportLang) biasUm(v *float64) string {
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
func (l *reportLang) monthName(t time.Time) string {
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
// ubigeo with its department, an association or a classifier.
func scopeText(r *millwav1.ConsistencyReport, l *reportLang) string {
	switch s := r.GetScope().(type) {
	case *millwav1.ConsistencyReport_Region:
		code := s.Region
		if len(code) >= 2 {
			if name, ok := millwa.Departments[code[:2]]; ok {
				if len(code) == 2 {
					return fmt.Sprintf(l.text.ScopeRegionF, name, code)
				}
				return fmt.Sprintf(l.text.ScopeUbigeoF, code, name)
			}
		}
		return fmt.Sprintf(l.text.ScopeCodeF, code)
	case *millwav1.ConsistencyReport_Association:
		return fmt.Sprintf(l.text.ScopeAssociationF, s.Association)
	case *millwav1.ConsistencyReport_Classifier:
		return fmt.Sprintf(l.text.ScopeClassifierF, s.Classifier)
	}
	return l.text.NoScope
}

// statsView is an AgreementStatistics as the page writes it.
type statsView struct {
	Checks, Exact, ExactPct, Adjacent, AdjacentPct string
	Finer, Coarser, KappaCI, Bias                  string
}

func newStatsView(s *millwav1.AgreementStatistics, l *reportLang) statsView {
	return statsView{
		Checks:      strconv.Itoa(int(s.GetCheckCount())),
		Exact:       strconv.Itoa(int(s.GetExactAgreementCount())),
		ExactPct:    l.pct(s.GetExactAgreementPercent()),
		Adjacent:    strconv.Itoa(int(s.GetAdjacentAgreementCount())),
		AdjacentPct: l.pct(s.GetAdjacentAgreementPercent()),
		Finer:       strconv.Itoa(int(s.GetDeclaredFinerCount())),
		Coarser:     strconv.Itoa(int(s.GetDeclaredCoarserCount())),
		KappaCI:     l.kappaWithCI(s),
		Bias:        l.biasUm(s.MeanBiasUm),
	}
}

// classifierView is one row of the table of classifiers below threshold.
type classifierView struct {
	Name  string
	Stats statsView
}

// reportView is everything the page shows, already in its language: the
// template only places it.
type reportView struct {
	Lang, CSP                       string
	T                               *reportText
	Scope                           string
	Start, End, Standard, Threshold string
	Computed, Lots, Classifiers     string
	Borderline, OtherStandard       string
	HasChecks                       bool
	Overall                         statsView
	HeatMap                         *heatMap
	Chart                           *monthChart
	Below                           []classifierView
}

func newReportView(r *millwav1.ConsistencyReport, l *reportLang) reportView {
	v := reportView{
		Lang: l.code, CSP: reportCSP, T: &l.text,
		Scope:         scopeText(r, l),
		Start:         reportTime(r.GetStartTime()),
		End:           reportTime(r.GetEndTime()),
		Standard:      r.GetStandard(),
		Threshold:     l.fixed(r.GetKappaThreshold(), 2),
		Computed:      reportTime(r.GetComputeTime()),
		Lots:          strconv.Itoa(int(r.GetLotCount())),
		Classifiers:   strconv.Itoa(int(r.GetClassifierCount())),
		Borderline:    strconv.Itoa(int(r.GetBorderlineCount())),
		OtherStandard: strconv.Itoa(int(r.GetOtherStandardCheckCount())),
		HasChecks:     r.GetOverall().GetCheckCount() > 0,
		Overall:       newStatsView(r.GetOverall(), l),
		HeatMap:       newHeatMap(r.GetConfusionMatrix(), l),
		Chart:         newMonthChart(r.GetMonthlyAgreement(), l),
	}
	for _, c := range r.GetClassifiersBelowThreshold() {
		v.Below = append(v.Below, classifierView{Name: c.GetClassifier(), Stats: newStatsView(c.GetStatistics(), l)})
	}
	return v
}

// rgb is a colour of the drawings.
type rgb struct{ r, g, b uint8 }

func (c rgb) String() string { return fmt.Sprintf("#%02x%02x%02x", c.r, c.g, c.b) }

// mix is c at the given strength over white, 0 white and 1 c itself.
func (c rgb) mix(strength float64) rgb {
	ch := func(v uint8) uint8 { return uint8(255 - (255-float64(v))*strength + 0.5) }
	return rgb{ch(c.r), ch(c.g), ch(c.b)}
}

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

func newHeatMap(m *millwav1.ConfusionMatrix, l *reportLang) *heatMap {
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

func newMonthChart(months []*millwav1.PeriodAgreement, l *reportLang) *monthChart {
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

// reportPage is the page's template. html/template escapes every value by
// its context, the SVG's text, titles and attributes included; nothing is
// passed as trusted HTML.
var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{"coord": coord}).Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.T.Title}} — {{.Scope}}</title>
<style>
:root { color-scheme: light; }
body { font-family: system-ui, "Segoe UI", "DejaVu Sans", "Liberation Sans", sans-serif; color: #1f2328; background: #fff; margin: 0; }
main, header, footer { max-width: 1040px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; }
h1 { font-size: 1.5rem; margin: 0 0 4px; }
h2 { font-size: 1.15rem; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.scope { font-size: 1.15rem; margin: 0 0 12px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; font-size: .9rem; }
dl.meta dt { color: #59636e; }
dl.meta dd { margin: 0; }
table { border-collapse: collapse; font-size: .9rem; }
th, td { padding: 4px 10px; border-bottom: 1px solid #d0d7de; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
table.classifiers { width: 100%; }
table.classifiers th { font-size: .8rem; }
table.classifiers td:first-child { width: 28%; }
table.stats th { font-weight: normal; color: #59636e; }
.note { color: #59636e; font-size: .85rem; max-width: 760px; }
svg { display: block; max-width: 100%; height: auto; margin: 8px 0; }
code { font-size: .85rem; overflow-wrap: anywhere; }
footer { color: #59636e; font-size: .8rem; padding-bottom: 24px; margin-top: 32px; }
@media print { h2 { break-after: avoid; } svg { break-inside: avoid; } }
</style>
</head>
<body>
<header>
<h1>{{.T.Title}}</h1>
<p class="scope" id="scope">{{.Scope}}</p>
<dl class="meta">
<dt>{{.T.Period}}</dt><dd id="period">{{.Start}} – {{.End}} ({{.T.PeriodNote}})</dd>
<dt>{{.T.Standard}}</dt><dd><code>{{.Standard}}</code></dd>
<dt>{{.T.Computed}}</dt><dd>{{.Computed}}</dd>
<dt>{{.T.Threshold}}</dt><dd>{{.Threshold}}</dd>
<dt>{{.T.Lots}}</dt><dd>{{.Lots}}</dd>
<dt>{{.T.Classifiers}}</dt><dd>{{.Classifiers}}</dd>
<dt>{{.T.Borderline}}</dt><dd>{{.Borderline}}</dd>
<dt>{{.T.OtherStandard}}</dt><dd>{{.OtherStandard}}</dd>
</dl>
</header>
<main>
<section id="overall">
<h2>{{.T.Overall}}</h2>
{{if not .HasChecks}}<p class="note">{{.T.NoChecksPeriod}}</p>{{end}}
{{with .Overall}}<table class="stats">
<tr><th scope="row">{{$.T.Checks}}</th><td class="num">{{.Checks}}</td></tr>
<tr><th scope="row">{{$.T.Exact}}</th><td class="num">{{.ExactPct}} ({{.Exact}})</td></tr>
<tr><th scope="row">{{$.T.Adjacent}}</th><td class="num">{{.AdjacentPct}} ({{.Adjacent}})</td></tr>
<tr><th scope="row">{{$.T.Finer}}</th><td class="num">{{.Finer}}</td></tr>
<tr><th scope="row">{{$.T.Coarser}}</th><td class="num">{{.Coarser}}</td></tr>
<tr><th scope="row">{{$.T.KappaCI}}</th><td class="num" id="overall-kappa">{{.KappaCI}}</td></tr>
<tr><th scope="row">{{$.T.Bias}}</th><td class="num" id="overall-bias">{{.Bias}}</td></tr>
</table>{{end}}
</section>
<section id="matrix">
<h2>{{.T.Matrix}}</h2>
{{with .HeatMap}}<p class="note">{{$.T.MatrixNote}}</p>
<svg id="heatmap" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="heatmap-title heatmap-desc" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" font-family="system-ui, DejaVu Sans, sans-serif" font-size="12">
<title id="heatmap-title">{{.Title}}</title>
<desc id="heatmap-desc">{{.Desc}}</desc>
<text x="{{.CheckedAxis.X | coord}}" y="{{.CheckedAxis.Y | coord}}" text-anchor="middle" font-weight="bold">{{.CheckedAxis.Text}}</text>
<text x="{{.DeclAxis.X | coord}}" y="{{.DeclAxis.Y | coord}}" text-anchor="middle" font-weight="bold" transform="rotate(-90 {{.DeclAxis.X | coord}} {{.DeclAxis.Y | coord}})">{{.DeclAxis.Text}}</text>
<g class="columns">{{range .Columns}}
<text x="{{.X | coord}}" y="{{.Y | coord}}" transform="rotate(-40 {{.X | coord}} {{.Y | coord}})">{{.Text}}<title>{{.Full}}</title></text>{{end}}
<text x="{{.TotalX.X | coord}}" y="{{.TotalX.Y | coord}}" font-style="italic">{{.TotalX.Text}}</text>
</g>
<g class="rows" text-anchor="end">{{range .Rows}}
<text x="{{.X | coord}}" y="{{.Y | coord}}">{{.Text}}<title>{{.Full}}</title></text>{{end}}
<text x="{{.TotalY.X | coord}}" y="{{.TotalY.Y | coord}}" font-style="italic">{{.TotalY.Text}}</text>
</g>
<g class="cells" shape-rendering="crispEdges">{{range .Cells}}
<rect class="{{if .Diagonal}}cell diagonal{{else}}cell{{end}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Fill}}"><title>{{.Title}}</title></rect>{{end}}
</g>
<g class="outline" shape-rendering="crispEdges" fill="none" stroke="{{.OutlineColour}}" stroke-width="{{.OutlineWidth}}">{{range .Outlines}}
<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"/>{{end}}
</g>
<g class="counts" text-anchor="middle">{{range .Cells}}
<text x="{{.CX}}" y="{{.CY}}" fill="{{.TextFill}}" font-size="16" font-weight="bold">{{.Count}}</text>{{if .Share}}
<text x="{{.CX}}" y="{{.CY}}" dy="16" fill="{{.TextFill}}" font-size="11">{{.Share}}</text>{{end}}{{end}}
</g>
<g class="totals" font-style="italic">{{range .RowTotals}}
<text x="{{.X | coord}}" y="{{.Y | coord}}">{{.Text}}</text>{{end}}{{range .ColTotals}}
<text x="{{.X | coord}}" y="{{.Y | coord}}" text-anchor="middle">{{.Text}}</text>{{end}}
</g>
<g class="legend" shape-rendering="crispEdges">
<text x="{{.LegendTitle.X | coord}}" y="{{.LegendTitle.Y | coord}}" font-size="11">{{.LegendTitle.Text}}</text>{{range .Legend}}
<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Fill}}"/>{{end}}
<text x="{{.LegendAgree.X | coord}}" y="{{.LegendAgree.Y | coord}}" font-size="11">{{.LegendAgree.Text}}</text>
<text x="{{.LegendDisagree.X | coord}}" y="{{.LegendDisagree.Y | coord}}" font-size="11">{{.LegendDisagree.Text}}</text>
</g>
</svg>{{else}}<p class="note">{{.T.NoGroups}}</p>{{end}}
</section>
<section id="monthly">
<h2>{{.T.Monthly}}</h2>
{{with .Chart}}<p class="note">{{$.T.MonthlyNote}}</p>
<svg id="monthly-chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="monthly-title monthly-desc" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" font-family="system-ui, DejaVu Sans, sans-serif" font-size="11">
<title id="monthly-title">{{.Title}}</title>
<desc id="monthly-desc">{{.Desc}}</desc>
<g class="gaps" fill="#f6f8fa">{{range .Gaps}}
<rect class="{{.Class}}" x="{{coord .X}}" y="{{coord .Y}}" width="{{coord .W}}" height="{{coord .H}}"><title>{{.Title}}</title></rect>{{end}}
</g>
<g class="grid">{{range .Grid}}
<line x1="{{coord .X1}}" x2="{{coord .X2}}" y1="{{coord .Y}}" y2="{{coord .Y}}" stroke="#d0d7de"/>
<text x="{{coord .LeftX}}" y="{{coord .TextY}}" text-anchor="end">{{.Left}}</text>
<text x="{{coord .RightX}}" y="{{coord .TextY}}" fill="{{$.Chart.KappaStroke}}">{{.Right}}</text>{{end}}
</g>
<g class="bars">{{range .Bars}}
<rect class="{{.Class}}" x="{{coord .X}}" y="{{coord .Y}}" width="{{coord .W}}" height="{{coord .H}}" fill="{{.Fill}}"><title>{{.Title}}</title></rect>{{end}}
</g>
<g class="kappa" fill="none" stroke="{{.KappaStroke}}" stroke-width="2">{{range .KappaLines}}
<polyline points="{{.}}"/>{{end}}{{range .KappaDots}}
<circle cx="{{coord .X}}" cy="{{coord .Y}}" r="4" fill="{{$.Chart.KappaStroke}}"><title>{{.Title}}</title></circle>{{end}}
</g>
<g class="months" text-anchor="middle">{{range .Months}}
<text x="{{coord .X}}" y="{{coord .Y}}">{{.Text}}</text>{{end}}
</g>
<g class="legend">{{range .Legend}}{{if .Line}}
<line x1="{{coord .X}}" x2="{{coord .X2}}" y1="{{coord .LineY}}" y2="{{coord .LineY}}" stroke="{{.Colour}}" stroke-width="2"/>{{else}}
<rect x="{{coord .X}}" y="{{coord .Y}}" width="14" height="12" fill="{{.Colour}}"/>{{end}}
<text x="{{coord .TextX}}" y="{{coord .TextY}}">{{.Text}}</text>{{end}}
</g>
</svg>{{else}}<p class="note">{{.T.NoMonths}}</p>{{end}}
</section>
<section id="below">
<h2>{{.T.Below}}</h2>
{{if .Below}}<p class="note">{{.T.BelowNote}}</p>
<table class="classifiers">
<thead><tr><th scope="col">{{.T.Classifier}}</th><th scope="col" class="num">{{.T.Checks}}</th><th scope="col" class="num">{{.T.Exact}}</th><th scope="col" class="num">{{.T.Adjacent}}</th><th scope="col" class="num">{{.T.Finer}}</th><th scope="col" class="num">{{.T.Coarser}}</th><th scope="col" class="num">{{.T.KappaCI}}</th><th scope="col" class="num">{{.T.Bias}}</th></tr></thead>
<tbody>{{range .Below}}
<tr><td><code>{{.Name}}</code></td><td class="num">{{.Stats.Checks}}</td><td class="num">{{.Stats.ExactPct}}</td><td class="num">{{.Stats.AdjacentPct}}</td><td class="num">{{.Stats.Finer}}</td><td class="num">{{.Stats.Coarser}}</td><td class="num">{{.Stats.KappaCI}}</td><td class="num">{{.Stats.Bias}}</td></tr>{{end}}
</tbody>
</table>{{else}}<p class="note" id="none-below">{{.T.NoneBelow}}</p>{{end}}
</section>
</main>
<footer><p>{{.T.Footer}}</p></footer>
</body>
</html>
`))

// renderReportHTML writes a report as a self-contained page: no script, no
// resource from elsewhere, its drawings inline SVG.
func renderReportHTML(w io.Writer, r *millwav1.ConsistencyReport, l *reportLang) error {
	return reportPage.Execute(w, newReportView(r, l))
}

// csvBOM starts the CSV: without it spreadsheets opening the file by a
// double click read UTF-8 as their legacy code page and garble "Áncash"
// and "µm".
const csvBOM = "\ufeff"

// renderReportCSV writes a report as CSV (RFC 4180: commas, CRLF) for a
// spreadsheet, in sections separated by a blank line, each a title row
// and a table: the header block, the overall statistics, the confusion
// matrix, the classifiers below threshold and the monthly agreement. The
// words follow the language; numbers are always written with a decimal
// point and no grouping, and times as "2006-01-02 15:04:05" in UTC, so
// that the same file reads the same whatever the language asked for and
// a program can load it too. An undefined value (kappa, bias) is an
// empty cell, which a spreadsheet treats as missing, not as zero.
func renderReportCSV(w io.Writer, r *millwav1.ConsistencyReport, l *reportLang) error {
	t := &l.text
	if _, err := io.WriteString(w, csvBOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	var rows [][]string
	row := func(cells ...string) { rows = append(rows, cells) }
	num := func(v float64, d int) string { return strconv.FormatFloat(v, 'f', d, 64) }
	opt := func(v *float64, d int) string {
		if v == nil {
			return ""
		}
		return num(*v, d)
	}
	itoa := func(v int32) string { return strconv.Itoa(int(v)) }
	when := func(ts *timestamppb.Timestamp) string {
		if ts == nil {
			return ""
		}
		return ts.AsTime().UTC().Format(time.DateTime)
	}
	statsHeader := []string{t.Checks, t.ExactCount, t.ExactPct, t.AdjacentCount, t.AdjacentPct, t.Finer, t.Coarser,
		t.Kappa, t.KappaLow, t.KappaHigh, t.BiasUm}
	stats := func(s *millwav1.AgreementStatistics) []string {
		return []string{itoa(s.GetCheckCount()), itoa(s.GetExactAgreementCount()), num(s.GetExactAgreementPercent(), 2),
			itoa(s.GetAdjacentAgreementCount()), num(s.GetAdjacentAgreementPercent(), 2),
			itoa(s.GetDeclaredFinerCount()), itoa(s.GetDeclaredCoarserCount()),
			opt(s.WeightedKappa, 4), opt(s.WeightedKappaCi95Low, 4), opt(s.WeightedKappaCi95High, 4), opt(s.MeanBiasUm, 3)}
	}

	var code string
	switch s := r.GetScope().(type) {
	case *millwav1.ConsistencyReport_Region:
		code = s.Region
	case *millwav1.ConsistencyReport_Association:
		code = s.Association
	case *millwav1.ConsistencyReport_Classifier:
		code = s.Classifier
	}
	row(t.Title)
	row(t.Scope, scopeText(r, l))
	row(t.ScopeCode, code)
	row(t.Start, when(r.GetStartTime()))
	row(t.End, when(r.GetEndTime()))
	row(t.Standard, r.GetStandard())
	row(t.Threshold, num(r.GetKappaThreshold(), 4))
	row(t.Computed+" (UTC)", when(r.GetComputeTime()))
	row(t.Lots, itoa(r.GetLotCount()))
	row(t.Classifiers, itoa(r.GetClassifierCount()))
	row(t.Borderline, itoa(r.GetBorderlineCount()))
	row(t.OtherStandard, itoa(r.GetOtherStandardCheckCount()))

	row()
	row(t.Overall)
	row(statsHeader...)
	row(stats(r.GetOverall())...)

	row()
	m := r.GetConfusionMatrix()
	row(t.Matrix)
	row(append(append([]string{t.Declared + " \\ " + t.Checked}, m.GetQualityGroups()...), t.Total)...)
	for _, mr := range m.GetRows() {
		cells := []string{mr.GetDeclaredQualityGroup()}
		total := 0
		for _, c := range mr.GetCheckedCounts() {
			cells = append(cells, itoa(c))
			total += int(c)
		}
		row(append(cells, strconv.Itoa(total))...)
	}

	row()
	row(t.Below)
	row(append([]string{t.Classifier}, statsHeader...)...)
	for _, c := range r.GetClassifiersBelowThreshold() {
		row(append([]string{c.GetClassifier()}, stats(c.GetStatistics())...)...)
	}

	row()
	row(t.Monthly)
	row(append([]string{t.Month, t.Start, t.End}, statsHeader...)...)
	for _, p := range r.GetMonthlyAgreement() {
		row(append([]string{p.GetStartTime().AsTime().UTC().Format("2006-01"), when(p.GetStartTime()), when(p.GetEndTime())},
			stats(p.GetStatistics())...)...)
	}

	for _, cells := range rows {
		for i, c := range cells {
			cells[i] = csvSafe(c)
		}
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

// csvSafe keeps a spreadsheet from taking a text cell for a formula (CSV
// injection): a cell that starts as a formula would, and is not a number,
// is prefixed with an apostrophe, which spreadsheets show as text. Numbers,
// negative ones included, pass unchanged.
func csvSafe(cell string) string {
	if cell == "" || !strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return cell
	}
	if _, err := strconv.ParseFloat(cell, 64); err == nil {
		return cell
	}
	return "'" + cell
}
