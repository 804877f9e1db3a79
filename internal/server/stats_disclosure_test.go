package server_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// sale is one association's confirmed trade in a statistics test.
type sale struct {
	ubigeo, colour string
	grams, price   int64
}

// sellConfirmed makes each sale a CONFIRMED trade at exactly its price: a
// new association's lot asking the price and an order bidding it, which
// continuous matching pairs at once (the midpoint of equal bid and ask),
// confirmed by both sides. One association per sale.
func sellConfirmed(t *testing.T, ts *testServer, sales []sale) {
	t.Helper()
	proc, procKey := ts.createProcessor(t, "040101")
	mkt := millwav1.NewMarketServiceClient(ts.dial(t, procKey))
	for _, s := range sales {
		f := ts.lotFixture(t, s.ubigeo)
		l := f.lotOf("BABY", s.grams, s.price)
		l.Colour = s.colour
		if _, err := millwav1.NewRegistryServiceClient(ts.dial(t, f.secret)).CreateLot(t.Context(),
			&millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: l}); err != nil {
			t.Fatal(err)
		}
		o := newOrder()
		o.AcceptedColours, o.QuantityGrams, o.BidPricePerKg = []string{s.colour}, s.grams, s.price
		placed, err := mkt.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: o})
		if err != nil {
			t.Fatal(err)
		}
		list, err := mkt.ListTrades(t.Context(), &millwav1.ListTradesRequest{Filter: `purchase_order = "` + placed.GetPurchaseOrder().GetName() + `"`})
		if err != nil || len(list.GetTrades()) != 1 || list.GetTrades()[0].GetPricePerKg() != s.price || list.GetTrades()[0].GetGrams() != s.grams {
			t.Fatalf("sale %+v: trades %v, %v; want one at its price", s, list, err)
		}
		for _, c := range []millwav1.MarketServiceClient{mkt, millwav1.NewMarketServiceClient(ts.dial(t, f.secret))} {
			if _, err := c.ConfirmTrade(t.Context(), &millwav1.ConfirmTradeRequest{Name: list.GetTrades()[0].GetName()}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestMarketStatsDoNotIsolateASeller plays the attack of issue 13 on the
// public statistics. Association A sells in a Puno cell with exactly two
// other associations, B and C, and knows its own trade. It used to read
// B's and C's exact prices off the cell's lowest and highest price and,
// from the total grams and VWAP less its own, their volumes.
//
// Two markets are built that A cannot tell apart: A's trade is the same,
// and B and C trade the same grams and value in total but at different
// prices and volumes each (B 40 kg at 23.00 and C 30 kg at 26.00, or B
// 50 kg at 24.60 and C 20 kg at 23.50). Beside them are cells that
// overlapping requests take in or leave out: Puno BLACK, and a Cusco cell
// withheld because one association holds 70 % of it. Every request A
// could compare (all, one region, the other region, one colour, one group,
// region and colour) must answer the same in both markets, so no
// arithmetic on the published figures, nor on differences between
// requests, can give B's or C's price or volume; and A's own
// reconstruction from the answer fails.
func TestMarketStatsDoNotIsolateASeller(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		attacker := sale{"210101", "WHITE", 30_000, 2400}
		others := [2][2]sale{
			{{"210201", "WHITE", 40_000, 2300}, {"210301", "WHITE", 30_000, 2600}},
			{{"210201", "WHITE", 50_000, 2460}, {"210301", "WHITE", 20_000, 2350}},
		}
		around := []sale{
			{"210401", "BLACK", 20_000, 2000}, {"210501", "BLACK", 20_000, 2100}, {"210601", "BLACK", 20_000, 2200},
			{"080101", "WHITE", 70_000, 2500}, {"080201", "WHITE", 20_000, 2500}, {"080301", "WHITE", 10_000, 2500},
		}
		queries := []*millwav1.GetMarketStatsRequest{
			{}, {Region: "21"}, {Region: "08"}, {Colour: "WHITE"}, {Colour: "BLACK"}, {QualityGroup: "BABY"},
			{Region: "21", Colour: "WHITE"}, {Region: "21", QualityGroup: "BABY", Colour: "WHITE"},
		}
		week := millwa.WeekOf(time.Now())
		var answers [2][]*millwav1.GetMarketStatsResponse
		for w := range others {
			url := dbURL
			if w == 1 { // a second fresh database of the same dialect
				url = storetest.SQLiteURL(t)
				if !strings.HasPrefix(dbURL, "sqlite:") {
					url = storetest.PostgresURL(t)
				}
			}
			ts := startServer(t, url)
			sellConfirmed(t, ts, append([]sale{attacker, others[w][0], others[w][1]}, around...))
			public := millwav1.NewMarketServiceClient(ts.dial(t, ""))
			for _, q := range queries {
				resp, err := public.GetMarketStats(t.Context(), q)
				if err != nil {
					t.Fatalf("GetMarketStats(%v): %v", q, err)
				}
				answers[w] = append(answers[w], resp)
			}
		}
		if millwa.WeekOf(time.Now()) != week {
			t.Skip("the week changed while the markets were built; the two cannot be compared")
		}

		// What was published: Puno WHITE (A, B, C) and Puno BLACK; Cusco
		// withheld for dominance.
		var whites [2]*millwav1.MarketStatsCell
		for w := range answers {
			all := answers[w][0]
			var published []string
			for _, c := range all.GetCells() {
				published = append(published, c.GetRegion()+" "+c.GetColour())
				if c.GetRegion() == "21" && c.GetColour() == "WHITE" {
					whites[w] = c
				}
			}
			if !slices.Equal(published, []string{"21 BLACK", "21 WHITE"}) || all.GetSuppressedCellCount() != 1 {
				t.Errorf("market %d: cells %v, %d withheld; want Puno BLACK and WHITE published, Cusco withheld (70 %% one seller's)", w, published, all.GetSuppressedCellCount())
			}
			if c := whites[w]; c == nil || c.GetTradedGrams() != 100_000 || c.GetTradeCount() != 3 || c.GetVwapPricePerKg() != 2420 {
				t.Fatalf("market %d: Puno WHITE cell %v, want 100 kg in 3 trades at 24.20", w, c)
			}
		}
		for i, q := range queries {
			if !proto.Equal(answers[0][i], answers[1][i]) {
				t.Errorf("GetMarketStats(%v) tells the markets apart:\n%v\n%v", q, answers[0][i], answers[1][i])
			}
		}

		// A's attack: the others' volume and value are the cell's less its
		// own; the lowest and highest prices are theirs, which splits the
		// volume. It must not give B's and C's figures in either market.
		for w, bc := range others {
			white := whites[w]
			othersGrams := white.GetTradedGrams() - attacker.grams
			othersValue := white.GetVwapPricePerKg()*white.GetTradedGrams() - attacker.price*attacker.grams
			lo, hi := white.GetMinPricePerKg(), white.GetMaxPricePerKg()
			var found int
			for _, s := range bc {
				for _, p := range []int64{lo, hi} {
					if p == 0 || hi == lo {
						continue
					}
					// Grams at price p when the rest is at the other price.
					q := lo + hi - p
					if g := (othersValue - q*othersGrams) / (p - q); p == s.price && g == s.grams {
						found++
					}
				}
			}
			if found > 0 {
				t.Errorf("market %d: A recovered %d of B's and C's exact price and volume from %v", w, found, white)
			}
		}
	})
}
