package observatory

import (
	"context"

	"github.com/millwa/millwa/internal/millwa"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// GetInclusionIndicators computes who the payouts reach per region and
// campaign, under the disclosure rules of millwa.Inclusion. It needs no
// API key.
func (s *Server) GetInclusionIndicators(ctx context.Context, req *millwav1.GetInclusionIndicatorsRequest) (*millwav1.GetInclusionIndicatorsResponse, error) {
	var vs millwa.Violations
	region := req.GetRegion()
	millwa.CheckRegionFilter(&vs, region)
	if c := req.GetCampaign(); c != 0 && (c < millwa.MinCampaign || c > millwa.MaxCampaign) {
		vs.Add("campaign", "must be the shearing season's year, %d to %d, or 0 for all", millwa.MinCampaign, millwa.MaxCampaign)
	}
	currency := millwa.NormalizeCurrency(req.GetCurrencyCode())
	millwa.CheckCurrency(&vs, "currency_code", currency)
	if err := vs.Err(); err != nil {
		return nil, err
	}
	payouts, err := s.store.StaleRead().InclusionPayouts(ctx, currency)
	if err != nil {
		return nil, err
	}
	surveyed, err := s.store.StaleRead().ReferencePrices(ctx, "0000-01-01", "9999-12-31", "", currency, "")
	if err != nil {
		return nil, err
	}
	cells, suppressed := millwa.Inclusion(payouts, surveyed)
	resp := &millwav1.GetInclusionIndicatorsResponse{SuppressedCellCount: int32(suppressed), CurrencyCode: currency, Note: inclusionNote}
	for _, c := range cells {
		if region != "" && c.Region != region || req.GetCampaign() != 0 && c.Campaign != int(req.GetCampaign()) {
			continue
		}
		resp.Cells = append(resp.Cells, &millwav1.InclusionCell{
			Region: c.Region, RegionName: millwa.Departments[c.Region], Campaign: int32(c.Campaign),
			MembersPaid: int32(c.MembersPaid), AssociationCount: int32(c.AssociationCount),
			WomenSharePercent: float64(c.WomenSharePermille) / 10, SmallHerdSharePercent: float64(c.SmallHerdPermille) / 10,
			MedianPayout: unitPrices(c.MedianPayoutPerKg), SurveyedFarmGate: unitPrices(c.SurveyedFarmGate), SurveyedCount: int32(c.SurveyedCount),
		})
	}
	return resp, nil
}
