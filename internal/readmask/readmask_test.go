package readmask_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/readmask"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

func TestMaskPrunesEachResource(t *testing.T) {
	t.Parallel()
	lot := func() *millwav1.Lot {
		return &millwav1.Lot{
			Name: "associations/a/lots/l", AskPricePerKg: 2200, NetWeightGrams: 46000, Colour: "WHITE",
			MeasuredGrade: &millwav1.Grade{Standard: "standards/s", QualityGroup: "BABY", Borderline: true},
		}
	}
	resp := &millwav1.ListLotsResponse{Lots: []*millwav1.Lot{lot(), lot()}, NextPageToken: "next"}
	before := proto.Clone(resp)
	out := (*millwav1.ListLotsResponse)(nil).ProtoReflect().Descriptor()
	m, err := readmask.Compile(out, []string{"name", "askPricePerKg", "measured_grade.qualityGroup", "name"})
	if err != nil {
		t.Fatal(err)
	}
	got := m.Apply(resp)
	item := &millwav1.Lot{Name: "associations/a/lots/l", AskPricePerKg: 2200, MeasuredGrade: &millwav1.Grade{QualityGroup: "BABY"}}
	want := &millwav1.ListLotsResponse{Lots: []*millwav1.Lot{item, item}, NextPageToken: "next"}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("Apply (-want +got):\n%s", diff)
	}
	if !proto.Equal(resp, before) {
		t.Errorf("Apply changed the response it was given")
	}
}

func TestCompileRefusesPathsThatNameNoField(t *testing.T) {
	t.Parallel()
	out := (*millwav1.GetLotResponse)(nil).ProtoReflect().Descriptor()
	for _, tt := range []struct {
		paths []string
		want  []string
	}{
		{[]string{"name", "price"}, []string{"read_mask.paths[1]"}},
		{[]string{"*", "name"}, []string{"read_mask.paths[0]"}},
		{[]string{"name.first", ""}, []string{"read_mask.paths[0]", "read_mask.paths[1]"}},
		{[]string{"contributions.grams"}, []string{"read_mask.paths[0]"}},
		{make([]string, readmask.MaxPaths+1), []string{"read_mask"}},
	} {
		_, err := readmask.Compile(out, tt.paths)
		e, ok := err.(*millwa.Error)
		if !ok || e.Code != millwa.Invalid {
			t.Errorf("Compile(%q) = %v, want Invalid", tt.paths, err)
			continue
		}
		var fields []string
		for _, v := range e.Violations {
			fields = append(fields, v.Field)
		}
		if diff := cmp.Diff(tt.want, fields); diff != "" {
			t.Errorf("Compile(%q) violations (-want +got):\n%s", tt.paths, diff)
		}
	}
}
