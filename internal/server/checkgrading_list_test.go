package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestListCheckGradings checks that an agency pages through its own check
// gradings, most recent first, filtered by classifier, lot and time, over
// gRPC and REST, and that another agency's list is NotFound.
func TestListCheckGradings(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		s := lenientSeason(t, dbURL)
		audit := millwav1.NewAuditServiceClient(s.ts.dial(t, s.agencyKey))

		var all []*millwav1.CheckGrading
		var sizes []int
		token := ""
		for {
			resp, err := audit.ListCheckGradings(t.Context(), &millwav1.ListCheckGradingsRequest{Parent: s.agency, PageSize: 25, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, resp.GetCheckGradings()...)
			sizes = append(sizes, len(resp.GetCheckGradings()))
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
		}
		if !slices.Equal(sizes, []int{25, 25, 10}) {
			t.Fatalf("pages of %v check gradings, want 25, 25 and 10", sizes)
		}
		seen := map[string]bool{}
		for i, c := range all {
			if seen[c.GetName()] {
				t.Fatalf("%s listed twice", c.GetName())
			}
			seen[c.GetName()] = true
			if i > 0 && c.GetCreateTime().AsTime().After(all[i-1].GetCreateTime().AsTime()) {
				t.Fatalf("check %d (%v) is newer than the one before it (%v): want most recent first", i, c.GetCreateTime().AsTime(), all[i-1].GetCreateTime().AsTime())
			}
		}

		list := func(filter string) []*millwav1.CheckGrading {
			t.Helper()
			resp, err := audit.ListCheckGradings(t.Context(), &millwav1.ListCheckGradingsRequest{Parent: s.agency, PageSize: 100, Filter: filter})
			if err != nil {
				t.Fatalf("filter %s: %v", filter, err)
			}
			return resp.GetCheckGradings()
		}
		lenient := list(`classifier = "` + s.lenient + `"`)
		if len(lenient) != 20 {
			t.Fatalf("%d checks of the lenient classifier, want 20", len(lenient))
		}
		for _, c := range lenient {
			if c.GetClassifier() != s.lenient || c.GetGroupOffset() <= 0 {
				t.Fatalf("check %v in the lenient classifier's list: want its classifier and a finer declared group", c)
			}
			// An inspector reads bale numbers and people's names.
			if c.GetLotNumber() != s.lotNumbers[c.GetLot()] || c.GetClassifierDisplayName() != "Clasificador 1" || c.GetAssociationDisplayName() != s.f.assoc.GetLegalName() {
				t.Errorf("listed check names lot %q, classifier %q, association %q; want %q, Clasificador 1, %q",
					c.GetLotNumber(), c.GetClassifierDisplayName(), c.GetAssociationDisplayName(), s.lotNumbers[c.GetLot()], s.f.assoc.GetLegalName())
			}
		}
		one := list(`lot = "` + lenient[3].GetLot() + `" AND classifier = "` + s.lenient + `"`)
		if len(one) != 1 || one[0].GetName() != lenient[3].GetName() {
			t.Errorf("the checks of lot %s: %v, want %s alone", lenient[3].GetLot(), one, lenient[3].GetName())
		}
		if got := list(`create_time >= "` + s.end.UTC().Format(time.RFC3339) + `"`); len(got) != 0 {
			t.Errorf("%d checks after the season's end, want none", len(got))
		}
		if got := list(`create_time >= "` + s.start.UTC().Format(time.RFC3339) + `"`); len(got) != 60 {
			t.Errorf("%d checks since the season's start, want 60", len(got))
		}

		// REST, with the filter in the query string.
		q := url.Values{"filter": {`classifier = "` + s.lenient + `"`}, "pageSize": {"5"}}
		res := s.ts.restAs(t, s.agencyKey, http.MethodGet, "/v1/"+s.agency+"/checkGradings?"+q.Encode(), "")
		var page millwav1.ListCheckGradingsResponse
		if res.code != http.StatusOK {
			t.Fatalf("REST list: HTTP %d %s", res.code, res.body)
		}
		if err := protojson.Unmarshal(res.body, &page); err != nil || len(page.GetCheckGradings()) != 5 || page.GetNextPageToken() == "" {
			t.Errorf("REST page: %v %v; want 5 checks and a next page", &page, err)
		}

		cusco := millwav1.NewAuditServiceClient(s.ts.dial(t, s.cuscoKey))
		_, err := cusco.ListCheckGradings(t.Context(), &millwav1.ListCheckGradingsRequest{Parent: s.agency})
		wantCode(t, "the Cusco agency lists Puno's checks", err, codes.NotFound)
		mine, err := cusco.ListCheckGradings(t.Context(), &millwav1.ListCheckGradingsRequest{Parent: s.cuscoOrg})
		if err != nil || len(mine.GetCheckGradings()) != 0 {
			t.Errorf("the Cusco agency's own checks: %v %v, want none", mine, err)
		}
		_, err = millwav1.NewAuditServiceClient(s.ts.dial(t, s.f.secret)).ListCheckGradings(t.Context(), &millwav1.ListCheckGradingsRequest{Parent: s.agency})
		wantCode(t, "an association lists check gradings", err, codes.PermissionDenied)
		for _, bad := range []*millwav1.ListCheckGradingsRequest{
			{Parent: "agencies"},
			{Parent: s.agency, Filter: `lot = "lots/x"`},
			{Parent: s.agency, Filter: `region = "21"`},
			{Parent: s.agency, OrderBy: "lot"},
			{Parent: s.agency, PageSize: -1},
		} {
			_, err := audit.ListCheckGradings(t.Context(), bad)
			wantCode(t, "ListCheckGradings("+bad.String()+")", err, codes.InvalidArgument)
		}
	})
}
