package gateway

import (
	"context"
	"net/http"
	"strings"
	"unicode"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/millwa/millwa/gateway/label"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// getLotLabelMethod is the RPC the label routes read with.
const getLotLabelMethod = "/millwa.v1.RegistryService/GetLotLabel"

// lotLabelFormat is one printable form of a single lot label.
type lotLabelFormat struct {
	ext, contentType, csp string
	render                func(label.Label) ([]byte, error)
}

var lotLabelFormats = []lotLabelFormat{
	{ext: "svg", contentType: "image/svg+xml", render: label.SVG, csp: "default-src 'none'; style-src 'unsafe-inline'; sandbox"},
	{ext: "pdf", contentType: "application/pdf", render: label.PDF},
}

// registerLotLabels serves the bale labels: one lot's as SVG or PDF
// (GET …/lots/{l}/label.svg and .pdf, the paths LotLabel.svg_path and
// pdf_path give), and several lots' in one PDF of A4 pages
// (GET …/lots:labels.pdf, see batchLabels).
func registerLotLabels(root *http.ServeMux, mux *runtime.ServeMux, client millwav1.RegistryServiceClient) {
	const path = "/v1/associations/{association}/lots/{lot}/label"
	for _, f := range lotLabelFormats {
		pattern := path + "." + f.ext
		root.Handle("GET "+pattern, &lotLabelHandler{mux: mux, client: client, format: f, pattern: pattern})
	}
	const batch = "/v1/associations/{association}/lots:labels.pdf"
	root.Handle("GET "+batch, &batchLabelsHandler{mux: mux, client: client, pattern: batch})
}

// lotLabelHandler serves one format of single lot labels.
type lotLabelHandler struct {
	mux     *runtime.ServeMux
	client  millwav1.RegistryServiceClient
	format  lotLabelFormat
	pattern string
}

func (h *lotLabelHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := "associations/" + r.PathValue("association") + "/lots/" + r.PathValue("lot")
	resp, ok := callForRoute(w, r, h.mux, getLotLabelMethod, h.pattern, func(ctx context.Context) (*millwav1.GetLotLabelResponse, error) {
		return h.client.GetLotLabel(ctx, &millwav1.GetLotLabelRequest{Name: name})
	})
	if !ok {
		return
	}
	body, err := h.format.render(labelFromProto(resp.GetLabel()))
	if err != nil {
		// The server answered what the renderer cannot print: a bug on
		// this side, whose detail the client cannot act on.
		writeStatus(w, r, http.StatusInternalServerError, status.New(codes.Internal,
			"internal error: the page could not be rendered as "+h.format.ext))
		return
	}
	writeDocument(w, r, document{body: body, contentType: h.format.contentType, disposition: "inline",
		fileName: "etiqueta-" + fileLotNumber(resp.GetLabel()) + "." + h.format.ext, csp: h.format.csp})
}

// fileLotNumber is how a file name names a lot: its number, or its id when
// it has none, in letters, digits, "-", "_" and "." only.
func fileLotNumber(l *millwav1.LotLabel) string {
	n := l.GetLotNumber()
	if n == "" {
		n = l.GetLotId()
	}
	return fileSafe(n)
}

// fileSafe writes s with ASCII letters, digits, "-", "_" and "." only:
// Spanish accented letters lose their accent, anything else becomes "-",
// and runs of "-" become one.
func fileSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		if a, ok := unaccented[r]; ok {
			r = a
		}
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.'):
			b.WriteRune(r)
		case !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-.")
}

var unaccented = map[rune]rune{
	'á': 'a', 'é': 'e', 'í': 'i', 'ó': 'o', 'ú': 'u', 'ü': 'u', 'ñ': 'n',
	'Á': 'A', 'É': 'E', 'Í': 'I', 'Ó': 'O', 'Ú': 'U', 'Ü': 'U', 'Ñ': 'N',
}

// labelFromProto is what the renderer prints of a LotLabel.
func labelFromProto(l *millwav1.LotLabel) label.Label {
	text := func(t *millwav1.LocalizedText) label.Text { return label.Text{ES: t.GetEs(), EN: t.GetEn()} }
	o := l.GetOrigin()
	return label.Label{
		LotName:                  l.GetLot(),
		QRText:                   l.GetQrPayload(),
		LotID:                    l.GetLotId(),
		LotNumber:                l.GetLotNumber(),
		Product:                  text(l.GetProductName()),
		Standard:                 text(l.GetStandardTitle()),
		QualityGroup:             text(l.GetQualityGroupName()),
		QualityGroupAbbreviation: l.GetQualityGroupAbbreviation(),
		Colour:                   text(l.GetColourName()),
		Breed:                    text(l.GetBreedName()),
		NetWeightGrams:           l.GetNetWeightGrams(),
		Campaign:                 int(l.GetCampaign()),
		Association:              l.GetAssociationLegalName(),
		RUC:                      l.GetAssociationRuc(),
		Community:                o.GetCommunity(),
		District:                 o.GetDistrict(),
		Province:                 o.GetProvince(),
		Department:               o.GetDepartment(),
		Ubigeo:                   o.GetUbigeo(),
		CollectionPoint:          o.GetCollectionPoint(),
		Classifier:               l.GetClassifierDisplayName(),
		Certification:            l.GetClassifierCertificationNumber(),
		ClassificationDate:       l.GetClassificationDate(),
		MeanFiberDiameterUm:      l.MeanFiberDiameterUm,
	}
}
