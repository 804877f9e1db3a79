package server_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// tamperAuditLog runs stmts (with ? placeholders) on the test server's
// database with the triggers that keep audit_events append-only out of the
// way, as someone with the database owner's rights could: on SQLite by
// dropping them, on PostgreSQL by disabling them.
func tamperAuditLog(t *testing.T, ts *testServer, stmts ...string) {
	t.Helper()
	db, rebind := ts.rawDB(t)
	disable := []string{"DROP TRIGGER IF EXISTS audit_events_refuse_update", "DROP TRIGGER IF EXISTS audit_events_refuse_delete"}
	if !strings.HasPrefix(ts.dbURL, "sqlite:") {
		disable = []string{"ALTER TABLE audit_events DISABLE TRIGGER USER"}
	}
	for _, q := range disable {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(t.Context(), rebind(q)); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestVerifyAuditLogReportsDocumentedFailures breaks the chain in each way
// the proto's AuditChainFailure names and checks that VerifyAuditLog
// reports that code at the event the proto's comment leads one to expect:
// in particular, events removed from the end are HEAD_MISMATCH, not a gap.
func TestVerifyAuditLogReportsDocumentedFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// stmts break a log whose last event is head; at names the
		// event reported broken.
		stmts   func(head string) []string
		at      func(head int64) int64
		failure millwav1.AuditChainFailure
	}{
		{"event altered", func(string) []string {
			return []string{"UPDATE audit_events SET action = 'withdraw' WHERE sequence = 2"}
		}, func(int64) int64 { return 2 }, millwav1.AuditChainFailure_AUDIT_CHAIN_FAILURE_HASH_MISMATCH},
		{"previous hash replaced", func(string) []string {
			return []string{"UPDATE audit_events SET prev_hash = hash WHERE sequence = 3"}
		}, func(int64) int64 { return 3 }, millwav1.AuditChainFailure_AUDIT_CHAIN_FAILURE_PREVIOUS_HASH_MISMATCH},
		{"event deleted", func(string) []string {
			return []string{"DELETE FROM audit_events WHERE sequence = 2"}
		}, func(int64) int64 { return 2 }, millwav1.AuditChainFailure_AUDIT_CHAIN_FAILURE_SEQUENCE_GAP},
		{"last event deleted", func(head string) []string {
			return []string{"DELETE FROM audit_events WHERE sequence = " + head}
		}, func(head int64) int64 { return head }, millwav1.AuditChainFailure_AUDIT_CHAIN_FAILURE_HEAD_MISMATCH},
		{"last two events deleted", func(head string) []string {
			return []string{"DELETE FROM audit_events WHERE sequence >= " + head + " - 1"}
		}, func(head int64) int64 { return head - 1 }, millwav1.AuditChainFailure_AUDIT_CHAIN_FAILURE_HEAD_MISMATCH},
		{"head moved without its event", func(string) []string {
			return []string{"UPDATE audit_chain_head SET last_hash = prev_hash FROM (SELECT prev_hash FROM audit_events WHERE sequence = 1) AS first WHERE id = 1"}
		}, func(head int64) int64 { return head }, millwav1.AuditChainFailure_AUDIT_CHAIN_FAILURE_HEAD_MISMATCH},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
				t.Parallel()
				ts := startServer(t, dbURL)
				for range 3 {
					ts.createAssociation(t, "210101")
				}
				client := millwav1.NewAuditServiceClient(ts.conn)
				intact, err := client.VerifyAuditLog(t.Context(), &millwav1.VerifyAuditLogRequest{})
				if err != nil || !intact.GetOk() || intact.GetHeadSequence() < 4 {
					t.Fatalf("untouched log: %v %v", intact, err)
				}
				head := intact.GetHeadSequence()
				tamperAuditLog(t, ts, tc.stmts(strconv.FormatInt(head, 10))...)

				got, err := client.VerifyAuditLog(t.Context(), &millwav1.VerifyAuditLogRequest{})
				if err != nil {
					t.Fatal(err)
				}
				want := tc.at(head)
				if got.GetOk() || got.GetFailure() != tc.failure || got.GetFirstBrokenSequence() != want ||
					got.GetHeadSequence() != want-1 || !strings.Contains(got.GetReason(), "event "+strconv.FormatInt(want, 10)) {
					t.Fatalf("VerifyAuditLog = %v; want %v at event %d, with the events before it intact", got, tc.failure, want)
				}
			})
		})
	}
}
