package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// localizedMessage returns the status's google.rpc.LocalizedMessage, or
// nil.
func localizedMessage(st *status.Status) *errdetails.LocalizedMessage {
	for _, d := range st.Details() {
		if lm, ok := d.(*errdetails.LocalizedMessage); ok {
			return lm
		}
	}
	return nil
}

// violationTexts maps the fields of the status's BadRequest detail to their
// descriptions.
func violationTexts(st *status.Status) map[string]string {
	out := map[string]string{}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out[v.GetField()] = v.GetDescription()
			}
		}
	}
	return out
}

// checkLanguage fails t unless st's message starts with prefix and its
// LocalizedMessage carries locale and the same message.
func checkLanguage(t *testing.T, what string, st *status.Status, prefix, locale string) {
	t.Helper()
	if !strings.HasPrefix(st.Message(), prefix) {
		t.Errorf("%s: message %q, want it to start with %q", what, st.Message(), prefix)
	}
	lm := localizedMessage(st)
	if lm == nil || lm.GetLocale() != locale || lm.GetMessage() != st.Message() {
		t.Errorf("%s: LocalizedMessage %v, want locale %q and the status message %q", what, lm, locale, st.Message())
	}
}

func TestErrorsInTheCallersLanguage(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		ts := startServer(t, dbURL)
		f := ts.lotFixture(t, "210101")
		missing := f.assoc.GetName() + "/lots/0192d1a0-0000-7000-8000-000000000000"
		bad := f.lot("BABY")
		bad.NetWeightGrams = 0
		bad.Contributions = nil

		tests := []struct {
			name, secret, acceptLanguage string
			wantPrefix, wantLocale       string
			wantViolation                string
		}{
			{"association key, no header: Spanish", f.secret, "", "solicitud no válida: revise ", "es-PE", "debe ser positivo, en gramos"},
			{"association key asking for English", f.secret, "en", "invalid request: check ", "en", "must be positive, in grams"},
			{"association key, English preferred by q-value", f.secret, "es;q=0.4, en-GB;q=0.9", "invalid request: check ", "en", "must be positive, in grams"},
			{"admin key, no header: English", adminSecret, "", "invalid request: check ", "en", "must be positive, in grams"},
			{"admin key asking for es-PE", adminSecret, "es-PE, en;q=0.5", "solicitud no válida: revise ", "es-PE", "debe ser positivo, en gramos"},
			{"admin key, a language Millwa lacks then Spanish", adminSecret, "qu, fr;q=0.9, es;q=0.8", "solicitud no válida: revise ", "es-PE", "debe ser positivo, en gramos"},
			{"association key, only languages Millwa lacks", f.secret, "fr, de;q=0.5", "solicitud no válida: revise ", "es-PE", "debe ser positivo, en gramos"},
		}
		for _, tt := range tests {
			ctx := t.Context()
			if tt.acceptLanguage != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "accept-language", tt.acceptLanguage)
			}
			reg := millwav1.NewRegistryServiceClient(ts.dial(t, tt.secret))
			_, err := reg.CreateLot(ctx, &millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: bad})
			st := status.Convert(err)
			if st.Code() != codes.InvalidArgument {
				t.Fatalf("%s: CreateLot answered %v %q, want InvalidArgument", tt.name, st.Code(), st.Message())
			}
			checkLanguage(t, tt.name, st, tt.wantPrefix, tt.wantLocale)
			if got := violationTexts(st)["lot.net_weight_grams"]; got != tt.wantViolation {
				t.Errorf("%s: lot.net_weight_grams violation %q, want %q", tt.name, got, tt.wantViolation)
			}
		}

		// The grading engine's own violations are translated too.
		fibres := int64(20_000_000)
		esCtx := metadata.AppendToOutgoingContext(t.Context(), "accept-language", "es")
		_, err := millwav1.NewGradingServiceClient(ts.dial(t, "")).GradeSample(esCtx, &millwav1.GradeSampleRequest{
			Standard: "standards/pe-ntp-231-301-2014", Sample: &millwav1.FiberSample{FibersMeasured: &fibres}})
		st := status.Convert(err)
		vt := violationTexts(st)
		if st.Code() != codes.InvalidArgument || vt["sample.fibers_measured"] != "debe estar entre 1 y 10,000,000 fibras; se recibió 20,000,000" ||
			!strings.HasPrefix(vt["sample.mean_fiber_diameter_um"], "es obligatorio: dé el diámetro medio") {
			t.Errorf("GradeSample in Spanish: %v %q, violations %q", st.Code(), st.Message(), vt)
		}

		// REST: the gateway forwards Accept-Language.
		rest := []struct {
			name, secret, acceptLanguage, path string
			wantCode                           codes.Code
			wantPrefix, wantLocale             string
		}{
			{"missing lot, es", adminSecret, "es", "/v1/" + missing, codes.NotFound, "no ", "es-PE"},
			{"missing lot, en", f.secret, "en-US", "/v1/" + missing, codes.NotFound, "lot ", "en"},
			{"missing lot, association key without header", f.secret, "", "/v1/" + missing, codes.NotFound, "no ", "es-PE"},
			{"no key, es", "", "es-PE", "/v1/" + f.assoc.GetName() + "/lots", codes.Unauthenticated, "/millwa.v1.RegistryService/ListLots necesita una clave de API", "es-PE"},
			{"no key, no header", "", "", "/v1/" + f.assoc.GetName() + "/lots", codes.Unauthenticated, "/millwa.v1.RegistryService/ListLots needs an API key", "en"},
			// The gateway's own answers follow Accept-Language too.
			{"unknown route, es", f.secret, "es", "/v1/nothing", codes.NotFound, "no hay ruta REST para GET /v1/nothing", "es-PE"},
			{"unknown route, no header", f.secret, "", "/v1/nothing", codes.NotFound, "no REST route for GET /v1/nothing", "en"},
			{"unknown query parameter, es", f.secret, "es-PE", "/v1/" + f.assoc.GetName() + "/lots?pageSzie=3", codes.InvalidArgument,
				"parámetros de consulta desconocidos pageSzie: quítelos", "es-PE"},
		}
		for _, tt := range rest {
			st := restErrorIn(t, ts, tt.secret, tt.acceptLanguage, tt.path)
			if st.Code() != tt.wantCode {
				t.Fatalf("%s: GET %s answered %v %q, want %v", tt.name, tt.path, st.Code(), st.Message(), tt.wantCode)
			}
			checkLanguage(t, tt.name, st, tt.wantPrefix, tt.wantLocale)
			if strings.Contains(tt.path, "0192d1a0") && !strings.Contains(st.Message(), "0192d1a0-0000-7000-8000-000000000000") {
				t.Errorf("%s: message %q does not name the lot", tt.name, st.Message())
			}
		}
	})
}

// restErrorIn sends GET path with the key and Accept-Language given ("" for
// none) and returns the google.rpc.Status of its error body.
func restErrorIn(t *testing.T, ts *testServer, secret, acceptLanguage, path string) *status.Status {
	t.Helper()
	req, err := http.NewRequestWithContext(context.WithoutCancel(t.Context()), http.MethodGet, ts.baseURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var sp spb.Status
	if err := protojson.Unmarshal(body, &sp); err != nil {
		t.Fatalf("GET %s: HTTP %d, body is not google.rpc.Status JSON: %v\n%s", path, resp.StatusCode, err, body)
	}
	if resp.StatusCode == http.StatusOK {
		t.Fatalf("GET %s: HTTP 200, want an error", path)
	}
	st := status.FromProto(&sp)
	if lm := localizedMessage(st); lm != nil && resp.Header.Get("Content-Language") != lm.GetLocale() {
		t.Errorf("GET %s: Content-Language %q, want the message's locale %q", path, resp.Header.Get("Content-Language"), lm.GetLocale())
	}
	return st
}
