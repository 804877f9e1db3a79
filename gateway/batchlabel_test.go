package gateway

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
)

// pdfPages counts the pages of a PDF by their page objects.
func pdfPages(pdf []byte) int {
	return bytes.Count(pdf, []byte("/Type /Page\n"))
}

func TestBatchLabelsPDF(t *testing.T) {
	t.Parallel()
	fake, hs := startLabelGateway(t)
	const base = "/v1/associations/a/lots:labels.pdf"
	var five []string
	for i := 1; i <= 5; i++ {
		five = append(five, fmt.Sprintf("n%04d", i))
	}
	for _, tt := range []struct {
		name, query string
		file        *regexp.Regexp
		pages       int
	}{
		{"one", "names=n0001", regexp.MustCompile(`^etiqueta-2026-0001\.pdf$`), 1},
		{"comma-separated and repeated", "names=n0001,associations/a/lots/n0002&names=n0003,n0001",
			regexp.MustCompile(`^etiquetas-2026-0001_2026-0002_2026-0003\.pdf$`), 2},
		{"many", "names=" + strings.Join(five, ","), regexp.MustCompile(`^etiquetas-asociacion-nunoa-hijos-\d{4}-\d{2}-\d{2}\.pdf$`), 3},
		{"filter without the withdrawn lot", "filter=state%3DLOT_STATE_AVAILABLE", regexp.MustCompile(`^etiquetas-2026-0001_2026-0002\.pdf$`), 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, hs, http.MethodGet, base+"?"+tt.query, http.Header{"Authorization": {"Bearer k"}})
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF-")) {
				t.Fatalf("HTTP %d %s: %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
			if err != nil || !tt.file.MatchString(params["filename"]) {
				t.Errorf("Content-Disposition %q, want a file name matching %s", resp.Header.Get("Content-Disposition"), tt.file)
			}
			if got := pdfPages(body); got != tt.pages {
				t.Errorf("%d pages, want %d", got, tt.pages)
			}
		})
	}
	if name, md := fake.seen("n0003"); name != "associations/a/lots/n0003" || len(md.Get("authorization")) != 1 {
		t.Errorf("GetLotLabel of n0003: name %q, metadata %v", name, md)
	}
}

func TestBatchLabelsErrors(t *testing.T) {
	t.Parallel()
	_, hs := startLabelGateway(t)
	var many []string
	for i := range 101 {
		many = append(many, fmt.Sprintf("n%04d", i))
	}
	for _, tt := range []struct {
		name, query string
		httpCode    int
		code        codes.Code
		field       string
	}{
		{"neither names nor filter", "", http.StatusBadRequest, codes.InvalidArgument, "names"},
		{"both", "names=n0001&filter=x", http.StatusBadRequest, codes.InvalidArgument, "filter"},
		{"too many names", "names=" + strings.Join(many, ","), http.StatusBadRequest, codes.InvalidArgument, "names"},
		{"another association's lot", "names=associations/b/lots/n0001", http.StatusBadRequest, codes.InvalidArgument, "names"},
		{"not a lot name", "names=associations/a/members/m", http.StatusBadRequest, codes.InvalidArgument, "names"},
		{"unknown lot", "names=n0001,NotFound", http.StatusNotFound, codes.NotFound, ""},
		{"refused lot", "names=PermissionDenied", http.StatusForbidden, codes.PermissionDenied, ""},
		{"filter matching none", "filter=none", http.StatusNotFound, codes.NotFound, ""},
		{"filter matching too many", "filter=many", http.StatusBadRequest, codes.InvalidArgument, "filter"},
		{"bad filter", "filter=fails", http.StatusBadRequest, codes.InvalidArgument, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := get(t, hs, http.MethodGet, "/v1/associations/a/lots:labels.pdf?"+tt.query, nil)
			var st spb.Status
			if err := protojson.Unmarshal(body, &st); err != nil {
				t.Fatalf("HTTP %d, body is not google.rpc.Status JSON: %v\n%.300s", resp.StatusCode, err, body)
			}
			if resp.StatusCode != tt.httpCode || codes.Code(st.GetCode()) != tt.code {
				t.Errorf("HTTP %d %v %q, want HTTP %d %v", resp.StatusCode, codes.Code(st.GetCode()), st.GetMessage(), tt.httpCode, tt.code)
			}
			if tt.field == "" {
				return
			}
			var fields []string
			for _, d := range st.GetDetails() {
				var br errdetails.BadRequest
				if d.UnmarshalTo(&br) == nil {
					for _, v := range br.GetFieldViolations() {
						fields = append(fields, v.GetField())
					}
				}
			}
			if len(fields) == 0 || fields[0] != tt.field {
				t.Errorf("field violations %v, want one on %s (%q)", fields, tt.field, st.GetMessage())
			}
		})
	}
}
