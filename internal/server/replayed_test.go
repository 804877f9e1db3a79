package server_test

import (
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestReplayIsSaid checks that a retried request_id is answered with the
// first answer and says so, over gRPC and REST, while a first call does not.
func TestReplayIsSaid(t *testing.T) {
	t.Parallel()
	ts := startServer(t, storetest.SQLiteURL(t))
	client := millwav1.NewRegistryServiceClient(ts.conn)
	req := &millwav1.CreateAssociationRequest{Association: newAssociation(int(fixtureN.Add(1)), "210101"), RequestId: "said-1"}
	for i, want := range []string{"", "true"} {
		var header metadata.MD
		if _, err := client.CreateAssociation(t.Context(), req, grpc.Header(&header)); err != nil {
			t.Fatal(err)
		}
		if got := header.Get("x-millwa-replayed"); (len(got) > 0 && got[0] == "true") != (want == "true") {
			t.Errorf("call %d: x-millwa-replayed = %v, want %q", i+1, got, want)
		}
	}
	body := `{"legalName": "Asociación Replay", "ruc": "` + validRUC(int(fixtureN.Add(1))) + `", "ubigeo": "210101", "contact": {"personName": "R", "phone": "+51 951 000 000"}}`
	for i, want := range []string{"", "true"} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.baseURL+"/v1/associations?requestId=said-rest", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Millwa-Replayed") != want {
			t.Errorf("REST call %d: %d, X-Millwa-Replayed %q, want %q", i+1, resp.StatusCode, resp.Header.Get("X-Millwa-Replayed"), want)
		}
	}
}
