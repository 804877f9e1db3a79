package registry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpctest"
	"github.com/millwa/millwa/services/registry"
)

// The handlers are called directly, with the caller's principal in the
// context as the interceptors put it, over a real database: no listener,
// no interceptor chain.

func newServer(t *testing.T, url string) *registry.Server {
	t.Helper()
	reg := rpctest.Standards(t)
	return registry.New(storetest.NewStore(t, url), reg, false)
}

func as(role millwa.Role, organisation string) context.Context {
	return rpctest.As(millwa.Principal{KeyID: "k-" + string(role), Role: role, Organisation: organisation})
}

var admin = as(millwa.RoleAdmin, "")

// fixture is an association with a classifier and a member.
type fixture struct {
	association, classifier, member string
	ctx                             context.Context // the association's own key
}

func newFixture(t *testing.T, s *registry.Server, n int) fixture {
	t.Helper()
	a, err := s.CreateAssociation(admin, &millwav1.CreateAssociationRequest{Association: &millwav1.Association{
		LegalName: fmt.Sprintf("Asociación %d", n), Ruc: rpctest.RUC(n), Ubigeo: "210101",
		Contact: &millwav1.Contact{PersonName: "Juan Mamani", Phone: "+51951000111"},
	}})
	if err != nil {
		t.Fatalf("CreateAssociation: %v", err)
	}
	f := fixture{association: a.GetAssociation().GetName()}
	f.ctx = as(millwa.RoleAssociation, f.association)
	c, err := s.CreateClassifier(f.ctx, &millwav1.CreateClassifierRequest{Parent: f.association, Classifier: &millwav1.Classifier{
		DisplayName: "Rosa Quispe", Dni: fmt.Sprintf("4%07d", n), CertificationNumber: fmt.Sprintf("CERT-%d", n), CertificationDate: "2024-03-01",
	}})
	if err != nil {
		t.Fatalf("CreateClassifier: %v", err)
	}
	f.classifier = c.GetClassifier().GetName()
	m, err := s.CreateMember(f.ctx, &millwav1.CreateMemberRequest{Parent: f.association, Member: &millwav1.Member{
		DisplayName: "Juana Mamani", Dni: fmt.Sprintf("7%07d", n), Sex: millwav1.Sex_SEX_FEMALE,
	}})
	if err != nil {
		t.Fatalf("CreateMember: %v", err)
	}
	f.member = m.GetMember().GetName()
	return f
}

func measuredLot(f fixture, mean, sd float64, fibres int64) *millwav1.Lot {
	return &millwav1.Lot{
		Standard: "standards/pe-ntp-231-301-2014", Campaign: 2026, Breed: "HUACAYA", Colour: "WHITE",
		DeclaredQualityGroup: "FLEECE", Classifier: f.classifier, NetWeightGrams: 40_000, AskPricePerKg: 2_300,
		Contributions: []*millwav1.Contribution{{Member: f.member, Grams: 40_000}},
		Measurement:   &millwav1.FiberSample{MeanFiberDiameterUm: &mean, SdUm: &sd, FibersMeasured: &fibres},
	}
}

// TestLotGradeIsStoredAndReadBack stores a measured lot and reads it back
// with the grade it was given; reads the grade as the first rows hold it
// (the API's JSON of a Grade); and refuses a corrupted one, naming the lot.
func TestLotGradeIsStoredAndReadBack(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		s := newServer(t, url)
		f := newFixture(t, s, 1)
		created, err := s.CreateLot(f.ctx, &millwav1.CreateLotRequest{Parent: f.association, Lot: measuredLot(f, 22.95, 4.6, 400)})
		if err != nil {
			t.Fatalf("CreateLot: %v", err)
		}
		grade := created.GetLot().GetMeasuredGrade()
		if grade.GetQualityGroup() == "" || !grade.GetBorderline() || grade.GetMetrics().GetFibersMeasured() != 400 {
			t.Fatalf("created lot's grade %v; want a borderline grade of 400 fibres", grade)
		}
		name := created.GetLot().GetName()
		read := func() (*millwav1.Lot, error) {
			got, err := s.GetLot(f.ctx, &millwav1.GetLotRequest{Name: name})
			return got.GetLot(), err
		}
		got, err := read()
		if err != nil {
			t.Fatalf("GetLot: %v", err)
		}
		if diff := cmp.Diff(grade, got.GetMeasuredGrade(), protocmp.Transform()); diff != "" {
			t.Errorf("grade read back differs from the one stored (-created +read):\n%s", diff)
		}

		db, rebind := storetest.RawDB(t, url)
		id := name[strings.LastIndex(name, "/")+1:]
		setRecord := func(record string) {
			t.Helper()
			if _, err := db.ExecContext(t.Context(), rebind(`UPDATE lots SET grading_detail = ? WHERE id = ?`), record, id); err != nil {
				t.Fatalf("writing the lot's grade: %v", err)
			}
		}
		firstRow, err := protojson.Marshal(grade)
		if err != nil {
			t.Fatal(err)
		}
		setRecord(string(firstRow))
		if got, err = read(); err != nil || !proto.Equal(got.GetMeasuredGrade(), grade) {
			t.Errorf("a grade stored as the API's JSON reads as %v, %v; want %v", got.GetMeasuredGrade(), err, grade)
		}

		setRecord(`{"standard":"pe-ntp-231-301-2014","quality_group":"FLEECE"}`)
		_, err = read()
		var me *millwa.Error
		if !errors.As(err, &me) || me.Code != millwa.Internal || !strings.Contains(err.Error(), name) || !errors.Is(err, grading.ErrBadRecord) {
			t.Errorf("GetLot of a corrupted grade = %v; want an internal error naming %s", err, name)
		}
		if _, err := s.ListLots(f.ctx, &millwav1.ListLotsRequest{Parent: f.association}); !errors.Is(err, grading.ErrBadRecord) {
			t.Errorf("ListLots over a corrupted grade = %v; want the record's error", err)
		}
	})
}

// TestListsFilterAndPage walks a filtered list page by page and refuses a
// page token reused under another filter.
func TestListsFilterAndPage(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		s := newServer(t, url)
		f := newFixture(t, s, 1)
		for i := range 5 {
			if _, err := s.CreateMember(f.ctx, &millwav1.CreateMemberRequest{Parent: f.association, Member: &millwav1.Member{
				DisplayName: fmt.Sprintf("Socia %d", i), Dni: fmt.Sprintf("6%07d", i), Sex: millwav1.Sex_SEX_FEMALE,
			}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CreateMember(f.ctx, &millwav1.CreateMemberRequest{Parent: f.association, Member: &millwav1.Member{
			DisplayName: "Socio", Dni: "59999999", Sex: millwav1.Sex_SEX_MALE,
		}}); err != nil {
			t.Fatal(err)
		}
		var names []string
		req := &millwav1.ListMembersRequest{Parent: f.association, PageSize: 4, Filter: `sex = FEMALE`, OrderBy: "display_name"}
		for {
			resp, err := s.ListMembers(f.ctx, req)
			if err != nil {
				t.Fatalf("ListMembers: %v", err)
			}
			for _, m := range resp.GetMembers() {
				names = append(names, m.GetDisplayName())
			}
			if resp.GetNextPageToken() == "" {
				break
			}
			req.PageToken = resp.GetNextPageToken()
		}
		want := []string{"Juana Mamani", "Socia 0", "Socia 1", "Socia 2", "Socia 3", "Socia 4"}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("female members by name (-want +got):\n%s", diff)
		}

		req.Filter = `sex = MALE`
		if _, err := s.ListMembers(f.ctx, req); millwa.ErrorCode(err) != millwa.Invalid {
			t.Errorf("a page token under another filter = %v; want Invalid", err)
		}
		for filter, field := range map[string]string{`sex = OTHER`: "filter", `dni > "1"`: "filter"} {
			_, err := s.ListMembers(f.ctx, &millwav1.ListMembersRequest{Parent: f.association, Filter: filter})
			var me *millwa.Error
			if !errors.As(err, &me) || me.Code != millwa.Invalid || len(me.Violations) != 1 || me.Violations[0].Field != field {
				t.Errorf("filter %q = %v; want Invalid on %s", filter, err, field)
			}
		}
	})
}

// TestTenancy: another association's lot and members answer NotFound, and
// a processor may not list members at all.
func TestTenancy(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		s := newServer(t, url)
		mine, theirs := newFixture(t, s, 1), newFixture(t, s, 2)
		lot, err := s.CreateLot(theirs.ctx, &millwav1.CreateLotRequest{Parent: theirs.association, Lot: measuredLot(theirs, 21, 4, 300)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetLot(mine.ctx, &millwav1.GetLotRequest{Name: lot.GetLot().GetName()}); millwa.ErrorCode(err) != millwa.NotFound {
			t.Errorf("GetLot of another association's lot = %v; want NotFound", err)
		}
		if _, err := s.ListMembers(mine.ctx, &millwav1.ListMembersRequest{Parent: theirs.association}); millwa.ErrorCode(err) != millwa.NotFound {
			t.Errorf("ListMembers of another association = %v; want NotFound", err)
		}
		if _, err := s.CreateLot(mine.ctx, &millwav1.CreateLotRequest{Parent: theirs.association, Lot: measuredLot(theirs, 21, 4, 300)}); millwa.ErrorCode(err) != millwa.NotFound {
			t.Errorf("CreateLot under another association = %v; want NotFound", err)
		}
		processor := as(millwa.RoleProcessor, "processors/0190c0de-0000-7000-8000-000000000001")
		if _, err := s.ListMembers(processor, &millwav1.ListMembersRequest{Parent: mine.association}); millwa.ErrorCode(err) != millwa.PermissionDenied {
			t.Errorf("ListMembers by a processor = %v; want PermissionDenied", err)
		}
		if _, err := s.GetLot(context.Background(), &millwav1.GetLotRequest{Name: lot.GetLot().GetName()}); millwa.ErrorCode(err) != millwa.Unauthenticated {
			t.Errorf("GetLot without a principal = %v; want Unauthenticated", err)
		}
	})
}

// TestCreateRefusesBadInput: violations name every bad field and nothing
// is written.
func TestCreateRefusesBadInput(t *testing.T) {
	s := newServer(t, storetest.SQLiteURL(t))
	f := newFixture(t, s, 1)
	_, err := s.CreateAssociation(admin, &millwav1.CreateAssociationRequest{RequestId: "has space"})
	var me *millwa.Error
	if !errors.As(err, &me) || me.Code != millwa.Invalid {
		t.Fatalf("CreateAssociation without one = %v; want Invalid", err)
	}
	var fields []string
	for _, v := range me.Violations {
		fields = append(fields, v.Field)
	}
	if diff := cmp.Diff([]string{"request_id", "association"}, fields); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
	bad := measuredLot(f, 22, 4, 300)
	bad.Colour, bad.NetWeightGrams = "PURPLE", 0
	if _, err := s.CreateLot(f.ctx, &millwav1.CreateLotRequest{Parent: f.association, Lot: bad}); millwa.ErrorCode(err) != millwa.Invalid {
		t.Errorf("CreateLot of a bad lot = %v; want Invalid", err)
	}
	list, err := s.ListLots(f.ctx, &millwav1.ListLotsRequest{Parent: f.association})
	if err != nil || len(list.GetLots()) != 0 {
		t.Errorf("lots after refused creates: %v, %v; want none", list.GetLots(), err)
	}
}
