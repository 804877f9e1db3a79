package gateway

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// fakeRegistry answers GetLotLabel by the lot's id: "ok" gets a label, a
// gRPC code's name that error, "blank" a label the renderer refuses. It
// records the request name and metadata of each call by lot id.
type fakeRegistry struct {
	millwav1.UnimplementedRegistryServiceServer
	mu    sync.Mutex
	names map[string]string
	mds   map[string]metadata.MD
}

func (f *fakeRegistry) GetLotLabel(ctx context.Context, req *millwav1.GetLotLabelRequest) (*millwav1.GetLotLabelResponse, error) {
	lot := req.GetName()[strings.LastIndex(req.GetName(), "/")+1:]
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.names[lot], f.mds[lot] = req.GetName(), md
	f.mu.Unlock()
	switch {
	case lot == "ok":
		return &millwav1.GetLotLabelResponse{Label: testLabel(req.GetName())}, nil
	case strings.HasPrefix(lot, "n"):
		// A lot numbered after its id: n0001 is 2026-0001.
		l := testLabel(req.GetName())
		l.LotId, l.LotNumber = lot, "2026-"+lot[1:]
		return &millwav1.GetLotLabelResponse{Label: l}, nil
	case lot == "blank":
		l := testLabel(req.GetName())
		l.Lot, l.QrPayload = "", ""
		return &millwav1.GetLotLabelResponse{Label: l}, nil
	}
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		if c.String() == lot {
			return nil, status.Errorf(c, "refused: %s", lot)
		}
	}
	return nil, status.Error(codes.NotFound, "lot "+lot+" not found")
}

// ListLots answers by filter: "none" matches no lot, "many" one more
// than a batch takes, "fails" is refused; any other filter matches n0001,
// a withdrawn lot and n0002.
func (f *fakeRegistry) ListLots(_ context.Context, req *millwav1.ListLotsRequest) (*millwav1.ListLotsResponse, error) {
	lot := func(id string, st millwav1.LotState) *millwav1.Lot {
		return &millwav1.Lot{Name: req.GetParent() + "/lots/" + id, State: st}
	}
	var out []*millwav1.Lot
	switch req.GetFilter() {
	case "none":
	case "fails":
		return nil, status.Error(codes.InvalidArgument, "filter: unknown field")
	case "many":
		for i := range req.GetPageSize() {
			out = append(out, lot(fmt.Sprintf("n%04d", i), millwav1.LotState_LOT_STATE_AVAILABLE))
		}
	default:
		out = []*millwav1.Lot{lot("n0001", millwav1.LotState_LOT_STATE_AVAILABLE),
			lot("gone", millwav1.LotState_LOT_STATE_WITHDRAWN), lot("n0002", millwav1.LotState_LOT_STATE_SOLD)}
	}
	return &millwav1.ListLotsResponse{Lots: out}, nil
}

func (f *fakeRegistry) seen(lot string) (string, metadata.MD) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.names[lot], f.mds[lot]
}

func testLabel(name string) *millwav1.LotLabel {
	t := func(es, en string) *millwav1.LocalizedText { return &millwav1.LocalizedText{Es: es, En: en} }
	return &millwav1.LotLabel{
		Name: name + "/label", Lot: name, ProductName: t("Fibra de alpaca clasificada", "Classified alpaca fibre"),
		Standard: "standards/pe-ntp-231-301-2014", StandardTitle: t("NTP 231.301:2014", "NTP 231.301:2014"),
		QualityGroup: "MEDIUM_FLEECE", QualityGroupName: t("Alpaca Medium Fleece", "Alpaca Medium Fleece"),
		Colour: "WHITE", ColourName: t("Blanco", "White"), Breed: "HUACAYA", BreedName: t("Huacaya", "Huacaya"),
		NetWeightGrams: 46000, LotId: "ok", Campaign: 2026, Association: "associations/a",
		AssociationLegalName: "Asociación Ñuñoa & Hijos", AssociationRuc: "20448012345",
		Origin:     &millwav1.LabelOrigin{Community: "Q'ero", CollectionPoint: "Ichu", Ubigeo: "210101", Department: "Puno"},
		Classifier: "associations/a/classifiers/c", ClassifierDisplayName: "María Quispe",
		ClassificationDate: "2026-11-20", SvgPath: "/v1/" + name + "/label.svg", PdfPath: "/v1/" + name + "/label.pdf",
		QrPayload: name,
	}
}

const gatewayKey, gatewayToken = "x-test-gateway", "the-gateway-token"

// startLabelGateway serves fake on a loopback gRPC listener and returns
// the gateway over it.
func startLabelGateway(t *testing.T) (*fakeRegistry, *httptest.Server) {
	t.Helper()
	fake := &fakeRegistry{names: map[string]string{}, mds: map[string]metadata.MD{}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	millwav1.RegisterRegistryServiceServer(srv, fake)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	h, err := NewHandler(t.Context(), conn, Options{Metadata: metadata.Pairs(gatewayKey, gatewayToken)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return fake, hs
}

func get(t *testing.T, hs *httptest.Server, method, path string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, hs.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := hs.Client().Do(req)
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

func TestLabelRoutesServeTheRenderedLabel(t *testing.T) {
	t.Parallel()
	fake, hs := startLabelGateway(t)
	const name = "associations/a/lots/ok"
	for _, tt := range []struct {
		ext, contentType string
		valid            func([]byte) error
	}{
		{"svg", "image/svg+xml", func(b []byte) error {
			d := xml.NewDecoder(bytes.NewReader(b))
			for {
				_, err := d.Token()
				if errors.Is(err, io.EOF) {
					return nil
				}
				if err != nil {
					return err
				}
			}
		}},
		{"pdf", "application/pdf", func(b []byte) error {
			if !bytes.HasPrefix(b, []byte("%PDF-")) {
				return errors.New("does not start with %PDF-")
			}
			return nil
		}},
	} {
		t.Run(tt.ext, func(t *testing.T) {
			resp, body := get(t, hs, http.MethodGet, "/v1/"+name+"/label."+tt.ext, http.Header{
				"Authorization": {"Bearer secret-key"},
				// A client cannot pose as the gateway.
				"Grpc-Metadata-" + gatewayKey: {"forged"},
			})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("HTTP %d: %s", resp.StatusCode, body)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type %q, want %q", got, tt.contentType)
			}
			disp, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
			if err != nil || disp != "inline" || params["filename"] != "etiqueta-ok."+tt.ext {
				t.Errorf("Content-Disposition %q", resp.Header.Get("Content-Disposition"))
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != "private, no-store" {
				t.Errorf("headers %v", resp.Header)
			}
			if err := tt.valid(body); err != nil {
				t.Errorf("body is not a valid %s: %v", tt.ext, err)
			}
		})
	}
	got, md := fake.seen("ok")
	if got != name {
		t.Errorf("GetLotLabel called with name %q, want %q", got, name)
	}
	if a := md.Get("authorization"); len(a) != 1 || a[0] != "Bearer secret-key" {
		t.Errorf("authorization metadata %q", a)
	}
	if g := md.Get(gatewayKey); len(g) != 1 || g[0] != gatewayToken {
		t.Errorf("gateway metadata %q, want only the gateway's token", g)
	}
	if xff := md.Get("x-forwarded-for"); len(xff) != 1 || !strings.Contains(xff[0], "127.0.0.1") {
		t.Errorf("x-forwarded-for %q", xff)
	}
}

func TestLabelRoutesAnswerErrorsAsStatusJSON(t *testing.T) {
	t.Parallel()
	_, hs := startLabelGateway(t)
	for _, tt := range []struct {
		lot      string
		httpCode int
		code     codes.Code
	}{
		{"NotFound", http.StatusNotFound, codes.NotFound},
		{"Unauthenticated", http.StatusUnauthorized, codes.Unauthenticated},
		{"PermissionDenied", http.StatusForbidden, codes.PermissionDenied},
		{"InvalidArgument", http.StatusBadRequest, codes.InvalidArgument},
		{"FailedPrecondition", http.StatusBadRequest, codes.FailedPrecondition},
		{"ResourceExhausted", http.StatusTooManyRequests, codes.ResourceExhausted},
		{"blank", http.StatusInternalServerError, codes.Internal},
	} {
		for _, ext := range []string{"svg", "pdf"} {
			t.Run(tt.lot+"."+ext, func(t *testing.T) {
				t.Parallel()
				resp, body := get(t, hs, http.MethodGet, "/v1/associations/a/lots/"+tt.lot+"/label."+ext, nil)
				var st spb.Status
				if err := protojson.Unmarshal(body, &st); err != nil {
					t.Fatalf("HTTP %d, body is not google.rpc.Status JSON: %v\n%s", resp.StatusCode, err, body)
				}
				if resp.StatusCode != tt.httpCode || codes.Code(st.GetCode()) != tt.code || st.GetMessage() == "" {
					t.Errorf("HTTP %d %v %q, want HTTP %d %v", resp.StatusCode, codes.Code(st.GetCode()), st.GetMessage(), tt.httpCode, tt.code)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
			})
		}
	}
}

func TestLabelRoutesTakeOnlyGet(t *testing.T) {
	t.Parallel()
	fake, hs := startLabelGateway(t)
	resp, body := get(t, hs, http.MethodPost, "/v1/associations/a/lots/ok/label.svg", nil)
	var st spb.Status
	if resp.StatusCode == http.StatusOK || protojson.Unmarshal(body, &st) != nil {
		t.Errorf("POST: HTTP %d %s", resp.StatusCode, body)
	}
	if name, _ := fake.seen("ok"); name != "" {
		t.Errorf("POST called GetLotLabel")
	}
	resp, _ = get(t, hs, http.MethodHead, "/v1/associations/a/lots/ok/label.pdf", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("HEAD: HTTP %d %v", resp.StatusCode, resp.Header)
	}
}
