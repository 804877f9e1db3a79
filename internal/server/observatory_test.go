package server_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// obsMember is a member of an observatory test association.
type obsMember struct {
	sex  millwav1.Sex
	herd int32 // 0 for none recorded
}

// obsAssoc is an association of the observatory tests, with its members
// (each contributes an equal share of every lot) and keys.
type obsAssoc struct {
	assoc      *millwav1.Association
	members    []string
	classifier string
	market     millwav1.MarketServiceClient
	registry   millwav1.RegistryServiceClient
}

// obsAssociation creates an association at ubigeo with members.
func (ts *testServer) obsAssociation(t *testing.T, ubigeo string, members []obsMember) *obsAssoc {
	t.Helper()
	a := ts.createAssociation(t, ubigeo)
	reg := millwav1.NewRegistryServiceClient(ts.conn)
	f := &obsAssoc{assoc: a}
	for i, m := range members {
		in := &millwav1.Member{DisplayName: fmt.Sprintf("Socia %d", i), Dni: fmt.Sprintf("4%07d", fixtureN.Add(1)), Sex: m.sex}
		if m.herd > 0 {
			in.HerdSize = ptr(m.herd)
		}
		resp, err := reg.CreateMember(t.Context(), &millwav1.CreateMemberRequest{Parent: a.GetName(), Member: in})
		if err != nil {
			t.Fatalf("CreateMember: %v", err)
		}
		f.members = append(f.members, resp.GetMember().GetName())
	}
	c, err := reg.CreateClassifier(t.Context(), &millwav1.CreateClassifierRequest{Parent: a.GetName(), Classifier: &millwav1.Classifier{
		DisplayName: "Maestra Clasificadora", Dni: fmt.Sprintf("4%07d", fixtureN.Add(1)), CertificationNumber: "SINEACE-123", CertificationDate: "2024-05-10",
	}})
	if err != nil {
		t.Fatalf("CreateClassifier: %v", err)
	}
	f.classifier = c.GetClassifier().GetName()
	_, secret := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a.GetName(), false)
	conn := ts.dial(t, secret)
	f.market, f.registry = millwav1.NewMarketServiceClient(conn), millwav1.NewRegistryServiceClient(conn)
	return f
}

// twoMembers are the members of an association whose payouts a test does
// not look at.
var twoMembers = []obsMember{{millwav1.Sex_SEX_FEMALE, 0}, {millwav1.Sex_SEX_MALE, 0}}

// obsSale is one delivered trade: kg of a group and colour at price,
// weighed at weigh, and paid when paid.
type obsSale struct {
	a             *obsAssoc
	group, colour string
	kg, price     int64
	weigh         time.Time
	paid          bool
}

// obsMarket makes each sale a trade at exactly its price (a lot asking it
// and an order bidding it, paired at once by continuous matching),
// confirmed by both sides, delivered in full at its weighing time and,
// when paid, paid in full.
func obsMarket(t *testing.T, ts *testServer, sales []obsSale) {
	t.Helper()
	proc, procKey := ts.createProcessor(t, "040101")
	mkt := millwav1.NewMarketServiceClient(ts.dial(t, procKey))
	for i, s := range sales {
		grams := s.kg * 1000
		l := &millwav1.Lot{
			Campaign: 2026, Breed: "HUACAYA", Colour: s.colour, DeclaredQualityGroup: s.group, Classifier: s.a.classifier,
			NetWeightGrams: grams, AskPricePerKg: s.price, CollectionPoint: "Centro de acopio",
		}
		for _, m := range s.a.members {
			l.Contributions = append(l.Contributions, &millwav1.Contribution{Member: m, Grams: grams / int64(len(s.a.members))})
		}
		l.Contributions[0].Grams += grams % int64(len(s.a.members))
		if _, err := s.a.registry.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: s.a.assoc.GetName(), Lot: l}); err != nil {
			t.Fatalf("sale %d: CreateLot: %v", i, err)
		}
		o := newOrder()
		o.AcceptedQualityGroups, o.AcceptedColours, o.QuantityGrams, o.BidPricePerKg = []string{s.group}, []string{s.colour}, grams, s.price
		placed, err := mkt.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: o})
		if err != nil {
			t.Fatal(err)
		}
		list, err := mkt.ListTrades(t.Context(), &millwav1.ListTradesRequest{Filter: `purchase_order = "` + placed.GetPurchaseOrder().GetName() + `"`})
		if err != nil || len(list.GetTrades()) != 1 || list.GetTrades()[0].GetPricePerKg() != s.price || list.GetTrades()[0].GetGrams() != grams {
			t.Fatalf("sale %d: trades %v, %v; want one at its price", i, list, err)
		}
		name := list.GetTrades()[0].GetName()
		for _, c := range []millwav1.MarketServiceClient{mkt, s.a.market} {
			if _, err := c.ConfirmTrade(t.Context(), &millwav1.ConfirmTradeRequest{Name: name}); err != nil {
				t.Fatal(err)
			}
		}
		d, err := mkt.RecordDelivery(t.Context(), &millwav1.RecordDeliveryRequest{Name: name, DeliveredGrams: grams, WeighTime: timestamppb.New(s.weigh)})
		if err != nil {
			t.Fatalf("sale %d: RecordDelivery: %v", i, err)
		}
		if s.paid {
			if _, err := mkt.RecordPayment(t.Context(), &millwav1.RecordPaymentRequest{Name: name,
				PaidAmount: d.GetTrade().GetAmountDue(), PaymentReference: fmt.Sprintf("BCP-%08d", i)}); err != nil {
				t.Fatalf("sale %d: RecordPayment: %v", i, err)
			}
		}
	}
}

// The weeks of the crafted book: ISO weeks 2026-W41 and 2026-W42, weighed
// on Monday and Wednesday in Peru.
var (
	obsWeek1 = time.Date(2026, 10, 5, 15, 0, 0, 0, time.UTC)
	obsWeek2 = time.Date(2026, 10, 14, 15, 0, 0, 0, time.UTC)
	obsFrom  = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	obsTo    = time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)
)

// obsBook is the crafted book: in Puno (21) three associations sell BABY
// WHITE and FLEECE WHITE in both weeks; in Cusco (08) only two sell BABY
// WHITE, at cusco's two prices, which must never be published.
func obsBook(ts *testServer, t *testing.T, cusco [2]int64) (puno [3]*obsAssoc) {
	t.Helper()
	for i, u := range []string{"211101", "211103", "210108"} {
		puno[i] = ts.obsAssociation(t, u, twoMembers)
	}
	b1, b2 := ts.obsAssociation(t, "080608", twoMembers), ts.obsAssociation(t, "080101", twoMembers)
	obsMarket(t, ts, []obsSale{
		{puno[0], "BABY", "WHITE", 40, 2300, obsWeek1, false},
		{puno[1], "BABY", "WHITE", 30, 2600, obsWeek1, true},
		{puno[2], "BABY", "WHITE", 30, 2400, obsWeek1, false},
		{puno[0], "FLEECE", "WHITE", 30, 1500, obsWeek1, false},
		{puno[1], "FLEECE", "WHITE", 30, 1600, obsWeek1, false},
		{puno[2], "FLEECE", "WHITE", 40, 1550, obsWeek1, true},
		{b1, "BABY", "WHITE", 50, 2500, obsWeek1, false},
		{b2, "BABY", "WHITE", 50, cusco[0], obsWeek1, false},
		{puno[0], "BABY", "WHITE", 40, 2500, obsWeek2, true},
		{puno[1], "BABY", "WHITE", 30, 2700, obsWeek2, false},
		{puno[2], "BABY", "WHITE", 30, 2600, obsWeek2, false},
		{puno[0], "FLEECE", "WHITE", 30, 1500, obsWeek2, false},
		{puno[1], "FLEECE", "WHITE", 30, 1600, obsWeek2, false},
		{puno[2], "FLEECE", "WHITE", 40, 1550, obsWeek2, false},
		{b1, "BABY", "WHITE", 50, 2500, obsWeek2, false},
		{b2, "BABY", "WHITE", 50, cusco[1], obsWeek2, false},
	})
	return puno
}

// unit is the prices of a price per kg as the hand calculation gives them:
// per libra kg × 0.45359237 and per quintal kg × 45.359237, rounded.
func unit(perKg, perLb, perQuintal int64) *millwav1.UnitPrices {
	return &millwav1.UnitPrices{PerKg: perKg, PerPound: perLb, PerQuintal: perQuintal}
}

// TestObservatoryOnACraftedBook checks the series and the index against a
// hand calculation, and that Cusco's two sellers are never published.
func TestObservatoryOnACraftedBook(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		obsBook(ts, t, [2]int64{2700, 2700})
		public := millwav1.NewObservatoryServiceClient(ts.dial(t, ""))
		series, err := public.ListPriceSeries(t.Context(), &millwav1.ListPriceSeriesRequest{
			StartTime: timestamppb.New(obsFrom), EndTime: timestamppb.New(obsTo)})
		if err != nil {
			t.Fatalf("ListPriceSeries: %v", err)
		}
		// By hand, Puno BABY WHITE, week 41: (40 × 23.00 + 30 × 26.00 +
		// 30 × 24.00) / 100 kg = 24.20 a kg; 24.20 × 0.45359237 =
		// 10.976935 → 10.98 a libra; × 45.359237 = 1097.69354 → 1097.69
		// a quintal. Week 42: (40 × 25 + 30 × 27 + 30 × 26) / 100 = 25.90;
		// 11.748042 → 11.75; 1174.80424 → 1174.80. FLEECE WHITE both
		// weeks: (30 × 15 + 30 × 16 + 40 × 15.50) / 100 = 15.50; 7.030682
		// → 7.03; 703.068174 → 703.07. No low or high bound in a cell of
		// three associations.
		want := []*millwav1.PriceSeries{
			{Region: "21", RegionName: "Puno", QualityGroup: "BABY", Colour: "WHITE", Points: []*millwav1.PriceSeriesPoint{
				{Week: "2026-W41", Vwap: unit(2420, 1098, 109769), TradedGrams: 100_000, TradeCount: 3, AssociationCount: 3},
				{Week: "2026-W42", Vwap: unit(2590, 1175, 117480), TradedGrams: 100_000, TradeCount: 3, AssociationCount: 3},
			}},
			{Region: "21", RegionName: "Puno", QualityGroup: "FLEECE", Colour: "WHITE", Points: []*millwav1.PriceSeriesPoint{
				{Week: "2026-W41", Vwap: unit(1550, 703, 70307), TradedGrams: 100_000, TradeCount: 3, AssociationCount: 3},
				{Week: "2026-W42", Vwap: unit(1550, 703, 70307), TradedGrams: 100_000, TradeCount: 3, AssociationCount: 3},
			}},
		}
		for _, s := range series.GetSeries() {
			for _, p := range s.GetPoints() {
				p.WeekStartTime = nil
			}
		}
		if !proto.Equal(&millwav1.ListPriceSeriesResponse{Series: want}, &millwav1.ListPriceSeriesResponse{Series: series.GetSeries()}) {
			t.Errorf("series:\n got %v\nwant %v", series.GetSeries(), want)
		}
		if series.GetSuppressedCellCount() != 2 {
			t.Errorf("%d cells withheld, want 2 (Cusco BABY WHITE in both weeks, two sellers)", series.GetSuppressedCellCount())
		}
		if !strings.Contains(series.GetLicence().GetEs(), "CC BY 4.0") || !strings.Contains(series.GetNote().GetEn(), "at least 3 associations") {
			t.Errorf("licence %v, note %v: want the licence and the rule stated", series.GetLicence(), series.GetNote())
		}
		cusco, err := public.ListPriceSeries(t.Context(), &millwav1.ListPriceSeriesRequest{Region: "08",
			StartTime: timestamppb.New(obsFrom), EndTime: timestamppb.New(obsTo)})
		if err != nil || len(cusco.GetSeries()) != 0 {
			t.Errorf("Cusco's series: %v, %v; want none, two associations only", cusco.GetSeries(), err)
		}

		// The index by hand: base weights are the base year's value shares,
		// BABY WHITE 24.20 × 100 + 25.90 × 100 = 5010 and FLEECE WHITE
		// 15.50 × 200 = 3100 (soles), of 8110; week 41 is 100 and week 42
		// 100 × (5010/8110 × 25.90/24.20 + 3100/8110 × 15.50/15.50) =
		// 104.339607… → 104.34.
		index, err := public.GetPriceIndex(t.Context(), &millwav1.GetPriceIndexRequest{
			StartTime: timestamppb.New(obsFrom), EndTime: timestamppb.New(obsTo), BaseYear: 2026})
		if err != nil {
			t.Fatalf("GetPriceIndex: %v", err)
		}
		handIndex := 100 * (5010.0/8110*25.90/24.20 + 3100.0/8110*15.50/15.50)
		if math.Abs(handIndex-104.34) > 0.005 {
			t.Fatalf("the hand calculation gives %v", handIndex)
		}
		pts := index.GetPoints()
		if len(pts) != 2 || pts[0].GetWeek() != "2026-W41" || !pts[0].GetHasValue() || pts[0].GetValue() != 100 ||
			pts[1].GetWeek() != "2026-W42" || !pts[1].GetHasValue() || math.Abs(pts[1].GetValue()-104.34) > 0.001 {
			t.Errorf("index points %v; want 2026-W41 100.00 and 2026-W42 104.34", pts)
		}
		for _, p := range pts {
			if p.GetTradeCount() != 6 || p.GetAssociationCount() != 3 || p.GetCellCount() != 2 {
				t.Errorf("point %v: want 6 trades of 3 associations in 2 cells (Cusco's withheld)", p)
			}
		}
		basket := index.GetBasket()
		if len(basket) != 2 || basket[0].GetQualityGroup() != "BABY" || math.Abs(basket[0].GetWeight()-5010.0/8110) > 1e-9 ||
			basket[1].GetQualityGroup() != "FLEECE" || math.Abs(basket[1].GetWeight()-3100.0/8110) > 1e-9 {
			t.Errorf("basket %v; want BABY WHITE 5010/8110 and FLEECE WHITE 3100/8110", basket)
		}

		// Bad input names its field.
		for _, req := range []*millwav1.ListPriceSeriesRequest{
			{Region: "99"}, {QualityGroup: "SILK"}, {CurrencyCode: "soles"},
			{StartTime: timestamppb.New(obsTo), EndTime: timestamppb.New(obsFrom)},
			{StartTime: timestamppb.New(obsFrom.AddDate(-6, 0, 0)), EndTime: timestamppb.New(obsFrom)},
		} {
			_, err := public.ListPriceSeries(t.Context(), req)
			wantCode(t, fmt.Sprintf("ListPriceSeries(%v)", req), err, codes.InvalidArgument)
		}
	})
}

// TestObservatoryDifferencingRecoversNoSeller plays the attack of issue 20:
// Cusco's first association, B1, sells beside exactly one other, B2, and
// knows its own trades. Two markets that B1 cannot tell apart are built:
// B2 sells at 27.00 in one and at 29.00 and 25.00 in the other. Every
// public answer B1 could compare (every region, each region, each group
// and colour, the index with any basket, the CSV) must be the same in
// both, so no difference of overlapping answers, such as all regions less
// Puno, can give B2's price.
func TestObservatoryDifferencingRecoversNoSeller(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		span := func(r *millwav1.ListPriceSeriesRequest) *millwav1.ListPriceSeriesRequest {
			r.StartTime, r.EndTime = timestamppb.New(obsFrom), timestamppb.New(obsTo)
			return r
		}
		seriesQueries := []*millwav1.ListPriceSeriesRequest{
			span(&millwav1.ListPriceSeriesRequest{}), span(&millwav1.ListPriceSeriesRequest{Region: "21"}),
			span(&millwav1.ListPriceSeriesRequest{Region: "08"}), span(&millwav1.ListPriceSeriesRequest{QualityGroup: "BABY"}),
			span(&millwav1.ListPriceSeriesRequest{Colour: "WHITE"}), span(&millwav1.ListPriceSeriesRequest{Region: "08", QualityGroup: "BABY", Colour: "WHITE"}),
		}
		indexQueries := []*millwav1.GetPriceIndexRequest{
			{StartTime: timestamppb.New(obsFrom), EndTime: timestamppb.New(obsTo), BaseYear: 2026},
			{StartTime: timestamppb.New(obsWeek2), EndTime: timestamppb.New(obsTo), BaseYear: 2026},
		}
		var answers [2][]proto.Message
		var csvs [2]string
		for w, cusco := range [2][2]int64{{2700, 2700}, {2900, 2500}} {
			url := dbURL
			if w == 1 {
				url = storetest.SQLiteURL(t)
				if !strings.HasPrefix(dbURL, "sqlite:") {
					url = storetest.PostgresURL(t)
				}
			}
			ts := startServer(t, url)
			obsBook(ts, t, cusco)
			public := millwav1.NewObservatoryServiceClient(ts.dial(t, ""))
			for _, q := range seriesQueries {
				resp, err := public.ListPriceSeries(t.Context(), q)
				if err != nil {
					t.Fatalf("ListPriceSeries(%v): %v", q, err)
				}
				answers[w] = append(answers[w], resp)
			}
			for _, q := range indexQueries {
				resp, err := public.GetPriceIndex(t.Context(), q)
				if err != nil {
					t.Fatalf("GetPriceIndex(%v): %v", q, err)
				}
				answers[w] = append(answers[w], resp)
			}
			res, body := getReport(t, ts, "", "/v1/observatory/series.csv?startTime=2026-10-01&endTime=2026-10-20", "")
			if res.StatusCode != 200 {
				t.Fatalf("series.csv: HTTP %d %s", res.StatusCode, body)
			}
			csvs[w] = string(body)
		}
		for i := range answers[0] {
			if !proto.Equal(answers[0][i], answers[1][i]) {
				t.Errorf("answer %d tells the markets apart:\n%v\n%v", i, answers[0][i], answers[1][i])
			}
		}
		if csvs[0] != csvs[1] {
			t.Errorf("the CSV tells the markets apart:\n%s\n%s", csvs[0], csvs[1])
		}
		// B1's arithmetic: every published figure of all regions less
		// Puno's. With nothing of Cusco's cell in any answer, the
		// difference is empty, and B2's prices appear nowhere.
		all, puno := answers[0][0].(*millwav1.ListPriceSeriesResponse), answers[0][1].(*millwav1.ListPriceSeriesResponse)
		if !proto.Equal(&millwav1.ListPriceSeriesResponse{Series: all.GetSeries()}, &millwav1.ListPriceSeriesResponse{Series: puno.GetSeries()}) {
			t.Errorf("all regions less Puno leaves %v", all.GetSeries())
		}
		for _, line := range strings.Split(csvs[1], "\n") {
			if strings.Contains(line, ",08,") {
				t.Errorf("the CSV has a row of Cusco's withheld cell: %s", line)
			}
		}
	})
}
