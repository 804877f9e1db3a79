package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/credential"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/server"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// binary is millwactl built once for the tests that run it as a process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "millwactl-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "millwactl")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building millwactl:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// adminSecret is the first admin key of every test server.
const adminSecret = "mlw_test-admin-key-0123456789abcdefghijkl"

// testServer is a Millwa server on free loopback ports with an admin
// connection.
type testServer struct {
	addr  string
	admin *grpc.ClientConn
}

// syncBuffer collects output written from several goroutines.
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

// startServer starts a server over dbURL, as internal/server's tests do,
// and stops it when the test ends.
func startServer(t *testing.T, dbURL string) *testServer {
	t.Helper()
	cfg := config.Default()
	cfg.AdminKey = adminSecret
	cfg.GRPCAddr = "127.0.0.1:0"
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.MetricsAddr = ""
	cfg.DatabaseURL = dbURL
	cfg.ShutdownGrace = 5 * time.Second
	logs := &syncBuffer{}
	srv, err := server.New(t.Context(), cfg, slog.New(slog.NewJSONHandler(logs, nil)), server.WithSecretOutput(io.Discard))
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	conn, err := grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(credential.Bearer{Secret: adminSecret, Insecure: true}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with error: %v\nlogs:\n%s", err, logs.String())
		}
	})
	return &testServer{addr: srv.GRPCAddr(), admin: conn}
}

// association is a registered association with members, a classifier and
// an API key of its own.
type association struct {
	name       string
	members    []string
	classifier string
	secret     string
}

// rucSeq numbers the associations' RUCs so that they differ.
var rucSeq atomic.Int64

// newAssociation registers an association with n members, as the admin.
func (ts *testServer) newAssociation(t *testing.T, n int) association {
	t.Helper()
	reg := millwav1.NewRegistryServiceClient(ts.admin)
	first := fmt.Sprintf("20%08d", rucSeq.Add(1))
	a, err := reg.CreateAssociation(t.Context(), &millwav1.CreateAssociationRequest{Association: &millwav1.Association{
		LegalName: "Asociación de Productores Alpaqueros Nuevo Amanecer", Ruc: first + string(millwa.RUCCheckDigit(first)), Ubigeo: "210101",
		Contact: &millwav1.Contact{PersonName: "Rosa Quispe Mamani", Phone: "+51 951 234 567"},
	}})
	if err != nil {
		t.Fatalf("CreateAssociation: %v", err)
	}
	as := association{name: a.GetAssociation().GetName()}
	for i := range n {
		sex := millwav1.Sex_SEX_FEMALE
		if i%2 == 1 {
			sex = millwav1.Sex_SEX_MALE
		}
		m, err := reg.CreateMember(t.Context(), &millwav1.CreateMemberRequest{Parent: as.name, Member: &millwav1.Member{
			DisplayName: fmt.Sprintf("Socio %d", i), Dni: fmt.Sprintf("4%07d", i), Sex: sex,
		}})
		if err != nil {
			t.Fatalf("CreateMember: %v", err)
		}
		as.members = append(as.members, m.GetMember().GetName())
	}
	c, err := reg.CreateClassifier(t.Context(), &millwav1.CreateClassifierRequest{Parent: as.name, Classifier: &millwav1.Classifier{
		DisplayName: "Maestra Clasificadora", Dni: "39999999", CertificationNumber: "SINEACE-123", CertificationDate: "2024-05-10",
	}})
	if err != nil {
		t.Fatalf("CreateClassifier: %v", err)
	}
	as.classifier = c.GetClassifier().GetName()
	key, err := millwav1.NewIdentityServiceClient(ts.admin).CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{
		ApiKey: &millwav1.ApiKey{DisplayName: "import", Role: millwav1.Role_ROLE_ASSOCIATION, Organisation: as.name},
	})
	if err != nil {
		t.Fatalf("CreateApiKey: %v", err)
	}
	as.secret = key.GetSecret()
	return as
}

// countLots counts an association's lots, page by page.
func (ts *testServer) countLots(t *testing.T, parent string) int {
	t.Helper()
	reg := millwav1.NewRegistryServiceClient(ts.admin)
	n, token := 0, ""
	for {
		resp, err := reg.ListLots(t.Context(), &millwav1.ListLotsRequest{Parent: parent, PageSize: 500, PageToken: token})
		if err != nil {
			t.Fatalf("ListLots: %v", err)
		}
		n += len(resp.GetLots())
		if token = resp.GetNextPageToken(); token == "" {
			return n
		}
	}
}

// writeLotsCSV writes n lots of a as CSV, in a mix of the format's forms:
// grams and kilograms, ids and resource names, with and without
// measurements, one to three contributors.
func writeLotsCSV(t *testing.T, a association, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("lot_number,campaign,breed,colour,declared_quality_group,classifier,net_weight_grams,net_weight_kg,ask_price_pen,collection_point,mean_fiber_diameter_um,sd_um,fibers_measured,member_1,grams_1,member_2,kg_2,member_3,grams_3\n")
	colours := []string{"WHITE", "light fawn", "BLACK", "GREY"}
	groups := []string{"BABY", "FLEECE", "MEDIUM_FLEECE", "HUARIZO"}
	for i := range n {
		classifier := a.classifier
		if i%2 == 0 {
			classifier = classifier[strings.LastIndex(classifier, "/")+1:]
		}
		m := func(j int) string {
			name := a.members[(i+j)%len(a.members)]
			if (i+j)%3 == 0 {
				return name[strings.LastIndex(name, "/")+1:]
			}
			return name
		}
		grams := int64(20000 + i%50*500)
		weight := fmt.Sprintf("%d,", grams)
		if i%4 == 1 {
			weight = "," + strconv.FormatFloat(float64(grams)/1000, 'f', -1, 64)
		}
		measure := ",,"
		if i%5 == 0 {
			measure = fmt.Sprintf("%.1f,4.8,3000", 19+float64(i%100)/10)
		}
		var contrib string
		switch i % 3 {
		case 0:
			contrib = fmt.Sprintf("%s,%d,,,,", m(0), grams)
		case 1:
			contrib = fmt.Sprintf("%s,%d,%s,%.3f,,", m(0), grams-5500, m(1), 5.5)
		default:
			contrib = fmt.Sprintf("%s,%d,%s,%.3f,%s,%d", m(0), grams-8000, m(1), 3.0, m(2), 5000)
		}
		fmt.Fprintf(&b, "L-%04d,2026,HUACAYA,%s,%s,%s,%s,%d.%02d,\"Centro de acopio Ichu, sector %d\",%s,%s\n",
			i+1, colours[i%len(colours)], groups[i%len(groups)], classifier, weight, 18+i%7, i%100, i%9, measure, contrib)
	}
	path := filepath.Join(t.TempDir(), "lotes.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// summaryRE reads the summary an import prints.
var summaryRE = regexp.MustCompile(`lots created: (\d+) in (\d+) batches\nbatches replayed: (\d+) \((\d+) lots created by an earlier run\)\nlines with errors: (\d+)\n`)

// summary is what an import said it did.
type summary struct{ created, createdBatches, replayed, replayedLots, badLines int }

func parseSummary(t *testing.T, out string) summary {
	t.Helper()
	m := summaryRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary in the output:\n%s", out)
	}
	n := make([]int, 5)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	return summary{n[0], n[1], n[2], n[3], n[4]}
}

// importCommand is millwactl importing file into a, as a process.
func importCommand(ts *testServer, a association, file string, args ...string) *exec.Cmd {
	cmd := exec.Command(binary, append([]string{"lots", "import", file, "--association", a.name, "--server", ts.addr}, args...)...)
	cmd.Env = append(os.Environ(), envKey+"="+a.secret, envLang+"=en")
	return cmd
}

var progressRE = regexp.MustCompile(`^progress: (\d+)/(\d+) lots`)

// TestImportKilledHalfwayThenRerun is the acceptance test of the import:
// importing a 2,000-row CSV, killing the client halfway and running it
// again yields exactly 2,000 lots, and running it once more creates none.
func TestImportKilledHalfwayThenRerun(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		const rows = 2000
		ts := startServer(t, dbURL)
		a := ts.newAssociation(t, 12)
		file := writeLotsCSV(t, a, rows)

		// First run: SIGKILL once the progress shows half the lots.
		first := importCommand(ts, a, file, "--batch", "100")
		stderr, err := first.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		var out syncBuffer
		first.Stdout = &out
		start := time.Now()
		if err := first.Start(); err != nil {
			t.Fatal(err)
		}
		var log strings.Builder
		killed := false
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if m := progressRE.FindStringSubmatch(sc.Text()); m != nil && !killed {
				if done, _ := strconv.Atoi(m[1]); done >= rows/2 {
					if err := first.Process.Signal(syscall.SIGKILL); err != nil {
						t.Fatal(err)
					}
					killed = true
				}
			}
		}
		err = first.Wait()
		var exit *exec.ExitError
		if !killed || !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("first run was not killed halfway (%v); stderr:\n%s\nstdout:\n%s", err, log.String(), out.String())
		}
		atKill := ts.countLots(t, a.name)
		t.Logf("first run killed after %v with %d lots created", time.Since(start).Round(time.Millisecond), atKill)
		if atKill < rows/2 || atKill >= rows {
			t.Fatalf("%d lots after the kill, want at least %d and fewer than %d", atKill, rows/2, rows)
		}

		// Second run: finishes, replaying the batches the first one made.
		second := importCommand(ts, a, file, "--batch", "100")
		var stdout2, stderr2 bytes.Buffer
		second.Stdout, second.Stderr = &stdout2, &stderr2
		if err := second.Run(); err != nil {
			t.Fatalf("second run: %v\nstderr:\n%s\nstdout:\n%s", err, stderr2.String(), stdout2.String())
		}
		s := parseSummary(t, stdout2.String())
		if n := ts.countLots(t, a.name); n != rows {
			t.Fatalf("%d lots after the second run, want exactly %d; it said %+v", n, rows, s)
		}
		if s.replayed < rows/2/100 || s.replayedLots != s.replayed*100 || s.created+s.replayedLots != rows || s.badLines != 0 {
			t.Errorf("second run's summary %+v: want at least %d batches replayed and the rest created", s, rows/2/100)
		}
		if !strings.Contains(stderr2.String(), fmt.Sprintf("progress: %d/%d lots", rows, rows)) {
			t.Errorf("second run's progress does not reach %d:\n%s", rows, stderr2.String())
		}

		// Third run: everything is replayed, nothing created.
		third := importCommand(ts, a, file, "--batch", "100")
		out3, err := third.Output()
		if err != nil {
			t.Fatalf("third run: %v\n%s", err, out3)
		}
		if s := parseSummary(t, string(out3)); s != (summary{replayed: rows / 100, replayedLots: rows}) {
			t.Errorf("third run's summary %+v, want 20 batches replayed and nothing created", s)
		}
		if n := ts.countLots(t, a.name); n != rows {
			t.Fatalf("%d lots after the third run, want %d", n, rows)
		}
		t.Logf("three runs took %v", time.Since(start).Round(time.Millisecond))
	})
}

// run runs millwactl in this process with args and the environment env.
func run(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newRootCommand(&out, &errOut, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	cmd.SetArgs(args)
	err = cmd.ExecuteContext(t.Context())
	return out.String(), errOut.String(), err
}

func TestImportReportsBadRowsAndSkipsThem(t *testing.T) {
	t.Parallel()
	ts := startServer(t, storetest.SQLiteURL(t))
	a := ts.newAssociation(t, 3)
	other := ts.newAssociation(t, 1)
	env := map[string]string{envKey: a.secret, envServer: ts.addr, envLang: "en"}

	var b strings.Builder
	b.WriteString("lot_number,campaign,breed,colour,declared_quality_group,classifier,net_weight_kg,ask_price_pen,collection_point,member_1,kg_1,member_2,kg_2\n")
	good := func(n int) string {
		return fmt.Sprintf("L-%d,2026,HUACAYA,WHITE,BABY,%s,46,22.50,Ichu,%s,30,%s,16\n", n, a.classifier, a.members[0], a.members[1])
	}
	for i := 1; i <= 10; i++ {
		b.WriteString(good(i))
	}
	lines := strings.Split(b.String(), "\n")
	lines[3] = strings.Replace(lines[3], "WHITE", "PURPLE", 1)                                                       // line 4: a colour the standard lacks
	lines[5] = strings.Replace(lines[5], a.members[1], a.members[1][:strings.LastIndex(a.members[1], "/")+1]+"x", 1) // line 6: no such member
	lines[6] = strings.Replace(lines[6], ",30,", ",29,", 1)                                                          // line 7: sums to 45 kg
	lines[8] = strings.Replace(lines[8], "HUACAYA", "LLAMA", 1)                                                      // line 9: a breed the standard lacks
	lines[9] = strings.Replace(lines[9], a.classifier, other.classifier, 1)                                          // line 10: another association's classifier
	file := filepath.Join(t.TempDir(), "lotes.csv")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}

	// Without --skip-bad-rows: every bad line reported, nothing sent.
	stdout, stderr, err := run(t, env, "lots", "import", file, "--association", a.name, "--batch", "4")
	if !errors.Is(err, errIncomplete) {
		t.Fatalf("import of a bad file: %v, want errIncomplete", err)
	}
	for _, want := range []string{
		file + ":4: column colour (D): PURPLE is not a colour of pe-ntp-231-301-2014",
		file + ":6: column member_2 (L): " + a.name + "/members/x is not a member of " + a.name,
		file + ":7: column net_weight_kg (G): is 46 kg but the contributions sum to 45 kg",
		file + ":9: column breed (C): LLAMA is not a breed",
		file + ":10: column classifier (F): " + other.classifier + " is not of " + a.name,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("report lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "5 of 10 lines have errors: nothing was sent") {
		t.Errorf("stdout: %s", stdout)
	}
	if n := ts.countLots(t, a.name); n != 0 {
		t.Fatalf("%d lots created from a file with bad rows", n)
	}

	// A dry run with --skip-bad-rows says what would be sent.
	stdout, _, err = run(t, env, "lots", "import", file, "--association", a.name, "--batch", "4", "--skip-bad-rows", "--dry-run")
	if !errors.Is(err, errIncomplete) || !strings.Contains(stdout, "dry run: 5 lots in 3 batches would be sent") {
		t.Fatalf("dry run: %v\n%s", err, stdout)
	}
	if n := ts.countLots(t, a.name); n != 0 {
		t.Fatalf("%d lots created by a dry run", n)
	}

	// With --skip-bad-rows: the good lines are imported, the bad reported.
	for i, want := range []summary{{created: 5, createdBatches: 3, badLines: 5}, {replayed: 3, replayedLots: 5, badLines: 5}} {
		stdout, _, err = run(t, env, "lots", "import", file, "--association", a.id(), "--batch", "4", "--skip-bad-rows")
		if !errors.Is(err, errIncomplete) {
			t.Fatalf("run %d: %v, want errIncomplete", i+1, err)
		}
		if got := parseSummary(t, stdout); got != want {
			t.Errorf("run %d: summary %+v, want %+v", i+1, got, want)
		}
		if n := ts.countLots(t, a.name); n != 5 {
			t.Fatalf("run %d: %d lots, want 5", i+1, n)
		}
	}

	// Another association's key is refused before anything is sent.
	_, _, err = run(t, map[string]string{envKey: other.secret, envServer: ts.addr, envLang: "en"}, "lots", "import", file, "--association", a.name)
	if err == nil || !strings.Contains(err.Error(), "NotFound") {
		t.Errorf("another association's key: %v", err)
	}
	// And a wrong key says so.
	_, _, err = run(t, map[string]string{envKey: "mlw_wrong", envServer: ts.addr, envLang: "en"}, "lots", "import", file, "--association", a.name)
	if err == nil || !strings.Contains(err.Error(), "does not accept the API key") || strings.Contains(err.Error(), "mlw_wrong") {
		t.Errorf("a wrong key: %v", err)
	}
}

func (a association) id() string { return strings.TrimPrefix(a.name, "associations/") }

// fakeRegistry is a RegistryService and GradingService that answers
// BatchCreateLots from a script, for failures a real server does not make
// on demand.
type fakeRegistry struct {
	millwav1.UnimplementedRegistryServiceServer
	millwav1.UnimplementedGradingServiceServer
	parent string

	mu       sync.Mutex
	script   []error // answers to BatchCreateLots, in order; nil creates
	calls    []*millwav1.BatchCreateLotsRequest
	answered map[string]*millwav1.BatchCreateLotsResponse
}

func (f *fakeRegistry) GetStandard(_ context.Context, req *millwav1.GetStandardRequest) (*millwav1.GetStandardResponse, error) {
	return &millwav1.GetStandardResponse{Standard: &millwav1.Standard{
		Name: req.GetName(), StandardId: strings.TrimPrefix(req.GetName(), "standards/"),
		QualityGroups: []*millwav1.QualityGroup{{Code: "BABY"}}, Colours: []*millwav1.FiberColour{{Code: "WHITE"}}, Breeds: []*millwav1.AlpacaBreed{{Code: "HUACAYA"}},
	}}, nil
}

func (f *fakeRegistry) ListMembers(context.Context, *millwav1.ListMembersRequest) (*millwav1.ListMembersResponse, error) {
	return &millwav1.ListMembersResponse{Members: []*millwav1.Member{{Name: f.parent + "/members/M1"}}}, nil
}

func (f *fakeRegistry) ListClassifiers(context.Context, *millwav1.ListClassifiersRequest) (*millwav1.ListClassifiersResponse, error) {
	return &millwav1.ListClassifiersResponse{Classifiers: []*millwav1.Classifier{{Name: f.parent + "/classifiers/C1"}}}, nil
}

func (f *fakeRegistry) BatchCreateLots(ctx context.Context, req *millwav1.BatchCreateLotsRequest) (*millwav1.BatchCreateLotsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, req)
	if len(f.script) > 0 {
		err := f.script[0]
		f.script = f.script[1:]
		if err != nil {
			return nil, err
		}
	}
	if resp, ok := f.answered[req.GetRequestId()]; ok {
		// As the server does, say that the answer is a replay.
		_ = grpc.SetHeader(ctx, metadata.Pairs("x-millwa-replayed", "true"))
		return resp, nil
	}
	resp := &millwav1.BatchCreateLotsResponse{}
	for range req.GetRequests() {
		resp.Lots = append(resp.Lots, &millwav1.Lot{CreateTime: timestamppb.Now()})
	}
	f.answered[req.GetRequestId()] = resp
	return resp, nil
}

func TestImportRetriesAndMapsServerErrors(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const parent = "associations/A"
	retryLater, _ := status.New(codes.ResourceExhausted, "rate limit").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(30 * time.Millisecond)})
	invalid, _ := status.New(codes.InvalidArgument, "bad lot").WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
		{Field: "requests[1].lot.measurement.mean_fiber_diameter_um", Description: "is out of the standard's range"},
	}})
	fake := &fakeRegistry{parent: parent, answered: map[string]*millwav1.BatchCreateLotsResponse{}, script: []error{
		status.Error(codes.Unavailable, "connection reset"),
		retryLater.Err(),
		nil,           // lines 2-3
		invalid.Err(), // lines 4-5: line 5 refused
		nil,           // lines 6-6
	}}
	srv := grpc.NewServer()
	millwav1.RegisterRegistryServiceServer(srv, fake)
	millwav1.RegisterGradingServiceServer(srv, fake)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	var b strings.Builder
	b.WriteString("campaign,breed,colour,declared_quality_group,classifier,net_weight_grams,ask_price_per_kg,collection_point,mean_fiber_diameter_um,member_1,grams_1\n")
	for i := range 5 {
		fmt.Fprintf(&b, "2026,HUACAYA,WHITE,BABY,C1,1000,2200,Ichu,%d,M1,1000\n", 20+i)
	}
	file := filepath.Join(t.TempDir(), "lotes.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{envKey: "mlw_fake", envServer: lis.Addr().String(), envLang: "en"}
	start := time.Now()
	stdout, stderr, err := run(t, env, "lots", "import", file, "--association", parent, "--batch", "2", "--timeout", "5s")
	if !errors.Is(err, errIncomplete) {
		t.Fatalf("import: %v, want errIncomplete\n%s\n%s", err, stdout, stderr)
	}
	for _, want := range []string{
		"lines 2-3: Unavailable (connection reset); retrying in",
		"lines 2-3: ResourceExhausted (rate limit); retrying in 30ms",
		file + ":5: column mean_fiber_diameter_um (I): refused by the server: lot.measurement.mean_fiber_diameter_um is out of the standard's range",
		"progress: 2/5 lots (lines 2-3)",
		"progress: 3/3 lots (lines 6-6)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if s := parseSummary(t, stdout); s != (summary{created: 3, createdBatches: 2, badLines: 1}) {
		t.Errorf("summary %+v", s)
	}
	if !strings.Contains(stdout, "lines not imported: 2 (") {
		t.Errorf("the summary does not count line 4, refused with line 5:\n%s", stdout)
	}
	if elapsed := time.Since(start); elapsed < 30*time.Millisecond {
		t.Errorf("took %v: the RetryInfo delay was not honoured", elapsed)
	}
	fake.mu.Lock()
	calls := len(fake.calls)
	ids := map[string]int{}
	for _, c := range fake.calls {
		ids[c.GetRequestId()]++
	}
	fake.mu.Unlock()
	if calls != 5 || ids[fmt.Sprintf("csv-%s-2-3", fileTag(t, file))] != 3 {
		t.Errorf("%d calls with ids %v, want 3 tries of lines 2-3 and one of each other batch", calls, ids)
	}

	// With --skip-bad-rows the rest of the refused batch is sent again under
	// the same request_id; so does a re-run, which the server replays.
	fake.mu.Lock()
	fake.script = []error{nil, invalid.Err()} // lines 2-3 replayed, lines 4-5 refused
	fake.calls = nil
	fake.mu.Unlock()
	stdout, stderr, err = run(t, env, "lots", "import", file, "--association", parent, "--batch", "2", "--skip-bad-rows")
	if !errors.Is(err, errIncomplete) {
		t.Fatalf("import: %v\n%s\n%s", err, stdout, stderr)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	var sent []string
	for _, c := range fake.calls {
		sent = append(sent, fmt.Sprintf("%s×%d", c.GetRequestId()[strings.LastIndex(c.GetRequestId()[:strings.LastIndex(c.GetRequestId(), "-")], "-")+1:], len(c.GetRequests())))
	}
	if strings.Join(sent, " ") != "2-3×2 4-5×2 4-5×1 6-6×1" {
		t.Errorf("calls %v, want 2-3×2 4-5×2 4-5×1 6-6×1", sent)
	}
	if s := parseSummary(t, stdout); s != (summary{created: 1, createdBatches: 1, replayed: 2, replayedLots: 3, badLines: 1}) {
		t.Errorf("summary %+v\n%s", s, stderr)
	}
}

// fileTag is the part of the request_ids that identifies file.
func fileTag(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:12]
}

// TestImportReportsTakenLotNumbers imports a file whose lot numbers repeat
// one already registered and one another line of the file has: each line
// is reported with the lot that holds its number, and with --skip-bad-rows
// the others are imported.
func TestImportReportsTakenLotNumbers(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.newAssociation(t, 2)
		env := map[string]string{envKey: a.secret, envServer: ts.addr, envLang: "en"}
		row := func(number string) string {
			return fmt.Sprintf("%s,2026,HUACAYA,WHITE,BABY,%s,46,22.50,Ichu,%s,30,%s,16\n", number, a.classifier, a.members[0], a.members[1])
		}
		first := "lot_number,campaign,breed,colour,declared_quality_group,classifier,net_weight_kg,ask_price_pen,collection_point,member_1,kg_1,member_2,kg_2\n" + row("L-1")
		firstFile := filepath.Join(t.TempDir(), "primero.csv")
		if err := os.WriteFile(firstFile, []byte(first), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := run(t, env, "lots", "import", firstFile, "--association", a.name); err != nil {
			t.Fatalf("importing L-1: %v", err)
		}
		resp, err := millwav1.NewRegistryServiceClient(ts.admin).ListLots(t.Context(), &millwav1.ListLotsRequest{Parent: a.name, Filter: `lot_number = "L-1"`})
		if err != nil || len(resp.GetLots()) != 1 {
			t.Fatalf("the lot L-1: %v %v", resp, err)
		}
		holder := resp.GetLots()[0].GetName()

		second := strings.Replace(first, row("L-1"), row("L-1")+row("L-2")+row("L-3")+row("L-3"), 1)
		file := filepath.Join(t.TempDir(), "segundo.csv")
		if err := os.WriteFile(file, []byte(second), 0o600); err != nil {
			t.Fatal(err)
		}
		stdout, stderr, err := run(t, env, "lots", "import", file, "--association", a.name, "--skip-bad-rows")
		if !errors.Is(err, errIncomplete) {
			t.Fatalf("import: %v, want errIncomplete\n%s\n%s", err, stdout, stderr)
		}
		for _, want := range []string{
			file + ":2: column lot_number (A): refused by the server: lot.lot_number is already the number of " + holder + " in campaign 2026",
			file + ":5: column lot_number (A): refused by the server: lot.lot_number repeats the number \"L-3\" of line 4 in campaign 2026",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("report lacks %q:\n%s", want, stderr)
			}
		}
		if got, want := parseSummary(t, stdout), (summary{created: 2, createdBatches: 1, badLines: 2}); got != want {
			t.Errorf("summary %+v, want %+v", got, want)
		}
		if n := ts.countLots(t, a.name); n != 3 {
			t.Errorf("%d lots, want 3", n)
		}
	})
}
