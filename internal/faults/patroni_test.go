package faults_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// patroniCluster is a PostgreSQL cluster under Patroni on this machine,
// built for one test from Debian's packages (patroni, etcd-server,
// python3-etcd): one etcd, and three PostgreSQL servers, each under its own
// Patroni, on their own loopback ports and data directories in a temporary
// directory, with synchronous replication (synchronous_mode: true, and
// synchronous_mode_strict when asked) and short timings, so that a
// failover takes seconds. It is torn down when the test ends.
//
// The timings are Patroni's: a leader key of ttl 10 s renewed every
// loop_wait 1 s, DCS and PostgreSQL calls retried for retry_timeout 4 s
// (loop_wait + 2 retry_timeout ≤ ttl, as Patroni wants), and
// primary_start_timeout 0: a primary whose PostgreSQL crashed is failed
// over to the synchronous standby at once rather than restarted in place.
type patroniCluster struct {
	base string
	bin  string
	cred *syscall.Credential

	etcdClient, etcdPeer int
	etcd                 *process
	members              []*patroniMember
}

// patroniMember is one PostgreSQL server and its Patroni.
type patroniMember struct {
	name            string
	pgPort, apiPort int
	config          string // the Patroni YAML file
	data            string // PostgreSQL's data directory
	patroni         *process
}

// process is a program of the cluster running in its own process group,
// its output in a log file.
type process struct {
	cmd    *exec.Cmd
	log    string
	exited chan struct{}
}

// patroniOptions are the cluster's settings a test may choose.
type patroniOptions struct {
	// strict sets synchronous_mode_strict: with no synchronous standby
	// left, the primary refuses to commit rather than go on alone.
	strict bool
}

// patroniUnavailable skips the test with the reason, or fails it under
// CI=true, where .ci/run installs the packages and every case must run.
func patroniUnavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatalf("CI=true and a Patroni cluster cannot run: %s", msg)
	}
	t.Skipf("skipping: a Patroni cluster cannot run here (install Debian's patroni, etcd-server and python3-etcd, as .ci/run does; CI=true makes this a failure): %s", msg)
}

// newPatroniCluster builds and starts a cluster and waits until it has a
// leader and two streaming replicas, one of them synchronous.
func newPatroniCluster(t *testing.T, opts patroniOptions) *patroniCluster {
	t.Helper()
	for _, program := range []string{"patroni", "patronictl", "etcd"} {
		if _, err := exec.LookPath(program); err != nil {
			patroniUnavailable(t, "%s is not installed", program)
		}
	}
	bin, err := postgresBinDir()
	if err != nil {
		patroniUnavailable(t, "%v", err)
	}
	// Patroni runs every server program from one directory: the real
	// one, where initdb on PATH may be a lone link to it.
	if initdb, err := filepath.EvalSymlinks(filepath.Join(bin, "initdb")); err == nil {
		bin = filepath.Dir(initdb)
	}
	if _, err := os.Stat(filepath.Join(bin, "pg_controldata")); err != nil {
		patroniUnavailable(t, "no pg_controldata beside initdb in %s", bin)
	}
	c := &patroniCluster{bin: bin}
	if os.Geteuid() == 0 {
		// Patroni, like PostgreSQL, refuses to run as root.
		if c.cred, _, err = unprivileged(); err != nil {
			patroniUnavailable(t, "%v", err)
		}
	}
	if c.base, err = os.MkdirTemp("", "millwa-patroni-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(c.base) })
	if err := c.own(c.base); err != nil {
		patroniUnavailable(t, "%v", err)
	}
	c.etcdClient, c.etcdPeer = freePort(t), freePort(t)
	for i := range 3 {
		m := &patroniMember{name: fmt.Sprintf("pg%d", i), pgPort: freePort(t), apiPort: freePort(t)}
		m.config = filepath.Join(c.base, m.name+".yml")
		m.data = filepath.Join(c.base, m.name, "data")
		c.members = append(c.members, m)
	}
	t.Cleanup(func() { c.teardown() })

	c.etcd = c.start(t, "etcd", "etcd", "--name", "etcd0", "--data-dir", filepath.Join(c.base, "etcd"),
		"--listen-client-urls", c.etcdURL(), "--advertise-client-urls", c.etcdURL(),
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", c.etcdPeer),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", c.etcdPeer),
		"--initial-cluster", fmt.Sprintf("etcd0=http://127.0.0.1:%d", c.etcdPeer))
	c.await(t, "etcd to answer", 30*time.Second, func() error {
		resp, err := http.Get(c.etcdURL() + "/health")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("etcd health %s", resp.Status)
		}
		return nil
	})
	for i, m := range c.members {
		if err := os.Mkdir(filepath.Join(c.base, m.name), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := c.own(filepath.Join(c.base, m.name)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(m.config, []byte(c.patroniConfig(m, opts)), 0o644); err != nil {
			t.Fatal(err)
		}
		m.patroni = c.start(t, m.name, "patroni", m.config)
		if i == 0 {
			// The first member bootstraps the cluster alone; the others
			// then copy it, rather than race for the initialisation.
			c.await(t, "the first member to lead", 90*time.Second, func() error {
				if _, err := c.leader(); err != nil {
					return err
				}
				return nil
			})
		}
	}
	c.awaitHealthy(t, 120*time.Second)
	return c
}

// own gives path to the cluster's user when the tests run as root.
func (c *patroniCluster) own(path string) error {
	if c.cred == nil {
		return nil
	}
	if err := os.Chown(path, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
		return fmt.Errorf("giving %s to the postgres user: %w", path, err)
	}
	return nil
}

func (c *patroniCluster) etcdURL() string { return fmt.Sprintf("http://127.0.0.1:%d", c.etcdClient) }

// patroniConfig is member m's Patroni configuration: what the README's
// operator guide describes, with short timings and loopback addresses.
func (c *patroniCluster) patroniConfig(m *patroniMember, opts patroniOptions) string {
	return fmt.Sprintf(`scope: millwa-test
name: %[1]s
log:
  level: INFO
restapi:
  listen: 127.0.0.1:%[2]d
  connect_address: 127.0.0.1:%[2]d
etcd3:
  hosts: 127.0.0.1:%[3]d
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    primary_start_timeout: 0
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    synchronous_mode_strict: %[4]t
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        max_connections: 100
        shared_buffers: 32MB
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 256MB
        hot_standby_feedback: "on"
  initdb:
  - encoding: UTF8
  - locale: C
postgresql:
  listen: 127.0.0.1:%[5]d
  connect_address: 127.0.0.1:%[5]d
  data_dir: %[6]s
  bin_dir: %[7]s
  pgpass: %[8]s
  remove_data_directory_on_rewind_failure: true
  remove_data_directory_on_diverged_timelines: true
  authentication:
    superuser:
      username: postgres
      password: millwa-test
    replication:
      username: replicator
      password: millwa-test
    rewind:
      username: postgres
      password: millwa-test
  parameters:
    unix_socket_directories: %[9]s
  pg_hba:
  - local all all trust
  - host all all 127.0.0.1/32 trust
  - host replication replicator 127.0.0.1/32 trust
watchdog:
  mode: "off"
`, m.name, m.apiPort, c.etcdClient, opts.strict, m.pgPort, m.data, c.bin,
		filepath.Join(c.base, m.name, "pgpass"), filepath.Join(c.base, m.name))
}

// start runs program as the cluster's user in a process group of its own,
// its output going to NAME.log.
func (c *patroniCluster) start(t *testing.T, name, program string, args ...string) *process {
	t.Helper()
	p := &process{log: filepath.Join(c.base, name+".log"), exited: make(chan struct{})}
	out, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(program, args...)
	p.cmd.Dir = c.base
	p.cmd.Env = append(os.Environ(), "HOME="+c.base, "LC_ALL=C.UTF-8", "LANG=C.UTF-8", "PATH=/usr/bin:/bin:"+c.bin)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: c.cred}
	if err := p.cmd.Start(); err != nil {
		out.Close()
		patroniUnavailable(t, "starting %s: %v", program, err)
	}
	go func() {
		_ = p.cmd.Wait()
		out.Close()
		close(p.exited)
	}()
	return p
}

// tail returns the end of the process's log, for failure messages.
func (p *process) tail() string {
	b, _ := os.ReadFile(p.log)
	s := string(b)
	if len(s) > 3000 {
		s = "…" + s[len(s)-3000:]
	}
	return strings.TrimSpace(s)
}

// logs returns the end of every member's log, for failure messages.
func (c *patroniCluster) logs() string {
	var b strings.Builder
	for _, m := range c.members {
		if m.patroni != nil {
			fmt.Fprintf(&b, "\n--- %s:\n%s", m.name, m.patroni.tail())
		}
	}
	return b.String()
}

// teardown stops every process: each Patroni with SIGKILL (so that it
// cannot act on its PostgreSQL any more), then each PostgreSQL with an
// immediate stop, then etcd.
func (c *patroniCluster) teardown() {
	for _, m := range c.members {
		if m.patroni != nil {
			_ = syscall.Kill(-m.patroni.cmd.Process.Pid, syscall.SIGKILL)
			<-m.patroni.exited
		}
	}
	for _, m := range c.members {
		if _, err := os.Stat(filepath.Join(m.data, "postmaster.pid")); err == nil {
			cmd := exec.Command(filepath.Join(c.bin, "pg_ctl"), "stop", "-D", m.data, "-m", "immediate", "-w", "-t", "30")
			if c.cred != nil {
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
			}
			_ = cmd.Run()
		}
	}
	if c.etcd != nil {
		_ = syscall.Kill(-c.etcd.cmd.Process.Pid, syscall.SIGKILL)
		<-c.etcd.exited
	}
}

// await polls check every 200 ms until it returns nil, failing the test
// after within with check's last error and the members' logs.
func (c *patroniCluster) await(t *testing.T, what string, within time.Duration, check func() error) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := check()
		if err == nil {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("waited %v for %s: %v%s", within, what, err, c.logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// clusterMember is one member as Patroni's REST API /cluster shows it.
type clusterMember struct {
	Name     string `json:"name"`
	Role     string `json:"role"`  // leader, sync_standby, replica
	State    string `json:"state"` // running, streaming, stopped, …
	Port     int    `json:"port"`
	Timeline int    `json:"timeline"`
	Lag      any    `json:"lag"` // bytes, or "unknown"
}

// state asks the members' REST APIs, in turn, for the cluster's state.
func (c *patroniCluster) state() ([]clusterMember, error) {
	client := &http.Client{Timeout: time.Second}
	var last error
	for _, m := range c.members {
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/cluster", m.apiPort))
		if err != nil {
			last = err
			continue
		}
		var body struct {
			Members []clusterMember `json:"members"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			last = err
			continue
		}
		return body.Members, nil
	}
	return nil, fmt.Errorf("no Patroni REST API answers: %v", last)
}

// withRole returns the member that has role, or an error.
func (c *patroniCluster) withRole(role string) (*patroniMember, error) {
	members, err := c.state()
	if err != nil {
		return nil, err
	}
	for _, cm := range members {
		if cm.Role == role && cm.State == "running" || cm.Role == role && cm.State == "streaming" {
			return c.member(cm.Name), nil
		}
	}
	return nil, fmt.Errorf("no running %s in %+v", role, members)
}

func (c *patroniCluster) leader() (*patroniMember, error) { return c.withRole("leader") }

func (c *patroniCluster) syncStandby() (*patroniMember, error) { return c.withRole("sync_standby") }

func (c *patroniCluster) member(name string) *patroniMember {
	for _, m := range c.members {
		if m.name == name {
			return m
		}
	}
	return nil
}

// awaitHealthy waits until the cluster has a leader and two replicas
// streaming from it on its timeline, one of them synchronous, and the
// leader's PostgreSQL takes writes.
func (c *patroniCluster) awaitHealthy(t *testing.T, within time.Duration) {
	t.Helper()
	c.await(t, "a leader with two streaming replicas, one synchronous", within, func() error {
		members, err := c.state()
		if err != nil {
			return err
		}
		leaders, sync, streaming, timeline := 0, 0, 0, 0
		for _, m := range members {
			if m.Role == "leader" && m.State == "running" {
				leaders++
				timeline = m.Timeline
			}
		}
		for _, m := range members {
			if m.Role != "leader" && (m.State == "streaming" || m.State == "running") && m.Timeline == timeline {
				streaming++
				if m.Role == "sync_standby" {
					sync++
				}
			}
		}
		if len(members) != 3 || leaders != 1 || sync != 1 || streaming != 2 {
			return fmt.Errorf("cluster is %+v", members)
		}
		l, _ := c.leader()
		db, err := sql.Open("pgx", c.memberURL(l, "postgres"))
		if err != nil {
			return err
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS patroni_probe (n int); DROP TABLE patroni_probe")
		return err
	})
}

// memberURL is the URL of database db on member m alone.
func (c *patroniCluster) memberURL(m *patroniMember, db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", m.pgPort, db)
}

// url is the multi-host URL of database db over every member, with
// target_session_attrs attrs: "read-write" reaches the primary, whichever
// it is; "prefer-standby" a standby while one answers.
func (c *patroniCluster) url(db, attrs string) string {
	hosts := make([]string, len(c.members))
	for i, m := range c.members {
		hosts[i] = fmt.Sprintf("127.0.0.1:%d", m.pgPort)
	}
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable&target_session_attrs=%s", strings.Join(hosts, ","), db, attrs)
}

// databases numbers the databases made on clusters.
var databases sync.Map

// createDatabase makes a new, empty database on the primary and returns
// its name once every member has it: the standbys receive it by
// replication, and a member that becomes the leader before it replayed
// the creation would answer that the database does not exist.
func (c *patroniCluster) createDatabase(t *testing.T) string {
	t.Helper()
	n, _ := databases.LoadOrStore(c, new(int))
	*n.(*int)++
	name := fmt.Sprintf("millwa_%d", *n.(*int))
	db, err := sql.Open("pgx", c.url("postgres", "read-write"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("creating database %s: %v", name, err)
	}
	c.await(t, "database "+name+" on every member", time.Minute, func() error {
		for _, m := range c.members {
			if err := pingMember(t.Context(), c.memberURL(m, name)); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
		}
		return nil
	})
	return name
}

// pingMember connects to url and pings the database there.
func pingMember(ctx context.Context, url string) error {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// killPostmaster ends member m's postmaster with SIGKILL, as a crash of
// the server would (its backends exit when they notice), and returns when
// the process is gone.
func (c *patroniCluster) killPostmaster(t *testing.T, m *patroniMember) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(m.data, "postmaster.pid"))
	if err != nil {
		t.Fatalf("reading %s's postmaster.pid: %v", m.name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		t.Fatalf("%s's postmaster.pid: %v", m.name, err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL to %s's postmaster %d: %v", m.name, pid, err)
	}
	for syscall.Kill(pid, 0) == nil {
		time.Sleep(10 * time.Millisecond)
	}
}

// switchover asks Patroni, through patronictl, to hand the leadership from
// leader to candidate, and returns when patronictl has.
func (c *patroniCluster) switchover(t *testing.T, leader, candidate *patroniMember) {
	t.Helper()
	c.patronictl(t, "switchover", "--leader", leader.name, "--candidate", candidate.name, "--force")
}

// patronictl runs patronictl with args on the cluster (through the first
// member's configuration) and fails the test when it fails.
func (c *patroniCluster) patronictl(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("patronictl", append([]string{"-c", c.members[0].config}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+c.base, "LC_ALL=C.UTF-8", "LANG=C.UTF-8")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("patronictl %s: %v\n%s%s", strings.Join(args, " "), err, out, c.logs())
	}
}

// exec runs statements on member m alone, as the superuser.
func (c *patroniCluster) exec(t *testing.T, m *patroniMember, db, statement string) {
	t.Helper()
	conn, err := sql.Open("pgx", c.memberURL(m, db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), statement); err != nil {
		t.Fatalf("%s on %s: %v", statement, m.name, err)
	}
}
