package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestListLotsPagesWhileInserting lists 10,000 lots page by page, in two
// orders, while another client keeps inserting lots: every lot that existed
// before the listing began comes exactly once.
func TestListLotsPagesWhileInserting(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 10,000 lots")
	}
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServerWith(t, dbURL, func(c *config.Config) { c.RateLimit, c.RateBurst = 1e6, 1e6 })
		f := ts.lotFixture(t, "210101")
		reg := millwav1.NewRegistryServiceClient(ts.conn)
		const total, batch = 10000, 500
		existing := map[string]bool{}
		for b := 0; b < total/batch; b++ {
			var reqs []*millwav1.CreateLotRequest
			for i := range batch {
				l := f.lot("BABY")
				l.AskPricePerKg = int64(1000 + (b*batch+i)%37) // many ties, broken by id
				reqs = append(reqs, &millwav1.CreateLotRequest{Lot: l})
			}
			resp, err := reg.BatchCreateLots(t.Context(), &millwav1.BatchCreateLotsRequest{Parent: f.assoc.GetName(), Requests: reqs})
			if err != nil {
				t.Fatalf("batch %d: %v", b, err)
			}
			for _, l := range resp.GetLots() {
				existing[l.GetName()] = true
			}
		}

		ctx, stop := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		inserted := 0
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := reg.CreateLot(ctx, &millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: f.lot("FLEECE")}); err == nil {
					inserted++
				}
				time.Sleep(2 * time.Millisecond)
			}
		}()
		for _, order := range []string{"", "ask_price_per_kg desc"} {
			seen := map[string]int{}
			token := ""
			for pages := 0; ; pages++ {
				resp, err := reg.ListLots(t.Context(), &millwav1.ListLotsRequest{Parent: "associations/-", PageSize: 487, PageToken: token, OrderBy: order})
				if err != nil {
					t.Fatalf("order %q, page %d: %v", order, pages, err)
				}
				for _, l := range resp.GetLots() {
					seen[l.GetName()]++
				}
				if token = resp.GetNextPageToken(); token == "" {
					break
				}
			}
			missing, twice := 0, 0
			for name := range existing {
				switch seen[name] {
				case 0:
					missing++
				case 1:
				default:
					twice++
				}
			}
			if missing != 0 || twice != 0 {
				t.Errorf("order %q: of %d pre-existing lots, %d missing and %d listed more than once", order, len(existing), missing, twice)
			}
		}
		stop()
		wg.Wait()
		t.Logf("%d lots inserted while listing", inserted)
		if inserted == 0 {
			t.Error("no lot was inserted while listing: the test did not exercise concurrent inserts")
		}
		_ = fmt.Sprint
	})
}
