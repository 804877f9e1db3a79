package gateway

import (
	"context"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/millwa/millwa/gateway/label"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// sheetFormat is one printable form of a sheet (a lot's label, a
// receipt's slip, a member's statement).
type sheetFormat struct {
	ext         string // the path's and the file name's extension
	contentType string
	render      func(label.Sheet) ([]byte, error)
	// csp is the Content-Security-Policy of the answer, if any. An SVG
	// opened by itself is a document that could run script: it may run
	// nothing. A PDF gets none, as browsers refuse to show a sandboxed PDF.
	csp string
}

var sheetFormats = []sheetFormat{
	{ext: "svg", contentType: "image/svg+xml", render: label.SheetSVG, csp: "default-src 'none'; style-src 'unsafe-inline'; sandbox"},
	{ext: "pdf", contentType: "application/pdf", render: label.SheetPDF},
}

// sheetRoute is a printable page of a resource: the RPC it is read with,
// as the policy table and the interceptors know it, and how it is read and
// turned into a sheet and a file name (without extension).
type sheetRoute struct {
	// path is the route without its extension, with wildcards, for
	// example "/v1/associations/{association}/lots/{lot}/label".
	path   string
	method string
	read   func(ctx context.Context, r *http.Request) (label.Sheet, string, error)
}

// registerSheets serves printable pages that are not REST mappings of an
// RPC, so the grpc-gateway rules do not cover them: the lot labels
// (GET …/lots/{l}/label.svg and .pdf, the paths LotLabel.svg_path and
// pdf_path give), the receipt slips and the member statements. Each reads
// its resource over conn with the metadata the generated routes send (see
// callForRoute), so that the same interceptors, policy and rate limit
// apply, and renders the answer. Errors are google.rpc.Status JSON with the
// HTTP code of their gRPC code, as on every other route.
func registerSheets(root *http.ServeMux, mux *runtime.ServeMux, conn *grpc.ClientConn) {
	client := millwav1.NewRegistryServiceClient(conn)
	for _, route := range []sheetRoute{receiptSlipRoute(client), statementRoute(client)} {
		for _, f := range sheetFormats {
			pattern := route.path + "." + f.ext
			root.Handle("GET "+pattern, &sheetHandler{mux: mux, route: route, format: f, pattern: pattern})
		}
	}
	registerLotLabels(root, mux, client)
}

// sheetHandler serves one format of one route's sheets.
type sheetHandler struct {
	mux     *runtime.ServeMux
	route   sheetRoute
	format  sheetFormat
	pattern string
}

// sheetAnswer is a read sheet and its file name.
type sheetAnswer struct {
	sheet label.Sheet
	file  string
}

func (h *sheetHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp, ok := callForRoute(w, r, h.mux, h.route.method, h.pattern, func(ctx context.Context) (sheetAnswer, error) {
		s, file, err := h.route.read(ctx, r)
		return sheetAnswer{s, file}, err
	})
	if !ok {
		return
	}
	body, err := h.format.render(resp.sheet)
	if err != nil {
		// The server answered what the renderer cannot print: a bug on
		// this side, whose detail the client cannot act on.
		writeStatus(w, r, http.StatusInternalServerError, status.New(codes.Internal,
			"internal error: the page could not be rendered as "+h.format.ext))
		return
	}
	writeDocument(w, r, document{body: body, contentType: h.format.contentType, disposition: "inline",
		fileName: resp.file + "." + h.format.ext, csp: h.format.csp})
}
