package store_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// createLot creates, in an association of its own, a lot with a
// contribution from each of members members (none: a lot without
// contributions, which only a raw row can be).
func createLot(t *testing.T, s *store.Store, members int) millwa.Lot {
	t.Helper()
	ctx := t.Context()
	a := mustCreate(t, s, association("210101"))
	l := millwa.Lot{AssociationID: a.ID, Standard: "pe-ntp-231-301-2014", Campaign: 2025, Breed: "HUACAYA",
		Colour: "WHITE", DeclaredGroup: "BABY", MarketGroup: "BABY", CollectionPoint: "Centro de acopio",
		LotNumber: "L-1", ClassificationDate: "2025-03-01", AskPricePerKg: 2500, Currency: "PEN", Ubigeo: "210101",
		Grading: `{"standard":"pe-ntp-231-301-2014","qualityGroup":"BABY"}`}
	err := s.InTx(ctx, func(tx *store.Tx) error {
		c := millwa.Classifier{AssociationID: a.ID, DisplayName: "Juana Condori", DNI: "41234567", CertificationNumber: "C-1"}
		if err := tx.CreateClassifier(ctx, &c); err != nil {
			return err
		}
		l.ClassifierID = c.ID
		l.Contributions = nil
		l.NetWeightGrams = 0
		for i := range members {
			m := millwa.Member{AssociationID: a.ID, DisplayName: fmt.Sprintf("Socio %d", i), DNI: fmt.Sprintf("400000%02d", i), Sex: millwa.SexFemale}
			if err := tx.CreateMember(ctx, &m); err != nil {
				return err
			}
			grams := int64(1000 * (i + 1))
			l.Contributions = append(l.Contributions, millwa.Contribution{MemberID: m.ID, Grams: grams})
			l.NetWeightGrams += grams
		}
		if members == 0 {
			l.NetWeightGrams = 1000
		}
		return tx.CreateLot(ctx, &l)
	})
	if err != nil {
		t.Fatalf("creating a lot with %d contributions: %v", members, err)
	}
	return l
}

// TestGetLotReadsContributions: GetLot and ListLots, which read a lot and
// its contributions in one query, answer the contributions created and
// the same lot, outside and inside a
// transaction, with the contributions in member id order; it still
// hides a lot from a principal who may not see it.
func TestGetLotReadsContributions(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		ctx := t.Context()
		admin := millwa.Principal{KeyID: "k", Role: millwa.RoleAdmin}
		for _, members := range []int{1, 3, 12} {
			created := createLot(t, s, members)
			got, err := s.GetLot(ctx, admin, created.ID)
			if err != nil {
				t.Fatalf("GetLot of a lot with %d contributions: %v", members, err)
			}
			if len(got.Contributions) != members {
				t.Fatalf("GetLot: %d contributions, want %d", len(got.Contributions), members)
			}
			want := slices.Clone(created.Contributions)
			slices.SortFunc(want, func(a, b millwa.Contribution) int { return strings.Compare(a.MemberID, b.MemberID) })
			if diff := cmp.Diff(want, got.Contributions); diff != "" {
				t.Errorf("GetLot's contributions, in member id order (-want +got):\n%s", diff)
			}
			page, err := s.ListLots(ctx, admin, created.AssociationID, store.ListQuery{})
			if err != nil || len(page.Items) != 1 {
				t.Fatalf("ListLots of the lot's association: %v %v", page.Items, err)
			}
			if diff := cmp.Diff(page.Items[0], got); diff != "" {
				t.Errorf("GetLot differs from ListLots (-list +get):\n%s", diff)
			}
			var inTx millwa.Lot
			if err := s.InTx(ctx, func(tx *store.Tx) error {
				inTx, err = tx.GetLot(ctx, admin, created.ID)
				return err
			}); err != nil {
				t.Fatalf("GetLot in a transaction: %v", err)
			}
			if diff := cmp.Diff(got, inTx); diff != "" {
				t.Errorf("GetLot in a transaction differs (-store +tx):\n%s", diff)
			}
			own := millwa.Principal{KeyID: "k", Role: millwa.RoleAssociation, Organisation: "associations/" + created.AssociationID}
			if _, err := s.GetLot(ctx, own, created.ID); err != nil {
				t.Errorf("GetLot by the lot's own association: %v", err)
			}
			other := millwa.Principal{KeyID: "k", Role: millwa.RoleAssociation, Organisation: "associations/0190e3c4-0000-7000-8000-00000000ffff"}
			if _, err := s.GetLot(ctx, other, created.ID); errorCode(err) != millwa.NotFound {
				t.Errorf("GetLot by another association: %v, want NotFound", err)
			}
		}
	})
}
