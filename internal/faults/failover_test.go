package faults_test

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// failoverRuns is how many times TestPatroni kills the primary under load,
// one after another on the same cluster: CI runs one; the figures of the
// unavailability window (median and worst) come from
// go test ./internal/faults -run 'TestPatroni/failover' -patroni.failovers 5 -v.
var failoverRuns = flag.Int("patroni.failovers", 1, "how many failovers under load TestPatroni runs")

// strictSync runs the cluster with synchronous_mode_strict.
var strictSync = flag.Bool("patroni.strict", false, "run TestPatroni's cluster with synchronous_mode_strict")

// maxFailover is the longest the market may be unable to take writes after
// the primary's postmaster is killed: Patroni promotes the synchronous
// standby and both Millwa replicas take writes on it again.
const maxFailover = 30 * time.Second

// TestPatroni runs Millwa on a PostgreSQL cluster under Patroni (three
// servers, synchronous replication, one etcd) built on this machine:
//
//   - stale reads follow the replica lag: with MILLWA_DATABASE_READ_URL on
//     the standbys, processors' lot lists are served by a standby while it
//     keeps up; with replay paused on every standby, a read made
//     MILLWA_MAX_REPLICA_LAG after a change sees it (the reads moved to the
//     primary), and once replay resumes the reads go back to the standbys;
//   - a switchover under market load (patronictl switchover from the
//     primary to its synchronous standby) loses nothing, and clients see
//     no error but Unavailable with a retry delay or Aborted, each retried
//     until answered;
//   - a failover under market load (the primary's postmaster killed with
//     SIGKILL): within 30 s Patroni promotes the synchronous standby and
//     both Millwa replicas take writes again without a restart, and
//     nothing acknowledged is lost.
//
// Under load, two Millwa replicas share 32 clients: associations creating
// lots, processors placing orders and taking their trades through
// confirmation, delivery and payment, the admin running clearings, and
// readers. Afterwards every acknowledged write is there exactly once (its
// request_id answers from the stored answer), no lot is allocated beyond
// its weight, the database's accounting holds (checkDatabase), market event
// numbers have no gaps, and the audit chain verifies.
func TestPatroni(t *testing.T) {
	c := newPatroniCluster(t, patroniOptions{strict: *strictSync})
	t.Run("stale reads follow the replica lag", func(t *testing.T) { staleReadsFollowLag(t, c) })
	t.Run("switchover under load", func(t *testing.T) {
		c.awaitHealthy(t, 2*time.Minute)
		haUnderLoad(t, c, "switchover")
	})
	var windows []time.Duration
	for run := range *failoverRuns {
		t.Run(fmt.Sprintf("failover under load %d", run+1), func(t *testing.T) {
			c.awaitHealthy(t, 2*time.Minute)
			windows = append(windows, haUnderLoad(t, c, "failover"))
		})
	}
	if len(windows) > 0 {
		sorted := slices.Clone(windows)
		slices.Sort(sorted)
		median := sorted[len(sorted)/2]
		if len(sorted)%2 == 0 {
			median = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
		}
		t.Logf("unavailability window over %d failovers: median %.1f s, worst %.1f s (each: %v)",
			len(windows), median.Seconds(), sorted[len(sorted)-1].Seconds(), windows)
	}
}

// haUnderLoad runs the market's load on two Millwa replicas over a new
// database of c, applies the fault ("switchover" or "failover") once the
// load is under way, and checks the answers and the data. It returns the
// unavailability window: from the fault until both replicas have
// acknowledged a write sent after it.
func haUnderLoad(t *testing.T, c *patroniCluster, fault string) time.Duration {
	tl := &timeline{last: time.Now()}
	defer func() { t.Logf("timeline: %s", tl) }()
	dbURL := c.url(c.createDatabase(t), "read-write")
	var srvs [2]*server
	for i := range srvs {
		srvs[i] = startServer(t, serverEnv(dbURL))
		awaitHealth(t, srvs[i].dial(t, ""), healthpb.HealthCheckResponse_SERVING, 30*time.Second, srvs[i].logs)
	}
	m := setUpMarket(t, srvs[0].dial(t, adminSecret), 8, 8)
	tl.mark("start and set up")

	// 32 clients: on each replica 4 associations creating lots, 4
	// processors placing orders and 4 taking trades through their life,
	// 2 readers and 2 clearings.
	led := newLedger()
	var loads [2]*marketLoad
	for i := range loads {
		loads[i] = &marketLoad{m: m, c: connect(t, srvs[i], m), led: led, rec: &recorder{},
			pause: 100 * time.Millisecond, rest: 20 * time.Millisecond, readers: 2, clearers: 2, part: i, parts: 2}
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	hard, giveUp := context.WithCancel(context.Background())
	defer giveUp()
	var waits []func()
	for _, l := range loads {
		waits = append(waits, l.run(ctx, hard))
	}
	waitAll := func() {
		for _, w := range waits {
			w()
		}
	}
	// A call fails acceptably when a client may send it again: Aborted
	// (a conflict), or Unavailable with a retry delay (no primary).
	retriable := func(c call) bool {
		switch status.Code(c.err) {
		case codes.OK, codes.Aborted:
			return true
		case codes.Unavailable:
			return hasRetryInfo(c.err)
		}
		return false
	}
	badCalls := func(keep func(call) bool) []call {
		var out []call
		for _, l := range loads {
			out = append(out, l.rec.matching(keep)...)
		}
		return out
	}
	progress := func(what string, lots, orders, confirms int, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for led.count("lot") < lots || led.count("order") < orders || led.count("confirm") < confirms || led.count("clear") < 2 {
			if bad := badCalls(func(c call) bool { return !retriable(c) }); len(bad) > 0 || time.Now().After(deadline) {
				stop()
				giveUp()
				waitAll()
				if len(bad) > 0 {
					reportCalls(t, "failed "+what+" with other than Aborted or Unavailable with a retry delay", bad)
					t.FailNow()
				}
				t.Fatalf("%s: the load made too little progress in %v: %v\nlog: %s", what, within, led, srvs[0].logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	progress("before the "+fault, 16, 8, 4, time.Minute)
	tl.mark("load before")

	old, err := c.leader()
	if err != nil {
		t.Fatal(err)
	}
	sync, err := c.syncStandby()
	if err != nil {
		t.Fatal(err)
	}
	faultAt := time.Now()
	switch fault {
	case "failover":
		c.killPostmaster(t, old)
	case "switchover":
		c.switchover(t, old, sync)
	}
	// The window runs from the fault: the SIGKILL, or the end of
	// patronictl switchover, by which the candidate has taken over.
	faultDone := time.Now()
	tl.mark(fault)
	c.await(t, "a new leader", maxFailover, func() error {
		l, err := c.leader()
		if err != nil {
			return err
		}
		if l == old {
			return fmt.Errorf("%s still leads", old.name)
		}
		if l != sync {
			return fmt.Errorf("%s leads, but %s was the synchronous standby", l.name, sync.name)
		}
		return nil
	})
	promoted := time.Since(faultAt)
	tl.mark("new leader")

	// The window ends when each replica has acknowledged a write sent
	// after the fault was done.
	writes := []string{"CreateLot", "CreatePurchaseOrder", "ConfirmTrade", "RecordDelivery", "RecordPayment", "RunClearing"}
	var window time.Duration
	for i, l := range loads {
		var back time.Time
		for {
			acked := l.rec.matching(func(cl call) bool {
				return cl.err == nil && cl.start.After(faultDone) && slices.Contains(writes, cl.method)
			})
			if len(acked) > 0 {
				back = acked[0].end()
				for _, a := range acked {
					if a.end().Before(back) {
						back = a.end()
					}
				}
				break
			}
			if time.Since(faultDone) > maxFailover {
				stop()
				giveUp()
				waitAll()
				t.Fatalf("replica %d took no write in the %v after the %s\ncalls: %s\nlog: %s%s", i, maxFailover, fault, l.rec.summary(), srvs[i].logs, c.logs())
			}
			time.Sleep(20 * time.Millisecond)
		}
		window = max(window, back.Sub(faultDone))
	}
	// The health service says SERVING again by itself: NOT_SERVING
	// lasts only while no primary answers.
	for i, s := range srvs {
		if took := awaitHealth(t, s.dial(t, ""), healthpb.HealthCheckResponse_SERVING, healthCheckInterval+healthCheckTimeout+healthSlack, s.logs); took > 0 {
			t.Logf("replica %d's health service said SERVING again %.1f s after both took writes", i, took.Seconds())
		}
	}
	tl.mark("writes again")
	t.Logf("%s: %s promoted %.1f s after the %s began; both replicas took writes again %.1f s after it was done", fault, sync.name, promoted.Seconds(), fault, window.Seconds())
	if window > maxFailover {
		t.Errorf("the market took no writes for %v after the %s, want at most %v", window, fault, maxFailover)
	}

	progress("after the "+fault, led.count("lot")+4, led.count("order")+2, led.count("confirm")+2, time.Minute)
	stop()
	finish := time.AfterFunc(30*time.Second, giveUp)
	waitAll()
	finish.Stop()
	tl.mark("load after")
	for i, s := range srvs {
		if !s.running() {
			t.Fatalf("replica %d exited: %v\n%s", i, s.waitErr, s.logs)
		}
	}
	var calls, failed int
	for i, l := range loads {
		t.Logf("replica %d calls: %s", i, l.rec.summary())
		for j, f := range l.rec.matching(func(c call) bool { return c.err != nil }) {
			if j == 5 {
				break
			}
			t.Logf("  sent again after %s", f)
		}
		calls += len(l.rec.matching(func(call) bool { return true }))
		failed += len(l.rec.matching(func(c call) bool { return c.err != nil }))
		if len(l.unanswered) > 0 {
			t.Errorf("writes still unanswered 30 s after the load stopped on replica %d: %v", i, l.unanswered)
		}
	}
	t.Logf("%s: %d calls, %d failed and were sent again; %s", fault, calls, failed, led)
	reportCalls(t, "failed with other than Aborted or Unavailable with a retry delay", badCalls(func(c call) bool { return !retriable(c) }))

	// The replicas' sequencers number every event by themselves, through
	// the failover, before anything else reads the database.
	raw, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	c.await(t, "the sequencers to number every pending event", 15*time.Second, func() error {
		var n int64
		if err := raw.QueryRowContext(t.Context(), `SELECT (SELECT COUNT(*) FROM audit_events_pending) + (SELECT COUNT(*) FROM market_events_pending)`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%d events still pending", n)
		}
		return nil
	})

	// Every acknowledged write is there, once.
	admin := srvs[1].dial(t, adminSecret)
	led.verify(t, admin)
	led.replayAll(t, loads[1].c)
	db := openDB(t, dbURL)
	for _, table := range []struct {
		name  string
		acked int
	}{{"lots", led.count("lot")}, {"purchase_orders", led.count("order")}} {
		if n := count(t, db, "SELECT COUNT(*) FROM "+table.name); n != int64(table.acked) {
			t.Errorf("%d rows in %s after %d requests each acknowledged once: want one row per request", n, table.name, table.acked)
		}
	}
	checkDatabase(t, dbURL)
	verifyAuditChain(t, admin)
	tl.mark("checks")
	return window
}

// hasRetryInfo reports whether err's status carries a google.rpc.RetryInfo.
func hasRetryInfo(err error) bool {
	for _, d := range status.Convert(err).Details() {
		if _, ok := d.(*errdetails.RetryInfo); ok {
			return true
		}
	}
	return false
}

// staleReadsFollowLag checks MILLWA_DATABASE_READ_URL's routing with a
// maximum lag of 2 s: reads go to a standby that keeps up, to the primary
// when replay stops, and back when it resumes.
func staleReadsFollowLag(t *testing.T, c *patroniCluster) {
	const maxLag = 2 * time.Second
	db := c.createDatabase(t)
	srv := startServer(t, serverEnv(c.url(db, "read-write"),
		"MILLWA_DATABASE_READ_URL="+c.url(db, "prefer-standby"), "MILLWA_MAX_REPLICA_LAG="+maxLag.String()))
	awaitHealth(t, srv.dial(t, ""), healthpb.HealthCheckResponse_SERVING, 30*time.Second, srv.logs)
	m := setUpMarket(t, srv.dial(t, adminSecret), 1, 1)
	seller := millwav1.NewRegistryServiceClient(srv.dial(t, m.sellers[0].key))
	processor := millwav1.NewRegistryServiceClient(srv.dial(t, m.buyers[0].key))
	stats := millwav1.NewMarketServiceClient(srv.dial(t, ""))
	create := func(n int) string {
		t.Helper()
		lot, err := seller.CreateLot(t.Context(), m.sellers[0].lotRequest("BABY", 10_000, 99_000, fmt.Sprintf("stale-%d", n)))
		if err != nil {
			t.Fatalf("CreateLot: %v", err)
		}
		return lot.GetLot().GetName()
	}
	// sees reports whether a processor's list of lots shows lot.
	sees := func(lot string) bool {
		t.Helper()
		resp, err := processor.ListLots(t.Context(), &millwav1.ListLotsRequest{Parent: "associations/-", PageSize: 500})
		if err != nil {
			t.Fatalf("ListLots as a processor: %v", err)
		}
		for _, l := range resp.GetLots() {
			if l.GetName() == lot {
				return true
			}
		}
		return false
	}
	// reads returns the stale-tolerant reads served so far by pool.
	reads := func(pool string) float64 {
		t.Helper()
		return metricValue(t, srv, "millwa_db_stale_reads_total", `pool="`+pool+`"`)
	}

	// Replaying: the reads go to a standby, and see a new lot soon.
	first := create(1)
	c.await(t, "a processor to see a new lot", 10*time.Second, func() error {
		if !sees(first) {
			return fmt.Errorf("%s not listed yet", first)
		}
		return nil
	})
	if _, err := stats.GetMarketStats(t.Context(), &millwav1.GetMarketStatsRequest{}); err != nil {
		t.Fatalf("GetMarketStats: %v", err)
	}
	if n := reads("replica"); n == 0 {
		t.Fatalf("no stale-tolerant read went to the standbys while they kept up (main: %v)", reads("main"))
	}

	// Replay paused on every standby: a lot made now must be seen by any
	// read that starts maxLag after its creation was acknowledged.
	// Patroni resumes a paused replay by itself, except in maintenance
	// mode, as an operator would put it in first.
	c.patronictl(t, "pause", "--wait")
	defer c.patronictl(t, "resume", "--wait")
	var standbys []*patroniMember
	l, err := c.leader()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range c.members {
		if m != l {
			standbys = append(standbys, m)
			c.exec(t, m, "postgres", "SELECT pg_wal_replay_pause()")
		}
	}
	resumed := false
	resume := func() {
		if !resumed {
			for _, m := range standbys {
				c.exec(t, m, "postgres", "SELECT pg_wal_replay_resume()")
			}
			resumed = true
		}
	}
	defer resume()
	onPrimary := reads("main")
	second := create(2)
	acked := time.Now()
	staleSeen, checked := 0, 0
	for time.Since(acked) < maxLag+3*time.Second {
		start := time.Now()
		seen := sees(second)
		if start.Sub(acked) >= maxLag {
			checked++
			if !seen {
				t.Fatalf("a read started %v after lot %s was acknowledged did not see it: older than MILLWA_MAX_REPLICA_LAG %v", start.Sub(acked), second, maxLag)
			}
		} else if !seen {
			staleSeen++
		}
		time.Sleep(100 * time.Millisecond)
	}
	if checked == 0 {
		t.Fatal("no read was made after the maximum lag had passed")
	}
	if reads("main") == onPrimary {
		t.Errorf("with replay paused no stale-tolerant read went to the primary")
	}
	t.Logf("replay paused: %d reads within %v missed the new lot, %d reads after it saw it", staleSeen, maxLag, checked)

	// Replay resumed: the reads go back to the standbys.
	resume()
	onReplica := reads("replica")
	c.await(t, "stale-tolerant reads to go back to the standbys", 15*time.Second, func() error {
		sees(second)
		if reads("replica") == onReplica {
			return fmt.Errorf("reads still on the primary")
		}
		return nil
	})
}

// metricValue returns the value of the sample of name whose labels contain
// labels, from the server's /metrics, or 0 when there is none.
func metricValue(t *testing.T, s *server, name, labels string) float64 {
	t.Helper()
	if s.metricsAddr == "" {
		t.Fatal("the server has no metrics listener")
	}
	resp, err := http.Get("http://" + s.metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") || !strings.Contains(line, labels) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		return v
	}
	return 0
}
