package rpc_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/millwa"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

var testMask = rpc.Mask{
	Updatable:  []string{"legal_name", "community", "contact"},
	OutputOnly: []string{"create_time", "update_time"},
}

// TestMaskPaths: which paths a mask may name, and the field each refusal
// names.
func TestMaskPaths(t *testing.T) {
	cur := &millwav1.Association{Name: "associations/a", LegalName: "Old", Ruc: "20448012345", Community: "Ichu",
		Contact: &millwav1.Contact{PersonName: "Rosa", Phone: "+51 951 234 567"}}
	for _, c := range []struct {
		name       string
		in         *millwav1.Association
		paths      []string // nil: an empty mask
		want       *millwav1.Association
		violations []string
	}{
		{name: "one field", in: &millwav1.Association{LegalName: "New"}, paths: []string{"legal_name"},
			want: &millwav1.Association{Name: "associations/a", LegalName: "New", Ruc: "20448012345", Community: "Ichu", Contact: cur.Contact}},
		{name: "cleared when absent", in: &millwav1.Association{}, paths: []string{"community"},
			want: &millwav1.Association{Name: "associations/a", LegalName: "Old", Ruc: "20448012345", Contact: cur.Contact}},
		{name: "nested", in: &millwav1.Association{Contact: &millwav1.Contact{Phone: "+51 984 000 111"}}, paths: []string{"contact.phone"},
			want: &millwav1.Association{Name: "associations/a", LegalName: "Old", Ruc: "20448012345", Community: "Ichu",
				Contact: &millwav1.Contact{PersonName: "Rosa", Phone: "+51 984 000 111"}}},
		{name: "implied by what is set, name and etag ignored", in: &millwav1.Association{Name: "associations/a", Etag: "r1", Community: "Ccollpa"},
			want: &millwav1.Association{Name: "associations/a", LegalName: "Old", Ruc: "20448012345", Community: "Ccollpa", Contact: cur.Contact}},
		{name: "immutable with its value", in: &millwav1.Association{Ruc: "20448012345", LegalName: "New"}, paths: []string{"ruc", "legal_name"},
			want: &millwav1.Association{Name: "associations/a", LegalName: "New", Ruc: "20448012345", Community: "Ichu", Contact: cur.Contact}},
		{name: "immutable changed", in: &millwav1.Association{Ruc: "20100000001"}, paths: []string{"legal_name", "ruc"},
			violations: []string{"update_mask.paths[1]"}},
		{name: "star", in: &millwav1.Association{}, paths: []string{"*"}, violations: []string{"update_mask.paths[0]"}},
		{name: "unknown", in: &millwav1.Association{}, paths: []string{"community", "legalname", "contact.fax", "community.x"},
			violations: []string{"update_mask.paths[1]", "update_mask.paths[2]", "update_mask.paths[3]"}},
		{name: "JSON names", in: &millwav1.Association{LegalName: "New", Contact: &millwav1.Contact{PersonName: "Juana"}},
			paths: []string{"legalName", "contact.personName"},
			want: &millwav1.Association{Name: "associations/a", LegalName: "New", Ruc: "20448012345", Community: "Ichu",
				Contact: &millwav1.Contact{PersonName: "Juana", Phone: "+51 951 234 567"}}},
		{name: "output only", in: &millwav1.Association{CreateTime: timestamppb.Now()}, paths: []string{"create_time"},
			violations: []string{"update_mask.paths[0]"}},
		{name: "implied output only", in: &millwav1.Association{CreateTime: timestamppb.Now(), Community: "x"},
			violations: []string{"association.create_time"}},
		{name: "nothing", in: &millwav1.Association{Etag: "r1"}, violations: []string{"update_mask"}},
		{name: "only an immutable field as it is", in: &millwav1.Association{Ruc: "20448012345"}, paths: []string{"ruc"},
			violations: []string{"update_mask"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var mask *fieldmaskpb.FieldMask
			if c.paths != nil {
				mask = &fieldmaskpb.FieldMask{Paths: c.paths}
			}
			var vs millwa.Violations
			paths := testMask.Paths(&vs, "association", c.in, mask)
			got := proto.Clone(cur).(*millwav1.Association)
			if len(vs) == 0 {
				paths.Apply(&vs, "association", got, c.in)
			}
			var fields []string
			for _, v := range vs {
				fields = append(fields, v.Field)
			}
			if diff := cmp.Diff(c.violations, fields); diff != "" {
				t.Fatalf("violations (-want +got):\n%s", diff)
			}
			if c.want != nil {
				if diff := cmp.Diff(c.want, got, protocmp.Transform()); diff != "" {
					t.Errorf("applied (-want +got):\n%s", diff)
				}
			}
		})
	}
}
