package allocation_test

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/millwa/millwa/internal/allocation"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
)

// standard is the grading standard of every fixture's lots and orders.
const standard = "pe-ntp-231-301-2014"

// seq makes every fixture's RUC and DNI distinct within the test binary.
var seq atomic.Int64

// newRUC returns a valid RUC (20…, with its check digit) not used before
// in this process.
func newRUC() string {
	first10 := fmt.Sprintf("20%08d", 10000000+seq.Add(1))
	return first10 + string(millwa.RUCCheckDigit(first10))
}

// market is a store with one association, its classifier and one
// processor: enough to put lots on offer and place orders.
type market struct {
	t          *testing.T
	st         *store.Store
	assoc      millwa.Association
	classifier millwa.Classifier
	processor  millwa.Processor
}

// newMarket creates the parties of a market in st.
func newMarket(t *testing.T, st *store.Store) *market {
	t.Helper()
	m := &market{t: t, st: st}
	m.assoc = millwa.Association{
		LegalName: "Asociación de Productores Alpaqueros de Prueba", RUC: newRUC(), Ubigeo: "210101",
		Community: "Comunidad Campesina de Ejemplo",
		Contact:   millwa.Contact{PersonName: "Rosa Quispe Mamani", Phone: "+51 951 234 567"},
	}
	m.processor = millwa.Processor{
		LegalName: "Procesadora de Prueba", RUC: newRUC(), Ubigeo: "040101", PlantLocation: "Parque Industrial",
		Contact: millwa.Contact{PersonName: "Ana Flores", Phone: "+51 54 123 456"},
	}
	m.inTx("creating the parties", func(tx *store.Tx) error {
		if err := tx.CreateAssociation(t.Context(), &m.assoc); err != nil {
			return err
		}
		m.classifier = millwa.Classifier{
			AssociationID: m.assoc.ID, DisplayName: "Wayra Condori", DNI: fmt.Sprintf("%08d", 40000000+seq.Add(1)),
			CertificationNumber: "SINEACE-1", CertificationDate: "2023-06-15",
		}
		if err := tx.CreateClassifier(t.Context(), &m.classifier); err != nil {
			return err
		}
		return tx.CreateProcessor(t.Context(), &m.processor)
	})
	return m
}

// inTx runs fn in a transaction of its own and fails the test if it fails.
func (m *market) inTx(what string, fn func(tx *store.Tx) error) {
	m.t.Helper()
	if err := m.st.InTx(m.t.Context(), fn); err != nil {
		m.t.Fatalf("%s: %v", what, err)
	}
}

// lot puts a white Huacaya lot of group on offer.
func (m *market) lot(group string, grams, ask int64, currency string) millwa.Lot {
	m.t.Helper()
	l := millwa.Lot{
		AssociationID: m.assoc.ID, Standard: standard, Campaign: 2024, Breed: "HUACAYA", Colour: "WHITE",
		DeclaredGroup: group, MarketGroup: group, ClassifierID: m.classifier.ID, NetWeightGrams: grams,
		AskPricePerKg: ask, Currency: currency, Ubigeo: m.assoc.Ubigeo,
	}
	m.inTx("creating a lot", func(tx *store.Tx) error { return tx.CreateLot(m.t.Context(), &l) })
	return l
}

// order places an order for grams of any of groups, expiring at expire
// (zero for never); with match set it is matched at once against the lots
// on offer, as continuous matching does.
func (m *market) order(groups []string, grams, bid int64, currency string, expire time.Time, match bool) millwa.PurchaseOrder {
	m.t.Helper()
	o := millwa.PurchaseOrder{
		ProcessorID: m.processor.ID, Standard: standard, QualityGroups: groups, QuantityGrams: grams,
		BidPricePerKg: bid, Currency: currency, DeliveryUbigeo: m.processor.Ubigeo, ExpireTime: expire,
	}
	m.inTx("placing an order", func(tx *store.Tx) error {
		if err := tx.CreatePurchaseOrder(m.t.Context(), &o); err != nil {
			return err
		}
		if match {
			_, err := allocation.MatchOrder(m.t.Context(), tx, &o)
			return err
		}
		return nil
	})
	return o
}

// trades returns every trade, by id.
func (m *market) trades() map[string]millwa.Trade {
	m.t.Helper()
	page, err := m.st.ListTrades(m.t.Context(), store.SystemPrincipal, store.ListQuery{Limit: store.MaxListLimit})
	if err != nil {
		m.t.Fatalf("ListTrades: %v", err)
	}
	out := map[string]millwa.Trade{}
	for _, tr := range page.Items {
		out[tr.ID] = tr
	}
	return out
}

// getLot reads a lot back.
func (m *market) getLot(id string) millwa.Lot {
	m.t.Helper()
	l, err := m.st.GetLot(m.t.Context(), store.SystemPrincipal, id)
	if err != nil {
		m.t.Fatalf("GetLot: %v", err)
	}
	return l
}

// getOrder reads an order back.
func (m *market) getOrder(id string) millwa.PurchaseOrder {
	m.t.Helper()
	o, err := m.st.GetPurchaseOrder(m.t.Context(), store.SystemPrincipal, id)
	if err != nil {
		m.t.Fatalf("GetPurchaseOrder: %v", err)
	}
	return o
}

// auditOf returns "action resource" of each audit event recorded by
// method, in the chain's order.
func (m *market) auditOf(method string) []string {
	m.t.Helper()
	page, err := m.st.ListAuditEvents(m.t.Context(), store.ListQuery{Limit: store.MaxListLimit})
	if err != nil {
		m.t.Fatalf("ListAuditEvents: %v", err)
	}
	var out []string
	for _, ev := range page.Items {
		if ev.Method == method {
			if ev.Actor != store.SystemPrincipal.Actor() {
				m.t.Errorf("audit event %s %s by %q, want the server's own", ev.Action, ev.Resource, ev.Actor)
			}
			out = append(out, ev.Action+" "+ev.Resource)
		}
	}
	return out
}

// recorder is an allocation.Observer that keeps what it is told.
type recorder struct {
	mu   sync.Mutex
	runs []allocation.ClearingRun
}

func (r *recorder) ObserveClearing(run allocation.ClearingRun) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs = append(r.runs, run)
}

// kinds returns the kinds of the clearings observed, in order.
func (r *recorder) kinds() []allocation.Kind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []allocation.Kind
	for _, run := range r.runs {
		out = append(out, run.Kind)
	}
	return out
}

// sorted returns s sorted, for comparing sets.
func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
