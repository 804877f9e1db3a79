package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

const testAssoc = "associations/0192aa"

// testNow is "now" for parsing: 20 November 2026, so campaigns up to 2027
// and dates up to 2026-11-20 are good.
var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// fullHeader has every column, with two contribution pairs in both units.
var fullHeader = []string{
	"lot_number", "campaign", "standard", "breed", "colour", "declared_quality_group", "classifier",
	"net_weight_grams", "net_weight_kg", "ask_price_per_kg", "ask_price_pen", "collection_point",
	"classification_date", "mean_fiber_diameter_um", "sd_um", "fibers_measured", "staple_length_mm",
	"member_1", "grams_1", "kg_1", "member_2", "grams_2", "kg_2",
}

// goodRow is a valid row of fullHeader; cases change some of its fields.
func goodRow() map[string]string {
	return map[string]string{
		"lot_number": "L-001", "campaign": "2026", "breed": "HUACAYA", "colour": "WHITE", "declared_quality_group": "BABY",
		"classifier": "C1", "net_weight_grams": "46000", "ask_price_per_kg": "2200", "collection_point": "Centro de acopio Ichu",
		"member_1": "M1", "grams_1": "30000", "member_2": "M2", "grams_2": "16000",
	}
}

// csvText writes a header and rows (values by column name) as CSV.
func csvText(t testing.TB, header []string, rows ...map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(header)
	for _, r := range rows {
		rec := make([]string, len(header))
		for i, h := range header {
			rec[i] = r[h]
		}
		_ = w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// goodLot is the lot goodRow describes.
func goodLot() *millwav1.Lot {
	return &millwav1.Lot{
		LotNumber: "L-001", Campaign: 2026, Breed: "HUACAYA", Colour: "WHITE", DeclaredQualityGroup: "BABY",
		Classifier: testAssoc + "/classifiers/C1", NetWeightGrams: 46000, AskPricePerKg: 2200, CollectionPoint: "Centro de acopio Ichu",
		Contributions: []*millwav1.Contribution{{Member: testAssoc + "/members/M1", Grams: 30000}, {Member: testAssoc + "/members/M2", Grams: 16000}},
	}
}

func ptr[T any](v T) *T { return &v }

func TestParseGoodRows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change map[string]string
		want   func(l *millwav1.Lot)
	}{
		{"grams and bare ids", nil, func(*millwav1.Lot) {}},
		{"kilograms with decimals", map[string]string{"net_weight_grams": "", "net_weight_kg": "46.5", "grams_1": "", "kg_1": "30.25", "grams_2": "", "kg_2": "16.250"},
			func(l *millwav1.Lot) {
				l.NetWeightGrams = 46500
				l.Contributions[0].Grams, l.Contributions[1].Grams = 30250, 16250
			}},
		{"kilograms and grams mixed", map[string]string{"net_weight_grams": "", "net_weight_kg": "46", "grams_2": "", "kg_2": "16"}, func(*millwav1.Lot) {}},
		{"resource names", map[string]string{"classifier": testAssoc + "/classifiers/C1", "member_1": testAssoc + "/members/M1"}, func(*millwav1.Lot) {}},
		{"price in soles", map[string]string{"ask_price_per_kg": "", "ask_price_pen": "22.5"}, func(l *millwav1.Lot) { l.AskPricePerKg = 2250 }},
		{"codes in any case", map[string]string{"breed": "huacaya", "colour": "light fawn", "declared_quality_group": "medium-fleece"},
			func(l *millwav1.Lot) { l.Colour, l.DeclaredQualityGroup = "LIGHT_FAWN", "MEDIUM_FLEECE" }},
		{"standard by id", map[string]string{"standard": "pe-ntp-231-301-2004"}, func(l *millwav1.Lot) { l.Standard = "standards/pe-ntp-231-301-2004" }},
		{"standard by name", map[string]string{"standard": "standards/pe-ntp-231-301-2004"}, func(l *millwav1.Lot) { l.Standard = "standards/pe-ntp-231-301-2004" }},
		{"measurement", map[string]string{"mean_fiber_diameter_um": "27.4", "sd_um": "5", "fibers_measured": "4000", "staple_length_mm": "85", "classification_date": "2026-11-20"},
			func(l *millwav1.Lot) {
				l.Measurement = &millwav1.FiberSample{MeanFiberDiameterUm: ptr(27.4), SdUm: ptr(5.0), FibersMeasured: ptr(int64(4000)), StapleLengthMm: ptr(85.0)}
				l.ClassificationDate = "2026-11-20"
			}},
		{"one contributor, the second pair empty", map[string]string{"grams_1": "46000", "member_2": "", "grams_2": ""},
			func(l *millwav1.Lot) {
				l.Contributions = l.Contributions[:1]
				l.Contributions[0].Grams = 46000
			}},
		{"spaces around values", map[string]string{"campaign": " 2026 ", "member_1": " M1"}, func(*millwav1.Lot) {}},
		{"no lot number", map[string]string{"lot_number": ""}, func(l *millwav1.Lot) { l.LotNumber = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			row := goodRow()
			for k, v := range tt.change {
				row[k] = v
			}
			f, err := parseLotsCSV(csvText(t, fullHeader, row), testAssoc, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.errs) > 0 || len(f.rows) != 1 {
				t.Fatalf("errors %v, %d rows", f.errs, len(f.rows))
			}
			want := goodLot()
			tt.want(want)
			if diff := cmp.Diff(want, f.rows[0].lot, protocmp.Transform()); diff != "" {
				t.Errorf("lot (-want +got):\n%s", diff)
			}
			if f.rows[0].line != 2 {
				t.Errorf("line = %d, want 2", f.rows[0].line)
			}
		})
	}
}

func TestParseBadValuesNameLineAndColumn(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("ñ", 201)
	tests := []struct {
		name   string
		change map[string]string
		column string // "" for an error about the whole line
		msg    string
	}{
		{"campaign not a number", map[string]string{"campaign": "20x6"}, "campaign (B)", `"20x6" is not a year`},
		{"campaign too early", map[string]string{"campaign": "1999"}, "campaign (B)", "1999 is not a season from 2000 to 2027"},
		{"campaign too late", map[string]string{"campaign": "2028"}, "campaign (B)", "2028 is not a season"},
		{"campaign missing", map[string]string{"campaign": ""}, "campaign (B)", "is required"},
		{"standard path", map[string]string{"standard": "standards/a/b"}, "standard (C)", "is not a standard"},
		{"breed missing", map[string]string{"breed": ""}, "breed (D)", "is required"},
		{"colour not a code", map[string]string{"colour": "WH!TE"}, "colour (E)", `"WH!TE" is not a code`},
		{"group missing", map[string]string{"declared_quality_group": ""}, "declared_quality_group (F)", "is required"},
		{"classifier missing", map[string]string{"classifier": ""}, "classifier (G)", "is required"},
		{"classifier of another association", map[string]string{"classifier": "associations/other/classifiers/C1"}, "classifier (G)", "is not of " + testAssoc},
		{"classifier half a name", map[string]string{"classifier": "classifiers/C1"}, "classifier (G)", "is not the classifier's DNI, id"},
		{"grams with a thousands separator", map[string]string{"net_weight_grams": "46,000"}, "net_weight_grams (H)", "with a point and no thousands separators"},
		{"grams with decimals", map[string]string{"net_weight_grams": "46000.5"}, "net_weight_grams (H)", "whole number: use net_weight_kg"},
		{"negative grams", map[string]string{"net_weight_grams": "-5"}, "net_weight_grams (H)", "must be positive"},
		{"zero grams", map[string]string{"net_weight_grams": "0"}, "net_weight_grams (H)", "more than 0 g"},
		{"grams and kg", map[string]string{"net_weight_kg": "46"}, "net_weight_kg (I)", "not both"},
		{"no weight", map[string]string{"net_weight_grams": ""}, "net_weight_grams (H)", "the net weight is required"},
		{"kg with 4 decimals", map[string]string{"net_weight_grams": "", "net_weight_kg": "46.0005"}, "net_weight_kg (I)", "more than 3 decimals"},
		{"kg not a number", map[string]string{"net_weight_grams": "", "net_weight_kg": "cuarenta"}, "net_weight_kg (I)", "is not a number"},
		{"too heavy", map[string]string{"net_weight_grams": "60000000", "grams_1": "59984000"}, "net_weight_grams (H)", "at most 50000 kg"},
		{"no price", map[string]string{"ask_price_per_kg": ""}, "ask_price_per_kg (J)", "is required"},
		{"price in céntimos with decimals", map[string]string{"ask_price_per_kg": "22.50"}, "ask_price_per_kg (J)", "use ask_price_pen"},
		{"soles with 3 decimals", map[string]string{"ask_price_per_kg": "", "ask_price_pen": "22.505"}, "ask_price_pen (K)", "more than 2 decimals"},
		{"price zero", map[string]string{"ask_price_per_kg": "0"}, "ask_price_per_kg (J)", "must be from 0.01"},
		{"no collection point", map[string]string{"collection_point": ""}, "collection_point (L)", "is required"},
		{"long collection point", map[string]string{"collection_point": long}, "collection_point (L)", "has 201 characters"},
		{"long lot number", map[string]string{"lot_number": strings.Repeat("9", 33)}, "lot_number (A)", "at most 32"},
		{"bad date", map[string]string{"classification_date": "2026-13-01"}, "classification_date (M)", "not a date YYYY-MM-DD"},
		{"date in the future", map[string]string{"classification_date": "2026-12-01"}, "classification_date (M)", "in the future"},
		{"diameter not a number", map[string]string{"mean_fiber_diameter_um": "abc"}, "mean_fiber_diameter_um (N)", "is not a number"},
		{"diameter with a comma", map[string]string{"mean_fiber_diameter_um": "22,5"}, "mean_fiber_diameter_um (N)", "with a point"},
		{"diameter out of range", map[string]string{"mean_fiber_diameter_um": "200"}, "mean_fiber_diameter_um (N)", "outside 5 to 100"},
		{"sd without a mean", map[string]string{"sd_um": "3"}, "sd_um (O)", "needs mean_fiber_diameter_um"},
		{"fibres with decimals", map[string]string{"mean_fiber_diameter_um": "22", "fibers_measured": "1.5"}, "fibers_measured (P)", "must be a whole number"},
		{"staple too long", map[string]string{"mean_fiber_diameter_um": "22", "staple_length_mm": "900"}, "staple_length_mm (Q)", "outside 1 to 500"},
		{"member of another association", map[string]string{"member_1": "associations/other/members/M1"}, "member_1 (R)", "is not of " + testAssoc},
		{"member id with a space", map[string]string{"member_1": "M 1"}, "member_1 (R)", `"M 1" is not a member's DNI, id`},
		{"same member twice", map[string]string{"member_2": "M1"}, "member_2 (U)", "same member as member_1"},
		{"amount without member", map[string]string{"member_2": ""}, "member_2 (U)", "is empty but its amount is given"},
		{"member without amount", map[string]string{"grams_2": ""}, "grams_2 (V)", "what member_2 delivered is required"},
		{"member with both units", map[string]string{"kg_2": "16"}, "kg_2 (W)", "not both"},
		{"contribution of zero", map[string]string{"grams_2": "0"}, "grams_2 (V)", "more than 0 g"},
		{"contributions short of the weight", map[string]string{"grams_2": "15000"}, "net_weight_grams (H)", "is 46 kg but the contributions sum to 45 kg"},
		{"no contributions", map[string]string{"member_1": "", "grams_1": "", "member_2": "", "grams_2": ""}, "member_1 (R)", "at least one member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, bad := goodRow(), goodRow()
			for k, v := range tt.change {
				bad[k] = v
			}
			// The bad row is the second, on line 3.
			f, err := parseLotsCSV(csvText(t, fullHeader, ok, bad), testAssoc, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.errs) != 1 {
				t.Fatalf("errors %v, want one", f.errs)
			}
			got := f.errs[0].String()
			wantPrefix := "3: column " + tt.column + ": "
			if tt.column == "" {
				wantPrefix = "3: "
			}
			if !strings.HasPrefix(got, wantPrefix) || !strings.Contains(got, tt.msg) {
				t.Errorf("error %q, want %q…%q", got, wantPrefix, tt.msg)
			}
			if len(f.rows) != 2 || f.rows[0].lot == nil || f.rows[1].lot != nil {
				t.Errorf("rows: %d, first good %v, second bad %v", len(f.rows), f.rows[0].lot != nil, f.rows[1].lot == nil)
			}
		})
	}
}

func TestParseLinesAndFields(t *testing.T) {
	t.Parallel()
	head := strings.Join(fullHeader, ",")
	good := "L-1,2026,,HUACAYA,WHITE,BABY,C1,46000,,2200,,Ichu,,,,,,M1,46000,,,,"
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"a quoted line break moves the next row's line",
			head + "\n" + strings.Replace(good, "Ichu", "\"Ichu\nnorte\"", 1) + "\n" + strings.Replace(good, "2026", "20x6", 1) + "\n",
			[]string{"2: column collection_point (L): must not hold line breaks or control characters", `4: column campaign (B): "20x6" is not a year such as 2026`}},
		{"blank and empty rows are skipped, CRLF is fine",
			head + "\r\n\r\n,,,,,,,,,,,,,,,,,,,,,,\r\n" + strings.Replace(good, "2026", "1990", 1) + "\r\n",
			[]string{"4: column campaign (B): 1990 is not a season from 2000 to 2027"}},
		{"too few fields", head + "\n" + good[:strings.LastIndex(good, ",")] + "\n", []string{"2: has 22 fields, the header has 23"}},
		{"too many fields", head + "\n" + good + ",x\n", []string{"2: has 24 fields, the header has 23"}},
		{"trailing empty fields are fine", head + "\n" + good + ",,\n", nil},
		{"a bare quote stops reading", head + "\n" + good + "\n" + strings.Replace(good, "Ichu", `Ic"hu`, 1) + "\n" + good + "\n",
			[]string{"3: a quote (\") out of place at character 48 of line 3"}},
		{"a value under an unnamed column", head + ",\n" + good + ",x\n", []string{"2: column (unnamed) (X): the column has no name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := parseLotsCSV([]byte(tt.text), testAssoc, testNow)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range f.errs {
				got = append(got, e.String())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("errors %q, want %q", got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("error %q, want %q…", got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseHeader(t *testing.T) {
	t.Parallel()
	base := "campaign,breed,colour,declared_quality_group,classifier,net_weight_kg,ask_price_pen,collection_point,member_1,kg_1"
	tests := []struct {
		name, header string
		want         []string // substrings of the error; none for a good header
	}{
		{"minimal", base, nil},
		{"any case, spaces and a byte-order mark", "\ufeff" + strings.ToUpper(strings.ReplaceAll(base, ",", " , ")), nil},
		{"unknown columns are named", base + ",colr,peso,member_x", []string{`unknown column "colr" (K), "peso" (L), "member_x" (M)`}},
		{"missing columns", "breed,colour,member_1,grams_1", []string{"missing column campaign, declared_quality_group, classifier, collection_point, net_weight_grams or net_weight_kg, ask_price_per_kg or ask_price_pen"}},
		{"no contributions", strings.TrimSuffix(base, ",member_1,kg_1"), []string{"missing column member_1 with grams_1 or kg_1"}},
		{"a repeated column", base + ",Breed", []string{`column K repeats "breed" of column B`}},
		{"an amount without its member", base + ",grams_3", []string{"grams_3 or kg_3 without member_3"}},
		{"a member without an amount", base + ",member_2", []string{"member_2 without grams_2 or kg_2"}},
		{"a zero-padded number", base + ",member_02,grams_02", []string{`"member_02" (K)`}},
		{"semicolons", strings.ReplaceAll(base, ",", ";"), []string{"separated by semicolons"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseLotsCSV([]byte(tt.header+"\n"), testAssoc, testNow)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("header refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("header accepted, want %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), "line 1") {
				t.Errorf("error %q does not name line 1", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := parseLotsCSV(nil, testAssoc, testNow); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty file: %v", err)
	}
	if _, err := parseLotsCSV([]byte("campaign\xff\n"), testAssoc, testNow); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("Latin-1 file: %v", err)
	}
}

func TestParseFixed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		decimals int
		want     int64
		err      string
	}{
		{"46", 3, 46000, ""}, {"46.5", 3, 46500, ""}, {"0.001", 3, 1, ""}, {"007", 0, 7, ""}, {"0", 2, 0, ""},
		{"46.", 3, 0, "not a number"}, {".5", 3, 0, "not a number"}, {"4e3", 0, 0, "not a number"}, {"+4", 0, 0, "not a number"},
		{"1.2345", 3, 0, "more than 3 decimals"}, {"1.5", 0, 0, "has decimals"}, {"1,5", 3, 0, "with a point"},
		{"-1", 0, 0, "positive"}, {"9999999999999999", 3, 0, "too large"},
	}
	for _, tt := range tests {
		got, err := parseFixed(tt.in, tt.decimals)
		if tt.err == "" && (err != nil || got != tt.want) {
			t.Errorf("parseFixed(%q, %d) = %d, %v; want %d", tt.in, tt.decimals, got, err, tt.want)
		}
		if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("parseFixed(%q, %d) = %d, %v; want an error with %q", tt.in, tt.decimals, got, err, tt.err)
		}
	}
}

func TestColumnLetter(t *testing.T) {
	t.Parallel()
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 51: "AZ", 52: "BA", 701: "ZZ", 702: "AAA"} {
		if got := columnLetter(i); got != want {
			t.Errorf("columnLetter(%d) = %s, want %s", i, got, want)
		}
	}
}

// TestFormatIsDocumented keeps the help and the comment at the top of
// csv.go in step with the columns the parser takes.
func TestFormatIsDocumented(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("csv.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, _, _ := strings.Cut(string(src), "\npackage main")
	help := importHelp()
	var names []string
	for _, c := range lotColumns {
		names = append(names, c.name)
	}
	for _, c := range fixedColumns {
		if !strings.Contains(strings.Join(names, " "), c) {
			t.Errorf("column %s is missing from lotColumns (the help)", c)
		}
	}
	for _, c := range append(fixedColumns, "member_1", "grams_1", "kg_1") {
		if !strings.Contains(doc, "\n//\t"+c) && !strings.Contains(doc, " "+c+",") {
			t.Errorf("column %s is not documented at the top of csv.go", c)
		}
		if !strings.Contains(help, c) && !strings.Contains(help, strings.TrimSuffix(c, "1")+"N") {
			t.Errorf("column %s is not in the help", c)
		}
	}
}

func TestPlanBatches(t *testing.T) {
	t.Parallel()
	var rows []lotRow
	for line := 2; line <= 11; line++ {
		rows = append(rows, lotRow{line: line, lot: goodLot()})
	}
	rows[2].lot = nil // line 4 is bad
	bad := map[int]bool{4: true, 6: true, 7: true}
	var got []string
	for _, b := range planBatches(rows, bad, "abc", 3) {
		var lines []int
		for _, r := range b.rows {
			lines = append(lines, r.line)
		}
		got = append(got, fmt.Sprintf("%s %v", b.id, lines))
	}
	// Windows of 3 data rows: lines 2-4, 5-7, 8-10 and 11; bad lines are left
	// out, but the windows stay where they are.
	want := []string{"csv-abc-2-4 [2 3]", "csv-abc-5-7 [5]", "csv-abc-8-10 [8 9 10]", "csv-abc-11-11 [11]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
	if b := planBatches(rows[:3], map[int]bool{2: true, 3: true}, "abc", 3); len(b) != 0 {
		t.Errorf("a window of bad rows makes a batch: %v", b)
	}
}

func TestPlanBatchesStaysUnderTheMessageLimit(t *testing.T) {
	t.Parallel()
	big := goodLot()
	big.CollectionPoint = strings.Repeat("x", 200)
	big.Contributions = nil
	for i := range maxContributions {
		big.Contributions = append(big.Contributions, &millwav1.Contribution{Member: fmt.Sprintf("%s/members/0192f0c5-0000-7000-8000-%012d", testAssoc, i), Grams: 1})
	}
	var rows []lotRow
	for line := 2; line < 2+60; line++ {
		rows = append(rows, lotRow{line: line, lot: big})
	}
	batches := planBatches(rows, nil, "abc", 500)
	if len(batches) < 2 {
		t.Fatalf("%d batches for %d bytes of lots", len(batches), 60*proto.Size(big))
	}
	next := 2
	for _, b := range batches {
		req := &millwav1.BatchCreateLotsRequest{Parent: testAssoc, RequestId: b.id}
		for _, r := range b.rows {
			req.Requests = append(req.Requests, &millwav1.CreateLotRequest{Lot: r.lot})
		}
		if n := proto.Size(req); n > 1<<20 {
			t.Errorf("%s is %d bytes, over the server's 1 MiB", b.id, n)
		}
		if b.first != next || b.rows[0].line != b.first || b.rows[len(b.rows)-1].line != b.last {
			t.Errorf("%s spans %d-%d, want it to start at %d", b.id, b.first, b.last, next)
		}
		next = b.last + 1
	}
	if next != 62 {
		t.Errorf("batches end at line %d, want 61", next-1)
	}
}

func TestMapViolations(t *testing.T) {
	t.Parallel()
	f, err := parseLotsCSV(csvText(t, fullHeader, goodRow(), func() map[string]string {
		r := goodRow()
		r["net_weight_grams"], r["net_weight_kg"], r["grams_2"], r["kg_2"] = "", "46", "", "16"
		return r
	}()), testAssoc, testNow)
	if err != nil || len(f.errs) > 0 {
		t.Fatal(err, f.errs)
	}
	b := &batch{id: "csv-x-2-3", first: 2, last: 3, rows: []*lotRow{&f.rows[0], &f.rows[1]}}
	st, _ := status.New(codes.InvalidArgument, "bad lots").WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
		{Field: "requests[1].lot.colour", Description: "must be a colour code"},
		{Field: "requests[1].lot.contributions[1].grams", Description: "must be positive"},
		{Field: "requests[1].lot.net_weight_grams", Description: "must be positive"},
		{Field: "requests[0].lot.contributions[0].member", Description: "is not a member"},
		{Field: "requests[0].lot.measurement.sd_um", Description: "too big"},
		{Field: "requests", Description: "too many"},
	}})
	errs, rejected := mapViolations(english, st.Err(), b, f.header)
	var got []string
	for _, e := range errs {
		got = append(got, e.String())
	}
	want := []string{
		"3: column colour (E): refused by the server: lot.colour must be a colour code",
		"3: column kg_2 (W): refused by the server: lot.contributions[1].grams must be positive",
		"3: column net_weight_kg (I): refused by the server: lot.net_weight_grams must be positive",
		"2: column member_1 (R): refused by the server: lot.contributions[0].member is not a member",
		"2: column sd_um (O): refused by the server: lot.measurement.sd_um too big",
		"2: lines 2-3 were refused: requests too many",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if !rejected[2] || !rejected[3] || len(rejected) != 2 {
		t.Errorf("rejected lines %v, want 2 and 3", rejected)
	}

	reused, _ := status.New(codes.InvalidArgument, "request_id reused").WithDetails(&errdetails.ErrorInfo{Reason: "REQUEST_ID_REUSED", Domain: "millwa"},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "request_id", Description: "was already used for a different request"}}})
	errs, rejected = mapViolations(english, reused.Err(), b, f.header)
	if len(errs) != 1 || !strings.Contains(errs[0].msg, "lines 2-3 were refused: request_id csv-x-2-3 was used before for other rows: the file or --batch changed") || len(rejected) != 0 {
		t.Errorf("request_id reused: %v %v", errs, rejected)
	}
}

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"localhost:9090": true, "LOCALHOST:1": true, "127.0.0.1:9090": true, "127.1.2.3:5": true, "[::1]:9090": true,
		"dns:///localhost:9090": true, "millwa.example.pe:443": false, "10.0.0.5:9090": false, "localhost.example.pe:1": false,
	} {
		if got := isLoopback(addr); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
