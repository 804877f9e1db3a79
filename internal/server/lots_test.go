package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// lotFixture is an association with two members, a classifier and a key.
type lotFixture struct {
	assoc      *millwav1.Association
	members    []string
	classifier string
	secret     string
}

func (ts *testServer) lotFixture(t *testing.T, ubigeo string) lotFixture {
	t.Helper()
	a := ts.createAssociation(t, ubigeo)
	reg := millwav1.NewRegistryServiceClient(ts.conn)
	f := lotFixture{assoc: a}
	for i, sex := range []millwav1.Sex{millwav1.Sex_SEX_FEMALE, millwav1.Sex_SEX_MALE} {
		m, err := reg.CreateMember(t.Context(), &millwav1.CreateMemberRequest{Parent: a.GetName(), Member: &millwav1.Member{
			DisplayName: fmt.Sprintf("Socio %d", i), Dni: fmt.Sprintf("4%07d", fixtureN.Add(1)), Sex: sex,
		}})
		if err != nil {
			t.Fatalf("CreateMember: %v", err)
		}
		f.members = append(f.members, m.GetMember().GetName())
	}
	c, err := reg.CreateClassifier(t.Context(), &millwav1.CreateClassifierRequest{Parent: a.GetName(), Classifier: &millwav1.Classifier{
		DisplayName: "Maestra Clasificadora", Dni: fmt.Sprintf("4%07d", fixtureN.Add(1)), CertificationNumber: "SINEACE-123", CertificationDate: "2024-05-10",
	}})
	if err != nil {
		t.Fatalf("CreateClassifier: %v", err)
	}
	f.classifier = c.GetClassifier().GetName()
	_, f.secret = ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a.GetName(), false)
	return f
}

// lot is a valid new lot of 46 kg (a bale of 100 lb) from both members.
func (f lotFixture) lot(group string) *millwav1.Lot {
	return &millwav1.Lot{
		Campaign: 2026, Breed: "HUACAYA", Colour: "WHITE", DeclaredQualityGroup: group, Classifier: f.classifier,
		NetWeightGrams: 46000, AskPricePerKg: 2200, CollectionPoint: "Centro de acopio Ichu",
		Contributions: []*millwav1.Contribution{{Member: f.members[0], Grams: 30000}, {Member: f.members[1], Grams: 16000}},
	}
}

func ptr[T any](v T) *T { return &v }

func TestLotsLifecycle(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.lotFixture(t, "210101")
		asA := millwav1.NewRegistryServiceClient(ts.dial(t, a.secret))

		// A measurement of 27.4 µm declared as BABY: flagged, sold as MEDIUM_FLEECE.
		measured := a.lot("BABY")
		measured.Measurement = &millwav1.FiberSample{MeanFiberDiameterUm: ptr(27.4), SdUm: ptr(5.0), FibersMeasured: ptr(int64(4000)), StapleLengthMm: ptr(85.0)}
		created, err := asA.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: a.assoc.GetName(), Lot: measured, RequestId: "lot-1"})
		if err != nil {
			t.Fatalf("CreateLot: %v", err)
		}
		lot := created.GetLot()
		if !lot.GetDiscrepancy() || lot.GetMarketQualityGroup() != "MEDIUM_FLEECE" || lot.GetDeclaredQualityGroup() != "BABY" ||
			lot.GetMeasuredGrade().GetQualityGroup() != "MEDIUM_FLEECE" || lot.GetState() != millwav1.LotState_LOT_STATE_AVAILABLE ||
			lot.GetUbigeo() != "210101" || len(lot.GetContributions()) != 2 || lot.GetDiscrepancyExplanation().GetEs() == "" {
			t.Fatalf("measured lot: %v", lot)
		}
		again, err := asA.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: a.assoc.GetName(), Lot: measured, RequestId: "lot-1"})
		if err != nil || !proto.Equal(again.GetLot(), lot) {
			t.Fatalf("retry with the same request_id: %v %v", again, err)
		}

		// Declared and measured agree within the uncertainty: no discrepancy.
		fine := a.lot("BABY")
		fine.Measurement = &millwav1.FiberSample{MeanFiberDiameterUm: ptr(22.1)}
		ok, err := asA.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: a.assoc.GetName(), Lot: fine})
		if err != nil || ok.GetLot().GetDiscrepancy() || ok.GetLot().GetMarketQualityGroup() != "BABY" {
			t.Fatalf("agreeing lot: %v %v", ok, err)
		}

		// Over REST, the bare lot; the same as gRPC reads it.
		res := ts.restAs(t, a.secret, http.MethodGet, "/v1/"+lot.GetName(), "")
		var viaREST millwav1.Lot
		if err := protojson.Unmarshal(res.body, &viaREST); err != nil || !proto.Equal(&viaREST, lot) {
			t.Fatalf("GET over REST: %d %s", res.code, res.body)
		}

		// Withdraw, then withdraw again.
		w, err := asA.WithdrawLot(t.Context(), &millwav1.WithdrawLotRequest{Name: ok.GetLot().GetName(), Etag: ok.GetLot().GetEtag()})
		if err != nil || w.GetLot().GetState() != millwav1.LotState_LOT_STATE_WITHDRAWN {
			t.Fatalf("withdraw: %v %v", w, err)
		}
		_, err = asA.WithdrawLot(t.Context(), &millwav1.WithdrawLotRequest{Name: ok.GetLot().GetName()})
		if st := wantCode(t, "withdrawing twice", err, codes.FailedPrecondition); !strings.Contains(st.Message(), "WITHDRAWN") {
			t.Errorf("message %q does not name the state", st.Message())
		}
		_, err = asA.WithdrawLot(t.Context(), &millwav1.WithdrawLotRequest{Name: lot.GetName(), Etag: "r99"})
		wantCode(t, "stale etag", err, codes.Aborted)

		// Lists: filters and states.
		list, err := asA.ListLots(t.Context(), &millwav1.ListLotsRequest{Parent: a.assoc.GetName(), Filter: `quality_group = "MEDIUM_FLEECE" AND state = AVAILABLE AND discrepancy = true`})
		if err != nil || len(list.GetLots()) != 1 || list.GetLots()[0].GetName() != lot.GetName() {
			t.Fatalf("filtered list: %v %v", list, err)
		}
	})
}

func TestLotsRefuseBadInputAndWriteNothing(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.lotFixture(t, "210101")
		b := ts.lotFixture(t, "080101")
		asA := millwav1.NewRegistryServiceClient(ts.dial(t, a.secret))
		tests := []struct {
			name   string
			mutate func(l *millwav1.Lot)
			field  string
		}{
			{"contributions short of the weight", func(l *millwav1.Lot) { l.Contributions[1].Grams = 15000 }, "lot.contributions"},
			{"zero weight", func(l *millwav1.Lot) { l.NetWeightGrams = 0 }, "lot.net_weight_grams"},
			{"negative weight", func(l *millwav1.Lot) { l.NetWeightGrams = -5 }, "lot.net_weight_grams"},
			{"unknown colour", func(l *millwav1.Lot) { l.Colour = "PURPLE" }, "lot.colour"},
			{"unknown group", func(l *millwav1.Lot) { l.DeclaredQualityGroup = "ROYAL" }, "lot.declared_quality_group"},
			{"unknown breed", func(l *millwav1.Lot) { l.Breed = "LLAMA" }, "lot.breed"},
			{"member of another association", func(l *millwav1.Lot) { l.Contributions[0].Member = b.members[0] }, "lot.contributions[0].member"},
			{"classifier of another association", func(l *millwav1.Lot) { l.Classifier = b.classifier }, "lot.classifier"},
			{"same member twice", func(l *millwav1.Lot) { l.Contributions[1].Member = l.Contributions[0].Member }, "lot.contributions[1].member"},
			{"histogram with no fibres", func(l *millwav1.Lot) {
				l.Measurement = &millwav1.FiberSample{Histogram: &millwav1.DiameterHistogram{StartUm: 10, WidthUm: 1, Counts: []int64{0, 0, 0}}}
			}, "lot.measurement.histogram.counts"},
			{"price", func(l *millwav1.Lot) { l.AskPricePerKg = 0 }, "lot.ask_price_per_kg"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l := a.lot("BABY")
				tt.mutate(l)
				_, err := asA.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: a.assoc.GetName(), Lot: l})
				found := false
				for _, f := range fieldViolations(t, err) {
					found = found || f == tt.field || strings.HasPrefix(f, tt.field)
				}
				if !found {
					t.Fatalf("%v does not name %s", err, tt.field)
				}
			})
		}
		// The same refusals over REST, naming the field in the status body.
		for _, tt := range []struct {
			mutate func(*millwav1.Lot)
			field  string
		}{
			{func(l *millwav1.Lot) { l.Colour = "PURPLE" }, "lot.colour"},
			{func(l *millwav1.Lot) { l.Contributions[0].Grams = 1 }, "lot.contributions"},
			{func(l *millwav1.Lot) { l.NetWeightGrams = 0 }, "lot.net_weight_grams"},
		} {
			l := a.lot("BABY")
			tt.mutate(l)
			body, _ := protojson.Marshal(l)
			res := ts.restAs(t, a.secret, http.MethodPost, "/v1/"+a.assoc.GetName()+"/lots", string(body))
			if code, _ := restStatus(t, res); code != codes.InvalidArgument || res.code != http.StatusBadRequest || !slices.Contains(restViolations(t, res), tt.field) {
				t.Errorf("REST refusal of %s: %d %s", tt.field, res.code, res.body)
			}
		}

		// A batch with one bad lot writes none, and names its index.
		good, bad := a.lot("BABY"), a.lot("BABY")
		bad.Colour = "PURPLE"
		_, err := asA.BatchCreateLots(t.Context(), &millwav1.BatchCreateLotsRequest{Parent: a.assoc.GetName(), Requests: []*millwav1.CreateLotRequest{{Lot: good}, {Lot: bad}}})
		if got := fieldViolations(t, err); len(got) != 1 || got[0] != "requests[1].lot.colour" {
			t.Fatalf("batch violations %v", got)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM lots"); n != 0 {
			t.Fatalf("%d lots written by refused requests", n)
		}
		// A good batch writes all, with one audit event each.
		before := countRows(t, ts, "SELECT COUNT(*) FROM audit_events")
		batch, err := asA.BatchCreateLots(t.Context(), &millwav1.BatchCreateLotsRequest{Parent: a.assoc.GetName(), RequestId: "batch-1",
			Requests: []*millwav1.CreateLotRequest{{Lot: a.lot("BABY")}, {Lot: a.lot("FLEECE")}, {Lot: a.lot("HUARIZO")}}})
		if err != nil || len(batch.GetLots()) != 3 {
			t.Fatalf("batch: %v %v", batch, err)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM audit_events") - before; n != 3 {
			t.Errorf("%d audit events for a batch of 3", n)
		}
	})
}

func TestLotsTenancy(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.lotFixture(t, "210101")
		b := ts.lotFixture(t, "080101")
		asA := millwav1.NewRegistryServiceClient(ts.dial(t, a.secret))
		asB := millwav1.NewRegistryServiceClient(ts.dial(t, b.secret))
		created, err := asA.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: a.assoc.GetName(), Lot: a.lot("BABY")})
		if err != nil {
			t.Fatal(err)
		}
		name := created.GetLot().GetName()
		missing := a.assoc.GetName() + "/lots/0192d1a0-0000-7000-8000-000000000000"

		// B cannot get, list, withdraw A's lot, nor create lots for A.
		_, errB := asB.GetLot(t.Context(), &millwav1.GetLotRequest{Name: name})
		_, errMissing := asB.GetLot(t.Context(), &millwav1.GetLotRequest{Name: missing})
		stB, stMissing := wantCode(t, "B gets A's lot", errB, codes.NotFound), wantCode(t, "missing lot", errMissing, codes.NotFound)
		if strings.ReplaceAll(stB.Message(), strings.TrimPrefix(name, a.assoc.GetName()+"/lots/"), "X") != strings.ReplaceAll(stMissing.Message(), "0192d1a0-0000-7000-8000-000000000000", "X") {
			t.Errorf("another's lot says %q, a missing one %q", stB.Message(), stMissing.Message())
		}
		_, err = asB.ListLots(t.Context(), &millwav1.ListLotsRequest{Parent: a.assoc.GetName()})
		wantCode(t, "B lists A's lots", err, codes.NotFound)
		all, err := asB.ListLots(t.Context(), &millwav1.ListLotsRequest{Parent: "associations/-"})
		if err != nil || len(all.GetLots()) != 0 {
			t.Fatalf("B's view of every association: %v %v", all, err)
		}
		_, err = asB.WithdrawLot(t.Context(), &millwav1.WithdrawLotRequest{Name: name})
		wantCode(t, "B withdraws A's lot", err, codes.NotFound)
		_, err = asB.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: a.assoc.GetName(), Lot: a.lot("BABY")})
		if st := wantCode(t, "B creates for A", err, codes.NotFound); st == nil {
			t.Fatal("no status")
		}
		if res := ts.restAs(t, b.secret, http.MethodGet, "/v1/"+name, ""); res.code != http.StatusNotFound {
			t.Errorf("B over REST: %d", res.code)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM lots"); n != 1 {
			t.Fatalf("%d lots after refused writes, want 1", n)
		}
		if got, _ := asA.GetLot(t.Context(), &millwav1.GetLotRequest{Name: name}); got.GetLot().GetState() != millwav1.LotState_LOT_STATE_AVAILABLE {
			t.Fatalf("A's lot changed: %v", got)
		}

		// A processor sees the lot on offer without member data.
		proc := ts.insertProcessor(t, "040101")
		_, procSecret := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, proc, false)
		asProc := millwav1.NewRegistryServiceClient(ts.dial(t, procSecret))
		seen, err := asProc.GetLot(t.Context(), &millwav1.GetLotRequest{Name: name})
		if err != nil || len(seen.GetLot().GetContributions()) != 0 || seen.GetLot().GetNetWeightGrams() != 46000 {
			t.Fatalf("processor's view: %v %v", seen, err)
		}
		_, err = asProc.ListLots(t.Context(), &millwav1.ListLotsRequest{Parent: "associations/-", Filter: "discrepancy = true"})
		wantCode(t, "processor filtering on discrepancy", err, codes.InvalidArgument)

		// An agency of Cusco does not see a lot from Puno.
		agency := ts.insertAgency(t, "08")
		_, agencySecret := ts.createKey(t, millwav1.Role_ROLE_AGENCY, agency, false)
		_, err = millwav1.NewRegistryServiceClient(ts.dial(t, agencySecret)).GetLot(t.Context(), &millwav1.GetLotRequest{Name: name})
		wantCode(t, "agency of Cusco gets a Puno lot", err, codes.NotFound)
	})
}

// restViolations returns the fields of the BadRequest detail of a
// google.rpc.Status JSON error body.
func restViolations(t *testing.T, res restResult) []string {
	t.Helper()
	var st struct {
		Details []struct {
			Violations []struct {
				Field string `json:"field"`
			} `json:"fieldViolations"`
		} `json:"details"`
	}
	if err := json.Unmarshal(res.body, &st); err != nil {
		t.Fatalf("error body is not JSON: %s", res.body)
	}
	var fields []string
	for _, d := range st.Details {
		for _, v := range d.Violations {
			fields = append(fields, v.Field)
		}
	}
	return fields
}
