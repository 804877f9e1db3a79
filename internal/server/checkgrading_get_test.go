package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestGetCheckGrading checks that GetCheckGrading, over gRPC and REST,
// answers the check grading exactly as RecordCheckGrading and
// ListCheckGradings give it, lot number and names included; that another
// agency's check, or one named under another agency, is NotFound with the
// very message of a check that does not exist; that associations and
// processors are refused; and that a malformed name is InvalidArgument on
// name.
func TestGetCheckGrading(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		f := ts.lotFixture(t, "210101")
		l := f.lot("BABY")
		l.LotNumber = "PU-2026-0042"
		created, err := millwav1.NewRegistryServiceClient(ts.dial(t, f.secret)).CreateLot(t.Context(),
			&millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: l})
		if err != nil {
			t.Fatalf("CreateLot: %v", err)
		}
		puno, punoKey := ts.createAgency(t, "21")
		cusco, cuscoKey := ts.createAgency(t, "08")
		asPuno := millwav1.NewAuditServiceClient(ts.dial(t, punoKey))
		asCusco := millwav1.NewAuditServiceClient(ts.dial(t, cuscoKey))

		recorded, err := asPuno.RecordCheckGrading(t.Context(), &millwav1.RecordCheckGradingRequest{Parent: puno.GetName(),
			CheckGrading: &millwav1.CheckGrading{Lot: created.GetLot().GetName(), Sample: checkSample(27.4), Note: "muestra del fardo 3"}})
		if err != nil {
			t.Fatalf("RecordCheckGrading: %v", err)
		}
		c := recorded.GetCheckGrading()
		if c.GetLotNumber() != "PU-2026-0042" || c.GetClassifierDisplayName() == "" || c.GetAssociationDisplayName() != f.assoc.GetLegalName() {
			t.Fatalf("recorded check names lot %q, classifier %q, association %q; want PU-2026-0042, a name and %q",
				c.GetLotNumber(), c.GetClassifierDisplayName(), c.GetAssociationDisplayName(), f.assoc.GetLegalName())
		}

		// gRPC: the agency and an admin read the check as recorded and as
		// listed.
		got, err := asPuno.GetCheckGrading(t.Context(), &millwav1.GetCheckGradingRequest{Name: c.GetName()})
		if err != nil {
			t.Fatalf("GetCheckGrading: %v", err)
		}
		if !proto.Equal(got.GetCheckGrading(), c) {
			t.Errorf("GetCheckGrading differs from RecordCheckGrading's answer (-recorded +got):\n%s",
				cmp.Diff(c, got.GetCheckGrading(), protocmp.Transform()))
		}
		list, err := asPuno.ListCheckGradings(t.Context(), &millwav1.ListCheckGradingsRequest{Parent: puno.GetName()})
		if err != nil || len(list.GetCheckGradings()) != 1 {
			t.Fatalf("ListCheckGradings: %v %v, want the one check", list, err)
		}
		if !proto.Equal(list.GetCheckGradings()[0], got.GetCheckGrading()) {
			t.Errorf("GetCheckGrading = %v\nListCheckGradings lists %v; want the same", got.GetCheckGrading(), list.GetCheckGradings()[0])
		}
		byAdmin, err := millwav1.NewAuditServiceClient(ts.conn).GetCheckGrading(t.Context(), &millwav1.GetCheckGradingRequest{Name: c.GetName()})
		if err != nil || !proto.Equal(byAdmin.GetCheckGrading(), c) {
			t.Errorf("an admin reads the check: %v %v, want it as recorded", byAdmin, err)
		}

		// REST: the bare CheckGrading, not wrapped in the response.
		res := ts.restAs(t, punoKey, http.MethodGet, "/v1/"+c.GetName(), "")
		if res.code != http.StatusOK {
			t.Fatalf("REST GET /v1/%s: HTTP %d %s", c.GetName(), res.code, res.body)
		}
		var bare struct {
			Name      string `json:"name"`
			LotNumber string `json:"lotNumber"`
		}
		if err := json.Unmarshal(res.body, &bare); err != nil || bare.Name != c.GetName() || bare.LotNumber != "PU-2026-0042" {
			t.Errorf("REST get: %s; want the bare check, name %s and lotNumber PU-2026-0042", res.body, c.GetName())
		}
		var restCheck millwav1.CheckGrading
		if err := protojson.Unmarshal(res.body, &restCheck); err != nil || !proto.Equal(&restCheck, c) {
			t.Errorf("REST get: %v, %v; want the check as recorded", &restCheck, err)
		}

		// Another agency: NotFound, with the message of a name that does
		// not exist (the same id under its own agency, where there is no
		// such check), in either language.
		id := idOf(c.GetName())
		missing := cusco.GetName() + "/checkGradings/" + id
		for _, lang := range []string{"en", "es"} {
			ctx := metadata.AppendToOutgoingContext(t.Context(), "accept-language", lang)
			_, hidden := asCusco.GetCheckGrading(ctx, &millwav1.GetCheckGradingRequest{Name: c.GetName()})
			_, absent := asCusco.GetCheckGrading(ctx, &millwav1.GetCheckGradingRequest{Name: missing})
			h := wantCode(t, "the Cusco agency reads Puno's check ("+lang+")", hidden, codes.NotFound)
			m := wantCode(t, "the Cusco agency reads a check that does not exist ("+lang+")", absent, codes.NotFound)
			if h.Message() != m.Message() || errorReason(h) != errorReason(m) {
				t.Errorf("%s: another agency's check answers %q (%s), one that does not exist %q (%s); want the same",
					lang, h.Message(), errorReason(h), m.Message(), errorReason(m))
			}
		}
		fresh := newID()
		_, hidden := asCusco.GetCheckGrading(t.Context(), &millwav1.GetCheckGradingRequest{Name: c.GetName()})
		_, absent := asPuno.GetCheckGrading(t.Context(), &millwav1.GetCheckGradingRequest{Name: puno.GetName() + "/checkGradings/" + fresh})
		sameNotFound(t, "GetCheckGrading", hidden, id, absent, fresh)
		// Puno's check under Cusco's name is no check, even for an admin.
		_, err = millwav1.NewAuditServiceClient(ts.conn).GetCheckGrading(t.Context(), &millwav1.GetCheckGradingRequest{Name: missing})
		wantCode(t, "an admin reads Puno's check under Cusco's name", err, codes.NotFound)
		res = ts.restAs(t, cuscoKey, http.MethodGet, "/v1/"+c.GetName(), "")
		if res.code != http.StatusNotFound {
			t.Errorf("REST: the Cusco agency reads Puno's check: HTTP %d %s, want 404", res.code, res.body)
		}

		// "-" for the agency, as a classifier's record names its checks:
		// the agency and an admin read it under its full name; another
		// agency gets the NotFound of a missing check.
		wild := "agencies/-/checkGradings/" + id
		for who, client := range map[string]millwav1.AuditServiceClient{"Puno's agency": asPuno, "an admin": millwav1.NewAuditServiceClient(ts.conn)} {
			got, err := client.GetCheckGrading(t.Context(), &millwav1.GetCheckGradingRequest{Name: wild})
			if err != nil || !proto.Equal(got.GetCheckGrading(), c) {
				t.Errorf("%s reads %s: %v %v, want the check as recorded, under its full name", who, wild, got, err)
			}
		}
		if res := ts.restAs(t, punoKey, http.MethodGet, "/v1/"+wild, ""); res.code != http.StatusOK || !strings.Contains(string(res.body), `"name":"`+c.GetName()+`"`) {
			t.Errorf("REST GET /v1/%s: HTTP %d %s, want the check under %s", wild, res.code, res.body, c.GetName())
		}
		_, hidden = asCusco.GetCheckGrading(t.Context(), &millwav1.GetCheckGradingRequest{Name: wild})
		_, absent = asCusco.GetCheckGrading(t.Context(), &millwav1.GetCheckGradingRequest{Name: "agencies/-/checkGradings/" + fresh})
		sameNotFound(t, "GetCheckGrading with -", hidden, id, absent, fresh)

		// Associations and processors may not read check gradings at all.
		proc, _ := ts.createProcessor(t, "040101")
		_, procKey := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, proc.GetName(), false)
		for who, key := range map[string]string{"an association": f.secret, "a processor": procKey} {
			_, err := millwav1.NewAuditServiceClient(ts.dial(t, key)).GetCheckGrading(t.Context(), &millwav1.GetCheckGradingRequest{Name: c.GetName()})
			wantCode(t, who+" reads a check", err, codes.PermissionDenied)
			if res := ts.restAs(t, key, http.MethodGet, "/v1/"+c.GetName(), ""); res.code != http.StatusForbidden {
				t.Errorf("REST: %s reads a check: HTTP %d %s, want 403", who, res.code, res.body)
			}
		}

		// A malformed name: InvalidArgument on name.
		for _, bad := range []string{
			"",
			id,
			"checkGradings/" + id,
			puno.GetName() + "/checkGradings/not-an-id",
			"agencies/puno/checkGradings/" + id,
			puno.GetName() + "/samplingPlans/" + id,
			c.GetName() + "/extra",
			"agencies/-/checkGradings/not-an-id",
			"agencies/-/samplingPlans/" + id,
		} {
			_, err := asPuno.GetCheckGrading(t.Context(), &millwav1.GetCheckGradingRequest{Name: bad})
			if status.Code(err) != codes.InvalidArgument || !slices.Equal(fieldViolations(t, err), []string{"name"}) {
				t.Errorf("GetCheckGrading(%q) = %v, want InvalidArgument on name", bad, err)
			}
		}
		res = ts.restAs(t, punoKey, http.MethodGet, "/v1/"+puno.GetName()+"/checkGradings/not-an-id", "")
		if res.code != http.StatusBadRequest || !slices.Equal(restViolations(t, res), []string{"name"}) {
			t.Errorf("REST get of a malformed name: HTTP %d %s, want 400 on name", res.code, res.body)
		}
	})
}
