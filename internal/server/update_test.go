package server_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// patch sends a REST PATCH of a resource with key secret: the body is the
// resource, from which the gateway derives the update mask.
func (ts *testServer) patch(t *testing.T, secret, name string, body, out proto.Message) error {
	t.Helper()
	return registryAs{ts: ts, transport: "rest", secret: secret}.restCallTo(t, http.MethodPatch, "/v1/"+name, body, out)
}

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

// wantViolation fails t unless err is InvalidArgument with a violation of
// field.
func wantViolation(t *testing.T, what string, err error, field string) {
	t.Helper()
	if fields := fieldViolations(t, err); !slices.Contains(fields, field) {
		t.Errorf("%s: violations of %v, want one of %s", what, fields, field)
	}
}

func TestUpdateAssociationMemberClassifier(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		f := ts.lotFixture(t, "210101")
		other := ts.lotFixture(t, "080101")
		asF := millwav1.NewRegistryServiceClient(ts.dial(t, f.secret))
		a := f.assoc

		// REST PATCH with the etag in the body: the mask is the body's
		// fields, and etag only conditions the change.
		var patched millwav1.Association
		if err := ts.patch(t, f.secret, a.GetName(), &millwav1.Association{Community: "Comunidad Campesina de Ichu", Etag: a.GetEtag()}, &patched); err != nil {
			t.Fatalf("PATCH association: %v", err)
		}
		if patched.GetCommunity() != "Comunidad Campesina de Ichu" || patched.GetLegalName() != a.GetLegalName() ||
			patched.GetRuc() != a.GetRuc() || patched.GetEtag() == a.GetEtag() {
			t.Fatalf("patched association: %v (was %v)", &patched, a)
		}
		if n := auditEventsAbout(t, ts, a.GetName()); n != 2 {
			t.Errorf("%d audit events about the association, want 2 (create, update)", n)
		}
		got, err := asF.GetAssociation(t.Context(), &millwav1.GetAssociationRequest{Name: a.GetName()})
		if err != nil || !proto.Equal(got.GetAssociation(), &patched) {
			t.Fatalf("GetAssociation after the update: %v %v", got, err)
		}

		// A stale etag, over both transports: ABORTED, nothing written.
		before := countState(t, ts)
		err = ts.patch(t, f.secret, a.GetName(), &millwav1.Association{Community: "Otra", Etag: a.GetEtag()}, &millwav1.Association{})
		wantCode(t, "PATCH with a stale etag", err, codes.Aborted)
		_, err = asF.UpdateAssociation(t.Context(), &millwav1.UpdateAssociationRequest{
			Association: &millwav1.Association{Name: a.GetName(), FeeBasisPoints: 300, Etag: a.GetEtag()}, UpdateMask: mask("fee_basis_points")})
		wantCode(t, "UpdateAssociation with a stale etag", err, codes.Aborted)
		checkNothingWritten(t, ts, before)
		if got, _ := asF.GetAssociation(t.Context(), &millwav1.GetAssociationRequest{Name: a.GetName()}); !proto.Equal(got.GetAssociation(), &patched) {
			t.Fatalf("a refused update changed the association: %v", got.GetAssociation())
		}

		// The current etag over gRPC, with an explicit mask.
		up, err := asF.UpdateAssociation(t.Context(), &millwav1.UpdateAssociationRequest{
			Association: &millwav1.Association{Name: a.GetName(), FeeBasisPoints: 300, Etag: patched.GetEtag()}, UpdateMask: mask("fee_basis_points"), RequestId: "fee-1"})
		if err != nil || up.GetAssociation().GetFeeBasisPoints() != 300 || up.GetAssociation().GetCommunity() != patched.GetCommunity() {
			t.Fatalf("UpdateAssociation: %v %v", up, err)
		}

		// Bad masks name the path; an immutable field may be sent only
		// with the value it has.
		for _, c := range []struct {
			what  string
			in    *millwav1.Association
			mask  *fieldmaskpb.FieldMask
			field string
		}{
			{"unknown path", &millwav1.Association{Name: a.GetName()}, mask("legal_nam"), "update_mask.paths[0]"},
			{"star", &millwav1.Association{Name: a.GetName()}, mask("*"), "update_mask.paths[0]"},
			{"output only", &millwav1.Association{Name: a.GetName(), CreateTime: timestamppb.Now()}, mask("community", "create_time"), "update_mask.paths[1]"},
			{"a new RUC", &millwav1.Association{Name: a.GetName(), Ruc: other.assoc.GetRuc()}, mask("ruc"), "update_mask.paths[0]"},
			{"bad value", &millwav1.Association{Name: a.GetName(), FeeBasisPoints: 5000}, mask("fee_basis_points"), "association.fee_basis_points"},
			{"no name", &millwav1.Association{Community: "x"}, mask("community"), "association.name"},
		} {
			before := countState(t, ts)
			_, err := asF.UpdateAssociation(t.Context(), &millwav1.UpdateAssociationRequest{Association: c.in, UpdateMask: c.mask})
			wantViolation(t, c.what, err, c.field)
			checkNothingWritten(t, ts, before)
		}
		same, err := asF.UpdateAssociation(t.Context(), &millwav1.UpdateAssociationRequest{
			Association: &millwav1.Association{Name: a.GetName(), Ruc: a.GetRuc(), LegalName: "Asociación Nuevo Amanecer"}, UpdateMask: mask("ruc", "legal_name")})
		if err != nil || same.GetAssociation().GetLegalName() != "Asociación Nuevo Amanecer" {
			t.Fatalf("an update naming the RUC it has: %v %v", same, err)
		}

		// Another association's records answer NotFound to its key.
		asOther := millwav1.NewRegistryServiceClient(ts.dial(t, other.secret))
		_, err = asOther.UpdateAssociation(t.Context(), &millwav1.UpdateAssociationRequest{
			Association: &millwav1.Association{Name: a.GetName(), Community: "x"}, UpdateMask: mask("community")})
		wantCode(t, "another tenant's association", err, codes.NotFound)

		// Members: read one, correct its DNI over REST, stale etag over gRPC.
		m, err := asF.GetMember(t.Context(), &millwav1.GetMemberRequest{Name: f.members[0]})
		if err != nil || m.GetMember().GetName() != f.members[0] || m.GetMember().GetEtag() == "" {
			t.Fatalf("GetMember: %v %v", m, err)
		}
		var restMember millwav1.Member
		restOK(t, "GET member", ts.restAs(t, f.secret, http.MethodGet, "/v1/"+f.members[0], ""), &restMember)
		if !proto.Equal(&restMember, m.GetMember()) {
			t.Errorf("GET member over REST %v, gRPC %v", &restMember, m.GetMember())
		}
		dni := newDNI()
		var pm millwav1.Member
		if err := ts.patch(t, f.secret, f.members[0], &millwav1.Member{Dni: dni, HerdSize: proto.Int32(85), Etag: m.GetMember().GetEtag()}, &pm); err != nil {
			t.Fatalf("PATCH member: %v", err)
		}
		if pm.GetDni() != dni || pm.GetHerdSize() != 85 || pm.GetDisplayName() != m.GetMember().GetDisplayName() || pm.GetEtag() == m.GetMember().GetEtag() {
			t.Fatalf("patched member: %v", &pm)
		}
		if n := auditEventsAbout(t, ts, f.members[0]); n != 2 {
			t.Errorf("%d audit events about the member, want 2", n)
		}
		_, err = asF.UpdateMember(t.Context(), &millwav1.UpdateMemberRequest{
			Member: &millwav1.Member{Name: f.members[0], DisplayName: "x", Etag: m.GetMember().GetEtag()}, UpdateMask: mask("display_name")})
		wantCode(t, "UpdateMember with a stale etag", err, codes.Aborted)
		_, err = asF.UpdateMember(t.Context(), &millwav1.UpdateMemberRequest{
			Member: &millwav1.Member{Name: f.members[1], Dni: dni}, UpdateMask: mask("dni")})
		wantCode(t, "another member's DNI", err, codes.AlreadyExists)
		_, err = asF.UpdateMember(t.Context(), &millwav1.UpdateMemberRequest{
			Member: &millwav1.Member{Name: f.members[1], Sex: millwav1.Sex_SEX_UNSPECIFIED}, UpdateMask: mask("sex")})
		wantViolation(t, "a member without sex", err, "member.sex")
		for _, secret := range []string{other.secret, ts.processorSecret(t)} {
			_, err = millwav1.NewRegistryServiceClient(ts.dial(t, secret)).GetMember(t.Context(), &millwav1.GetMemberRequest{Name: f.members[0]})
			wantCode(t, "GetMember by another organisation", err, codes.NotFound)
		}
		_, err = asOther.UpdateMember(t.Context(), &millwav1.UpdateMemberRequest{
			Member: &millwav1.Member{Name: f.members[0], DisplayName: "x"}, UpdateMask: mask("display_name")})
		wantCode(t, "another tenant's member", err, codes.NotFound)

		// Classifiers: an agency of the region reads one, others do not.
		_, agencyKey := ts.createKey(t, millwav1.Role_ROLE_AGENCY, ts.insertAgency(t, "21"), false)
		_, farAgencyKey := ts.createKey(t, millwav1.Role_ROLE_AGENCY, ts.insertAgency(t, "08"), false)
		c, err := millwav1.NewRegistryServiceClient(ts.dial(t, agencyKey)).GetClassifier(t.Context(), &millwav1.GetClassifierRequest{Name: f.classifier})
		if err != nil || c.GetClassifier().GetName() != f.classifier {
			t.Fatalf("GetClassifier by the region's agency: %v %v", c, err)
		}
		var restClassifier millwav1.Classifier
		restOK(t, "GET classifier", ts.restAs(t, agencyKey, http.MethodGet, "/v1/"+f.classifier, ""), &restClassifier)
		if !proto.Equal(&restClassifier, c.GetClassifier()) {
			t.Errorf("GET classifier over REST %v, gRPC %v", &restClassifier, c.GetClassifier())
		}
		for _, secret := range []string{farAgencyKey, other.secret, ts.processorSecret(t)} {
			_, err = millwav1.NewRegistryServiceClient(ts.dial(t, secret)).GetClassifier(t.Context(), &millwav1.GetClassifierRequest{Name: f.classifier})
			wantCode(t, "GetClassifier out of scope", err, codes.NotFound)
		}
		_, err = millwav1.NewRegistryServiceClient(ts.dial(t, agencyKey)).UpdateClassifier(t.Context(), &millwav1.UpdateClassifierRequest{
			Classifier: &millwav1.Classifier{Name: f.classifier, DisplayName: "x"}, UpdateMask: mask("display_name")})
		wantCode(t, "UpdateClassifier by an agency", err, codes.PermissionDenied)
		var pc millwav1.Classifier
		if err := ts.patch(t, f.secret, f.classifier+"?updateMask=certificationNumber",
			&millwav1.Classifier{CertificationNumber: "SINEACE-2024-0042", DisplayName: "ignored: not in the mask"}, &pc); err != nil {
			t.Fatalf("PATCH classifier with an updateMask: %v", err)
		}
		if pc.GetCertificationNumber() != "SINEACE-2024-0042" || pc.GetDisplayName() != c.GetClassifier().GetDisplayName() {
			t.Fatalf("patched classifier: %v", &pc)
		}
		if n := auditEventsAbout(t, ts, f.classifier); n != 2 {
			t.Errorf("%d audit events about the classifier, want 2 (create, update)", n)
		}
		before = countState(t, ts)
		_, err = asF.UpdateClassifier(t.Context(), &millwav1.UpdateClassifierRequest{
			Classifier: &millwav1.Classifier{Name: f.classifier, DisplayName: "x", Etag: c.GetClassifier().GetEtag()}, UpdateMask: mask("display_name")})
		wantCode(t, "UpdateClassifier with a stale etag", err, codes.Aborted)
		err = ts.patch(t, f.secret, f.classifier, &millwav1.Classifier{DisplayName: "x", Etag: c.GetClassifier().GetEtag()}, &millwav1.Classifier{})
		wantCode(t, "PATCH classifier with a stale etag", err, codes.Aborted)
		checkNothingWritten(t, ts, before)
		_, err = asF.UpdateClassifier(t.Context(), &millwav1.UpdateClassifierRequest{
			Classifier: &millwav1.Classifier{Name: f.classifier, Member: f.members[0]}, UpdateMask: mask("member")})
		wantViolation(t, "a classifier's member", err, "update_mask.paths[0]")
		_, err = asF.UpdateClassifier(t.Context(), &millwav1.UpdateClassifierRequest{
			Classifier: &millwav1.Classifier{Name: f.classifier, CertificationDate: "2999-01-01"}, UpdateMask: mask("certification_date")})
		wantViolation(t, "a certificate from the future", err, "classifier.certification_date")
	})
}

// processorSecret registers a processor and returns its key's secret.
func (ts *testServer) processorSecret(t *testing.T) string {
	t.Helper()
	_, secret := ts.createProcessor(t, "040101")
	return secret
}

func TestUpdateLotAndPurchaseOrder(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		f := ts.lotFixture(t, "210101")
		other := ts.lotFixture(t, "080101")
		asF := millwav1.NewRegistryServiceClient(ts.dial(t, f.secret))
		createLot := func(ask int64) *millwav1.Lot {
			t.Helper()
			l := f.lot("BABY")
			l.AskPricePerKg = ask
			resp, err := asF.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: l})
			if err != nil {
				t.Fatalf("CreateLot: %v", err)
			}
			return resp.GetLot()
		}
		cheap, dear := createLot(2200), createLot(3000)

		// Correct the cheap lot's ask and number over REST while available.
		var lot millwav1.Lot
		if err := ts.patch(t, f.secret, cheap.GetName(), &millwav1.Lot{AskPricePerKg: 2100, LotNumber: "ICHU-007", Etag: cheap.GetEtag()}, &lot); err != nil {
			t.Fatalf("PATCH lot: %v", err)
		}
		if lot.GetAskPricePerKg() != 2100 || lot.GetLotNumber() != "ICHU-007" || lot.GetEtag() == cheap.GetEtag() || len(lot.GetContributions()) != 2 {
			t.Fatalf("patched lot: %v", &lot)
		}
		// A measurement is graded as on create.
		measured, err := asF.UpdateLot(t.Context(), &millwav1.UpdateLotRequest{
			Lot: &millwav1.Lot{Name: cheap.GetName(), Measurement: &millwav1.FiberSample{MeanFiberDiameterUm: ptr(21.8)}, Etag: lot.GetEtag()}, UpdateMask: mask("measurement")})
		if err != nil || measured.GetLot().GetMeasuredGrade().GetQualityGroup() != "BABY" || measured.GetLot().GetMeasurement().GetMeanFiberDiameterUm() != 21.8 {
			t.Fatalf("UpdateLot measurement: %v %v", measured, err)
		}
		if n := auditEventsAbout(t, ts, cheap.GetName()); n != 3 {
			t.Errorf("%d audit events about the lot, want 3 (create and two updates)", n)
		}

		// A stale etag: ABORTED, the lot unchanged.
		before := countState(t, ts)
		_, err = asF.UpdateLot(t.Context(), &millwav1.UpdateLotRequest{
			Lot: &millwav1.Lot{Name: cheap.GetName(), AskPricePerKg: 1, Etag: lot.GetEtag()}, UpdateMask: mask("ask_price_per_kg")})
		wantCode(t, "UpdateLot with a stale etag", err, codes.Aborted)
		err = ts.patch(t, f.secret, cheap.GetName(), &millwav1.Lot{AskPricePerKg: 1, Etag: lot.GetEtag()}, &millwav1.Lot{})
		wantCode(t, "PATCH lot with a stale etag", err, codes.Aborted)
		checkNothingWritten(t, ts, before)
		if got, _ := asF.GetLot(t.Context(), &millwav1.GetLotRequest{Name: cheap.GetName()}); !proto.Equal(got.GetLot(), measured.GetLot()) {
			t.Fatalf("a refused update changed the lot:\n%v\nwas\n%v", got.GetLot(), measured.GetLot())
		}
		for _, c := range []struct {
			what  string
			in    *millwav1.Lot
			mask  *fieldmaskpb.FieldMask
			field string
		}{
			{"the standard", &millwav1.Lot{Name: cheap.GetName(), Standard: "standards/pe-ntp-231-300-2014"}, mask("standard"), "update_mask.paths[0]"},
			{"the state", &millwav1.Lot{Name: cheap.GetName(), State: millwav1.LotState_LOT_STATE_SOLD}, mask("state"), "update_mask.paths[0]"},
			{"a colour of no standard", &millwav1.Lot{Name: cheap.GetName(), Colour: "PURPLE"}, mask("colour"), "lot.colour"},
			{"a weight its contributions do not sum to", &millwav1.Lot{Name: cheap.GetName(), NetWeightGrams: 50000}, mask("net_weight_grams"), "lot.contributions"},
		} {
			_, err := asF.UpdateLot(t.Context(), &millwav1.UpdateLotRequest{Lot: c.in, UpdateMask: c.mask})
			wantViolation(t, c.what, err, c.field)
		}
		checkNothingWritten(t, ts, before)
		_, err = millwav1.NewRegistryServiceClient(ts.dial(t, other.secret)).UpdateLot(t.Context(), &millwav1.UpdateLotRequest{
			Lot: &millwav1.Lot{Name: cheap.GetName(), AskPricePerKg: 1}, UpdateMask: mask("ask_price_per_kg")})
		wantCode(t, "another tenant's lot", err, codes.NotFound)

		// While nothing is allocated the weight changes with its
		// contributions; a lot built from receipts keeps what they decide.
		heavy := createLot(9000)
		reweighed, err := asF.UpdateLot(t.Context(), &millwav1.UpdateLotRequest{
			Lot: &millwav1.Lot{Name: heavy.GetName(), NetWeightGrams: 50000, Contributions: []*millwav1.Contribution{
				{Member: f.members[0], Grams: 20000}, {Member: f.members[1], Grams: 30000}}},
			UpdateMask: mask("net_weight_grams", "contributions")})
		if err != nil || reweighed.GetLot().GetNetWeightGrams() != 50000 || len(reweighed.GetLot().GetContributions()) != 2 ||
			reweighed.GetLot().GetContributions()[1].GetGrams()+reweighed.GetLot().GetContributions()[0].GetGrams() != 50000 {
			t.Fatalf("UpdateLot weight and contributions: %v %v", reweighed, err)
		}
		if got, _ := asF.GetLot(t.Context(), &millwav1.GetLotRequest{Name: heavy.GetName()}); !proto.Equal(got.GetLot(), reweighed.GetLot()) {
			t.Errorf("GetLot after the new weight:\n%v\nanswered\n%v", got.GetLot(), reweighed.GetLot())
		}
		_, err = asF.UpdateLot(t.Context(), &millwav1.UpdateLotRequest{
			Lot: &millwav1.Lot{Name: heavy.GetName(), Contributions: []*millwav1.Contribution{
				{Member: other.members[0], Grams: 50000}}}, UpdateMask: mask("contributions")})
		wantViolation(t, "another association's member", err, "lot.contributions[0].member")
		receipt, err := asF.CreateReceipt(t.Context(), &millwav1.CreateReceiptRequest{Parent: f.assoc.GetName(), Receipt: receiptOf(f, 46000)})
		if err != nil {
			t.Fatalf("CreateReceipt: %v", err)
		}
		fromReceipt := f.lot("BABY")
		fromReceipt.AskPricePerKg, fromReceipt.Contributions = 9000, nil
		fromReceipt.Sources = []*millwav1.LotSource{{Receipt: receipt.GetReceipt().GetName(), Grams: 46000}}
		rl, err := asF.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: fromReceipt})
		if err != nil {
			t.Fatalf("CreateLot from a receipt: %v", err)
		}
		_, err = asF.UpdateLot(t.Context(), &millwav1.UpdateLotRequest{
			Lot: &millwav1.Lot{Name: rl.GetLot().GetName(), Colour: "BLACK"}, UpdateMask: mask("colour")})
		wantCode(t, "the colour of a lot from receipts", err, codes.FailedPrecondition)
		renumbered, err := asF.UpdateLot(t.Context(), &millwav1.UpdateLotRequest{
			Lot: &millwav1.Lot{Name: rl.GetLot().GetName(), LotNumber: "ICHU-008"}, UpdateMask: mask("lot_number")})
		if err != nil || renumbered.GetLot().GetLotNumber() != "ICHU-008" || len(renumbered.GetLot().GetSources()) != 1 ||
			len(renumbered.GetLot().GetContributions()) != 1 {
			t.Fatalf("the number of a lot from receipts: %v %v", renumbered, err)
		}
		// A number another lot of the campaign holds is refused naming it.
		_, err = asF.UpdateLot(t.Context(), &millwav1.UpdateLotRequest{
			Lot: &millwav1.Lot{Name: rl.GetLot().GetName(), LotNumber: "ICHU-007"}, UpdateMask: mask("lot_number")})
		numberTaken(t, "renumbering to a number taken", err, cheap.GetName(), "ICHU-007", "lot.lot_number")

		// A processor's order for 100 kg at S/ 25.00 takes the cheap lot
		// (46 kg); the dear one asks more than the bid.
		proc, procSecret := ts.createProcessor(t, "040101")
		market := millwav1.NewMarketServiceClient(ts.dial(t, procSecret))
		order := newOrder()
		order.QuantityGrams = 100_000
		po, err := market.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: order})
		if err != nil || po.GetPurchaseOrder().GetFilledGrams() != 46000 {
			t.Fatalf("CreatePurchaseOrder: %v %v", po, err)
		}

		// Allocated: what a trade depends on is refused, the ask is not.
		_, err = asF.UpdateLot(t.Context(), &millwav1.UpdateLotRequest{
			Lot: &millwav1.Lot{Name: cheap.GetName(), Colour: "LIGHT_FAWN"}, UpdateMask: mask("colour")})
		wantCode(t, "a colour change of an allocated lot", err, codes.FailedPrecondition)
		if _, err := asF.UpdateLot(t.Context(), &millwav1.UpdateLotRequest{
			Lot: &millwav1.Lot{Name: cheap.GetName(), CollectionPoint: "Centro de acopio Ichu Alto"}, UpdateMask: mask("collection_point")}); err != nil {
			t.Fatalf("collection point of an allocated lot: %v", err)
		}

		// Lowering the dear lot's ask under the bid matches it at once.
		matched, err := asF.UpdateLot(t.Context(), &millwav1.UpdateLotRequest{
			Lot: &millwav1.Lot{Name: dear.GetName(), AskPricePerKg: 2400, Etag: dear.GetEtag()}, UpdateMask: mask("ask_price_per_kg")})
		if err != nil || matched.GetLot().GetState() != millwav1.LotState_LOT_STATE_ALLOCATED || matched.GetLot().GetAllocatedGrams() != 46000 {
			t.Fatalf("UpdateLot under the bid: %v %v", matched, err)
		}
		trades, err := market.ListTrades(t.Context(), &millwav1.ListTradesRequest{})
		if err != nil || len(trades.GetTrades()) != 2 {
			t.Fatalf("trades after the ask fell: %v %v", trades, err)
		}
		for _, tr := range trades.GetTrades() {
			if n := auditEventsAbout(t, ts, tr.GetName()); n != 1 {
				t.Errorf("%d audit events about %s, want 1 (its match)", n, tr.GetName())
			}
		}

		// The order: 92 kg filled of 100.
		name := po.GetPurchaseOrder().GetName()
		cur, err := market.GetPurchaseOrder(t.Context(), &millwav1.GetPurchaseOrderRequest{Name: name})
		if err != nil || cur.GetPurchaseOrder().GetFilledGrams() != 92000 {
			t.Fatalf("GetPurchaseOrder: %v %v", cur, err)
		}
		_, otherProc := ts.createProcessor(t, "040101")
		before = countState(t, ts)
		_, err = market.UpdatePurchaseOrder(t.Context(), &millwav1.UpdatePurchaseOrderRequest{
			PurchaseOrder: &millwav1.PurchaseOrder{Name: name, QuantityGrams: 90000}, UpdateMask: mask("quantity_grams")})
		wantViolation(t, "a quantity below the filled grams", err, "purchase_order.quantity_grams")
		_, err = market.UpdatePurchaseOrder(t.Context(), &millwav1.UpdatePurchaseOrderRequest{
			PurchaseOrder: &millwav1.PurchaseOrder{Name: name, ExpireTime: timestamppb.New(time.Now().Add(-time.Hour))}, UpdateMask: mask("expire_time")})
		wantViolation(t, "an expiry in the past", err, "purchase_order.expire_time")
		_, err = market.UpdatePurchaseOrder(t.Context(), &millwav1.UpdatePurchaseOrderRequest{
			PurchaseOrder: &millwav1.PurchaseOrder{Name: name, AcceptedColours: []string{"BLACK"}}, UpdateMask: mask("accepted_colours")})
		wantViolation(t, "what the order buys", err, "update_mask.paths[0]")
		_, err = market.UpdatePurchaseOrder(t.Context(), &millwav1.UpdatePurchaseOrderRequest{
			PurchaseOrder: &millwav1.PurchaseOrder{Name: name, BidPricePerKg: 2600, Etag: po.GetPurchaseOrder().GetEtag()}, UpdateMask: mask("bid_price_per_kg")})
		wantCode(t, "UpdatePurchaseOrder with a stale etag", err, codes.Aborted)
		err = ts.patch(t, procSecret, name, &millwav1.PurchaseOrder{BidPricePerKg: 2600, Etag: po.GetPurchaseOrder().GetEtag()}, &millwav1.PurchaseOrder{})
		wantCode(t, "PATCH order with a stale etag", err, codes.Aborted)
		_, err = millwav1.NewMarketServiceClient(ts.dial(t, otherProc)).UpdatePurchaseOrder(t.Context(), &millwav1.UpdatePurchaseOrderRequest{
			PurchaseOrder: &millwav1.PurchaseOrder{Name: name, BidPricePerKg: 1}, UpdateMask: mask("bid_price_per_kg")})
		wantCode(t, "another processor's order", err, codes.NotFound)
		checkNothingWritten(t, ts, before)

		// A new bid over REST, then the quantity lowered to what is filled.
		var bid millwav1.PurchaseOrder
		if err := ts.patch(t, procSecret, name, &millwav1.PurchaseOrder{BidPricePerKg: 2600, Etag: cur.GetPurchaseOrder().GetEtag()}, &bid); err != nil {
			t.Fatalf("PATCH order: %v", err)
		}
		if bid.GetBidPricePerKg() != 2600 || bid.GetQuantityGrams() != 100000 || bid.GetState() != millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_PARTIALLY_FILLED {
			t.Fatalf("patched order: %v", &bid)
		}
		filled, err := market.UpdatePurchaseOrder(t.Context(), &millwav1.UpdatePurchaseOrderRequest{
			PurchaseOrder: &millwav1.PurchaseOrder{Name: name, QuantityGrams: 92000, Etag: bid.GetEtag()}, UpdateMask: mask("quantity_grams"), RequestId: "fill-1"})
		if err != nil || filled.GetPurchaseOrder().GetState() != millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_FILLED {
			t.Fatalf("quantity lowered to the filled grams: %v %v", filled, err)
		}
		// Numbered or still pending: one statement reads both at once.
		if n := countRows(t, ts, `SELECT (SELECT COUNT(*) FROM market_events WHERE type = 'ORDER_FILLED' AND resource = ?)
			+ (SELECT COUNT(*) FROM market_events_pending WHERE type = 'ORDER_FILLED' AND resource = ?)`, name, name); n != 1 {
			t.Errorf("%d ORDER_FILLED events, want 1", n)
		}
		if n := auditEventsAbout(t, ts, name); n != 3 {
			t.Errorf("%d audit events about the order, want 3 (create and two updates)", n)
		}
		_, err = market.UpdatePurchaseOrder(t.Context(), &millwav1.UpdatePurchaseOrderRequest{
			PurchaseOrder: &millwav1.PurchaseOrder{Name: name, BidPricePerKg: 2700}, UpdateMask: mask("bid_price_per_kg")})
		wantCode(t, "a FILLED order", err, codes.FailedPrecondition)

		// A raised bid matches a waiting lot at once.
		waiting := createLot(2300)
		low := newOrder()
		low.QuantityGrams, low.BidPricePerKg = 46000, 2000
		lowPO, err := market.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: low})
		if err != nil || lowPO.GetPurchaseOrder().GetFilledGrams() != 0 {
			t.Fatalf("an order under every ask: %v %v", lowPO, err)
		}
		raised, err := market.UpdatePurchaseOrder(t.Context(), &millwav1.UpdatePurchaseOrderRequest{
			PurchaseOrder: &millwav1.PurchaseOrder{Name: lowPO.GetPurchaseOrder().GetName(), BidPricePerKg: 2400}, UpdateMask: mask("bid_price_per_kg")})
		if err != nil || raised.GetPurchaseOrder().GetFilledGrams() != 46000 || raised.GetPurchaseOrder().GetState() != millwav1.PurchaseOrderState_PURCHASE_ORDER_STATE_FILLED {
			t.Fatalf("a raised bid: %v %v", raised, err)
		}
		if got, _ := asF.GetLot(t.Context(), &millwav1.GetLotRequest{Name: waiting.GetName()}); got.GetLot().GetAllocatedGrams() != 46000 {
			t.Errorf("the waiting lot after the bid rose: %v", got.GetLot())
		}
	})
}
