package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// newProcessor is a valid new processor whose RUC is built from n.
func newProcessor(n int, ubigeo string) *millwav1.Processor {
	return &millwav1.Processor{
		LegalName: fmt.Sprintf("Procesadora de Fibras %d S.A.C.", n), Ruc: validRUC(n), Ubigeo: ubigeo,
		PlantLocation: "Parque Industrial de Arequipa, Calle A 101",
		Contact:       &millwav1.Contact{PersonName: "Ana Flores Quispe", Email: fmt.Sprintf("compras%d@example.org", n)},
	}
}

// createProcessor registers a processor as the admin over gRPC and returns
// it with the secret of a key of its own.
func (ts *testServer) createProcessor(t *testing.T, ubigeo string) (*millwav1.Processor, string) {
	t.Helper()
	resp, err := millwav1.NewMarketServiceClient(ts.conn).CreateProcessor(t.Context(),
		&millwav1.CreateProcessorRequest{Processor: newProcessor(int(fixtureN.Add(1)), ubigeo)})
	if err != nil {
		t.Fatalf("CreateProcessor: %v", err)
	}
	_, secret := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, resp.GetProcessor().GetName(), false)
	return resp.GetProcessor(), secret
}

// newOrder is a valid order for 5 t of white baby or fleece at S/ 25.00 a
// kilogram, expiring in 30 days.
func newOrder() *millwav1.PurchaseOrder {
	return &millwav1.PurchaseOrder{
		AcceptedQualityGroups: []string{"BABY", "FLEECE"}, AcceptedColours: []string{"WHITE"},
		QuantityGrams: 5_000_000, BidPricePerKg: 2500, ExpireTime: timestamppb.New(time.Now().Add(30 * 24 * time.Hour)),
	}
}

// auditEventsAbout counts the audit events about a resource.
func auditEventsAbout(t *testing.T, ts *testServer, resource string) int {
	t.Helper()
	return countRows(t, ts, "SELECT COUNT(*) FROM audit_events WHERE resource = ?", resource)
}

func TestProcessors(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		admin := millwav1.NewMarketServiceClient(ts.conn)

		// Create over REST with a request_id; a retry returns the same one.
		body := jsonBody(t, newProcessor(int(fixtureN.Add(1)), "040101"))
		var created, replayed millwav1.Processor
		restOK(t, "POST /v1/processors", ts.rest(t, http.MethodPost, "/v1/processors?requestId=proc-1", body), &created)
		restOK(t, "POST /v1/processors again", ts.rest(t, http.MethodPost, "/v1/processors?requestId=proc-1", body), &replayed)
		if !strings.HasPrefix(created.GetName(), "processors/") || created.GetEtag() == "" || created.GetCreateTime() == nil ||
			created.GetPlantLocation() == "" || created.GetContact().GetPersonName() == "" {
			t.Fatalf("created processor lacks fields: %v", &created)
		}
		if !proto.Equal(&created, &replayed) {
			t.Fatalf("replay differs:\n first %v\n retry %v", &created, &replayed)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM processors"); n != 1 {
			t.Fatalf("%d processors after a create and its retry, want 1", n)
		}
		if n := auditEventsAbout(t, ts, created.GetName()); n != 1 {
			t.Fatalf("%d audit events for the created processor, want 1", n)
		}

		// gRPC reads what REST wrote.
		got, err := admin.GetProcessor(t.Context(), &millwav1.GetProcessorRequest{Name: created.GetName()})
		if err != nil || !proto.Equal(got.GetProcessor(), &created) {
			t.Fatalf("GetProcessor: %v %v, want %v", got, err, &created)
		}

		// Bad input names the field and writes nothing.
		before := countRows(t, ts, "SELECT COUNT(*) FROM processors")
		events := countRows(t, ts, "SELECT COUNT(*) FROM audit_events")
		for _, tc := range []struct {
			name   string
			mutate func(*millwav1.Processor)
			fields []string
		}{
			{"RUC check digit", func(p *millwav1.Processor) { p.Ruc = p.Ruc[:10] + string('0'+(p.Ruc[10]-'0'+1)%10) }, []string{"processor.ruc"}},
			{"RUC of no kind a processor can be", func(p *millwav1.Processor) {
				p.Ruc = "30" + p.Ruc[2:10] + string(millwa.RUCCheckDigit("30"+p.Ruc[2:10]))
			}, []string{"processor.ruc"}},
			{"unknown department", func(p *millwav1.Processor) { p.Ubigeo = "260101" }, []string{"processor.ubigeo"}},
			{"ubigeo of a department", func(p *millwav1.Processor) { p.Ubigeo = "04" }, []string{"processor.ubigeo"}},
			{"no plant", func(p *millwav1.Processor) { p.PlantLocation = " " }, []string{"processor.plant_location"}},
			{"no contact", func(p *millwav1.Processor) { p.Contact = nil }, []string{"processor.contact.person_name", "processor.contact.phone"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := newProcessor(int(fixtureN.Add(1)), "040101")
				tc.mutate(p)
				_, err := admin.CreateProcessor(t.Context(), &millwav1.CreateProcessorRequest{Processor: p})
				st := wantCode(t, "CreateProcessor", err, codes.InvalidArgument)
				if diff := fmt.Sprint(badRequestFields(st)); diff != fmt.Sprint(tc.fields) {
					t.Errorf("violations %s, want %v", diff, tc.fields)
				}
				res := ts.rest(t, http.MethodPost, "/v1/processors", jsonBody(t, p))
				restError(t, "POST /v1/processors", res, http.StatusBadRequest, codes.InvalidArgument)
			})
		}
		dup := newProcessor(int(fixtureN.Add(1)), "150101")
		dup.Ruc = created.GetRuc()
		_, err = admin.CreateProcessor(t.Context(), &millwav1.CreateProcessorRequest{Processor: dup})
		if st := wantCode(t, "duplicate RUC", err, codes.AlreadyExists); errorReason(st) != "PROCESSOR_RUC_TAKEN" {
			t.Errorf("duplicate RUC: reason %q, want PROCESSOR_RUC_TAKEN", errorReason(st))
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM processors"); n != before {
			t.Fatalf("%d processors after refused creates, want %d", n, before)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM audit_events"); n != events {
			t.Fatalf("%d audit events after refused creates, want %d", n, events)
		}

		// Who sees which: an association every processor, a processor itself.
		lima, limaSecret := ts.createProcessor(t, "150101")
		f := ts.lotFixture(t, "210101")
		asAssoc := millwav1.NewMarketServiceClient(ts.dial(t, f.secret))
		asLima := millwav1.NewMarketServiceClient(ts.dial(t, limaSecret))
		names := func(c millwav1.MarketServiceClient, filter string) []string {
			t.Helper()
			resp, err := c.ListProcessors(t.Context(), &millwav1.ListProcessorsRequest{Filter: filter})
			if err != nil {
				t.Fatalf("ListProcessors(%q): %v", filter, err)
			}
			var out []string
			for _, p := range resp.GetProcessors() {
				out = append(out, p.GetName())
			}
			return out
		}
		both := fmt.Sprint([]string{created.GetName(), lima.GetName()})
		if got := fmt.Sprint(names(admin, "")); got != both {
			t.Errorf("admin lists %s, want %s", got, both)
		}
		if got := fmt.Sprint(names(asAssoc, "")); got != both {
			t.Errorf("an association lists %s, want %s", got, both)
		}
		if got := fmt.Sprint(names(asLima, "")); got != fmt.Sprint([]string{lima.GetName()}) {
			t.Errorf("a processor lists %s, want itself only", got)
		}
		if got := fmt.Sprint(names(admin, `region = "04"`)); got != fmt.Sprint([]string{created.GetName()}) {
			t.Errorf(`region = "04" lists %s, want the Arequipa processor`, got)
		}
		if got := fmt.Sprint(names(admin, `ruc = "`+lima.GetRuc()+`"`)); got != fmt.Sprint([]string{lima.GetName()}) {
			t.Errorf("ruc filter lists %s", got)
		}
		if _, err := asAssoc.GetProcessor(t.Context(), &millwav1.GetProcessorRequest{Name: lima.GetName()}); err != nil {
			t.Errorf("an association gets a processor: %v", err)
		}
		_, hidden := asLima.GetProcessor(t.Context(), &millwav1.GetProcessorRequest{Name: created.GetName()})
		missingID := newID()
		_, missing := asLima.GetProcessor(t.Context(), &millwav1.GetProcessorRequest{Name: "processors/" + missingID})
		sameNotFound(t, "GetProcessor", hidden, idOf(created.GetName()), missing, missingID)
		var list millwav1.ListProcessorsResponse
		restOK(t, "GET /v1/processors as an association", ts.restAs(t, f.secret, http.MethodGet, "/v1/processors", ""), &list)
		if len(list.GetProcessors()) != 2 {
			t.Errorf("an association lists %d processors over REST, want 2", len(list.GetProcessors()))
		}
		restError(t, "processor gets another over REST", ts.restAs(t, limaSecret, http.MethodGet, "/v1/"+created.GetName(), ""), http.StatusNotFound, codes.NotFound)
		_, err = asLima.ListProcessors(t.Context(), &millwav1.ListProcessorsRequest{Filter: `ruc != "x"`})
		if st := wantCode(t, "ruc !=", err, codes.InvalidArgument); fmt.Sprint(badRequestFields(st)) != "[filter]" {
			t.Errorf("ruc != names %v, want [filter]", badRequestFields(st))
		}
		_, err = asLima.CreateProcessor(t.Context(), &millwav1.CreateProcessorRequest{Processor: newProcessor(int(fixtureN.Add(1)), "040101")})
		wantCode(t, "a processor creates a processor", err, codes.PermissionDenied)
	})
}

func TestPurchaseOrders(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		proc, secret := ts.createProcessor(t, "040101")
		c := millwav1.NewMarketServiceClient(ts.dial(t, secret))

		// Create with a request_id over gRPC; the retry returns the first answer.
		req := &millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: newOrder(), RequestId: "po-1"}
		first, err := c.CreatePurchaseOrder(t.Context(), req)
		if err != nil {
			t.Fatalf("CreatePurchaseOrder: %v", err)
		}
		o := first.GetPurchaseOrder()
		if !strings.HasPrefix(o.GetName(), proc.GetName()+"/purchaseOrders/") || o.GetState() != millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_OPEN ||
			o.GetStandard() != "standards/pe-ntp-231-301-2014" || o.GetCurrencyCode() != "PEN" || o.GetDeliveryUbigeo() != "040101" ||
			o.GetEtag() == "" || o.GetFilledGrams() != 0 || o.MinLotGrams != nil || o.MaxMeanFiberDiameterUm != nil {
			t.Fatalf("created order: %v", o)
		}
		retry, err := c.CreatePurchaseOrder(t.Context(), req)
		if err != nil || !proto.Equal(retry.GetPurchaseOrder(), o) {
			t.Fatalf("retry: %v %v, want the first answer", retry, err)
		}
		other := proto.Clone(req).(*millwav1.CreatePurchaseOrderRequest)
		other.PurchaseOrder.BidPricePerKg++
		_, err = c.CreatePurchaseOrder(t.Context(), other)
		wantCode(t, "same request_id, another request", err, codes.InvalidArgument)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM purchase_orders"); n != 1 {
			t.Fatalf("%d orders after a create and its retries, want 1", n)
		}
		if n := auditEventsAbout(t, ts, o.GetName()); n != 1 {
			t.Fatalf("%d audit events for the order, want 1", n)
		}

		// Over REST, with every option.
		full := newOrder()
		full.AcceptedBreeds, full.MaxMeanFiberDiameterUm, full.MinLotGrams, full.DeliveryUbigeo = []string{"SURI"}, ptr(21.5), ptr(int64(46000)), "040104"
		full.AcceptedQualityGroups = []string{"SUPER_BABY"}
		var viaREST millwav1.PurchaseOrder
		restOK(t, "POST purchaseOrders", ts.restAs(t, secret, http.MethodPost, "/v1/"+proc.GetName()+"/purchaseOrders", jsonBody(t, full)), &viaREST)
		if viaREST.GetMinLotGrams() != 46000 || viaREST.GetMaxMeanFiberDiameterUm() != 21.5 || viaREST.GetDeliveryUbigeo() != "040104" {
			t.Fatalf("REST order: %v", &viaREST)
		}
		got, err := c.GetPurchaseOrder(t.Context(), &millwav1.GetPurchaseOrderRequest{Name: viaREST.GetName()})
		if err != nil || !proto.Equal(got.GetPurchaseOrder(), &viaREST) {
			t.Fatalf("GetPurchaseOrder: %v %v, want %v", got, err, &viaREST)
		}

		// Bad orders name the fields and write nothing.
		before := countRows(t, ts, "SELECT COUNT(*) FROM purchase_orders")
		events := countRows(t, ts, "SELECT COUNT(*) FROM audit_events")
		for _, tc := range []struct {
			name   string
			mutate func(*millwav1.PurchaseOrder)
			fields []string
		}{
			{"unknown group", func(o *millwav1.PurchaseOrder) { o.AcceptedQualityGroups = []string{"BABY", "H1"} }, []string{"purchase_order.accepted_quality_groups[1]"}},
			{"no group", func(o *millwav1.PurchaseOrder) { o.AcceptedQualityGroups = nil }, []string{"purchase_order.accepted_quality_groups"}},
			{"unknown colour", func(o *millwav1.PurchaseOrder) { o.AcceptedColours = []string{"GREEN"} }, []string{"purchase_order.accepted_colours[0]"}},
			{"unknown breed", func(o *millwav1.PurchaseOrder) { o.AcceptedBreeds = []string{"LLAMA"} }, []string{"purchase_order.accepted_breeds[0]"}},
			{"unknown standard", func(o *millwav1.PurchaseOrder) { o.Standard = "standards/iso-9999" }, []string{"purchase_order.standard"}},
			{"code of another standard", func(o *millwav1.PurchaseOrder) { o.Standard = "standards/au-aafl-2005" }, []string{"purchase_order.accepted_quality_groups[0]", "purchase_order.accepted_quality_groups[1]"}},
			{"zero grams", func(o *millwav1.PurchaseOrder) { o.QuantityGrams = 0 }, []string{"purchase_order.quantity_grams"}},
			{"negative grams", func(o *millwav1.PurchaseOrder) { o.QuantityGrams = -1000 }, []string{"purchase_order.quantity_grams"}},
			{"zero bid", func(o *millwav1.PurchaseOrder) { o.BidPricePerKg = 0 }, []string{"purchase_order.bid_price_per_kg"}},
			{"negative bid", func(o *millwav1.PurchaseOrder) { o.BidPricePerKg = -1 }, []string{"purchase_order.bid_price_per_kg"}},
			{"expired", func(o *millwav1.PurchaseOrder) { o.ExpireTime = timestamppb.New(time.Now().Add(-time.Minute)) }, []string{"purchase_order.expire_time"}},
			{"no expiry", func(o *millwav1.PurchaseOrder) { o.ExpireTime = nil }, []string{"purchase_order.expire_time"}},
			{"min lot of zero", func(o *millwav1.PurchaseOrder) { o.MinLotGrams = ptr(int64(0)) }, []string{"purchase_order.min_lot_grams"}},
			{"bad delivery district", func(o *millwav1.PurchaseOrder) { o.DeliveryUbigeo = "990101" }, []string{"purchase_order.delivery_ubigeo"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				po := newOrder()
				tc.mutate(po)
				_, err := c.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: po})
				st := wantCode(t, "CreatePurchaseOrder", err, codes.InvalidArgument)
				if got := fmt.Sprint(badRequestFields(st)); got != fmt.Sprint(tc.fields) {
					t.Errorf("violations %s, want %v (%s)", got, tc.fields, st.Message())
				}
				res := ts.restAs(t, secret, http.MethodPost, "/v1/"+proc.GetName()+"/purchaseOrders", jsonBody(t, po))
				if st := restError(t, "REST", res, http.StatusBadRequest, codes.InvalidArgument); fmt.Sprint(badRequestFields(st)) != fmt.Sprint(tc.fields) {
					t.Errorf("REST violations %v, want %v", badRequestFields(st), tc.fields)
				}
			})
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM purchase_orders"); n != before {
			t.Fatalf("%d orders after refused creates, want %d", n, before)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM audit_events"); n != events {
			t.Fatalf("%d audit events after refused creates, want %d", n, events)
		}

		// List: by parent and across processors, with filters and pages.
		list := func(parent, filter string, size int32) []string {
			t.Helper()
			var out []string
			token := ""
			for {
				resp, err := c.ListPurchaseOrders(t.Context(), &millwav1.ListPurchaseOrdersRequest{Parent: parent, Filter: filter, PageSize: size, PageToken: token})
				if err != nil {
					t.Fatalf("ListPurchaseOrders(%s, %q): %v", parent, filter, err)
				}
				for _, o := range resp.GetPurchaseOrders() {
					out = append(out, o.GetName())
				}
				if token = resp.GetNextPageToken(); token == "" {
					return out
				}
			}
		}
		both := fmt.Sprint([]string{o.GetName(), viaREST.GetName()})
		for _, tc := range []struct{ parent, filter, want string }{
			{proc.GetName(), "", both},
			{"processors/-", "", both},
			{proc.GetName(), "state = OPEN", both},
			{proc.GetName(), `state = "PURCHASE_ORDER_STATE_CANCELLED"`, "[]"},
			{proc.GetName(), `quality_group = "BABY"`, fmt.Sprint([]string{o.GetName()})},
			{proc.GetName(), `breed = "HUACAYA"`, fmt.Sprint([]string{o.GetName()})},
			{proc.GetName(), `colour = "WHITE"`, both},
			{proc.GetName(), `bid_price_per_kg >= 2500 AND standard = "standards/pe-ntp-231-301-2014"`, both},
		} {
			if got := fmt.Sprint(list(tc.parent, tc.filter, 1)); got != tc.want {
				t.Errorf("list %s %q = %s, want %s", tc.parent, tc.filter, got, tc.want)
			}
		}
		_, err = c.ListPurchaseOrders(t.Context(), &millwav1.ListPurchaseOrdersRequest{Parent: proc.GetName(), Filter: "state = SOLD"})
		wantCode(t, "state = SOLD", err, codes.InvalidArgument)
		var restList millwav1.ListPurchaseOrdersResponse
		restOK(t, "GET purchaseOrders", ts.restAs(t, secret, http.MethodGet, "/v1/"+proc.GetName()+"/purchaseOrders?orderBy=bid_price_per_kg%20desc", ""), &restList)
		if len(restList.GetPurchaseOrders()) != 2 {
			t.Errorf("REST list: %v", &restList)
		}

		// Cancel: a stale etag is Aborted, then it cancels once, then
		// FailedPrecondition naming the state; each change one audit event.
		_, err = c.CancelPurchaseOrder(t.Context(), &millwav1.CancelPurchaseOrderRequest{Name: o.GetName(), Etag: "r99"})
		wantCode(t, "cancel with a stale etag", err, codes.Aborted)
		cancelReq := &millwav1.CancelPurchaseOrderRequest{Name: o.GetName(), Etag: o.GetEtag(), RequestId: "cancel-1"}
		cancelled, err := c.CancelPurchaseOrder(t.Context(), cancelReq)
		if err != nil || cancelled.GetPurchaseOrder().GetState() != millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_CANCELLED ||
			cancelled.GetPurchaseOrder().GetEtag() == o.GetEtag() {
			t.Fatalf("CancelPurchaseOrder: %v %v", cancelled, err)
		}
		again, err := c.CancelPurchaseOrder(t.Context(), cancelReq)
		if err != nil || !proto.Equal(again, cancelled) {
			t.Fatalf("cancel retried with its request_id: %v %v, want the first answer", again, err)
		}
		_, err = c.CancelPurchaseOrder(t.Context(), &millwav1.CancelPurchaseOrderRequest{Name: o.GetName()})
		if st := wantCode(t, "cancelling twice", err, codes.FailedPrecondition); !strings.Contains(st.Message(), "CANCELLED") {
			t.Errorf("cancelling twice says %q, want it to name the state CANCELLED", st.Message())
		}
		res := ts.restAs(t, secret, http.MethodPost, "/v1/"+o.GetName()+":cancel", "{}")
		restError(t, "cancelling twice over REST", res, http.StatusBadRequest, codes.FailedPrecondition)
		var restCancelled millwav1.CancelPurchaseOrderResponse
		restOK(t, "cancel over REST", ts.restAs(t, secret, http.MethodPost, "/v1/"+viaREST.GetName()+":cancel", "{}"), &restCancelled)
		if restCancelled.GetPurchaseOrder().GetState() != millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_CANCELLED {
			t.Errorf("REST cancel: %v", &restCancelled)
		}
		for _, name := range []string{o.GetName(), viaREST.GetName()} {
			if n := auditEventsAbout(t, ts, name); n != 2 {
				t.Errorf("%d audit events for %s, want 2 (create, cancel)", n, name)
			}
		}
		if got := fmt.Sprint(list("processors/-", "state = CANCELLED", 0)); got != both {
			t.Errorf("cancelled orders: %s, want %s", got, both)
		}

		// An order whose expire time has passed reads EXPIRED (derived on
		// read) and cannot be cancelled.
		third, err := c.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: newOrder()})
		if err != nil {
			t.Fatal(err)
		}
		db, rebind := ts.rawDB(t)
		past := time.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04:05.000000Z")
		if _, err := db.ExecContext(t.Context(), rebind(`UPDATE purchase_orders SET expire_time = ? WHERE id = ?`), past, idOf(third.GetPurchaseOrder().GetName())); err != nil {
			t.Fatal(err)
		}
		expired, err := c.GetPurchaseOrder(t.Context(), &millwav1.GetPurchaseOrderRequest{Name: third.GetPurchaseOrder().GetName()})
		if err != nil || expired.GetPurchaseOrder().GetState() != millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_EXPIRED ||
			expired.GetPurchaseOrder().GetEtag() == third.GetPurchaseOrder().GetEtag() {
			t.Fatalf("lapsed order: %v %v, want EXPIRED with a new etag", expired, err)
		}
		if got := fmt.Sprint(list(proc.GetName(), "state = EXPIRED", 0)); got != fmt.Sprint([]string{third.GetPurchaseOrder().GetName()}) {
			t.Errorf("state = EXPIRED lists %s", got)
		}
		_, err = c.CancelPurchaseOrder(t.Context(), &millwav1.CancelPurchaseOrderRequest{Name: third.GetPurchaseOrder().GetName()})
		if st := wantCode(t, "cancelling an expired order", err, codes.FailedPrecondition); !strings.Contains(st.Message(), "EXPIRED") {
			t.Errorf("cancelling an expired order says %q, want it to name EXPIRED", st.Message())
		}
	})
}

func TestPurchaseOrdersTenancy(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a, aSecret := ts.createProcessor(t, "040101")
		_, bSecret := ts.createProcessor(t, "040101")
		asA := millwav1.NewMarketServiceClient(ts.dial(t, aSecret))
		asB := millwav1.NewMarketServiceClient(ts.dial(t, bSecret))
		created, err := asA.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: a.GetName(), PurchaseOrder: newOrder()})
		if err != nil {
			t.Fatal(err)
		}
		name := created.GetPurchaseOrder().GetName()
		missingID := newID()
		missing := a.GetName() + "/purchaseOrders/" + missingID
		orderID := idOf(name)
		before := countState(t, ts)
		orders := countRows(t, ts, "SELECT COUNT(*) FROM purchase_orders")

		// B cannot get, list, cancel A's order, nor order for A: NotFound,
		// exactly as for a missing order.
		_, hidden := asB.GetPurchaseOrder(t.Context(), &millwav1.GetPurchaseOrderRequest{Name: name})
		_, absent := asB.GetPurchaseOrder(t.Context(), &millwav1.GetPurchaseOrderRequest{Name: missing})
		sameNotFound(t, "GetPurchaseOrder", hidden, orderID, absent, missingID)
		_, hidden = asB.CancelPurchaseOrder(t.Context(), &millwav1.CancelPurchaseOrderRequest{Name: name})
		_, absent = asB.CancelPurchaseOrder(t.Context(), &millwav1.CancelPurchaseOrderRequest{Name: missing})
		sameNotFound(t, "CancelPurchaseOrder", hidden, orderID, absent, missingID)
		_, hidden = asB.ListPurchaseOrders(t.Context(), &millwav1.ListPurchaseOrdersRequest{Parent: a.GetName()})
		missingProc := newID()
		_, absent = asB.ListPurchaseOrders(t.Context(), &millwav1.ListPurchaseOrdersRequest{Parent: "processors/" + missingProc})
		sameNotFound(t, "ListPurchaseOrders", hidden, idOf(a.GetName()), absent, missingProc)
		all, err := asB.ListPurchaseOrders(t.Context(), &millwav1.ListPurchaseOrdersRequest{Parent: "processors/-"})
		if err != nil || len(all.GetPurchaseOrders()) != 0 {
			t.Fatalf("B's view across processors: %v %v, want nothing", all, err)
		}
		_, err = asB.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: a.GetName(), PurchaseOrder: newOrder()})
		wantCode(t, "B orders for A", err, codes.NotFound)
		// A's order under B's name is not found either.
		_, err = asA.GetPurchaseOrder(t.Context(), &millwav1.GetPurchaseOrderRequest{Name: "processors/" + missingProc + "/purchaseOrders/" + orderID})
		wantCode(t, "A's order under another parent", err, codes.NotFound)
		for _, call := range []struct{ method, path, body string }{
			{http.MethodGet, "/v1/" + name, ""},
			{http.MethodGet, "/v1/" + a.GetName() + "/purchaseOrders", ""},
			{http.MethodPost, "/v1/" + name + ":cancel", "{}"},
			{http.MethodPost, "/v1/" + a.GetName() + "/purchaseOrders", jsonBody(t, newOrder())},
		} {
			restError(t, "B: "+call.method+" "+call.path, ts.restAs(t, bSecret, call.method, call.path, call.body), http.StatusNotFound, codes.NotFound)
		}
		checkNothingWritten(t, ts, before)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM purchase_orders"); n != orders {
			t.Fatalf("%d orders after B's refused writes, want %d", n, orders)
		}
		got, err := asA.GetPurchaseOrder(t.Context(), &millwav1.GetPurchaseOrderRequest{Name: name})
		if err != nil || !proto.Equal(got.GetPurchaseOrder(), created.GetPurchaseOrder()) {
			t.Fatalf("A's order changed: %v %v", got, err)
		}

		// An association reads processors but not purchase orders.
		f := ts.lotFixture(t, "210101")
		asAssoc := millwav1.NewMarketServiceClient(ts.dial(t, f.secret))
		if _, err := asAssoc.GetProcessor(t.Context(), &millwav1.GetProcessorRequest{Name: a.GetName()}); err != nil {
			t.Errorf("association gets a processor: %v", err)
		}
		_, err = asAssoc.GetPurchaseOrder(t.Context(), &millwav1.GetPurchaseOrderRequest{Name: name})
		wantCode(t, "association gets an order", err, codes.PermissionDenied)
		_, err = asAssoc.ListPurchaseOrders(t.Context(), &millwav1.ListPurchaseOrdersRequest{Parent: "processors/-"})
		wantCode(t, "association lists orders", err, codes.PermissionDenied)
		_, err = asAssoc.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: a.GetName(), PurchaseOrder: newOrder()})
		wantCode(t, "association places an order", err, codes.PermissionDenied)
		_, err = asAssoc.CancelPurchaseOrder(t.Context(), &millwav1.CancelPurchaseOrderRequest{Name: name})
		wantCode(t, "association cancels an order", err, codes.PermissionDenied)
		restError(t, "association over REST", ts.restAs(t, f.secret, http.MethodGet, "/v1/"+name, ""), http.StatusForbidden, codes.PermissionDenied)

		// The admin sees and may cancel any order.
		adminClient := millwav1.NewMarketServiceClient(ts.conn)
		if _, err := adminClient.GetPurchaseOrder(t.Context(), &millwav1.GetPurchaseOrderRequest{Name: name}); err != nil {
			t.Errorf("admin gets A's order: %v", err)
		}
		if _, err := adminClient.CancelPurchaseOrder(t.Context(), &millwav1.CancelPurchaseOrderRequest{Name: name}); err != nil {
			t.Errorf("admin cancels A's order: %v", err)
		}
	})
}
