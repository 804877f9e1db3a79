package faults_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cluster is a private PostgreSQL cluster in a temporary directory, made
// with initdb and run with pg_ctl on a free loopback port: a server the
// test may stop and start at will without disturbing the shared one other
// tests use.
type cluster struct {
	bin  string // the directory of initdb, pg_ctl and postgres
	base string // the temporary directory: data/, sock/ and log
	port int
	// cred runs the PostgreSQL programs as an unprivileged user when the
	// tests run as root, which PostgreSQL refuses; nil otherwise.
	cred *syscall.Credential
}

// postgresUnavailable skips the test with the reason, or fails it under
// CI=true, where every fault case must run.
func postgresUnavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatalf("CI=true and a private PostgreSQL cluster cannot run: %s", msg)
	}
	t.Skipf("skipping: a private PostgreSQL cluster cannot run (CI=true makes this a failure): %s", msg)
}

// postgresBinDir finds the PostgreSQL server programs: initdb on PATH, or
// the newest /usr/lib/postgresql/*/bin (Debian and Ubuntu keep them off
// PATH).
func postgresBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("no initdb on PATH nor in /usr/lib/postgresql/*/bin")
}

// unprivileged returns the credential of the "postgres" user, or failing
// that "nobody", to run PostgreSQL as when the tests run as root.
func unprivileged() (*syscall.Credential, string, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		// Groups empty: the supplementary groups are cleared, so that
		// none of root's is kept.
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, name, nil
	}
	return nil, "", fmt.Errorf("running as root and neither a postgres nor a nobody user exists to run PostgreSQL as")
}

// freePort returns a TCP port free on loopback at the time of the call.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// newCluster makes and starts a private cluster, stopped and removed when
// the test ends. It skips the test (fails it under CI=true) when the
// programs are missing or cannot run here.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	bin, err := postgresBinDir()
	if err != nil {
		postgresUnavailable(t, "%v", err)
	}
	c := &cluster{bin: bin}
	owner := ""
	if os.Geteuid() == 0 {
		if c.cred, owner, err = unprivileged(); err != nil {
			postgresUnavailable(t, "%v", err)
		}
	}
	// Not t.TempDir: its parent is private to root, and the cluster's
	// user must reach the directory.
	if c.base, err = os.MkdirTemp("", "millwa-pg-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(c.base) })
	if err := os.Mkdir(filepath.Join(c.base, "sock"), 0o700); err != nil {
		t.Fatal(err)
	}
	if c.cred != nil {
		for _, p := range []string{c.base, filepath.Join(c.base, "sock")} {
			if err := os.Chown(p, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
				postgresUnavailable(t, "giving %s to user %s: %v", p, owner, err)
			}
		}
	}
	// --no-sync only spares initdb's own final flush of the fresh
	// cluster; the server itself runs with fsync on.
	if out, err := c.run("initdb", "-D", c.data(), "-A", "trust", "-U", "postgres", "--no-sync", "--locale=C", "-E", "UTF8"); err != nil {
		as := "the current user"
		if owner != "" {
			as = "user " + owner
		}
		postgresUnavailable(t, "initdb in %s as %s: %v\n%s", c.base, as, err, out)
	}
	c.port = freePort(t)
	c.start(t)
	t.Cleanup(func() { _, _ = c.run("pg_ctl", "stop", "-D", c.data(), "-m", "immediate", "-w", "-t", "30") })
	return c
}

func (c *cluster) data() string { return filepath.Join(c.base, "data") }

// run runs one of the PostgreSQL programs as the cluster's user.
func (c *cluster) run(program string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(c.bin, program), args...)
	cmd.Dir = c.base
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	// pg_ctl start leaves the server running with its output in the
	// log file; WaitDelay guards against a child that keeps the pipe.
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// start starts the server and waits until it accepts connections.
//
// wal_writer_delay is set to its maximum so that a commit acknowledged
// before its WAL reached the disk (synchronous_commit off) stays unwritten
// for up to ten seconds, long enough for an immediate stop to lose it and
// the test to notice; with synchronous commits, as Millwa asks for, the
// setting changes nothing.
func (c *cluster) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c wal_writer_delay=10s -c shared_buffers=32MB -c max_connections=60",
		c.port, filepath.Join(c.base, "sock"))
	if out, err := c.run("pg_ctl", "start", "-D", c.data(), "-l", filepath.Join(c.base, "log"), "-w", "-t", "60", "-o", opts); err != nil {
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, c.log())
	}
}

// stop stops the server in mode: "fast" (sessions are ended and the
// server shuts down cleanly) or "immediate" (every process quits at once,
// as in a crash: the next start recovers from the WAL).
func (c *cluster) stop(t *testing.T, mode string) {
	t.Helper()
	if out, err := c.run("pg_ctl", "stop", "-D", c.data(), "-m", mode, "-w", "-t", "60"); err != nil {
		t.Fatalf("pg_ctl stop -m %s: %v\n%s\n%s", mode, err, out, c.log())
	}
}

// url is the URL of the cluster's postgres database.
func (c *cluster) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// log returns the end of the server's log, for failure messages.
func (c *cluster) log() string {
	b, _ := os.ReadFile(filepath.Join(c.base, "log"))
	s := string(b)
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return strings.TrimSpace(s)
}
