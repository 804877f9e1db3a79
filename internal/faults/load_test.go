package faults_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// clients are connections to one server, one per key: the admin's and each
// seller's and buyer's, by their index in the market.
type clients struct {
	admin   *grpc.ClientConn
	sellers []*grpc.ClientConn
	buyers  []*grpc.ClientConn
	// sellerOf finds a seller's index by its association's name.
	sellerOf map[string]int
}

func connect(t *testing.T, s *server, m *market) *clients {
	t.Helper()
	c := &clients{admin: s.dial(t, adminSecret), sellerOf: map[string]int{}}
	for i, sl := range m.sellers {
		c.sellers = append(c.sellers, s.dial(t, sl.key))
		c.sellerOf[sl.name] = i
	}
	for _, b := range m.buyers {
		c.buyers = append(c.buyers, s.dial(t, b.key))
	}
	return c
}

func (c *clients) seller(i int) millwav1.RegistryServiceClient {
	return millwav1.NewRegistryServiceClient(c.sellers[i])
}

func (c *clients) sellerMarket(i int) millwav1.MarketServiceClient {
	return millwav1.NewMarketServiceClient(c.sellers[i])
}

func (c *clients) buyer(i int) millwav1.MarketServiceClient {
	return millwav1.NewMarketServiceClient(c.buyers[i])
}

// call is one RPC as the client saw it.
type call struct {
	method string
	start  time.Time
	took   time.Duration
	err    error
}

func (c call) end() time.Time { return c.start.Add(c.took) }

func (c call) String() string {
	return fmt.Sprintf("%s at %s took %v: %v", c.method, c.start.Format("15:04:05.000"), c.took.Round(time.Millisecond), c.err)
}

// recorder keeps every call of a load, so that the test can judge each
// one by when it ended relative to the fault.
type recorder struct {
	mu    sync.Mutex
	calls []call
}

// do runs f as a call of method and records how it went.
func (r *recorder) do(method string, f func() error) error {
	start := time.Now()
	err := f()
	r.mu.Lock()
	r.calls = append(r.calls, call{method: method, start: start, took: time.Since(start), err: err})
	r.mu.Unlock()
	return err
}

// matching returns the calls for which keep is true.
func (r *recorder) matching(keep func(call) bool) []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []call
	for _, c := range r.calls {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// summary counts the calls by method and outcome, for logs.
func (r *recorder) summary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := map[string]int{}
	for _, c := range r.calls {
		n[c.method+" "+status.Code(c.err).String()]++
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %d; ", k, n[k])
	}
	return strings.TrimSuffix(b.String(), "; ")
}

// codeIn reports whether err's gRPC code is one of codes (OK for nil).
func codeIn(err error, allowed ...codes.Code) bool {
	c := status.Code(err)
	for _, a := range allowed {
		if c == a {
			return true
		}
	}
	return false
}

// reportCalls fails the test with up to ten of the calls given, saying
// why they are wrong.
func reportCalls(t *testing.T, why string, calls []call) {
	t.Helper()
	if len(calls) == 0 {
		return
	}
	var b strings.Builder
	for i, c := range calls {
		if i == 10 {
			fmt.Fprintf(&b, "\n  … and %d more", len(calls)-10)
			break
		}
		fmt.Fprintf(&b, "\n  %s", c)
	}
	t.Errorf("%d calls %s:%s", len(calls), why, b.String())
}

// marketLoad is the market's parties at work: each seller creating lots,
// each buyer placing purchase orders (which continuous matching fills from
// the lots on offer, as new lots fill resting orders) and taking its trades
// through their life (both sides confirm; every other trade is then
// delivered 2% short and paid), and readers listing and reading. Every
// answer goes to the ledger; every call to the recorder.
//
// Each state-changing call carries a request_id fixed before its first
// attempt, and a writer whose call fails sends the same request again
// until it is answered: so a write whose answer was lost in a fault is
// retried exactly as a careful client would, and the server must then
// answer it once, never apply it twice.
type marketLoad struct {
	m   *market
	c   *clients
	led *ledger
	rec *recorder
	// pause is how long a worker waits after a failed call, rest after a
	// write that succeeded.
	pause, rest time.Duration
	// readers is the number of goroutines that only read.
	readers int
	// clearers is the number of goroutines that run clearings of the
	// whole book as the admin.
	clearers int
	// part and parts share the market's parties among several loads (one
	// a server): this load works for the sellers and buyers whose index
	// is part modulo parts. Zero parts means all of them.
	part, parts int

	mu sync.Mutex
	// unanswered names the writes still unanswered when their worker
	// stopped.
	unanswered []string
}

// callTimeout bounds a call from the client side only as a safety net: the
// calls carry no deadline of their own, so that the server's default
// (MILLWA_RPC_TIMEOUT) is the one that applies, and a call outliving it is
// the server's failure, which the tests measure.
const callTimeout = 30 * time.Second

// callContext is a context for one call: cancelled after callTimeout or
// with parent, but without a deadline that gRPC would send to the server.
func callContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	stop := time.AfterFunc(callTimeout, cancel)
	return ctx, func() { stop.Stop(); cancel() }
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// run starts the workers. They start no new work once ctx ends but go on
// retrying the write in hand until it is answered or hard ends. The
// function returned waits for them all.
func (l *marketLoad) run(ctx, hard context.Context) (wait func()) {
	var wg sync.WaitGroup
	mine := func(i int) bool { return l.parts == 0 || i%l.parts == l.part }
	for i := range l.m.sellers {
		if mine(i) {
			wg.Go(func() { l.lotWriter(ctx, hard, i) })
		}
	}
	for k := range l.m.buyers {
		if mine(k) {
			wg.Go(func() { l.orderWriter(ctx, hard, k) })
			wg.Go(func() { l.tradeWorker(ctx, hard, k) })
		}
	}
	for r := range l.readers {
		wg.Go(func() { l.reader(ctx, hard, r) })
	}
	for n := range l.clearers {
		wg.Go(func() { l.clearer(ctx, hard, n) })
	}
	return wg.Wait
}

// giveUp records a write left unanswered.
func (l *marketLoad) giveUp(what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unanswered = append(l.unanswered, what)
}

// lotWriter creates lots for seller i: 5 to 40 kg of baby or fleece at
// S/ 18.00 to 24.00 a kilogram.
func (l *marketLoad) lotWriter(ctx, hard context.Context, i int) {
	r := rand.New(rand.NewPCG(uint64(i), 1))
	var pending *millwav1.CreateLotRequest
	for n := 0; ; n++ {
		if pending == nil {
			if ctx.Err() != nil {
				return
			}
			pending = l.m.sellers[i].lotRequest([]string{"BABY", "FLEECE"}[r.IntN(2)], 5_000+r.Int64N(35_000), 1800+r.Int64N(600), fmt.Sprintf("lot-%d-%d", i, n))
		}
		if hard.Err() != nil {
			l.giveUp("CreateLot " + pending.GetRequestId())
			return
		}
		req := pending
		var resp *millwav1.CreateLotResponse
		err := l.rec.do("CreateLot", func() (err error) {
			cctx, cancel := callContext(hard)
			defer cancel()
			resp, err = l.c.seller(i).CreateLot(cctx, req)
			return err
		})
		if err != nil {
			sleep(hard, l.pause)
			continue
		}
		pending = nil
		sleep(hard, l.rest)
		l.led.lot(resp.GetLot())
		l.led.acked("lot", &replay{method: "CreateLot", name: resp.GetLot().GetName(),
			call: func(ctx context.Context, c *clients, h *metadata.MD) (string, error) {
				resp, err := c.seller(i).CreateLot(ctx, req, grpc.Header(h))
				return resp.GetLot().GetName(), err
			}})
	}
}

// orderWriter places purchase orders for buyer k: 10 to 60 kg at S/ 20.00
// to 26.00 a kilogram, and reads back the trades each one made.
func (l *marketLoad) orderWriter(ctx, hard context.Context, k int) {
	r := rand.New(rand.NewPCG(uint64(k), 2))
	var pending *millwav1.CreatePurchaseOrderRequest
	for n := 0; ; n++ {
		if pending == nil {
			if ctx.Err() != nil {
				return
			}
			pending = l.m.buyers[k].orderRequest(10_000+r.Int64N(50_000), 2000+r.Int64N(600), fmt.Sprintf("order-%d-%d", k, n))
		}
		if hard.Err() != nil {
			l.giveUp("CreatePurchaseOrder " + pending.GetRequestId())
			return
		}
		req := pending
		var resp *millwav1.CreatePurchaseOrderResponse
		err := l.rec.do("CreatePurchaseOrder", func() (err error) {
			cctx, cancel := callContext(hard)
			defer cancel()
			resp, err = l.c.buyer(k).CreatePurchaseOrder(cctx, req)
			return err
		})
		if err != nil {
			sleep(hard, l.pause)
			continue
		}
		pending = nil
		sleep(hard, l.rest)
		o := resp.GetPurchaseOrder()
		l.led.order(o)
		l.led.acked("order", &replay{method: "CreatePurchaseOrder", name: o.GetName(),
			call: func(ctx context.Context, c *clients, h *metadata.MD) (string, error) {
				resp, err := c.buyer(k).CreatePurchaseOrder(ctx, req, grpc.Header(h))
				return resp.GetPurchaseOrder().GetName(), err
			}})
		if o.GetFilledGrams() == 0 {
			continue
		}
		// The trades the order made are committed with it: what a
		// client has read must survive as surely as what it wrote.
		var list *millwav1.ListTradesResponse
		if l.rec.do("ListTrades", func() (err error) {
			cctx, cancel := callContext(hard)
			defer cancel()
			list, err = l.c.buyer(k).ListTrades(cctx, &millwav1.ListTradesRequest{PageSize: 500, Filter: fmt.Sprintf("purchase_order = %q", o.GetName())})
			return err
		}) == nil {
			for _, tr := range list.GetTrades() {
				l.led.trade(tr)
			}
		}
	}
}

// tradeWorker takes buyer k's trades through their life, each to its end
// before the next: the buyer confirms, the seller confirms, and every other
// trade is then delivered 2% short and paid. After a step fails the round
// ends; the step is tried again next round with the same request_id and
// body.
func (l *marketLoad) tradeWorker(ctx, hard context.Context, k int) {
	inHand := map[string]*millwav1.Trade{}
	for ctx.Err() == nil {
		var list *millwav1.ListTradesResponse
		if l.rec.do("ListTrades", func() (err error) {
			cctx, cancel := callContext(hard)
			defer cancel()
			list, err = l.c.buyer(k).ListTrades(cctx, &millwav1.ListTradesRequest{PageSize: 50, Filter: "state = MATCHED"})
			return err
		}) == nil {
			for _, tr := range list.GetTrades() {
				l.led.trade(tr)
				if _, ok := inHand[tr.GetName()]; !ok {
					inHand[tr.GetName()] = tr
				}
			}
		}
		if len(inHand) == 0 {
			sleep(ctx, 20*time.Millisecond)
			continue
		}
		names := make([]string, 0, len(inHand))
		for name := range inHand {
			names = append(names, name)
		}
		sort.Strings(names)
		failed := false
		for _, name := range names {
			for !failed && inHand[name] != nil {
				if ctx.Err() != nil {
					return
				}
				next, err := l.step(hard, k, inHand[name])
				switch {
				case err != nil:
					failed = true
				case next == nil:
					delete(inHand, name)
				default:
					inHand[name] = next
					sleep(ctx, l.rest)
				}
			}
		}
		if failed {
			sleep(ctx, l.pause)
		}
	}
}

// step takes one step of tr's life and returns the trade as answered, or
// nil when it needs no more steps.
func (l *marketLoad) step(hard context.Context, k int, tr *millwav1.Trade) (*millwav1.Trade, error) {
	id := strings.TrimPrefix(tr.GetName(), "trades/")
	var method, kind string
	var send func(ctx context.Context, c *clients, opts ...grpc.CallOption) (*millwav1.Trade, error)
	switch {
	case tr.GetState() == millwav1.TradeState_TRADE_STATE_MATCHED && tr.GetProcessorConfirmTime() == nil:
		method, kind = "ConfirmTrade", "confirm"
		req := &millwav1.ConfirmTradeRequest{Name: tr.GetName(), RequestId: "confirm-p-" + id}
		send = func(ctx context.Context, c *clients, opts ...grpc.CallOption) (*millwav1.Trade, error) {
			resp, err := c.buyer(k).ConfirmTrade(ctx, req, opts...)
			return resp.GetTrade(), err
		}
	case tr.GetState() == millwav1.TradeState_TRADE_STATE_MATCHED:
		method, kind = "ConfirmTrade", "confirm"
		seller := l.c.sellerOf[tr.GetAssociation()]
		req := &millwav1.ConfirmTradeRequest{Name: tr.GetName(), RequestId: "confirm-a-" + id}
		send = func(ctx context.Context, c *clients, opts ...grpc.CallOption) (*millwav1.Trade, error) {
			resp, err := c.sellerMarket(seller).ConfirmTrade(ctx, req, opts...)
			return resp.GetTrade(), err
		}
	case tr.GetState() == millwav1.TradeState_TRADE_STATE_CONFIRMED && strings.ContainsAny(id[len(id)-1:], "02468ace"):
		method, kind = "RecordDelivery", "deliver"
		// Weighed when confirmed: a time fixed by the trade, so that a
		// retry sends the very same request.
		req := &millwav1.RecordDeliveryRequest{Name: tr.GetName(), RequestId: "deliver-" + id,
			DeliveredGrams: tr.GetGrams() - tr.GetGrams()/50, WeighTime: tr.GetConfirmTime()}
		send = func(ctx context.Context, c *clients, opts ...grpc.CallOption) (*millwav1.Trade, error) {
			resp, err := c.buyer(k).RecordDelivery(ctx, req, opts...)
			return resp.GetTrade(), err
		}
	case tr.GetState() == millwav1.TradeState_TRADE_STATE_DELIVERED:
		method, kind = "RecordPayment", "pay"
		req := &millwav1.RecordPaymentRequest{Name: tr.GetName(), RequestId: "pay-" + id,
			PaidAmount: tr.GetAmountDue(), PaymentReference: "OP-" + id[:8]}
		send = func(ctx context.Context, c *clients, opts ...grpc.CallOption) (*millwav1.Trade, error) {
			resp, err := c.buyer(k).RecordPayment(ctx, req, opts...)
			return resp.GetTrade(), err
		}
	default:
		return nil, nil
	}
	var got *millwav1.Trade
	err := l.rec.do(method, func() (err error) {
		cctx, cancel := callContext(hard)
		defer cancel()
		got, err = send(cctx, l.c)
		return err
	})
	if err != nil {
		return nil, err
	}
	l.led.trade(got)
	l.led.acked(kind, &replay{method: method, name: got.GetName(),
		call: func(ctx context.Context, c *clients, h *metadata.MD) (string, error) {
			tr, err := send(ctx, c, grpc.Header(h))
			return tr.GetName(), err
		}})
	return got, nil
}

// reader lists what the writers made, as the admin, until ctx ends; its
// calls are cancelled only when hard ends, so that stopping the load does
// not cut one short.
func (l *marketLoad) reader(ctx, hard context.Context, n int) {
	reg, mkt := millwav1.NewRegistryServiceClient(l.c.admin), millwav1.NewMarketServiceClient(l.c.admin)
	for i := 0; ctx.Err() == nil; i++ {
		var err error
		switch (i + n) % 3 {
		case 0:
			err = l.rec.do("ListLots", func() error {
				cctx, cancel := callContext(hard)
				defer cancel()
				_, err := reg.ListLots(cctx, &millwav1.ListLotsRequest{Parent: "associations/-", PageSize: 20})
				return err
			})
		case 1:
			err = l.rec.do("ListTrades", func() error {
				cctx, cancel := callContext(hard)
				defer cancel()
				_, err := mkt.ListTrades(cctx, &millwav1.ListTradesRequest{PageSize: 20})
				return err
			})
		default:
			err = l.rec.do("ListPurchaseOrders", func() error {
				cctx, cancel := callContext(hard)
				defer cancel()
				_, err := mkt.ListPurchaseOrders(cctx, &millwav1.ListPurchaseOrdersRequest{Parent: "processors/-", PageSize: 20})
				return err
			})
		}
		if err != nil {
			sleep(ctx, l.pause)
		} else {
			sleep(ctx, 10*time.Millisecond)
		}
	}
}

// clearer runs clearings of the whole book as the admin, each with a
// request_id of its own sent again until answered, and rests between
// them; the trades they make are taken through their life by the trade
// workers.
func (l *marketLoad) clearer(ctx, hard context.Context, n int) {
	mkt := millwav1.NewMarketServiceClient(l.c.admin)
	for i := 0; ; i++ {
		if ctx.Err() != nil {
			return
		}
		req := &millwav1.RunClearingRequest{RequestId: fmt.Sprintf("clear-%d-%d-%d", l.part, n, i)}
		for {
			if hard.Err() != nil {
				l.giveUp("RunClearing " + req.GetRequestId())
				return
			}
			err := l.rec.do("RunClearing", func() error {
				cctx, cancel := callContext(hard)
				defer cancel()
				_, err := mkt.RunClearing(cctx, req)
				return err
			})
			if err == nil {
				l.led.acked("clear", nil)
				break
			}
			sleep(hard, l.pause)
		}
		sleep(ctx, 200*time.Millisecond)
	}
}
