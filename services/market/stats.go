package market

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// statsNote explains the disclosure rules to people reading the figures.
var statsNote = &millwav1.LocalizedText{
	Es: fmt.Sprintf("Para que no se pueda deducir el precio ni el volumen de un solo vendedor, se omiten las celdas con operaciones de menos de %d asociaciones distintas, "+
		"aquellas en que una asociación vende más del %d %% del volumen y aquellas en que las asociaciones fuera de las dos mayores venden menos del %d %% de lo que vende la mayor; "+
		"el precio medio se redondea a %d céntimos por kilogramo y el volumen a %d kg, y no se publican precios mínimos ni máximos.",
		millwa.MinStatsAssociations, millwa.MaxStatsSharePercent, millwa.MinStatsRemainderPercent, millwa.StatsPriceStep, millwa.StatsGramsStep/1000),
	En: fmt.Sprintf("So that no single seller's price or volume can be read off, cells with trades of fewer than %d distinct associations are omitted, "+
		"as are cells where one association sells more than %d %% of the volume and cells where the associations beyond the two largest sell less than %d %% of what the largest sells; "+
		"the average price is rounded to %d minor units a kilogram and the volume to %d kg, and no lowest or highest price is published.",
		millwa.MinStatsAssociations, millwa.MaxStatsSharePercent, millwa.MinStatsRemainderPercent, millwa.StatsPriceStep, millwa.StatsGramsStep/1000),
}

// statsDefaultWeeks is how many weeks GetMarketStats covers when no start
// week is given: the end week and the 11 before it.
const statsDefaultWeeks = 12

// statsWeeks reads the weeks a GetMarketStatsRequest asks for, at now:
// by default the statsDefaultWeeks weeks to this one.
func statsWeeks(vs *millwa.Violations, req *millwav1.GetMarketStatsRequest, now time.Time) (start, end millwa.Week) {
	end = millwa.WeekOf(now)
	if req.GetEndWeek() != "" {
		w, ok := millwa.ParseWeek(req.GetEndWeek())
		if !ok {
			vs.Add("end_week", "must be an ISO week such as 2026-W05; got %q", req.GetEndWeek())
		}
		end = w
	}
	start = end.AddWeeks(-(statsDefaultWeeks - 1))
	if req.GetStartWeek() != "" {
		w, ok := millwa.ParseWeek(req.GetStartWeek())
		if !ok {
			vs.Add("start_week", "must be an ISO week such as 2026-W01; got %q", req.GetStartWeek())
		}
		start = w
	}
	if n := start.WeeksUntil(end); vs.Err() == nil && n < 0 {
		vs.Add("end_week", "must not be before start_week (%s)", start)
	} else if vs.Err() == nil && n+1 > millwa.MaxStatsWeeks {
		vs.Add("end_week", "must be at most %d weeks from start_week (%s) inclusive: ask for a shorter range", millwa.MaxStatsWeeks, start)
	}
	return start, end
}

// GetMarketStats publishes traded volumes and prices per week, region,
// quality group and colour under the disclosure rules of millwa.MarketStats
// (the lowest and highest price fields stay 0). It needs no API key.
func (s *Server) GetMarketStats(ctx context.Context, req *millwav1.GetMarketStatsRequest) (*millwav1.GetMarketStatsResponse, error) {
	var vs millwa.Violations
	start, end := statsWeeks(&vs, req, time.Now())
	region := req.GetRegion()
	millwa.CheckRegionFilter(&vs, region)
	currency := millwa.NormalizeCurrency(req.GetCurrencyCode())
	millwa.CheckCurrency(&vs, "currency_code", currency)
	st, ok := s.standards.MarketStandard(req.GetStandard())
	if !ok {
		vs.Add("standard", "must name a standard with quality groups or fleece categories, for example standards/%s", s.standards.DefaultID())
	} else {
		if g := req.GetQualityGroup(); g != "" && !st.HasMarketCode(g) {
			vs.Add("quality_group", "%q is not a quality group or fleece category of %s: %s", g, st.ID, st.MarketCodes())
		}
		if c := req.GetColour(); c != "" && !st.HasColour(c) {
			vs.Add("colour", "%q is not a colour code of %s: %s", c, st.ID, st.ColourCodes())
		}
	}
	if err := vs.Err(); err != nil {
		return nil, err
	}
	// Published statistics tolerate the bounded staleness of a standby.
	trades, err := s.store.StaleRead().TradedVolumes(ctx, start.Start(), end.AddWeeks(1).Start(), st.ID, currency, region, req.GetQualityGroup(), req.GetColour())
	if err != nil {
		return nil, err
	}
	cells, suppressed := millwa.MarketStats(trades)
	resp := &millwav1.GetMarketStatsResponse{
		SuppressedCellCount: int32(suppressed), Note: statsNote, CurrencyCode: currency, Standard: "standards/" + st.ID,
	}
	for _, c := range cells {
		resp.Cells = append(resp.Cells, &millwav1.MarketStatsCell{
			Week: c.Week.String(), WeekStartTime: timestamppb.New(c.Week.Start()), Region: c.Region,
			RegionName: millwa.Departments[c.Region], QualityGroup: c.QualityGroup, Colour: c.Colour,
			TradedGrams: c.TradedGrams, TradeCount: int32(c.TradeCount), VwapPricePerKg: c.VWAP,
		})
	}
	return resp, nil
}
