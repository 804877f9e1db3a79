package demo

import (
	"context"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// demoProcessor is one processor of the demo market, with the orders it
// places: most processing is in Arequipa.
type demoProcessor struct {
	legalName, ubigeo, plant, person string
	orders                           []demoOrder
}

// demoOrder is a purchase order of the demo market. Bids are in céntimos a
// kilogram, a little above the associations' usual asks for each group.
type demoOrder struct {
	groups, colours []string
	maxUm           float64 // 0 for no maximum
	kg, bid         int64
}

var demoProcessors = []demoProcessor{
	{"Tops e Hilados del Sur S.A.C.", "040101", "Parque Industrial de Arequipa, Calle 2 s/n", "Carmen Zegarra Valdivia", []demoOrder{
		{[]string{"SUPER_BABY", "BABY"}, []string{"WHITE"}, 23.0, 1500, 2600},
		{[]string{"FLEECE"}, []string{"WHITE", "LIGHT_FAWN"}, 0, 2500, 1750},
	}},
	{"Fibras Andinas del Misti S.A.", "040104", "Av. Aviación 1203, Cerro Colorado", "Raúl Linares Paredes", []demoOrder{
		{[]string{"FLEECE", "MEDIUM_FLEECE"}, nil, 28.0, 3500, 1450},
		{[]string{"BABY"}, []string{"FAWN", "LIGHT_BROWN", "BROWN", "BLACK", "GREY"}, 0, 600, 2350},
	}},
	{"Textil Alpaquera Characato S.A.C.", "040103", "Carretera a Characato km 4", "Elena Chávez Rivera", []demoOrder{
		{[]string{"HUARIZO", "COARSE"}, nil, 0, 2500, 650},
		{[]string{"MEDIUM_FLEECE", "HUARIZO"}, []string{"WHITE"}, 0, 1200, 1150},
	}},
}

// demoMarket grows the seeded season into a market through the API: the
// processors place their orders, the gains of an optimal clearing are
// compared with first come, first served on the same book, the book is
// cleared, and the trades are moved through every state so that the whole
// flow can be seen at once. It runs against a server in call-auction mode,
// so that the orders rest until the clearing. Request ids are derived from
// the seed: a second run changes nothing.
func demoMarket(ctx context.Context, stdout io.Writer, conn *grpc.ClientConn, addr string, seed uint64, rid func(string, ...int) string) error {
	mkt := millwav1.NewMarketServiceClient(conn)
	// Short-lived keys let the parties act as themselves.
	keyFor := func(role millwav1.Role, org string) (millwav1.MarketServiceClient, error) {
		c, err := dialAs(ctx, conn, addr, role, org)
		if err != nil {
			return nil, fmt.Errorf("creating a key for %s: %w", org, err)
		}
		go func() { <-ctx.Done(); c.Close() }()
		return millwav1.NewMarketServiceClient(c), nil
	}

	parties := map[string]millwav1.MarketServiceClient{}
	orders := 0
	for pi, dp := range demoProcessors {
		first := fmt.Sprintf("20%08d", 45600000+int(seed%1000)*10+pi)
		p, err := mkt.CreateProcessor(ctx, &millwav1.CreateProcessorRequest{RequestId: rid("processor", pi), Processor: &millwav1.Processor{
			LegalName: dp.legalName, Ruc: first + string(millwa.RUCCheckDigit(first)), Ubigeo: dp.ubigeo, PlantLocation: dp.plant,
			Contact: &millwav1.Contact{PersonName: dp.person, Email: fmt.Sprintf("compras%d@example.pe", pi+1)},
		}})
		if err != nil {
			return fmt.Errorf("creating %s: %w", dp.legalName, err)
		}
		name := p.GetProcessor().GetName()
		if parties[name], err = keyFor(millwav1.Role_ROLE_PROCESSOR, name); err != nil {
			return err
		}
		// Orders expire, so a second run cannot repeat the first's
		// requests exactly: a processor that has orders keeps them.
		placed, err := parties[name].ListPurchaseOrders(ctx, &millwav1.ListPurchaseOrdersRequest{Parent: name, PageSize: 1})
		if err != nil {
			return fmt.Errorf("reading the orders of %s: %w", dp.legalName, err)
		}
		if len(placed.GetPurchaseOrders()) > 0 {
			orders += len(dp.orders)
			continue
		}
		for oi, do := range dp.orders {
			o := &millwav1.PurchaseOrder{
				AcceptedQualityGroups: do.groups, AcceptedColours: do.colours, QuantityGrams: do.kg * 1000,
				BidPricePerKg: do.bid, ExpireTime: timestamppb.New(time.Now().AddDate(0, 3, 0)),
			}
			if do.maxUm > 0 {
				o.MaxMeanFiberDiameterUm = &do.maxUm
			}
			if _, err := parties[name].CreatePurchaseOrder(ctx, &millwav1.CreatePurchaseOrderRequest{
				Parent: name, PurchaseOrder: o, RequestId: rid("order", pi, oi)}); err != nil {
				return fmt.Errorf("placing an order of %s: %w", dp.legalName, err)
			}
			orders++
		}
	}

	fcfs, err := mkt.RunClearing(ctx, &millwav1.RunClearingRequest{DryRun: true, Mode: millwav1.ClearingMode_CLEARING_MODE_FIRST_COME_FIRST_SERVED})
	if err != nil {
		return fmt.Errorf("comparing with first come, first served: %w", err)
	}
	optimal, err := mkt.RunClearing(ctx, &millwav1.RunClearingRequest{DryRun: true})
	if err != nil {
		return fmt.Errorf("dry run of the clearing: %w", err)
	}
	run, err := mkt.RunClearing(ctx, &millwav1.RunClearingRequest{RequestId: rid("clearing")})
	if err != nil {
		return fmt.Errorf("clearing the book: %w", err)
	}
	sum := run.GetSummary()
	fmt.Fprintf(stdout, "\nMarket: %d processors placed %d orders; the clearing made %d trades, %.1f t, gains from trade S/ %.2f.\n",
		len(demoProcessors), orders, sum.GetTradesCreated(), float64(sum.GetAllocatedGrams())/1e6, float64(sum.GetTotalSurplus())/100)
	if f, o := fcfs.GetSummary().GetTotalSurplus(), optimal.GetSummary().GetTotalSurplus(); f > 0 && o > 0 {
		fmt.Fprintf(stdout, "Optimal clearing: S/ %.2f of gains from trade; first come, first served on the same book: S/ %.2f (optimal gains %+.1f%%).\n",
			float64(o)/100, float64(f)/100, 100*float64(o-f)/float64(f))
	}

	// Move the trades along: of every five, one stays MATCHED, one is
	// CONFIRMED, one DELIVERED (2% short) and two are PAID.
	var trades []*millwav1.Trade
	for token := ""; ; {
		page, err := mkt.ListTrades(ctx, &millwav1.ListTradesRequest{Filter: `clearing_id = "` + sum.GetClearingId() + `"`,
			OrderBy: "create_time", PageSize: 500, PageToken: token})
		if err != nil {
			return fmt.Errorf("listing the clearing's trades: %w", err)
		}
		trades = append(trades, page.GetTrades()...)
		if token = page.GetNextPageToken(); token == "" {
			break
		}
	}
	states := map[millwav1.TradeState]int{}
	for i, tr := range trades {
		if tr.GetState() == millwav1.TradeState_TRADE_STATE_MATCHED && i%5 != 0 {
			if err := demoTrade(ctx, tr, i%5, parties, keyFor, rid, i); err != nil {
				return err
			}
		}
		got, err := mkt.GetTrade(ctx, &millwav1.GetTradeRequest{Name: tr.GetName()})
		if err != nil {
			return err
		}
		states[got.GetTrade().GetState()]++
	}
	fmt.Fprintf(stdout, "Trades: %d matched, %d confirmed, %d delivered, %d paid (member payouts computed).\n",
		states[millwav1.TradeState_TRADE_STATE_MATCHED], states[millwav1.TradeState_TRADE_STATE_CONFIRMED],
		states[millwav1.TradeState_TRADE_STATE_DELIVERED], states[millwav1.TradeState_TRADE_STATE_PAID])
	return nil
}

// demoTrade moves one MATCHED trade to the stage-th state: 1 CONFIRMED,
// 2 DELIVERED, 3 and 4 PAID.
func demoTrade(ctx context.Context, tr *millwav1.Trade, stage int, parties map[string]millwav1.MarketServiceClient,
	keyFor func(millwav1.Role, string) (millwav1.MarketServiceClient, error), rid func(string, ...int) string, i int) error {
	proc := parties[tr.GetProcessor()]
	assoc, ok := parties[tr.GetAssociation()]
	if !ok {
		var err error
		if assoc, err = keyFor(millwav1.Role_ROLE_ASSOCIATION, tr.GetAssociation()); err != nil {
			return err
		}
		parties[tr.GetAssociation()] = assoc
	}
	if _, err := assoc.ConfirmTrade(ctx, &millwav1.ConfirmTradeRequest{Name: tr.GetName(), RequestId: rid("confirm-a", i)}); err != nil {
		return fmt.Errorf("confirming %s: %w", tr.GetName(), err)
	}
	if _, err := proc.ConfirmTrade(ctx, &millwav1.ConfirmTradeRequest{Name: tr.GetName(), RequestId: rid("confirm-p", i)}); err != nil {
		return fmt.Errorf("confirming %s: %w", tr.GetName(), err)
	}
	if stage < 2 {
		return nil
	}
	d, err := proc.RecordDelivery(ctx, &millwav1.RecordDeliveryRequest{Name: tr.GetName(), RequestId: rid("deliver", i),
		DeliveredGrams: max(1, tr.GetGrams()*98/100), WeighTime: timestamppb.New(seasonWeighTime(i))})
	if err != nil {
		return fmt.Errorf("recording the delivery of %s: %w", tr.GetName(), err)
	}
	if stage < 3 {
		return nil
	}
	_, err = proc.RecordPayment(ctx, &millwav1.RecordPaymentRequest{Name: tr.GetName(), RequestId: rid("pay", i),
		PaidAmount: d.GetTrade().GetAmountDue(), PaymentReference: fmt.Sprintf("BCP-%08d", 41_000_000+i)})
	if err != nil {
		return fmt.Errorf("recording the payment of %s: %w", tr.GetName(), err)
	}
	return nil
}
