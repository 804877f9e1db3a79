package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// receive reads n events from a stream, failing after a deadline.
func receive(t *testing.T, stream millwav1.MarketService_WatchMarketClient, n int) []*millwav1.MarketEvent {
	t.Helper()
	var out []*millwav1.MarketEvent
	done := make(chan error, 1)
	go func() {
		for len(out) < n {
			resp, err := stream.Recv()
			if err != nil {
				done <- err
				return
			}
			out = append(out, resp.GetEvent())
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after %d of %d events: %v", len(out), n, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("received %d of %d events in 20 s", len(out), n)
	}
	return out
}

// TestWatchMarketAcrossReplicas checks that a watcher connected to one
// replica receives, in order and without gaps, the events of a clearing
// run on another, and that after reconnecting with its last id it
// receives exactly what it missed.
func TestWatchMarketAcrossReplicas(t *testing.T) {
	t.Parallel()
	dbURL := storetest.PostgresURL(t)
	a, b := startServerWith(t, dbURL, callAuction), startServerWith(t, dbURL, callAuction)
	puno := b.lotFixture(t, "210101")
	proc, procKey := b.createProcessor(t, "040101")
	other, otherKey := b.createProcessor(t, "040101")
	reg := millwav1.NewRegistryServiceClient(b.dial(t, puno.secret))
	for i := range 6 {
		if _, err := reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: puno.assoc.GetName(),
			Lot: puno.lotOf("BABY", 10_000, 2000+int64(i)*10)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []struct {
		proc  *millwav1.Processor
		key   string
		grams int64
	}{{proc, procKey, 35_000}, {other, otherKey, 20_000}} {
		o := newOrder()
		o.QuantityGrams = p.grams
		if _, err := millwav1.NewMarketServiceClient(b.dial(t, p.key)).CreatePurchaseOrder(t.Context(),
			&millwav1.CreatePurchaseOrderRequest{Parent: p.proc.GetName(), PurchaseOrder: o}); err != nil {
			t.Fatal(err)
		}
	}

	// The admin watches everything on A, a processor its own events.
	watchCtx, stopWatching := context.WithCancel(t.Context())
	adminWatch, err := millwav1.NewMarketServiceClient(a.conn).WatchMarket(watchCtx, &millwav1.WatchMarketRequest{AfterEventId: "0"})
	if err != nil {
		t.Fatal(err)
	}
	procWatch, err := millwav1.NewMarketServiceClient(a.dial(t, otherKey)).WatchMarket(t.Context(), &millwav1.WatchMarketRequest{AfterEventId: "0"})
	if err != nil {
		t.Fatal(err)
	}
	run, err := millwav1.NewMarketServiceClient(b.conn).RunClearing(t.Context(), &millwav1.RunClearingRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// 55 kg wanted of 60 on offer: at least 6 trades, and both orders
	// FILLED: one event per trade and per order.
	trades := int(run.GetSummary().GetTradesCreated())
	if trades < 6 || run.GetSummary().GetAllocatedGrams() != 55_000 {
		t.Fatalf("clearing: %v, want 55,000 g in at least 6 trades", run.GetSummary())
	}
	events := receive(t, adminWatch, trades+2)
	for i, e := range events {
		if e.GetId() != strconv.Itoa(i+1) {
			t.Fatalf("event %d has id %s: want 1, 2, … without gaps: %v", i, e.GetId(), marketEventIDs(events))
		}
	}
	counts := map[millwav1.MarketEventType]int{}
	for _, e := range events {
		counts[e.GetType()]++
		if e.GetType() == millwav1.MarketEventType_MARKET_EVENT_TYPE_TRADE_MATCHED && e.GetTrade().GetClearingId() != run.GetSummary().GetClearingId() {
			t.Fatalf("event %s: trade %v not of the clearing", e.GetId(), e.GetTrade())
		}
	}
	if counts[millwav1.MarketEventType_MARKET_EVENT_TYPE_TRADE_MATCHED] != trades || counts[millwav1.MarketEventType_MARKET_EVENT_TYPE_ORDER_FILLED] != 2 {
		t.Fatalf("event types %v", counts)
	}
	// The other processor sees only its own order's events.
	mine, err := millwav1.NewMarketServiceClient(a.dial(t, otherKey)).ListTrades(t.Context(), &millwav1.ListTradesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	own := receive(t, procWatch, len(mine.GetTrades())+1)
	for _, e := range own {
		name := e.GetTrade().GetProcessor()
		if e.GetPurchaseOrder() != nil {
			name = e.GetPurchaseOrder().GetName()[:len(other.GetName())]
		}
		if name != other.GetName() {
			t.Fatalf("processor received %v, not its own", e)
		}
	}

	// Disconnect; two confirmations happen on B meanwhile.
	last := events[len(events)-1].GetId()
	stopWatching()
	assocMkt := millwav1.NewMarketServiceClient(b.dial(t, puno.secret))
	var confirmed []string
	for _, e := range events[:2] {
		if _, err := assocMkt.ConfirmTrade(t.Context(), &millwav1.ConfirmTradeRequest{Name: e.GetTrade().GetName()}); err != nil {
			t.Fatal(err)
		}
		confirmed = append(confirmed, e.GetTrade().GetName())
	}
	resumed, err := millwav1.NewMarketServiceClient(a.conn).WatchMarket(t.Context(), &millwav1.WatchMarketRequest{AfterEventId: last})
	if err != nil {
		t.Fatal(err)
	}
	missed := receive(t, resumed, 2)
	lastN, _ := strconv.Atoi(last)
	for i, e := range missed {
		if e.GetId() != strconv.Itoa(lastN+1+i) || e.GetType() != millwav1.MarketEventType_MARKET_EVENT_TYPE_TRADE_CONFIRMED || e.GetTrade().GetName() != confirmed[i] {
			t.Fatalf("missed event %d: %v, want TRADE_CONFIRMED of %s with id %d", i, e, confirmed[i], lastN+1+i)
		}
	}
	// Nothing more arrives.
	extra := make(chan error, 1)
	go func() { _, err := resumed.Recv(); extra <- err }()
	select {
	case err := <-extra:
		t.Fatalf("an extra event or error after what was missed: %v", err)
	case <-time.After(500 * time.Millisecond):
	}

	// Ids that name no retained event are refused precisely.
	for id, want := range map[string]codes.Code{"abc": codes.InvalidArgument, "999999": codes.InvalidArgument} {
		s, err := millwav1.NewMarketServiceClient(a.conn).WatchMarket(t.Context(), &millwav1.WatchMarketRequest{AfterEventId: id})
		if err == nil {
			_, err = s.Recv()
		}
		wantCode(t, "watch after "+id, err, want)
	}
}

// TestMarketUnderConcurrentReplicas runs three replicas on one PostgreSQL
// with 64 concurrent clients creating lots and orders, cancelling orders
// and running clearings, then checks that no gram was sold twice, that
// every allocation belongs to exactly one trade, and that the audit chain
// verifies.
func TestMarketUnderConcurrentReplicas(t *testing.T) {
	t.Parallel()
	dbURL := storetest.PostgresURL(t)
	replicas := []*testServer{startServer(t, dbURL), startServer(t, dbURL), startServer(t, dbURL)}
	setup := replicas[0]
	var assocs []lotFixture
	for _, u := range []string{"210101", "080101", "090101", "210502"} {
		assocs = append(assocs, setup.lotFixture(t, u))
	}
	type proc struct {
		p   *millwav1.Processor
		key string
	}
	var procs []proc
	for range 3 {
		p, k := setup.createProcessor(t, "040101")
		procs = append(procs, proc{p, k})
	}
	// Clients: per replica, one connection per key.
	type clients struct {
		admin millwav1.MarketServiceClient
		assoc []millwav1.RegistryServiceClient
		proc  []millwav1.MarketServiceClient
	}
	cs := make([]clients, len(replicas))
	for i, r := range replicas {
		cs[i].admin = millwav1.NewMarketServiceClient(r.conn)
		for _, a := range assocs {
			cs[i].assoc = append(cs[i].assoc, millwav1.NewRegistryServiceClient(r.dial(t, a.secret)))
		}
		for _, p := range procs {
			cs[i].proc = append(cs[i].proc, millwav1.NewMarketServiceClient(r.dial(t, p.key)))
		}
	}

	const workers, opsEach = 64, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*opsEach)
	var mu sync.Mutex
	var orders []string
	ops := map[string]int{}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			c := cs[w%len(replicas)]
			for range opsEach {
				ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
				var err error
				op := ""
				switch k := r.IntN(10); {
				case k < 4:
					op = "lot"
					i := r.IntN(len(assocs))
					lot := assocs[i].lotOf([]string{"BABY", "FLEECE"}[r.IntN(2)], 5_000+r.Int64N(40_000), 1800+r.Int64N(800))
					_, err = c.assoc[i].CreateLot(ctx, &millwav1.CreateLotRequest{Parent: assocs[i].assoc.GetName(), Lot: lot})
				case k < 7:
					op = "order"
					i := r.IntN(len(procs))
					o := newOrder()
					o.QuantityGrams, o.BidPricePerKg = 10_000+r.Int64N(80_000), 1900+r.Int64N(800)
					var resp *millwav1.CreatePurchaseOrderResponse
					resp, err = c.proc[i].CreatePurchaseOrder(ctx, &millwav1.CreatePurchaseOrderRequest{Parent: procs[i].p.GetName(), PurchaseOrder: o})
					if err == nil {
						mu.Lock()
						orders = append(orders, resp.GetPurchaseOrder().GetName())
						mu.Unlock()
					}
				case k < 9:
					op = "clearing"
					_, err = c.admin.RunClearing(ctx, &millwav1.RunClearingRequest{})
				default:
					op = "cancel"
					mu.Lock()
					name := ""
					if len(orders) > 0 {
						name = orders[r.IntN(len(orders))]
					}
					mu.Unlock()
					if name != "" {
						_, err = c.admin.CancelPurchaseOrder(ctx, &millwav1.CancelPurchaseOrderRequest{Name: name})
						if status.Code(err) == codes.FailedPrecondition { // already cancelled
							err = nil
						}
					}
				}
				cancel()
				if err != nil && status.Code(err) != codes.Aborted {
					errs <- fmt.Errorf("%s: %w", op, err)
				}
				mu.Lock()
				ops[op]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	if err := errors.Join(all...); err != nil {
		t.Fatalf("%d calls failed:\n%v", len(all), err)
	}
	t.Logf("operations: %v; trades: %d", ops, countRows(t, setup, "SELECT COUNT(*) FROM trades"))
	if countRows(t, setup, "SELECT COUNT(*) FROM trades") == 0 {
		t.Fatal("no trade was made: the test exercised nothing")
	}
	checkMarketInvariants(t, setup)
	v, err := millwav1.NewAuditServiceClient(setup.conn).VerifyAuditLog(t.Context(), &millwav1.VerifyAuditLogRequest{})
	if err != nil || !v.GetOk() {
		t.Fatalf("audit chain after the run: %v %v", v, err)
	}
	// Every event number was used once, in order.
	if n, head := countRows(t, setup, "SELECT COUNT(*) FROM market_events"), countRows(t, setup, "SELECT event_seq FROM market_lock"); n != head {
		t.Fatalf("%d market events, counter at %d", n, head)
	}
}

var (
	_ = io.EOF
	_ = timestamppb.Now
)
