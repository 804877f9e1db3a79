package faults_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/millwa/millwa/internal/store/storetest"
)

// The server's health loop (internal/server) pings the database every
// healthCheckInterval with a timeout of healthCheckTimeout; the bounds
// below allow one full period of each and some slack for a loaded machine.
const (
	healthCheckInterval = 5 * time.Second
	healthCheckTimeout  = 2 * time.Second
	healthSlack         = 2 * time.Second

	// outageRPCTimeout is the server's default deadline in the outage
	// test (MILLWA_RPC_TIMEOUT); the load's calls carry none of their own.
	outageRPCTimeout = 2 * time.Second
	// lateness is how far past the deadline a call may end: the time to
	// send the answer back on a busy two-core machine.
	lateness = 1500 * time.Millisecond
	// settle is how long after the health service says SERVING again
	// calls may still fail on the outage's leftovers.
	settle = 2 * time.Second
)

// TestPostgresOutageUnderLoad proves that the server rides out PostgreSQL
// going away under read and write load and coming back, without a
// restart: PostgreSQL stopped fast, stopped immediately (a crash, with
// recovery from the WAL at the next start), or cut off behind a network
// black hole that answers nothing. In each case the health service must
// say NOT_SERVING within one health period (5 s, and the 2 s its ping may
// take), and SERVING within one after the database is back; no call may
// outlive its
// deadline (calls come without one, so the server's 2 s default applies),
// calls that fail must fail as Unavailable, DeadlineExceeded or Aborted
// (codes a client retries), and the same process must take writes again
// by itself. Every write acknowledged before, during and
// after must then be there; every unanswered one, sent again with its
// request_id, must be applied exactly once, so that the database holds
// exactly one lot and one order per request.
func TestPostgresOutageUnderLoad(t *testing.T) {
	t.Parallel()
	type fault struct {
		name string
		// open returns the URL the server is to use, and the fault:
		// down takes the database away, up brings it back.
		open func(t *testing.T) (dbURL string, down, up func(*testing.T))
	}
	faults := []fault{
		{"stop fast", func(t *testing.T) (string, func(*testing.T), func(*testing.T)) {
			c := newCluster(t)
			return c.url(), func(t *testing.T) { c.stop(t, "fast") }, c.start
		}},
		{"stop immediate", func(t *testing.T) (string, func(*testing.T), func(*testing.T)) {
			c := newCluster(t)
			return c.url(), func(t *testing.T) { c.stop(t, "immediate") }, c.start
		}},
		{"network black hole", func(t *testing.T) (string, func(*testing.T), func(*testing.T)) {
			direct := storetest.PostgresURL(t)
			u, err := url.Parse(direct)
			if err != nil {
				t.Fatal(err)
			}
			p := newBlackHole(t, u.Host)
			return p.url(t, direct), func(*testing.T) { p.freeze() }, func(*testing.T) { p.thaw() }
		}},
	}
	concurrently(t, faults, func(f fault) string { return f.name }, func(t *testing.T, f fault) {
		dbURL, down, up := f.open(t)
		outage(t, dbURL, down, up)
	})
}

// outage runs the load on a server over dbURL, takes the database down
// and up again under it, and judges every call and the data.
func outage(t *testing.T, dbURL string, down, up func(*testing.T)) {
	tl := &timeline{last: time.Now()}
	defer func() { t.Logf("timeline: %s", tl) }()
	srv := startServer(t, serverEnv(dbURL, "MILLWA_RPC_TIMEOUT="+outageRPCTimeout.String()))
	admin, probe := srv.dial(t, adminSecret), srv.dial(t, "")
	awaitHealth(t, probe, healthpb.HealthCheckResponse_SERVING, 30*time.Second, srv.logs)
	m := setUpMarket(t, admin, 2, 2)
	led, rec := newLedger(), &recorder{}
	load := &marketLoad{m: m, c: connect(t, srv, m), led: led, rec: rec, pause: 100 * time.Millisecond, rest: 10 * time.Millisecond, readers: 2}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	hard, giveUp := context.WithCancel(context.Background())
	defer giveUp()
	tl.mark("start and set up")
	wait := load.run(ctx, hard)
	// With the database up, a call may still run out of its short
	// deadline on a busy machine (a slow fsync): DeadlineExceeded is a
	// correct answer then, and the writer sends the request again.
	healthy := []codes.Code{codes.OK, codes.Aborted, codes.DeadlineExceeded}
	progress := func(what string, lots, orders, confirms int, within time.Duration, failed func(call) bool) {
		t.Helper()
		deadline := time.Now().Add(within)
		for led.count("lot") < lots || led.count("order") < orders || led.count("confirm") < confirms {
			if bad := rec.matching(failed); len(bad) > 0 || time.Now().After(deadline) {
				stop()
				giveUp()
				wait()
				if len(bad) > 0 {
					reportCalls(t, "failed "+what+" with other than Aborted or DeadlineExceeded", bad)
					t.FailNow()
				}
				t.Fatalf("%s: the load made too little progress in %v: %v\ncalls: %s\nlog: %s", what, within, led, rec.summary(), srv.logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// Before: a healthy database.
	progress("before the outage", 10, 5, 2, 30*time.Second, func(c call) bool { return !codeIn(c.err, healthy...) })
	tl.mark("load before")

	// During: the database goes away, and stays away long enough for
	// calls to meet it in every state.
	downAt := time.Now()
	down(t)
	gone := time.Now()
	tl.mark("take down")
	tookNotServing := awaitHealth(t, probe, healthpb.HealthCheckResponse_NOT_SERVING, healthCheckInterval+healthCheckTimeout+healthSlack, srv.logs)
	tl.mark("NOT_SERVING")
	time.Sleep(2 * time.Second)
	tl.mark("hold")
	up(t)
	back := time.Now()
	tl.mark("bring up")
	tookServing := awaitHealth(t, probe, healthpb.HealthCheckResponse_SERVING, healthCheckInterval+healthCheckTimeout+healthSlack, srv.logs)
	servingAt := time.Now()
	tl.mark("SERVING")

	// After: the same process takes writes again by itself.
	progress("after the outage", led.count("lot")+2, led.count("order")+2, led.count("confirm")+1, 20*time.Second, func(call) bool { return false })
	stop()
	// Writes unanswered so far are sent again until answered.
	finish := time.AfterFunc(20*time.Second, giveUp)
	wait()
	finish.Stop()
	tl.mark("load after")
	if !srv.running() {
		t.Fatalf("the server process exited during the outage: %v\n%s", srv.waitErr, srv.logs)
	}
	t.Logf("NOT_SERVING %.1f s after the database went, SERVING %.1f s after it came back; %s\ncalls: %s",
		tookNotServing.Seconds(), tookServing.Seconds(), led, rec.summary())
	if len(load.unanswered) > 0 {
		t.Errorf("writes still unanswered 20 s after the database came back: %v", load.unanswered)
	}

	// Every call is judged by when it ended.
	reportCalls(t, "outlived the server's deadline of "+outageRPCTimeout.String(), rec.matching(func(c call) bool {
		return c.took > outageRPCTimeout+lateness
	}))
	reportCalls(t, "failed before the outage with other than Aborted or DeadlineExceeded", rec.matching(func(c call) bool {
		return c.end().Before(downAt) && !codeIn(c.err, healthy...)
	}))
	reportCalls(t, "failed during the outage with other than Unavailable, DeadlineExceeded or Aborted", rec.matching(func(c call) bool {
		return !c.end().Before(downAt) && c.end().Before(servingAt.Add(settle)) &&
			!codeIn(c.err, codes.OK, codes.Unavailable, codes.DeadlineExceeded, codes.Aborted)
	}))
	reportCalls(t, "failed after the recovery with other than Aborted or DeadlineExceeded", rec.matching(func(c call) bool {
		return c.start.After(servingAt.Add(settle)) && !codeIn(c.err, healthy...)
	}))
	if n := len(rec.matching(func(c call) bool { return c.end().After(gone) && c.end().Before(back) && c.err != nil })); n == 0 {
		t.Error("no call failed while the database was away: the outage was not exercised")
	}

	// Every acknowledged write is there, once.
	led.verify(t, admin)
	led.replayAll(t, load.c)
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
}

// timeline is how long each phase of a test took, for its log.
type timeline struct {
	last   time.Time
	phases []string
}

func (tl *timeline) mark(phase string) {
	tl.phases = append(tl.phases, fmt.Sprintf("%s %.1f s", phase, time.Since(tl.last).Seconds()))
	tl.last = time.Now()
}

func (tl *timeline) String() string { return strings.Join(tl.phases, ", ") }
