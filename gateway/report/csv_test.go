package report

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"
)

// readReportCSV reads a CSV download: a UTF-8 byte order mark, then RFC 4180
// records (the blank lines between sections are skipped by the reader).
func readReportCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	rest, ok := bytes.CutPrefix(b, []byte(csvBOM))
	if !ok {
		t.Fatal("the CSV does not start with a UTF-8 byte order mark")
	}
	if !bytes.Contains(rest, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(rest, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("the CSV's lines do not all end with CRLF")
	}
	r := csv.NewReader(bytes.NewReader(rest))
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("reading the CSV: %v", err)
	}
	return records
}

// csvSection returns the records of the section titled title: its header
// row and the rows up to the next section's title.
func csvSection(t *testing.T, records [][]string, title string) [][]string {
	t.Helper()
	titles := map[string]bool{}
	for _, l := range []*Language{spanish, english} {
		for _, s := range []string{l.text.Overall, l.text.Matrix, l.text.Below, l.text.Monthly} {
			titles[s] = true
		}
	}
	for i, rec := range records {
		if len(rec) == 1 && rec[0] == title {
			end := i + 1
			for end < len(records) && !(len(records[end]) == 1 && titles[records[end][0]]) {
				end++
			}
			return records[i+1 : end]
		}
	}
	t.Fatalf("the CSV has no section %q", title)
	return nil
}

func TestReportCSV(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		lang               *Language
		header             [][]string
		statsHeader0       string
		matrixCorner       string
		monthHeader0, mon0 string
	}{
		{spanish, [][]string{
			{"Informe de consistencia de la clasificación"}, {"Ámbito", "Región Puno (21)"}, {"Código del ámbito", "21"},
			{"Inicio (UTC)", "2025-11-01 00:00:00"}, {"Fin (UTC, excluido)", "2026-04-01 00:00:00"},
			{"Estándar", "standards/pe-ntp-231-301-2014"}, {"Umbral de kappa", "0.6000"}, {"Calculado (UTC)", "2026-04-02 13:45:09"},
			{"Lotes registrados en el período", "64"}, {"Clasificadores con verificaciones", "4"}, {"Verificaciones limítrofes", "3"},
			{"Verificaciones bajo otro estándar (excluidas)", "2"},
		}, "Verificaciones", `Declarado \ Verificado`, "Mes", "2025-11"},
		{english, [][]string{
			{"Grading consistency report"}, {"Scope", "Puno region (21)"}, {"Scope code", "21"},
			{"Start (UTC)", "2025-11-01 00:00:00"}, {"End (UTC, exclusive)", "2026-04-01 00:00:00"},
			{"Standard", "standards/pe-ntp-231-301-2014"}, {"Kappa threshold", "0.6000"}, {"Computed (UTC)", "2026-04-02 13:45:09"},
			{"Lots registered in the period", "64"}, {"Classifiers with checks", "4"}, {"Borderline checks", "3"},
			{"Checks under another standard (left out)", "2"},
		}, "Checks", `Declared \ Checked`, "Month", "2025-11"},
	} {
		t.Run(tt.lang.code, func(t *testing.T) {
			t.Parallel()
			records := readReportCSV(t, render(t, CSV, testReport(), tt.lang))
			if got := records[:len(tt.header)]; !slices.EqualFunc(got, tt.header, slices.Equal) {
				t.Errorf("header block\n got %q\nwant %q", got, tt.header)
			}
			// Numbers are the same in both languages: decimal point, no
			// grouping, undefined as an empty cell.
			overall := csvSection(t, records, tt.lang.text.Overall)
			if len(overall) != 2 || overall[0][0] != tt.statsHeader0 || len(overall[0]) != 11 ||
				!slices.Equal(overall[1], []string{"60", "40", "66.67", "60", "100.00", "20", "0", "0.8567", "0.7712", "0.9423", "0.851"}) {
				t.Errorf("overall section %q", overall)
			}
			matrix := csvSection(t, records, tt.lang.text.Matrix)
			if want := append(append([]string{tt.matrixCorner}, testGroups...), "Total"); !slices.Equal(matrix[0], want) {
				t.Errorf("matrix header %q, want %q", matrix[0], want)
			}
			if len(matrix) != 1+len(testGroups) || !slices.Equal(matrix[2], []string{"BABY", "0", "10", "5", "0", "0", "0", "0", "15"}) {
				t.Errorf("matrix %q", matrix)
			}
			below := csvSection(t, records, tt.lang.text.Below)
			if len(below) != 3 || below[1][0] != "associations/apa-nuevo-amanecer/classifiers/c-undefined" ||
				!slices.Equal(below[1][1:3], []string{"", ""}) || !slices.Equal(below[1][10:], []string{"", "", "", "1.200"}) ||
				!slices.Equal(below[2], []string{"associations/apa-nuevo-amanecer/classifiers/c-lenient",
					"Rosa Quispe Mamani", "APA Nuevo Amanecer", "20", "0", "0.00", "20", "100.00", "20", "0", "0.5534", "0.4101", "0.6967", "1.400"}) {
				t.Errorf("classifiers below threshold %q", below)
			}
			monthly := csvSection(t, records, tt.lang.text.Monthly)
			if len(monthly) != 6 || monthly[0][0] != tt.monthHeader0 || monthly[1][0] != tt.mon0 {
				t.Fatalf("monthly %q", monthly)
			}
			if got := monthly[3]; got[0] != "2026-01" || got[3] != "0" || got[10] != "" {
				t.Errorf("January, without checks: %q", got)
			}
			if got := monthly[5]; !slices.Equal(got[10:], []string{"-0.1200", "-0.3000", "0.0600", "-0.250"}) {
				t.Errorf("March's negative kappa and bias %q: negative numbers pass unchanged", got)
			}
		})
	}
}

func TestReportCSVNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	records := readReportCSV(t, render(t, CSV, hostileReport(), english))
	if got := records[2]; got[1] != "associations/"+hostile {
		t.Errorf("scope code %q", got)
	}
	below := csvSection(t, records, "Classifiers below the threshold")
	if got := below[1][0]; got != "'=HYPERLINK(\"http://evil.example\",\"x\")"+hostile {
		t.Errorf("a classifier that reads as a formula: %q, want it prefixed with an apostrophe", got)
	}
	for _, tt := range []struct{ in, want string }{
		{"=1+1", "'=1+1"}, {"+cmd", "'+cmd"}, {"-2+3", "'-2+3"}, {"@SUM(A1)", "'@SUM(A1)"}, {"\tx", "'\tx"},
		{"-0.25", "-0.25"}, {"+1.5", "+1.5"}, {"", ""}, {"BABY", "BABY"}, {"2026-01", "2026-01"},
	} {
		if got := csvSafe(tt.in); got != tt.want {
			t.Errorf("csvSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
