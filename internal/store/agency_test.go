package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// agency returns a valid agency with the given name and regions, not yet
// created, without RUC or contact.
func agency(name string, regions ...string) millwa.Agency {
	return millwa.Agency{DisplayName: name, Regions: regions}
}

// mustCreateAgency creates a valid agency in its own transaction.
func mustCreateAgency(t *testing.T, s *store.Store, a millwa.Agency) millwa.Agency {
	t.Helper()
	if err := millwa.Validate(&a, "agency"); err != nil {
		t.Fatalf("fixture is invalid: %v", err)
	}
	if err := s.InTx(t.Context(), func(tx *store.Tx) error {
		return tx.CreateAgency(t.Context(), &a)
	}); err != nil {
		t.Fatalf("CreateAgency: %v", err)
	}
	return a
}

func agencyIDs(as []millwa.Agency) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func TestCreateAndGetAgency(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		ctx := t.Context()
		full := agency("Dirección Regional Agraria Puno", "21", "0801")
		full.RUC = newRUC()
		full.Contact = millwa.Contact{PersonName: "Luis Mamani", Phone: "+51 951 234 567"}
		before := time.Now()
		got := mustCreateAgency(t, s, full)
		want := full
		want.ID, want.Revision, want.CreateTime, want.UpdateTime = got.ID, 1, got.CreateTime, got.CreateTime
		want.Regions = []string{"0801", "21"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("created agency (-want +got):\n%s", diff)
		}
		if got.CreateTime.Before(before.Add(-time.Microsecond)) || !millwa.IsID(got.ID) {
			t.Errorf("created agency has id %q and create time %v", got.ID, got.CreateTime)
		}
		if full.Regions[0] != "21" {
			t.Errorf("CreateAgency reordered the caller's regions: %v", full.Regions)
		}
		fromStore, err := s.GetAgency(ctx, admin, got.ID)
		if err != nil {
			t.Fatalf("GetAgency: %v", err)
		}
		if diff := cmp.Diff(got, fromStore); diff != "" {
			t.Errorf("GetAgency (-created +read):\n%s", diff)
		}

		// Without a RUC the column is NULL, so that many agencies may
		// have none.
		bare := mustCreateAgency(t, s, agency("DRA Cusco", "08"))
		bare2 := mustCreateAgency(t, s, agency("DRA Apurímac", "03"))
		var nulls int
		if err := queryRow(ctx, s, `SELECT COUNT(*) FROM agencies WHERE ruc IS NULL`, nil, &nulls); err != nil || nulls != 2 {
			t.Errorf("%d agencies with a NULL RUC (%v), want 2", nulls, err)
		}
		for _, a := range []millwa.Agency{bare, bare2} {
			if got, err := s.GetAgency(ctx, admin, a.ID); err != nil || got.RUC != "" || got.Contact != (millwa.Contact{}) {
				t.Errorf("GetAgency(%s) = %+v, %v; want no RUC and no contact", a.DisplayName, got, err)
			}
		}

		// Taken names (case-insensitively, accents included) and RUCs are
		// refused, and nothing of the refused agency is written.
		for _, tc := range []struct {
			name   string
			in     millwa.Agency
			reason string
		}{
			{"same name", agency("Dirección Regional Agraria Puno", "22"), "AGENCY_NAME_TAKEN"},
			{"name in capitals", agency("DIRECCIÓN REGIONAL AGRARIA PUNO", "22"), "AGENCY_NAME_TAKEN"},
			{"same RUC", func() millwa.Agency { a := agency("Otra", "22"); a.RUC = full.RUC; return a }(), "AGENCY_RUC_TAKEN"},
		} {
			in := tc.in
			err := s.InTx(ctx, func(tx *store.Tx) error { return tx.CreateAgency(ctx, &in) })
			var me *millwa.Error
			if errorCode(err) != millwa.AlreadyExists || !errors.As(err, &me) || me.Reason != tc.reason {
				t.Errorf("%s: CreateAgency = %v, want AlreadyExists %s", tc.name, err, tc.reason)
			}
			if in.ID != "" {
				t.Errorf("%s: a refused create set the id", tc.name)
			}
		}
		var agencies, regions int
		if err := queryRow(ctx, s, `SELECT (SELECT COUNT(*) FROM agencies), (SELECT COUNT(*) FROM agency_regions)`, nil, &agencies, &regions); err != nil {
			t.Fatal(err)
		}
		if agencies != 3 || regions != 4 {
			t.Errorf("%d agencies and %d regions after refused creates, want 3 and 4", agencies, regions)
		}
	})
}

func TestAgencyVisibility(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		ctx := t.Context()
		puno := mustCreateAgency(t, s, agency("DRA Puno", "21"))
		cusco := mustCreateAgency(t, s, agency("DRA Cusco", "08", "2101"))
		arequipa := mustCreateAgency(t, s, agency("dra Arequipa", "04"))
		asAgency := func(a millwa.Agency) millwa.Principal {
			return millwa.Principal{KeyID: "0192d1a0-0000-7000-8000-0000000000a1", Role: millwa.RoleAgency, Organisation: "agencies/" + a.ID, Regions: a.Regions}
		}
		strangers := map[string]millwa.Principal{
			"association":                 {Role: millwa.RoleAssociation, Organisation: "associations/" + puno.ID},
			"processor":                   {Role: millwa.RoleProcessor, Organisation: "processors/" + puno.ID},
			"agency named as a processor": {Role: millwa.RoleAgency, Organisation: "processors/" + puno.ID},
			"nobody":                      {},
		}

		// An agency gets itself, and another agency is as missing as one
		// that does not exist.
		if got, err := s.GetAgency(ctx, asAgency(puno), puno.ID); err != nil || got.ID != puno.ID {
			t.Errorf("an agency gets itself: %v %v", got.ID, err)
		}
		missing := "0192d1a0-0000-7000-8000-00000000dead"
		_, hidden := s.GetAgency(ctx, asAgency(puno), cusco.ID)
		_, absent := s.GetAgency(ctx, admin, missing)
		if errorCode(hidden) != millwa.NotFound || errorCode(absent) != millwa.NotFound ||
			strings.ReplaceAll(errorMessage(hidden), cusco.ID, "ID") != strings.ReplaceAll(errorMessage(absent), missing, "ID") {
			t.Errorf("another agency: %v; a missing one: %v; want the same NotFound", hidden, absent)
		}
		if _, err := s.GetAgency(ctx, admin, "not-an-id"); errorCode(err) != millwa.NotFound {
			t.Errorf("GetAgency(not-an-id) = %v, want NotFound", err)
		}
		for who, p := range strangers {
			if _, err := s.GetAgency(ctx, p, puno.ID); errorCode(err) != millwa.NotFound {
				t.Errorf("%s gets an agency: %v, want NotFound", who, err)
			}
			page, err := s.ListAgencies(ctx, p, store.ListQuery{})
			if err != nil || len(page.Items) != 0 {
				t.Errorf("%s lists %v (%v), want none", who, agencyIDs(page.Items), err)
			}
		}

		list := func(p millwa.Principal, q store.ListQuery) []string {
			t.Helper()
			page, err := s.ListAgencies(ctx, p, q)
			if err != nil {
				t.Fatalf("ListAgencies(%+v): %v", q, err)
			}
			return agencyIDs(page.Items)
		}
		eq := func(field, value string) store.ListQuery {
			return store.ListQuery{Conditions: []millwa.Condition{{Field: field, Op: millwa.OpEq, Str: value}}}
		}
		// Byte order: upper case before lower case.
		for _, tc := range []struct {
			name string
			p    millwa.Principal
			q    store.ListQuery
			want []string
		}{
			{"admin, all", admin, store.ListQuery{}, []string{cusco.ID, puno.ID, arequipa.ID}},
			{"agency, all", asAgency(cusco), store.ListQuery{}, []string{cusco.ID}},
			{"display_name in other case", admin, eq("display_name", "DRA AREQUIPA"), []string{arequipa.ID}},
			{"display_name of another agency", asAgency(cusco), eq("display_name", "DRA Puno"), nil},
			{"region of a district in a covered province", admin, eq("region", "210101"), []string{cusco.ID, puno.ID}},
			{"region of a province", admin, eq("region", "2105"), []string{puno.ID}},
			{"region of a department", admin, eq("region", "21"), []string{puno.ID}},
			{"region nobody covers", admin, eq("region", "15"), nil},
			{"both filters", admin, store.ListQuery{Conditions: append(eq("region", "210101").Conditions, eq("display_name", "dra cusco").Conditions...)}, []string{cusco.ID}},
		} {
			if got := list(tc.p, tc.q); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s: listed %v, want %v", tc.name, got, tc.want)
			}
		}

		// Pages of one, each with its regions.
		var paged []string
		q := store.ListQuery{Limit: 1}
		for {
			page, err := s.ListAgencies(ctx, admin, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page.Items {
				if len(a.Regions) == 0 {
					t.Errorf("listed agency %s without its regions", a.DisplayName)
				}
			}
			paged = append(paged, agencyIDs(page.Items)...)
			if page.Next == nil {
				break
			}
			q.After = page.Next
		}
		if fmt.Sprint(paged) != fmt.Sprint([]string{cusco.ID, puno.ID, arequipa.ID}) {
			t.Errorf("pages of one gave %v", paged)
		}
		if _, err := s.ListAgencies(ctx, admin, store.ListQuery{Conditions: []millwa.Condition{{Field: "ruc", Op: millwa.OpEq, Str: "x"}}}); errorCode(err) != millwa.Invalid {
			t.Errorf("filter on ruc: %v, want Invalid", err)
		}
	})
}

// TestCreateAgencyConcurrentSameName checks that the name check holds
// under concurrency although the schema has no unique index on it.
func TestCreateAgencyConcurrentSameName(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		const n = 32
		errs := make(chan error, n)
		for i := range n {
			go func() {
				a := agency("DRA Puno", "21")
				if i%2 == 1 {
					a.DisplayName = "dra puno "
					a.Normalize()
				}
				errs <- s.InTx(t.Context(), func(tx *store.Tx) error { return tx.CreateAgency(t.Context(), &a) })
			}()
		}
		created := 0
		for range n {
			switch err := <-errs; errorCode(err) {
			case "":
				created++
			case millwa.AlreadyExists:
			default:
				t.Errorf("concurrent CreateAgency: %v, want success or AlreadyExists", err)
			}
		}
		if created != 1 {
			t.Errorf("%d agencies named alike created concurrently, want 1", created)
		}
	})
}
