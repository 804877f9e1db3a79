package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// jsonKeys returns the sorted keys of a JSON object.
func jsonKeys(t *testing.T, obj json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(obj, &m); err != nil {
		t.Fatalf("%v: %s", err, obj)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestReadMask asks for two fields of lots, by Get and List, over gRPC
// and REST: only those come back, each item of a page masked and the page
// token kept; a path that is no field of a lot is refused.
func TestReadMask(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		f := ts.lotFixture(t, "210101")
		reg := millwav1.NewRegistryServiceClient(ts.conn)
		var names []string
		for range 3 {
			l, err := reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: f.lot("BABY")})
			if err != nil {
				t.Fatalf("CreateLot: %v", err)
			}
			names = append(names, l.GetLot().GetName())
		}
		mask := &fieldmaskpb.FieldMask{Paths: []string{"name", "askPricePerKg"}}

		got, err := reg.GetLot(t.Context(), &millwav1.GetLotRequest{Name: names[0], ReadMask: mask})
		if err != nil {
			t.Fatalf("GetLot with a read mask: %v", err)
		}
		want := &millwav1.Lot{Name: names[0], AskPricePerKg: 2200}
		if diff := cmp.Diff(want.String(), got.GetLot().String()); diff != "" {
			t.Errorf("GetLot with a read mask (-want +got):\n%s", diff)
		}
		page, err := reg.ListLots(t.Context(), &millwav1.ListLotsRequest{Parent: f.assoc.GetName(), PageSize: 2,
			ReadMask: &fieldmaskpb.FieldMask{Paths: []string{"name", "ask_price_per_kg"}}})
		if err != nil {
			t.Fatalf("ListLots with a read mask: %v", err)
		}
		if len(page.GetLots()) != 2 || page.GetNextPageToken() == "" {
			t.Fatalf("ListLots with a read mask: %d lots, page token %q; want 2 and a token", len(page.GetLots()), page.GetNextPageToken())
		}
		for _, l := range page.GetLots() {
			if l.GetName() == "" || l.GetAskPricePerKg() != 2200 || l.GetNetWeightGrams() != 0 || l.GetCreateTime() != nil {
				t.Errorf("listed lot with a read mask = %v, want only name and askPricePerKg", l)
			}
		}
		full, err := reg.GetLot(t.Context(), &millwav1.GetLotRequest{Name: names[0], ReadMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}})
		if err != nil || full.GetLot().GetNetWeightGrams() != 46000 || full.GetLot().GetCreateTime() == nil {
			t.Errorf("GetLot with read mask *: %v, %v; want the whole lot", full, err)
		}

		_, err = reg.GetLot(t.Context(), &millwav1.GetLotRequest{Name: names[0], ReadMask: &fieldmaskpb.FieldMask{Paths: []string{"name", "pricePerKg"}}})
		if status.Code(err) != codes.InvalidArgument || !slices.Equal(fieldViolations(t, err), []string{"read_mask.paths[1]"}) {
			t.Errorf("GetLot with a path that is no field = %v, want InvalidArgument on read_mask.paths[1]", err)
		}

		res := ts.rest(t, http.MethodGet, "/v1/"+names[0]+"?readMask=name,askPricePerKg", "")
		if res.code != http.StatusOK {
			t.Fatalf("REST GetLot with readMask: HTTP %d: %s", res.code, res.body)
		}
		if diff := cmp.Diff([]string{"askPricePerKg", "name"}, jsonKeys(t, res.body)); diff != "" {
			t.Errorf("REST GetLot with readMask: keys (-want +got):\n%s", diff)
		}
		res = ts.rest(t, http.MethodGet, "/v1/"+f.assoc.GetName()+"/lots?pageSize=2&readMask=name,askPricePerKg", "")
		var list struct {
			Lots          []json.RawMessage `json:"lots"`
			NextPageToken string            `json:"nextPageToken"`
		}
		if err := json.Unmarshal(res.body, &list); err != nil || res.code != http.StatusOK || len(list.Lots) != 2 || list.NextPageToken == "" {
			t.Fatalf("REST ListLots with readMask: HTTP %d: %s", res.code, res.body)
		}
		for _, l := range list.Lots {
			if diff := cmp.Diff([]string{"askPricePerKg", "name"}, jsonKeys(t, l)); diff != "" {
				t.Errorf("REST listed lot with readMask: keys (-want +got):\n%s", diff)
			}
		}
		res = ts.rest(t, http.MethodGet, "/v1/"+names[0]+"?readMask=name,colour,weight", "")
		if res.code != http.StatusBadRequest || !slices.Equal(restViolations(t, res), []string{"read_mask.paths[2]"}) {
			t.Errorf("REST GetLot with readMask naming no field: HTTP %d: %s; want 400 on read_mask.paths[2]", res.code, res.body)
		}
	})
}
