package server_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/millwa/millwa/gateway/label/labeltest"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// labelGET fetches a printable label with the given key ("" for none) and
// returns the answer with its body.
func (ts *testServer) labelGET(t *testing.T, secret, path string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.baseURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// labelSVGText parses a label's SVG strictly and returns the text it
// shows: each <text> element's characters, tspans included, joined by a
// space, runs of white space made one.
func labelSVGText(t *testing.T, svg []byte) string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	var texts []string
	var cur *strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the label's SVG is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if tok.Name.Local == "text" {
				cur = &strings.Builder{}
			}
		case xml.EndElement:
			if tok.Name.Local == "text" && cur != nil {
				texts = append(texts, cur.String())
				cur = nil
			}
		case xml.CharData:
			if cur != nil {
				cur.Write(tok)
			}
		}
	}
	return strings.Join(strings.Fields(strings.Join(texts, " ")), " ")
}

// decodeLabelQR decodes the QR code of a printable page's SVG.
func decodeLabelQR(t *testing.T, svg []byte) string {
	t.Helper()
	return labeltest.DecodeSVGQR(t, svg)
}

// wantStatusJSON fails t unless the answer is a google.rpc.Status JSON
// error with the HTTP status and gRPC code given.
func wantStatusJSON(t *testing.T, what string, resp *http.Response, body []byte, httpCode int, code codes.Code) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q, want application/json", what, ct)
	}
	restError(t, what, restResult{code: resp.StatusCode, body: body}, httpCode, code)
}

func TestLotLabel(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.lotFixture(t, "210101")
		b := ts.lotFixture(t, "080101")
		asA := millwav1.NewRegistryServiceClient(ts.dial(t, a.secret))
		asB := millwav1.NewRegistryServiceClient(ts.dial(t, b.secret))

		// Measured at 27.4 µm, declared BABY: sold, and labelled, as MEDIUM_FLEECE.
		measured := a.lot("BABY")
		measured.Measurement = &millwav1.FiberSample{MeanFiberDiameterUm: ptr(27.4), SdUm: ptr(5.0), FibersMeasured: ptr(int64(4000)), StapleLengthMm: ptr(85.0)}
		measured.LotNumber, measured.ClassificationDate = "L-0042", "2026-11-20"
		created, err := asA.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: a.assoc.GetName(), Lot: measured})
		if err != nil {
			t.Fatalf("CreateLot: %v", err)
		}
		lot := created.GetLot()
		name, id := lot.GetName(), idOf(lot.GetName())

		text := func(es, en string) *millwav1.LocalizedText { return &millwav1.LocalizedText{Es: es, En: en} }
		want := &millwav1.LotLabel{
			Name: name + "/label", Lot: name,
			ProductName:   text("Fibra de alpaca clasificada", "Classified alpaca fibre"),
			Standard:      "standards/pe-ntp-231-301-2014",
			StandardTitle: text("NTP 231.301:2014", "NTP 231.301:2014"),
			QualityGroup:  "MEDIUM_FLEECE", QualityGroupName: text("Alpaca Medium Fleece", "Alpaca Medium Fleece"),
			Colour: "WHITE", ColourName: text("Blanco", "White"),
			Breed: "HUACAYA", BreedName: text("Huacaya", "Huacaya"),
			NetWeightGrams: 46000, LotId: id, LotNumber: "L-0042", Campaign: 2026,
			Association: a.assoc.GetName(), AssociationLegalName: a.assoc.GetLegalName(), AssociationRuc: a.assoc.GetRuc(),
			Origin: &millwav1.LabelOrigin{CollectionPoint: "Centro de acopio Ichu", Ubigeo: "210101",
				District: "Puno", Province: "Puno", Department: "Puno"},
			QualityGroupAbbreviation:      "MF",
			Classifier:                    a.classifier,
			ClassifierDisplayName:         "Maestra Clasificadora",
			ClassifierCertificationNumber: "SINEACE-123",
			ClassificationDate:            "2026-11-20",
			MeanFiberDiameterUm:           ptr(27.4),
			SvgPath:                       "/v1/" + name + "/label.svg",
			PdfPath:                       "/v1/" + name + "/label.pdf",
			// The server listens on 127.0.0.1:port without MILLWA_PUBLIC_URL:
			// labels link to that address.
			QrPayload: ts.baseURL + "/v1/" + name + "#n=L-0042",
		}

		// Over gRPC, as the association and as the admin.
		got, err := asA.GetLotLabel(t.Context(), &millwav1.GetLotLabelRequest{Name: name})
		if err != nil {
			t.Fatalf("GetLotLabel: %v", err)
		}
		if diff := cmp.Diff(want, got.GetLabel(), protocmp.Transform()); diff != "" {
			t.Errorf("GetLotLabel (-want +got):\n%s", diff)
		}
		asAdmin, err := millwav1.NewRegistryServiceClient(ts.conn).GetLotLabel(t.Context(), &millwav1.GetLotLabelRequest{Name: name})
		if err != nil || !proto.Equal(asAdmin.GetLabel(), got.GetLabel()) {
			t.Errorf("the admin's label differs: %v %v", asAdmin, err)
		}

		// Over REST, the bare label.
		var viaREST millwav1.LotLabel
		restOK(t, "GET label over REST", ts.restAs(t, a.secret, http.MethodGet, "/v1/"+name+"/label", ""), &viaREST)
		if !proto.Equal(&viaREST, got.GetLabel()) {
			t.Errorf("REST label differs from gRPC's:\n%v\n%v", protojson.Format(&viaREST), protojson.Format(got.GetLabel()))
		}

		// The printable forms, from the paths the label gives.
		resp, svg := ts.labelGET(t, a.secret, want.GetSvgPath())
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" {
			t.Fatalf("GET %s: HTTP %d %s: %.300s", want.GetSvgPath(), resp.StatusCode, resp.Header.Get("Content-Type"), svg)
		}
		if disp, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err != nil || disp != "inline" || params["filename"] != "etiqueta-L-0042.svg" {
			t.Errorf("SVG Content-Disposition %q", resp.Header.Get("Content-Disposition"))
		}
		shown := labelSVGText(t, svg)
		for _, s := range []string{
			"Fibra de alpaca clasificada", "Classified alpaca fibre",
			"Grupo de calidad / Quality group: Alpaca Medium Fleece", "MF", "46.00 kg",
			"Peso neto / Net weight", "Color / Colour: Blanco / White", "Raza / Breed: Huacaya Diámetro",
			"Asociación / Association: " + a.assoc.GetLegalName(), "RUC / Taxpayer number: " + a.assoc.GetRuc(),
			"Origen / Origin: Puno, Puno, Puno (ubigeo 210101)", "Clasificador(a) / Classifier: Maestra Clasificadora",
			"Código del lote / Lot id: " + id, "N.º de lote / Lot number L-0042",
			"Fecha de clasificación / Classification date: 2026-11-20", "Diámetro medio de fibra / Mean fibre diameter: 27.4 µm",
		} {
			if !strings.Contains(shown, s) {
				t.Errorf("the SVG label does not show %q\n%s", s, shown)
			}
		}
		if got := labeltest.DecodeSVGQR(t, svg); got != want.GetQrPayload() {
			t.Errorf("the SVG's QR code holds %q, want %q", got, want.GetQrPayload())
		}
		resp, pdf := ts.labelGET(t, a.secret, want.GetPdfPath())
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" ||
			!bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) < 3000 {
			t.Fatalf("GET %s: HTTP %d %s, %d bytes: %.40q", want.GetPdfPath(), resp.StatusCode, resp.Header.Get("Content-Type"), len(pdf), pdf)
		}
		if disp, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err != nil || disp != "inline" || params["filename"] != "etiqueta-L-0042.pdf" {
			t.Errorf("PDF Content-Disposition %q", resp.Header.Get("Content-Disposition"))
		}

		// Another association's lot is NotFound, exactly as a missing one.
		missingID := "0192d1a0-0000-7000-8000-000000000000"
		missing := a.assoc.GetName() + "/lots/" + missingID
		_, errB := asB.GetLotLabel(t.Context(), &millwav1.GetLotLabelRequest{Name: name})
		_, errMissing := asB.GetLotLabel(t.Context(), &millwav1.GetLotLabelRequest{Name: missing})
		sameNotFound(t, "B's label of A's lot", errB, id, errMissing, missingID)
		restError(t, "B's REST label", ts.restAs(t, b.secret, http.MethodGet, "/v1/"+name+"/label", ""), http.StatusNotFound, codes.NotFound)
		for _, path := range []string{want.GetSvgPath(), want.GetPdfPath()} {
			resp, body := ts.labelGET(t, b.secret, path)
			wantStatusJSON(t, "B: GET "+path, resp, body, http.StatusNotFound, codes.NotFound)
		}

		// No key: 401; a processor reads the label of a lot on offer.
		for _, path := range []string{want.GetSvgPath(), want.GetPdfPath()} {
			resp, body := ts.labelGET(t, "", path)
			wantStatusJSON(t, "no key: GET "+path, resp, body, http.StatusUnauthorized, codes.Unauthenticated)
		}
		_, procSecret := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, ts.insertProcessor(t, "040101"), false)
		resp, body := ts.labelGET(t, procSecret, want.GetSvgPath())
		if resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Errorf("processor: GET .svg of a lot on offer: %d, %d bytes; want 200 with the SVG", resp.StatusCode, len(body))
		}

		// A malformed name is InvalidArgument; a withdrawn lot has no label.
		resp, body = ts.labelGET(t, a.secret, "/v1/"+a.assoc.GetName()+"/lots/not-an-id/label.svg")
		wantStatusJSON(t, "malformed lot id", resp, body, http.StatusBadRequest, codes.InvalidArgument)
		other, err := asA.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: a.assoc.GetName(), Lot: a.lot("FLEECE")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := asA.WithdrawLot(t.Context(), &millwav1.WithdrawLotRequest{Name: other.GetLot().GetName()}); err != nil {
			t.Fatal(err)
		}
		_, err = asA.GetLotLabel(t.Context(), &millwav1.GetLotLabelRequest{Name: other.GetLot().GetName()})
		if st := wantCode(t, "label of a withdrawn lot", err, codes.FailedPrecondition); !strings.Contains(st.Message(), "WITHDRAWN") || errorReason(st) != "LOT_WITHDRAWN" {
			t.Errorf("withdrawn: %q, reason %q", st.Message(), errorReason(st))
		}
		resp, body = ts.labelGET(t, a.secret, "/v1/"+other.GetLot().GetName()+"/label.pdf")
		wantStatusJSON(t, "PDF of a withdrawn lot", resp, body, http.StatusBadRequest, codes.FailedPrecondition)
	})
}

// TestLotLabelEscapesNames stores names holding XML's special characters
// and accents, and checks that the SVG served is well-formed and shows
// them as they are.
func TestLotLabelEscapesNames(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		reg := millwav1.NewRegistryServiceClient(ts.conn)
		assoc := newAssociation(int(fixtureN.Add(1)), "080101")
		assoc.LegalName = `Asociación "Ñuñoa" & Hijos <Sur>`
		assoc.Community = "Comunidad Q'ero & Pitumarca"
		created, err := reg.CreateAssociation(t.Context(), &millwav1.CreateAssociationRequest{Association: assoc})
		if err != nil {
			t.Fatalf("CreateAssociation: %v", err)
		}
		a := created.GetAssociation()
		member := ts.mustCreateMember(t, a.GetName(), newMember("Rosa Ccori", millwav1.Sex_SEX_FEMALE, 0))
		classifier := ts.mustCreateClassifier(t, a.GetName(), newClassifier(`María Ñahui <Quispe> & "Sra."`))
		_, secret := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a.GetName(), false)
		lot, err := millwav1.NewRegistryServiceClient(ts.dial(t, secret)).CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: a.GetName(), Lot: &millwav1.Lot{
			Campaign: 2026, Breed: "SURI", Colour: "LIGHT_FAWN", DeclaredQualityGroup: "FLEECE", Classifier: classifier.GetName(),
			NetWeightGrams: 12345, AskPricePerKg: 1800, CollectionPoint: "Acopio <Pitumarca> & Q'ero",
			Contributions: []*millwav1.Contribution{{Member: member.GetName(), Grams: 12345}},
		}})
		if err != nil {
			t.Fatalf("CreateLot: %v", err)
		}
		name := lot.GetLot().GetName()

		resp, svg := ts.labelGET(t, secret, "/v1/"+name+"/label.svg")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("HTTP %d: %s", resp.StatusCode, svg)
		}
		shown := labelSVGText(t, svg)
		for _, s := range []string{
			`Asociación / Association: Asociación "Ñuñoa" & Hijos <Sur>`,
			"Origen / Origin: Comunidad Q'ero & Pitumarca, Cusco, Cusco, Cusco (ubigeo 080101)",
			"Centro de acopio / Collection point: Acopio <Pitumarca> & Q'ero",
			`Clasificador(a) / Classifier: María Ñahui <Quispe> & "Sra."`,
			"12.35 kg", "Raza / Breed: Suri", "Color / Colour: Beige claro / Light fawn",
		} {
			if !strings.Contains(shown, s) {
				t.Errorf("the SVG label does not show %q\n%s", s, shown)
			}
		}
		for _, raw := range []string{"<Sur>", "<Quispe>", "<Pitumarca>", "& Hijos"} {
			if bytes.Contains(svg, []byte(raw)) {
				t.Errorf("the SVG holds %q unescaped", raw)
			}
		}
		if got, want := labeltest.DecodeSVGQR(t, svg), ts.baseURL+"/v1/"+name; got != want {
			t.Errorf("QR code holds %q, want %q", got, want)
		}
		resp, pdf := ts.labelGET(t, secret, "/v1/"+name+"/label.pdf")
		if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("PDF: HTTP %d: %.200s", resp.StatusCode, pdf)
		}
	})
}
