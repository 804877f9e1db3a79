package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// TestSamplingPlanStored checks that a plan reads back as it was stored,
// body and all, only for its own agency and admins, and that a body that
// no longer decodes is an Internal error naming the plan, never a plan
// with nothing chosen.
func TestSamplingPlanStored(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		st := storetest.NewStore(t, url)
		ctx := t.Context()
		puno, asPuno, cusco, asCusco := punoAndCusco(t, st)
		at := time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC)
		kappa := 0.42
		plan := millwa.SamplingPlan{Region: "21", StartTime: at, EndTime: at.AddDate(0, 1, 0), AsOfTime: at.AddDate(0, 1, 0), Seed: -7,
			Rule: "ISO_2859_1_LEVEL_II", LotCount: 20, SampleCount: 1, Body: millwa.SamplingPlanBody{Classifiers: []millwa.ClassifierSampleRecord{{
				AssociationID: "0192d1a0-0000-7000-8000-000000000001", ClassifierID: "0192d1a0-0000-7000-8000-000000000002",
				DisplayName: "Hilario Layme Condori", AssociationName: "Asociación Nuevo Amanecer", LotCount: 20, Severity: "TIGHTENED",
				RecentChecks: 12, RecentKappa: &kappa, SampleSize: 1, ReasonEN: "tightened", ReasonES: "rigurosa",
				Lots: []millwa.SampledLot{{AssociationID: "0192d1a0-0000-7000-8000-000000000001", ID: "0192d1a0-0000-7000-8000-000000000003", LotNumber: "2026-0007"}},
			}}}}
		plan.AgencyID = puno.ID
		if err := st.InTx(ctx, func(tx *store.Tx) error { return tx.CreateSamplingPlan(ctx, &plan) }); err != nil {
			t.Fatal(err)
		}
		for _, p := range []millwa.Principal{admin, asPuno} {
			got, err := st.GetSamplingPlan(ctx, p, puno.ID, plan.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(plan, got); diff != "" {
				t.Errorf("plan read back by %s (-stored +read):\n%s", p.Role, diff)
			}
		}
		if _, err := st.GetSamplingPlan(ctx, asCusco, puno.ID, plan.ID); errorCode(err) != millwa.NotFound {
			t.Errorf("another agency reads the plan: %v, want NotFound", err)
		}
		if _, err := st.GetSamplingPlan(ctx, admin, cusco.ID, plan.ID); errorCode(err) != millwa.NotFound {
			t.Errorf("the plan under another agency's name: %v, want NotFound", err)
		}
		if err := exec(ctx, st, `UPDATE sampling_plans SET body = '{"classifiers": 3}' WHERE id = ?`, plan.ID); err != nil {
			t.Fatal(err)
		}
		_, err := st.GetSamplingPlan(ctx, admin, puno.ID, plan.ID)
		if errorCode(err) != millwa.Internal || !strings.Contains(err.Error(), plan.ID) {
			t.Errorf("a plan whose body does not decode: %v, want Internal naming %s", err, plan.ID)
		}
		_, err = st.ListSamplingPlans(ctx, asPuno, puno.ID, store.ListQuery{})
		if errorCode(err) != millwa.Internal || !strings.Contains(err.Error(), plan.ID) {
			t.Errorf("listing a plan whose body does not decode: %v, want Internal naming %s", err, plan.ID)
		}
	})
}

// punoAndCusco registers two agencies, of Puno (region 21) and of Cusco
// (08), and returns each with the principal of its key.
func punoAndCusco(t *testing.T, st *store.Store) (puno millwa.Agency, asPuno millwa.Principal, cusco millwa.Agency, asCusco millwa.Principal) {
	t.Helper()
	puno, cusco = millwa.Agency{DisplayName: "Puno " + newRUC(), Regions: []string{"21"}}, millwa.Agency{DisplayName: "Cusco " + newRUC(), Regions: []string{"08"}}
	err := st.InTx(t.Context(), func(tx *store.Tx) error {
		for _, a := range []*millwa.Agency{&puno, &cusco} {
			if err := tx.CreateAgency(t.Context(), a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	as := func(a millwa.Agency) millwa.Principal {
		return millwa.Principal{Role: millwa.RoleAgency, Organisation: "agencies/" + a.ID, Regions: a.Regions}
	}
	return puno, as(puno), cusco, as(cusco)
}
