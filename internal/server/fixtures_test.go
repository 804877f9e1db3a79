package server_test

import (
	"database/sql"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// fixtureN numbers fixtures so that their unique fields (RUCs) differ.
var fixtureN atomic.Int64

// createAssociation registers an association in the given district as the
// admin, over gRPC.
func (ts *testServer) createAssociation(t *testing.T, ubigeo string) *millwav1.Association {
	t.Helper()
	resp, err := millwav1.NewRegistryServiceClient(ts.conn).CreateAssociation(t.Context(),
		&millwav1.CreateAssociationRequest{Association: newAssociation(int(fixtureN.Add(1)), ubigeo)})
	if err != nil {
		t.Fatalf("CreateAssociation: %v", err)
	}
	return resp.GetAssociation()
}

// rawDB opens the test server's database directly, for rows no RPC can
// write yet.
func (ts *testServer) rawDB(t *testing.T) (*sql.DB, func(string) string) {
	t.Helper()
	return storetest.RawDB(t, ts.dbURL)
}

// dbNow is the current time as the store writes it.
func dbNow() string {
	return time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
}

// insertProcessor writes a processor row and returns its resource name.
func (ts *testServer) insertProcessor(t *testing.T, ubigeo string) string {
	t.Helper()
	db, rebind := ts.rawDB(t)
	id := uuid.Must(uuid.NewV7()).String()
	now := dbNow()
	if _, err := db.ExecContext(t.Context(), rebind(`INSERT INTO processors (id, legal_name, ruc, ubigeo, create_time, update_time) VALUES (?, ?, ?, ?, ?, ?)`),
		id, "Procesadora "+id[:8], validRUC(int(fixtureN.Add(1))), ubigeo, now, now); err != nil {
		t.Fatalf("inserting a processor: %v", err)
	}
	return "processors/" + id
}

// insertAgency writes an agency row with its regions (ubigeo prefixes of 2
// or 4 digits) and returns its resource name.
func (ts *testServer) insertAgency(t *testing.T, regions ...string) string {
	t.Helper()
	db, rebind := ts.rawDB(t)
	id := uuid.Must(uuid.NewV7()).String()
	now := dbNow()
	if _, err := db.ExecContext(t.Context(), rebind(`INSERT INTO agencies (id, legal_name, create_time, update_time) VALUES (?, ?, ?, ?)`),
		id, "Agencia "+id[:8], now, now); err != nil {
		t.Fatalf("inserting an agency: %v", err)
	}
	for _, r := range regions {
		if _, err := db.ExecContext(t.Context(), rebind(`INSERT INTO agency_regions (agency_id, ubigeo_prefix) VALUES (?, ?)`), id, r); err != nil {
			t.Fatalf("inserting an agency region: %v", err)
		}
	}
	return "agencies/" + id
}

// createKey creates an API key as the admin and returns its resource name
// and secret.
func (ts *testServer) createKey(t *testing.T, role millwav1.Role, org string, orgAdmin bool) (name, secret string) {
	t.Helper()
	resp, err := millwav1.NewIdentityServiceClient(ts.conn).CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{
		ApiKey: &millwav1.ApiKey{DisplayName: "test " + role.String(), Role: role, Organisation: org, OrgAdmin: orgAdmin},
	})
	if err != nil {
		t.Fatalf("CreateApiKey(%v, %q): %v", role, org, err)
	}
	return resp.GetApiKey().GetName(), resp.GetSecret()
}
