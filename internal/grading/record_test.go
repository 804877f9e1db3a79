package grading_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/grading"
)

func TestRecordRoundTrip(t *testing.T) {
	st := standard(t, "pe-ntp-231-301-2014")
	hist := grading.Sample{Breed: "HUACAYA", Histogram: &grading.Histogram{StartUm: 14, WidthUm: 1,
		Counts: []int64{10, 40, 120, 260, 380, 420, 360, 230, 110, 50, 20}}}
	for name, sample := range map[string]grading.Sample{
		"mean only":  summary(24.6),
		"borderline": measured(22.95, 4.8, 300),
		"histogram":  hist,
		"short":      withStaple(measured(21, 4, 2000), 40),
	} {
		t.Run(name, func(t *testing.T) {
			g, err := st.Grade(sample)
			if err != nil {
				t.Fatalf("Grade: %v", err)
			}
			b, err := grading.EncodeRecord(g)
			if err != nil {
				t.Fatalf("EncodeRecord: %v", err)
			}
			got, err := grading.DecodeRecord(b)
			if err != nil {
				t.Fatalf("DecodeRecord(%s): %v", b, err)
			}
			if diff := cmp.Diff(g, got); diff != "" {
				t.Errorf("decoded grade differs from the one stored (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRecordReadsFirstRows reads a grade as the first rows hold it: the
// API's JSON of a Grade, with the standard's resource name, the fibre
// count as a string and protobuf's spacing.
func TestRecordReadsFirstRows(t *testing.T) {
	row := `{"standard":"standards/pe-ntp-231-301-2014", "qualityGroup":"FLEECE",
		"qualityGroupName":{"es":"Fleece","en":"Fleece"},
		"metrics":{"meanFiberDiameterUm":23.1, "sdUm":4.2, "cvPercent":18.18, "spinningFinenessUm":22.4,
		"fibersMeasured":"2000", "mfdCi95LowUm":22.9, "mfdCi95HighUm":23.3},
		"borderline":true, "alternatives":["BABY","FLEECE"], "explanation":{"es":"regla","en":"rule"}}`
	got, err := grading.DecodeRecord([]byte(row))
	if err != nil {
		t.Fatalf("DecodeRecord: %v", err)
	}
	want := grading.Grade{
		Standard: "pe-ntp-231-301-2014", QualityGroup: "FLEECE", QualityGroupName: grading.Text{ES: "Fleece", EN: "Fleece"},
		Metrics: grading.Metrics{MeanFiberDiameterUm: 23.1, SDUm: new(4.2), CVPercent: new(18.18), SpinningFinenessUm: new(22.4),
			FibersMeasured: new(int64(2000)), MFDCI95LowUm: new(22.9), MFDCI95HighUm: new(23.3)},
		Borderline: true, Alternatives: []string{"BABY", "FLEECE"}, Explanation: grading.Text{ES: "regla", EN: "rule"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first-row grade (-want +got):\n%s", diff)
	}
}

func TestRecordRefusesBadRows(t *testing.T) {
	for name, row := range map[string]string{
		"not JSON":         `{"standard":"pe-ntp-231-301-2014","qualityGroup":`,
		"renamed key":      `{"standard":"pe-ntp-231-301-2014","quality_group":"FLEECE"}`,
		"no group":         `{"standard":"pe-ntp-231-301-2014","metrics":{"meanFiberDiameterUm":23}}`,
		"no standard":      `{"qualityGroup":"FLEECE"}`,
		"empty":            ``,
		"trailing data":    `{"standard":"s","qualityGroup":"FLEECE"} {}`,
		"count not number": `{"standard":"s","qualityGroup":"FLEECE","metrics":{"fibersMeasured":"many"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			g, err := grading.DecodeRecord([]byte(row))
			if !errors.Is(err, grading.ErrBadRecord) {
				t.Fatalf("DecodeRecord(%q) = %+v, %v; want an error wrapping ErrBadRecord", row, g, err)
			}
		})
	}
}
