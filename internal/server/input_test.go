package server_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// restRefusal returns the code and the violated fields of a
// google.rpc.Status JSON error body.
func restRefusal(t *testing.T, res restResult) (codes.Code, []string) {
	t.Helper()
	code, _ := restStatus(t, res)
	return code, restViolations(t, res)
}

// unsignedPageToken is a page token in the unsigned form the server used
// to accept: the sort key after and the digest of the query, base64 JSON.
func unsignedPageToken(after []string, query string) string {
	sum := sha256.Sum256([]byte(query))
	b, _ := json.Marshal(struct {
		After []string `json:"a"`
		Query []byte   `json:"q"`
	}{after, sum[:8]})
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestControlCharactersRefused sends the text the attack found answering
// 500 on PostgreSQL (NUL in a filter value, an API key's display name, a
// check grading's note and a page token's key), and other control
// characters in nested, repeated and map fields, over gRPC and REST: each
// is InvalidArgument naming the field, and nothing is written.
func TestControlCharactersRefused(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		f := ts.lotFixture(t, "210101")
		agency, agencySecret := ts.createAgency(t, "21")
		lot, err := millwav1.NewRegistryServiceClient(ts.dial(t, f.secret)).CreateLot(t.Context(),
			&millwav1.CreateLotRequest{Parent: f.assoc.GetName(), Lot: f.lot("BABY")})
		if err != nil {
			t.Fatalf("CreateLot: %v", err)
		}
		registry := millwav1.NewRegistryServiceClient(ts.conn)
		identity := millwav1.NewIdentityServiceClient(ts.conn)
		auditAsAgency := millwav1.NewAuditServiceClient(ts.dial(t, agencySecret))
		grading := millwav1.NewGradingServiceClient(ts.conn)
		written := func() [4]int {
			return [4]int{countRows(t, ts, "SELECT COUNT(*) FROM api_keys"), countRows(t, ts, "SELECT COUNT(*) FROM check_gradings"),
				countRows(t, ts, "SELECT COUNT(*) FROM lots"), countRows(t, ts, "SELECT COUNT(*) FROM audit_events")}
		}
		before := written()

		batch := &millwav1.BatchCreateLotsRequest{Parent: f.assoc.GetName(), Requests: []*millwav1.CreateLotRequest{
			{Parent: f.assoc.GetName(), Lot: f.lot("BABY")}, {Parent: f.assoc.GetName(), Lot: f.lot("FLEECE")},
		}}
		batch.Requests[1].Lot.LotNumber = "L-\x01-7"
		check := &millwav1.CheckGrading{Lot: lot.GetLot().GetName(), Sample: checkSample(22.0), Note: "fardo\x003"}
		grpcCases := []struct {
			name  string
			call  func() error
			field string
		}{
			{"filter value", func() error {
				_, err := registry.ListAssociations(t.Context(), &millwav1.ListAssociationsRequest{Filter: "legal_name = \"a\x00b\""})
				return err
			}, "filter"},
			{"display name", func() error {
				_, err := identity.CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{ApiKey: &millwav1.ApiKey{
					DisplayName: "office\x00", Role: millwav1.Role_ROLE_ASSOCIATION, Organisation: f.assoc.GetName()}})
				return err
			}, "api_key.display_name"},
			{"check grading note", func() error {
				_, err := auditAsAgency.RecordCheckGrading(t.Context(), &millwav1.RecordCheckGradingRequest{Parent: agency.GetName(), CheckGrading: check})
				return err
			}, "check_grading.note"},
			{"page token key", func() error {
				_, err := registry.ListAssociations(t.Context(), &millwav1.ListAssociationsRequest{
					PageToken: unsignedPageToken([]string{"a\x00", "b"}, "\x00\x00")})
				return err
			}, "page_token"},
			{"NUL in the page token", func() error {
				_, err := registry.ListAssociations(t.Context(), &millwav1.ListAssociationsRequest{PageToken: "e30\x00"})
				return err
			}, "page_token"},
			{"repeated nested field", func() error {
				_, err := millwav1.NewRegistryServiceClient(ts.dial(t, f.secret)).BatchCreateLots(t.Context(), batch)
				return err
			}, "requests[1].lot.lot_number"},
			{"map key", func() error {
				_, err := grading.ClassifyFleece(t.Context(), &millwav1.ClassifyFleeceRequest{Standard: "standards/pe-ntp-231-300-2014",
					GroupGrams: map[string]int64{"BABY": 1200, "FLEECE\x00": 900}})
				return err
			}, `group_grams["FLEECE\x00"]`},
			{"C1 control", func() error {
				_, err := registry.ListAssociations(t.Context(), &millwav1.ListAssociationsRequest{Filter: "legal_name = \"a\u0085b\""})
				return err
			}, "filter"},
		}
		for _, tc := range grpcCases {
			t.Run("grpc/"+tc.name, func(t *testing.T) {
				if got := fieldViolations(t, tc.call()); !slices.Equal(got, []string{tc.field}) {
					t.Errorf("violations %q, want [%q]", got, tc.field)
				}
			})
		}

		nulToken := url.QueryEscape(unsignedPageToken([]string{"a\x00", "b"}, "\x00\x00"))
		restCases := []struct {
			name, secret, method, path, body, field string
		}{
			{"filter value", adminSecret, http.MethodGet, "/v1/associations?filter=" + url.QueryEscape("legal_name = \"a\x00b\""), "", "filter"},
			{"display name", adminSecret, http.MethodPost, "/v1/apiKeys",
				`{"displayName": "office\u0000", "role": "ROLE_ASSOCIATION", "organisation": "` + f.assoc.GetName() + `"}`, "api_key.display_name"},
			{"check grading note", agencySecret, http.MethodPost, "/v1/" + agency.GetName() + "/checkGradings",
				`{"lot": "` + lot.GetLot().GetName() + `", "note": "fardo\u00003", "sample": {"meanFiberDiameterUm": 22, "sdUm": 5, "fibersMeasured": 4000, "stapleLengthMm": 85}}`,
				"check_grading.note"},
			{"page token key", adminSecret, http.MethodGet, "/v1/associations?pageToken=" + nulToken, "", "page_token"},
			{"escape character", adminSecret, http.MethodPost, "/v1/apiKeys",
				`{"displayName": "office\u001b[2J", "role": "ROLE_ASSOCIATION", "organisation": "` + f.assoc.GetName() + `"}`, "api_key.display_name"},
		}
		for _, tc := range restCases {
			t.Run("rest/"+tc.name, func(t *testing.T) {
				res := ts.restAs(t, tc.secret, tc.method, tc.path, tc.body)
				code, fields := restRefusal(t, res)
				if res.code != http.StatusBadRequest || code != codes.InvalidArgument || !slices.Equal(fields, []string{tc.field}) {
					t.Errorf("HTTP %d, code %v, violations %q; want 400, InvalidArgument, [%q]\n%s", res.code, code, fields, tc.field, res.body)
				}
			})
		}
		if after := written(); after != before {
			t.Errorf("rows (api keys, check gradings, lots, audit events) %v after refused requests, want %v", after, before)
		}

		// Tab, line feed and carriage return stay allowed: a note may have
		// lines.
		ok, err := auditAsAgency.RecordCheckGrading(t.Context(), &millwav1.RecordCheckGradingRequest{Parent: agency.GetName(),
			CheckGrading: &millwav1.CheckGrading{Lot: lot.GetLot().GetName(), Sample: checkSample(22.0), Note: "fardo 3\r\n\tcosta"}})
		if err != nil || ok.GetCheckGrading().GetNote() != "fardo 3\r\n\tcosta" {
			t.Errorf("note with tab and line breaks: %v, %q", err, ok.GetCheckGrading().GetNote())
		}
	})
}

// TestYearZeroTimesRefused sends a year-0 create_time filter and a page
// token whose key is a year-0 time to List routes: each answers
// InvalidArgument naming the field, over gRPC and REST.
func TestYearZeroTimesRefused(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		ts.createAssociation(t, "210101")
		registry := millwav1.NewRegistryServiceClient(ts.conn)
		market := millwav1.NewMarketServiceClient(ts.conn)
		audit := millwav1.NewAuditServiceClient(ts.conn)
		const yearZero = `create_time >= "0000-01-01T00:00:00Z"`
		const farFuture = `create_time < "9999-12-31T23:00:00-05:00"`
		token := unsignedPageToken([]string{"0000-01-01T00:00:00.000000Z", "0190a0a0-0000-7000-8000-000000000000"}, "associations/-\x00\x00")
		routes := []struct {
			name string
			list func(filter, token string) error
			path string
		}{
			{"ListAssociations", func(f, tok string) error {
				_, err := registry.ListAssociations(t.Context(), &millwav1.ListAssociationsRequest{Filter: f, PageToken: tok})
				return err
			}, "/v1/associations"},
			{"ListLots", func(f, tok string) error {
				_, err := registry.ListLots(t.Context(), &millwav1.ListLotsRequest{Parent: "associations/-", Filter: f, PageToken: tok})
				return err
			}, "/v1/associations/-/lots"},
			{"ListPurchaseOrders", func(f, tok string) error {
				_, err := market.ListPurchaseOrders(t.Context(), &millwav1.ListPurchaseOrdersRequest{Parent: "processors/-", Filter: f, PageToken: tok})
				return err
			}, "/v1/processors/-/purchaseOrders"},
			{"ListTrades", func(f, tok string) error {
				_, err := market.ListTrades(t.Context(), &millwav1.ListTradesRequest{Filter: f, PageToken: tok})
				return err
			}, "/v1/trades"},
			{"ListAuditEvents", func(f, tok string) error {
				_, err := audit.ListAuditEvents(t.Context(), &millwav1.ListAuditEventsRequest{Filter: f, PageToken: tok})
				return err
			}, "/v1/audit/events"},
		}
		for _, r := range routes {
			t.Run(r.name, func(t *testing.T) {
				for _, f := range []string{yearZero, farFuture} {
					if got := fieldViolations(t, r.list(f, "")); !slices.Equal(got, []string{"filter"}) {
						t.Errorf("gRPC filter %s: violations %q, want [filter]", f, got)
					}
					res := ts.rest(t, http.MethodGet, r.path+"?filter="+url.QueryEscape(f), "")
					if code, fields := restRefusal(t, res); res.code != http.StatusBadRequest || code != codes.InvalidArgument || !slices.Equal(fields, []string{"filter"}) {
						t.Errorf("REST filter %s: HTTP %d, %v %q\n%s", f, res.code, code, fields, res.body)
					}
				}
				if got := fieldViolations(t, r.list("", token)); !slices.Equal(got, []string{"page_token"}) {
					t.Errorf("gRPC year-0 page token: violations %q, want [page_token]", got)
				}
				res := ts.rest(t, http.MethodGet, r.path+"?pageToken="+url.QueryEscape(token), "")
				if code, fields := restRefusal(t, res); res.code != http.StatusBadRequest || code != codes.InvalidArgument || !slices.Equal(fields, []string{"page_token"}) {
					t.Errorf("REST year-0 page token: HTTP %d, %v %q\n%s", res.code, code, fields, res.body)
				}
				// The first and the last day still filter.
				if err := r.list(`create_time >= "0001-01-01T00:00:00Z" AND create_time <= "9999-12-31T23:59:59Z"`, ""); err != nil {
					t.Errorf("filter on the whole range of times: %v", err)
				}
			})
		}
	})
}

// TestPageTokensSigned pages through associations and standards across two
// replicas of one database, and checks that a token the server did not
// sign, or one altered after signing, is refused.
func TestPageTokensSigned(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		a, b := startServer(t, dbURL), startServer(t, dbURL)
		for range 3 {
			a.createAssociation(t, "210101")
		}
		replicas := []millwav1.RegistryServiceClient{millwav1.NewRegistryServiceClient(a.conn), millwav1.NewRegistryServiceClient(b.conn)}
		var names []string
		var tokens []string
		token := ""
		for i := 0; ; i++ {
			resp, err := replicas[i%2].ListAssociations(t.Context(), &millwav1.ListAssociationsRequest{PageSize: 1, PageToken: token, Filter: `region = "21"`})
			if err != nil {
				t.Fatalf("page %d on replica %d: %v", i, i%2, err)
			}
			for _, x := range resp.GetAssociations() {
				names = append(names, x.GetName())
			}
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
			tokens = append(tokens, token)
		}
		if len(names) != 3 || names[0] == names[1] || names[1] == names[2] {
			t.Fatalf("paged %v across replicas, want 3 different associations", names)
		}

		standards := []millwav1.GradingServiceClient{millwav1.NewGradingServiceClient(a.conn), millwav1.NewGradingServiceClient(b.conn)}
		first, err := standards[0].ListStandards(t.Context(), &millwav1.ListStandardsRequest{PageSize: 1})
		if err != nil || first.GetNextPageToken() == "" {
			t.Fatalf("first page of standards: %v, token %q", err, first.GetNextPageToken())
		}
		second, err := standards[1].ListStandards(t.Context(), &millwav1.ListStandardsRequest{PageSize: 1, PageToken: first.GetNextPageToken()})
		if err != nil || len(second.GetStandards()) != 1 || second.GetStandards()[0].GetName() == first.GetStandards()[0].GetName() {
			t.Fatalf("second page of standards on the other replica: %v, %v", second, err)
		}

		payload, tag, ok := strings.Cut(tokens[0], ".")
		if !ok {
			t.Fatalf("token %q has no signature", tokens[0])
		}
		altered := []byte(payload)
		altered[len(altered)/2] ^= 2
		forged := []string{
			string(altered) + "." + tag,
			payload + "." + strings.Repeat("A", len(tag)),
			payload,
			unsignedPageToken([]string{"2026-01-01T00:00:00.000000Z", "0190a0a0-0000-7000-8000-000000000000"}, "associations/-\x00region = \"21\"\x00"),
		}
		for i, tok := range forged {
			_, err := replicas[i%2].ListAssociations(t.Context(), &millwav1.ListAssociationsRequest{PageSize: 1, PageToken: tok, Filter: `region = "21"`})
			st := status.Convert(err)
			if got := fieldViolations(t, err); !slices.Equal(got, []string{"page_token"}) || !strings.Contains(violationText(st), "not issued by this service") {
				t.Errorf("forged token %d: %v, want page_token not issued by this service", i, err)
			}
		}
		_, err = standards[1].ListStandards(t.Context(), &millwav1.ListStandardsRequest{PageSize: 1, PageToken: unsignedPageToken([]string{"pe"}, "\x00\x00")})
		if got := fieldViolations(t, err); !slices.Equal(got, []string{"page_token"}) {
			t.Errorf("unsigned standards token: violations %q", got)
		}
	})
}

// violationText joins the descriptions of a status's field violations.
func violationText(st *status.Status) string {
	var b strings.Builder
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				b.WriteString(v.GetDescription())
			}
		}
	}
	return b.String()
}

// rawCodec passes bytes through unchanged, so that a test can send what no
// protobuf library would produce.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// TestMalformedProtobufIsInvalidArgument sends bytes that are not a
// protobuf message to a unary and a streaming method: INVALID_ARGUMENT, not
// INTERNAL; the same methods still answer well-formed bytes.
func TestMalformedProtobufIsInvalidArgument(t *testing.T) {
	t.Parallel()
	ts := startServer(t, storetest.SQLiteURL(t))
	a := ts.createAssociation(t, "210101")
	raw := grpc.ForceCodec(rawCodec{})
	malformed := map[string][]byte{
		"truncated varint":  {0x08, 0xff},
		"length past end":   {0x0a, 0x7f, 'a'},
		"invalid UTF-8":     append([]byte{0x0a, 0x02}, 0xff, 0xfe),
		"bad wire type":     {0x0f},
		"unfinished group":  {0x0b},
		"field number zero": {0x00, 0x01},
	}
	for name, in := range malformed {
		t.Run(name, func(t *testing.T) {
			var out []byte
			err := ts.conn.Invoke(t.Context(), "/millwa.v1.RegistryService/GetAssociation", &in, &out, raw)
			if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "not a valid protobuf message") {
				t.Errorf("unary: %v, want InvalidArgument saying the message is not valid protobuf", err)
			}
			// Without a key, too: malformed bytes are refused before the
			// key is looked up.
			err = ts.dial(t, "").Invoke(t.Context(), "/millwa.v1.GradingService/GradeSample", &in, &out, raw)
			if status.Code(err) != codes.InvalidArgument {
				t.Errorf("unary without a key: %v, want InvalidArgument", err)
			}
			stream, err := ts.conn.NewStream(t.Context(), &grpc.StreamDesc{ServerStreams: true}, "/millwa.v1.MarketService/WatchMarket", raw)
			if err != nil {
				t.Fatal(err)
			}
			if err := stream.SendMsg(&in); err != nil {
				t.Fatal(err)
			}
			if err := stream.CloseSend(); err != nil {
				t.Fatal(err)
			}
			if err := stream.RecvMsg(&out); status.Code(err) != codes.InvalidArgument {
				t.Errorf("stream: %v, want InvalidArgument", err)
			}
		})
	}
	good, err := proto.Marshal(&millwav1.GetAssociationRequest{Name: a.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	if err := ts.conn.Invoke(t.Context(), "/millwa.v1.RegistryService/GetAssociation", &good, &out, raw); err != nil {
		t.Fatalf("well-formed bytes: %v", err)
	}
	var got millwav1.GetAssociationResponse
	if err := proto.Unmarshal(out, &got); err != nil || got.GetAssociation().GetName() != a.GetName() {
		t.Errorf("well-formed bytes answered %v (%v), want association %s", &got, err, a.GetName())
	}
}
