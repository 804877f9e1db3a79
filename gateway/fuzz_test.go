package gateway_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/millwa/millwa/gateway"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// echoRegistry answers CreateAssociation with the association it was
// given, so that the fuzz target sees what the gateway decoded.
type echoRegistry struct {
	millwav1.UnimplementedRegistryServiceServer
	mu   sync.Mutex
	last *millwav1.CreateAssociationRequest
}

func (e *echoRegistry) CreateAssociation(_ context.Context, req *millwav1.CreateAssociationRequest) (*millwav1.CreateAssociationResponse, error) {
	e.mu.Lock()
	e.last = req
	e.mu.Unlock()
	return &millwav1.CreateAssociationResponse{Association: req.GetAssociation()}, nil
}

// fuzzGateway is the gateway over a real gRPC listener serving echo.
func fuzzGateway(f *testing.F, echo *echoRegistry) http.Handler {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	srv := grpc.NewServer()
	millwav1.RegisterRegistryServiceServer(srv, echo)
	go func() { _ = srv.Serve(lis) }()
	f.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { conn.Close() })
	h, err := gateway.NewHandler(f.Context(), conn, gateway.Options{})
	if err != nil {
		f.Fatal(err)
	}
	return h
}

// FuzzGatewayJSON posts arbitrary bodies to a REST route. The gateway must
// never panic nor answer 5xx for a body: it answers 200 only for a body
// that is a valid Association in proto JSON (unknown fields refused) and
// nothing after it, and what reached the service is exactly that
// association; anything else is a 4xx with a google.rpc.Status JSON body.
// testdata/fuzz/FuzzGatewayJSON keeps the inputs that once failed: a value
// followed by other text, which the gateway used to accept, and an empty
// body.
func FuzzGatewayJSON(f *testing.F) {
	echo := &echoRegistry{}
	h := fuzzGateway(f, echo)
	for _, seed := range []string{
		`{"legalName": "Asociación Nuevo Amanecer", "ruc": "20448012345", "ubigeo": "210101", "contact": {"personName": "Rosa", "phone": "+51 951 234 567"}}`,
		`{"legalName": 12}`, `{"legalName": "x", "state": "SOLD"}`, `{"legalName": "\ud800"}`, `[]`, `null`, `{"contact": {"email": null}}`,
		`{"legalName": "x"} trailing`, `{"createTime": "2026-13-45T00:00:00Z"}`, `{"etag": "` + strings.Repeat("e", 5000) + `"}`, "\x00\xff",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		echo.mu.Lock()
		echo.last = nil
		echo.mu.Unlock()
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/v1/associations", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code == http.StatusOK:
			// An empty body is an empty message (the service then names
			// the missing fields).
			var want millwav1.Association
			if len(bytes.TrimSpace(body)) == 0 {
				body = []byte("{}")
			}
			if err := protojson.Unmarshal(body, &want); err != nil {
				t.Fatalf("200 for a body protojson refuses (%v): %q", err, body)
			}
			echo.mu.Lock()
			got := echo.last.GetAssociation()
			echo.mu.Unlock()
			if got == nil {
				got = &millwav1.Association{} // no body: no association
			}
			if !proto.Equal(got, &want) {
				t.Fatalf("the service received %v, the body says %v", got, &want)
			}
		case rec.Code >= 400 && rec.Code < 500:
			var st status.Status
			if err := protojson.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.GetCode() == 0 || st.GetMessage() == "" {
				t.Fatalf("HTTP %d with a body that is not a google.rpc.Status: %q (%v)", rec.Code, rec.Body.String(), err)
			}
		default:
			t.Fatalf("HTTP %d for body %q: %s", rec.Code, body, rec.Body.String())
		}
	})
}
