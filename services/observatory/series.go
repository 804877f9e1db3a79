package observatory

import (
	"cmp"
	"context"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// ListPriceSeries returns the published weekly cells as series per region,
// quality group and colour, with the surveyed prices beside them. Filters
// select published cells: the cells are computed over every region, group
// and colour first. It needs no API key.
func (s *Server) ListPriceSeries(ctx context.Context, req *millwav1.ListPriceSeriesRequest) (*millwav1.ListPriceSeriesResponse, error) {
	var vs millwa.Violations
	region := req.GetRegion()
	millwa.CheckRegionFilter(&vs, region)
	currency := millwa.NormalizeCurrency(req.GetCurrencyCode())
	millwa.CheckCurrency(&vs, "currency_code", currency)
	st, ok := s.standard(&vs, "standard", req.GetStandard())
	if ok {
		if g := req.GetQualityGroup(); g != "" && !st.HasMarketCode(g) {
			vs.Add("quality_group", "%q is not a quality group or fleece category of %s: %s", g, st.ID, st.MarketCodes())
		}
		if c := req.GetColour(); c != "" && !st.HasColour(c) {
			vs.Add("colour", "%q is not a colour code of %s: %s", c, st.ID, st.ColourCodes())
		}
	}
	from, to := s.timeRange(&vs, req.GetStartTime(), req.GetEndTime())
	if err := vs.Err(); err != nil {
		return nil, err
	}
	start, end := millwa.WeekOf(from), millwa.WeekOf(to.Add(-time.Microsecond))
	trades, err := s.store.StaleRead().ObservedTrades(ctx, start.Start(), end.AddWeeks(1).Start(), st.ID, currency)
	if err != nil {
		return nil, err
	}
	cells, suppressed := millwa.PriceCells(trades)
	resp := &millwav1.ListPriceSeriesResponse{SuppressedCellCount: int32(suppressed), CurrencyCode: currency,
		Standard: "standards/" + st.ID, Licence: licenceText, Note: noteText}
	var cur *millwav1.PriceSeries
	for _, c := range cells {
		if region != "" && c.Region != region || req.GetQualityGroup() != "" && c.QualityGroup != req.GetQualityGroup() ||
			req.GetColour() != "" && c.Colour != req.GetColour() {
			continue
		}
		if cur == nil || cur.Region != c.Region || cur.QualityGroup != c.QualityGroup || cur.Colour != c.Colour {
			cur = seriesOf(resp.Series, c)
			if cur == nil {
				cur = &millwav1.PriceSeries{Region: c.Region, RegionName: millwa.Departments[c.Region], QualityGroup: c.QualityGroup, Colour: c.Colour}
				resp.Series = append(resp.Series, cur)
			}
		}
		pt := &millwav1.PriceSeriesPoint{
			Week: c.Week.String(), WeekStartTime: timestamppb.New(c.Week.Start()), Vwap: unitPrices(c.VWAP),
			TradedGrams: c.Grams, TradeCount: int32(c.TradeCount), AssociationCount: int32(c.AssociationCount),
		}
		if c.High > 0 {
			pt.Low, pt.High = unitPrices(c.Low), unitPrices(c.High)
		}
		cur.Points = append(cur.Points, pt)
	}
	sortSeries(resp.Series)
	surveyed, err := s.store.StaleRead().ReferencePrices(ctx, start.Start().Format(millwa.DateLayout),
		end.AddWeeks(1).Start().AddDate(0, 0, -1).Format(millwa.DateLayout), st.ID, currency, region)
	if err != nil {
		return nil, err
	}
	for _, w := range millwa.SurveyedWeeks(surveyed) {
		if g := req.GetQualityGroup(); g != "" && w.QualityGroup != g {
			continue
		}
		resp.SurveyedPrices = append(resp.SurveyedPrices, &millwav1.SurveyedPrice{
			Week: w.Week.String(), WeekStartTime: timestamppb.New(w.Week.Start()), Region: w.Region, QualityGroup: w.QualityGroup,
			RegionName: millwa.Departments[w.Region], Kind: kindToProto[w.Kind], Median: unitPrices(w.MedianPerKg), ObservationCount: int32(w.Count),
		})
	}
	return resp, nil
}

// seriesOf finds the series of c's region, group and colour in series.
func seriesOf(series []*millwav1.PriceSeries, c millwa.PriceCell) *millwav1.PriceSeries {
	for _, s := range series {
		if s.Region == c.Region && s.QualityGroup == c.QualityGroup && s.Colour == c.Colour {
			return s
		}
	}
	return nil
}

// sortSeries orders series by region, quality group and colour.
func sortSeries(series []*millwav1.PriceSeries) {
	slices.SortFunc(series, func(a, b *millwav1.PriceSeries) int {
		return cmp.Or(cmp.Compare(a.Region, b.Region), cmp.Compare(a.QualityGroup, b.QualityGroup), cmp.Compare(a.Colour, b.Colour))
	})
}
