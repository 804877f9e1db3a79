package server_test

import (
	"testing"

	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestClearingSurplusBeyondInt64 clears, over gRPC and REST on both
// databases, a book within the documented limits whose gains from trade
// Σ (bid − ask) × grams exceed an int64: 1,000 lots of 100 t
// (MaxLotGrams) asking 1 céntimo a kilogram, bought by ten orders of
// 10,000 t (MaxOrderGrams) bidding a million soles (MaxBidPricePerKg).
// Such a book used to make every RunClearing answer Internal, even after
// an ordinary 1 kg order was added; now the clearing reports the exact
// surplus in total_surplus and total_surplus_decimal alike.
func TestClearingSurplusBeyondInt64(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 1,000 lots")
	}
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServerWith(t, dbURL, func(c *config.Config) {
			callAuction(c)
			c.RateLimit, c.RateBurst = 1e6, 1e6
		})
		f := ts.lotFixture(t, "210101")
		reg := millwav1.NewRegistryServiceClient(ts.conn)
		for range 2 {
			var reqs []*millwav1.CreateLotRequest
			for range 500 {
				reqs = append(reqs, &millwav1.CreateLotRequest{Lot: f.lotOf("FLEECE", 100_000_000, 1)})
			}
			if _, err := reg.BatchCreateLots(t.Context(), &millwav1.BatchCreateLotsRequest{Parent: f.assoc.GetName(), Requests: reqs}); err != nil {
				t.Fatalf("BatchCreateLots: %v", err)
			}
		}
		proc, procKey := ts.createProcessor(t, "040101")
		market := millwav1.NewMarketServiceClient(ts.dial(t, procKey))
		place := func(grams, bid int64) {
			t.Helper()
			o := newOrder()
			o.QuantityGrams, o.BidPricePerKg = grams, bid
			if _, err := market.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: o}); err != nil {
				t.Fatalf("CreatePurchaseOrder: %v", err)
			}
		}
		for range 10 {
			place(10_000_000_000, 100_000_000)
		}

		// 10^11 g × (10^8 − 1) minor units a kg = 9,999,999,900,000,000
		// minor units; the engine's sum in minor units × grams is 1,000
		// times that, past an int64.
		dry, err := millwav1.NewMarketServiceClient(ts.conn).RunClearing(t.Context(), &millwav1.RunClearingRequest{DryRun: true})
		if err != nil {
			t.Fatalf("dry RunClearing: %v", err)
		}
		if s := dry.GetSummary(); s.GetTotalSurplus() != 9_999_999_900_000_000 || s.GetTotalSurplusDecimal() != "9999999900000000" || s.GetAllocatedGrams() != 100_000_000_000 {
			t.Fatalf("dry run: surplus %d (%q), %d g; want 9999999900000000, 10^11 g", s.GetTotalSurplus(), s.GetTotalSurplusDecimal(), s.GetAllocatedGrams())
		}

		// An ordinary 1 kg lot and order beside the huge book: 1 kg × 500
		// minor units a kg more.
		small := f.lotOf("FLEECE", 1000, 2000)
		if _, err := reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: small}); err != nil {
			t.Fatalf("CreateLot: %v", err)
		}
		place(1000, 2500)
		var run millwav1.RunClearingResponse
		restDo(t, ts, adminSecret, "POST", "/v1/market:clear", &millwav1.RunClearingRequest{RequestId: "clear-limits"}, &run)
		s := run.GetSummary()
		if s.GetTotalSurplus() != 9_999_999_900_000_500 || s.GetTotalSurplusDecimal() != "9999999900000500" || s.GetAllocatedGrams() != 100_000_001_000 {
			t.Fatalf("clearing: surplus %d (%q), %d g; want 9999999900000500, 100000001000 g", s.GetTotalSurplus(), s.GetTotalSurplusDecimal(), s.GetAllocatedGrams())
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM trades"); n != int(s.GetTradesCreated()) || n < 1001 {
			t.Errorf("%d trades written, the summary says %d (at least 1,001)", n, s.GetTradesCreated())
		}
	})
}
