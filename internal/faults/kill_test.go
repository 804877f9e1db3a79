package faults_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestKillUnderMarketLoad proves, on an SQLite file and on PostgreSQL, that
// a server killed with SIGKILL in the middle of market traffic loses
// nothing it acknowledged and leaves nothing half written. Associations
// create lots, processors place orders that continuous matching turns into
// trades, and both sides confirm, deliver and pay them, until the process
// is killed mid-call. Restarted on the same database, the server must
// serve every acknowledged lot, order and trade in at least the state
// acknowledged (confirmations included); answer every acknowledged call
// sent again with its request_id from the stored answer rather than act
// twice; keep the market's accounting exact in SQL (no gram sold twice:
// each lot's allocated grams and each order's filled grams are the grams
// of their live trades, within weight and quantity, and every allocation
// has exactly one trade); have every change's audit event, market event
// and request_id record committed with it; and verify its audit chain.
// Before the kill, every call must have succeeded or been Aborted (a
// conflict the client retries): any other failure is a bug in itself.
func TestKillUnderMarketLoad(t *testing.T) {
	t.Parallel()
	type database struct {
		name string
		url  func(testing.TB) string
	}
	databases := []database{{"sqlite", storetest.SQLiteURL}, {"postgres", storetest.PostgresURL}}
	concurrently(t, databases, func(db database) string { return db.name }, func(t *testing.T, db database) {
		dbURL := db.url(t)
		srv := startServer(t, serverEnv(dbURL))
		admin, probe := srv.dial(t, adminSecret), srv.dial(t, "")
		awaitHealth(t, probe, healthpb.HealthCheckResponse_SERVING, 30*time.Second, srv.logs)
		m := setUpMarket(t, admin, 3, 2)

		led, rec := newLedger(), &recorder{}
		load := &marketLoad{m: m, c: connect(t, srv, m), led: led, rec: rec, pause: 20 * time.Millisecond}
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		wait := load.run(ctx, ctx)

		// Kill once every kind of write has been acknowledged a
		// few times, while the writers are still at it.
		failed := func(c call) bool { return !codeIn(c.err, codes.OK, codes.Aborted) }
		deadline := time.Now().Add(45 * time.Second)
		for led.count("lot") < 20 || led.count("order") < 10 || led.count("confirm") < 6 || led.count("pay") < 2 {
			if bad := rec.matching(failed); len(bad) > 0 || time.Now().After(deadline) || !srv.running() {
				stop()
				wait()
				if len(bad) > 0 {
					reportCalls(t, "failed under load before any fault with other than Aborted", bad)
					t.FailNow()
				}
				t.Fatalf("the load made too little progress in 45 s: %v\ncalls: %s\nlog: %s", led, rec.summary(), srv.logs)
			}
			time.Sleep(10 * time.Millisecond)
		}
		killed := time.Now()
		srv.kill(t)
		stop()
		wait()
		t.Logf("killed after %s; calls: %s", led, rec.summary())
		reportCalls(t, "failed before the kill with other than Aborted", rec.matching(func(c call) bool {
			return c.end().Before(killed) && failed(c)
		}))

		// The same database, a new process.
		srv2 := startServer(t, serverEnv(dbURL))
		c2 := connect(t, srv2, m)
		awaitHealth(t, srv2.dial(t, ""), healthpb.HealthCheckResponse_SERVING, 30*time.Second, srv2.logs)
		led.verify(t, c2.admin)
		led.replayAll(t, c2)
		checkDatabase(t, dbURL)
		verifyAuditChain(t, c2.admin)

		// And it takes new business.
		lot, err := c2.seller(0).CreateLot(t.Context(), m.sellers[0].lotRequest("BABY", 10_000, 1500, "after-restart"))
		if err != nil {
			t.Fatalf("CreateLot after the restart: %v", err)
		}
		if lot.GetLot().GetState() == millwav1.LotState_LOT_STATE_UNSPECIFIED {
			t.Fatalf("CreateLot after the restart answered %v", lot)
		}
		t.Logf("after the restart: %s", tableCounts(t, dbURL, "lots", "purchase_orders", "trades", "payouts", "audit_events", "market_events"))
	})
}
