package gateway

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/millwa/millwa/gateway/report"
)

// TestGatewayCatalogue checks that every Spanish message has the verbs of
// its English one, in order, and that the time formats are the report's.
func TestGatewayCatalogue(t *testing.T) {
	for en, es := range gatewayES {
		if got, want := formatVerb.FindAllString(es, -1), formatVerb.FindAllString(en, -1); !slices.Equal(got, want) {
			t.Errorf("%q: Spanish verbs %v, English %v", en, got, want)
		}
	}
	if timeFormatsEN != report.TimeFormats {
		t.Errorf("timeFormatsEN is not report.TimeFormats:\n%s\n%s", timeFormatsEN, report.TimeFormats)
	}
}

func TestLocalize(t *testing.T) {
	req := func(acceptLanguage string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/v1/nothing", nil)
		if acceptLanguage != "" {
			r.Header.Set("Accept-Language", acceptLanguage)
		}
		return r
	}
	bad := status.New(codes.InvalidArgument, `the request has invalid fields: startTime: "mañana" is not `+report.TimeFormats)
	bad, _ = bad.WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
		{Field: "startTime", Description: `"mañana" is not ` + report.TimeFormats}}})
	server, _ := status.New(codes.NotFound, "lote x no encontrado").WithDetails(&errdetails.LocalizedMessage{Locale: "es-PE", Message: "lote x no encontrado"})
	tests := []struct {
		name, acceptLanguage string
		in                   *status.Status
		wantMessage          string
		wantLocale           string
		wantViolation        string
	}{
		{"no header: English", "", status.New(codes.NotFound, "no REST route for GET /v1/x: see /openapi.json for the paths of the API"),
			"no REST route for GET /v1/x: see /openapi.json for the paths of the API", "en", ""},
		{"Spanish", "es-PE,es;q=0.9", status.New(codes.NotFound, "no REST route for GET /v1/x: see /openapi.json for the paths of the API"),
			"no hay ruta REST para GET /v1/x: vea en /openapi.json las rutas de la API", "es-PE", ""},
		{"English preferred", "es;q=0.3, en", status.New(codes.NotFound, "no REST route for GET /v1/x: see /openapi.json for the paths of the API"),
			"no REST route for GET /v1/x: see /openapi.json for the paths of the API", "en", ""},
		{"nested message and violation", "es", bad,
			`la solicitud tiene campos no válidos: startTime: "mañana" no es ` + timeFormatsES, "es-PE", `"mañana" no es ` + timeFormatsES},
		{"unknown message stays English", "es", status.New(codes.InvalidArgument, "something new"), "something new", "en", ""},
		{"the server's answer is kept", "en", server, "lote x no encontrado", "es-PE", ""},
	}
	for _, tt := range tests {
		got := localize(req(tt.acceptLanguage), tt.in)
		var locale, violation string
		for _, d := range got.Details() {
			switch d := d.(type) {
			case *errdetails.LocalizedMessage:
				locale = d.GetLocale()
				if d.GetMessage() != got.Message() {
					t.Errorf("%s: LocalizedMessage %q beside the message %q", tt.name, d.GetMessage(), got.Message())
				}
			case *errdetails.BadRequest:
				violation = d.GetFieldViolations()[0].GetDescription()
			}
		}
		if got.Message() != tt.wantMessage || locale != tt.wantLocale || violation != tt.wantViolation || got.Code() != tt.in.Code() {
			t.Errorf("%s: %v %q (%s), violation %q; want %q (%s), violation %q", tt.name, got.Code(), got.Message(), locale, violation,
				tt.wantMessage, tt.wantLocale, tt.wantViolation)
		}
	}
}
