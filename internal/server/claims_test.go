package server_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// claimMarket is a delivered, unpaid trade of a BABY lot built from three
// members' receipts (10,000, 20,000 and 16,000 g), sold to an order that
// accepts BABY only.
type claimMarket struct {
	seller   acopio
	asSeller millwav1.MarketServiceClient
	asBuyer  millwav1.MarketServiceClient
	trade    *millwav1.Trade
	lot      *millwav1.Lot
}

// newClaimMarket builds the market: the lot asks 2,000 a kilogram, the
// order bids 2,600, so the trade is at (2,600 + 2,000 + 1) / 2 = 2,300;
// 45,500 g of the 46,000 are delivered, 104,650 due.
func (ts *testServer) newClaimMarket(t *testing.T) claimMarket {
	t.Helper()
	m := claimMarket{seller: ts.acopioFixture(t, 3, 0)}
	var sources []*millwav1.LotSource
	for i, g := range []int64{10_000, 20_000, 16_000} {
		r := m.seller.receive(t, m.seller.classed(m.seller.members[i], map[string]int64{"BABY": g}))
		sources = append(sources, &millwav1.LotSource{Receipt: r.GetName(), Grams: g})
	}
	lot, err := m.seller.reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: m.seller.assoc.GetName(),
		Lot: m.seller.lotFrom(classedStandard, "BABY", 2000, sources...)})
	if err != nil {
		t.Fatalf("CreateLot: %v", err)
	}
	m.lot = lot.GetLot()
	proc, key := ts.createProcessor(t, "040101")
	m.asBuyer = millwav1.NewMarketServiceClient(ts.dial(t, key))
	m.asSeller = millwav1.NewMarketServiceClient(ts.dial(t, m.seller.secret))
	o := newOrder()
	o.Standard, o.AcceptedQualityGroups, o.QuantityGrams, o.BidPricePerKg = classedStandard, []string{"BABY"}, 46_000, 2600
	placed, err := m.asBuyer.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: o})
	if err != nil {
		t.Fatalf("CreatePurchaseOrder: %v", err)
	}
	trades, err := m.asBuyer.ListTrades(t.Context(), &millwav1.ListTradesRequest{Filter: `purchase_order = "` + placed.GetPurchaseOrder().GetName() + `"`})
	if err != nil || len(trades.GetTrades()) != 1 || trades.GetTrades()[0].GetPricePerKg() != 2300 {
		t.Fatalf("trades of the order: %v, %v; want one at 2,300", trades, err)
	}
	tr := trades.GetTrades()[0]
	for _, c := range []millwav1.MarketServiceClient{m.asSeller, m.asBuyer} {
		if _, err := c.ConfirmTrade(t.Context(), &millwav1.ConfirmTradeRequest{Name: tr.GetName()}); err != nil {
			t.Fatalf("ConfirmTrade: %v", err)
		}
	}
	d, err := m.asBuyer.RecordDelivery(t.Context(), &millwav1.RecordDeliveryRequest{Name: tr.GetName(), DeliveredGrams: 45_500,
		WeighTime: timestamppb.New(time.Now().Add(-time.Hour))})
	if err != nil || d.GetTrade().GetAmountDue() != 104_650 {
		t.Fatalf("RecordDelivery: %v, %v; want 104,650 due", d, err)
	}
	m.trade = d.GetTrade()
	return m
}

// laserSample is a Laserscan test of 2,000 fibres, SD 4.1 µm: its 95 %
// interval is ± 0.18 µm, narrower than the method's ± 0.5 µm tolerance.
func laserSample(mfd float64) *millwav1.FiberSample {
	return &millwav1.FiberSample{MeanFiberDiameterUm: &mfd, SdUm: ptr(4.1), FibersMeasured: ptr(int64(2000)), TestMethod: "LASERSCAN"}
}

// TestClaimAcceptedReprices files a claim on a delivered trade, answers it
// by acceptance and pays: the trade, its payouts and the members'
// statements follow the new price to the céntimo. On the way, a claim
// within tolerance is refused with its reason, bad input writes nothing,
// payment waits while the claim is open, and other processors,
// associations and agencies get NotFound.
func TestClaimAcceptedReprices(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		m := ts.newClaimMarket(t)
		file := func(c millwav1.MarketServiceClient, claim *millwav1.Claim) (*millwav1.Claim, error) {
			res, err := c.FileClaim(t.Context(), &millwav1.FileClaimRequest{Parent: m.trade.GetName(), Claim: claim})
			return res.GetClaim(), err
		}

		// 23.3 µm rounds to FLEECE, but ± 0.5 µm reaches BABY (≤ 23.0):
		// within tolerance, refused with the grade's explanation.
		_, err := file(m.asBuyer, &millwav1.Claim{Sample: laserSample(23.3), Laboratory: "Laboratorio de la planta"})
		st := wantCode(t, "a claim within tolerance", err, codes.FailedPrecondition)
		if errorReason(st) != "CLAIM_WITHIN_TOLERANCE" || !strings.Contains(st.Message(), "± 0.5 µm tolerance of method LASERSCAN") {
			t.Fatalf("refusal %q (%s): want CLAIM_WITHIN_TOLERANCE naming the tolerance", st.Message(), errorReason(st))
		}
		// 24.0 µm is FLEECE beyond tolerance; the order takes BABY only, so
		// the processor must state its price, at most the trade's.
		_, err = file(m.asBuyer, &millwav1.Claim{Sample: laserSample(24.0), Laboratory: "Laboratorio de la planta"})
		if st := wantCode(t, "no stated price", err, codes.InvalidArgument); !slices.Equal(badRequestFields(st), []string{"claim.stated_price_per_kg"}) {
			t.Fatalf("no stated price names %v", badRequestFields(st))
		}
		_, err = file(m.asBuyer, &millwav1.Claim{Sample: laserSample(24.0), Laboratory: "Lab", StatedPricePerKg: 2301})
		wantCode(t, "a stated price above the trade's", err, codes.InvalidArgument)
		noMethod := laserSample(24.0)
		noMethod.TestMethod = ""
		_, err = file(m.asBuyer, &millwav1.Claim{Sample: noMethod, Laboratory: " ", MoisturePercent: ptr(120.0)})
		if st := wantCode(t, "bad claim", err, codes.InvalidArgument); !slices.Equal(badRequestFields(st),
			[]string{"claim.laboratory", "claim.sample.test_method", "claim.moisture_percent"}) {
			t.Fatalf("a bad claim names %v", badRequestFields(st))
		}
		_, err = file(m.asSeller, &millwav1.Claim{Sample: laserSample(24.0), Laboratory: "Lab", StatedPricePerKg: 1777})
		wantCode(t, "the association files", err, codes.PermissionDenied)
		_, otherKey := ts.createProcessor(t, "040101")
		asOther := millwav1.NewMarketServiceClient(ts.dial(t, otherKey))
		_, err = file(asOther, &millwav1.Claim{Sample: laserSample(24.0), Laboratory: "Lab", StatedPricePerKg: 1777})
		wantCode(t, "another processor files", err, codes.NotFound)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM trade_claims"); n != 0 {
			t.Fatalf("%d claims written by refused calls", n)
		}

		claim, err := file(m.asBuyer, &millwav1.Claim{Sample: laserSample(24.0), Laboratory: "Laboratorio de la planta",
			MoisturePercent: ptr(11.5), StatedPricePerKg: 1777})
		if err != nil {
			t.Fatalf("FileClaim: %v", err)
		}
		if claim.GetState() != millwav1.ClaimState_CLAIM_STATE_OPEN || claim.GetGrade().GetQualityGroup() != "FLEECE" ||
			claim.GetSoldQualityGroup() != "BABY" || claim.GetSoldPricePerKg() != 2300 || claim.GetRepricedPricePerKg() != 1777 ||
			!strings.HasPrefix(claim.GetName(), m.trade.GetName()+"/claims/") || claim.GetGrade().GetToleranceUm() != 0.5 {
			t.Fatalf("filed claim %v", claim)
		}
		_, err = file(m.asBuyer, &millwav1.Claim{Sample: laserSample(25.0), Laboratory: "Lab", StatedPricePerKg: 1500})
		wantCode(t, "a second claim", err, codes.FailedPrecondition)

		// Who sees it: the parties and the agency of Puno (21); not another
		// processor, association or agency.
		_, agency21 := ts.createAgency(t, "21")
		_, agency08 := ts.createAgency(t, "08")
		other := ts.lotFixture(t, "210101")
		for _, c := range []struct {
			who, key string
			want     codes.Code
		}{
			{"buyer", "", codes.OK}, {"seller", m.seller.secret, codes.OK}, {"agency of Puno", agency21, codes.OK},
			{"another processor", otherKey, codes.NotFound}, {"another association", other.secret, codes.NotFound},
			{"agency of Cusco", agency08, codes.NotFound},
		} {
			client := m.asBuyer
			if c.key != "" {
				client = millwav1.NewMarketServiceClient(ts.dial(t, c.key))
			}
			got, err := client.GetClaim(t.Context(), &millwav1.GetClaimRequest{Name: claim.GetName()})
			if c.want != codes.OK {
				wantCode(t, c.who+" reads the claim", err, c.want)
				_, err = client.ListClaims(t.Context(), &millwav1.ListClaimsRequest{Parent: m.trade.GetName()})
				wantCode(t, c.who+" lists the claims", err, c.want)
				continue
			}
			if err != nil || got.GetClaim().GetName() != claim.GetName() {
				t.Fatalf("%s reads the claim: %v, %v", c.who, got, err)
			}
		}
		_, err = millwav1.NewMarketServiceClient(ts.dial(t, other.secret)).AcceptClaim(t.Context(), &millwav1.AcceptClaimRequest{Name: claim.GetName()})
		wantCode(t, "another association accepts", err, codes.NotFound)

		// Payment waits while the claim is open.
		_, err = m.asBuyer.RecordPayment(t.Context(), &millwav1.RecordPaymentRequest{Name: m.trade.GetName(), PaidAmount: 1000, PaymentReference: "BN-1"})
		if st := wantCode(t, "paying with a claim open", err, codes.FailedPrecondition); errorReason(st) != "CLAIM_PENDING" {
			t.Fatalf("payment refused with reason %q, want CLAIM_PENDING", errorReason(st))
		}

		// The association accepts over REST: the trade is FLEECE at 17.77
		// a kilogram, 45.5 kg × 1,777 = 80,853.5, half up 80,854.
		var accepted millwav1.Claim
		restDo(t, ts, m.seller.secret, "POST", "/v1/"+claim.GetName()+":accept", &millwav1.AcceptClaimRequest{RequestId: "accept-1"}, &accepted)
		if accepted.GetState() != millwav1.ClaimState_CLAIM_STATE_ACCEPTED {
			t.Fatalf("accepted claim %v", &accepted)
		}
		_, err = m.asSeller.AcceptClaim(t.Context(), &millwav1.AcceptClaimRequest{Name: claim.GetName()})
		wantCode(t, "accepting twice", err, codes.FailedPrecondition)
		tr, err := m.asBuyer.GetTrade(t.Context(), &millwav1.GetTradeRequest{Name: m.trade.GetName()})
		if err != nil || tr.GetTrade().GetPricePerKg() != 1777 || tr.GetTrade().GetAmountDue() != 80_854 || tr.GetTrade().GetQualityGroup() != "FLEECE" {
			t.Fatalf("trade after the accepted claim: %v, %v; want FLEECE at 1,777, 80,854 due", tr, err)
		}
		paid, err := m.asBuyer.RecordPayment(t.Context(), &millwav1.RecordPaymentRequest{Name: m.trade.GetName(), PaidAmount: 80_854, PaymentReference: "BN-2"})
		if err != nil || paid.GetTrade().GetState() != millwav1.TradeState_TRADE_STATE_PAID {
			t.Fatalf("RecordPayment of the repriced amount: %v, %v", paid, err)
		}

		// Payouts by hand: 80,854 over 10:20:16 is 17,576.96, 35,153.91 and
		// 28,123.13, the two units left to the largest remainders; the
		// 45,500 g are 9,891.30, 19,782.61 and 15,826.09, the gram left to
		// the second.
		asSeller, err := m.asSeller.GetTrade(t.Context(), &millwav1.GetTradeRequest{Name: m.trade.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][2]int64{
			m.seller.members[0]: {9891, 17_577}, m.seller.members[1]: {19_783, 35_154}, m.seller.members[2]: {15_826, 28_123},
		}
		for _, p := range asSeller.GetTrade().GetPayouts() {
			if w := want[p.GetMember()]; w != [2]int64{p.GetGrams(), p.GetAmount()} {
				t.Errorf("payout of %s: %d g, %d; want %v", p.GetMember(), p.GetGrams(), p.GetAmount(), w)
			}
		}
		for i, member := range m.seller.members {
			w := want[member]
			resp, err := m.seller.reg.GetMemberStatement(t.Context(), &millwav1.GetMemberStatementRequest{Name: member + "/statements/2026"})
			if err != nil {
				t.Fatalf("GetMemberStatement %d: %v", i, err)
			}
			delivered := []int64{10_000, 20_000, 16_000}[i]
			checkStatement(t, member, resp.GetStatement(), wantStatement{
				lines: []wantLine{{delivered, w[0], w[1]}}, delivered: delivered, sold: w[0], earned: w[1], balanceWant: w[1]})
		}

		// Both steps are audited and told on the market, and the log
		// verifies.
		for _, action := range []string{"file", "accept"} {
			if n := countRows(t, ts, "SELECT COUNT(*) FROM audit_events WHERE resource = ? AND action = ?", claim.GetName(), action); n != 1 {
				t.Errorf("%d %s audit events about the claim, want 1", n, action)
			}
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		stream, err := m.asBuyer.WatchMarket(ctx, &millwav1.WatchMarketRequest{AfterEventId: "0", EventTypes: []millwav1.MarketEventType{
			millwav1.MarketEventType_MARKET_EVENT_TYPE_CLAIM_FILED, millwav1.MarketEventType_MARKET_EVENT_TYPE_CLAIM_ACCEPTED}})
		if err != nil {
			t.Fatalf("WatchMarket: %v", err)
		}
		for _, typ := range []millwav1.MarketEventType{millwav1.MarketEventType_MARKET_EVENT_TYPE_CLAIM_FILED, millwav1.MarketEventType_MARKET_EVENT_TYPE_CLAIM_ACCEPTED} {
			ev, err := stream.Recv()
			if err != nil || ev.GetEvent().GetType() != typ || ev.GetEvent().GetResource() != claim.GetName() {
				t.Fatalf("market event: %v, %v; want %v about the claim", ev.GetEvent(), err, typ)
			}
		}
		verified, err := millwav1.NewAuditServiceClient(ts.conn).VerifyAuditLog(t.Context(), &millwav1.VerifyAuditLogRequest{})
		if err != nil || !verified.GetOk() {
			t.Fatalf("VerifyAuditLog: %v, %v", verified, err)
		}
	})
}

// TestClaimReferredToTheAgency refers two claims to the agency of the
// lot's region: a referee test within tolerance of the sold group upholds
// the sale at its price; one beyond it reprices the trade as acceptance
// would.
func TestClaimReferredToTheAgency(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		agency21, key21 := ts.createAgency(t, "21")
		_, key08 := ts.createAgency(t, "08")
		asAgency := millwav1.NewMarketServiceClient(ts.dial(t, key21))
		for _, c := range []struct {
			name      string
			referee   float64
			state     millwav1.ClaimState
			price     int64
			amountDue int64
			group     string
		}{
			// 22.8 µm is BABY: the sale stands, 104,650 due.
			{"upheld", 22.8, millwav1.ClaimState_CLAIM_STATE_UPHELD, 2300, 104_650, "BABY"},
			// 25.0 µm is FLEECE beyond tolerance: 45.5 kg × 2,000 = 91,000.
			{"repriced", 25.0, millwav1.ClaimState_CLAIM_STATE_REPRICED, 2000, 91_000, "FLEECE"},
		} {
			t.Run(c.name, func(t *testing.T) {
				m := ts.newClaimMarket(t)
				filed, err := m.asBuyer.FileClaim(t.Context(), &millwav1.FileClaimRequest{Parent: m.trade.GetName(),
					Claim: &millwav1.Claim{Sample: laserSample(24.5), Laboratory: "Laboratorio de la planta", StatedPricePerKg: 2000}})
				if err != nil {
					t.Fatalf("FileClaim: %v", err)
				}
				name := filed.GetClaim().GetName()
				_, err = m.asBuyer.ReferClaim(t.Context(), &millwav1.ReferClaimRequest{Name: name})
				wantCode(t, "the processor refers", err, codes.PermissionDenied)
				ref, err := m.asSeller.ReferClaim(t.Context(), &millwav1.ReferClaimRequest{Name: name, Reason: "our classer's grade stands"})
				if err != nil || ref.GetClaim().GetState() != millwav1.ClaimState_CLAIM_STATE_REFERRED {
					t.Fatalf("ReferClaim: %v, %v", ref, err)
				}
				_, err = m.asBuyer.RecordPayment(t.Context(), &millwav1.RecordPaymentRequest{Name: m.trade.GetName(), PaidAmount: 1000, PaymentReference: "BN-1"})
				wantCode(t, "paying with a claim referred", err, codes.FailedPrecondition)

				decide := &millwav1.DecideClaimRequest{Name: name, Sample: laserSample(c.referee), Laboratory: "Laboratorio regional"}
				_, err = millwav1.NewMarketServiceClient(ts.dial(t, key08)).DecideClaim(t.Context(), decide)
				wantCode(t, "the agency of another region decides", err, codes.NotFound)
				_, err = m.asSeller.DecideClaim(t.Context(), decide)
				wantCode(t, "the association decides", err, codes.PermissionDenied)
				decided, err := asAgency.DecideClaim(t.Context(), decide)
				if err != nil {
					t.Fatalf("DecideClaim: %v", err)
				}
				if cl := decided.GetClaim(); cl.GetState() != c.state || cl.GetAgency() != agency21.GetName() ||
					cl.GetRefereeGrade().GetQualityGroup() == "" || cl.GetRefereeLaboratory() != "Laboratorio regional" {
					t.Fatalf("decided claim %v, want %v by %s", cl, c.state, agency21.GetName())
				}
				tr, err := m.asBuyer.GetTrade(t.Context(), &millwav1.GetTradeRequest{Name: m.trade.GetName()})
				if err != nil || tr.GetTrade().GetPricePerKg() != c.price || tr.GetTrade().GetAmountDue() != c.amountDue || tr.GetTrade().GetQualityGroup() != c.group {
					t.Fatalf("trade after the decision: %v, %v; want %s at %d, %d due", tr, err, c.group, c.price, c.amountDue)
				}
				paid, err := m.asBuyer.RecordPayment(t.Context(), &millwav1.RecordPaymentRequest{Name: m.trade.GetName(), PaidAmount: c.amountDue, PaymentReference: "BN-2"})
				if err != nil || paid.GetTrade().GetState() != millwav1.TradeState_TRADE_STATE_PAID {
					t.Fatalf("RecordPayment after the decision: %v, %v", paid, err)
				}
				for _, action := range []string{"file", "refer", "decide"} {
					if n := countRows(t, ts, "SELECT COUNT(*) FROM audit_events WHERE resource = ? AND action = ?", name, action); n != 1 {
						t.Errorf("%d %s audit events about the claim, want 1", n, action)
					}
				}
			})
		}
	})
}

// deliver confirms a trade on both sides and records the delivery of all
// its grams.
func deliver(t *testing.T, asSeller, asBuyer millwav1.MarketServiceClient, tr *millwav1.Trade) *millwav1.Trade {
	t.Helper()
	for _, c := range []millwav1.MarketServiceClient{asSeller, asBuyer} {
		if _, err := c.ConfirmTrade(t.Context(), &millwav1.ConfirmTradeRequest{Name: tr.GetName()}); err != nil {
			t.Fatalf("ConfirmTrade: %v", err)
		}
	}
	d, err := asBuyer.RecordDelivery(t.Context(), &millwav1.RecordDeliveryRequest{Name: tr.GetName(), DeliveredGrams: tr.GetGrams(),
		WeighTime: timestamppb.New(time.Now().Add(-time.Hour))})
	if err != nil {
		t.Fatalf("RecordDelivery: %v", err)
	}
	return d.GetTrade()
}

// TestClassifierLadder has the referee tests of three claims on one
// classifier's lots confirm the claims: the classifier climbs the
// sanctions ladder one step a failure, as the policy says, until a lot
// they declare needs a measurement; an agency reverses the last step; the
// record shows it all, each step is an audit event, and the log verifies.
func TestClassifierLadder(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		f := ts.acopioFixture(t, 2, 0)
		asSeller := millwav1.NewMarketServiceClient(ts.dial(t, f.secret))
		proc, procKey := ts.createProcessor(t, "040101")
		asBuyer := millwav1.NewMarketServiceClient(ts.dial(t, procKey))
		agency, agencyKey := ts.createAgency(t, "21")
		asAgency := millwav1.NewMarketServiceClient(ts.dial(t, agencyKey))
		agencyReg := millwav1.NewRegistryServiceClient(ts.dial(t, agencyKey))
		record := f.classifier + "/record"
		readRecord := func() *millwav1.ClassifierRecord {
			t.Helper()
			got, err := f.reg.GetClassifierRecord(t.Context(), &millwav1.GetClassifierRecordRequest{Name: record})
			if err != nil {
				t.Fatalf("GetClassifierRecord: %v", err)
			}
			return got.GetRecord()
		}
		o := newOrder()
		o.Standard, o.AcceptedQualityGroups, o.QuantityGrams, o.BidPricePerKg = classedStandard, []string{"BABY"}, 3*46_000, 2600
		placed, err := asBuyer.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: o})
		if err != nil {
			t.Fatalf("CreatePurchaseOrder: %v", err)
		}
		newLot := func(sample *millwav1.FiberSample) (*millwav1.Lot, error) {
			l := f.lotOf("BABY", 46_000, 2000)
			l.Measurement = sample
			resp, err := f.reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: l})
			return resp.GetLot(), err
		}
		steps := []millwav1.SanctionStep{millwav1.SanctionStep_SANCTION_STEP_FEEDBACK,
			millwav1.SanctionStep_SANCTION_STEP_TIGHTENED_SAMPLING, millwav1.SanctionStep_SANCTION_STEP_SUSPENDED}
		for i, want := range steps {
			lot, err := newLot(nil)
			if err != nil {
				t.Fatalf("CreateLot %d: %v", i, err)
			}
			trades, err := asBuyer.ListTrades(t.Context(), &millwav1.ListTradesRequest{Filter: `lot = "` + lot.GetName() + `"`})
			if err != nil || len(trades.GetTrades()) != 1 || trades.GetTrades()[0].GetPurchaseOrder() != placed.GetPurchaseOrder().GetName() {
				t.Fatalf("trades of lot %d: %v, %v", i, trades, err)
			}
			tr := deliver(t, asSeller, asBuyer, trades.GetTrades()[0])
			filed, err := asBuyer.FileClaim(t.Context(), &millwav1.FileClaimRequest{Parent: tr.GetName(),
				Claim: &millwav1.Claim{Sample: laserSample(25.0), Laboratory: "Laboratorio de la planta", StatedPricePerKg: 2000}})
			if err != nil {
				t.Fatalf("FileClaim %d: %v", i, err)
			}
			if _, err := asSeller.ReferClaim(t.Context(), &millwav1.ReferClaimRequest{Name: filed.GetClaim().GetName()}); err != nil {
				t.Fatalf("ReferClaim %d: %v", i, err)
			}
			decided, err := asAgency.DecideClaim(t.Context(), &millwav1.DecideClaimRequest{Name: filed.GetClaim().GetName(),
				Sample: laserSample(25.2), Laboratory: "Laboratorio regional"})
			if err != nil || decided.GetClaim().GetState() != millwav1.ClaimState_CLAIM_STATE_REPRICED {
				t.Fatalf("DecideClaim %d: %v, %v; want REPRICED", i, decided, err)
			}
			rec := readRecord()
			if rec.GetSanctionStep() != want || rec.GetFailedRefereeTests() != int32(i+1) || len(rec.GetSanctions()) != i+1 ||
				rec.GetSanctions()[i].GetClaim() != filed.GetClaim().GetName() {
				t.Fatalf("record after %d failed referee tests: %v; want %v", i+1, rec, want)
			}
		}

		// Each referee test counts twice in the record: as an agency's
		// check grading and as a decided claim, both FLEECE against the
		// declared BABY, one group coarser.
		rec := readRecord()
		if rec.GetFindingCount() != 6 || rec.GetAgreementCount() != 0 || rec.GetMeanGroupOffset() != 1 || rec.GetClaimsRepriced() != 3 ||
			len(rec.GetRecentDisagreements()) != 6 || rec.GetLadderSource() == "" {
			t.Fatalf("record after three failed referee tests: %v", rec)
		}
		// The agency sees the record; a processor and another region's
		// agency do not.
		if got, err := agencyReg.GetClassifierRecord(t.Context(), &millwav1.GetClassifierRecordRequest{Name: record}); err != nil || got.GetRecord().GetName() != record {
			t.Fatalf("the agency reads the record: %v, %v", got, err)
		}
		_, otherAgency := ts.createAgency(t, "08")
		for who, key := range map[string]string{"processor": procKey, "agency of Cusco": otherAgency} {
			_, err := millwav1.NewRegistryServiceClient(ts.dial(t, key)).GetClassifierRecord(t.Context(), &millwav1.GetClassifierRecordRequest{Name: record})
			wantCode(t, who+" reads the record", err, codes.NotFound)
		}

		// Suspended: a declared lot needs a measurement.
		_, err = newLot(nil)
		if st := wantCode(t, "a suspended classifier's declared lot", err, codes.FailedPrecondition); errorReason(st) != "CLASSIFIER_SUSPENDED" {
			t.Fatalf("refused with reason %q, want CLASSIFIER_SUSPENDED", errorReason(st))
		}
		if _, err := newLot(&millwav1.FiberSample{MeanFiberDiameterUm: ptr(22.0)}); err != nil {
			t.Fatalf("a suspended classifier's measured lot: %v", err)
		}

		// The agency reverses the suspension: back to tightened sampling.
		_, err = f.reg.ReverseClassifierSanction(t.Context(), &millwav1.ReverseClassifierSanctionRequest{Name: record, Reason: "re-trained"})
		wantCode(t, "the association reverses", err, codes.PermissionDenied)
		rev, err := agencyReg.ReverseClassifierSanction(t.Context(), &millwav1.ReverseClassifierSanctionRequest{Name: record,
			Reason: "re-trained and re-certified", RequestId: "reverse-1"})
		if err != nil {
			t.Fatalf("ReverseClassifierSanction: %v", err)
		}
		r := rev.GetRecord()
		last := r.GetSanctions()[2]
		if r.GetSanctionStep() != millwav1.SanctionStep_SANCTION_STEP_TIGHTENED_SAMPLING || r.GetFailedRefereeTests() != 0 ||
			last.GetReverseTime() == nil || last.GetReverseAgency() != agency.GetName() || last.GetReverseReason() != "re-trained and re-certified" {
			t.Fatalf("record after the reversal: %v", r)
		}
		if _, err := newLot(nil); err != nil {
			t.Fatalf("a declared lot after the reversal: %v", err)
		}
		// Standing on tightened sampling, the classifier's lots are sampled
		// tightened, and the plan says why.
		plan, err := millwav1.NewAuditServiceClient(ts.dial(t, agencyKey)).ProposeSamplingPlan(t.Context(), &millwav1.ProposeSamplingPlanRequest{
			Region: "21", StartTime: timestamppb.New(time.Now().Add(-time.Hour)), EndTime: timestamppb.New(time.Now().Add(time.Hour)), Seed: ptr(int64(1))})
		if err != nil {
			t.Fatalf("ProposeSamplingPlan: %v", err)
		}
		sampled := false
		for _, c := range plan.GetSamplingPlan().GetClassifierSamples() {
			if c.GetClassifier() == f.classifier {
				sampled = true
				if c.GetSeverity() != millwav1.InspectionSeverity_INSPECTION_SEVERITY_TIGHTENED || !strings.Contains(c.GetReason().GetEn(), "sanctions ladder") {
					t.Errorf("the sanctioned classifier's part of the plan: %v", c)
				}
			}
		}
		if !sampled {
			t.Errorf("the plan does not sample the sanctioned classifier: %v", plan.GetSamplingPlan())
		}

		for _, action := range []string{"sanction_FEEDBACK", "sanction_TIGHTENED_SAMPLING", "sanction_SUSPENDED", "reverse_sanction_SUSPENDED"} {
			if n := countRows(t, ts, "SELECT COUNT(*) FROM audit_events WHERE resource = ? AND action = ?", record, action); n != 1 {
				t.Errorf("%d %s audit events about the record, want 1", n, action)
			}
		}
		verified, err := millwav1.NewAuditServiceClient(ts.conn).VerifyAuditLog(t.Context(), &millwav1.VerifyAuditLogRequest{})
		if err != nil || !verified.GetOk() {
			t.Fatalf("VerifyAuditLog: %v, %v", verified, err)
		}
	})
}
