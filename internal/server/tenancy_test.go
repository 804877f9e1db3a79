package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// getAssociationVia reads an association with the given key over gRPC or
// REST.
func getAssociationVia(t *testing.T, ts *testServer, transport, secret, name string) (*millwav1.Association, error) {
	t.Helper()
	if transport == "grpc" {
		resp, err := millwav1.NewRegistryServiceClient(ts.dial(t, secret)).GetAssociation(t.Context(), &millwav1.GetAssociationRequest{Name: name})
		return resp.GetAssociation(), err
	}
	res := ts.restAs(t, secret, http.MethodGet, "/v1/"+name, "")
	if res.code != http.StatusOK {
		st := restError(t, "GET /v1/"+name, res, http.StatusNotFound, codes.NotFound)
		return nil, st.Err()
	}
	var a millwav1.Association
	restOK(t, "GET /v1/"+name, res, &a)
	return &a, nil
}

// listAssociationNames lists the associations a key sees over gRPC or
// REST, following pages.
func listAssociationNames(t *testing.T, ts *testServer, transport, secret, filter string) []string {
	t.Helper()
	var names []string
	token := ""
	for pages := 0; pages < 100; pages++ {
		resp := &millwav1.ListAssociationsResponse{}
		if transport == "grpc" {
			var err error
			resp, err = millwav1.NewRegistryServiceClient(ts.dial(t, secret)).ListAssociations(t.Context(),
				&millwav1.ListAssociationsRequest{PageSize: 2, PageToken: token, Filter: filter})
			if err != nil {
				t.Fatalf("ListAssociations(filter %q): %v", filter, err)
			}
		} else {
			q := url.Values{"pageSize": {"2"}, "pageToken": {token}, "filter": {filter}}
			restOK(t, "GET /v1/associations", ts.restAs(t, secret, http.MethodGet, "/v1/associations?"+q.Encode(), ""), resp)
		}
		for _, a := range resp.GetAssociations() {
			names = append(names, a.GetName())
		}
		if token = resp.GetNextPageToken(); token == "" {
			return names
		}
	}
	t.Fatal("ListAssociations does not end")
	return nil
}

func TestTenancyOfAssociations(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.createAssociation(t, "210101").GetName() // Puno
		b := ts.createAssociation(t, "080101").GetName() // Cusco
		c := ts.createAssociation(t, "211101").GetName() // Puno, another province
		_, aKey := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a, true)
		_, bKey := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, b, false)
		_, puno := ts.createKey(t, millwav1.Role_ROLE_AGENCY, ts.insertAgency(t, "21"), false)
		_, cusco := ts.createKey(t, millwav1.Role_ROLE_AGENCY, ts.insertAgency(t, "0801"), false)
		_, nowhere := ts.createKey(t, millwav1.Role_ROLE_AGENCY, ts.insertAgency(t), false)
		_, proc := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, ts.insertProcessor(t, "040101"), false)
		missing := "associations/" + newID()

		keys := []struct {
			name    string
			secret  string
			visible []string
		}{
			{"admin", adminSecret, []string{a, b, c}},
			{"association A", aKey, []string{a}},
			{"association B", bKey, []string{b}},
			{"agency of region 21", puno, []string{a, c}},
			{"agency of province 0801", cusco, []string{b}},
			{"agency without regions", nowhere, nil},
			{"processor", proc, []string{a, b, c}},
		}
		for _, k := range keys {
			for _, transport := range []string{"grpc", "rest"} {
				t.Run(k.name+"/"+transport, func(t *testing.T) {
					before := countState(t, ts)
					if diff := cmp.Diff(k.visible, listAssociationNames(t, ts, transport, k.secret, "")); diff != "" {
						t.Errorf("ListAssociations (-want +got):\n%s", diff)
					}
					// A filter narrows what the key sees; it never widens it.
					var inCusco []string
					for _, n := range k.visible {
						if n == b {
							inCusco = append(inCusco, n)
						}
					}
					if diff := cmp.Diff(inCusco, listAssociationNames(t, ts, transport, k.secret, `region = "08"`)); diff != "" {
						t.Errorf(`ListAssociations(region = "08") (-want +got):`+"\n%s", diff)
					}

					_, absent := getAssociationVia(t, ts, transport, k.secret, missing)
					wantCode(t, "GetAssociation of a missing association", absent, codes.NotFound)
					for _, name := range []string{a, b, c} {
						got, err := getAssociationVia(t, ts, transport, k.secret, name)
						if slices.Contains(k.visible, name) {
							if err != nil || got.GetName() != name {
								t.Errorf("GetAssociation(%s): %v, %v; want it", name, got, err)
							}
							continue
						}
						sameNotFound(t, "GetAssociation("+name+")", err, idOf(name), absent, idOf(missing))
						if got != nil {
							t.Errorf("GetAssociation(%s) answered %v with its error", name, got)
						}
					}
					checkNothingWritten(t, ts, before)
				})
			}
		}

		// Without a key, or with a malformed name, nothing is read either.
		_, err := millwav1.NewRegistryServiceClient(ts.dial(t, "")).GetAssociation(t.Context(), &millwav1.GetAssociationRequest{Name: b})
		wantCode(t, "GetAssociation without a key", err, codes.Unauthenticated)
		_, err = getAssociationVia(t, ts, "grpc", aKey, b+"/")
		wantCode(t, "GetAssociation of a malformed name", err, codes.InvalidArgument)
	})
}
