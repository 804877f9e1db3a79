package server_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestAuditLogListAndVerify reads the audit log as each role may, and
// checks that VerifyAuditLog, over the API, finds an event changed behind
// the server's back.
func TestAuditLogListAndVerify(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		puno := ts.createAssociation(t, "210101")
		cusco := ts.createAssociation(t, "080101")
		agency := ts.insertAgency(t, "21")
		_, agencySecret := ts.createKey(t, millwav1.Role_ROLE_AGENCY, agency, false)
		_, assocSecret := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, puno.GetName(), false)
		admin := millwav1.NewAuditServiceClient(ts.conn)

		all, err := admin.ListAuditEvents(t.Context(), &millwav1.ListAuditEventsRequest{PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		resources := map[string]bool{}
		for i, e := range all.GetAuditEvents() {
			if e.GetSequence() != int64(i+1) || e.GetName() != "auditEvents/"+strconv.Itoa(i+1) {
				t.Fatalf("event %d is %s, sequence %d", i, e.GetName(), e.GetSequence())
			}
			if i > 0 && e.GetPreviousHash() != all.GetAuditEvents()[i-1].GetHash() {
				t.Fatalf("event %d does not link to the one before", e.GetSequence())
			}
			resources[e.GetResource()] = true
		}
		if !resources[puno.GetName()] || !resources[cusco.GetName()] {
			t.Fatalf("admin's list lacks the associations' creation: %v", resources)
		}

		// An agency of Puno sees Puno's association created, not Cusco's.
		mine, err := millwav1.NewAuditServiceClient(ts.dial(t, agencySecret)).ListAuditEvents(t.Context(),
			&millwav1.ListAuditEventsRequest{Filter: `action = "create"`})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range mine.GetAuditEvents() {
			seen[e.GetResource()] = true
		}
		if !seen[puno.GetName()] || seen[cusco.GetName()] {
			t.Fatalf("agency of Puno sees %v; want Puno's association and not Cusco's", seen)
		}
		_, err = millwav1.NewAuditServiceClient(ts.dial(t, assocSecret)).ListAuditEvents(t.Context(), &millwav1.ListAuditEventsRequest{})
		wantCode(t, "association reading the audit log", err, codes.PermissionDenied)

		// Filters and REST.
		res := ts.rest(t, http.MethodGet, `/v1/audit/events?filter=actor_role%20%3D%20ROLE_ADMIN%20AND%20resource%20%3D%20%22associations%2F*%22&orderBy=sequence%20desc`, "")
		var page millwav1.ListAuditEventsResponse
		if err := protojson.Unmarshal(res.body, &page); err != nil || res.code != http.StatusOK {
			t.Fatalf("REST list: %d %s", res.code, res.body)
		}
		if n := len(page.GetAuditEvents()); n != 2 || page.GetAuditEvents()[0].GetResource() != cusco.GetName() {
			t.Fatalf("REST list of admin association events, newest first: %s", res.body)
		}

		ok, err := admin.VerifyAuditLog(t.Context(), &millwav1.VerifyAuditLogRequest{})
		if err != nil || !ok.GetOk() || ok.GetEventsChecked() != int64(len(all.GetAuditEvents())) {
			t.Fatalf("untouched log: %v %v", ok, err)
		}
		_, err = admin.VerifyAuditLog(t.Context(), &millwav1.VerifyAuditLogRequest{EndSequence: 1 << 40})
		wantCode(t, "verifying beyond the head", err, codes.InvalidArgument)

		// Change the second event's action behind the server's back.
		db, rebind := ts.rawDB(t)
		disable := []string{"DROP TRIGGER audit_events_refuse_update"}
		if !strings.HasPrefix(dbURL, "sqlite:") {
			disable = []string{"ALTER TABLE audit_events DISABLE TRIGGER USER"}
		}
		for _, q := range append(disable, rebind(`UPDATE audit_events SET action = 'withdraw' WHERE sequence = 2`)) {
			if _, err := db.ExecContext(t.Context(), q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		broken, err := millwav1.NewAuditServiceClient(ts.dial(t, agencySecret)).VerifyAuditLog(t.Context(), &millwav1.VerifyAuditLogRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if broken.GetOk() || broken.GetFirstBrokenSequence() != 2 ||
			broken.GetFailure() != millwav1.AuditChainFailure_AUDIT_CHAIN_FAILURE_HASH_MISMATCH || broken.GetReason() == "" {
			t.Fatalf("tampered log verified as %v; want event 2 reported as a hash mismatch", broken)
		}
	})
}
