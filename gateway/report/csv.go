package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// csvBOM starts the CSV: without it spreadsheets opening the file by a
// double click read UTF-8 as their legacy code page and garble "Áncash"
// and "µm".
const csvBOM = "\ufeff"

// CSV writes a report as CSV (RFC 4180: commas, CRLF) for a
// spreadsheet, in sections separated by a blank line, each a title row
// and a table: the header block, the overall statistics, the confusion
// matrix, the classifiers below threshold and the monthly agreement. The
// words follow the language; numbers are always written with a decimal
// point and no grouping, and times as "2006-01-02 15:04:05" in UTC, so
// that the same file reads the same whatever the language asked for and
// a program can load it too. An undefined value (kappa, bias) is an
// empty cell, which a spreadsheet treats as missing, not as zero.
func CSV(w io.Writer, r *millwav1.ConsistencyReport, l *Language) error {
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

	row(t.Title)
	row(t.Scope, scopeText(r, l))
	row(t.ScopeCode, scopeCode(r))
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
	row(append([]string{t.Classifier, t.ClassifierName, t.AssociationName}, statsHeader...)...)
	for _, c := range r.GetClassifiersBelowThreshold() {
		row(append([]string{c.GetClassifier(), c.GetClassifierDisplayName(), c.GetAssociationDisplayName()},
			stats(c.GetStatistics())...)...)
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
