package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/server"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// testServer is a Millwa server on free loopback ports, with a gRPC client
// connection and the base URL of its HTTP side.
type testServer struct {
	dbURL   string
	srv     *server.Server
	conn    *grpc.ClientConn
	baseURL string
	stop    func() error
	// logs is what the server logged.
	logs *syncBuffer
}

// syncBuffer collects log output written from server goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// adminSecret is the first admin key of every test server.
const adminSecret = "mlw_test-admin-key-0123456789abcdefghijkl"

// dial connects to the server's gRPC port with the given key ("" for none).
func (ts *testServer) dial(t *testing.T, secret string) *grpc.ClientConn {
	t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if secret != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(auth.Bearer{Secret: secret, Insecure: true}))
	}
	conn, err := grpc.NewClient(ts.srv.GRPCAddr(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// startServer starts a server on free loopback ports over dbURL, with
// adminSecret as its first admin key, and stops it when the test ends.
func startServer(t *testing.T, dbURL string, opts ...server.Option) *testServer {
	t.Helper()
	return startServerWith(t, dbURL, func(*config.Config) {}, opts...)
}

// startServerWith is startServer with the configuration changed by tweak.
func startServerWith(t *testing.T, dbURL string, tweak func(*config.Config), opts ...server.Option) *testServer {
	t.Helper()
	cfg := config.Default()
	cfg.AdminKey = adminSecret
	cfg.GRPCAddr = "127.0.0.1:0"
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.MetricsAddr = "127.0.0.1:0"
	// A few connections each: the packages' tests share one PostgreSQL.
	cfg.DatabaseURL = storetest.SmallPool(dbURL, 4)
	cfg.ShutdownGrace = 5 * time.Second
	// Test receivers listen on loopback.
	cfg.WebhookAllowPrivate = true
	tweak(&cfg)
	logs := &syncBuffer{}
	srv, err := server.New(t.Context(), cfg, slog.New(slog.NewJSONHandler(logs, nil)), opts...)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
	conn, err := grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.Bearer{Secret: adminSecret, Insecure: true}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		if err := stop(); err != nil {
			t.Errorf("server stopped with error: %v\nlogs:\n%s", err, logs.String())
		}
	})
	return &testServer{dbURL: dbURL, srv: srv, conn: conn, baseURL: "http://" + srv.HTTPAddr(), stop: stop, logs: logs}
}

// metrics reads /metrics from the server's metrics listener.
func (ts *testServer) metrics(t *testing.T) restResult {
	t.Helper()
	resp, err := http.Get("http://" + ts.srv.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return restResult{code: resp.StatusCode, body: b}
}

// restResult is an HTTP answer: status code and body.
type restResult struct {
	code int
	body []byte
}

// rest calls the gateway as the admin.
func (ts *testServer) rest(t *testing.T, method, path string, body string) restResult {
	t.Helper()
	return ts.restAs(t, adminSecret, method, path, body)
}

// restAs calls the gateway with the given key ("" for none).
func (ts *testServer) restAs(t *testing.T, secret, method, path string, body string) restResult {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, ts.baseURL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return restResult{code: resp.StatusCode, body: b}
}

// restStatus decodes a google.rpc.Status JSON error body.
func restStatus(t *testing.T, res restResult) (code codes.Code, message string) {
	t.Helper()
	var st struct {
		Code    codes.Code `json:"code"`
		Message string     `json:"message"`
	}
	if err := json.Unmarshal(res.body, &st); err != nil {
		t.Fatalf("error body is not google.rpc.Status JSON: %v\n%s", err, res.body)
	}
	return st.Code, st.Message
}

const validAssociationJSON = `{
  "legalName": "Asociación de Productores Alpaqueros Nuevo Amanecer",
  "ruc": "20448012345",
  "ubigeo": "210101",
  "community": "Comunidad Campesina de Ichu",
  "contact": {"personName": "Rosa Quispe Mamani", "phone": "+51 951 234 567"}
}`

// validRUC returns a valid association RUC built from n.
func validRUC(n int) string {
	first := fmt.Sprintf("20%08d", n)
	return first + string(millwa.RUCCheckDigit(first))
}

func newAssociation(n int, ubigeo string) *millwav1.Association {
	return &millwav1.Association{
		LegalName: fmt.Sprintf("Asociación %d", n),
		Ruc:       validRUC(n),
		Ubigeo:    ubigeo,
		Contact:   &millwav1.Contact{PersonName: "Juan Mamani", Email: fmt.Sprintf("a%d@example.org", n)},
	}
}

func TestAssociationOverRESTAndGRPC(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		ts := startServer(t, dbURL)
		client := millwav1.NewRegistryServiceClient(ts.conn)

		// Create over REST.
		res := ts.rest(t, http.MethodPost, "/v1/associations?requestId=first", validAssociationJSON)
		if res.code != http.StatusOK {
			t.Fatalf("POST /v1/associations: %d %s", res.code, res.body)
		}
		var created millwav1.Association
		if err := protojson.Unmarshal(res.body, &created); err != nil {
			t.Fatalf("REST answer is not a bare Association: %v\n%s", err, res.body)
		}
		if !strings.HasPrefix(created.GetName(), "associations/") || created.GetRuc() != "20448012345" ||
			created.GetContact().GetPersonName() != "Rosa Quispe Mamani" || created.GetCreateTime() == nil || created.GetEtag() == "" {
			t.Fatalf("created association lacks fields: %v", &created)
		}

		// Read it back over gRPC: the same resource, field for field.
		got, err := client.GetAssociation(t.Context(), &millwav1.GetAssociationRequest{Name: created.GetName()})
		if err != nil {
			t.Fatalf("GetAssociation: %v", err)
		}
		if !proto.Equal(got.GetAssociation(), &created) {
			t.Fatalf("gRPC and REST disagree:\n gRPC %v\n REST %v", got.GetAssociation(), &created)
		}

		// More associations in two regions, then list over both transports.
		want := []string{created.GetName()}
		for i := 1; i <= 6; i++ {
			ubigeo := "080101" // Cusco
			if i%2 == 0 {
				ubigeo = "090101" // Huancavelica
			}
			resp, err := client.CreateAssociation(t.Context(), &millwav1.CreateAssociationRequest{Association: newAssociation(i, ubigeo)})
			if err != nil {
				t.Fatalf("CreateAssociation %d: %v", i, err)
			}
			want = append(want, resp.GetAssociation().GetName())
		}

		var pages [][]string
		token := ""
		for {
			resp, err := client.ListAssociations(t.Context(), &millwav1.ListAssociationsRequest{PageSize: 3, PageToken: token})
			if err != nil {
				t.Fatalf("ListAssociations: %v", err)
			}
			var names []string
			for _, a := range resp.GetAssociations() {
				names = append(names, a.GetName())
			}
			pages = append(pages, names)
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
		}
		if fmt.Sprint(pages) != fmt.Sprint([][]string{want[0:3], want[3:6], want[6:7]}) {
			t.Fatalf("gRPC pages = %v, want %v in pages of 3", pages, want)
		}

		res = ts.rest(t, http.MethodGet, "/v1/associations?pageSize=100", "")
		if res.code != http.StatusOK {
			t.Fatalf("GET /v1/associations: %d %s", res.code, res.body)
		}
		var list millwav1.ListAssociationsResponse
		if err := protojson.Unmarshal(res.body, &list); err != nil {
			t.Fatalf("decoding list: %v\n%s", err, res.body)
		}
		var restNames []string
		for _, a := range list.GetAssociations() {
			restNames = append(restNames, a.GetName())
		}
		if fmt.Sprint(restNames) != fmt.Sprint(want) {
			t.Fatalf("REST list = %v, want %v", restNames, want)
		}

		res = ts.rest(t, http.MethodGet, `/v1/associations?filter=region%20%3D%20%2209%22`, "")
		if err := protojson.Unmarshal(res.body, &list); err != nil || res.code != http.StatusOK {
			t.Fatalf("filtered list: %d %s", res.code, res.body)
		}
		if n := len(list.GetAssociations()); n != 3 {
			t.Fatalf("region 09 has %d associations, want 3: %s", n, res.body)
		}
		for _, a := range list.GetAssociations() {
			if !strings.HasPrefix(a.GetUbigeo(), "09") {
				t.Errorf("filter region = \"09\" returned %s in %s", a.GetName(), a.GetUbigeo())
			}
		}
	})
}

func TestCreateAssociationRejectsBadInputAndWritesNothing(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		ts := startServer(t, dbURL)
		client := millwav1.NewRegistryServiceClient(ts.conn)
		tests := []struct {
			name   string
			mutate func(a *millwav1.Association)
			fields []string
		}{
			{"missing legal name", func(a *millwav1.Association) { a.LegalName = "  " }, []string{"association.legal_name"}},
			{"RUC check digit", func(a *millwav1.Association) { a.Ruc = "20448012348" }, []string{"association.ruc"}},
			{"RUC of a person", func(a *millwav1.Association) {
				a.Ruc = "10" + a.Ruc[2:10] + string(millwa.RUCCheckDigit("10"+a.Ruc[2:10]))
			}, []string{"association.ruc"}},
			{"RUC length", func(a *millwav1.Association) { a.Ruc = "2044801234" }, []string{"association.ruc"}},
			{"unknown department", func(a *millwav1.Association) { a.Ubigeo = "260101" }, []string{"association.ubigeo"}},
			{"ubigeo letters", func(a *millwav1.Association) { a.Ubigeo = "21O101" }, []string{"association.ubigeo"}},
			{"no way to reach", func(a *millwav1.Association) { a.Contact = &millwav1.Contact{PersonName: "X"} }, []string{"association.contact.phone"}},
			{"bad email", func(a *millwav1.Association) { a.Contact.Email = "not-an-address" }, []string{"association.contact.email"}},
			{"long name", func(a *millwav1.Association) { a.LegalName = strings.Repeat("ñ", 201) }, []string{"association.legal_name"}},
			{"several at once", func(a *millwav1.Association) { a.Ruc = ""; a.Ubigeo = "" }, []string{"association.ruc", "association.ubigeo"}},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := newAssociation(100+i, "210101")
				tt.mutate(a)
				_, err := client.CreateAssociation(t.Context(), &millwav1.CreateAssociationRequest{Association: a})
				if got := fieldViolations(t, err); fmt.Sprint(got) != fmt.Sprint(tt.fields) {
					t.Fatalf("violations = %v, want %v (err %v)", got, tt.fields, err)
				}
			})
		}
		t.Run("missing association", func(t *testing.T) {
			_, err := client.CreateAssociation(t.Context(), &millwav1.CreateAssociationRequest{})
			if got := fieldViolations(t, err); fmt.Sprint(got) != "[association]" {
				t.Fatalf("violations = %v, want [association]", got)
			}
		})
		t.Run("duplicate RUC", func(t *testing.T) {
			a := newAssociation(500, "210101")
			if _, err := client.CreateAssociation(t.Context(), &millwav1.CreateAssociationRequest{Association: a}); err != nil {
				t.Fatal(err)
			}
			b := newAssociation(500, "080101")
			_, err := client.CreateAssociation(t.Context(), &millwav1.CreateAssociationRequest{Association: b})
			if status.Code(err) != codes.AlreadyExists {
				t.Fatalf("duplicate RUC: %v, want AlreadyExists", err)
			}
		})
		resp, err := client.ListAssociations(t.Context(), &millwav1.ListAssociationsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(resp.GetAssociations()); n != 1 {
			t.Fatalf("%d associations stored after bad requests, want only the 1 valid one", n)
		}
	})
}

// fieldViolations returns the fields of an InvalidArgument error's
// BadRequest detail, failing the test for any other error.
func fieldViolations(t *testing.T, err error) []string {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("got %v, want InvalidArgument", err)
	}
	var fields []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if v.GetDescription() == "" {
					t.Errorf("violation of %s has no description", v.GetField())
				}
				fields = append(fields, v.GetField())
			}
		}
	}
	return fields
}

func TestListAssociationsInputErrors(t *testing.T) {
	ts := startServer(t, storetest.SQLiteURL(t))
	client := millwav1.NewRegistryServiceClient(ts.conn)
	tests := []struct {
		name string
		req  *millwav1.ListAssociationsRequest
		want string
	}{
		{"negative page size", &millwav1.ListAssociationsRequest{PageSize: -1}, "page_size"},
		{"garbage token", &millwav1.ListAssociationsRequest{PageToken: "%%%"}, "page_token"},
		{"unknown filter field", &millwav1.ListAssociationsRequest{Filter: `contact_email = "x"`}, "filter"},
		{"unknown order field", &millwav1.ListAssociationsRequest{OrderBy: "ruc"}, "order_by"},
		{"unquoted string", &millwav1.ListAssociationsRequest{Filter: `region = 21`}, "filter"},
		{"bad region", &millwav1.ListAssociationsRequest{Filter: `region = "99"`}, "filter"},
		{"trailing AND", &millwav1.ListAssociationsRequest{Filter: `region = "21" AND`}, "filter"},
		{"ruc takes = only", &millwav1.ListAssociationsRequest{Filter: `ruc != "20448012345"`}, "filter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.ListAssociations(t.Context(), tt.req)
			if got := fieldViolations(t, err); fmt.Sprint(got) != "["+tt.want+"]" {
				t.Fatalf("violations = %v, want [%s]", got, tt.want)
			}
		})
	}

	// A token is only good for the filter it was made with.
	for i := range 3 {
		if _, err := client.CreateAssociation(t.Context(), &millwav1.CreateAssociationRequest{Association: newAssociation(i, "210101")}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := client.ListAssociations(t.Context(), &millwav1.ListAssociationsRequest{PageSize: 1})
	if err != nil || resp.GetNextPageToken() == "" {
		t.Fatalf("first page: %v, token %q", err, resp.GetNextPageToken())
	}
	_, err = client.ListAssociations(t.Context(), &millwav1.ListAssociationsRequest{PageSize: 1, PageToken: resp.GetNextPageToken(), Filter: `region = "21"`})
	if got := fieldViolations(t, err); fmt.Sprint(got) != "[page_token]" {
		t.Fatalf("token reused with another filter: violations %v", got)
	}
}

func TestGetAssociationErrors(t *testing.T) {
	ts := startServer(t, storetest.SQLiteURL(t))
	client := millwav1.NewRegistryServiceClient(ts.conn)
	_, err := client.GetAssociation(t.Context(), &millwav1.GetAssociationRequest{Name: "associations/0192d1a0-0000-7000-8000-000000000000"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("unknown association: %v, want NotFound", err)
	}
	for _, name := range []string{"", "associations/", "associations/x", "lots/0192d1a0-0000-7000-8000-000000000000", "associations/0192D1A0-0000-7000-8000-000000000000"} {
		_, err := client.GetAssociation(t.Context(), &millwav1.GetAssociationRequest{Name: name})
		if got := fieldViolations(t, err); fmt.Sprint(got) != "[name]" {
			t.Errorf("name %q: violations %v, want [name]", name, got)
		}
	}
}

func TestGatewayRefusesBadInputPrecisely(t *testing.T) {
	ts := startServer(t, storetest.SQLiteURL(t))
	huge := `{"legalName": "` + strings.Repeat("a", 2<<20) + `"}`
	tests := []struct {
		name, method, path, body string
		wantHTTP                 int
		wantCode                 codes.Code
		wantMsg                  string
	}{
		{"malformed JSON", "POST", "/v1/associations", `{"legalName": `, 400, codes.InvalidArgument, ""},
		{"wrong JSON type", "POST", "/v1/associations", `{"legalName": 12}`, 400, codes.InvalidArgument, ""},
		{"unknown field", "POST", "/v1/associations", `{"legalName": "x", "state": "SOLD"}`, 400, codes.InvalidArgument, ""},
		{"oversized body", "POST", "/v1/associations", huge, 413, codes.InvalidArgument, "limit"},
		{"unknown path", "GET", "/v1/nothing-here", "", 404, codes.NotFound, "/openapi.json"},
		{"wrong method", "DELETE", "/v1/associations", "", 405, codes.Unimplemented, "not allowed"},
		{"invalid fields", "POST", "/v1/associations", `{"legalName": "x"}`, 400, codes.InvalidArgument, "association.ruc"},
		{"not found", "GET", "/v1/associations/0192d1a0-0000-7000-8000-000000000000", "", 404, codes.NotFound, "not found"},
		{"bad page size", "GET", "/v1/associations?pageSize=abc", "", 400, codes.InvalidArgument, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := ts.rest(t, tt.method, tt.path, tt.body)
			if res.code != tt.wantHTTP {
				t.Fatalf("HTTP %d, want %d: %.300s", res.code, tt.wantHTTP, res.body)
			}
			code, msg := restStatus(t, res)
			if code != tt.wantCode || !strings.Contains(msg, tt.wantMsg) {
				t.Fatalf("status %v %q, want %v containing %q", code, msg, tt.wantCode, tt.wantMsg)
			}
		})
	}

	// A body over the limit without Content-Length is cut off as it streams.
	req, _ := http.NewRequestWithContext(t.Context(), "POST", ts.baseURL+"/v1/associations", io.MultiReader(strings.NewReader(huge)))
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked oversized body: HTTP %d, want 413", resp.StatusCode)
	}

	// Nothing of the above was written.
	res := ts.rest(t, "GET", "/v1/associations", "")
	var list millwav1.ListAssociationsResponse
	if err := protojson.Unmarshal(res.body, &list); err != nil || len(list.GetAssociations()) != 0 {
		t.Fatalf("bad requests wrote something: %s", res.body)
	}
}

// probe is a test gRPC service behind the server's interceptors: UnaryCall
// sleeps for the requested response size in milliseconds, or panics when the
// request's fill_username is set; EmptyCall reports its deadline.
type probe struct {
	testpb.UnimplementedTestServiceServer
	deadlines chan time.Duration
	started   chan struct{}
}

func (p *probe) UnaryCall(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	if req.GetFillUsername() {
		panic("probe asked to panic")
	}
	p.started <- struct{}{}
	select {
	case <-time.After(time.Duration(req.GetResponseSize()) * time.Millisecond):
		return &testpb.SimpleResponse{Username: "done"}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *probe) EmptyCall(ctx context.Context, _ *testpb.Empty) (*testpb.Empty, error) {
	dl, ok := ctx.Deadline()
	if !ok {
		p.deadlines <- -1
	} else {
		p.deadlines <- time.Until(dl)
	}
	return &testpb.Empty{}, nil
}

func startProbed(t *testing.T) (*testServer, *probe) {
	p := &probe{deadlines: make(chan time.Duration, 1), started: make(chan struct{}, 1)}
	ts := startServer(t, storetest.SQLiteURL(t), server.WithGRPCService(func(s *grpc.Server) {
		testpb.RegisterTestServiceServer(s, p)
	}, map[string]auth.Access{
		"/grpc.testing.TestService/UnaryCall": {Public: true},
		"/grpc.testing.TestService/EmptyCall": {Public: true},
	}))
	return ts, p
}

func TestPanicBecomesInternalAndServerSurvives(t *testing.T) {
	ts, _ := startProbed(t)
	client := testpb.NewTestServiceClient(ts.conn)
	_, err := client.UnaryCall(t.Context(), &testpb.SimpleRequest{FillUsername: true})
	if st := status.Convert(err); st.Code() != codes.Internal || strings.Contains(st.Message(), "probe asked") {
		t.Fatalf("panic: %v, want Internal without the panic's detail", err)
	}
	if _, err := millwav1.NewRegistryServiceClient(ts.conn).ListAssociations(t.Context(), &millwav1.ListAssociationsRequest{}); err != nil {
		t.Fatalf("server does not answer after a panic: %v", err)
	}
}

func TestDeadlinePolicy(t *testing.T) {
	ts, p := startProbed(t)
	client := testpb.NewTestServiceClient(ts.conn)
	def, max := config.Default().DefaultRPCTimeout, config.Default().MaxRPCTimeout

	if _, err := client.EmptyCall(t.Context(), &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if got := <-p.deadlines; got <= 0 || got > def {
		t.Fatalf("call without a deadline ran with %v left, want the default %v", got, def)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*max)
	defer cancel()
	if _, err := client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if got := <-p.deadlines; got <= 0 || got > max {
		t.Fatalf("call with a %v deadline ran with %v left, want it capped at %v", 10*max, got, max)
	}
	ctx, cancel = context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	if _, err := client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if got := <-p.deadlines; got <= 0 || got > 3*time.Second {
		t.Fatalf("call with a 3s deadline ran with %v left, want at most 3s", got)
	}
}

func TestStopDrainsInFlightCalls(t *testing.T) {
	ts, p := startProbed(t)
	client := testpb.NewTestServiceClient(ts.conn)
	type result struct {
		resp *testpb.SimpleResponse
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{ResponseSize: 700})
		done <- result{resp, err}
	}()
	<-p.started
	if err := ts.stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	r := <-done
	if r.err != nil || r.resp.GetUsername() != "done" {
		t.Fatalf("in-flight call during stop: %v, %v; want it to finish", r.resp, r.err)
	}
	if _, err := client.EmptyCall(t.Context(), &testpb.Empty{}, grpc.WaitForReady(false)); err == nil {
		t.Fatal("server still answers after stop")
	}
}

func TestHealthMetricsOpenAPIAndRequestID(t *testing.T) {
	ts := startServer(t, storetest.SQLiteURL(t))
	hc, err := healthpb.NewHealthClient(ts.conn).Check(t.Context(), &healthpb.HealthCheckRequest{})
	if err != nil || hc.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v, want SERVING", hc, err)
	}
	if res := ts.rest(t, "GET", "/healthz", ""); res.code != 200 || strings.TrimSpace(string(res.body)) != "ok" {
		t.Fatalf("/healthz: %d %s", res.code, res.body)
	}

	var header metadata.MD
	client := millwav1.NewRegistryServiceClient(ts.conn)
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-request-id", "req-42")
	if _, err := client.ListAssociations(ctx, &millwav1.ListAssociationsRequest{}, grpc.Header(&header)); err != nil {
		t.Fatal(err)
	}
	if got := header.Get("x-request-id"); len(got) != 1 || got[0] != "req-42" {
		t.Fatalf("x-request-id header = %v, want [req-42]", got)
	}

	res := ts.metrics(t)
	if res.code != 200 || !bytes.Contains(res.body, []byte(`grpc_server_handled_total{grpc_code="OK",grpc_method="ListAssociations"`)) {
		t.Fatalf("/metrics lacks the handled counter of ListAssociations: %d\n%.2000s", res.code, res.body)
	}

	res = ts.rest(t, "GET", "/openapi.json", "")
	var doc struct {
		Paths map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(res.body, &doc); err != nil || res.code != 200 {
		t.Fatalf("/openapi.json: %d %v", res.code, err)
	}
	if _, ok := doc.Paths["/v1/associations"]; !ok {
		t.Fatalf("/openapi.json lacks /v1/associations; has %d paths", len(doc.Paths))
	}
}
