package grading_test

import (
	"context"
	"errors"
	"testing"

	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/millwa"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	gradingsvc "github.com/millwa/millwa/services/grading"
)

func newServer(t *testing.T) *gradingsvc.Server {
	t.Helper()
	reg, err := grading.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return gradingsvc.New(reg)
}

// TestGradeSample grades a borderline sample, explained in both languages,
// and answers the precise error for a bad sample and an unknown standard.
func TestGradeSample(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	mean, sd, n := 22.95, 4.6, int64(400)
	resp, err := s.GradeSample(ctx, &millwav1.GradeSampleRequest{Standard: "standards/pe-ntp-231-301-2014",
		Sample: &millwav1.FiberSample{MeanFiberDiameterUm: &mean, SdUm: &sd, FibersMeasured: &n}})
	if err != nil {
		t.Fatalf("GradeSample: %v", err)
	}
	if !resp.GetBorderline() || len(resp.GetAlternatives()) == 0 || resp.GetExplanation().GetEs() == "" || resp.GetExplanation().GetEn() == "" {
		t.Errorf("grade %v; want a borderline grade with alternatives, explained in Spanish and English", resp)
	}
	if got := resp.GetMetrics().GetFibersMeasured(); got != n {
		t.Errorf("metrics count %d fibres; want %d", got, n)
	}
	_, err = s.GradeSample(ctx, &millwav1.GradeSampleRequest{Standard: "standards/pe-ntp-231-301-2014", Sample: &millwav1.FiberSample{}})
	var me *millwa.Error
	if !errors.As(err, &me) || me.Code != millwa.Invalid || len(me.Violations) == 0 {
		t.Errorf("GradeSample of an empty sample = %v; want Invalid naming fields", err)
	}
	if _, err := s.GradeSample(ctx, &millwav1.GradeSampleRequest{Standard: "standards/xx-none", Sample: &millwav1.FiberSample{MeanFiberDiameterUm: &mean}}); millwa.ErrorCode(err) != millwa.NotFound {
		t.Errorf("GradeSample under an unknown standard = %v; want NotFound", err)
	}
}

// TestListStandards pages through the standards one at a time and filters
// them by country.
func TestListStandards(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	var all []string
	req := &millwav1.ListStandardsRequest{PageSize: 1}
	for {
		resp, err := s.ListStandards(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range resp.GetStandards() {
			all = append(all, st.GetName())
		}
		if resp.GetNextPageToken() == "" {
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	if len(all) < 3 {
		t.Fatalf("standards %v; want every shipped one", all)
	}
	for i := 1; i < len(all); i++ {
		if all[i] <= all[i-1] {
			t.Errorf("standards %v not in id order", all)
		}
	}
	peru, err := s.ListStandards(ctx, &millwav1.ListStandardsRequest{Filter: `country_code = "PE"`})
	if err != nil || len(peru.GetStandards()) == 0 || len(peru.GetStandards()) >= len(all) {
		t.Fatalf("Peru's standards %d of %d, %v", len(peru.GetStandards()), len(all), err)
	}
	for _, st := range peru.GetStandards() {
		if st.GetCountryCode() != "PE" {
			t.Errorf("%s of %s listed under PE", st.GetName(), st.GetCountryCode())
		}
	}
}
