package store_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// TestGetLotWithSources: GetLotWithSources reads, in one query, the lot
// GetLot reads with the sources LoadLotSources fills, in receipt id order,
// for a lot drawn from receipts and for one with hand-typed contributions
// (no sources); it hides the lot from a principal who may not see it, as
// GetLot does.
func TestGetLotWithSources(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		ctx := t.Context()
		admin := millwa.Principal{KeyID: "k", Role: millwa.RoleAdmin}
		a := association("210101")
		var lot millwa.Lot
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateAssociation(ctx, &a); err != nil {
				return err
			}
			c := millwa.Classifier{AssociationID: a.ID, DisplayName: "Maestra", DNI: "47000001", CertificationNumber: "S-1", CertificationDate: "2024-01-10"}
			if err := tx.CreateClassifier(ctx, &c); err != nil {
				return err
			}
			lot = millwa.Lot{AssociationID: a.ID, Standard: "pe-ntp-231-301-2014", Campaign: 2026, Breed: "HUACAYA", Colour: "WHITE",
				DeclaredGroup: "BABY", MarketGroup: "BABY", ClassifierID: c.ID, AskPricePerKg: 2000,
				Currency: "PEN", ClassificationDate: "2026-11-30", Ubigeo: a.Ubigeo}
			// Receipts made in an order other than their ids', so that the
			// sources' order is the reader's doing.
			for i := range 4 {
				m := millwa.Member{AssociationID: a.ID, DisplayName: fmt.Sprint("Socia ", i), DNI: fmt.Sprintf("4100%04d", i), Sex: millwa.SexFemale}
				if err := tx.CreateMember(ctx, &m); err != nil {
					return err
				}
				r := millwa.Receipt{AssociationID: a.ID, MemberID: m.ID, ClassifierID: c.ID, Standard: "pe-ntp-231-301-2014", Campaign: 2026,
					CollectionPoint: "Ichu", ReceiveDate: "2026-11-20", Breed: "HUACAYA", Colour: "WHITE", FleeceCount: 1,
					NetWeightGrams: 5000, GroupGrams: map[string]int64{"BABY": 5000}}
				if err := tx.CreateReceipt(ctx, &r); err != nil {
					return err
				}
				grams := int64(1000 * (4 - i))
				lot.Sources = append([]millwa.Source{{ReceiptID: r.ID, Grams: grams}}, lot.Sources...)
				lot.NetWeightGrams += grams
			}
			lots := []millwa.Lot{lot}
			if err := tx.UseSources(ctx, lots, []string{"lot"}); err != nil {
				return err
			}
			lots[0].DeriveContributions()
			lot = lots[0]
			return tx.CreateLot(ctx, &lot)
		}); err != nil {
			t.Fatal(err)
		}
		plain := createLot(t, s, 2)
		for _, id := range []string{lot.ID, plain.ID} {
			want, err := s.GetLot(ctx, admin, id)
			if err != nil {
				t.Fatal(err)
			}
			lots := []millwa.Lot{want}
			if err := s.LoadLotSources(ctx, lots); err != nil {
				t.Fatal(err)
			}
			want = lots[0]
			got, err := s.GetLotWithSources(ctx, admin, id)
			if err != nil {
				t.Fatalf("GetLotWithSources: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("GetLotWithSources differs from GetLot and LoadLotSources (-want +got):\n%s", diff)
			}
			if id == lot.ID && len(got.Sources) != 4 {
				t.Errorf("the lot from receipts reads %d sources, want 4", len(got.Sources))
			}
			if id == plain.ID && (len(got.Sources) != 0 || len(got.Contributions) != 2) {
				t.Errorf("the lot of contributions reads %d sources and %d contributions, want none and 2", len(got.Sources), len(got.Contributions))
			}
		}
		other := millwa.Principal{KeyID: "o", Role: millwa.RoleAssociation, Organisation: "associations/" + plain.AssociationID}
		if _, err := s.GetLotWithSources(ctx, other, lot.ID); errorCode(err) != millwa.NotFound {
			t.Errorf("GetLotWithSources of another association's lot: %v, want NotFound", err)
		}
	})
}

// TestMissingLotReferences: one query tells whether a lot's classifier
// belongs to the association and which of its members do not, in the
// order given, ids in any case or not ids at all among them; LotAssociation
// tells the same with the association GetAssociation reads, or NotFound
// when the caller may not see it.
func TestMissingLotReferences(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		ctx := t.Context()
		mine, theirs := createLot(t, s, 2), createLot(t, s, 1)
		admin := millwa.Principal{KeyID: "k", Role: millwa.RoleAdmin}
		want, err := s.GetAssociation(ctx, admin, mine.AssociationID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name       string
			classifier string
			members    []string
			found      bool
			missing    []string
		}{
			{"all of the association", mine.ClassifierID, []string{mine.Contributions[1].MemberID, strings.ToUpper(mine.Contributions[0].MemberID)}, true, nil},
			{"another association's", theirs.ClassifierID, []string{theirs.Contributions[0].MemberID, mine.Contributions[0].MemberID}, false, []string{theirs.Contributions[0].MemberID}},
			{"not ids", "x", []string{"y", mine.Contributions[0].MemberID, "z"}, false, []string{"y", "z"}},
			{"no members", mine.ClassifierID, nil, true, nil},
			{"nothing", "", nil, false, nil},
		} {
			var found, withFound bool
			var missing, withMissing []string
			var a millwa.Association
			if err := s.InTx(ctx, func(tx *store.Tx) error {
				var err error
				if found, missing, err = tx.MissingLotReferences(ctx, mine.AssociationID, tc.classifier, tc.members); err != nil {
					return err
				}
				a, withFound, withMissing, err = tx.LotAssociation(ctx, admin, mine.AssociationID, tc.classifier, tc.members)
				return err
			}); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if found != tc.found || !slices.Equal(missing, tc.missing) {
				t.Errorf("%s: classifier found %v, members missing %q; want %v and %q", tc.name, found, missing, tc.found, tc.missing)
			}
			if withFound != tc.found || !slices.Equal(withMissing, tc.missing) {
				t.Errorf("%s: with the association, classifier found %v, members missing %q; want %v and %q", tc.name, withFound, withMissing, tc.found, tc.missing)
			}
			if diff := cmp.Diff(want, a); diff != "" {
				t.Errorf("%s: LotAssociation's association differs from GetAssociation's (-want +got):\n%s", tc.name, diff)
			}
		}
		other := millwa.Principal{KeyID: "o", Role: millwa.RoleAssociation, Organisation: "associations/" + theirs.AssociationID}
		for _, id := range []string{mine.AssociationID, "not-an-id"} {
			err := s.InTx(ctx, func(tx *store.Tx) error {
				_, _, _, err := tx.LotAssociation(ctx, other, id, mine.ClassifierID, nil)
				return err
			})
			if errorCode(err) != millwa.NotFound || errorMessage(err) != "association "+id+" not found" {
				t.Errorf("LotAssociation of %s by another association: %v, want NotFound", id, err)
			}
		}
	})
}

// TestCreateLotForeignKeys: the lot and its contributions, one statement on
// PostgreSQL, are refused together when a contribution's member belongs to
// another association (FailedPrecondition, from the foreign key) and when
// the lot's number is taken (AlreadyExists, LotNumberTaken), leaving no
// lot and no contribution behind.
func TestCreateLotForeignKeys(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		ctx := t.Context()
		mine, theirs := createLot(t, s, 2), createLot(t, s, 1)
		count := func() (lots, contributions int) {
			if err := queryRow(ctx, s, "SELECT (SELECT count(*) FROM lots), (SELECT count(*) FROM lot_contributions)", nil, &lots, &contributions); err != nil {
				t.Fatal(err)
			}
			return lots, contributions
		}
		lotsBefore, contributionsBefore := count()
		create := func(l millwa.Lot) error {
			l.ID = ""
			return s.InTx(ctx, func(tx *store.Tx) error { return tx.CreateLot(ctx, &l) })
		}
		foreign := mine
		foreign.LotNumber = "L-2"
		foreign.Contributions = []millwa.Contribution{mine.Contributions[0], {MemberID: theirs.Contributions[0].MemberID, Grams: mine.Contributions[1].Grams}}
		if err := create(foreign); errorCode(err) != millwa.FailedPrecondition {
			t.Errorf("a contribution of another association's member: %v, want FailedPrecondition", err)
		}
		var me *millwa.Error
		if err := create(mine); !errors.As(err, &me) || me.Code != millwa.AlreadyExists || me.Reason != store.LotNumberTaken {
			t.Errorf("a lot number taken: %v, want AlreadyExists %s", err, store.LotNumberTaken)
		}
		if lots, contributions := count(); lots != lotsBefore || contributions != contributionsBefore {
			t.Errorf("after the refusals %d lots and %d contributions, want %d and %d", lots, contributions, lotsBefore, contributionsBefore)
		}
		renumbered := mine
		renumbered.LotNumber = "L-3"
		if err := create(renumbered); err != nil {
			t.Fatalf("the same lot under a new number: %v", err)
		}
		if lots, contributions := count(); lots != lotsBefore+1 || contributions != contributionsBefore+2 {
			t.Errorf("after a new lot %d lots and %d contributions, want %d and %d", lots, contributions, lotsBefore+1, contributionsBefore+2)
		}
	})
}
