package audit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/audit"
	"github.com/millwa/millwa/services/internal/rpctest"
)

// The handlers are called directly over a real database; the registry's
// rows are written through the store.

// region is Puno's registry: one association, an accurate classifier and
// a lenient one, each with lots declared FLEECE.
type region struct {
	s                 *audit.Server
	agency            string
	inspector         context.Context
	accurate, lenient []string // lot names
	lenientName       string
}

func newRegion(t *testing.T, url string) *region {
	t.Helper()
	reg := rpctest.Standards(t)
	st := storetest.NewStore(t, url)
	r := &region{s: audit.New(st, reg)}
	admin := rpctest.As(millwa.Principal{Role: millwa.RoleAdmin, KeyID: "k-admin"})
	ag, err := r.s.CreateAgency(admin, &millwav1.CreateAgencyRequest{Agency: &millwav1.Agency{
		DisplayName: "Dirección Regional Agraria Puno", Regions: []string{"21"}, Ruc: rpctest.RUC(900),
		Contact: &millwav1.Contact{PersonName: "Luis Apaza", Email: "auditoria@example.org"},
	}})
	if err != nil {
		t.Fatalf("CreateAgency: %v", err)
	}
	r.agency = ag.GetAgency().GetName()
	r.inspector = rpctest.As(millwa.Principal{Role: millwa.RoleAgency, KeyID: "k-agency", Organisation: r.agency, Regions: []string{"21"}})
	err = st.InTx(admin, func(tx *store.Tx) error {
		a := millwa.Association{LegalName: "Asociación Pucará", RUC: rpctest.RUC(1), Ubigeo: "210101",
			Contact: millwa.Contact{PersonName: "Juan Mamani", Phone: "+51951000111"}}
		if err := tx.CreateAssociation(admin, &a); err != nil {
			return err
		}
		for i, lots := range []*[]string{&r.accurate, &r.lenient} {
			c := millwa.Classifier{AssociationID: a.ID, DisplayName: fmt.Sprintf("Clasificador %d", i), DNI: fmt.Sprintf("4123456%d", i),
				CertificationNumber: fmt.Sprintf("C-%d", i), CertificationDate: "2024-03-01"}
			if err := tx.CreateClassifier(admin, &c); err != nil {
				return err
			}
			if i == 1 {
				r.lenientName = "associations/" + a.ID + "/classifiers/" + c.ID
			}
			for range 6 {
				l := millwa.Lot{AssociationID: a.ID, Standard: "pe-ntp-231-301-2014", Campaign: 2026, Breed: "HUACAYA", Colour: "WHITE",
					DeclaredGroup: "FLEECE", MarketGroup: "FLEECE", ClassifierID: c.ID, NetWeightGrams: 20_000, AskPricePerKg: 2_000,
					Currency: "PEN", ClassificationDate: "2026-11-20", Ubigeo: a.Ubigeo}
				if err := tx.CreateLot(admin, &l); err != nil {
					return err
				}
				*lots = append(*lots, millwa.LotName(a.ID, l.ID))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("writing the registry: %v", err)
	}
	return r
}

func (r *region) check(t *testing.T, lot string, mean float64) *millwav1.CheckGrading {
	t.Helper()
	sd, n := 4.0, int64(1500)
	resp, err := r.s.RecordCheckGrading(r.inspector, &millwav1.RecordCheckGradingRequest{Parent: r.agency, CheckGrading: &millwav1.CheckGrading{
		Lot: lot, Sample: &millwav1.FiberSample{MeanFiberDiameterUm: &mean, SdUm: &sd, FibersMeasured: &n},
	}})
	if err != nil {
		t.Fatalf("RecordCheckGrading: %v", err)
	}
	return resp.GetCheckGrading()
}

// TestConsistencyReportListsTheLenientClassifier checks the accurate
// classifier's lots at FLEECE and the lenient one's a group coarser; the
// report lists the lenient one alone, with the bias of its lots.
func TestConsistencyReportListsTheLenientClassifier(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		r := newRegion(t, url)
		for _, lot := range r.accurate {
			if c := r.check(t, lot, 24.5); c.GetAgreement() != millwav1.Agreement_AGREEMENT_EXACT || c.GetCheckGrade().GetQualityGroup() != "FLEECE" {
				t.Fatalf("check of an accurate lot: %v", c)
			}
		}
		for _, lot := range r.lenient {
			if c := r.check(t, lot, 27.5); c.GetGroupOffset() == 0 || c.GetCheckGrade().GetMetrics().GetMeanFiberDiameterUm() != 27.5 {
				t.Fatalf("check of a lenient lot: %v", c)
			}
		}
		now := time.Now()
		resp, err := r.s.GetConsistencyReport(r.inspector, &millwav1.GetConsistencyReportRequest{
			Scope:     &millwav1.GetConsistencyReportRequest_Region{Region: "21"},
			StartTime: timestamppb.New(now.AddDate(0, -1, 0)), EndTime: timestamppb.New(now.Add(time.Hour)),
			Standard: "standards/pe-ntp-231-301-2014",
		})
		if err != nil {
			t.Fatalf("GetConsistencyReport: %v", err)
		}
		rep := resp.GetConsistencyReport()
		if rep.GetOverall().GetCheckCount() != 12 || rep.GetClassifierCount() != 2 || rep.GetLotCount() != 12 {
			t.Errorf("report counts %d checks, %d classifiers, %d lots; want 12, 2, 12",
				rep.GetOverall().GetCheckCount(), rep.GetClassifierCount(), rep.GetLotCount())
		}
		below := rep.GetClassifiersBelowThreshold()
		if len(below) != 1 || below[0].GetClassifier() != r.lenientName {
			t.Fatalf("below threshold %v; want %s alone", below, r.lenientName)
		}
		stats := below[0].GetStatistics()
		if stats.GetCheckCount() != 6 || stats.GetExactAgreementCount() != 0 || stats.GetMeanBiasUm() <= 0 {
			t.Errorf("lenient statistics %v; want 6 checks, none exact, a positive bias", stats)
		}

		plan, err := r.s.ProposeSamplingPlan(r.inspector, &millwav1.ProposeSamplingPlanRequest{
			Region: "21", StartTime: timestamppb.New(now.AddDate(0, -1, 0)), EndTime: timestamppb.New(now.Add(time.Hour)), Seed: new(int64(7)),
		})
		if err != nil {
			t.Fatalf("ProposeSamplingPlan: %v", err)
		}
		if got := plan.GetSamplingPlan().GetClassifierSamples(); len(got) != 2 || got[0].GetLotCount() != 6 {
			t.Errorf("plan samples %v; want both classifiers with 6 lots", got)
		}
	})
}

// TestAuditScopes: an agency outside a region gets NotFound for it; a
// lot outside its regions cannot be checked; bad periods name their field.
func TestAuditScopes(t *testing.T) {
	r := newRegion(t, storetest.SQLiteURL(t))
	cusco := rpctest.As(millwa.Principal{Role: millwa.RoleAgency, KeyID: "k-cusco", Organisation: r.agency, Regions: []string{"08"}})
	now := time.Now()
	if _, err := r.s.GetConsistencyReport(cusco, &millwav1.GetConsistencyReportRequest{
		Scope: &millwav1.GetConsistencyReportRequest_Region{Region: "21"}, StartTime: timestamppb.New(now.AddDate(0, -1, 0)),
		EndTime: timestamppb.New(now), Standard: "standards/pe-ntp-231-301-2014",
	}); millwa.ErrorCode(err) != millwa.NotFound {
		t.Errorf("a report on another region = %v; want NotFound", err)
	}
	_, err := r.s.RecordCheckGrading(cusco, &millwav1.RecordCheckGradingRequest{Parent: r.agency, CheckGrading: &millwav1.CheckGrading{
		Lot: r.lenient[0], Sample: &millwav1.FiberSample{MeanFiberDiameterUm: new(22.0)},
	}})
	if millwa.ErrorCode(err) != millwa.NotFound {
		t.Errorf("checking a lot outside the agency's regions = %v; want NotFound", err)
	}
	_, err = r.s.GetConsistencyReport(r.inspector, &millwav1.GetConsistencyReportRequest{
		Scope: &millwav1.GetConsistencyReportRequest_Region{Region: "21"}, StartTime: timestamppb.New(now),
		EndTime: timestamppb.New(now.AddDate(-6, 0, 0)), Standard: "standards/pe-ntp-231-301-2014",
	})
	var me *millwa.Error
	if !errors.As(err, &me) || me.Code != millwa.Invalid || len(me.Violations) != 1 || me.Violations[0].Field != "end_time" {
		t.Errorf("a report ending before it starts = %v; want Invalid on end_time", err)
	}
}
