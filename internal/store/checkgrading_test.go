package store_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// TestGetCheckGrading checks that a check grading reads back by its agency
// and id as ListCheckGradings lists it, lot number and names included,
// for its own agency and admins only, and that another agency's check, a
// check under another agency's id and a malformed agency id are all
// NotFound with the message of a check that does not exist.
func TestGetCheckGrading(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		st := storetest.NewStore(t, url)
		ctx := t.Context()
		lot := createLot(t, st, 1)
		assoc, err := st.GetAssociation(ctx, admin, lot.AssociationID)
		if err != nil {
			t.Fatal(err)
		}
		mfd := 21.5
		c := millwa.CheckGrading{LotID: lot.ID, AssociationID: lot.AssociationID, ClassifierID: lot.ClassifierID, Standard: lot.Standard,
			DeclaredGroup: "BABY", MarketGroup: "BABY", CheckGroup: "BABY", Measurement: millwa.Measurement{MeanFiberDiameterUm: &mfd},
			Grading: `{"standard":"pe-ntp-231-301-2014","qualityGroup":"BABY"}`, Note: "muestra del fardo 3", Ubigeo: lot.Ubigeo, Breed: lot.Breed}
		puno, asPuno, cusco, asCusco := punoAndCusco(t, st)
		c.AgencyID = puno.ID
		if err := st.InTx(ctx, func(tx *store.Tx) error { return tx.CreateCheckGrading(ctx, &c) }); err != nil {
			t.Fatal(err)
		}

		for _, p := range []millwa.Principal{admin, asPuno} {
			got, err := st.GetCheckGrading(ctx, p, puno.ID, c.ID)
			if err != nil {
				t.Fatalf("%s reads the check: %v", p.Role, err)
			}
			if got.LotNumber != lot.LotNumber || got.ClassifierName != "Juana Condori" || got.AssociationName != assoc.LegalName ||
				got.Ubigeo != lot.Ubigeo || got.Breed != lot.Breed || got.Note != c.Note {
				t.Errorf("%s reads the check as %+v; want the lot's number, ubigeo and breed and the people's names", p.Role, got)
			}
			page, err := st.ListCheckGradings(ctx, p, puno.ID, store.ListQuery{})
			if err != nil || len(page.Items) != 1 {
				t.Fatalf("%s lists Puno's checks: %v %v, want one", p.Role, page.Items, err)
			}
			if diff := cmp.Diff(page.Items[0], got); diff != "" {
				t.Errorf("%s: the check read differs from the one listed (-listed +read):\n%s", p.Role, diff)
			}
		}

		want := "check grading " + c.ID + " not found"
		for _, tc := range []struct {
			what     string
			p        millwa.Principal
			agencyID string
		}{
			{"another agency reads the check", asCusco, puno.ID},
			{"another agency names the check under its own id", asCusco, cusco.ID},
			{"an admin names the check under another agency", admin, cusco.ID},
			{"the agency's check under a malformed agency id", asPuno, "puno"},
		} {
			_, err := st.GetCheckGrading(ctx, tc.p, tc.agencyID, c.ID)
			if errorCode(err) != millwa.NotFound || errorMessage(err) != want {
				t.Errorf("%s: %v, want NotFound %q", tc.what, err, want)
			}
		}
		// Inside a transaction too, as RecordCheckGrading reads it back.
		err = st.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.GetCheckGrading(ctx, asPuno, puno.ID, c.ID)
			return err
		})
		if err != nil {
			t.Errorf("reading the check in a transaction: %v", err)
		}
	})
}
