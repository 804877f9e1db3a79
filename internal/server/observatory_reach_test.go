package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/gateway/observatory"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// Weeks of the reach market: 2026-W46 and 2026-W47.
var (
	reachWeek1 = time.Date(2026, 11, 11, 15, 0, 0, 0, time.UTC)
	reachWeek2 = time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)
	reachQuery = "startTime=2026-11-01&endTime=2026-11-30"
)

// reachMarket is a campaign in which three Puno associations of four
// members each sell BABY WHITE in two weeks, every trade paid, and two
// Cusco associations sell beside them; an agency of Puno surveys prices.
type reachMarket struct {
	ts          *testServer
	agency      string
	agencyKey   string
	recorded    []*millwav1.ReferencePrice
	publicOb    millwav1.ObservatoryServiceClient
	agencyOb    millwav1.ObservatoryServiceClient
	processorOb millwav1.ObservatoryServiceClient
}

func newReachMarket(t *testing.T, dbURL string) *reachMarket {
	t.Helper()
	ts := startServer(t, dbURL)
	f, m := millwav1.Sex_SEX_FEMALE, millwav1.Sex_SEX_MALE
	puno := []*obsAssoc{
		ts.obsAssociation(t, "211101", []obsMember{{f, 10}, {f, 30}, {f, 80}, {m, 0}}),
		ts.obsAssociation(t, "211103", []obsMember{{f, 49}, {m, 50}, {m, 120}, {m, 200}}),
		ts.obsAssociation(t, "210108", []obsMember{{m, 5}, {m, 60}, {m, 70}, {m, 90}}),
	}
	four := []obsMember{{f, 10}, {f, 10}, {f, 10}, {f, 10}}
	cusco := []*obsAssoc{ts.obsAssociation(t, "080608", four), ts.obsAssociation(t, "080101", four)}
	var sales []obsSale
	for i, price := range []int64{2300, 2400, 2600} {
		sales = append(sales, obsSale{puno[i], "BABY", "WHITE", 40, price, reachWeek1, true},
			obsSale{puno[i], "BABY", "WHITE", 40, price + 100, reachWeek2, true})
	}
	for _, a := range cusco {
		sales = append(sales, obsSale{a, "BABY", "WHITE", 40, 2500, reachWeek1, true})
	}
	obsMarket(t, ts, sales)
	r := &reachMarket{ts: ts, agency: ts.insertAgency(t, "21"), publicOb: millwav1.NewObservatoryServiceClient(ts.dial(t, ""))}
	_, r.agencyKey = ts.createKey(t, millwav1.Role_ROLE_AGENCY, r.agency, false)
	r.agencyOb = millwav1.NewObservatoryServiceClient(ts.dial(t, r.agencyKey))
	_, procKey := ts.createProcessor(t, "040101")
	r.processorOb = millwav1.NewObservatoryServiceClient(ts.dial(t, procKey))
	for i, p := range []*millwav1.ReferencePrice{
		surveyed("2026-11-10", "BABY", millwav1.ReferencePriceKind_REFERENCE_PRICE_KIND_FARM_GATE, 650, millwav1.PriceUnit_PRICE_UNIT_POUND),
		surveyed("2026-11-12", "FLEECE", millwav1.ReferencePriceKind_REFERENCE_PRICE_KIND_FARM_GATE, 1400, millwav1.PriceUnit_PRICE_UNIT_KILOGRAM),
		surveyed("2026-11-20", "BABY", millwav1.ReferencePriceKind_REFERENCE_PRICE_KIND_FARM_GATE, 70000, millwav1.PriceUnit_PRICE_UNIT_QUINTAL),
		surveyed("2026-11-20", "BABY", millwav1.ReferencePriceKind_REFERENCE_PRICE_KIND_INTERMEDIARY, 1800, millwav1.PriceUnit_PRICE_UNIT_KILOGRAM),
	} {
		resp, err := r.agencyOb.RecordReferencePrice(t.Context(), &millwav1.RecordReferencePriceRequest{
			Parent: r.agency, ReferencePrice: p, RequestId: fmt.Sprintf("survey-%d", i)})
		if err != nil {
			t.Fatalf("RecordReferencePrice(%v): %v", p, err)
		}
		r.recorded = append(r.recorded, resp.GetReferencePrice())
	}
	return r
}

// surveyed is a price surveyed in Puno.
func surveyed(date, group string, kind millwav1.ReferencePriceKind, price int64, u millwav1.PriceUnit) *millwav1.ReferencePrice {
	return &millwav1.ReferencePrice{Region: "21", Place: "Feria de Macusani", ObserveDate: date, QualityGroup: group,
		Kind: kind, Price: price, Unit: u, SourceNote: "Encuesta a cinco productores"}
}

// TestObservatoryReferencePricesReachAndCSV records surveyed prices, reads
// them beside the traded series and in the CSV, and checks the reach of
// the payouts against a hand calculation.
func TestObservatoryReferencePricesReachAndCSV(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		r := newReachMarket(t, dbURL)
		ts := r.ts

		// The recorded prices by hand: S/ 6.50 a libra is 650 / 0.45359237
		// = 1433.0047 → S/ 14.33 a kg; S/ 700.00 a quintal is 70000 /
		// 45.359237 = 1543.2358 → S/ 15.43 a kg.
		first := r.recorded[0]
		if !strings.HasPrefix(first.GetName(), r.agency+"/referencePrices/") ||
			!proto.Equal(first.GetPrices(), unit(1433, 650, 65000)) || first.GetStandard() != "standards/pe-ntp-231-301-2014" ||
			first.GetCurrencyCode() != "PEN" || first.GetCreateTime() == nil {
			t.Errorf("recorded %v; want prices 14.33/kg, 6.50/lb, 650.00/quintal under the agency", first)
		}
		if got := r.recorded[2].GetPrices().GetPerKg(); got != 1543 {
			t.Errorf("S/ 700.00 a quintal is %d céntimos a kg, want 1543", got)
		}
		if n := auditEventsAbout(t, ts, first.GetName()); n != 1 {
			t.Errorf("%d audit events about %s, want 1", n, first.GetName())
		}
		again, err := r.agencyOb.RecordReferencePrice(t.Context(), &millwav1.RecordReferencePriceRequest{
			Parent: r.agency, RequestId: "survey-0",
			ReferencePrice: surveyed("2026-11-10", "BABY", millwav1.ReferencePriceKind_REFERENCE_PRICE_KIND_FARM_GATE, 650, millwav1.PriceUnit_PRICE_UNIT_POUND)})
		if err != nil || again.GetReferencePrice().GetName() != first.GetName() {
			t.Errorf("a retry of survey-0: %v, %v; want the first answer", again, err)
		}

		// Refusals write nothing.
		before := countRows(t, ts, "SELECT COUNT(*) FROM reference_prices")
		good := func() *millwav1.ReferencePrice {
			return surveyed("2026-11-10", "BABY", millwav1.ReferencePriceKind_REFERENCE_PRICE_KIND_FARM_GATE, 650, millwav1.PriceUnit_PRICE_UNIT_POUND)
		}
		bad := []struct {
			mutate func(*millwav1.ReferencePrice)
			field  string
		}{
			{func(p *millwav1.ReferencePrice) { p.Price = 0 }, "reference_price.price"},
			{func(p *millwav1.ReferencePrice) { p.Unit = 0 }, "reference_price.unit"},
			{func(p *millwav1.ReferencePrice) { p.Kind = 0 }, "reference_price.kind"},
			{func(p *millwav1.ReferencePrice) { p.ObserveDate = "2999-01-01" }, "reference_price.observe_date"},
			{func(p *millwav1.ReferencePrice) { p.QualityGroup = "SILK" }, "reference_price.quality_group"},
			{func(p *millwav1.ReferencePrice) { p.SourceNote = "" }, "reference_price.source_note"},
			{func(p *millwav1.ReferencePrice) { p.Region = "2" }, "reference_price.region"},
		}
		for _, b := range bad {
			p := good()
			b.mutate(p)
			_, err := r.agencyOb.RecordReferencePrice(t.Context(), &millwav1.RecordReferencePriceRequest{Parent: r.agency, ReferencePrice: p})
			if got := fieldViolations(t, err); !slices.Contains(got, b.field) {
				t.Errorf("RecordReferencePrice(%v): violations %v, want %s", p, got, b.field)
			}
		}
		outside := good()
		outside.Region = "08"
		_, err = r.agencyOb.RecordReferencePrice(t.Context(), &millwav1.RecordReferencePriceRequest{Parent: r.agency, ReferencePrice: outside})
		wantCode(t, "a Cusco price by a Puno agency", err, codes.PermissionDenied)
		_, err = r.processorOb.RecordReferencePrice(t.Context(), &millwav1.RecordReferencePriceRequest{Parent: r.agency, ReferencePrice: good()})
		wantCode(t, "a processor recording a price", err, codes.PermissionDenied)
		_, err = r.publicOb.RecordReferencePrice(t.Context(), &millwav1.RecordReferencePriceRequest{Parent: r.agency, ReferencePrice: good()})
		wantCode(t, "recording a price without a key", err, codes.Unauthenticated)
		other := ts.insertAgency(t, "21")
		_, err = r.agencyOb.RecordReferencePrice(t.Context(), &millwav1.RecordReferencePriceRequest{Parent: other, ReferencePrice: good()})
		wantCode(t, "recording for another agency", err, codes.NotFound)
		if after := countRows(t, ts, "SELECT COUNT(*) FROM reference_prices"); after != before {
			t.Errorf("refused requests wrote %d reference prices", after-before)
		}

		// Beside the traded series, the surveyed medians by week and kind.
		series, err := r.publicOb.ListPriceSeries(t.Context(), &millwav1.ListPriceSeriesRequest{Region: "21",
			StartTime: timestamppb.New(time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC)), EndTime: timestamppb.New(time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC))})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, sp := range series.GetSurveyedPrices() {
			got = append(got, fmt.Sprintf("%s %s %s %s %d×%d", sp.GetWeek(), sp.GetRegion(), sp.GetQualityGroup(), sp.GetKind(), sp.GetMedian().GetPerKg(), sp.GetObservationCount()))
		}
		want := []string{
			"2026-W46 21 BABY REFERENCE_PRICE_KIND_FARM_GATE 1433×1", "2026-W46 21 FLEECE REFERENCE_PRICE_KIND_FARM_GATE 1400×1",
			"2026-W47 21 BABY REFERENCE_PRICE_KIND_FARM_GATE 1543×1", "2026-W47 21 BABY REFERENCE_PRICE_KIND_INTERMEDIARY 1800×1",
		}
		if !slices.Equal(got, want) {
			t.Errorf("surveyed prices %q, want %q", got, want)
		}

		// Reach by hand. Each Puno member delivered 10 kg a week at its
		// association's price, 23.00/24.00, 24.00/25.00 and 26.00/27.00:
		// members receive 470.00, 490.00 and 530.00 each, 5960.00 in all.
		// Women: three of the first association and one of the second,
		// 3 × 470 + 490 = 1900, 31.88 % → 31.9 %. Herds under 50: two of
		// the first, one of each other, 2 × 470 + 490 + 530 = 1960,
		// 32.89 % → 32.9 %. Per kg the members got 23.50, 24.50 and 26.50,
		// four each: the lower median of twelve is 24.50. Farm-gate surveys
		// of the 2026 campaign: 14.00, 14.33 and 15.43, median 14.33.
		// Cusco's two associations are withheld.
		reach, err := r.publicOb.GetInclusionIndicators(t.Context(), &millwav1.GetInclusionIndicatorsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		wantCell := &millwav1.InclusionCell{Region: "21", RegionName: "Puno", Campaign: 2026, MembersPaid: 12, AssociationCount: 3,
			WomenSharePercent: 31.9, SmallHerdSharePercent: 32.9, MedianPayout: unit(2450, 1111, 111130),
			SurveyedFarmGate: unit(1433, 650, 65000), SurveyedCount: 3}
		if len(reach.GetCells()) != 1 || !proto.Equal(reach.GetCells()[0], wantCell) || reach.GetSuppressedCellCount() != 1 {
			t.Errorf("reach %v, %d withheld; want %v and Cusco withheld", reach.GetCells(), reach.GetSuppressedCellCount(), wantCell)
		}
		if cusco, err := r.publicOb.GetInclusionIndicators(t.Context(), &millwav1.GetInclusionIndicatorsRequest{Region: "08"}); err != nil || len(cusco.GetCells()) != 0 {
			t.Errorf("Cusco's reach: %v, %v; want nothing", cusco, err)
		}
		_, err = r.publicOb.GetInclusionIndicators(t.Context(), &millwav1.GetInclusionIndicatorsRequest{Campaign: 1999})
		wantCode(t, "campaign 1999", err, codes.InvalidArgument)

		// Over REST, without a key.
		res := ts.restAs(t, "", http.MethodGet, "/v1/observatory/inclusion?region=21", "")
		if res.code != http.StatusOK || !bytes.Contains(res.body, []byte(`"membersPaid":12`)) {
			t.Errorf("GET /v1/observatory/inclusion: HTTP %d %s", res.code, res.body)
		}

		t.Run("csv", func(t *testing.T) { checkSeriesCSV(t, ts) })
		t.Run("chromium", func(t *testing.T) { renderChartsInChromium(t, ts) })
	})
}

// checkSeriesCSV reads the series CSV as an open-data portal would: the
// comment lines state the licence and the rule, the header is the
// documented columns, and per libra and per quintal agree with per kg to
// the céntimo (1 lb = 0.45359237 kg; 1 quintal = 100 lb).
func checkSeriesCSV(t *testing.T, ts *testServer) {
	res, body := getReport(t, ts, "", "/v1/observatory/series.csv?region=21&"+reachQuery, "")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("series.csv: HTTP %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	lines := strings.SplitN(string(body), "\n", 3)
	if !strings.HasPrefix(lines[0], "# Licencia: ") || !strings.Contains(lines[0], "CC BY 4.0") || !strings.HasPrefix(lines[1], "# Regla de confidencialidad: ") {
		t.Errorf("the comment lines %q do not state the licence and the rule", lines[:2])
	}
	cr := csv.NewReader(bytes.NewReader(body))
	cr.Comment = '#'
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v", err)
	}
	if !slices.Equal(rows[0], observatory.SeriesColumns) {
		t.Errorf("header %q, want %q", rows[0], observatory.SeriesColumns)
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	var sources []string
	lb, qq := big.NewRat(45359237, 100000000), big.NewRat(45359237, 1000000)
	half := big.NewRat(1, 200) // half a céntimo, in soles
	for _, row := range rows[1:] {
		sources = append(sources, row[col["week"]]+" "+row[col["source"]]+" "+row[col["price_per_kg"]])
		kg, ok1 := new(big.Rat).SetString(row[col["price_per_kg"]])
		perLb, ok2 := new(big.Rat).SetString(row[col["price_per_lb"]])
		perQq, ok3 := new(big.Rat).SetString(row[col["price_per_quintal"]])
		if !ok1 || !ok2 || !ok3 {
			t.Fatalf("row %q: prices do not parse", row)
		}
		for _, c := range []struct {
			name       string
			got, ratio *big.Rat
		}{{"per libra", perLb, lb}, {"per quintal", perQq, qq}} {
			diff := new(big.Rat).Sub(c.got, new(big.Rat).Mul(kg, c.ratio))
			if diff.Abs(diff).Cmp(half) > 0 {
				t.Errorf("row %q: %s %s is not %s × %s to the céntimo", row, c.name, c.got.FloatString(2), kg.FloatString(2), c.ratio.FloatString(8))
			}
		}
	}
	want := []string{
		"2026-W46 traded 24.33", "2026-W47 traded 25.33",
		"2026-W46 surveyed_farm_gate 14.33", "2026-W46 surveyed_farm_gate 14.00",
		"2026-W47 surveyed_farm_gate 15.43", "2026-W47 surveyed_intermediary 18.00",
	}
	if !slices.Equal(sources, want) {
		t.Errorf("rows %q, want %q", sources, want)
	}
	if _, en := getReport(t, ts, "", "/v1/observatory/series.csv?lang=en&"+reachQuery, ""); !bytes.HasPrefix(en, []byte("# Licence: ")) {
		t.Errorf("lang=en: %.80s", en)
	}
	if res, _ := getReport(t, ts, "", "/v1/observatory/series.csv?lang=fr", ""); res.StatusCode != http.StatusBadRequest {
		t.Errorf("lang=fr: HTTP %d, want 400", res.StatusCode)
	}
}

// renderChartsInChromium fetches the index and series charts without a
// key, checks their language, opens them in headless Chromium and looks
// for the lines' colours in the screenshots.
func renderChartsInChromium(t *testing.T, ts *testServer) {
	res, index := getReport(t, ts, "", "/v1/observatory/index.svg?baseYear=2026&"+reachQuery, "")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/svg+xml; charset=utf-8" || res.Header.Get("Content-Language") != "es" ||
		!bytes.Contains(index, []byte("Indicador Alpaca (índice semanal")) {
		t.Fatalf("index.svg: HTTP %d %s %s\n%.300s", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Language"), index)
	}
	if res, en := getReport(t, ts, "", "/v1/observatory/index.svg?"+reachQuery, "en-GB,en;q=0.9"); res.Header.Get("Content-Language") != "en" ||
		!bytes.Contains(en, []byte("weekly price index")) {
		t.Errorf("index.svg with Accept-Language en-GB: %s %.200s", res.Header.Get("Content-Language"), en)
	}
	res, series := getReport(t, ts, "", "/v1/observatory/series.svg?region=21&qualityGroup=BABY&unit=lb&lang=en&"+reachQuery, "")
	if res.StatusCode != http.StatusOK || !bytes.Contains(series, []byte("per pound")) || !bytes.Contains(series, []byte("farm gate")) {
		t.Fatalf("series.svg: HTTP %d\n%.400s", res.StatusCode, series)
	}
	if res, _ := getReport(t, ts, "", "/v1/observatory/series.svg?unit=arroba", ""); res.StatusCode != http.StatusBadRequest {
		t.Errorf("unit=arroba: HTTP %d, want 400", res.StatusCode)
	}

	// Both charts on one page, each at its natural size, one above the
	// other: one Chromium run renders them.
	chromium := chromiumBinary(t)
	dir := t.TempDir()
	for name, svg := range map[string][]byte{"index.svg": index, "series.svg": series} {
		if err := os.WriteFile(filepath.Join(dir, name), svg, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	page, shot := filepath.Join(dir, "charts.html"), filepath.Join(dir, "charts.png")
	html := `<!doctype html><body style="margin:0;background:#fff"><div style="height:440px"><img src="index.svg"></div><img src="series.svg" style="display:block"></body>`
	if err := os.WriteFile(page, []byte(html), 0o600); err != nil {
		t.Fatal(err)
	}
	profile, err := os.MkdirTemp("", "millwa-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(profile) })
	ctx, cancel := context.WithTimeout(t.Context(), chromiumTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--force-color-profile=srgb", "--force-device-scale-factor=1",
		"--user-data-dir="+profile, "--window-size=800,900",
		"--screenshot="+shot, (&url.URL{Scheme: "file", Path: page}).String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("chromium wrote no screenshot: %v\n%s", err, stderr.String())
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	for _, c := range []struct {
		name    string
		within  image.Rectangle
		colours []string
	}{
		{"index", image.Rect(0, 0, 800, 440), []string{observatory.IndexColour}},
		{"series", image.Rect(0, 440, 800, 900), []string{observatory.SeriesColours[0], observatory.FarmGateColour}},
	} {
		counts, _ := pixelsOf(img, c.within)
		for _, hex := range c.colours {
			// A 3 px line across the plot (about 670 px wide) shows its
			// exact colour on well over a few hundred pixels.
			if n := counts[hexColour(t, hex)]; n < 300 {
				t.Errorf("%s chart: %d pixels of the line's colour %s in the screenshot, want at least 300", c.name, n, hex)
			}
		}
		if n := counts[color.RGBA{0xff, 0xff, 0xff, 0xff}]; n < 100_000 {
			t.Errorf("%s chart: %d white pixels; the chart did not render", c.name, n)
		}
	}
}
