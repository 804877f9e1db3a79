package server_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// numbered is f's lot of the given campaign and number.
func (f lotFixture) numbered(campaign int32, number string) *millwav1.Lot {
	l := f.lot("FLEECE")
	l.Campaign, l.LotNumber = campaign, number
	return l
}

// countLots is the number of lots in the test server's database.
func countLots(t *testing.T, ts *testServer) int {
	t.Helper()
	db, _ := ts.rawDB(t)
	var n int
	if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM lots").Scan(&n); err != nil {
		t.Fatalf("counting lots: %v", err)
	}
	return n
}

// numberTaken checks that err refuses a lot number held by the lot named
// holder, field being the request field of the refused lot: ALREADY_EXISTS
// naming holder and the number in the message, the ErrorInfo reason and
// metadata, a ResourceInfo and the field violation.
func numberTaken(t *testing.T, what string, err error, holder, number, field string) {
	t.Helper()
	st := wantCode(t, what, err, codes.AlreadyExists)
	if !strings.Contains(st.Message(), holder) || !strings.Contains(st.Message(), fmt.Sprintf("%q", number)) {
		t.Errorf("%s: message %q does not name %s and its number %q", what, st.Message(), holder, number)
	}
	var info *errdetails.ErrorInfo
	var res *errdetails.ResourceInfo
	var br *errdetails.BadRequest
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			info = d
		case *errdetails.ResourceInfo:
			res = d
		case *errdetails.BadRequest:
			br = d
		}
	}
	wantMeta := map[string]string{"lot": holder, "lotNumber": number, "campaign": "2026", "field": field}
	if info.GetReason() != "LOT_NUMBER_TAKEN" || !cmp.Equal(info.GetMetadata(), wantMeta) {
		t.Errorf("%s: ErrorInfo %v; want reason LOT_NUMBER_TAKEN and metadata %v", what, info, wantMeta)
	}
	if res.GetResourceName() != holder || res.GetResourceType() != "millwa.v1.Lot" {
		t.Errorf("%s: ResourceInfo %v; want the lot %s", what, res, holder)
	}
	if vs := br.GetFieldViolations(); len(vs) != 1 || vs[0].GetField() != field || !strings.Contains(vs[0].GetDescription(), holder) {
		t.Errorf("%s: field violations %v; want one of %s naming %s", what, vs, field, holder)
	}
}

// TestLotNumbersUniquePerAssociationAndCampaign creates lots whose numbers
// repeat: within one association and campaign the second is refused
// naming the first, alone, in a batch and within one batch, over gRPC and
// REST, and nothing is written; in another campaign or association, or
// without a number, they are accepted.
func TestLotNumbersUniquePerAssociationAndCampaign(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.lotFixture(t, "210101")
		b := ts.lotFixture(t, "080101")
		reg := millwav1.NewRegistryServiceClient(ts.dial(t, a.secret))
		parent := a.assoc.GetName()

		first, err := reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: parent, Lot: a.numbered(2026, "2026-0001")})
		if err != nil {
			t.Fatalf("CreateLot 2026-0001: %v", err)
		}
		holder := first.GetLot().GetName()
		before := countLots(t, ts)

		_, err = reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: parent, Lot: a.numbered(2026, "2026-0001"), RequestId: "dup-1"})
		numberTaken(t, "CreateLot with a taken number", err, holder, "2026-0001", "lot.lot_number")

		// A batch whose second lot takes the number: the whole batch is
		// refused, the field naming that lot.
		_, err = reg.BatchCreateLots(t.Context(), &millwav1.BatchCreateLotsRequest{Parent: parent, Requests: []*millwav1.CreateLotRequest{
			{Lot: a.numbered(2026, "2026-0002")}, {Lot: a.numbered(2026, "2026-0001")}, {Lot: a.numbered(2026, "2026-0003")},
		}})
		numberTaken(t, "BatchCreateLots with a taken number", err, holder, "2026-0001", "requests[1].lot.lot_number")

		// Two lots of one batch with the same number.
		_, err = reg.BatchCreateLots(t.Context(), &millwav1.BatchCreateLotsRequest{Parent: parent, Requests: []*millwav1.CreateLotRequest{
			{Lot: a.numbered(2026, "2026-0007")}, {Lot: a.numbered(2025, "2026-0007")}, {Lot: a.numbered(2026, "2026-0007")},
		}})
		wantCode(t, "a number twice in one batch", err, codes.InvalidArgument)
		if got, want := fieldViolations(t, err), []string{"requests[2].lot.lot_number"}; !cmp.Equal(got, want) {
			t.Errorf("a number twice in one batch: violations %v, want %v", got, want)
		}
		if d := status.Convert(err).Details(); !strings.Contains(fmt.Sprint(d), "requests[0].lot") {
			t.Errorf("a number twice in one batch: %v does not name the first lot with it", d)
		}

		// Over REST: 409 and the same status.
		res := ts.restAs(t, a.secret, http.MethodPost, "/v1/"+parent+"/lots", jsonBody(t, a.numbered(2026, "2026-0001")))
		if code, msg := restStatus(t, res); res.code != http.StatusConflict || code != codes.AlreadyExists || !strings.Contains(msg, holder) {
			t.Errorf("REST create with a taken number: HTTP %d %v %q; want 409 naming %s", res.code, code, msg, holder)
		}
		if n := countLots(t, ts); n != before {
			t.Fatalf("refused creates wrote %d lots", n-before)
		}

		// The same number in another campaign, in another association,
		// and lots without a number: all accepted.
		if _, err := reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: parent, Lot: a.numbered(2025, "2026-0001")}); err != nil {
			t.Errorf("the number in campaign 2025: %v", err)
		}
		regB := millwav1.NewRegistryServiceClient(ts.dial(t, b.secret))
		if _, err := regB.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: b.assoc.GetName(), Lot: b.numbered(2026, "2026-0001")}); err != nil {
			t.Errorf("the number in another association: %v", err)
		}
		if _, err := reg.BatchCreateLots(t.Context(), &millwav1.BatchCreateLotsRequest{Parent: parent, Requests: []*millwav1.CreateLotRequest{
			{Lot: a.numbered(2026, "")}, {Lot: a.numbered(2026, "")}, {Lot: a.numbered(2026, "2026-0002")},
		}}); err != nil {
			t.Errorf("lots without a number beside a new number: %v", err)
		}
		// The request_id of the refused create was not used up.
		if _, err := reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: parent, Lot: a.numbered(2026, "2026-0004"), RequestId: "dup-1"}); err != nil {
			t.Errorf("a new number under the refused call's request_id: %v", err)
		}
	})
}

// lotNumbersOf are the numbers of lots.
func lotNumbersOf(lots []*millwav1.Lot) []string {
	out := make([]string, len(lots))
	for i, l := range lots {
		out[i] = l.GetLotNumber()
	}
	return out
}

// listAllLots lists every page of ListLots for req, size lots a page.
func listAllLots(t *testing.T, reg millwav1.RegistryServiceClient, req *millwav1.ListLotsRequest, size int32) []*millwav1.Lot {
	t.Helper()
	var out []*millwav1.Lot
	req.PageSize = size
	for pages := 0; ; pages++ {
		resp, err := reg.ListLots(t.Context(), req)
		if err != nil {
			t.Fatalf("ListLots %v, page %d: %v", req, pages, err)
		}
		out = append(out, resp.GetLots()...)
		if resp.GetNextPageToken() == "" {
			return out
		}
		if pages > 100 {
			t.Fatal("ListLots does not end")
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

// TestListLotsByLotNumber filters lots by number and orders them by it,
// both ways, in pages of two, within one association and across all.
func TestListLotsByLotNumber(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.lotFixture(t, "210101")
		reg := millwav1.NewRegistryServiceClient(ts.dial(t, a.secret))
		numbers := []string{"2026-0004", "2026-0001", "", "2026-0010", "2026-0002", "A-7", "2026-0003"}
		var reqs []*millwav1.CreateLotRequest
		for _, n := range numbers {
			reqs = append(reqs, &millwav1.CreateLotRequest{Lot: a.numbered(2026, n)})
		}
		if _, err := reg.BatchCreateLots(t.Context(), &millwav1.BatchCreateLotsRequest{Parent: a.assoc.GetName(), Requests: reqs}); err != nil {
			t.Fatalf("BatchCreateLots: %v", err)
		}
		sorted := slices.Clone(numbers)
		slices.Sort(sorted)
		desc := slices.Clone(sorted)
		slices.Reverse(desc)
		for _, parent := range []string{a.assoc.GetName(), "associations/-"} {
			got := lotNumbersOf(listAllLots(t, reg, &millwav1.ListLotsRequest{Parent: parent, OrderBy: "lot_number"}, 2))
			if diff := cmp.Diff(sorted, got); diff != "" {
				t.Errorf("%s ordered by lot_number (-want +got):\n%s", parent, diff)
			}
			got = lotNumbersOf(listAllLots(t, reg, &millwav1.ListLotsRequest{Parent: parent, OrderBy: "lotNumber desc"}, 2))
			if diff := cmp.Diff(desc, got); diff != "" {
				t.Errorf("%s ordered by lot_number desc (-want +got):\n%s", parent, diff)
			}
		}
		got := lotNumbersOf(listAllLots(t, reg, &millwav1.ListLotsRequest{Parent: a.assoc.GetName(), Filter: `lot_number = "2026-0002"`}, 2))
		if !cmp.Equal(got, []string{"2026-0002"}) {
			t.Errorf(`lot_number = "2026-0002": %v`, got)
		}
		got = lotNumbersOf(listAllLots(t, reg, &millwav1.ListLotsRequest{
			Parent: a.assoc.GetName(), Filter: `lot_number != "2026-0002" AND lot_number != ""`, OrderBy: "lot_number desc",
		}, 3))
		if want := []string{"A-7", "2026-0010", "2026-0004", "2026-0003", "2026-0001"}; !cmp.Equal(got, want) {
			t.Errorf("lot_number != filters, desc: %v, want %v", got, want)
		}
		_, err := reg.ListLots(t.Context(), &millwav1.ListLotsRequest{Parent: a.assoc.GetName(), Filter: `lot_number > "2026"`})
		wantCode(t, "lot_number compared with >", err, codes.InvalidArgument)
	})
}

// memberNamesOf are the display names of members.
func memberNamesOf(ms []*millwav1.Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.GetDisplayName()
	}
	return out
}

// TestSearchMembersAndLots searches members and lots by name without
// regard to case or accents, by DNI and by lot number, combined with a
// filter, an order and paging, over gRPC and REST; a page token is bound
// to its search; a processor searches lot numbers only.
func TestSearchMembersAndLots(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.lotFixture(t, "210101")
		reg := millwav1.NewRegistryServiceClient(ts.dial(t, a.secret))
		parent := a.assoc.GetName()
		people := []struct {
			name string
			sex  millwav1.Sex
		}{
			{"Teodora HUAMÁN Ccori", millwav1.Sex_SEX_FEMALE},
			{"Julián Huaman Quispe", millwav1.Sex_SEX_MALE},
			{"Nélida Ñahui Huamani", millwav1.Sex_SEX_FEMALE},
			{"Rosa Condori", millwav1.Sex_SEX_FEMALE},
		}
		members := map[string]*millwav1.Member{}
		for _, p := range people {
			members[p.name] = ts.mustCreateMember(t, parent, &millwav1.Member{DisplayName: p.name, Dni: newDNI(), Sex: p.sex})
		}

		search := func(req *millwav1.ListMembersRequest, size int32) []string {
			t.Helper()
			var out []string
			req.PageSize = size
			for pages := 0; pages < 20; pages++ {
				resp, err := reg.ListMembers(t.Context(), req)
				if err != nil {
					t.Fatalf("ListMembers %v: %v", req, err)
				}
				out = append(out, memberNamesOf(resp.GetMembers())...)
				if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
					break
				}
			}
			return out
		}
		teodora, julian, nelida := people[0].name, people[1].name, people[2].name
		for _, c := range []struct {
			search, filter, order string
			want                  []string
		}{
			{search: "huaman", want: []string{teodora, julian, nelida}},
			{search: "  HUAMÁN  ", order: "display_name desc", want: []string{teodora, nelida, julian}},
			{search: "huaman", filter: "sex = FEMALE", order: "display_name", want: []string{nelida, teodora}},
			{search: "nahui nelida", want: []string{nelida}},
			{search: "julian quispe", want: []string{julian}},
			{search: "huaman condori", want: nil},
			{search: members[people[3].name].GetDni(), want: []string{people[3].name}},
			{search: "100% _", want: nil},
		} {
			got := search(&millwav1.ListMembersRequest{Parent: parent, Search: c.search, Filter: c.filter, OrderBy: c.order}, 1)
			if diff := cmp.Diff(c.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("members searched %q, filter %q, order %q (-want +got):\n%s", c.search, c.filter, c.order, diff)
			}
		}

		// Over REST, the query parameter "search".
		res := ts.restAs(t, a.secret, http.MethodGet, "/v1/"+parent+"/members?search=hUAMAN&orderBy=display_name", "")
		var viaREST millwav1.ListMembersResponse
		if err := protojson.Unmarshal(res.body, &viaREST); err != nil || res.code != http.StatusOK {
			t.Fatalf("REST search: HTTP %d %s", res.code, res.body)
		}
		if got, want := memberNamesOf(viaREST.GetMembers()), []string{julian, nelida, teodora}; !cmp.Equal(got, want) {
			t.Errorf("REST search: %v, want %v", got, want)
		}

		// A page token is bound to its search.
		first, err := reg.ListMembers(t.Context(), &millwav1.ListMembersRequest{Parent: parent, Search: "huaman", PageSize: 1})
		if err != nil || first.GetNextPageToken() == "" {
			t.Fatalf("first page of a search: %v %v", first, err)
		}
		_, err = reg.ListMembers(t.Context(), &millwav1.ListMembersRequest{Parent: parent, Search: "quispe", PageSize: 1, PageToken: first.GetNextPageToken()})
		if got := fieldViolations(t, err); !cmp.Equal(got, []string{"page_token"}) {
			t.Errorf("a token under another search: violations %v", got)
		}
		for _, bad := range []string{strings.Repeat("a", 101), "a b c d e f g h i", "huam\x01n"} {
			_, err = reg.ListMembers(t.Context(), &millwav1.ListMembersRequest{Parent: parent, Search: bad})
			if got := fieldViolations(t, err); !cmp.Equal(got, []string{"search"}) {
				t.Errorf("search %q: violations %v", bad, got)
			}
		}

		// Lots: by a contributing member's name or DNI, or by number.
		lot := func(number string, member *millwav1.Member) *millwav1.CreateLotRequest {
			l := a.numbered(2026, number)
			l.Contributions = []*millwav1.Contribution{{Member: member.GetName(), Grams: l.GetNetWeightGrams()}}
			return &millwav1.CreateLotRequest{Lot: l}
		}
		if _, err := reg.BatchCreateLots(t.Context(), &millwav1.BatchCreateLotsRequest{Parent: parent, Requests: []*millwav1.CreateLotRequest{
			lot("2026-0001", members[teodora]), lot("2026-0002", members[julian]), lot("2026-0003", members[people[3].name]),
			lot("HU-2026-0004", members[people[3].name]), lot("2026-0005", members[nelida]),
		}}); err != nil {
			t.Fatalf("BatchCreateLots: %v", err)
		}
		processor := ts.insertProcessor(t, "210101")
		_, procSecret := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, processor, false)
		asProcessor := millwav1.NewRegistryServiceClient(ts.dial(t, procSecret))
		for _, c := range []struct {
			who    millwav1.RegistryServiceClient
			search string
			filter string
			want   []string
		}{
			{reg, "huamán", "", []string{"2026-0001", "2026-0002", "2026-0005"}},
			{reg, "HU", "", []string{"2026-0001", "2026-0002", "HU-2026-0004", "2026-0005"}},
			{reg, "huaman", `lot_number != "2026-0002"`, []string{"2026-0001", "2026-0005"}},
			{reg, members[people[3].name].GetDni(), "", []string{"2026-0003", "HU-2026-0004"}},
			{reg, "-0003", "", []string{"2026-0003"}},
			{reg, "condori -0004", "", []string{"HU-2026-0004"}},
			{asProcessor, "huaman", "", nil},
			{asProcessor, "hu-2026", "", []string{"HU-2026-0004"}},
		} {
			got := lotNumbersOf(listAllLots(t, c.who, &millwav1.ListLotsRequest{Parent: "associations/-", Search: c.search, Filter: c.filter, OrderBy: "create_time"}, 1))
			if diff := cmp.Diff(c.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("lots searched %q, filter %q (-want +got):\n%s", c.search, c.filter, diff)
			}
		}
	})
}
