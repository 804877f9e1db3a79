package server_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/millwa/millwa/gateway/label/labeltest"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestReceiptSlipAndStatementPrint fetches a receipt's slip (SVG and A6
// PDF) and a member's statement (SVG and A4 PDF) through the gateway: the
// SVG shows the texts Spanish first, its QR code decodes to the resource's
// name, the PDF is a PDF of the right page; a processor, an agency and
// another association get NotFound for both.
func TestReceiptSlipAndStatementPrint(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		f := ts.acopioFixture(t, 1, 250)
		r := f.receive(t, f.classed(f.members[0], map[string]int64{"BABY": 1250, "FLEECE": 2750}))
		if r.GetSlipPdfPath() != "/v1/"+r.GetName()+"/slip.pdf" || r.GetMemberDisplayName() != "Socia 00" {
			t.Fatalf("receipt slip path %q, member %q", r.GetSlipPdfPath(), r.GetMemberDisplayName())
		}
		svgPath := strings.TrimSuffix(r.GetSlipPdfPath(), ".pdf") + ".svg"
		resp, svg := ts.labelGET(t, f.secret, svgPath)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" {
			t.Fatalf("GET %s: HTTP %d %s", svgPath, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		text := labelSVGText(t, svg)
		for _, want := range []string{"Recibo de acopio de fibra de alpaca", "Alpaca fibre collection receipt",
			"Recibo N.º / Receipt number: 1 (campaña / season 2026)", "Socio(a) / Member: Socia 00",
			"Peso neto / Net weight: 4.00 kg", "Grupo BABY / Group BABY: 1.25 kg", "Grupo FLEECE / Group FLEECE: 2.75 kg"} {
			if !strings.Contains(text, want) {
				t.Errorf("the slip does not show %q:\n%s", want, text)
			}
		}
		if got := decodeLabelQR(t, svg); got != r.GetName() {
			t.Errorf("the slip's QR code holds %q, want %q", got, r.GetName())
		}
		resp, pdf := ts.labelGET(t, f.secret, r.GetSlipPdfPath())
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" ||
			!bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf, []byte("/MediaBox [0 0 297.64 420.94]")) {
			t.Fatalf("GET %s: HTTP %d %s, %d bytes, want an A6 PDF: %.60q", r.GetSlipPdfPath(), resp.StatusCode, resp.Header.Get("Content-Type"), len(pdf), pdf)
		}
		// A6 as fpdf sizes it, 105 × 148.5 mm.
		checkPrinted(t, "the slip", pdf, 105, 148.5, r.GetName())

		st, err := f.reg.GetMemberStatement(t.Context(), &millwav1.GetMemberStatementRequest{Name: f.members[0] + "/statements/2026"})
		if err != nil {
			t.Fatal(err)
		}
		// Over REST the answer is the bare statement.
		var rest millwav1.MemberStatement
		restDo(t, ts, f.secret, "GET", "/v1/"+f.members[0]+"/statements/2026", nil, &rest)
		if rest.GetName() != st.GetStatement().GetName() || rest.GetDeliveredGrams() != 4000 || len(rest.GetLines()) != 1 {
			t.Fatalf("GET the statement over REST: %v", &rest)
		}
		path := st.GetStatement().GetPdfPath()
		resp, pdf = ts.labelGET(t, f.secret, path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" ||
			!bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf, []byte("/MediaBox [0 0 595.28 841.89]")) {
			t.Fatalf("GET %s: HTTP %d %s, %d bytes, want an A4 PDF: %.60q", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(pdf), pdf)
		}
		checkPrinted(t, "the statement", pdf, 210, 297, st.GetStatement().GetName())
		resp, svg = ts.labelGET(t, f.secret, strings.TrimSuffix(path, ".pdf")+".svg")
		text = labelSVGText(t, svg)
		for _, want := range []string{"Estado de cuenta del socio", "Socio(a) / Member: Socia 00", "Recibo N.º 1 / 2026-11-20",
			"Cuota de la asociación (2.50 %) / Association's fee (2.50 %): − PEN 0.00", "Saldo por pagar / Balance owed: PEN 0.00"} {
			if !strings.Contains(text, want) {
				t.Errorf("the statement does not show %q:\n%s", want, text)
			}
		}
		if got := decodeLabelQR(t, svg); got != st.GetStatement().GetName() {
			t.Errorf("the statement's QR code holds %q, want %q", got, st.GetStatement().GetName())
		}

		_, procKey := ts.createProcessor(t, "040101")
		_, agencyKey := ts.createAgency(t, "21")
		other := ts.acopioFixture(t, 1, 0)
		for _, key := range []string{procKey, agencyKey, other.secret} {
			for _, p := range []string{r.GetSlipPdfPath(), path} {
				resp, body := ts.labelGET(t, key, p)
				wantStatusJSON(t, "GET "+p+" by another tenant", resp, body, http.StatusNotFound, codes.NotFound)
			}
		}
	})
}

// printDPI is the resolution slips and statements are rendered at to read
// them back.
const printDPI = 150

// checkPrinted renders a PDF as a printer would: one page of width × height
// millimetres whose QR code reads back as name.
func checkPrinted(t *testing.T, what string, pdf []byte, width, height float64, name string) {
	t.Helper()
	pages := labeltest.RenderPDF(t, pdf, printDPI)
	if len(pages) != 1 {
		t.Fatalf("%s renders as %d pages, want 1", what, len(pages))
	}
	b := pages[0].Bounds()
	if w, h := labeltest.MM(width, printDPI), labeltest.MM(height, printDPI); abs(b.Dx()-w) > 2 || abs(b.Dy()-h) > 2 {
		t.Errorf("%s renders %d × %d pixels, want %d × %d (%g × %g mm at %d dpi)", what, b.Dx(), b.Dy(), w, h, width, height, printDPI)
	}
	if got := labeltest.DecodeQR(t, pages[0], b); got != name {
		t.Errorf("the QR code printed on %s holds %q, want %q", what, got, name)
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
