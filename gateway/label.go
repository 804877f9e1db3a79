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

// labelFormat is one printable form of a lot's bale label.
type labelFormat struct {
	ext         string // the path's and the file name's extension
	contentType string
	render      func(label.Label) ([]byte, error)
	// csp is the Content-Security-Policy of the answer, if any. An SVG
	// opened by itself is a document that could run script: it may run
	// nothing. A PDF gets none, as browsers refuse to show a sandboxed PDF.
	csp string
}

var labelFormats = []labelFormat{
	{ext: "svg", contentType: "image/svg+xml", render: label.SVG, csp: "default-src 'none'; style-src 'unsafe-inline'; sandbox"},
	{ext: "pdf", contentType: "application/pdf", render: label.PDF},
}

// getLotLabelMethod is the RPC the label routes call, as the policy table
// and the interceptors know it.
const getLotLabelMethod = "/millwa.v1.RegistryService/GetLotLabel"

// registerLabels serves the printable labels of lots,
// GET /v1/associations/{a}/lots/{l}/label.svg and …/label.pdf (the paths
// LotLabel.svg_path and pdf_path give). They are not REST mappings of an
// RPC, so the grpc-gateway rules do not cover them: each calls
// RegistryService.GetLotLabel over conn with the metadata the generated
// routes send (see callForRoute), so that the same interceptors, policy
// and rate limit apply, and renders the answer. Errors are google.rpc.Status JSON with the HTTP code of their
// gRPC code, as on every other route.
func registerLabels(root *http.ServeMux, mux *runtime.ServeMux, conn *grpc.ClientConn) {
	client := millwav1.NewRegistryServiceClient(conn)
	for _, f := range labelFormats {
		pattern := "/v1/associations/{association}/lots/{lot}/label." + f.ext
		root.Handle("GET "+pattern, &labelHandler{mux: mux, client: client, format: f, pattern: pattern})
	}
}

// labelHandler serves one format of lot labels.
type labelHandler struct {
	mux     *runtime.ServeMux
	client  millwav1.RegistryServiceClient
	format  labelFormat
	pattern string
}

func (h *labelHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := "associations/" + r.PathValue("association") + "/lots/" + r.PathValue("lot")
	resp, ok := callForRoute(w, r, h.mux, getLotLabelMethod, h.pattern, func(ctx context.Context) (*millwav1.GetLotLabelResponse, error) {
		return h.client.GetLotLabel(ctx, &millwav1.GetLotLabelRequest{Name: name})
	})
	if !ok {
		return
	}
	body, err := h.format.render(labelFromProto(resp.GetLabel()))
	if err != nil {
		// The server answered a label the renderer cannot print: a bug on
		// this side, whose detail the client cannot act on.
		writeStatus(w, r, http.StatusInternalServerError, status.New(codes.Internal,
			"internal error: the label could not be rendered as "+h.format.ext))
		return
	}
	writeDocument(w, r, document{body: body, contentType: h.format.contentType, disposition: "inline",
		fileName: "lot-" + resp.GetLabel().GetLotId() + "." + h.format.ext, csp: h.format.csp})
}

// labelFromProto is what the renderer prints of a LotLabel.
func labelFromProto(l *millwav1.LotLabel) label.Label {
	text := func(t *millwav1.LocalizedText) label.Text { return label.Text{ES: t.GetEs(), EN: t.GetEn()} }
	o := l.GetOrigin()
	return label.Label{
		LotName:             l.GetQrPayload(),
		LotID:               l.GetLotId(),
		LotNumber:           l.GetLotNumber(),
		Product:             text(l.GetProductName()),
		Standard:            text(l.GetStandardTitle()),
		QualityGroup:        text(l.GetQualityGroupName()),
		Colour:              text(l.GetColourName()),
		Breed:               text(l.GetBreedName()),
		NetWeightGrams:      l.GetNetWeightGrams(),
		Campaign:            int(l.GetCampaign()),
		Association:         l.GetAssociationLegalName(),
		RUC:                 l.GetAssociationRuc(),
		Community:           o.GetCommunity(),
		District:            o.GetDistrict(),
		Province:            o.GetProvince(),
		Department:          o.GetDepartment(),
		Ubigeo:              o.GetUbigeo(),
		CollectionPoint:     o.GetCollectionPoint(),
		Classifier:          l.GetClassifierDisplayName(),
		Certification:       l.GetClassifierCertificationNumber(),
		ClassificationDate:  l.GetClassificationDate(),
		MeanFiberDiameterUm: l.MeanFiberDiameterUm,
	}
}
