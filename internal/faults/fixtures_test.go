package faults_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// serial numbers the fixtures of this test binary, so that RUCs and DNIs
// never repeat.
var serial atomic.Int64

// ruc returns a valid RUC of a legal person (20…) not used before.
func ruc() string {
	first := fmt.Sprintf("20%08d", serial.Add(1))
	return first + string(millwa.RUCCheckDigit(first))
}

// dni returns a DNI not used before.
func dni() string { return fmt.Sprintf("4%07d", serial.Add(1)) }

// seller is an association with two members, a certified classifier and a
// key of its own.
type seller struct {
	name       string
	members    [2]string
	classifier string
	key        string
}

// buyer is a processor with a key of its own.
type buyer struct {
	name string
	key  string
}

// market is the cast of a test: sellers and buyers made by the admin.
type market struct {
	sellers []seller
	buyers  []buyer
}

// setUpMarket registers sellers associations in Puno, Cusco and
// Huancavelica and buyers processors in Arequipa through the API, as the
// admin, and gives each a key of its own.
func setUpMarket(t *testing.T, admin *grpc.ClientConn, sellers, buyers int) *market {
	t.Helper()
	ctx := t.Context()
	reg := millwav1.NewRegistryServiceClient(admin)
	mkt := millwav1.NewMarketServiceClient(admin)
	ids := millwav1.NewIdentityServiceClient(admin)
	key := func(role millwav1.Role, org string) string {
		resp, err := ids.CreateApiKey(ctx, &millwav1.CreateApiKeyRequest{ApiKey: &millwav1.ApiKey{
			DisplayName: "fault suite " + org, Role: role, Organisation: org,
		}})
		if err != nil {
			t.Fatalf("CreateApiKey(%v, %s): %v", role, org, err)
		}
		return resp.GetSecret()
	}
	m := &market{}
	districts := []string{"210101", "080101", "090101"}
	for i := range sellers {
		a, err := reg.CreateAssociation(ctx, &millwav1.CreateAssociationRequest{Association: &millwav1.Association{
			LegalName: fmt.Sprintf("Asociación de Alpaqueros %d", serial.Add(1)), Ruc: ruc(), Ubigeo: districts[i%len(districts)],
			Contact: &millwav1.Contact{PersonName: "Rosa Quispe Mamani", Phone: "+51 951 234 567"},
		}})
		if err != nil {
			t.Fatalf("CreateAssociation: %v", err)
		}
		s := seller{name: a.GetAssociation().GetName()}
		for j, sex := range []millwav1.Sex{millwav1.Sex_SEX_FEMALE, millwav1.Sex_SEX_MALE} {
			mem, err := reg.CreateMember(ctx, &millwav1.CreateMemberRequest{Parent: s.name, Member: &millwav1.Member{
				DisplayName: fmt.Sprintf("Socio %d", j+1), Dni: dni(), Sex: sex,
			}})
			if err != nil {
				t.Fatalf("CreateMember: %v", err)
			}
			s.members[j] = mem.GetMember().GetName()
		}
		c, err := reg.CreateClassifier(ctx, &millwav1.CreateClassifierRequest{Parent: s.name, Classifier: &millwav1.Classifier{
			DisplayName: "Maestra Clasificadora", Dni: dni(), CertificationNumber: "SINEACE-" + dni(), CertificationDate: "2024-05-10",
		}})
		if err != nil {
			t.Fatalf("CreateClassifier: %v", err)
		}
		s.classifier = c.GetClassifier().GetName()
		s.key = key(millwav1.Role_ROLE_ASSOCIATION, s.name)
		m.sellers = append(m.sellers, s)
	}
	for range buyers {
		n := serial.Add(1)
		p, err := mkt.CreateProcessor(ctx, &millwav1.CreateProcessorRequest{Processor: &millwav1.Processor{
			LegalName: fmt.Sprintf("Procesadora de Fibras %d S.A.C.", n), Ruc: ruc(), Ubigeo: "040101",
			PlantLocation: "Parque Industrial de Arequipa, Calle A 101",
			Contact:       &millwav1.Contact{PersonName: "Ana Flores Quispe", Email: fmt.Sprintf("compras%d@example.org", n)},
		}})
		if err != nil {
			t.Fatalf("CreateProcessor: %v", err)
		}
		b := buyer{name: p.GetProcessor().GetName()}
		b.key = key(millwav1.Role_ROLE_PROCESSOR, b.name)
		m.buyers = append(m.buyers, b)
	}
	return m
}

// lotRequest is a request for a white Huacaya lot of grams in group at ask
// (minor units a kilogram), two thirds from the first member, with the
// request_id that makes its retry safe.
func (s seller) lotRequest(group string, grams, ask int64, requestID string) *millwav1.CreateLotRequest {
	first := grams * 2 / 3
	return &millwav1.CreateLotRequest{Parent: s.name, RequestId: requestID, Lot: &millwav1.Lot{
		Campaign: 2026, Breed: "HUACAYA", Colour: "WHITE", DeclaredQualityGroup: group, Classifier: s.classifier,
		NetWeightGrams: grams, AskPricePerKg: ask, CollectionPoint: "Centro de acopio",
		Contributions: []*millwav1.Contribution{{Member: s.members[0], Grams: first}, {Member: s.members[1], Grams: grams - first}},
	}}
}

// orderRequest is a request for grams of white baby or fleece at bid
// (minor units a kilogram), open for 30 days, with its request_id.
func (b buyer) orderRequest(grams, bid int64, requestID string) *millwav1.CreatePurchaseOrderRequest {
	return &millwav1.CreatePurchaseOrderRequest{Parent: b.name, RequestId: requestID, PurchaseOrder: &millwav1.PurchaseOrder{
		AcceptedQualityGroups: []string{"BABY", "FLEECE"}, AcceptedColours: []string{"WHITE"},
		QuantityGrams: grams, BidPricePerKg: bid, ExpireTime: timestamppb.New(time.Now().Add(30 * 24 * time.Hour)),
	}}
}
