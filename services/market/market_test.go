package market_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
	"github.com/millwa/millwa/services/internal/rpctest"
	"github.com/millwa/millwa/services/market"
)

// The handlers are called directly over a real database, with the
// association's lot written through the store: no listener, no other
// service.

func as(role millwa.Role, organisation string) context.Context {
	return rpctest.As(millwa.Principal{KeyID: "k-" + organisation, Role: role, Organisation: organisation})
}

// book is a market with one association's lot of 40 kg of FLEECE white,
// two members' fibre, asking 2,000 a kilogram.
type book struct {
	st       *store.Store
	s        *market.Server
	assoc    context.Context
	members  []string
	lot      string
	currency string
}

func newBook(t *testing.T, url string) *book {
	t.Helper()
	reg := rpctest.Standards(t)
	b := &book{st: storetest.NewStore(t, url), currency: "PEN"}
	b.s = market.New(b.st, reg, true)
	ctx := as(millwa.RoleAdmin, "")
	err := b.st.InTx(ctx, func(tx *store.Tx) error {
		a := millwa.Association{LegalName: "Asociación Pucará", RUC: rpctest.RUC(1), Ubigeo: "210101",
			Contact: millwa.Contact{PersonName: "Juan Mamani", Phone: "+51951000111"}}
		if err := tx.CreateAssociation(ctx, &a); err != nil {
			return err
		}
		c := millwa.Classifier{AssociationID: a.ID, DisplayName: "Rosa Quispe", DNI: "41234567", CertificationNumber: "C-1", CertificationDate: "2024-03-01"}
		if err := tx.CreateClassifier(ctx, &c); err != nil {
			return err
		}
		l := millwa.Lot{AssociationID: a.ID, Standard: "pe-ntp-231-301-2014", Campaign: 2026, Breed: "HUACAYA", Colour: "WHITE",
			DeclaredGroup: "FLEECE", MarketGroup: "FLEECE", ClassifierID: c.ID, NetWeightGrams: 40_000, AskPricePerKg: 2_000,
			Currency: b.currency, ClassificationDate: "2026-11-20", Ubigeo: a.Ubigeo}
		for i, grams := range []int64{30_000, 10_000} {
			m := millwa.Member{AssociationID: a.ID, DisplayName: fmt.Sprintf("Socia %d", i), DNI: fmt.Sprintf("7000000%d", i), Sex: millwa.SexFemale}
			if err := tx.CreateMember(ctx, &m); err != nil {
				return err
			}
			b.members = append(b.members, m.ID)
			l.Contributions = append(l.Contributions, millwa.Contribution{MemberID: m.ID, Grams: grams})
		}
		if err := tx.CreateLot(ctx, &l); err != nil {
			return err
		}
		b.assoc = as(millwa.RoleAssociation, "associations/"+a.ID)
		b.lot = millwa.LotName(a.ID, l.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("writing the book: %v", err)
	}
	return b
}

func (b *book) processor(t *testing.T, n int) (string, context.Context) {
	t.Helper()
	resp, err := b.s.CreateProcessor(as(millwa.RoleAdmin, ""), &millwav1.CreateProcessorRequest{Processor: &millwav1.Processor{
		LegalName: fmt.Sprintf("Hilandería %d", n), Ruc: rpctest.RUC(100 + n), Ubigeo: "040101", PlantLocation: "Parque Industrial, Arequipa",
		Contact: &millwav1.Contact{PersonName: "Ana Flores", Email: fmt.Sprintf("compras%d@example.org", n)},
	}})
	if err != nil {
		t.Fatalf("CreateProcessor: %v", err)
	}
	name := resp.GetProcessor().GetName()
	return name, as(millwa.RoleProcessor, name)
}

func order(grams, bid int64) *millwav1.PurchaseOrder {
	return &millwav1.PurchaseOrder{
		Standard: "standards/pe-ntp-231-301-2014", AcceptedQualityGroups: []string{"FLEECE"}, AcceptedColours: []string{"WHITE"},
		QuantityGrams: grams, BidPricePerKg: bid, CurrencyCode: "PEN", ExpireTime: timestamppb.New(time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)),
	}
}

// TestTradeFromOrderToPayout: an order matches the lot at once; both
// parties confirm; a short delivery and its payment split the amount among
// the members exactly, which the processor never sees.
func TestTradeFromOrderToPayout(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		b := newBook(t, url)
		proc, buyer := b.processor(t, 1)
		o, err := b.s.CreatePurchaseOrder(buyer, &millwav1.CreatePurchaseOrderRequest{Parent: proc, PurchaseOrder: order(40_000, 2_500)})
		if err != nil {
			t.Fatalf("CreatePurchaseOrder: %v", err)
		}
		if st := o.GetPurchaseOrder().GetState(); st != millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_FILLED {
			t.Fatalf("order state %v; want FILLED by continuous matching", st)
		}
		trades, err := b.s.ListTrades(buyer, &millwav1.ListTradesRequest{Filter: fmt.Sprintf("purchase_order = %q", o.GetPurchaseOrder().GetName())})
		if err != nil || len(trades.GetTrades()) != 1 {
			t.Fatalf("ListTrades: %v, %v; want one trade", trades.GetTrades(), err)
		}
		tr := trades.GetTrades()[0]
		if tr.GetLot() != b.lot || tr.GetGrams() != 40_000 {
			t.Fatalf("trade %v; want all 40,000 g of %s", tr, b.lot)
		}
		for _, ctx := range []context.Context{b.assoc, buyer} {
			if _, err := b.s.ConfirmTrade(ctx, &millwav1.ConfirmTradeRequest{Name: tr.GetName()}); err != nil {
				t.Fatalf("ConfirmTrade: %v", err)
			}
		}
		got, err := b.s.RecordDelivery(buyer, &millwav1.RecordDeliveryRequest{Name: tr.GetName(), DeliveredGrams: 39_200,
			WeighTime: timestamppb.New(time.Now().Add(-time.Hour))})
		if err != nil {
			t.Fatalf("RecordDelivery: %v", err)
		}
		due := got.GetTrade().GetAmountDue()
		if want := millwa.Amount(got.GetTrade().GetPricePerKg(), 39_200); due != want {
			t.Errorf("amount due %d; want %d for 39,200 g", due, want)
		}
		paid, err := b.s.RecordPayment(buyer, &millwav1.RecordPaymentRequest{Name: tr.GetName(), PaidAmount: due, PaymentReference: "OP-1"})
		if err != nil {
			t.Fatalf("RecordPayment: %v", err)
		}
		if len(paid.GetTrade().GetPayouts()) != 0 {
			t.Errorf("the processor sees payouts %v", paid.GetTrade().GetPayouts())
		}
		seen, err := b.s.GetTrade(b.assoc, &millwav1.GetTradeRequest{Name: tr.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		var sum, grams int64
		for _, p := range seen.GetTrade().GetPayouts() {
			sum, grams = sum+p.GetAmount(), grams+p.GetGrams()
		}
		if n := len(seen.GetTrade().GetPayouts()); n != 2 || sum != due || grams != 39_200 {
			t.Errorf("%d payouts summing to %d for %d g; want 2 summing to %d for 39,200 g", n, sum, grams, due)
		}
	})
}

// TestOrdersTenancyAndRetries: a retried order is answered from its first
// answer; another processor's order and trade answer NotFound; a stale
// etag is Aborted.
func TestOrdersTenancyAndRetries(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		b := newBook(t, url)
		proc, buyer := b.processor(t, 1)
		_, other := b.processor(t, 2)
		req := &millwav1.CreatePurchaseOrderRequest{Parent: proc, RequestId: "order-1", PurchaseOrder: order(10_000, 1_500)}
		const method = "/millwa.v1.MarketService/CreatePurchaseOrder"
		ctx, stream := rpctest.Method(buyer, method)
		first, err := b.s.CreatePurchaseOrder(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if got := stream.Header().Get(rpc.ReplayedHeader); len(got) != 0 {
			t.Errorf("first call's %s header %v; want none", rpc.ReplayedHeader, got)
		}
		ctx, stream = rpctest.Method(buyer, method)
		again, err := b.s.CreatePurchaseOrder(ctx, req)
		if err != nil || again.GetPurchaseOrder().GetName() != first.GetPurchaseOrder().GetName() {
			t.Fatalf("retry = %v, %v; want the first order %s", again.GetPurchaseOrder().GetName(), err, first.GetPurchaseOrder().GetName())
		}
		if got := stream.Header().Get(rpc.ReplayedHeader); len(got) != 1 || got[0] != "true" {
			t.Errorf("retry's %s header %v; want true", rpc.ReplayedHeader, got)
		}
		name := first.GetPurchaseOrder().GetName()
		if _, err := b.s.GetPurchaseOrder(other, &millwav1.GetPurchaseOrderRequest{Name: name}); millwa.ErrorCode(err) != millwa.NotFound {
			t.Errorf("another processor's GetPurchaseOrder = %v; want NotFound", err)
		}
		if _, err := b.s.CancelPurchaseOrder(other, &millwav1.CancelPurchaseOrderRequest{Name: name}); millwa.ErrorCode(err) != millwa.NotFound {
			t.Errorf("another processor's CancelPurchaseOrder = %v; want NotFound", err)
		}
		if _, err := b.s.CancelPurchaseOrder(buyer, &millwav1.CancelPurchaseOrderRequest{Name: name, Etag: "r99"}); millwa.ErrorCode(err) != millwa.Aborted {
			t.Errorf("CancelPurchaseOrder with a stale etag = %v; want Aborted", err)
		}
		list, err := b.s.ListPurchaseOrders(other, &millwav1.ListPurchaseOrdersRequest{Parent: "processors/-"})
		if err != nil || len(list.GetPurchaseOrders()) != 0 {
			t.Errorf("another processor lists %v, %v; want none", list.GetPurchaseOrders(), err)
		}
		trades, err := b.s.ListTrades(other, &millwav1.ListTradesRequest{})
		if err != nil || len(trades.GetTrades()) != 0 {
			t.Errorf("another processor lists trades %v, %v; want none", trades.GetTrades(), err)
		}
		if _, err := b.s.ListTrades(buyer, &millwav1.ListTradesRequest{Filter: `lot = "lots/1"`}); millwa.ErrorCode(err) != millwa.Invalid {
			t.Errorf("ListTrades by a malformed lot name = %v; want Invalid", err)
		}
	})
}
