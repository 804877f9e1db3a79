package faults_test

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/millwa/millwa/internal/store/storetest"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// openDB opens a server's database directly, by its MILLWA_DATABASE_URL,
// read-only in intent: the checks only SELECT.
func openDB(t *testing.T, dbURL string) *sql.DB {
	t.Helper()
	// Events acknowledged but not yet sequenced (a replica killed before
	// its sequencer ran) are chained first, as the next reader of the
	// audit log would.
	storetest.Settle(t, dbURL)
	driver, dsn := "pgx", dbURL
	if path, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		driver, dsn = "sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// count runs a query that returns one number.
func count(t *testing.T, db *sql.DB, query string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRowContext(t.Context(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// databaseRules are the rows that must not exist in a Millwa database,
// whatever happened to the processes writing it. Each query counts the
// rows breaking one rule; the SQL runs unchanged on SQLite and
// PostgreSQL. Together they say that no gram was sold twice and that no
// change was half written: a change's rows, its audit event, its market
// event and its request_id record commit together or not at all.
var databaseRules = []struct{ rule, query string }{
	// The market's accounting: no gram sold twice.
	{"lots allocated beyond their net weight", `SELECT COUNT(*) FROM lots WHERE allocated_grams > net_weight_grams`},
	{"lots whose allocated grams differ from the grams of their live trades", `SELECT COUNT(*) FROM lots l WHERE allocated_grams <>
		(SELECT COALESCE(SUM(grams), 0) FROM trades WHERE lot_id = l.id AND state NOT IN ('CANCELLED', 'DECLINED'))`},
	{"lots whose withdrawn rest is not all that is left of them", `SELECT COUNT(*) FROM lots WHERE withdrawn_grams > 0
		AND allocated_grams + withdrawn_grams <> net_weight_grams`},
	{"purchase orders filled beyond their quantity", `SELECT COUNT(*) FROM purchase_orders WHERE filled_grams > quantity_grams`},
	{"purchase orders whose filled grams differ from the grams of their live trades", `SELECT COUNT(*) FROM purchase_orders o WHERE filled_grams <>
		(SELECT COALESCE(SUM(grams), 0) FROM trades WHERE purchase_order_id = o.id AND state NOT IN ('CANCELLED', 'DECLINED'))`},
	{"declined pairs matched again", `SELECT COUNT(*) FROM trades d WHERE d.state = 'DECLINED' AND EXISTS (SELECT 1 FROM trades t
		WHERE t.lot_id = d.lot_id AND t.purchase_order_id = d.purchase_order_id AND t.id <> d.id AND t.create_time >= d.decline_time)`},
	{"allocations without exactly one trade of their grams", `SELECT COUNT(*) FROM allocations a WHERE
		(SELECT COUNT(*) FROM trades WHERE allocation_id = a.id AND grams = a.grams) <> 1`},
	{"trades without their allocation", `SELECT COUNT(*) FROM trades t WHERE NOT EXISTS
		(SELECT 1 FROM allocations a WHERE a.id = t.allocation_id AND a.lot_id = t.lot_id AND a.purchase_order_id = t.purchase_order_id)`},
	// States agree with the grams.
	{"available lots holding grams", `SELECT COUNT(*) FROM lots WHERE state = 'AVAILABLE' AND allocated_grams <> 0`},
	{"allocated lots holding nothing", `SELECT COUNT(*) FROM lots WHERE state = 'ALLOCATED' AND allocated_grams = 0`},
	{"sold lots with unpaid trades", `SELECT COUNT(*) FROM lots l WHERE state = 'SOLD' AND EXISTS
		(SELECT 1 FROM trades WHERE lot_id = l.id AND state IN ('MATCHED', 'CONFIRMED', 'DELIVERED'))`},
	{"open purchase orders holding grams", `SELECT COUNT(*) FROM purchase_orders WHERE state = 'OPEN' AND filled_grams <> 0`},
	{"partially filled purchase orders empty or full", `SELECT COUNT(*) FROM purchase_orders
		WHERE state = 'PARTIALLY_FILLED' AND (filled_grams = 0 OR filled_grams = quantity_grams)`},
	{"filled purchase orders short of their quantity", `SELECT COUNT(*) FROM purchase_orders WHERE state = 'FILLED' AND filled_grams <> quantity_grams`},
	{"lots whose contributions do not add up to their weight", `SELECT COUNT(*) FROM lots l WHERE net_weight_grams <>
		(SELECT COALESCE(SUM(grams), 0) FROM lot_contributions WHERE lot_id = l.id)`},
	// A trade's life is written whole.
	{"confirmed, delivered or paid trades missing a confirmation", `SELECT COUNT(*) FROM trades WHERE state IN ('CONFIRMED', 'DELIVERED', 'PAID')
		AND (association_confirm_time IS NULL OR processor_confirm_time IS NULL OR confirm_time IS NULL)`},
	{"delivered or paid trades without their weighing", `SELECT COUNT(*) FROM trades WHERE state IN ('DELIVERED', 'PAID')
		AND (delivered_grams IS NULL OR deliver_time IS NULL)`},
	{"paid trades whose payouts do not add up to the payment", `SELECT COUNT(*) FROM trades t WHERE state = 'PAID' AND (paid_amount_minor IS NULL
		OR paid_amount_minor <> (SELECT COALESCE(SUM(amount_minor), 0) FROM payouts WHERE trade_id = t.id)
		OR delivered_grams <> (SELECT COALESCE(SUM(grams), 0) FROM payouts WHERE trade_id = t.id))`},
	{"payouts of trades neither delivered nor paid", `SELECT COUNT(*) FROM payouts p JOIN trades t ON t.id = p.trade_id WHERE t.state NOT IN ('DELIVERED', 'PAID')`},
	{"payments whose payouts do not add up to them", `SELECT COUNT(*) FROM trade_payments m WHERE m.amount_minor <> (SELECT COALESCE(SUM(amount_minor), 0) FROM payouts WHERE payment_id = m.id)
		OR m.grams <> (SELECT COALESCE(SUM(grams), 0) FROM payouts WHERE payment_id = m.id)`},
	// Every change carries its audit event, in the same transaction.
	{"lots without exactly one create audit event", `SELECT COUNT(*) FROM lots l WHERE (SELECT COUNT(*) FROM audit_events
		WHERE resource = 'associations/' || l.association_id || '/lots/' || l.id AND action = 'create') <> 1`},
	{"purchase orders without exactly one create audit event", `SELECT COUNT(*) FROM purchase_orders o WHERE (SELECT COUNT(*) FROM audit_events
		WHERE resource = 'processors/' || o.processor_id || '/purchaseOrders/' || o.id AND action = 'create') <> 1`},
	{"trades without exactly one match audit event", `SELECT COUNT(*) FROM trades t WHERE (SELECT COUNT(*) FROM audit_events
		WHERE resource = 'trades/' || t.id AND action = 'match') <> 1`},
	{"trades whose confirmations differ from their confirm audit events", `SELECT COUNT(*) FROM trades t WHERE
		(CASE WHEN association_confirm_time IS NULL THEN 0 ELSE 1 END) + (CASE WHEN processor_confirm_time IS NULL THEN 0 ELSE 1 END)
		<> (SELECT COUNT(*) FROM audit_events WHERE resource = 'trades/' || t.id AND action = 'confirm')`},
	{"trades whose delivery differs from their deliver audit events", `SELECT COUNT(*) FROM trades t WHERE
		(CASE WHEN delivered_grams IS NULL THEN 0 ELSE 1 END)
		<> (SELECT COUNT(*) FROM audit_events WHERE resource = 'trades/' || t.id AND action = 'deliver')`},
	{"declined trades without exactly one decline audit event and their reason", `SELECT COUNT(*) FROM trades t WHERE state = 'DECLINED'
		AND (decline_reason = '' OR (SELECT COUNT(*) FROM audit_events WHERE resource = 'trades/' || t.id AND action = 'decline') <> 1)`},
	{"trades whose payment differs from their pay audit events", `SELECT COUNT(*) FROM trades t WHERE
		(CASE WHEN state = 'PAID' THEN 1 ELSE 0 END)
		<> (SELECT COUNT(*) FROM audit_events WHERE resource = 'trades/' || t.id AND action = 'pay')`},
	{"audit chain heads not at the last event", `SELECT COUNT(*) FROM audit_chain_head h WHERE
		h.last_sequence <> (SELECT COALESCE(MAX(sequence), 0) FROM audit_events) OR h.last_sequence <> (SELECT COUNT(*) FROM audit_events)`},
	// Every change to the market carries its market events, numbered
	// without gaps.
	{"trades without exactly one TRADE_MATCHED market event", `SELECT COUNT(*) FROM trades t WHERE (SELECT COUNT(*) FROM market_events
		WHERE resource = 'trades/' || t.id AND type = 'TRADE_MATCHED') <> 1`},
	{"trades whose confirmations differ from their TRADE_CONFIRMED market events", `SELECT COUNT(*) FROM trades t WHERE
		(CASE WHEN association_confirm_time IS NULL THEN 0 ELSE 1 END) + (CASE WHEN processor_confirm_time IS NULL THEN 0 ELSE 1 END)
		<> (SELECT COUNT(*) FROM market_events WHERE resource = 'trades/' || t.id AND type = 'TRADE_CONFIRMED')`},
	// An order is filled once, and again after each declined trade that
	// reopened it.
	{"purchase orders whose ORDER_FILLED market events differ from their fills", `SELECT COUNT(*) FROM purchase_orders o WHERE
		(SELECT COUNT(*) FROM market_events WHERE resource = 'processors/' || o.processor_id || '/purchaseOrders/' || o.id
			AND type = 'ORDER_FILLED') NOT BETWEEN (CASE WHEN o.state = 'FILLED' THEN 1 ELSE 0 END)
		AND (CASE WHEN o.state = 'FILLED' THEN 1 ELSE 0 END) + (SELECT COUNT(*) FROM trades WHERE purchase_order_id = o.id AND state = 'DECLINED')`},
	{"declined trades without exactly one TRADE_DECLINED market event", `SELECT COUNT(*) FROM trades t WHERE
		(CASE WHEN state = 'DECLINED' THEN 1 ELSE 0 END) <> (SELECT COUNT(*) FROM market_events
		WHERE resource = 'trades/' || t.id AND type = 'TRADE_DECLINED')`},
	{"market event counters not at the last event", `SELECT COUNT(*) FROM market_lock m WHERE
		m.event_seq <> (SELECT COALESCE(MAX(seq), 0) FROM market_events) OR m.event_seq - m.purged_through <> (SELECT COUNT(*) FROM market_events)`},
	// The sequencer leaves nothing behind once it has run.
	{"audit events left unsequenced", `SELECT COUNT(*) FROM audit_events_pending`},
	{"market events left unnumbered", `SELECT COUNT(*) FROM market_events_pending`},
	// A request_id's record commits with the change it answers.
	{"request_id records left in progress", `SELECT COUNT(*) FROM idempotency_records WHERE state <> 'done' OR response IS NULL`},
}

// checkDatabase checks every rule of databaseRules on the database at
// dbURL, reporting each rule broken with how many rows break it.
func checkDatabase(t *testing.T, dbURL string) {
	t.Helper()
	db := openDB(t, dbURL)
	for _, r := range databaseRules {
		if n := count(t, db, r.query); n != 0 {
			t.Errorf("%d %s, want none", n, r.rule)
		}
	}
	if n := count(t, db, `SELECT COUNT(*) FROM trades`); n == 0 {
		t.Error("no trade in the database: the load exercised no matching")
	}
}

// tableCounts returns the number of rows of each table, for messages.
func tableCounts(t *testing.T, dbURL string, tables ...string) string {
	t.Helper()
	db := openDB(t, dbURL)
	var parts []string
	for _, table := range tables {
		parts = append(parts, fmt.Sprintf("%s %d", table, count(t, db, "SELECT COUNT(*) FROM "+table)))
	}
	return strings.Join(parts, ", ")
}
