package server_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/andybalholm/brotli"
	"google.golang.org/grpc"
	grpcgzip "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// getEncoded GETs path as the admin with the given Accept-Encoding ("" for
// none) over a client that neither asks for nor undoes compression by
// itself, and returns the answer with its body as sent.
func (ts *testServer) getEncoded(t *testing.T, path, acceptEncoding string) (*http.Response, []byte) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.baseURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminSecret)
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestRESTCompression lists a page of 50 lots: asked for gzip (or brotli)
// it comes encoded, and decodes to the JSON sent plain to a client that
// did not ask; a small answer is sent plain even when asked.
func TestRESTCompression(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServerWith(t, dbURL, func(c *config.Config) { c.RateLimit, c.RateBurst = 1e6, 1e6 })
		f := ts.lotFixture(t, "210101")
		reg := millwav1.NewRegistryServiceClient(ts.conn)
		var reqs []*millwav1.CreateLotRequest
		for range 50 {
			reqs = append(reqs, &millwav1.CreateLotRequest{Lot: f.lot("BABY")})
		}
		if _, err := reg.BatchCreateLots(t.Context(), &millwav1.BatchCreateLotsRequest{Parent: f.assoc.GetName(), Requests: reqs}); err != nil {
			t.Fatalf("BatchCreateLots: %v", err)
		}
		path := "/v1/" + f.assoc.GetName() + "/lots?pageSize=50"

		resp, plain := ts.getEncoded(t, path, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("plain: HTTP %d: %s", resp.StatusCode, plain)
		}
		if got := resp.Header.Get("Content-Encoding"); got != "" {
			t.Errorf("without Accept-Encoding: Content-Encoding %q, want none", got)
		}
		if !slices.Contains(resp.Header.Values("Vary"), "Accept-Encoding") {
			t.Errorf("Vary = %q, want Accept-Encoding", resp.Header.Values("Vary"))
		}
		var page millwav1.ListLotsResponse
		if err := protojson.Unmarshal(plain, &page); err != nil || len(page.GetLots()) != 50 {
			t.Fatalf("plain page: %d lots, err %v", len(page.GetLots()), err)
		}

		for _, tc := range []struct {
			accept, want string
			decode       func(io.Reader) (io.Reader, error)
		}{
			{"gzip", "gzip", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
			{"gzip;q=0.5, br", "br", func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil }},
		} {
			resp, body := ts.getEncoded(t, path, tc.accept)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != tc.want {
				t.Fatalf("Accept-Encoding %q: HTTP %d, Content-Encoding %q, want %q", tc.accept, resp.StatusCode, resp.Header.Get("Content-Encoding"), tc.want)
			}
			r, err := tc.decode(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			decoded, err := io.ReadAll(r)
			if err != nil {
				t.Fatalf("%s: decoding: %v", tc.want, err)
			}
			if !bytes.Equal(decoded, plain) {
				t.Errorf("%s: decoded body differs from the plain one (%d and %d bytes)", tc.want, len(decoded), len(plain))
			}
			if len(body) >= len(plain)/4 {
				t.Errorf("%s: %d bytes encoded for %d plain, want under a quarter", tc.want, len(body), len(plain))
			}
		}

		resp, small := ts.getEncoded(t, "/v1/"+f.assoc.GetName(), "gzip")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" || !json.Valid(small) {
			t.Errorf("small answer: HTTP %d, Content-Encoding %q, want plain JSON: %s", resp.StatusCode, resp.Header.Get("Content-Encoding"), small)
		}
	})
}

// TestGRPCGzip makes a call whose request and answer are gzipped.
func TestGRPCGzip(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.createAssociation(t, "210101")
		reg := millwav1.NewRegistryServiceClient(ts.conn)
		got, err := reg.GetAssociation(t.Context(), &millwav1.GetAssociationRequest{Name: a.GetName()}, grpc.UseCompressor(grpcgzip.Name))
		if err != nil {
			t.Fatalf("GetAssociation with gzip: %v", err)
		}
		if !proto.Equal(got.GetAssociation(), a) {
			t.Errorf("GetAssociation with gzip = %v, want %v", got.GetAssociation(), a)
		}
	})
}
