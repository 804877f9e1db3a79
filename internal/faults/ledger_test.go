package faults_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// The ranks of the states a resource passes through in these tests, in
// the only order the market moves them. An acknowledged state may be
// overtaken after the acknowledgement (a lot allocated later, a trade
// confirmed by the other side) but never undone; states missing here
// (cancelled, expired, withdrawn) are never reached by the load, so
// meeting one is a failure.
var (
	lotRank = map[millwav1.LotState]int{
		millwav1.LotState_LOT_STATE_AVAILABLE: 1, millwav1.LotState_LOT_STATE_ALLOCATED: 2, millwav1.LotState_LOT_STATE_SOLD: 3,
	}
	orderRank = map[millwav1.PurchaseOrderState]int{
		millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_OPEN:             1,
		millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_PARTIALLY_FILLED: 2,
		millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_FILLED:           3,
	}
	tradeRank = map[millwav1.TradeState]int{
		millwav1.TradeState_TRADE_STATE_MATCHED: 1, millwav1.TradeState_TRADE_STATE_CONFIRMED: 2,
		millwav1.TradeState_TRADE_STATE_DELIVERED: 3, millwav1.TradeState_TRADE_STATE_PAID: 4,
	}
)

// ackedLot is the most advanced state of a lot the server acknowledged.
type ackedLot struct {
	allocated int64
	state     millwav1.LotState
}

// ackedOrder is the most advanced state of an order the server
// acknowledged.
type ackedOrder struct {
	filled int64
	state  millwav1.PurchaseOrderState
}

// ackedTrade is the most advanced state of a trade the server
// acknowledged, with the confirmations it acknowledged.
type ackedTrade struct {
	state                         millwav1.TradeState
	assocConfirmed, procConfirmed bool
}

// replay is an acknowledged state-changing call that can be sent again,
// with the same key, body and request_id.
type replay struct {
	method string
	// name is the resource the first answer named.
	name string
	// call sends the request again through c and returns the resource
	// its answer names, filling header.
	call func(ctx context.Context, c *clients, header *metadata.MD) (string, error)
}

// ledger records every answer the server gave to the load: what it
// acknowledged must be there after any fault.
type ledger struct {
	mu      sync.Mutex
	lots    map[string]*ackedLot
	orders  map[string]*ackedOrder
	trades  map[string]*ackedTrade
	replays []replay
	// counts of acknowledged calls by kind, for progress and logs.
	counts map[string]int
}

func newLedger() *ledger {
	return &ledger{lots: map[string]*ackedLot{}, orders: map[string]*ackedOrder{}, trades: map[string]*ackedTrade{}, counts: map[string]int{}}
}

// count returns how many calls of kind were acknowledged.
func (l *ledger) count(kind string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[kind]
}

func (l *ledger) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	kinds := make([]string, 0, len(l.counts))
	for k := range l.counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	s := fmt.Sprintf("%d lots, %d orders, %d trades;", len(l.lots), len(l.orders), len(l.trades))
	for _, k := range kinds {
		s += fmt.Sprintf(" %s %d", k, l.counts[k])
	}
	return s
}

// acked records an acknowledged call of kind and, when r is not nil, keeps
// it for replaying.
func (l *ledger) acked(kind string, r *replay) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts[kind]++
	if r != nil {
		l.replays = append(l.replays, *r)
	}
}

// lot records a lot as an answer showed it.
func (l *ledger) lot(lot *millwav1.Lot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.lots[lot.GetName()]
	if a == nil {
		a = &ackedLot{}
		l.lots[lot.GetName()] = a
	}
	a.allocated = max(a.allocated, lot.GetAllocatedGrams())
	if lotRank[lot.GetState()] > lotRank[a.state] {
		a.state = lot.GetState()
	}
}

// order records a purchase order as an answer showed it.
func (l *ledger) order(o *millwav1.PurchaseOrder) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.orders[o.GetName()]
	if a == nil {
		a = &ackedOrder{}
		l.orders[o.GetName()] = a
	}
	a.filled = max(a.filled, o.GetFilledGrams())
	if orderRank[o.GetState()] > orderRank[a.state] {
		a.state = o.GetState()
	}
}

// trade records a trade as an answer showed it.
func (l *ledger) trade(tr *millwav1.Trade) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.trades[tr.GetName()]
	if a == nil {
		a = &ackedTrade{}
		l.trades[tr.GetName()] = a
	}
	if tradeRank[tr.GetState()] > tradeRank[a.state] {
		a.state = tr.GetState()
	}
	a.assocConfirmed = a.assocConfirmed || tr.GetAssociationConfirmTime() != nil
	a.procConfirmed = a.procConfirmed || tr.GetProcessorConfirmTime() != nil
}

// verify reads every acknowledged resource back through the API as the
// admin and checks that it exists in at least the acknowledged state.
func (l *ledger) verify(t *testing.T, admin *grpc.ClientConn) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	reg, mkt := millwav1.NewRegistryServiceClient(admin), millwav1.NewMarketServiceClient(admin)
	for name, want := range l.lots {
		resp, err := reg.GetLot(ctx, &millwav1.GetLotRequest{Name: name})
		got := resp.GetLot()
		switch {
		case err != nil:
			t.Errorf("acknowledged lot %s lost: %v", name, err)
		case lotRank[got.GetState()] == 0 || lotRank[got.GetState()] < lotRank[want.state] || got.GetAllocatedGrams() < want.allocated:
			t.Errorf("lot %s is %v with %d g allocated, but %v with %d g was acknowledged",
				name, got.GetState(), got.GetAllocatedGrams(), want.state, want.allocated)
		}
	}
	for name, want := range l.orders {
		resp, err := mkt.GetPurchaseOrder(ctx, &millwav1.GetPurchaseOrderRequest{Name: name})
		got := resp.GetPurchaseOrder()
		switch {
		case err != nil:
			t.Errorf("acknowledged purchase order %s lost: %v", name, err)
		case orderRank[got.GetState()] == 0 || orderRank[got.GetState()] < orderRank[want.state] || got.GetFilledGrams() < want.filled:
			t.Errorf("purchase order %s is %v with %d g filled, but %v with %d g was acknowledged",
				name, got.GetState(), got.GetFilledGrams(), want.state, want.filled)
		}
	}
	for name, want := range l.trades {
		resp, err := mkt.GetTrade(ctx, &millwav1.GetTradeRequest{Name: name})
		got := resp.GetTrade()
		switch {
		case err != nil:
			t.Errorf("acknowledged trade %s lost: %v", name, err)
		case tradeRank[got.GetState()] == 0 || tradeRank[got.GetState()] < tradeRank[want.state]:
			t.Errorf("trade %s is %v, but %v was acknowledged", name, got.GetState(), want.state)
		case want.assocConfirmed && got.GetAssociationConfirmTime() == nil:
			t.Errorf("trade %s lost the association's acknowledged confirmation", name)
		case want.procConfirmed && got.GetProcessorConfirmTime() == nil:
			t.Errorf("trade %s lost the processor's acknowledged confirmation", name)
		}
	}
}

// replayAll sends every acknowledged call again with its request_id: each
// must be answered from the stored first answer (the x-millwa-replayed
// header set, the same resource named), never applied a second time.
func (l *ledger) replayAll(t *testing.T, c *clients) {
	t.Helper()
	l.mu.Lock()
	replays := append([]replay(nil), l.replays...)
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for _, r := range replays {
		var header metadata.MD
		name, err := r.call(ctx, c, &header)
		switch {
		case err != nil:
			t.Errorf("replaying acknowledged %s of %s: %v", r.method, r.name, err)
		case name != r.name:
			t.Errorf("replaying acknowledged %s of %s answered %s: the request_id's record was lost and the call acted again", r.method, r.name, name)
		case len(header.Get("x-millwa-replayed")) == 0 || header.Get("x-millwa-replayed")[0] != "true":
			t.Errorf("replaying acknowledged %s of %s was not answered from the stored answer (header %v)", r.method, r.name, header)
		}
	}
}

// verifyAuditChain asks the server to verify the whole audit chain.
func verifyAuditChain(t *testing.T, admin *grpc.ClientConn) {
	t.Helper()
	v, err := millwav1.NewAuditServiceClient(admin).VerifyAuditLog(t.Context(), &millwav1.VerifyAuditLogRequest{})
	if err != nil || !v.GetOk() {
		t.Errorf("audit chain: %v %v, want ok", v, err)
	}
}
