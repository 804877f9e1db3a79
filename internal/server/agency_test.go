package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// newAgency is a valid new agency whose name and RUC are built from n.
func newAgency(n int, regions ...string) *millwav1.Agency {
	return &millwav1.Agency{
		DisplayName: fmt.Sprintf("Dirección Regional Agraria %d", n), Regions: regions, Ruc: validRUC(n),
		Contact: &millwav1.Contact{PersonName: "Luis Mamani Quispe", Email: fmt.Sprintf("auditoria%d@example.org", n)},
	}
}

// createAgency registers an agency as the admin over gRPC and returns it
// with the secret of a key of its own, made through CreateApiKey.
func (ts *testServer) createAgency(t *testing.T, regions ...string) (*millwav1.Agency, string) {
	t.Helper()
	resp, err := millwav1.NewAuditServiceClient(ts.conn).CreateAgency(t.Context(),
		&millwav1.CreateAgencyRequest{Agency: newAgency(int(fixtureN.Add(1)), regions...)})
	if err != nil {
		t.Fatalf("CreateAgency: %v", err)
	}
	_, secret := ts.createKey(t, millwav1.Role_ROLE_AGENCY, resp.GetAgency().GetName(), false)
	return resp.GetAgency(), secret
}

// agencyNames are the names of the agencies listed with the filter.
func agencyNames(t *testing.T, c millwav1.AuditServiceClient, filter string) []string {
	t.Helper()
	resp, err := c.ListAgencies(t.Context(), &millwav1.ListAgenciesRequest{Filter: filter})
	if err != nil {
		t.Fatalf("ListAgencies(%q): %v", filter, err)
	}
	var out []string
	for _, a := range resp.GetAgencies() {
		out = append(out, a.GetName())
	}
	return out
}

func TestCreateAgency(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		admin := millwav1.NewAuditServiceClient(ts.conn)

		// Create over REST with a request_id; a retry returns the same one.
		in := newAgency(int(fixtureN.Add(1)), "21", "0801")
		body := jsonBody(t, in)
		var created, replayed millwav1.Agency
		restOK(t, "POST /v1/agencies", ts.rest(t, http.MethodPost, "/v1/agencies?requestId=agency-1", body), &created)
		restOK(t, "POST /v1/agencies again", ts.rest(t, http.MethodPost, "/v1/agencies?requestId=agency-1", body), &replayed)
		if !strings.HasPrefix(created.GetName(), "agencies/") || !millwa.IsID(idOf(created.GetName())) || created.GetEtag() == "" ||
			created.GetCreateTime() == nil || created.GetRuc() != in.GetRuc() || created.GetContact().GetEmail() != in.GetContact().GetEmail() {
			t.Fatalf("created agency lacks fields: %v", &created)
		}
		if got := fmt.Sprint(created.GetRegions()); got != "[0801 21]" {
			t.Errorf("created agency has regions %s, want them sorted: [0801 21]", got)
		}
		if !proto.Equal(&created, &replayed) {
			t.Fatalf("replay differs:\n first %v\n retry %v", &created, &replayed)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM agencies"); n != 1 {
			t.Fatalf("%d agencies after a create and its retry, want 1", n)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM agency_regions"); n != 2 {
			t.Fatalf("%d agency regions, want 2", n)
		}
		if n := auditEventsAbout(t, ts, created.GetName()); n != 1 {
			t.Fatalf("%d audit events for the created agency, want 1", n)
		}
		other := newAgency(int(fixtureN.Add(1)), "22")
		_, err := admin.CreateAgency(t.Context(), &millwav1.CreateAgencyRequest{Agency: other, RequestId: "agency-1"})
		if st := wantCode(t, "request_id reused for another agency", err, codes.InvalidArgument); !strings.Contains(st.Message(), "request_id") {
			t.Errorf("request_id reused: %q does not name request_id", st.Message())
		}

		// gRPC reads what REST wrote.
		got, err := admin.GetAgency(t.Context(), &millwav1.GetAgencyRequest{Name: created.GetName()})
		if err != nil || !proto.Equal(got.GetAgency(), &created) {
			t.Fatalf("GetAgency: %v %v, want %v", got, err, &created)
		}

		// Bad input names the field and writes nothing.
		agencies := countRows(t, ts, "SELECT COUNT(*) FROM agencies")
		regions := countRows(t, ts, "SELECT COUNT(*) FROM agency_regions")
		events := countRows(t, ts, "SELECT COUNT(*) FROM audit_events")
		for _, tc := range []struct {
			name   string
			mutate func(*millwav1.Agency)
			fields []string
		}{
			{"RUC check digit", func(a *millwav1.Agency) { a.Ruc = a.Ruc[:10] + string('0'+(a.Ruc[10]-'0'+1)%10) }, []string{"agency.ruc"}},
			{"RUC of a person", func(a *millwav1.Agency) {
				a.Ruc = "10" + a.Ruc[2:10] + string(millwa.RUCCheckDigit("10"+a.Ruc[2:10]))
			}, []string{"agency.ruc"}},
			{"no regions", func(a *millwav1.Agency) { a.Regions = nil }, []string{"agency.regions"}},
			{"a district", func(a *millwav1.Agency) { a.Regions = []string{"21", "080101"} }, []string{"agency.regions[1]"}},
			{"unknown department", func(a *millwav1.Agency) { a.Regions = []string{"26"} }, []string{"agency.regions[0]"}},
			{"duplicate region", func(a *millwav1.Agency) { a.Regions = []string{"21", "08", " 21"} }, []string{"agency.regions[2]"}},
			{"province within a region", func(a *millwav1.Agency) { a.Regions = []string{"0801", "08"} }, []string{"agency.regions[1]"}},
			{"no name", func(a *millwav1.Agency) { a.DisplayName = "  " }, []string{"agency.display_name"}},
			{"contact without a phone or e-mail", func(a *millwav1.Agency) { a.Contact = &millwav1.Contact{PersonName: "Luis"} }, []string{"agency.contact.phone"}},
			{"output-only fields", func(a *millwav1.Agency) { a.Name, a.Etag = "agencies/"+newID(), "r1" }, []string{"agency.name", "agency.etag"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := newAgency(int(fixtureN.Add(1)), "21")
				tc.mutate(a)
				_, err := admin.CreateAgency(t.Context(), &millwav1.CreateAgencyRequest{Agency: a})
				st := wantCode(t, "CreateAgency", err, codes.InvalidArgument)
				if got := fmt.Sprint(badRequestFields(st)); got != fmt.Sprint(tc.fields) {
					t.Errorf("violations %s, want %v", got, tc.fields)
				}
				res := ts.rest(t, http.MethodPost, "/v1/agencies", jsonBody(t, a))
				st = restError(t, "POST /v1/agencies", res, http.StatusBadRequest, codes.InvalidArgument)
				if got := fmt.Sprint(badRequestFields(st)); got != fmt.Sprint(tc.fields) {
					t.Errorf("violations over REST %s, want %v", got, tc.fields)
				}
			})
		}
		_, err = admin.CreateAgency(t.Context(), &millwav1.CreateAgencyRequest{})
		if st := wantCode(t, "CreateAgency without an agency", err, codes.InvalidArgument); fmt.Sprint(badRequestFields(st)) != "[agency]" {
			t.Errorf("no agency: violations %v, want [agency]", badRequestFields(st))
		}

		// Taken RUCs and names (case-insensitively) are refused.
		dupRUC := newAgency(int(fixtureN.Add(1)), "22")
		dupRUC.Ruc = created.GetRuc()
		dupName := newAgency(int(fixtureN.Add(1)), "22")
		dupName.DisplayName = strings.ToUpper(created.GetDisplayName())
		for _, tc := range []struct {
			name   string
			in     *millwav1.Agency
			reason string
		}{{"duplicate RUC", dupRUC, "AGENCY_RUC_TAKEN"}, {"duplicate name", dupName, "AGENCY_NAME_TAKEN"}} {
			_, err = admin.CreateAgency(t.Context(), &millwav1.CreateAgencyRequest{Agency: tc.in})
			if st := wantCode(t, tc.name, err, codes.AlreadyExists); errorReason(st) != tc.reason {
				t.Errorf("%s: reason %q, want %s", tc.name, errorReason(st), tc.reason)
			}
			res := ts.rest(t, http.MethodPost, "/v1/agencies", jsonBody(t, tc.in))
			restError(t, tc.name+" over REST", res, http.StatusConflict, codes.AlreadyExists)
		}
		for what, want := range map[string]int{"agencies": agencies, "agency_regions": regions, "audit_events": events} {
			if n := countRows(t, ts, "SELECT COUNT(*) FROM "+what); n != want {
				t.Errorf("%d rows in %s after refused creates, want %d", n, what, want)
			}
		}

		// An agency needs neither a RUC nor a contact.
		bare, err := admin.CreateAgency(t.Context(), &millwav1.CreateAgencyRequest{Agency: &millwav1.Agency{DisplayName: "DRA Apurímac", Regions: []string{"03"}}})
		if err != nil || bare.GetAgency().GetRuc() != "" || bare.GetAgency().GetContact() != nil {
			t.Fatalf("CreateAgency without RUC or contact: %v %v", bare, err)
		}
	})
}

func TestAgencyAccess(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		admin := millwav1.NewAuditServiceClient(ts.conn)
		puno, punoSecret := ts.createAgency(t, "21", "0801")
		cusco, cuscoSecret := ts.createAgency(t, "08")
		asPuno := millwav1.NewAuditServiceClient(ts.dial(t, punoSecret))

		// A key made through CreateApiKey for the agency carries its
		// regions, read from agency_regions.
		who, err := millwav1.NewIdentityServiceClient(ts.dial(t, punoSecret)).WhoAmI(t.Context(), &millwav1.WhoAmIRequest{})
		if err != nil || who.GetRole() != millwav1.Role_ROLE_AGENCY || who.GetOrganisation() != puno.GetName() || fmt.Sprint(who.GetRegions()) != "[0801 21]" {
			t.Fatalf("WhoAmI of the Puno agency's key: %v %v, want ROLE_AGENCY of %s with regions [0801 21]", who, err, puno.GetName())
		}

		// An agency gets and lists itself only; another agency is as
		// missing as one that does not exist.
		got, err := asPuno.GetAgency(t.Context(), &millwav1.GetAgencyRequest{Name: puno.GetName()})
		if err != nil || !proto.Equal(got.GetAgency(), puno) {
			t.Fatalf("an agency gets itself: %v %v", got, err)
		}
		_, hidden := asPuno.GetAgency(t.Context(), &millwav1.GetAgencyRequest{Name: cusco.GetName()})
		missingID := newID()
		_, missing := asPuno.GetAgency(t.Context(), &millwav1.GetAgencyRequest{Name: "agencies/" + missingID})
		sameNotFound(t, "GetAgency", hidden, idOf(cusco.GetName()), missing, missingID)
		restError(t, "an agency gets another over REST", ts.restAs(t, punoSecret, http.MethodGet, "/v1/"+cusco.GetName(), ""), http.StatusNotFound, codes.NotFound)
		var self millwav1.Agency
		restOK(t, "an agency gets itself over REST", ts.restAs(t, punoSecret, http.MethodGet, "/v1/"+puno.GetName(), ""), &self)
		if !proto.Equal(&self, puno) {
			t.Errorf("GET /v1/%s = %v, want %v", puno.GetName(), &self, puno)
		}
		_, err = asPuno.GetAgency(t.Context(), &millwav1.GetAgencyRequest{Name: "agencies/not-an-id"})
		if st := wantCode(t, "GetAgency of a malformed name", err, codes.InvalidArgument); fmt.Sprint(badRequestFields(st)) != "[name]" {
			t.Errorf("malformed name: violations %v, want [name]", badRequestFields(st))
		}

		// Ordered by display_name; filters by region and by display_name.
		both := fmt.Sprint([]string{puno.GetName(), cusco.GetName()})
		if puno.GetDisplayName() > cusco.GetDisplayName() {
			both = fmt.Sprint([]string{cusco.GetName(), puno.GetName()})
		}
		for _, tc := range []struct {
			name   string
			c      millwav1.AuditServiceClient
			filter string
			want   string
		}{
			{"admin, all", admin, "", both},
			{"agency, all", asPuno, "", fmt.Sprint([]string{puno.GetName()})},
			{"district in Puno's province of Cusco", admin, `region = "080101"`, both},
			{"district elsewhere in Cusco", admin, `region = "080201"`, fmt.Sprint([]string{cusco.GetName()})},
			{"department of Puno", admin, `region = "21"`, fmt.Sprint([]string{puno.GetName()})},
			{"agency, another's district", asPuno, `region = "080201"`, "[]"},
			{"display_name in capitals", admin, `display_name = "` + strings.ToUpper(cusco.GetDisplayName()) + `"`, fmt.Sprint([]string{cusco.GetName()})},
		} {
			if got := fmt.Sprint(agencyNames(t, tc.c, tc.filter)); got != tc.want {
				t.Errorf("%s: ListAgencies(%q) = %s, want %s", tc.name, tc.filter, got, tc.want)
			}
		}
		var list millwav1.ListAgenciesResponse
		restOK(t, "GET /v1/agencies as an agency", ts.restAs(t, punoSecret, http.MethodGet, "/v1/agencies", ""), &list)
		if len(list.GetAgencies()) != 1 || !proto.Equal(list.GetAgencies()[0], puno) {
			t.Errorf("an agency lists over REST %v, want itself", list.GetAgencies())
		}
		restOK(t, "GET /v1/agencies?filter=region", ts.rest(t, http.MethodGet, "/v1/agencies?filter="+url.QueryEscape(`region = "2101"`), ""), &list)
		if len(list.GetAgencies()) != 1 || list.GetAgencies()[0].GetName() != puno.GetName() {
			t.Errorf(`region = "2101" over REST lists %v, want Puno`, list.GetAgencies())
		}
		page, err := admin.ListAgencies(t.Context(), &millwav1.ListAgenciesRequest{PageSize: 1})
		if err != nil || len(page.GetAgencies()) != 1 || page.GetNextPageToken() == "" {
			t.Fatalf("first page of one: %v %v", page, err)
		}
		next, err := admin.ListAgencies(t.Context(), &millwav1.ListAgenciesRequest{PageSize: 1, PageToken: page.GetNextPageToken()})
		if err != nil || fmt.Sprint([]string{page.GetAgencies()[0].GetName(), next.GetAgencies()[0].GetName()}) != both || next.GetNextPageToken() != "" {
			t.Fatalf("second page of one: %v %v", next, err)
		}
		for _, filter := range []string{`region = "210"`, `region != "21"`, `display_name != "x"`, `ruc = "20123456789"`} {
			_, err := admin.ListAgencies(t.Context(), &millwav1.ListAgenciesRequest{Filter: filter})
			if st := wantCode(t, "ListAgencies("+filter+")", err, codes.InvalidArgument); fmt.Sprint(badRequestFields(st)) != "[filter]" {
				t.Errorf("ListAgencies(%q): violations %v, want [filter]", filter, badRequestFields(st))
			}
		}
		_, err = admin.ListAgencies(t.Context(), &millwav1.ListAgenciesRequest{PageSize: 1, PageToken: page.GetNextPageToken(), Filter: `region = "08"`})
		wantCode(t, "a page token of another filter", err, codes.InvalidArgument)

		// Associations and processors may not call the agencies' RPCs; an
		// agency may not create one.
		assoc := ts.createAssociation(t, "210101")
		_, assocSecret := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, assoc.GetName(), false)
		_, procSecret := ts.createProcessor(t, "040101")
		for _, k := range []struct{ name, secret string }{{"association", assocSecret}, {"processor", procSecret}} {
			c := millwav1.NewAuditServiceClient(ts.dial(t, k.secret))
			_, err := c.GetAgency(t.Context(), &millwav1.GetAgencyRequest{Name: puno.GetName()})
			wantCode(t, k.name+" GetAgency", err, codes.PermissionDenied)
			_, err = c.ListAgencies(t.Context(), &millwav1.ListAgenciesRequest{})
			wantCode(t, k.name+" ListAgencies", err, codes.PermissionDenied)
			_, err = c.CreateAgency(t.Context(), &millwav1.CreateAgencyRequest{Agency: newAgency(int(fixtureN.Add(1)), "22")})
			wantCode(t, k.name+" CreateAgency", err, codes.PermissionDenied)
			restError(t, k.name+" GET /v1/agencies", ts.restAs(t, k.secret, http.MethodGet, "/v1/agencies", ""), http.StatusForbidden, codes.PermissionDenied)
		}
		_, err = asPuno.CreateAgency(t.Context(), &millwav1.CreateAgencyRequest{Agency: newAgency(int(fixtureN.Add(1)), "22")})
		wantCode(t, "an agency creates an agency", err, codes.PermissionDenied)

		// The audit log shows each agency its own creation, not that of
		// an agency whose regions overlap its own.
		cuscoEvents, err := millwav1.NewAuditServiceClient(ts.dial(t, cuscoSecret)).ListAuditEvents(t.Context(),
			&millwav1.ListAuditEventsRequest{Filter: `action = "create" AND resource = "agencies/*"`})
		if err != nil {
			t.Fatalf("ListAuditEvents as Cusco: %v", err)
		}
		var seen []string
		for _, e := range cuscoEvents.GetAuditEvents() {
			seen = append(seen, e.GetResource())
			if e.GetRegion() != "" || e.GetMethod() != "/millwa.v1.AuditService/CreateAgency" || e.GetActorRole() != millwav1.Role_ROLE_ADMIN {
				t.Errorf("creation event %v, want no region, CreateAgency, by an admin", e)
			}
		}
		if fmt.Sprint(seen) != fmt.Sprint([]string{cusco.GetName()}) {
			t.Errorf("Cusco sees the creation of %v, want its own only", seen)
		}
	})
}
