package observatory

import (
	"encoding/csv"
	"io"
	"strconv"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// SeriesColumns are the columns of the series CSV, in order; README.md
// documents each. Prices are in the currency's major unit with two
// decimals and a decimal point (23.50 is S/ 23.50), weights in kilograms
// with three decimals, in every language.
var SeriesColumns = []string{
	"week", "week_start_date", "region", "region_name", "quality_group", "colour", "source", "currency",
	"price_per_kg", "price_per_lb", "price_per_quintal", "low_per_kg", "high_per_kg",
	"traded_kg", "trade_count", "association_count", "observation_count",
}

// The values of the CSV's source column.
const (
	SourceTraded       = "traded"
	SourceFarmGate     = "surveyed_farm_gate"
	SourceIntermediary = "surveyed_intermediary"
)

// SeriesCSV writes a ListPriceSeries answer as CSV: two comment lines
// (starting "#") with the licence and the disclosure rule in l's language,
// the header SeriesColumns, then a row per published week of each series
// (source "traded") and a row per surveyed week (source
// "surveyed_farm_gate" or "surveyed_intermediary", with no colour and
// the median in the price columns).
func SeriesCSV(w io.Writer, resp *millwav1.ListPriceSeriesResponse, l *Language) error {
	if _, err := io.WriteString(w, "# "+l.text.LicenceLabel+": "+localized(resp.GetLicence(), l)+"\n"+
		"# "+l.text.RuleLabel+": "+localized(resp.GetNote(), l)+"\n"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(SeriesColumns); err != nil {
		return err
	}
	cur := resp.GetCurrencyCode()
	for _, s := range resp.GetSeries() {
		for _, p := range s.GetPoints() {
			row := []string{p.GetWeek(), p.GetWeekStartTime().AsTime().In(peru).Format("2006-01-02"), s.GetRegion(), s.GetRegionName(),
				s.GetQualityGroup(), s.GetColour(), SourceTraded, cur,
				money(p.GetVwap().GetPerKg()), money(p.GetVwap().GetPerPound()), money(p.GetVwap().GetPerQuintal()),
				optionalMoney(p.GetLow()), optionalMoney(p.GetHigh()),
				strconv.FormatFloat(float64(p.GetTradedGrams())/1000, 'f', 3, 64), itoa(p.GetTradeCount()), itoa(p.GetAssociationCount()), ""}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	for _, sp := range resp.GetSurveyedPrices() {
		source := SourceFarmGate
		if sp.GetKind() == millwav1.ReferencePriceKind_REFERENCE_PRICE_KIND_INTERMEDIARY {
			source = SourceIntermediary
		}
		row := []string{sp.GetWeek(), sp.GetWeekStartTime().AsTime().In(peru).Format("2006-01-02"), sp.GetRegion(), sp.GetRegionName(),
			sp.GetQualityGroup(), "", source, cur,
			money(sp.GetMedian().GetPerKg()), money(sp.GetMedian().GetPerPound()), money(sp.GetMedian().GetPerQuintal()),
			"", "", "", "", "", itoa(sp.GetObservationCount())}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// money writes minor units as the major unit with two decimals.
func money(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return sign + strconv.FormatInt(minor/100, 10) + "." + strconv.FormatInt(100+minor%100, 10)[1:]
}

// optionalMoney writes a bound's price per kg, or nothing when the bound is
// not published.
func optionalMoney(u *millwav1.UnitPrices) string {
	if u == nil {
		return ""
	}
	return money(u.GetPerKg())
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// localized picks l's text of t.
func localized(t *millwav1.LocalizedText, l *Language) string {
	if l == english {
		return t.GetEn()
	}
	return t.GetEs()
}
