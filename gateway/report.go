package gateway

import (
	"bytes"
	"context"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/millwa/millwa/gateway/report"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// getConsistencyReportMethod is the RPC the report routes call, as the
// policy table and the interceptors know it.
const getConsistencyReportMethod = "/millwa.v1.AuditService/GetConsistencyReport"

// ConsistencyReportPath is the JSON route of AuditService.GetConsistencyReport;
// the report for people is served at the same path with the extension
// ".html" (a page) or ".csv" (a download), with the same query parameters.
const ConsistencyReportPath = "/v1/audit/consistencyReport"

// registerReports serves the consistency report for people,
// GET /v1/audit/consistencyReport.html and …/consistencyReport.csv. Like
// the label routes they are not REST mappings of an RPC: each parses the
// query parameters of the JSON route (region, association or classifier;
// startTime and endTime in RFC 3339; standard; kappaThreshold), calls
// AuditService.GetConsistencyReport over conn with the metadata the
// generated routes send (see callForRoute), so that the same key, policy
// and rate limit apply, and renders the answer in the language of lang
// ("es", the default, or "en") or, without lang, of Accept-Language. Errors, the
// page's included, are google.rpc.Status JSON with the HTTP code of their
// gRPC code, as on every other route: a program fetches the page with the
// caller's key and needs to tell a refusal from a report.
func registerReports(root *http.ServeMux, mux *runtime.ServeMux, conn *grpc.ClientConn) {
	client := millwav1.NewAuditServiceClient(conn)
	for _, f := range report.Formats {
		pattern := ConsistencyReportPath + "." + f.Ext
		root.Handle("GET "+pattern, acceptSessionToken(&reportHandler{mux: mux, client: client, format: f, pattern: pattern}))
	}
}

// reportHandler serves one format of the consistency report.
type reportHandler struct {
	mux     *runtime.ServeMux
	client  millwav1.AuditServiceClient
	format  report.Format
	pattern string
}

func (h *reportHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, lang, violations := report.ParseQuery(r.URL.Query(), r.Header.Get("Accept-Language"))
	if len(violations) > 0 {
		writeStatus(w, r, http.StatusBadRequest, invalidQuery(violations))
		return
	}
	resp, ok := callForRoute(w, r, h.mux, getConsistencyReportMethod, h.pattern, func(ctx context.Context) (*millwav1.GetConsistencyReportResponse, error) {
		return h.client.GetConsistencyReport(ctx, req)
	})
	if !ok {
		return
	}
	var body bytes.Buffer
	if err := h.format.Render(&body, resp.GetConsistencyReport(), lang); err != nil {
		// Rendering into memory fails only on a bug on this side, whose
		// detail the client cannot act on.
		writeStatus(w, r, http.StatusInternalServerError, status.New(codes.Internal,
			"internal error: the consistency report could not be rendered as "+h.format.Ext))
		return
	}
	w.Header().Set("Content-Language", lang.Code())
	w.Header().Set("Vary", "Accept-Language")
	writeDocument(w, r, document{body: body.Bytes(), contentType: h.format.ContentType, disposition: h.format.Disposition,
		fileName: report.FileName(resp.GetConsistencyReport(), lang, h.format.Ext), csp: h.format.CSP})
}

// invalidQuery is the status of a report request whose query parameters
// do not make a request, shaped as the server's invalid requests are: an
// ErrorInfo and a BadRequest naming the fields.
func invalidQuery(vs []*errdetails.BadRequest_FieldViolation) *status.Status {
	fields := make([]string, len(vs))
	for i, v := range vs {
		fields[i] = v.GetField()
	}
	st := status.New(codes.InvalidArgument, "invalid request: check "+strings.Join(fields, ", "))
	if withDetails, err := st.WithDetails(
		&errdetails.ErrorInfo{Reason: "INVALID_FIELDS", Domain: "millwa"},
		&errdetails.BadRequest{FieldViolations: vs},
	); err == nil {
		st = withDetails
	}
	return st
}
