package gateway

import (
	"bytes"
	"context"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/gateway/report"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// reportTS is a timestamp of an RFC 3339 time.
func reportTS(s string) *timestamppb.Timestamp {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return timestamppb.New(t)
}

// routeReport is the report the fake answers: the routes' tests check how
// it is fetched and sent; gateway/report's tests check what it says.
func routeReport() *millwav1.ConsistencyReport {
	return &millwav1.ConsistencyReport{
		Scope: &millwav1.ConsistencyReport_Region{Region: "21"}, RegionName: "Puno",
		StartTime: reportTS("2025-11-01T00:00:00Z"), EndTime: reportTS("2026-04-01T00:00:00Z"),
		Standard: "standards/pe-ntp-231-301-2014", KappaThreshold: 0.6, ComputeTime: reportTS("2026-04-02T13:45:09Z"),
		Overall: &millwav1.AgreementStatistics{},
	}
}

// fakeAudit answers GetConsistencyReport by the region asked for: "21"
// gets routeReport, a gRPC code's name that error. It records each call.
type fakeAudit struct {
	millwav1.UnimplementedAuditServiceServer
	mu    sync.Mutex
	calls []*millwav1.GetConsistencyReportRequest
	mds   []metadata.MD
}

func (f *fakeAudit) GetConsistencyReport(ctx context.Context, req *millwav1.GetConsistencyReportRequest) (*millwav1.GetConsistencyReportResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.calls, f.mds = append(f.calls, req), append(f.mds, md)
	f.mu.Unlock()
	if req.GetRegion() == "21" {
		return &millwav1.GetConsistencyReportResponse{ConsistencyReport: routeReport()}, nil
	}
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		if c.String() == req.GetRegion() {
			return nil, status.Errorf(c, "refused: %s", c)
		}
	}
	return nil, status.Error(codes.NotFound, "region "+req.GetRegion()+" not found")
}

func (f *fakeAudit) seen() ([]*millwav1.GetConsistencyReportRequest, []metadata.MD) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls), slices.Clone(f.mds)
}

// startReportGateway serves a fakeAudit on a loopback gRPC listener and
// returns the gateway over it.
func startReportGateway(t *testing.T) (*fakeAudit, *httptest.Server) {
	t.Helper()
	fake := &fakeAudit{}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	millwav1.RegisterAuditServiceServer(srv, fake)
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

const reportQuery = "?region=21&startTime=2025-11-01T00:00:00Z&endTime=2026-04-01T00:00:00Z&kappaThreshold=0.6"

func TestReportRoutesServeTheReport(t *testing.T) {
	t.Parallel()
	fake, hs := startReportGateway(t)
	for _, tt := range []struct {
		ext, acceptLanguage, query string
		contentType, disposition   string
		lang, fileName, start      string
	}{
		{"html", "", "", "text/html; charset=utf-8", "inline", "es", "informe-consistencia_region-21_2025-11-01_2026-04-01.html", "<!DOCTYPE html>"},
		{"html", "en-GB,en;q=0.8", "", "text/html; charset=utf-8", "inline", "en", "consistency-report_region-21_2025-11-01_2026-04-01.html", "<!DOCTYPE html>"},
		{"csv", "", "&lang=en", "text/csv; charset=utf-8", "attachment", "en", "consistency-report_region-21_2025-11-01_2026-04-01.csv", "\ufeff" + "Grading consistency report\r\n"},
		{"csv", "en", "&lang=es", "text/csv; charset=utf-8", "attachment", "es", "informe-consistencia_region-21_2025-11-01_2026-04-01.csv", "\ufeff" + "Informe de consistencia"},
	} {
		header := http.Header{
			"Authorization": {"Bearer secret-key"},
			// A client cannot pose as the gateway.
			"Grpc-Metadata-" + gatewayKey: {"forged"},
		}
		if tt.acceptLanguage != "" {
			header.Set("Accept-Language", tt.acceptLanguage)
		}
		resp, body := get(t, hs, http.MethodGet, ConsistencyReportPath+"."+tt.ext+reportQuery+tt.query, header)
		what := tt.ext + " " + tt.lang
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: HTTP %d: %s", what, resp.StatusCode, body)
		}
		h := resp.Header
		if h.Get("Content-Type") != tt.contentType || h.Get("Content-Language") != tt.lang ||
			h.Get("Cache-Control") != "private, no-store" || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Vary") != "Accept-Language" || (!resp.Uncompressed && h.Get("Content-Length") != strconv.Itoa(len(body))) {
			t.Errorf("%s: headers %v", what, h)
		}
		if csp := h.Get("Content-Security-Policy"); (tt.ext == "html") != (csp == report.PageCSP) {
			t.Errorf("%s: Content-Security-Policy %q", what, csp)
		}
		disp, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
		if err != nil || disp != tt.disposition || params["filename"] != tt.fileName {
			t.Errorf("%s: Content-Disposition %q, want %s with %s", what, h.Get("Content-Disposition"), tt.disposition, tt.fileName)
		}
		if !bytes.HasPrefix(body, []byte(tt.start)) {
			t.Errorf("%s: body starts %.60q, want %q", what, body, tt.start)
		}
		if tt.ext == "html" && !bytes.Contains(body, []byte(`<html lang="`+tt.lang+`">`)) {
			t.Errorf("%s: the page is not in %s", what, tt.lang)
		}
	}
	calls, mds := fake.seen()
	want := &millwav1.GetConsistencyReportRequest{Scope: &millwav1.GetConsistencyReportRequest_Region{Region: "21"},
		StartTime: reportTS("2025-11-01T00:00:00Z"), EndTime: reportTS("2026-04-01T00:00:00Z"), KappaThreshold: proto.Float64(0.6)}
	if len(calls) != 4 || !proto.Equal(calls[0], want) {
		t.Fatalf("GetConsistencyReport called %d times, first with %v; want %v", len(calls), calls, want)
	}
	md := mds[0]
	if a := md.Get("authorization"); len(a) != 1 || a[0] != "Bearer secret-key" {
		t.Errorf("authorization metadata %q", a)
	}
	if g := md.Get(gatewayKey); len(g) != 1 || g[0] != gatewayToken {
		t.Errorf("gateway metadata %q, want only the gateway's token", g)
	}
	if xff := md.Get("x-forwarded-for"); len(xff) != 1 || !strings.Contains(xff[0], "127.0.0.1") {
		t.Errorf("x-forwarded-for %q", xff)
	}
	if al := mds[1].Get("accept-language"); len(al) != 1 || al[0] != "en-GB,en;q=0.8" {
		t.Errorf("accept-language metadata %q", al)
	}

	resp, body := get(t, hs, http.MethodHead, ConsistencyReportPath+".csv"+reportQuery, nil)
	if resp.StatusCode != http.StatusOK || len(body) != 0 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Errorf("HEAD: HTTP %d, %d bytes, %v", resp.StatusCode, len(body), resp.Header)
	}
}

func TestReportRoutesAnswerErrorsAsStatusJSON(t *testing.T) {
	t.Parallel()
	fake, hs := startReportGateway(t)
	for _, tt := range []struct {
		query    string
		httpCode int
		code     codes.Code
		fields   []string
	}{
		{"?region=NotFound", http.StatusNotFound, codes.NotFound, nil},
		{"?region=Unauthenticated", http.StatusUnauthorized, codes.Unauthenticated, nil},
		{"?region=PermissionDenied", http.StatusForbidden, codes.PermissionDenied, nil},
		{"?region=InvalidArgument", http.StatusBadRequest, codes.InvalidArgument, nil},
		{"?region=ResourceExhausted", http.StatusTooManyRequests, codes.ResourceExhausted, nil},
		{"?region=21&startTime=2025-11-31", http.StatusBadRequest, codes.InvalidArgument, []string{"start_time"}},
		{"?region=21&classifier=associations/a/classifiers/c&kappaThreshold=x", http.StatusBadRequest, codes.InvalidArgument, []string{"kappa_threshold", "scope"}},
		{"?region=21&lang=qu", http.StatusBadRequest, codes.InvalidArgument, []string{"lang"}},
	} {
		for _, ext := range []string{"html", "csv"} {
			resp, body := get(t, hs, http.MethodGet, ConsistencyReportPath+"."+ext+tt.query, nil)
			what := ext + tt.query
			var sp spb.Status
			if err := protojson.Unmarshal(body, &sp); err != nil {
				t.Fatalf("%s: HTTP %d, body is not google.rpc.Status JSON: %v\n%s", what, resp.StatusCode, err, body)
			}
			st := status.FromProto(&sp)
			if resp.StatusCode != tt.httpCode || st.Code() != tt.code || st.Message() == "" {
				t.Errorf("%s: HTTP %d %v %q, want HTTP %d %v", what, resp.StatusCode, st.Code(), st.Message(), tt.httpCode, tt.code)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s: Content-Type %q", what, ct)
			}
			if tt.fields == nil {
				continue
			}
			var fields []string
			var reason string
			for _, d := range st.Details() {
				switch d := d.(type) {
				case *errdetails.BadRequest:
					for _, v := range d.GetFieldViolations() {
						fields = append(fields, v.GetField())
					}
				case *errdetails.ErrorInfo:
					reason = d.GetReason() + "/" + d.GetDomain()
				}
			}
			if !slices.Equal(fields, tt.fields) || reason != "INVALID_FIELDS/millwa" {
				t.Errorf("%s: fields %q reason %q, want %q INVALID_FIELDS/millwa", what, fields, reason, tt.fields)
			}
		}
	}
	// Requests refused by the gateway never reach the server.
	calls, _ := fake.seen()
	if len(calls) != 10 {
		t.Errorf("GetConsistencyReport called %d times, want 10 (5 refusals of the server × 2 formats)", len(calls))
	}
	resp, body := get(t, hs, http.MethodPost, ConsistencyReportPath+".html"+reportQuery, nil)
	var st spb.Status
	if resp.StatusCode == http.StatusOK || protojson.Unmarshal(body, &st) != nil {
		t.Errorf("POST: HTTP %d %s", resp.StatusCode, body)
	}
}
