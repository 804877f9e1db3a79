package server_test

import (
	"fmt"
	"image"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/millwa/millwa/gateway/label"
	"github.com/millwa/millwa/gateway/label/labeltest"
	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// batchDPI is the resolution the batch PDF is rendered at to measure it.
const batchDPI = 100

// TestBatchLotLabels prints an association's lots in one PDF through the
// gateway, renders it as a printer would and measures it: two labels to
// an A4 page, each lot number 25 mm high, each QR code reading back as the
// lot's link at MILLWA_PUBLIC_URL with its number. Access follows the
// scopes: another association finds the lots NOT_FOUND, a processor
// prints the lot it bought and another processor does not see it.
func TestBatchLotLabels(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServerWith(t, dbURL, func(c *config.Config) { c.PublicURL = "https://millwa.example/" })
		a, b := ts.lotFixture(t, "211104"), ts.lotFixture(t, "080101")
		asA := millwav1.NewRegistryServiceClient(ts.dial(t, a.secret))
		var ids, names []string
		for i, group := range []string{"FLEECE", "FLEECE", "BABY", "HUARIZO"} {
			l := a.lot(group)
			l.LotNumber = fmt.Sprintf("2026-%04d", i+1)
			created, err := asA.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: a.assoc.GetName(), Lot: l})
			if err != nil {
				t.Fatalf("CreateLot: %v", err)
			}
			names = append(names, created.GetLot().GetName())
			ids = append(ids, idOf(created.GetLot().GetName()))
		}
		// The label names the lot's origin by its district, province and
		// department, each its own: 211104 is Caracoto in San Román, Puno.
		lbl, err := asA.GetLotLabel(t.Context(), &millwav1.GetLotLabelRequest{Name: names[0]})
		if o := lbl.GetLabel().GetOrigin(); err != nil || o.GetUbigeo() != "211104" || o.GetDistrict() != "Caracoto" ||
			o.GetProvince() != "San Roman" || o.GetDepartment() != "Puno" {
			t.Fatalf("GetLotLabel's origin: %v, %v; want Caracoto, San Roman, Puno (211104)", o, err)
		}
		resp, svg := ts.labelGET(t, a.secret, lbl.GetLabel().GetSvgPath())
		if shown := labelSVGText(t, svg); resp.StatusCode != http.StatusOK || !strings.Contains(shown, "Caracoto, San Roman, Puno (ubigeo 211104)") {
			t.Errorf("the SVG label's origin: HTTP %d\n%s", resp.StatusCode, shown)
		}
		batch := "/v1/" + a.assoc.GetName() + "/lots:labels.pdf"

		// Three lots by id: two pages, named by their numbers.
		resp, pdf := ts.labelGET(t, a.secret, batch+"?names="+ids[0]+","+ids[1]+"&names="+names[2])
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("GET %s: HTTP %d %s: %.300s", batch, resp.StatusCode, resp.Header.Get("Content-Type"), pdf)
		}
		if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err != nil || params["filename"] != "etiquetas-2026-0001_2026-0002_2026-0003.pdf" {
			t.Errorf("Content-Disposition %q", resp.Header.Get("Content-Disposition"))
		}
		pages := labeltest.RenderPDF(t, pdf, batchDPI)
		if len(pages) != 2 {
			t.Fatalf("%d pages for 3 labels, want 2", len(pages))
		}
		for i := range 3 {
			number := fmt.Sprintf("2026-%04d", i+1)
			page, dy := pages[i/label.LabelsPerPage], float64(i%label.LabelsPerPage)*label.A4.Height/label.LabelsPerPage
			// Where the label puts its number depends on the title and
			// the number only.
			l := label.Label{LotName: names[i], LotNumber: number}
			p, err := l.Placement()
			if err != nil {
				t.Fatal(err)
			}
			area := image.Rect(labeltest.MM(p.LotNumberX-1, batchDPI), labeltest.MM(dy+p.LotNumberBaseline-p.LotNumberCapHeight-1.5, batchDPI),
				labeltest.MM(204, batchDPI), labeltest.MM(dy+p.LotNumberBaseline+1.2, batchDPI))
			box := labeltest.InkBox(page, area)
			// Taller is allowed: a substitute face without Helvetica's
			// metrics (DejaVu Sans) prints the figures up to 27.5 mm.
			if h := float64(box.Dy()) * 25.4 / batchDPI; h < 24.7 || h > 27.5 {
				t.Errorf("label %s: the lot number's ink is %s, want 25 mm high to read it from two metres", number, labeltest.Describe(box, batchDPI))
			}
			// The QR code sits at the right, below the large texts, where
			// the label's placement says, its quiet zone clear.
			if got, want := labeltest.DecodeQRSquare(t, page, p.QRX, dy+p.QRY, p.QRSide, batchDPI), "https://millwa.example/v1/"+names[i]+"#n="+number; got != want {
				t.Errorf("label %s: the printed QR code holds %q, want %q", number, got, want)
			}
		}

		// By filter: the BABY lot alone, named by its number.
		resp, pdf = ts.labelGET(t, a.secret, batch+"?filter="+url.QueryEscape(`quality_group = "BABY"`))
		if _, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); resp.StatusCode != http.StatusOK || params["filename"] != "etiqueta-2026-0003.pdf" {
			t.Errorf("by filter: HTTP %d, Content-Disposition %q: %.200s", resp.StatusCode, resp.Header.Get("Content-Disposition"), pdf)
		}

		// Another association: NOT_FOUND on A's path, and A's lots refused
		// by name on its own.
		resp, body := ts.labelGET(t, b.secret, batch+"?names="+ids[0])
		wantStatusJSON(t, "B prints A's lot", resp, body, http.StatusNotFound, codes.NotFound)
		resp, body = ts.labelGET(t, b.secret, "/v1/"+b.assoc.GetName()+"/lots:labels.pdf?names="+names[0])
		wantStatusJSON(t, "B names A's lot on its path", resp, body, http.StatusBadRequest, codes.InvalidArgument)
		// Bad requests and unknown lots.
		resp, body = ts.labelGET(t, a.secret, batch)
		wantStatusJSON(t, "no lots given", resp, body, http.StatusBadRequest, codes.InvalidArgument)
		resp, body = ts.labelGET(t, a.secret, batch+"?names=not-an-id")
		wantStatusJSON(t, "malformed id", resp, body, http.StatusBadRequest, codes.InvalidArgument)
		resp, body = ts.labelGET(t, a.secret, batch+"?names="+ids[0]+",0192d1a0-0000-7000-8000-000000000000")
		wantStatusJSON(t, "unknown lot", resp, body, http.StatusNotFound, codes.NotFound)
		resp, body = ts.labelGET(t, "", batch+"?names="+ids[0])
		wantStatusJSON(t, "no key", resp, body, http.StatusUnauthorized, codes.Unauthenticated)

		// A processor buys the whole HUARIZO lot: it prints that lot's
		// label; another processor no longer sees the lot.
		proc, procKey := ts.createProcessor(t, "040101")
		order := newOrder()
		order.AcceptedQualityGroups, order.QuantityGrams = []string{"HUARIZO"}, 46_000
		if _, err := millwav1.NewMarketServiceClient(ts.dial(t, procKey)).CreatePurchaseOrder(t.Context(),
			&millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: order}); err != nil {
			t.Fatalf("CreatePurchaseOrder: %v", err)
		}
		resp, body = ts.labelGET(t, procKey, batch+"?names="+ids[3])
		if _, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); resp.StatusCode != http.StatusOK || params["filename"] != "etiqueta-2026-0004.pdf" {
			t.Errorf("the buyer prints its lot: HTTP %d %q: %.200s", resp.StatusCode, resp.Header.Get("Content-Disposition"), body)
		}
		_, otherKey := ts.createProcessor(t, "040101")
		resp, body = ts.labelGET(t, otherKey, batch+"?names="+ids[3])
		wantStatusJSON(t, "another processor prints the sold lot", resp, body, http.StatusNotFound, codes.NotFound)
	})
}
