// Package observatory implements millwa.v1.ObservatoryService: the public
// price index and series of delivered trades, the prices agencies survey
// outside the platform, and who the market's payouts reach. The
// computations and their disclosure rules are internal/millwa's
// (observatory.go, inclusion.go); this package reads, validates and
// converts.
package observatory

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// Server is the ObservatoryService.
type Server struct {
	millwav1.UnimplementedObservatoryServiceServer
	store     *store.Store
	standards *grading.Registry
	now       func() time.Time
}

// New returns an ObservatoryService backed by st, with the codes of
// standards.
func New(st *store.Store, standards *grading.Registry) *Server {
	return &Server{store: st, standards: standards, now: time.Now}
}

// defaultWeeks is how many weeks a request without start_time covers.
const defaultWeeks = 52

// noteText is the disclosure rule, for display.
var noteText = &millwav1.LocalizedText{
	Es: fmt.Sprintf("Cada cifra se calcula solo con celdas fijas (semana, región, grupo de calidad, color) que tienen ventas de al menos %d asociaciones, "+
		"en las que ninguna asociación vende más del %d %% del volumen y las asociaciones fuera de las dos mayores venden al menos el %d %% de lo que vende la mayor; "+
		"las demás se omiten, y los filtros solo eligen celdas publicadas, de modo que restar una respuesta de otra no aísla a ningún vendedor. "+
		"La semana de una venta es la de su pesaje en la entrega. 1 libra = 0,45359237 kg; 1 quintal = 100 libras = 45,359237 kg.",
		millwa.MinStatsAssociations, millwa.MaxStatsSharePercent, millwa.MinStatsRemainderPercent),
	En: fmt.Sprintf("Every figure is computed from fixed cells (week, region, quality group, colour) only, each with sales of at least %d associations, "+
		"none holding more than %d %% of the volume, and the associations beyond the two largest selling at least %d %% of what the largest sells; "+
		"the others are withheld, and filters only select published cells, so subtracting one answer from another isolates no seller. "+
		"A trade's week is that of its weighing at delivery. 1 libra (lb) = 0.45359237 kg; 1 quintal = 100 libras = 45.359237 kg.",
		millwa.MinStatsAssociations, millwa.MaxStatsSharePercent, millwa.MinStatsRemainderPercent),
}

// licenceText is the open-data licence of the series.
var licenceText = &millwav1.LocalizedText{
	Es: "Datos abiertos bajo la licencia Creative Commons Atribución 4.0 (CC BY 4.0): cite «Observatorio de precios Millwa». Los precios relevados son encuestas de agencias, no ventas.",
	En: "Open data under the Creative Commons Attribution 4.0 licence (CC BY 4.0): cite \"Millwa price observatory\". Surveyed prices are agencies' surveys, not trades.",
}

// inclusionNote explains the inclusion indicators, for display.
var inclusionNote = &millwav1.LocalizedText{
	Es: fmt.Sprintf("Pagos a socios por región de la asociación y campaña del lote. Se omiten las celdas con menos de %d asociaciones o %d socios pagados. "+
		"Hato pequeño: menos de %d alpacas registradas.", millwa.InclusionMinAssociations, millwa.InclusionMinMembers, millwa.SmallHerdLimit),
	En: fmt.Sprintf("Member payouts by the association's region and the lot's campaign. Cells with fewer than %d associations or %d members paid are withheld. "+
		"Small herd: fewer than %d recorded alpacas.", millwa.InclusionMinAssociations, millwa.InclusionMinMembers, millwa.SmallHerdLimit),
}

// timeRange reads start_time and end_time: by default the 52 weeks to now,
// at most MaxObservatoryWeeks weeks.
func (s *Server) timeRange(vs *millwa.Violations, start, end *timestamppb.Timestamp) (from, to time.Time) {
	to = s.now()
	if end != nil {
		if !end.IsValid() {
			vs.Add("end_time", "must be a valid timestamp")
		}
		to = end.AsTime()
	}
	from = to.AddDate(0, 0, -7*defaultWeeks)
	if start != nil {
		if !start.IsValid() {
			vs.Add("start_time", "must be a valid timestamp")
		}
		from = start.AsTime()
	}
	if vs.Err() != nil {
		return from, to
	}
	if !from.Before(to) {
		vs.Add("end_time", "must be after start_time (%s)", from.UTC().Format(time.RFC3339))
	} else if millwa.WeekOf(from).WeeksUntil(millwa.WeekOf(to))+1 > millwa.MaxObservatoryWeeks {
		vs.Add("end_time", "must be at most %d weeks after start_time: ask for a shorter range", millwa.MaxObservatoryWeeks)
	}
	return from, to
}

// standard reads a standard's name; ok is false after a violation.
func (s *Server) standard(vs *millwa.Violations, field, name string) (*grading.Standard, bool) {
	st, ok := s.standards.MarketStandard(name)
	if !ok {
		vs.Add(field, "must name a standard with quality groups or fleece categories, for example standards/%s", s.standards.DefaultID())
	}
	return st, ok
}

// unitPrices converts a price per kilogram to its proto form.
func unitPrices(perKg int64) *millwav1.UnitPrices {
	u := millwa.PricesPerKg(perKg)
	return &millwav1.UnitPrices{PerKg: u.PerKg, PerPound: u.PerPound, PerQuintal: u.PerQuintal}
}

// GetPriceIndex computes the weekly Indicador Alpaca; see the proto for
// the method. It needs no API key.
func (s *Server) GetPriceIndex(ctx context.Context, req *millwav1.GetPriceIndexRequest) (*millwav1.GetPriceIndexResponse, error) {
	var vs millwa.Violations
	currency := millwa.NormalizeCurrency(req.GetCurrencyCode())
	millwa.CheckCurrency(&vs, "currency_code", currency)
	st, _ := s.standard(&vs, "standard", req.GetStandard())
	from, to := s.timeRange(&vs, req.GetStartTime(), req.GetEndTime())
	baseYear := int(req.GetBaseYear())
	if baseYear == 0 {
		baseYear = millwa.WeekOf(from).Year
	}
	if baseYear < millwa.MinCampaign || baseYear > millwa.MaxCampaign {
		vs.Add("base_year", "must be a year from %d to %d", millwa.MinCampaign, millwa.MaxCampaign)
	}
	if err := vs.Err(); err != nil {
		return nil, err
	}
	start, end := millwa.WeekOf(from), millwa.WeekOf(to.Add(-time.Microsecond))
	// The cells of the range's weeks and of the base year's.
	lo, hi := start.Start(), end.AddWeeks(1).Start()
	if by := (millwa.Week{Year: baseYear, Number: 1}).Start(); by.Before(lo) {
		lo = by
	}
	if ey := (millwa.Week{Year: baseYear + 1, Number: 1}).Start(); ey.After(hi) {
		hi = ey
	}
	trades, err := s.store.StaleRead().ObservedTrades(ctx, lo, hi, st.ID, currency)
	if err != nil {
		return nil, err
	}
	cells, _ := millwa.PriceCells(trades)
	points, basket := millwa.PriceIndex(cells, baseYear, start, end)
	resp := &millwav1.GetPriceIndexResponse{CurrencyCode: currency, Standard: "standards/" + st.ID, BaseYear: int32(baseYear), Note: indexNote}
	for _, p := range points {
		resp.Points = append(resp.Points, &millwav1.PriceIndexPoint{
			Week: p.Week.String(), WeekStartTime: timestamppb.New(p.Week.Start()), Value: p.Value, HasValue: p.HasValue,
			TradeCount: int32(p.TradeCount), AssociationCount: int32(p.AssociationCount), CellCount: int32(p.CellCount),
		})
	}
	for _, b := range basket {
		resp.Basket = append(resp.Basket, &millwav1.BasketWeight{QualityGroup: b.QualityGroup, Colour: b.Colour, Weight: b.Weight})
	}
	return resp, nil
}

// indexNote is the index's method in a sentence, with the disclosure rule.
var indexNote = &millwav1.LocalizedText{
	Es: "Índice de Laspeyres encadenado semanal sobre una canasta fija (grupo de calidad, color) con pesos del valor vendido en el año base; 100 en la primera semana con precios. " + noteText.Es,
	En: "A weekly chained Laspeyres index over a fixed basket (quality group, colour) weighted by the value sold in the base year; 100 in the first week with prices. " + noteText.En,
}
