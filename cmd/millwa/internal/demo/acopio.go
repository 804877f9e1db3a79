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

// demoFeeBasisPoints is the fee the Puno associations withhold from their
// members' earnings for the acopio's costs: 3 %.
const demoFeeBasisPoints = 300

// acopioAssociation reports whether an association of the demo gathers its
// members' fibre through receipts at its collection centre: the Puno ones.
func acopioAssociation(ubigeo string) bool { return strings.HasPrefix(ubigeo, "21") }

// receiveContributions records, for a lot about to be created, each
// contribution as the member's receipt at the collection centre (classed
// into the lot's group), and rewrites the lot to draw its grams from those
// receipts instead.
func receiveContributions(ctx context.Context, reg millwav1.RegistryServiceClient, parent string, lot *millwav1.Lot, rid func(string, ...int) string, ai, l int) error {
	for k, c := range lot.GetContributions() {
		r, err := reg.CreateReceipt(ctx, &millwav1.CreateReceiptRequest{Parent: parent, RequestId: rid("receipt", ai, l, k), Receipt: &millwav1.Receipt{
			Member: c.GetMember(), Campaign: lot.GetCampaign(), CollectionPoint: lot.GetCollectionPoint(), ReceiveDate: "2026-11-18",
			Breed: lot.GetBreed(), Colour: lot.GetColour(), FleeceCount: int32(1 + c.GetGrams()/3500), NetWeightGrams: c.GetGrams(),
			Classifier: lot.GetClassifier(), GroupGrams: map[string]int64{lot.GetDeclaredQualityGroup(): c.GetGrams()},
		}})
		if err != nil {
			return fmt.Errorf("receiving a member's fibre: %w", err)
		}
		lot.Sources = append(lot.Sources, &millwav1.LotSource{Receipt: r.GetReceipt().GetName(), Grams: c.GetGrams()})
	}
	lot.Contributions = nil
	return nil
}

// fleeceStandard is the standard of whole fleeces, categorised (NTP
// 231.300).
const fleeceStandard = "standards/pe-ntp-231-300-2014"

// demoAcopio sells categorised fleece and prints members' statements: the
// last Puno association receives whole EXTRAFINA fleeces from its members,
// builds lots of them, and a small spinning workshop (a person's RUC, 10…)
// buys them by a clearing; the trades are confirmed, delivered 2 % short
// and paid; and the statements of the members who delivered come out,
// their earnings traced from the payouts through the lots to each receipt.
func demoAcopio(ctx context.Context, stdout io.Writer, conn *grpc.ClientConn, addr string, seed uint64, rid func(string, ...int) string,
	parent string, members, classifiers []string) error {
	reg := millwav1.NewRegistryServiceClient(conn)
	mkt := millwav1.NewMarketServiceClient(conn)
	var lots []*millwav1.CreateLotRequest
	for l := range 4 {
		lot := &millwav1.Lot{
			Standard: fleeceStandard, Campaign: 2026, Breed: "HUACAYA", Colour: "WHITE", DeclaredQualityGroup: "EXTRAFINA",
			Classifier: classifiers[0], CollectionPoint: "Centro de acopio comunal", LotNumber: fmt.Sprintf("2026-V%02d", l+1),
			AskPricePerKg: 1600, ClassificationDate: "2026-11-22",
		}
		for k := range 5 {
			m := members[(l*5+k)%len(members)]
			grams := int64(3200 + 450*k + 170*l)
			r, err := reg.CreateReceipt(ctx, &millwav1.CreateReceiptRequest{Parent: parent, RequestId: rid("fleece-receipt", l, k), Receipt: &millwav1.Receipt{
				Member: m, Standard: fleeceStandard, Campaign: 2026, CollectionPoint: lot.GetCollectionPoint(), ReceiveDate: "2026-11-21",
				Breed: "HUACAYA", Colour: "WHITE", FleeceCount: 1, NetWeightGrams: grams, Classifier: classifiers[0], FleeceCategory: "EXTRAFINA",
			}})
			if err != nil {
				return fmt.Errorf("receiving whole fleeces: %w", err)
			}
			lot.Sources = append(lot.Sources, &millwav1.LotSource{Receipt: r.GetReceipt().GetName(), Grams: grams})
			lot.NetWeightGrams += grams
		}
		lots = append(lots, &millwav1.CreateLotRequest{Lot: lot})
	}
	created, err := reg.BatchCreateLots(ctx, &millwav1.BatchCreateLotsRequest{Parent: parent, Requests: lots, RequestId: rid("fleece-lots")})
	if err != nil {
		return fmt.Errorf("creating lots of whole fleeces: %w", err)
	}
	var offered int64
	for _, l := range created.GetLots() {
		offered += l.GetNetWeightGrams()
	}

	first := fmt.Sprintf("10%08d", 42600000+int(seed%1000))
	p, err := mkt.CreateProcessor(ctx, &millwav1.CreateProcessorRequest{RequestId: rid("workshop"), Processor: &millwav1.Processor{
		LegalName: "Hilandería artesanal Awaq Maki", Ruc: first + string(millwa.RUCCheckDigit(first)), Ubigeo: "210101",
		PlantLocation: "Jr. Lima 412, Puno", Contact: &millwav1.Contact{PersonName: "Nilda Ccori Apaza", Phone: "+51 951 402 118"},
	}})
	if err != nil {
		return fmt.Errorf("registering the workshop: %w", err)
	}
	workshop := p.GetProcessor().GetName()
	wc, err := dialAs(ctx, conn, addr, millwav1.Role_ROLE_PROCESSOR, workshop)
	if err != nil {
		return err
	}
	defer wc.Close()
	asWorkshop := millwav1.NewMarketServiceClient(wc)
	ac, err := dialAs(ctx, conn, addr, millwav1.Role_ROLE_ASSOCIATION, parent)
	if err != nil {
		return err
	}
	defer ac.Close()
	asAssoc := millwav1.NewMarketServiceClient(ac)
	// Orders expire, so a second run keeps the first's order.
	placed, err := asWorkshop.ListPurchaseOrders(ctx, &millwav1.ListPurchaseOrdersRequest{Parent: workshop, PageSize: 1})
	if err != nil {
		return err
	}
	if len(placed.GetPurchaseOrders()) == 0 {
		if _, err := asWorkshop.CreatePurchaseOrder(ctx, &millwav1.CreatePurchaseOrderRequest{Parent: workshop, RequestId: rid("workshop-order"),
			PurchaseOrder: &millwav1.PurchaseOrder{Standard: fleeceStandard, AcceptedQualityGroups: []string{"EXTRAFINA"}, AcceptedColours: []string{"WHITE"},
				QuantityGrams: offered, BidPricePerKg: 1800, ExpireTime: timestamppb.New(time.Now().AddDate(0, 3, 0))}}); err != nil {
			return fmt.Errorf("placing the workshop's order: %w", err)
		}
	}
	run, err := mkt.RunClearing(ctx, &millwav1.RunClearingRequest{RequestId: rid("fleece-clearing")})
	if err != nil {
		return fmt.Errorf("clearing the fleeces: %w", err)
	}
	trades, err := mkt.ListTrades(ctx, &millwav1.ListTradesRequest{Filter: `clearing_id = "` + run.GetSummary().GetClearingId() + `"`, PageSize: 500})
	if err != nil {
		return err
	}
	var paid int64
	for i, tr := range trades.GetTrades() {
		// A second run finds the trades already paid.
		if tr.GetState() != millwav1.TradeState_TRADE_STATE_MATCHED {
			paid += tr.GetPaidAmount()
			continue
		}
		for j, c := range []millwav1.MarketServiceClient{asAssoc, asWorkshop} {
			if _, err := c.ConfirmTrade(ctx, &millwav1.ConfirmTradeRequest{Name: tr.GetName(), RequestId: rid("fleece-confirm", i, j)}); err != nil {
				return fmt.Errorf("confirming %s: %w", tr.GetName(), err)
			}
		}
		d, err := asWorkshop.RecordDelivery(ctx, &millwav1.RecordDeliveryRequest{Name: tr.GetName(), RequestId: rid("fleece-deliver", i),
			DeliveredGrams: tr.GetGrams() * 98 / 100, WeighTime: timestamppb.New(demoWeighTime)})
		if err != nil {
			return fmt.Errorf("recording the delivery of %s: %w", tr.GetName(), err)
		}
		pr, err := asWorkshop.RecordPayment(ctx, &millwav1.RecordPaymentRequest{Name: tr.GetName(), RequestId: rid("fleece-pay", i),
			PaidAmount: d.GetTrade().GetAmountDue(), PaymentReference: fmt.Sprintf("YAPE-%06d", 300000+i)})
		if err != nil {
			return fmt.Errorf("recording the payment of %s: %w", tr.GetName(), err)
		}
		paid += pr.GetTrade().GetPaidAmount()
	}
	fmt.Fprintf(stdout, "\nAcopio: %d lots of whole EXTRAFINA fleeces (%.1f kg) from 20 receipts; Hilandería artesanal Awaq Maki (RUC %s) bought them in %d trades, delivered 2%% short, and paid S/ %.2f.\n",
		len(created.GetLots()), float64(offered)/1000, p.GetProcessor().GetRuc(), len(trades.GetTrades()), float64(paid)/100)

	fmt.Fprintln(stdout, "Member statements, campaign 2026 (fee 3 %), the first five:")
	var earned, fees int64
	shown := 0
	for _, m := range members {
		st, err := reg.GetMemberStatement(ctx, &millwav1.GetMemberStatementRequest{Name: m + "/statements/2026"})
		if err != nil {
			return fmt.Errorf("reading the statement of %s: %w", m, err)
		}
		s := st.GetStatement()
		earned += s.GetEarnedAmount()
		fees += s.GetFeeAmount()
		if shown == 5 {
			continue
		}
		shown++
		fmt.Fprintf(stdout, "  %s: %d receipts, delivered %.1f kg, sold %.1f kg, earned S/ %.2f, fee S/ %.2f, balance S/ %.2f\n",
			s.GetMemberDisplayName(), len(s.GetLines()), float64(s.GetDeliveredGrams())/1000, float64(s.GetSoldGrams())/1000,
			float64(s.GetEarnedAmount())/100, float64(s.GetFeeAmount())/100, float64(s.GetBalanceAmount())/100)
		if shown == 1 {
			fmt.Fprintf(stdout, "    printable: GET /v1/associations/{association}/members/{member}/statements/2026/statement.pdf\n")
		}
	}
	fmt.Fprintf(stdout, "The %d members' statements earn S/ %.2f in all; the association withholds S/ %.2f.\n", len(members), float64(earned)/100, float64(fees)/100)
	return nil
}
