package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// registryAs calls the member and classifier RPCs with one key (secret, ""
// for none) over one transport ("grpc" or "rest"), so that every test runs
// alike over both. A REST error comes back as the gRPC status its body
// carries, after checking that its HTTP status matches the code.
type registryAs struct {
	ts        *testServer
	transport string
	secret    string
}

func (r registryAs) client(t *testing.T) millwav1.RegistryServiceClient {
	t.Helper()
	return millwav1.NewRegistryServiceClient(r.ts.dial(t, r.secret))
}

// restCallTo sends one REST call and decodes the answer into out, or
// returns its error status.
func (r registryAs) restCallTo(t *testing.T, method, path string, body proto.Message, out proto.Message) error {
	t.Helper()
	b := ""
	if body != nil {
		b = jsonBody(t, body)
	}
	res := r.ts.restAs(t, r.secret, method, path, b)
	if res.code == http.StatusOK {
		if err := protojson.Unmarshal(res.body, out); err != nil {
			t.Fatalf("%s %s: decoding %T: %v\n%s", method, path, out, err, res.body)
		}
		return nil
	}
	var sp spb.Status
	if err := protojson.Unmarshal(res.body, &sp); err != nil {
		t.Fatalf("%s %s: HTTP %d, body is not google.rpc.Status JSON: %v\n%.500s", method, path, res.code, err, res.body)
	}
	st := status.FromProto(&sp)
	if want := runtime.HTTPStatusFromCode(st.Code()); res.code != want {
		t.Errorf("%s %s: HTTP %d for %v, want %d", method, path, res.code, st.Code(), want)
	}
	return st.Err()
}

func withRequestID(path, id string) string {
	if id == "" {
		return path
	}
	return path + "?requestId=" + url.QueryEscape(id)
}

func listQuery(pageSize int32, token, filter, orderBy string) string {
	q := url.Values{}
	if pageSize != 0 {
		q.Set("pageSize", fmt.Sprint(pageSize))
	}
	for k, v := range map[string]string{"pageToken": token, "filter": filter, "orderBy": orderBy} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q.Encode()
}

func (r registryAs) createMember(t *testing.T, req *millwav1.CreateMemberRequest) (*millwav1.Member, error) {
	t.Helper()
	if r.transport == "grpc" {
		resp, err := r.client(t).CreateMember(t.Context(), req)
		return resp.GetMember(), err
	}
	var m millwav1.Member
	if err := r.restCallTo(t, http.MethodPost, withRequestID("/v1/"+req.GetParent()+"/members", req.GetRequestId()), req.GetMember(), &m); err != nil {
		return nil, err
	}
	return &m, nil
}

func (r registryAs) listMembers(t *testing.T, req *millwav1.ListMembersRequest) (*millwav1.ListMembersResponse, error) {
	t.Helper()
	if r.transport == "grpc" {
		return r.client(t).ListMembers(t.Context(), req)
	}
	var resp millwav1.ListMembersResponse
	path := "/v1/" + req.GetParent() + "/members?" + listQuery(req.GetPageSize(), req.GetPageToken(), req.GetFilter(), req.GetOrderBy())
	if err := r.restCallTo(t, http.MethodGet, path, nil, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

func (r registryAs) createClassifier(t *testing.T, req *millwav1.CreateClassifierRequest) (*millwav1.Classifier, error) {
	t.Helper()
	if r.transport == "grpc" {
		resp, err := r.client(t).CreateClassifier(t.Context(), req)
		return resp.GetClassifier(), err
	}
	var c millwav1.Classifier
	if err := r.restCallTo(t, http.MethodPost, withRequestID("/v1/"+req.GetParent()+"/classifiers", req.GetRequestId()), req.GetClassifier(), &c); err != nil {
		return nil, err
	}
	return &c, nil
}

func (r registryAs) listClassifiers(t *testing.T, req *millwav1.ListClassifiersRequest) (*millwav1.ListClassifiersResponse, error) {
	t.Helper()
	if r.transport == "grpc" {
		return r.client(t).ListClassifiers(t.Context(), req)
	}
	var resp millwav1.ListClassifiersResponse
	path := "/v1/" + req.GetParent() + "/classifiers?" + listQuery(req.GetPageSize(), req.GetPageToken(), req.GetFilter(), req.GetOrderBy())
	if err := r.restCallTo(t, http.MethodGet, path, nil, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// memberNames lists every member of parent that filter and orderBy select,
// following pages of pageSize, and returns their names and the members.
func (r registryAs) memberNames(t *testing.T, parent, filter, orderBy string, pageSize int32) ([]string, []*millwav1.Member) {
	t.Helper()
	var names []string
	var all []*millwav1.Member
	token := ""
	for pages := 0; pages < 100; pages++ {
		resp, err := r.listMembers(t, &millwav1.ListMembersRequest{Parent: parent, PageSize: pageSize, PageToken: token, Filter: filter, OrderBy: orderBy})
		if err != nil {
			t.Fatalf("ListMembers(%s, filter %q, order %q) over %s: %v", parent, filter, orderBy, r.transport, err)
		}
		for _, m := range resp.GetMembers() {
			names = append(names, m.GetName())
			all = append(all, m)
		}
		if pageSize > 0 && len(resp.GetMembers()) > int(pageSize) {
			t.Fatalf("page of %d members, asked for %d", len(resp.GetMembers()), pageSize)
		}
		if token = resp.GetNextPageToken(); token == "" {
			return names, all
		}
	}
	t.Fatal("ListMembers does not end")
	return nil, nil
}

// classifierNames is memberNames for classifiers.
func (r registryAs) classifierNames(t *testing.T, parent, filter, orderBy string, pageSize int32) []string {
	t.Helper()
	var names []string
	token := ""
	for pages := 0; pages < 100; pages++ {
		resp, err := r.listClassifiers(t, &millwav1.ListClassifiersRequest{Parent: parent, PageSize: pageSize, PageToken: token, Filter: filter, OrderBy: orderBy})
		if err != nil {
			t.Fatalf("ListClassifiers(%s, filter %q, order %q) over %s: %v", parent, filter, orderBy, r.transport, err)
		}
		for _, c := range resp.GetClassifiers() {
			names = append(names, c.GetName())
		}
		if token = resp.GetNextPageToken(); token == "" {
			return names
		}
	}
	t.Fatal("ListClassifiers does not end")
	return nil
}

var transports = []string{"grpc", "rest"}

// newDNI returns a DNI not used before by this test binary.
func newDNI() string { return fmt.Sprintf("%08d", 41000000+fixtureN.Add(1)) }

// newMember returns a valid member, not yet created.
func newMember(name string, sex millwav1.Sex, herd int32) *millwav1.Member {
	return &millwav1.Member{DisplayName: name, Dni: newDNI(), Sex: sex, HerdSize: proto.Int32(herd)}
}

// newClassifier returns a valid classifier, not yet created.
func newClassifier(name string) *millwav1.Classifier {
	return &millwav1.Classifier{DisplayName: name, Dni: newDNI(), CertificationNumber: "SINEACE-" + newDNI(), CertificationDate: "2023-06-15"}
}

// mustCreateMember creates a member as the admin over gRPC.
func (ts *testServer) mustCreateMember(t *testing.T, parent string, m *millwav1.Member) *millwav1.Member {
	t.Helper()
	resp, err := millwav1.NewRegistryServiceClient(ts.conn).CreateMember(t.Context(), &millwav1.CreateMemberRequest{Parent: parent, Member: m})
	if err != nil {
		t.Fatalf("CreateMember(%s): %v", parent, err)
	}
	return resp.GetMember()
}

// mustCreateClassifier creates a classifier as the admin over gRPC.
func (ts *testServer) mustCreateClassifier(t *testing.T, parent string, c *millwav1.Classifier) *millwav1.Classifier {
	t.Helper()
	resp, err := millwav1.NewRegistryServiceClient(ts.conn).CreateClassifier(t.Context(), &millwav1.CreateClassifierRequest{Parent: parent, Classifier: c})
	if err != nil {
		t.Fatalf("CreateClassifier(%s): %v", parent, err)
	}
	return resp.GetClassifier()
}

// registryCounts counts what member and classifier RPCs may write.
type registryCounts struct {
	State                rowCounts
	Members, Classifiers int
}

func countRegistry(t *testing.T, ts *testServer) registryCounts {
	t.Helper()
	return registryCounts{
		State:       countState(t, ts),
		Members:     countRows(t, ts, "SELECT COUNT(*) FROM members"),
		Classifiers: countRows(t, ts, "SELECT COUNT(*) FROM classifiers"),
	}
}

func checkRegistryUnchanged(t *testing.T, ts *testServer, before registryCounts) {
	t.Helper()
	if diff := cmp.Diff(before, countRegistry(t, ts)); diff != "" {
		t.Errorf("a refused request wrote rows (-before +after):\n%s", diff)
	}
}

func TestMembersOverGRPCAndREST(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.createAssociation(t, "210101").GetName()
		other := ts.createAssociation(t, "080101").GetName()
		ts.mustCreateMember(t, other, newMember("Apu Otro", millwav1.Sex_SEX_MALE, 1)) // never listed under a

		// Create over REST: the answer is the bare member.
		var first millwav1.Member
		res := ts.rest(t, http.MethodPost, "/v1/"+a+"/members?requestId=m-1",
			`{"displayName": " Rosa Quispe Mamani ", "dni": "40123456", "sex": "SEX_FEMALE", "herdSize": 120}`)
		restOK(t, "POST /v1/"+a+"/members", res, &first)
		if !strings.HasPrefix(first.GetName(), a+"/members/") || !millwa.IsID(idOf(first.GetName())) ||
			first.GetDisplayName() != "Rosa Quispe Mamani" || first.GetDni() != "40123456" || first.GetSex() != millwav1.Sex_SEX_FEMALE ||
			first.HerdSize == nil || first.GetHerdSize() != 120 || first.GetEtag() == "" ||
			first.GetCreateTime() == nil || !first.GetUpdateTime().AsTime().Equal(first.GetCreateTime().AsTime()) {
			t.Fatalf("created member lacks fields: %v", &first)
		}

		// More over gRPC, one with an unknown herd size and one with none.
		want := []*millwav1.Member{&first}
		for i, m := range []*millwav1.Member{
			newMember("Juan Mamani", millwav1.Sex_SEX_MALE, 30),
			{DisplayName: "Ñusta Ccama", Dni: newDNI(), Sex: millwav1.Sex_SEX_FEMALE}, // herd size unknown
			newMember("apu Condori", millwav1.Sex_SEX_MALE, 0),                        // no alpacas
			newMember("Killa Huaman", millwav1.Sex_SEX_FEMALE, 15),
			newMember("Apu Condori", millwav1.Sex_SEX_MALE, 90),
			newMember("Inti Apaza", millwav1.Sex_SEX_MALE, 45),
		} {
			resp, err := millwav1.NewRegistryServiceClient(ts.conn).CreateMember(t.Context(), &millwav1.CreateMemberRequest{Parent: a, Member: m})
			if err != nil {
				t.Fatalf("CreateMember %d: %v", i, err)
			}
			want = append(want, resp.GetMember())
		}
		if want[2].HerdSize != nil || want[3].HerdSize == nil || want[3].GetHerdSize() != 0 {
			t.Errorf("herd sizes %v and %v: want absent and present 0", want[2].HerdSize, want[3].HerdSize)
		}
		names := func(ms ...*millwav1.Member) []string {
			out := []string{}
			for _, m := range ms {
				out = append(out, m.GetName())
			}
			return out
		}
		pick := func(idx ...int) []string {
			out := []string{}
			for _, i := range idx {
				out = append(out, want[i].GetName())
			}
			return out
		}
		byName := append([]*millwav1.Member(nil), want...)
		sort.SliceStable(byName, func(i, j int) bool { return byName[i].GetDisplayName() > byName[j].GetDisplayName() }) // byte order, desc; no ties

		for _, transport := range transports {
			t.Run(transport, func(t *testing.T) {
				r := registryAs{ts: ts, transport: transport, secret: adminSecret}
				// Pages of 3 with their tokens: the members exactly, as
				// created, field for field.
				got, members := r.memberNames(t, a, "", "", 3)
				if diff := cmp.Diff(names(want...), got); diff != "" {
					t.Fatalf("ListMembers in pages of 3 (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(want, members, protocmp.Transform()); diff != "" {
					t.Errorf("listed members differ from created ones (-created +listed):\n%s", diff)
				}
				first, err := r.listMembers(t, &millwav1.ListMembersRequest{Parent: a, PageSize: 3})
				if err != nil || len(first.GetMembers()) != 3 || first.GetNextPageToken() == "" {
					t.Fatalf("first page of 3: %v %v", first, err)
				}

				for _, tc := range []struct {
					filter, orderBy string
					want            []string
				}{
					{`sex = FEMALE`, "", pick(0, 2, 4)},
					{`sex = "SEX_MALE"`, "", pick(1, 3, 5, 6)},
					{`sex != SEX_FEMALE`, "", pick(1, 3, 5, 6)},
					{`dni = "` + want[4].GetDni() + `"`, "", pick(4)},
					{`display_name = "Apu Condori"`, "", pick(5)},
					{`displayName = "apu Condori"`, "", pick(3)},
					{`create_time >= "` + want[5].GetCreateTime().AsTime().Format(time.RFC3339Nano) + `"`, "", pick(5, 6)},
					{`sex = MALE AND create_time < "` + want[3].GetCreateTime().AsTime().Format(time.RFC3339Nano) + `"`, "", pick(1)},
					{`dni = "00000000"`, "", []string{}},
					{"", "display_name desc", names(byName...)},
					{"", "create_time desc", pick(6, 5, 4, 3, 2, 1, 0)},
					{`sex = MALE`, "displayName", pick(5, 6, 1, 3)},
				} {
					got, _ := r.memberNames(t, a, tc.filter, tc.orderBy, 2)
					if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
						t.Errorf("ListMembers(filter %q, order_by %q) (-want +got):\n%s", tc.filter, tc.orderBy, diff)
					}
				}
			})
		}
	})
}

func TestClassifiersOverGRPCAndREST(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.createAssociation(t, "210101").GetName()
		b := ts.createAssociation(t, "080101").GetName()
		m := ts.mustCreateMember(t, a, newMember("Juana Condori", millwav1.Sex_SEX_FEMALE, 60))

		// Over REST, a classifier who is a member.
		var first millwav1.Classifier
		restOK(t, "POST classifiers", ts.rest(t, http.MethodPost, "/v1/"+a+"/classifiers?requestId=c-1", jsonBody(t, &millwav1.Classifier{
			DisplayName: "Juana Condori", Dni: m.GetDni(), CertificationNumber: "SINEACE-2023-0412", CertificationDate: "2023-06-15", Member: m.GetName(),
		})), &first)
		if !strings.HasPrefix(first.GetName(), a+"/classifiers/") || !millwa.IsID(idOf(first.GetName())) || first.GetMember() != m.GetName() ||
			first.GetCertificationDate() != "2023-06-15" || first.GetCertificationNumber() != "SINEACE-2023-0412" || first.GetEtag() == "" || first.GetCreateTime() == nil {
			t.Fatalf("created classifier lacks fields: %v", &first)
		}
		want := []*millwav1.Classifier{
			&first,
			ts.mustCreateClassifier(t, b, newClassifier("Sabina Apaza")),
			ts.mustCreateClassifier(t, a, newClassifier("Apu Quispe")),
		}
		if want[1].GetMember() != "" {
			t.Errorf("classifier without member answered member %q", want[1].GetMember())
		}
		pick := func(idx ...int) []string {
			out := []string{}
			for _, i := range idx {
				out = append(out, want[i].GetName())
			}
			return out
		}

		for _, transport := range transports {
			t.Run(transport, func(t *testing.T) {
				r := registryAs{ts: ts, transport: transport, secret: adminSecret}
				resp, err := r.listClassifiers(t, &millwav1.ListClassifiersRequest{Parent: a})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff([]*millwav1.Classifier{want[0], want[2]}, resp.GetClassifiers(), protocmp.Transform()); diff != "" {
					t.Errorf("ListClassifiers(%s) (-created +listed):\n%s", a, diff)
				}
				for _, tc := range []struct {
					parent, filter, orderBy string
					want                    []string
				}{
					{"associations/-", "", "", pick(0, 1, 2)},
					{b, "", "", pick(1)},
					{"associations/-", `member = "` + m.GetName() + `"`, "", pick(0)},
					{a, `member = "` + a + `/members/` + newID() + `"`, "", []string{}},
					{"associations/-", `region = "08"`, "", pick(1)},
					{"associations/-", `region = "210101"`, "", pick(0, 2)},
					{a, `region = "08"`, "", []string{}},
					{"associations/-", `dni = "` + want[2].GetDni() + `"`, "", pick(2)},
					{"associations/-", `certification_number = "SINEACE-2023-0412"`, "", pick(0)},
					{"associations/-", `create_time > "` + want[0].GetCreateTime().AsTime().Format(time.RFC3339Nano) + `"`, "", pick(1, 2)},
					{"associations/-", "", "display_name", pick(2, 0, 1)},
					{"associations/-", "", "display_name desc", pick(1, 0, 2)},
					{a, "", "create_time desc", pick(2, 0)},
				} {
					got := r.classifierNames(t, tc.parent, tc.filter, tc.orderBy, 1)
					if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
						t.Errorf("ListClassifiers(%s, filter %q, order_by %q) (-want +got):\n%s", tc.parent, tc.filter, tc.orderBy, diff)
					}
				}
			})
		}
	})
}

func TestCreateMemberRejectsBadInputAndWritesNothing(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.createAssociation(t, "210101").GetName()
		tests := []struct {
			name   string
			mutate func(m *millwav1.Member)
			fields []string
		}{
			{"DNI of 7 digits", func(m *millwav1.Member) { m.Dni = "4012345" }, []string{"member.dni"}},
			{"DNI of 9 digits", func(m *millwav1.Member) { m.Dni = "401234567" }, []string{"member.dni"}},
			{"DNI with a letter", func(m *millwav1.Member) { m.Dni = "4012345K" }, []string{"member.dni"}},
			{"missing DNI", func(m *millwav1.Member) { m.Dni = "" }, []string{"member.dni"}},
			{"missing sex", func(m *millwav1.Member) { m.Sex = millwav1.Sex_SEX_UNSPECIFIED }, []string{"member.sex"}},
			{"negative herd size", func(m *millwav1.Member) { m.HerdSize = proto.Int32(-1) }, []string{"member.herd_size"}},
			{"herd size over 100,000", func(m *millwav1.Member) { m.HerdSize = proto.Int32(100_001) }, []string{"member.herd_size"}},
			{"missing display name", func(m *millwav1.Member) { m.DisplayName = "  " }, []string{"member.display_name"}},
			{"display name of 201 characters", func(m *millwav1.Member) { m.DisplayName = strings.Repeat("ñ", 201) }, []string{"member.display_name"}},
			{"several at once", func(m *millwav1.Member) { m.Dni, m.Sex, m.HerdSize = "x", 0, proto.Int32(-3) }, []string{"member.dni", "member.sex", "member.herd_size"}},
		}
		for _, transport := range transports {
			for i, tt := range tests {
				t.Run(transport+"/"+tt.name, func(t *testing.T) {
					r := registryAs{ts: ts, transport: transport, secret: adminSecret}
					before := countRegistry(t, ts)
					m := newMember("Rosa Quispe", millwav1.Sex_SEX_FEMALE, 10)
					tt.mutate(m)
					got, err := r.createMember(t, &millwav1.CreateMemberRequest{Parent: a, Member: m, RequestId: fmt.Sprintf("bad-%s-%d", transport, i)})
					st := wantCode(t, "CreateMember", err, codes.InvalidArgument)
					if diff := cmp.Diff(tt.fields, badRequestFields(st)); diff != "" {
						t.Errorf("BadRequest fields (-want +got):\n%s", diff)
					}
					if got != nil {
						t.Errorf("answered %v with the error", got)
					}
					checkRegistryUnchanged(t, ts, before)
				})
			}
		}
		// Request fields around the member, over gRPC (REST takes the
		// parent from the path and always has a body).
		client := millwav1.NewRegistryServiceClient(ts.conn)
		for _, tc := range []struct {
			name   string
			req    *millwav1.CreateMemberRequest
			fields []string
		}{
			{"no member", &millwav1.CreateMemberRequest{Parent: a}, []string{"member"}},
			{"malformed parent", &millwav1.CreateMemberRequest{Parent: "associations/x", Member: newMember("R", millwav1.Sex_SEX_MALE, 1)}, []string{"parent"}},
			{"every association", &millwav1.CreateMemberRequest{Parent: "associations/-", Member: newMember("R", millwav1.Sex_SEX_MALE, 1)}, []string{"parent"}},
			{"missing parent and bad DNI", &millwav1.CreateMemberRequest{Member: &millwav1.Member{DisplayName: "R", Dni: "1", Sex: millwav1.Sex_SEX_MALE}}, []string{"parent", "member.dni"}},
			{"request_id too long", &millwav1.CreateMemberRequest{Parent: a, Member: newMember("R", millwav1.Sex_SEX_MALE, 1), RequestId: strings.Repeat("x", 65)}, []string{"request_id"}},
			{"unknown sex number", &millwav1.CreateMemberRequest{Parent: a, Member: &millwav1.Member{DisplayName: "R", Dni: newDNI(), Sex: 7}}, []string{"member.sex"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := countRegistry(t, ts)
				_, err := client.CreateMember(t.Context(), tc.req)
				if diff := cmp.Diff(tc.fields, fieldViolations(t, err)); diff != "" {
					t.Errorf("violations (-want +got):\n%s", diff)
				}
				checkRegistryUnchanged(t, ts, before)
			})
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM members"); n != 0 {
			t.Errorf("%d members after bad requests, want 0", n)
		}
	})
}

func TestCreateClassifierRejectsBadInputAndWritesNothing(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.createAssociation(t, "210101").GetName()
		b := ts.createAssociation(t, "080101").GetName()
		mA := ts.mustCreateMember(t, a, newMember("Qori", millwav1.Sex_SEX_FEMALE, 5))
		mB := ts.mustCreateMember(t, b, newMember("Luz", millwav1.Sex_SEX_FEMALE, 5))
		peru := time.FixedZone("PET", -5*60*60)
		tests := []struct {
			name   string
			mutate func(c *millwav1.Classifier)
			fields []string
		}{
			{"DNI of 4 digits", func(c *millwav1.Classifier) { c.Dni = "1234" }, []string{"classifier.dni"}},
			{"missing display name", func(c *millwav1.Classifier) { c.DisplayName = "" }, []string{"classifier.display_name"}},
			{"missing certification number", func(c *millwav1.Classifier) { c.CertificationNumber = "" }, []string{"classifier.certification_number"}},
			{"certification number of 65", func(c *millwav1.Classifier) { c.CertificationNumber = strings.Repeat("7", 65) }, []string{"classifier.certification_number"}},
			{"certification date day first", func(c *millwav1.Classifier) { c.CertificationDate = "15/06/2023" }, []string{"classifier.certification_date"}},
			{"certification date not a day", func(c *millwav1.Classifier) { c.CertificationDate = "2023-02-29" }, []string{"classifier.certification_date"}},
			{"certification date a timestamp", func(c *millwav1.Classifier) { c.CertificationDate = "2023-06-15T00:00:00Z" }, []string{"classifier.certification_date"}},
			{"certification date tomorrow", func(c *millwav1.Classifier) {
				c.CertificationDate = time.Now().In(peru).AddDate(0, 0, 1).Format("2006-01-02")
			}, []string{"classifier.certification_date"}},
			{"missing certification date", func(c *millwav1.Classifier) { c.CertificationDate = "" }, []string{"classifier.certification_date"}},
			{"member of another association", func(c *millwav1.Classifier) { c.Member = mB.GetName() }, []string{"classifier.member"}},
			{"member not a member's name", func(c *millwav1.Classifier) { c.Member = a }, []string{"classifier.member"}},
			{"member that does not exist", func(c *millwav1.Classifier) { c.Member = a + "/members/" + newID() }, []string{"classifier.member"}},
			{"member of another association under this one's name", func(c *millwav1.Classifier) { c.Member = a + "/members/" + idOf(mB.GetName()) }, []string{"classifier.member"}},
			{"several at once", func(c *millwav1.Classifier) { c.Dni, c.CertificationDate, c.Member = "", "tomorrow", "x" },
				[]string{"classifier.dni", "classifier.certification_date", "classifier.member"}},
		}
		for _, transport := range transports {
			for i, tt := range tests {
				t.Run(transport+"/"+tt.name, func(t *testing.T) {
					r := registryAs{ts: ts, transport: transport, secret: adminSecret}
					before := countRegistry(t, ts)
					c := newClassifier("Sabina Apaza")
					tt.mutate(c)
					got, err := r.createClassifier(t, &millwav1.CreateClassifierRequest{Parent: a, Classifier: c, RequestId: fmt.Sprintf("bad-%s-%d", transport, i)})
					st := wantCode(t, "CreateClassifier", err, codes.InvalidArgument)
					if diff := cmp.Diff(tt.fields, badRequestFields(st)); diff != "" {
						t.Errorf("BadRequest fields (-want +got):\n%s", diff)
					}
					if got != nil {
						t.Errorf("answered %v with the error", got)
					}
					checkRegistryUnchanged(t, ts, before)
				})
			}
		}
		t.Run("no classifier", func(t *testing.T) {
			_, err := millwav1.NewRegistryServiceClient(ts.conn).CreateClassifier(t.Context(), &millwav1.CreateClassifierRequest{Parent: a})
			if diff := cmp.Diff([]string{"classifier"}, fieldViolations(t, err)); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
		})
		if n := countRows(t, ts, "SELECT COUNT(*) FROM classifiers"); n != 0 {
			t.Errorf("%d classifiers after bad requests, want 0", n)
		}
		// The same request with a member of its own association is fine.
		c := newClassifier("Qori")
		c.Member = mA.GetName()
		if got := ts.mustCreateClassifier(t, a, c); got.GetMember() != mA.GetName() {
			t.Errorf("classifier's member %q, want %q", got.GetMember(), mA.GetName())
		}
	})
}

func TestDuplicateDNIs(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.createAssociation(t, "210101").GetName()
		b := ts.createAssociation(t, "080101").GetName()
		m := ts.mustCreateMember(t, a, newMember("Rosa Quispe", millwav1.Sex_SEX_FEMALE, 10))
		c := ts.mustCreateClassifier(t, a, newClassifier("Sabina Apaza"))
		for _, transport := range transports {
			t.Run(transport, func(t *testing.T) {
				r := registryAs{ts: ts, transport: transport, secret: adminSecret}
				before := countRegistry(t, ts)
				dup := newMember("Rosa Quispe Mamani", millwav1.Sex_SEX_FEMALE, 11)
				dup.Dni = m.GetDni()
				_, err := r.createMember(t, &millwav1.CreateMemberRequest{Parent: a, Member: dup, RequestId: "dup-member-" + transport})
				st := wantCode(t, "a second member with the DNI", err, codes.AlreadyExists)
				if want := "a member with DNI " + m.GetDni() + " is already registered in " + a; st.Message() != want || errorReason(st) != "MEMBER_DNI_TAKEN" {
					t.Errorf("answer %q (reason %s), want %q (MEMBER_DNI_TAKEN)", st.Message(), errorReason(st), want)
				}
				dupC := newClassifier("Sabina")
				dupC.Dni = c.GetDni()
				_, err = r.createClassifier(t, &millwav1.CreateClassifierRequest{Parent: a, Classifier: dupC, RequestId: "dup-classifier-" + transport})
				st = wantCode(t, "a second classifier with the DNI", err, codes.AlreadyExists)
				if want := "a classifier with DNI " + c.GetDni() + " is already registered in " + a; st.Message() != want || errorReason(st) != "CLASSIFIER_DNI_TAKEN" {
					t.Errorf("answer %q (reason %s), want %q (CLASSIFIER_DNI_TAKEN)", st.Message(), errorReason(st), want)
				}
				checkRegistryUnchanged(t, ts, before)
			})
		}
		// The same DNIs in another association are other records.
		elsewhere := newMember("Rosa Quispe", millwav1.Sex_SEX_FEMALE, 10)
		elsewhere.Dni = m.GetDni()
		ts.mustCreateMember(t, b, elsewhere)
		elsewhereC := newClassifier("Sabina Apaza")
		elsewhereC.Dni = c.GetDni()
		ts.mustCreateClassifier(t, b, elsewhereC)
		// A member who classes is registered under the same DNI in both.
		memberC := newClassifier("Rosa Quispe")
		memberC.Dni, memberC.Member = m.GetDni(), m.GetName()
		ts.mustCreateClassifier(t, a, memberC)
	})
}

// TestTenancyOfMembersAndClassifiers checks that an association's key
// cannot see or change another association's members or classifiers, that
// agencies see the classifiers of their regions only and no member, and
// processors neither; another tenant's association answers exactly as a
// missing one, and nothing is written.
func TestTenancyOfMembersAndClassifiers(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.createAssociation(t, "210101").GetName() // Puno
		b := ts.createAssociation(t, "080101").GetName() // Cusco
		c := ts.createAssociation(t, "211101").GetName() // Puno, another province
		missing := "associations/" + newID()
		members := map[string][]string{}
		classifiers := map[string][]string{}
		for _, assoc := range []string{a, b, c} {
			members[assoc] = []string{ts.mustCreateMember(t, assoc, newMember("Socia", millwav1.Sex_SEX_FEMALE, 3)).GetName()}
			classifiers[assoc] = []string{ts.mustCreateClassifier(t, assoc, newClassifier("Clasificadora")).GetName()}
		}
		_, aKey := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a, false)
		_, puno := ts.createKey(t, millwav1.Role_ROLE_AGENCY, ts.insertAgency(t, "21"), false)
		_, cusco := ts.createKey(t, millwav1.Role_ROLE_AGENCY, ts.insertAgency(t, "0801"), false)
		_, proc := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, ts.insertProcessor(t, "040101"), false)

		for _, transport := range transports {
			t.Run("association/"+transport, func(t *testing.T) {
				r := registryAs{ts: ts, transport: transport, secret: aKey}
				if got, _ := r.memberNames(t, a, "", "", 0); !cmp.Equal(members[a], got) {
					t.Errorf("own members %v, want %v", got, members[a])
				}
				if got := r.classifierNames(t, a, "", "", 0); !cmp.Equal(classifiers[a], got) {
					t.Errorf("own classifiers %v, want %v", got, classifiers[a])
				}
				if got := r.classifierNames(t, "associations/-", "", "", 0); !cmp.Equal(classifiers[a], got) {
					t.Errorf("classifiers across associations %v, want only its own %v", got, classifiers[a])
				}
				if got := r.classifierNames(t, "associations/-", `region = "08"`, "", 0); len(got) != 0 {
					t.Errorf("a filter widened what the key sees: %v", got)
				}

				before := countRegistry(t, ts)
				_, absent := r.listMembers(t, &millwav1.ListMembersRequest{Parent: missing})
				_, hidden := r.listMembers(t, &millwav1.ListMembersRequest{Parent: b})
				sameNotFound(t, "ListMembers("+b+")", hidden, idOf(b), absent, idOf(missing))

				_, absent = r.listClassifiers(t, &millwav1.ListClassifiersRequest{Parent: missing})
				_, hidden = r.listClassifiers(t, &millwav1.ListClassifiersRequest{Parent: b})
				sameNotFound(t, "ListClassifiers("+b+")", hidden, idOf(b), absent, idOf(missing))

				m := newMember("Intrusa", millwav1.Sex_SEX_FEMALE, 1)
				_, absent = r.createMember(t, &millwav1.CreateMemberRequest{Parent: missing, Member: m, RequestId: "t-m-1-" + transport})
				_, hidden = r.createMember(t, &millwav1.CreateMemberRequest{Parent: b, Member: m, RequestId: "t-m-2-" + transport})
				sameNotFound(t, "CreateMember("+b+")", hidden, idOf(b), absent, idOf(missing))

				cl := newClassifier("Intrusa")
				_, absent = r.createClassifier(t, &millwav1.CreateClassifierRequest{Parent: missing, Classifier: cl, RequestId: "t-c-1-" + transport})
				_, hidden = r.createClassifier(t, &millwav1.CreateClassifierRequest{Parent: b, Classifier: cl, RequestId: "t-c-2-" + transport})
				sameNotFound(t, "CreateClassifier("+b+")", hidden, idOf(b), absent, idOf(missing))
				checkRegistryUnchanged(t, ts, before)

				// Its own association it may change.
				created, err := r.createMember(t, &millwav1.CreateMemberRequest{Parent: a, Member: newMember("Propia "+transport, millwav1.Sex_SEX_MALE, 2)})
				if err != nil || !strings.HasPrefix(created.GetName(), a+"/members/") {
					t.Fatalf("CreateMember in its own association: %v, %v", created, err)
				}
				members[a] = append(members[a], created.GetName())
			})

			t.Run("agency/"+transport, func(t *testing.T) {
				r := registryAs{ts: ts, transport: transport, secret: puno}
				want := append(append([]string(nil), classifiers[a]...), classifiers[c]...)
				if got := r.classifierNames(t, "associations/-", "", "", 1); !cmp.Equal(want, got) {
					t.Errorf("Puno agency's classifiers across associations %v, want %v", got, want)
				}
				if got := r.classifierNames(t, c, "", "", 0); !cmp.Equal(classifiers[c], got) {
					t.Errorf("Puno agency's classifiers of %s: %v, want %v", c, got, classifiers[c])
				}
				before := countRegistry(t, ts)
				_, absent := r.listClassifiers(t, &millwav1.ListClassifiersRequest{Parent: missing})
				_, hidden := r.listClassifiers(t, &millwav1.ListClassifiersRequest{Parent: b})
				sameNotFound(t, "ListClassifiers("+b+") by the Puno agency", hidden, idOf(b), absent, idOf(missing))

				_, err := r.listMembers(t, &millwav1.ListMembersRequest{Parent: a})
				wantCode(t, "ListMembers by an agency", err, codes.PermissionDenied)
				_, err = r.createMember(t, &millwav1.CreateMemberRequest{Parent: a, Member: newMember("X", millwav1.Sex_SEX_MALE, 1)})
				wantCode(t, "CreateMember by an agency", err, codes.PermissionDenied)
				_, err = r.createClassifier(t, &millwav1.CreateClassifierRequest{Parent: a, Classifier: newClassifier("X")})
				wantCode(t, "CreateClassifier by an agency", err, codes.PermissionDenied)
				checkRegistryUnchanged(t, ts, before)

				other := registryAs{ts: ts, transport: transport, secret: cusco}
				if got := other.classifierNames(t, "associations/-", "", "", 0); !cmp.Equal(classifiers[b], got) {
					t.Errorf("Cusco agency's classifiers %v, want %v", got, classifiers[b])
				}
			})

			t.Run("processor/"+transport, func(t *testing.T) {
				r := registryAs{ts: ts, transport: transport, secret: proc}
				_, err := r.listMembers(t, &millwav1.ListMembersRequest{Parent: a})
				wantCode(t, "ListMembers by a processor", err, codes.PermissionDenied)
				_, err = r.listClassifiers(t, &millwav1.ListClassifiersRequest{Parent: a})
				wantCode(t, "ListClassifiers by a processor", err, codes.PermissionDenied)
			})

			t.Run("no key/"+transport, func(t *testing.T) {
				r := registryAs{ts: ts, transport: transport}
				_, err := r.listMembers(t, &millwav1.ListMembersRequest{Parent: a})
				wantCode(t, "ListMembers without a key", err, codes.Unauthenticated)
			})
		}
	})
}

func TestMemberAndClassifierRequestIDReplay(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.createAssociation(t, "210101").GetName()
		_, aKey := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a, false)
		grpcAs := registryAs{ts: ts, transport: "grpc", secret: aKey}
		restAs := registryAs{ts: ts, transport: "rest", secret: aKey}

		req := &millwav1.CreateMemberRequest{Parent: a, Member: newMember("Rosa Quispe", millwav1.Sex_SEX_FEMALE, 10), RequestId: "0190f3a2-5c1e-7b7a-9a4e-3f2d1c0b9a87"}
		first, err := grpcAs.createMember(t, req)
		if err != nil {
			t.Fatal(err)
		}
		creq := &millwav1.CreateClassifierRequest{Parent: a, Classifier: newClassifier("Sabina"), RequestId: "c-retry"}
		creq.Classifier.Member = first.GetName()
		firstC, err := restAs.createClassifier(t, creq)
		if err != nil {
			t.Fatal(err)
		}
		before := countRegistry(t, ts)
		for i, r := range []registryAs{grpcAs, restAs, grpcAs} {
			again, err := r.createMember(t, req)
			if err != nil {
				t.Fatalf("retry %d over %s: %v", i, r.transport, err)
			}
			if diff := cmp.Diff(first, again, protocmp.Transform()); diff != "" {
				t.Errorf("retry %d over %s answered differently (-first +retry):\n%s", i, r.transport, diff)
			}
			againC, err := r.createClassifier(t, creq)
			if err != nil {
				t.Fatalf("classifier retry %d over %s: %v", i, r.transport, err)
			}
			if diff := cmp.Diff(firstC, againC, protocmp.Transform()); diff != "" {
				t.Errorf("classifier retry %d over %s answered differently (-first +retry):\n%s", i, r.transport, diff)
			}
		}
		checkRegistryUnchanged(t, ts, before)

		// The same id with another request is refused, and writes nothing.
		other := proto.Clone(req).(*millwav1.CreateMemberRequest)
		other.Member.HerdSize = proto.Int32(11)
		for _, r := range []registryAs{grpcAs, restAs} {
			_, err := r.createMember(t, other)
			st := wantCode(t, "same request_id, another member over "+r.transport, err, codes.InvalidArgument)
			if diff := cmp.Diff([]string{"request_id"}, badRequestFields(st)); diff != "" {
				t.Errorf("BadRequest fields (-want +got):\n%s", diff)
			}
		}
		checkRegistryUnchanged(t, ts, before)

		// Without a request_id the same request is a new one: the DNI is
		// taken.
		req.RequestId = ""
		_, err = grpcAs.createMember(t, req)
		wantCode(t, "the same member without request_id", err, codes.AlreadyExists)
		checkRegistryUnchanged(t, ts, before)
	})
}

func TestMemberAndClassifierAuditEvents(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		st := storetest.NewStore(t, dbURL)
		boot := bootAdminKey(t, ts)
		a := ts.createAssociation(t, "210101").GetName()
		aKeyName, aKey := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a, false)
		ignore := cmpopts.IgnoreFields(millwa.AuditEvent{}, "Sequence", "Time", "PrevHash", "Hash")

		// expectEvents runs change and checks that it appended exactly want.
		expectEvents := func(t *testing.T, change func() []millwa.AuditEvent) {
			t.Helper()
			last := lastSequence(t, st)
			want := change()
			if diff := cmp.Diff(want, auditEvents(t, st, last), ignore, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("events appended (-want +got):\n%s", diff)
			}
		}
		var member *millwav1.Member
		for _, transport := range transports {
			t.Run("CreateMember by the association/"+transport, func(t *testing.T) {
				expectEvents(t, func() []millwa.AuditEvent {
					req := &millwav1.CreateMemberRequest{Parent: a, Member: newMember("Rosa", millwav1.Sex_SEX_FEMALE, 4), RequestId: "audit-m-" + transport}
					m, err := registryAs{ts: ts, transport: transport, secret: aKey}.createMember(t, req)
					if err != nil {
						t.Fatal(err)
					}
					member = m
					return []millwa.AuditEvent{{Actor: aKeyName, Role: millwa.RoleAssociation, Organisation: a, Method: "/millwa.v1.RegistryService/CreateMember",
						Resource: m.GetName(), Action: "create", Region: "210101", ChangeDigest: changeDigest(t, &millwav1.CreateMemberResponse{Member: m})}}
				})
			})
			t.Run("CreateClassifier by the admin/"+transport, func(t *testing.T) {
				expectEvents(t, func() []millwa.AuditEvent {
					c := newClassifier("Sabina")
					c.Member = member.GetName()
					got, err := registryAs{ts: ts, transport: transport, secret: adminSecret}.createClassifier(t, &millwav1.CreateClassifierRequest{Parent: a, Classifier: c})
					if err != nil {
						t.Fatal(err)
					}
					return []millwa.AuditEvent{{Actor: boot, Role: millwa.RoleAdmin, Method: "/millwa.v1.RegistryService/CreateClassifier",
						Resource: got.GetName(), Action: "create", Region: "210101", ChangeDigest: changeDigest(t, &millwav1.CreateClassifierResponse{Classifier: got})}}
				})
			})
		}
		t.Run("a replay and refusals append nothing", func(t *testing.T) {
			expectEvents(t, func() []millwa.AuditEvent {
				r := registryAs{ts: ts, transport: "grpc", secret: aKey}
				if _, err := r.createMember(t, &millwav1.CreateMemberRequest{Parent: a, Member: &millwav1.Member{DisplayName: member.GetDisplayName(), Dni: member.GetDni(), Sex: member.GetSex(), HerdSize: member.HerdSize}, RequestId: "audit-m-rest"}); err != nil {
					t.Errorf("replay: %v", err)
				}
				_, err := r.createMember(t, &millwav1.CreateMemberRequest{Parent: a, Member: &millwav1.Member{DisplayName: "Dup", Dni: member.GetDni(), Sex: millwav1.Sex_SEX_MALE}})
				wantCode(t, "duplicate DNI", err, codes.AlreadyExists)
				c := newClassifier("X")
				c.Member = a + "/members/" + newID()
				_, err = r.createClassifier(t, &millwav1.CreateClassifierRequest{Parent: a, Classifier: c})
				wantCode(t, "unknown member", err, codes.InvalidArgument)
				return nil
			})
		})
		verifyChain(t, st, lastSequence(t, st))
	})
}

func TestListMembersAndClassifiersInputErrors(t *testing.T) {
	t.Parallel()
	ts := startServer(t, storetest.SQLiteURL(t))
	a := ts.createAssociation(t, "210101").GetName()
	for i := range 3 {
		ts.mustCreateMember(t, a, newMember(fmt.Sprint("Socia ", i), millwav1.Sex_SEX_FEMALE, 1))
		ts.mustCreateClassifier(t, a, newClassifier(fmt.Sprint("Clasificadora ", i)))
	}
	client := millwav1.NewRegistryServiceClient(ts.conn)
	members := func(req *millwav1.ListMembersRequest) error {
		_, err := client.ListMembers(t.Context(), req)
		return err
	}
	classifiers := func(req *millwav1.ListClassifiersRequest) error {
		_, err := client.ListClassifiers(t.Context(), req)
		return err
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"members: malformed parent", members(&millwav1.ListMembersRequest{Parent: "associations/x"}), "parent"},
		{"members: no parent", members(&millwav1.ListMembersRequest{}), "parent"},
		{"members: every association", members(&millwav1.ListMembersRequest{Parent: "associations/-"}), "parent"},
		{"members: negative page size", members(&millwav1.ListMembersRequest{Parent: a, PageSize: -1}), "page_size"},
		{"members: garbage token", members(&millwav1.ListMembersRequest{Parent: a, PageToken: "%%%"}), "page_token"},
		{"members: unknown field", members(&millwav1.ListMembersRequest{Parent: a, Filter: `herd_size = 3`}), "filter"},
		{"members: dni takes = only", members(&millwav1.ListMembersRequest{Parent: a, Filter: `dni != "40123456"`}), "filter"},
		{"members: display_name takes = only", members(&millwav1.ListMembersRequest{Parent: a, Filter: `display_name != "x"`}), "filter"},
		{"members: sex not FEMALE or MALE", members(&millwav1.ListMembersRequest{Parent: a, Filter: `sex = OTHER`}), "filter"},
		{"members: sex unspecified", members(&millwav1.ListMembersRequest{Parent: a, Filter: `sex = SEX_UNSPECIFIED`}), "filter"},
		{"members: sex ordered", members(&millwav1.ListMembersRequest{Parent: a, Filter: `sex > FEMALE`}), "filter"},
		{"members: order by dni", members(&millwav1.ListMembersRequest{Parent: a, OrderBy: "dni"}), "order_by"},
		{"classifiers: malformed parent", classifiers(&millwav1.ListClassifiersRequest{Parent: "associations/*"}), "parent"},
		{"classifiers: member not a name", classifiers(&millwav1.ListClassifiersRequest{Parent: a, Filter: `member = "Qori"`}), "filter"},
		{"classifiers: member takes = only", classifiers(&millwav1.ListClassifiersRequest{Parent: a, Filter: `member != "` + a + `/members/` + newID() + `"`}), "filter"},
		{"classifiers: certification_number takes = only", classifiers(&millwav1.ListClassifiersRequest{Parent: a, Filter: `certification_number != "x"`}), "filter"},
		{"classifiers: bad region", classifiers(&millwav1.ListClassifiersRequest{Parent: "associations/-", Filter: `region = "99"`}), "filter"},
		{"classifiers: region with !=", classifiers(&millwav1.ListClassifiersRequest{Parent: "associations/-", Filter: `region != "21"`}), "filter"},
		{"classifiers: order by region", classifiers(&millwav1.ListClassifiersRequest{Parent: a, OrderBy: "region"}), "order_by"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fieldViolations(t, tc.err); !slices.Equal(got, []string{tc.want}) {
				t.Errorf("violations %v, want [%s]", got, tc.want)
			}
		})
	}

	// A page token is only good for the parent, filter and order it was
	// made with.
	first, err := client.ListMembers(t.Context(), &millwav1.ListMembersRequest{Parent: a, PageSize: 1})
	if err != nil || first.GetNextPageToken() == "" {
		t.Fatalf("first page: %v, token %q", err, first.GetNextPageToken())
	}
	for _, req := range []*millwav1.ListMembersRequest{
		{Parent: a, PageSize: 1, PageToken: first.GetNextPageToken(), Filter: `sex = FEMALE`},
		{Parent: a, PageSize: 1, PageToken: first.GetNextPageToken(), OrderBy: "display_name"},
	} {
		_, err := client.ListMembers(t.Context(), req)
		if got := fieldViolations(t, err); !slices.Equal(got, []string{"page_token"}) {
			t.Errorf("token reused with filter %q, order %q: violations %v", req.GetFilter(), req.GetOrderBy(), got)
		}
	}
	firstC, err := client.ListClassifiers(t.Context(), &millwav1.ListClassifiersRequest{Parent: a, PageSize: 1})
	if err != nil || firstC.GetNextPageToken() == "" {
		t.Fatalf("first page of classifiers: %v, token %q", err, firstC.GetNextPageToken())
	}
	_, err = client.ListClassifiers(t.Context(), &millwav1.ListClassifiersRequest{Parent: "associations/-", PageSize: 1, PageToken: firstC.GetNextPageToken()})
	if got := fieldViolations(t, err); !slices.Equal(got, []string{"page_token"}) {
		t.Errorf("classifier token reused with another parent: violations %v", got)
	}
	// Page size: the default is 50, and above 500 means 500.
	big, err := client.ListMembers(t.Context(), &millwav1.ListMembersRequest{Parent: a, PageSize: 100_000})
	if err != nil || len(big.GetMembers()) != 3 || big.GetNextPageToken() != "" {
		t.Errorf("page size 100000: %d members, token %q, %v", len(big.GetMembers()), big.GetNextPageToken(), err)
	}
}
