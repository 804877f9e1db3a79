package demo

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// demoParty is an association of the demo with what its lots need.
type demoParty struct {
	name, ubigeo, classifier string
	members                  []string
}

// seasonWeighTime is when the i-th trade of the 2026 season's clearing was
// weighed at delivery: the season's deliveries spread over its last three
// weeks, so that the observatory's series have weeks to show.
func seasonWeighTime(i int) time.Time {
	return pastOrHourAgo(demoWeighTime.AddDate(0, 0, -7*(i%3)))
}

// pastSeasonWeeks are the Wednesdays of the 2025 season's eight sale
// weeks, five of the main campaign (November–December 2025) and three of
// the small one (March 2026), when the fibre was weighed.
var pastSeasonWeeks = []time.Time{
	time.Date(2025, 11, 5, 15, 0, 0, 0, time.UTC), time.Date(2025, 11, 12, 15, 0, 0, 0, time.UTC),
	time.Date(2025, 11, 19, 15, 0, 0, 0, time.UTC), time.Date(2025, 11, 26, 15, 0, 0, 0, time.UTC),
	time.Date(2025, 12, 3, 15, 0, 0, 0, time.UTC), time.Date(2026, 3, 11, 15, 0, 0, 0, time.UTC),
	time.Date(2026, 3, 18, 15, 0, 0, 0, time.UTC), time.Date(2026, 3, 25, 15, 0, 0, 0, time.UTC),
}

// pastSeasonGroups are the groups the 2025 season sold, all WHITE, with
// the week's base ask in céntimos a kilogram. Every ask is above the 2026
// orders' bids for the group (26.00 BABY, 17.50 FLEECE), and every bale
// weighs more than the 2026 lots' 46 kg, which the season's orders ask for
// (min_lot_grams), so the two seasons' books never cross.
var pastSeasonGroups = []struct {
	code string
	base []int64
}{
	{"BABY", []int64{2900, 2880, 2860, 2820, 2800, 2750, 2760, 2740}},
	{"FLEECE", []int64{1900, 1890, 1880, 1860, 1850, 1820, 1830, 1810}},
}

// pastSeasonMinGrams is the least weight of a 2025 season bale.
const pastSeasonMinGrams = 47_000

// demoObservatory seeds what the price observatory shows: the 2025
// season's trades, a weekly clearing of bales from every association for
// each sale week, delivered and paid in that week; and a year of prices
// the Puno agency surveyed at the farm gate and from intermediaries. It
// then prints the Indicador Alpaca of that season, a week of Puno's
// BABY WHITE series in the three units, and the reach of the season's
// payouts in Puno. A second run replays every request.
func demoObservatory(ctx context.Context, stdout io.Writer, conn *grpc.ClientConn, addr string, seed uint64,
	rid func(string, ...int) string, parties []demoParty) error {
	mkt := millwav1.NewMarketServiceClient(conn)
	first := fmt.Sprintf("20%08d", 45700000+int(seed%1000)*10)
	p, err := mkt.CreateProcessor(ctx, &millwav1.CreateProcessorRequest{RequestId: rid("past-processor"), Processor: &millwav1.Processor{
		LegalName: "Compañía Textil del Altiplano S.A.C.", Ruc: first + string(millwa.RUCCheckDigit(first)), Ubigeo: "040101",
		PlantLocation: "Variante de Uchumayo km 3", Contact: &millwav1.Contact{PersonName: "Mario Pacheco Flores", Email: "compras@example.pe"},
	}})
	if err != nil {
		return fmt.Errorf("creating the 2025 season's processor: %w", err)
	}
	procName := p.GetProcessor().GetName()
	pc, err := dialAs(ctx, conn, addr, millwav1.Role_ROLE_PROCESSOR, procName)
	if err != nil {
		return err
	}
	defer pc.Close()
	proc := millwav1.NewMarketServiceClient(pc)
	sellers := map[string]millwav1.MarketServiceClient{}
	for _, party := range parties {
		c, err := dialAs(ctx, conn, addr, millwav1.Role_ROLE_ASSOCIATION, party.name)
		if err != nil {
			return err
		}
		defer c.Close()
		sellers[party.name] = millwav1.NewMarketServiceClient(c)
	}
	// Orders expire, so a second run cannot repeat the first's requests
	// exactly: a processor that has orders keeps them, and every other
	// request is replayed.
	placed, err := proc.ListPurchaseOrders(ctx, &millwav1.ListPurchaseOrdersRequest{Parent: procName, PageSize: 1})
	if err != nil {
		return fmt.Errorf("reading the 2025 season's orders: %w", err)
	}
	ordersPlaced := len(placed.GetPurchaseOrders()) > 0
	reg := millwav1.NewRegistryServiceClient(conn)
	trades := 0
	for w, weigh := range pastSeasonWeeks {
		// Each group's order takes exactly the week's bales of the group.
		weekGrams := make([]int64, len(pastSeasonGroups))
		for ai, party := range parties {
			var batch []*millwav1.CreateLotRequest
			for gi, g := range pastSeasonGroups {
				grams := pastSeasonMinGrams + int64((ai*3+w*5+gi*7)%9)*1000
				weekGrams[gi] += grams
				lot := &millwav1.Lot{
					Campaign: 2025, Breed: "HUACAYA", Colour: "WHITE", DeclaredQualityGroup: g.code, Classifier: party.classifier,
					NetWeightGrams: grams, AskPricePerKg: g.base[w] + int64(ai*20-40), CollectionPoint: "Centro de acopio comunal",
					LotNumber: fmt.Sprintf("2025-%04d", 1+w*len(pastSeasonGroups)+gi), ClassificationDate: weigh.AddDate(0, 0, -2).Format(millwa.DateLayout),
				}
				for k := range 3 {
					share := grams / 3
					if k == 0 {
						share += grams % 3
					}
					lot.Contributions = append(lot.Contributions, &millwav1.Contribution{
						Member: party.members[((w*len(pastSeasonGroups)+gi)*3+k)%len(party.members)], Grams: share})
				}
				batch = append(batch, &millwav1.CreateLotRequest{Lot: lot})
			}
			if _, err := reg.BatchCreateLots(ctx, &millwav1.BatchCreateLotsRequest{Parent: party.name, Requests: batch, RequestId: rid("past-lots", w, ai)}); err != nil {
				return fmt.Errorf("creating the 2025 season's lots: %w", err)
			}
		}
		for gi, g := range pastSeasonGroups {
			if ordersPlaced {
				break
			}
			if _, err := proc.CreatePurchaseOrder(ctx, &millwav1.CreatePurchaseOrderRequest{Parent: procName, RequestId: rid("past-order", w, gi),
				PurchaseOrder: &millwav1.PurchaseOrder{AcceptedQualityGroups: []string{g.code}, AcceptedColours: []string{"WHITE"},
					QuantityGrams: weekGrams[gi], MinLotGrams: ptr(int64(pastSeasonMinGrams)),
					BidPricePerKg: g.base[w] + 100, ExpireTime: timestamppb.New(time.Now().AddDate(0, 3, 0))}}); err != nil {
				return fmt.Errorf("placing the 2025 season's order: %w", err)
			}
		}
		run, err := mkt.RunClearing(ctx, &millwav1.RunClearingRequest{RequestId: rid("past-clearing", w)})
		if err != nil {
			return fmt.Errorf("clearing the 2025 season's week: %w", err)
		}
		list, err := mkt.ListTrades(ctx, &millwav1.ListTradesRequest{Filter: `clearing_id = "` + run.GetSummary().GetClearingId() + `"`,
			OrderBy: "create_time", PageSize: 500})
		if err != nil {
			return err
		}
		for ti, tr := range list.GetTrades() {
			trades++
			if tr.GetState() != millwav1.TradeState_TRADE_STATE_MATCHED {
				continue // a second run
			}
			for j, c := range []millwav1.MarketServiceClient{sellers[tr.GetAssociation()], proc} {
				if _, err := c.ConfirmTrade(ctx, &millwav1.ConfirmTradeRequest{Name: tr.GetName(), RequestId: rid("past-confirm", w, ti, j)}); err != nil {
					return fmt.Errorf("confirming %s: %w", tr.GetName(), err)
				}
			}
			d, err := proc.RecordDelivery(ctx, &millwav1.RecordDeliveryRequest{Name: tr.GetName(), RequestId: rid("past-deliver", w, ti),
				DeliveredGrams: tr.GetGrams(), WeighTime: timestamppb.New(weigh)})
			if err != nil {
				return fmt.Errorf("recording the delivery of %s: %w", tr.GetName(), err)
			}
			if _, err := proc.RecordPayment(ctx, &millwav1.RecordPaymentRequest{Name: tr.GetName(), RequestId: rid("past-pay", w, ti),
				PaidAmount: d.GetTrade().GetAmountDue(), PaymentReference: fmt.Sprintf("BCP-%08d", 42_000_000+w*100+ti)}); err != nil {
				return fmt.Errorf("recording the payment of %s: %w", tr.GetName(), err)
			}
		}
	}
	surveys, agencyName, err := demoSurveys(ctx, conn, addr, rid)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nObservatory: the 2025 season, %d trades in %d sale weeks (November 2025 to March 2026), delivered and paid; %s surveyed %d prices from December 2025 to November 2026.\n",
		trades, len(pastSeasonWeeks), agencyName, surveys)
	return printObservatory(ctx, stdout, millwav1.NewObservatoryServiceClient(conn))
}

// demoSurveys records a year of prices the Puno agency surveyed: on the
// 15th of each month from December 2025 to November 2026, BABY and FLEECE
// at the farm gate (per libra) and from intermediaries (per quintal). It
// returns how many and the agency's name.
func demoSurveys(ctx context.Context, conn *grpc.ClientConn, addr string, rid func(string, ...int) string) (int, string, error) {
	a, err := millwav1.NewAuditServiceClient(conn).CreateAgency(ctx, &millwav1.CreateAgencyRequest{RequestId: rid("agency"),
		Agency: &millwav1.Agency{DisplayName: "Dirección Regional Agraria Puno", Regions: []string{demoRegion}}})
	if err != nil {
		return 0, "", fmt.Errorf("reading the agency: %w", err)
	}
	agency := a.GetAgency().GetName()
	ac, err := dialAs(ctx, conn, addr, millwav1.Role_ROLE_AGENCY, agency)
	if err != nil {
		return 0, "", err
	}
	defer ac.Close()
	ob := millwav1.NewObservatoryServiceClient(ac)
	// Farm gate in soles a libra, intermediaries in soles a quintal,
	// drifting down a little each month.
	quotes := []struct {
		group       string
		kind        millwav1.ReferencePriceKind
		unit        millwav1.PriceUnit
		first, step int64
		place, note string
	}{
		{"BABY", millwav1.ReferencePriceKind_REFERENCE_PRICE_KIND_FARM_GATE, millwav1.PriceUnit_PRICE_UNIT_POUND, 920, 5,
			"Comunidad Campesina de Chimboya", "Precio pagado en chacra por rescatistas, según cinco productores"},
		{"FLEECE", millwav1.ReferencePriceKind_REFERENCE_PRICE_KIND_FARM_GATE, millwav1.PriceUnit_PRICE_UNIT_POUND, 650, 4,
			"Comunidad Campesina de Chimboya", "Precio pagado en chacra por rescatistas, según cinco productores"},
		{"BABY", millwav1.ReferencePriceKind_REFERENCE_PRICE_KIND_INTERMEDIARY, millwav1.PriceUnit_PRICE_UNIT_QUINTAL, 98000, 500,
			"Feria de Macusani", "Pizarra de un acopiador intermediario en la feria dominical"},
		{"FLEECE", millwav1.ReferencePriceKind_REFERENCE_PRICE_KIND_INTERMEDIARY, millwav1.PriceUnit_PRICE_UNIT_QUINTAL, 70000, 400,
			"Feria de Macusani", "Pizarra de un acopiador intermediario en la feria dominical"},
	}
	n := 0
	for m := range 12 {
		date := time.Date(2025, 12+time.Month(m), 15, 12, 0, 0, 0, time.UTC)
		for qi, q := range quotes {
			if _, err := ob.RecordReferencePrice(ctx, &millwav1.RecordReferencePriceRequest{Parent: agency, RequestId: rid("survey", m, qi),
				ReferencePrice: &millwav1.ReferencePrice{Region: demoRegion, Place: q.place, ObserveDate: date.Format(millwa.DateLayout),
					QualityGroup: q.group, Kind: q.kind, Price: q.first - int64(m)*q.step, Unit: q.unit, SourceNote: q.note}}); err != nil {
				return 0, "", fmt.Errorf("recording a surveyed price: %w", err)
			}
			n++
		}
	}
	return n, a.GetAgency().GetDisplayName(), nil
}

// printObservatory prints what the public observatory answers about the
// 2025 season.
func printObservatory(ctx context.Context, stdout io.Writer, ob millwav1.ObservatoryServiceClient) error {
	start, end := timestamppb.New(time.Date(2025, 11, 1, 5, 0, 0, 0, time.UTC)), timestamppb.New(time.Date(2026, 4, 1, 5, 0, 0, 0, time.UTC))
	index, err := ob.GetPriceIndex(ctx, &millwav1.GetPriceIndexRequest{StartTime: start, EndTime: end, BaseYear: 2025})
	if err != nil {
		return fmt.Errorf("reading the index: %w", err)
	}
	var points []string
	for _, pt := range index.GetPoints() {
		points = append(points, fmt.Sprintf("%s %.2f", pt.GetWeek(), pt.GetValue()))
	}
	var weights []string
	for _, b := range index.GetBasket() {
		weights = append(weights, fmt.Sprintf("%s %s %.4f", b.GetQualityGroup(), b.GetColour(), b.GetWeight()))
	}
	fmt.Fprintf(stdout, "Indicador Alpaca, PEN, base 2025 (weights %s):\n  %s\n", strings.Join(weights, ", "), strings.Join(points, "; "))
	series, err := ob.ListPriceSeries(ctx, &millwav1.ListPriceSeriesRequest{StartTime: start, EndTime: end})
	if err != nil {
		return fmt.Errorf("reading the series: %w", err)
	}
	fmt.Fprintf(stdout, "Series: %d published (%d cells withheld, fewer than 3 associations or one dominant):\n", len(series.GetSeries()), series.GetSuppressedCellCount())
	for _, s := range series.GetSeries() {
		first := s.GetPoints()[0]
		fmt.Fprintf(stdout, "  %s %s %s, %s: S/ %.2f a kg, S/ %.2f a libra, S/ %.2f a quintal; %d trades of %d associations, %.1f kg\n",
			s.GetRegionName(), s.GetQualityGroup(), s.GetColour(), first.GetWeek(), float64(first.GetVwap().GetPerKg())/100,
			float64(first.GetVwap().GetPerPound())/100, float64(first.GetVwap().GetPerQuintal())/100,
			first.GetTradeCount(), first.GetAssociationCount(), float64(first.GetTradedGrams())/1000)
	}
	reach, err := ob.GetInclusionIndicators(ctx, &millwav1.GetInclusionIndicatorsRequest{})
	if err != nil {
		return fmt.Errorf("reading the reach: %w", err)
	}
	fmt.Fprintf(stdout, "Reach of the payouts (%d cells withheld):\n", reach.GetSuppressedCellCount())
	for _, c := range reach.GetCells() {
		fmt.Fprintf(stdout, "  %s, campaign %d: %d members of %d associations paid; %.1f %% to women, %.1f %% to herds under 50; median S/ %.2f a kg against S/ %.2f surveyed at the farm gate\n",
			c.GetRegionName(), c.GetCampaign(), c.GetMembersPaid(), c.GetAssociationCount(), c.GetWomenSharePercent(), c.GetSmallHerdSharePercent(),
			float64(c.GetMedianPayout().GetPerKg())/100, float64(c.GetSurveyedFarmGate().GetPerKg())/100)
	}
	fmt.Fprintln(stdout, "  charts: GET /v1/observatory/index.svg?startTime=2025-11-01&endTime=2026-04-01&baseYear=2025; open data: GET /v1/observatory/series.csv")
	return nil
}

func ptr[T any](v T) *T { return &v }
