package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/consistency"
	"github.com/millwa/millwa/internal/credential"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// binary is the millwa server built once for the tests of this package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "millwa-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "millwa")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building millwa:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is a running millwa binary and the addresses its log announced.
type process struct {
	cmd                *exec.Cmd
	grpcAddr, httpAddr string
	exited             chan error
	logs               *strings.Builder
	mu                 *sync.Mutex
	stdout             *syncBuilder
}

// syncBuilder collects a process's output.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// adminSecret is the first admin key given to servers under test.
const adminSecret = "mlw_test-admin-key-0123456789abcdefghijkl"

// baseEnv is the environment without MILLWA_* variables, so that the tests
// see the defaults whatever the caller's shell exports.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MILLWA_") {
			env = append(env, kv)
		}
	}
	return append(env, "MILLWA_GRPC_ADDR=127.0.0.1:0", "MILLWA_HTTP_ADDR=127.0.0.1:0", "MILLWA_METRICS_ADDR=127.0.0.1:0")
}

// start runs millwa in dir with extra environment and waits for the log line
// that says where it serves.
func start(t *testing.T, dir string, env ...string) *process {
	t.Helper()
	cmd := exec.Command(binary)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := &syncBuilder{}
	cmd.Stdout = stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, exited: make(chan error, 1), logs: &strings.Builder{}, mu: &sync.Mutex{}, stdout: stdout}
	addrs := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs.WriteString(line + "\n")
			p.mu.Unlock()
			var rec struct {
				Msg      string `json:"msg"`
				GRPCAddr string `json:"grpc_addr"`
				HTTPAddr string `json:"http_addr"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "serving" {
				addrs <- [2]string{rec.GRPCAddr, rec.HTTPAddr}
			}
		}
		p.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	select {
	case a := <-addrs:
		p.grpcAddr, p.httpAddr = a[0], a[1]
	case err := <-p.exited:
		t.Fatalf("millwa exited before serving: %v\n%s", err, p.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("millwa did not announce its addresses within a minute:\n%s", p.log())
	}
	return p
}

func (p *process) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// dial connects to the process's gRPC port as the admin.
func (p *process) dial(t *testing.T) *grpc.ClientConn {
	return p.dialAs(t, adminSecret)
}

// dialAs connects to the process's gRPC port with the given key, or with
// none for "".
func (p *process) dialAs(t *testing.T, secret string) *grpc.ClientConn {
	t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if secret != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(credential.Bearer{Secret: secret, Insecure: true}))
	}
	conn, err := grpc.NewClient(p.grpcAddr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// waitServing polls the health service until it answers SERVING.
func waitServing(t *testing.T, conn *grpc.ClientConn) {
	t.Helper()
	client := healthpb.NewHealthClient(conn)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Check(t.Context(), &healthpb.HealthCheckRequest{})
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("health never SERVING: %v %v", resp, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// httpRules returns the REST paths of the HTTP rules file with every
// variable written "{}": "/v1/{name=associations/*}/label" becomes
// "/v1/associations/{}/label", the form OpenAPI uses once its variable names
// are blanked out by openAPIPath.
func httpRules(t *testing.T) []string {
	b, err := os.ReadFile("../../proto/millwa/v1/millwa_http.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rule := regexp.MustCompile(`(?m)^\s+(?:get|post|put|patch|delete):\s*"?([^"\s]+)"?`)
	variable := regexp.MustCompile(`\{[a-z_.]+(?:=([^}]*))?\}`)
	var paths []string
	for _, m := range rule.FindAllStringSubmatch(string(b), -1) {
		paths = append(paths, variable.ReplaceAllStringFunc(m[1], func(v string) string {
			if _, pattern, ok := strings.Cut(strings.Trim(v, "{}"), "="); ok {
				return strings.ReplaceAll(pattern, "*", "{}")
			}
			return "{}"
		}))
	}
	if len(paths) < 30 {
		t.Fatalf("found only %d HTTP rules in millwa_http.yaml", len(paths))
	}
	return paths
}

// openAPIPath blanks the variable names of an OpenAPI path.
func openAPIPath(p string) string {
	return regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(p, "{}")
}

func TestFreshStartOnEmbeddedDefault(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir)
	if _, err := os.Stat(filepath.Join(dir, "millwa.db")); err != nil {
		t.Fatalf("default database not created in the working directory: %v", err)
	}
	conn := p.dialAs(t, "") // health and reflection need no key
	waitServing(t, conn)

	// The first start prints a new admin key once, on standard output and
	// never in the log; it works.
	secret := regexp.MustCompile(`mlw_[A-Za-z0-9_-]{43}`).FindString(p.stdout.String())
	if secret == "" {
		t.Fatalf("first start printed no admin key; stdout:\n%s", p.stdout.String())
	}
	if strings.Contains(p.log(), secret) {
		t.Fatal("the admin key's secret is in the log")
	}
	who, err := millwav1.NewIdentityServiceClient(p.dialAs(t, secret)).WhoAmI(t.Context(), &millwav1.WhoAmIRequest{})
	if err != nil || who.GetRole() != millwav1.Role_ROLE_ADMIN {
		t.Fatalf("WhoAmI with the printed key: %v %v", who, err)
	}

	// Reflection lists the five services, as grpcurl would.
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var services []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		services = append(services, s.GetName())
	}
	for _, want := range []string{"millwa.v1.GradingService", "millwa.v1.IdentityService", "millwa.v1.RegistryService", "millwa.v1.MarketService", "millwa.v1.AuditService", "grpc.health.v1.Health"} {
		if !slices.Contains(services, want) {
			t.Errorf("reflection does not list %s; lists %v", want, services)
		}
	}

	// The OpenAPI document names every REST path of the HTTP rules.
	res, err := http.Get("http://" + p.httpAddr + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]json.RawMessage `json:"paths"`
	}
	err = json.NewDecoder(res.Body).Decode(&doc)
	res.Body.Close()
	if err != nil {
		t.Fatalf("/openapi.json: %v", err)
	}
	documented := map[string]bool{}
	for p := range doc.Paths {
		documented[openAPIPath(p)] = true
	}
	for _, path := range httpRules(t) {
		if !documented[path] {
			t.Errorf("/openapi.json lacks %s", path)
		}
	}

	// SIGTERM stops it cleanly.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.log())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit within 30s of SIGTERM")
	}
	if !strings.Contains(p.log(), "draining in-flight requests") {
		t.Errorf("log does not say it drains:\n%s", p.log())
	}

	// A second start finds the admin key and prints none.
	p2 := start(t, dir)
	if strings.Contains(p2.stdout.String(), "mlw_") {
		t.Fatalf("second start printed a key:\n%s", p2.stdout.String())
	}
	if _, err := millwav1.NewIdentityServiceClient(p2.dialAs(t, secret)).WhoAmI(t.Context(), &millwav1.WhoAmIRequest{}); err != nil {
		t.Fatalf("first key after restart: %v", err)
	}
}

func association(n int) *millwav1.Association {
	first := fmt.Sprintf("20%08d", n)
	return &millwav1.Association{
		LegalName: fmt.Sprintf("Asociación %d", n),
		Ruc:       first + string(millwa.RUCCheckDigit(first)),
		Ubigeo:    "210101",
		Contact:   &millwav1.Contact{PersonName: "Juan Mamani", Phone: "+51 951 000 000"},
	}
}

func TestKillMidRequestThenRestart(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		dir := t.TempDir()
		p := start(t, dir, "MILLWA_DATABASE_URL="+dbURL, "MILLWA_ADMIN_KEY="+adminSecret)
		conn := p.dial(t)
		waitServing(t, conn)
		client := millwav1.NewRegistryServiceClient(conn)

		// Writers create associations until the server dies under them.
		var mu sync.Mutex
		var acked []string
		var wg sync.WaitGroup
		enough := make(chan struct{})
		var once sync.Once
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					resp, err := client.CreateAssociation(context.Background(), &millwav1.CreateAssociationRequest{Association: association(w*100000 + i)})
					if err != nil {
						return // the server was killed
					}
					mu.Lock()
					acked = append(acked, resp.GetAssociation().GetName())
					if len(acked) >= 40 {
						once.Do(func() { close(enough) })
					}
					mu.Unlock()
				}
			}()
		}
		select {
		case <-enough:
		case <-time.After(60 * time.Second):
			t.Fatalf("writers made no progress:\n%s", p.log())
		}
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-p.exited
		wg.Wait()

		// The database migrates and serves again, with every acknowledged write.
		migrate := exec.Command(binary, "migrate")
		migrate.Dir, migrate.Env = dir, append(baseEnv(), "MILLWA_DATABASE_URL="+dbURL)
		if out, err := migrate.CombinedOutput(); err != nil || !strings.Contains(string(out), "up to date") {
			t.Fatalf("migrate after kill: %v\n%s", err, out)
		}
		p2 := start(t, dir, "MILLWA_DATABASE_URL="+dbURL, "MILLWA_ADMIN_KEY="+adminSecret)
		conn2 := p2.dial(t)
		waitServing(t, conn2)
		client2 := millwav1.NewRegistryServiceClient(conn2)
		for _, name := range acked {
			if _, err := client2.GetAssociation(t.Context(), &millwav1.GetAssociationRequest{Name: name}); err != nil {
				t.Errorf("acknowledged %s lost after kill -9: %v", name, err)
			}
		}
		if _, err := client2.CreateAssociation(t.Context(), &millwav1.CreateAssociationRequest{Association: association(999999)}); err != nil {
			t.Fatalf("write after restart: %v", err)
		}
		t.Logf("%d acknowledged writes survived kill -9", len(acked))
	})
}

func TestSubcommands(t *testing.T) {
	dir := t.TempDir()
	run := func(env []string, args ...string) (string, error) {
		cmd := exec.Command(binary, args...)
		cmd.Dir, cmd.Env = dir, append(baseEnv(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run(nil, "version")
	if err != nil || !strings.HasPrefix(out, "millwa ") {
		t.Fatalf("version: %v %q", err, out)
	}
	out, err = run(nil, "migrate")
	if err != nil || !strings.Contains(out, "sqlite:millwa.db is up to date") {
		t.Fatalf("migrate: %v %q", err, out)
	}
	out, err = run([]string{"MILLWA_SHUTDOWN_GRACE=soon"}, "serve")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(out, "MILLWA_SHUTDOWN_GRACE") {
		t.Fatalf("bad variable: %v %q, want a failure naming MILLWA_SHUTDOWN_GRACE", err, out)
	}
	out, err = run(nil, "serve", "--database-url", "mysql://x")
	if !errors.As(err, &exit) || !strings.Contains(out, "database-url") {
		t.Fatalf("bad flag value: %v %q, want a failure naming database-url", err, out)
	}
	// A folder of standards with a broken file stops the start, naming it.
	standards := t.TempDir()
	if err := os.WriteFile(filepath.Join(standards, "pe-custom.json"), []byte(`{"id": "pe-custom", "colour_table": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = run([]string{"MILLWA_STANDARDS_DIR=" + standards}, "serve")
	if !errors.As(err, &exit) || !strings.Contains(out, "pe-custom.json") || !strings.Contains(out, "colour_table") {
		t.Fatalf("broken standard: %v %q, want a failure naming the file and the field", err, out)
	}
	out, err = run(nil, "serve", "--http-addr", "127.0.0.1:0", "--grpc-addr", "nonsense")
	if !errors.As(err, &exit) || !strings.Contains(out, "grpc-addr") {
		t.Fatalf("bad address: %v %q", err, out)
	}
}

func TestDemoSeedsOnceThroughTheAPI(t *testing.T) {
	dir := t.TempDir()
	for range 2 {
		cmd := exec.Command(binary, "demo", "--lots", "40")
		cmd.Dir, cmd.Env = dir, append(baseEnv(), "MILLWA_ADMIN_KEY="+adminSecret)
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Seeded 200 lots") {
			t.Fatalf("demo: %v\n%s", err, out)
		}
	}
	p := start(t, dir, "MILLWA_ADMIN_KEY="+adminSecret)
	reg := millwav1.NewRegistryServiceClient(p.dial(t))
	assocs, err := reg.ListAssociations(t.Context(), &millwav1.ListAssociationsRequest{})
	if err != nil || len(assocs.GetAssociations()) != 5 {
		t.Fatalf("associations after two demo runs: %v %v", assocs, err)
	}
	lots, err := reg.ListLots(t.Context(), &millwav1.ListLotsRequest{Parent: "associations/-", PageSize: 500})
	// 40 lots an association and 4 lots of whole fleeces in the 2026
	// campaign, and the 2025 season's 80 lots behind the observatory (eight
	// sale weeks, five associations, two groups).
	if err != nil || len(lots.GetLots()) != 284 {
		t.Fatalf("lots after two demo runs: %d %v, want 284", len(lots.GetLots()), err)
	}
	// In Puno every gram of a 2026 lot comes from members' receipts.
	fromReceipts := 0
	for _, l := range lots.GetLots() {
		if strings.HasPrefix(l.GetUbigeo(), "21") && l.GetCampaign() == 2026 {
			var grams int64
			for _, src := range l.GetSources() {
				grams += src.GetGrams()
			}
			if grams != l.GetNetWeightGrams() {
				t.Errorf("Puno lot %s: sources sum to %d g of %d", l.GetName(), grams, l.GetNetWeightGrams())
			}
			fromReceipts++
		}
	}
	if fromReceipts != 124 {
		t.Errorf("%d Puno lots, want 3 × 40 built from receipts and 4 of whole fleeces", fromReceipts)
	}
	regions := map[string]bool{}
	for _, a := range assocs.GetAssociations() {
		regions[a.GetUbigeo()[:2]] = true
	}
	if !regions["21"] || !regions["08"] || !regions["09"] {
		t.Errorf("demo associations are not in Puno, Cusco and Huancavelica: %v", regions)
	}

	// The market: Arequipa processors, one clearing, trades in every state
	// with the paid ones' payouts summing to what was paid.
	mkt := millwav1.NewMarketServiceClient(p.dial(t))
	procs, err := mkt.ListProcessors(t.Context(), &millwav1.ListProcessorsRequest{})
	if err != nil || len(procs.GetProcessors()) != 5 {
		t.Fatalf("processors after two demo runs: %v %v, want 5", procs, err)
	}
	for _, pr := range procs.GetProcessors() {
		// Three mills in Arequipa and the 2025 season's buyer there, and a
		// Puno workshop trading under a person's RUC.
		if pr.GetUbigeo()[:2] != "04" && !strings.HasPrefix(pr.GetRuc(), "10") {
			t.Errorf("demo processor %s is neither in Arequipa nor a workshop", pr.GetLegalName())
		}
	}
	trades, err := mkt.ListTrades(t.Context(), &millwav1.ListTradesRequest{PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	states := map[millwav1.TradeState]int{}
	clearings := map[string]bool{}
	for _, tr := range trades.GetTrades() {
		states[tr.GetState()]++
		clearings[tr.GetClearingId()] = true
		if tr.GetState() != millwav1.TradeState_TRADE_STATE_PAID {
			continue
		}
		var sum int64
		for _, po := range tr.GetPayouts() {
			sum += po.GetAmount()
		}
		if sum != tr.GetPaidAmount() || sum == 0 {
			t.Errorf("trade %s paid %d, payouts sum to %d", tr.GetName(), tr.GetPaidAmount(), sum)
		}
	}
	for _, st := range []millwav1.TradeState{millwav1.TradeState_TRADE_STATE_MATCHED, millwav1.TradeState_TRADE_STATE_CONFIRMED,
		millwav1.TradeState_TRADE_STATE_DELIVERED, millwav1.TradeState_TRADE_STATE_PAID} {
		if states[st] == 0 {
			t.Errorf("no demo trade is %v: %v", st, states)
		}
	}
	if len(clearings) != 10 {
		t.Errorf("demo trades come from %d clearings, want the season's, the whole fleeces' and the 2025 season's eight sale weeks", len(clearings))
	}
	if trades.GetNextPageToken() != "" {
		t.Fatalf("more than 500 demo trades: the checks below read one page")
	}

	// The acopio: the whole fleeces are sold as EXTRAFINA lots under NTP
	// 231.300 to the workshop with a person's RUC, and paid; in Puno the
	// members' 2026 statements earn exactly what the PAID trades on lots
	// built from receipts paid, each owing its earnings less fee and
	// payments.
	lotByName := map[string]*millwav1.Lot{}
	for _, l := range lots.GetLots() {
		lotByName[l.GetName()] = l
	}
	var workshop string
	for _, pr := range procs.GetProcessors() {
		if strings.HasPrefix(pr.GetRuc(), "10") {
			workshop = pr.GetName()
		}
	}
	var paidPuno int64
	fleeceTrades := 0
	for _, tr := range trades.GetTrades() {
		l := lotByName[tr.GetLot()]
		if l == nil || !strings.HasPrefix(l.GetUbigeo(), "21") || l.GetCampaign() != 2026 {
			continue
		}
		if l.GetStandard() == "standards/pe-ntp-231-300-2014" {
			fleeceTrades++
			if l.GetDeclaredQualityGroup() != "EXTRAFINA" || tr.GetProcessor() != workshop || tr.GetState() != millwav1.TradeState_TRADE_STATE_PAID {
				t.Errorf("trade %s of whole fleeces: lot %s, buyer %s, %v; want EXTRAFINA bought by the workshop %s and PAID",
					tr.GetName(), l.GetDeclaredQualityGroup(), tr.GetProcessor(), tr.GetState(), workshop)
			}
		}
		if tr.GetState() == millwav1.TradeState_TRADE_STATE_PAID {
			paidPuno += tr.GetPaidAmount()
		}
	}
	if fleeceTrades != 4 {
		t.Errorf("%d trades of whole fleeces, want the 4 lots'", fleeceTrades)
	}
	var earned int64
	for _, a := range assocs.GetAssociations() {
		if !strings.HasPrefix(a.GetUbigeo(), "21") {
			continue
		}
		members, err := reg.ListMembers(t.Context(), &millwav1.ListMembersRequest{Parent: a.GetName(), PageSize: 500})
		if err != nil || len(members.GetMembers()) == 0 || members.GetNextPageToken() != "" {
			t.Fatalf("members of %s: %v, %v", a.GetName(), members, err)
		}
		for _, m := range members.GetMembers() {
			st, err := reg.GetMemberStatement(t.Context(), &millwav1.GetMemberStatementRequest{Name: m.GetName() + "/statements/2026"})
			if err != nil {
				t.Fatalf("GetMemberStatement %s: %v", m.GetName(), err)
			}
			s := st.GetStatement()
			if s.GetBalanceAmount() != s.GetEarnedAmount()-s.GetFeeAmount()-s.GetPaidAmount() {
				t.Errorf("statement %s: balance %d, want earned %d − fee %d − paid %d", s.GetName(), s.GetBalanceAmount(), s.GetEarnedAmount(), s.GetFeeAmount(), s.GetPaidAmount())
			}
			earned += s.GetEarnedAmount()
		}
	}
	if earned == 0 || earned != paidPuno {
		t.Errorf("Puno's 2026 statements earn %d in all; its PAID trades of 2026 paid %d", earned, paidPuno)
	}

	// The audit: the report for Puno lists the lenient classifier of the
	// Macusani association first, and the follow-up plan samples it under
	// tightened inspection, more than its lot count's normal sample.
	audit := millwav1.NewAuditServiceClient(p.dial(t))
	var macusani string
	for _, a := range assocs.GetAssociations() {
		if a.GetUbigeo() == "211101" {
			macusani = a.GetName()
		}
	}
	start, end := timestamppb.New(time.Now().AddDate(0, 0, -300)), timestamppb.New(time.Now().Add(time.Hour))
	report, err := audit.GetConsistencyReport(t.Context(), &millwav1.GetConsistencyReportRequest{
		Scope: &millwav1.GetConsistencyReportRequest_Region{Region: "21"}, StartTime: start, EndTime: end})
	if err != nil {
		t.Fatal(err)
	}
	below := report.GetConsistencyReport().GetClassifiersBelowThreshold()
	if len(below) == 0 || !strings.HasPrefix(below[0].GetClassifier(), macusani+"/classifiers/") ||
		below[0].GetStatistics().GetExactAgreementPercent() >= 50 || below[0].GetStatistics().GetDeclaredFinerCount() == 0 {
		t.Fatalf("classifiers below threshold in Puno: %v; want the lenient Macusani classifier first", below)
	}
	lenient := below[0].GetClassifier()
	// The report names the lenient classifier and its association by name.
	classifiers, err := reg.ListClassifiers(t.Context(), &millwav1.ListClassifiersRequest{Parent: macusani})
	if err != nil {
		t.Fatal(err)
	}
	var lenientName, macusaniName string
	for _, c := range classifiers.GetClassifiers() {
		if c.GetName() == lenient {
			lenientName = c.GetDisplayName()
		}
	}
	for _, a := range assocs.GetAssociations() {
		if a.GetName() == macusani {
			macusaniName = a.GetLegalName()
		}
	}
	if lenientName == "" || below[0].GetClassifierDisplayName() != lenientName || below[0].GetAssociationDisplayName() != macusaniName {
		t.Errorf("the report names the lenient classifier %q of %q; want %q of %q",
			below[0].GetClassifierDisplayName(), below[0].GetAssociationDisplayName(), lenientName, macusaniName)
	}
	// The agency stored its two plans once: the second run replayed them.
	agencies, err := audit.ListAgencies(t.Context(), &millwav1.ListAgenciesRequest{})
	if err != nil || len(agencies.GetAgencies()) != 1 {
		t.Fatalf("agencies after two demo runs: %v %v, want one", agencies, err)
	}
	stored, err := audit.ListSamplingPlans(t.Context(), &millwav1.ListSamplingPlansRequest{Parent: agencies.GetAgencies()[0].GetName()})
	if err != nil || len(stored.GetSamplingPlans()) != 2 {
		t.Fatalf("the agency's stored plans after two demo runs: %v %v, want 2", stored, err)
	}
	plan, err := audit.ProposeSamplingPlan(t.Context(), &millwav1.ProposeSamplingPlanRequest{Region: "21", StartTime: start, EndTime: end})
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range plan.GetSamplingPlan().GetClassifierSamples() {
		normal, err := consistency.SampleSizeFor(int(cs.GetLotCount()), consistency.Normal)
		if err != nil {
			t.Fatal(err)
		}
		tightened := cs.GetSeverity() == millwav1.InspectionSeverity_INSPECTION_SEVERITY_TIGHTENED
		if (cs.GetClassifier() == lenient) != tightened || (tightened && int(cs.GetSampleSize()) <= normal.Size) {
			t.Errorf("follow-up plan for %s: %v, %d lots (normal %d); want only the lenient classifier tightened, sampled more",
				cs.GetClassifier(), cs.GetSeverity(), cs.GetSampleSize(), normal.Size)
		}
	}
}
