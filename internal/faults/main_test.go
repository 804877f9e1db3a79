package faults_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/store/storetest"
)

// binary is the millwa server, built once for the package's tests. It is
// built without the race detector even under go test -race: the tests
// exercise the process from outside, and an uninstrumented server keeps
// the suite within its time budget on a small machine.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "millwa-faults-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "millwa")
	build := exec.Command("go", "build", "-o", binary, "github.com/millwa/millwa/cmd/millwa")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building millwa:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// concurrently runs every case as a subtest, all at the same time, and
// returns when all have ended. The cases spend most of their time waiting
// (for a health period to pass, for a database to stop or start, for a
// killed process to be gone), so they run side by side whatever -parallel
// says; it defaults to the number of CPUs, two here, and would queue them.
func concurrently[C any](t *testing.T, cases []C, name func(C) string, run func(*testing.T, C)) {
	t.Helper()
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Go(func() { t.Run(name(c), func(t *testing.T) { run(t, c) }) })
	}
	wg.Wait()
}

// adminSecret is the first admin key of every server under test (any
// secret of at least 32 characters is accepted from MILLWA_ADMIN_KEY).
const adminSecret = "mlw_faults-admin-key-0123456789abcdefghijk"

// serverEnv is the environment of a server under test: the caller's without
// any MILLWA_* variable, listening on free loopback ports, with the test's
// admin key and a rate limit high enough that the load is never throttled.
func serverEnv(dbURL string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MILLWA_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"MILLWA_GRPC_ADDR=127.0.0.1:0", "MILLWA_HTTP_ADDR=127.0.0.1:0", "MILLWA_METRICS_ADDR=127.0.0.1:0",
		"MILLWA_DATABASE_URL="+storetest.SmallPool(dbURL, 8), "MILLWA_ADMIN_KEY="+adminSecret,
		"MILLWA_RATE_LIMIT=100000", "MILLWA_RATE_BURST=100000",
	)
	return append(env, extra...)
}

// server is a running millwa process.
type server struct {
	cmd      *exec.Cmd
	grpcAddr string
	// metricsAddr is where /metrics is served, when the environment
	// asks for a metrics listener.
	metricsAddr string
	// exited is closed when the process has ended; waitErr is then set.
	exited  chan struct{}
	waitErr error
	logs    *lineLog
}

// lineLog keeps the last lines a process wrote, for failure messages,
// leaving out the INFO lines (one per call) that would drown the warnings.
type lineLog struct {
	mu    sync.Mutex
	lines []string
}

const keptLogLines = 20

func (l *lineLog) add(line string) {
	if strings.Contains(line, `"level":"INFO"`) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	if len(l.lines) > 2*keptLogLines {
		l.lines = append([]string(nil), l.lines[len(l.lines)-keptLogLines:]...)
	}
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := l.lines
	if len(lines) > keptLogLines {
		lines = lines[len(lines)-keptLogLines:]
	}
	return strings.Join(lines, "\n")
}

// startServer runs millwa with env in its own temporary working directory
// and waits for the log line that says where it serves. The process is
// killed when the test ends if it still runs.
func startServer(t *testing.T, env []string) *server {
	t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Dir = t.TempDir()
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, exited: make(chan struct{}), logs: &lineLog{}}
	type addrs struct{ grpc, metrics string }
	addr := make(chan addrs, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.logs.add(line)
			var rec struct {
				Msg         string `json:"msg"`
				GRPCAddr    string `json:"grpc_addr"`
				MetricsAddr string `json:"metrics_addr"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "serving" {
				select {
				case addr <- addrs{rec.GRPCAddr, rec.MetricsAddr}:
				default:
				}
			}
		}
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = cmd.Process.Kill()
			<-s.exited
		}
	})
	select {
	case a := <-addr:
		s.grpcAddr, s.metricsAddr = a.grpc, a.metrics
	case <-s.exited:
		t.Fatalf("millwa exited before serving: %v\n%s", s.waitErr, s.logs)
	case <-time.After(60 * time.Second):
		t.Fatalf("millwa did not announce its address within a minute:\n%s", s.logs)
	}
	return s
}

// kill ends the process with SIGKILL, as a crash or an OOM kill would, and
// waits for it to be gone.
func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("millwa still runs 30 s after SIGKILL")
	}
}

// running reports whether the process is still alive.
func (s *server) running() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// dial connects to the server's gRPC port with the given API key, or with
// none for "".
func (s *server) dial(t *testing.T, secret string) *grpc.ClientConn {
	t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if secret != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(auth.Bearer{Secret: secret, Insecure: true}))
	}
	conn, err := grpc.NewClient(s.grpcAddr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// healthStatus asks the server's health service for the overall status,
// answering UNKNOWN when the call itself fails. conn should carry no key,
// as a load balancer's probe carries none.
func healthStatus(conn *grpc.ClientConn) healthpb.HealthCheckResponse_ServingStatus {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return healthpb.HealthCheckResponse_UNKNOWN
	}
	return resp.GetStatus()
}

// awaitHealth polls the health service until it reports want and returns
// how long that took, or fails the test after within.
func awaitHealth(t *testing.T, conn *grpc.ClientConn, want healthpb.HealthCheckResponse_ServingStatus, within time.Duration, logs fmt.Stringer) time.Duration {
	t.Helper()
	start := time.Now()
	last := healthpb.HealthCheckResponse_UNKNOWN
	for {
		if last = healthStatus(conn); last == want {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("health is %v %.1f s on, want %v within %v\n%s", last, time.Since(start).Seconds(), want, within, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
