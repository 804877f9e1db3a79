package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/millwa/millwa/cmd/millwa/internal/instance"
	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestAdminVerifyAudit runs `millwa admin verify-audit` on a database
// whose log an attacker cut back consistently (the last events and the
// head): the chain alone verifies, the saved checkpoint does not, and the
// command says so and exits non-zero.
func TestAdminVerifyAudit(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		cfg := config.Default()
		cfg.DatabaseURL, cfg.AdminKey = dbURL, adminSecret
		srv, err := instance.Start(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := instance.Dial(srv.GRPCAddr(), adminSecret)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := millwav1.NewIdentityServiceClient(conn).CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{
				ApiKey: &millwav1.ApiKey{DisplayName: "key " + strconv.Itoa(i), Role: millwav1.Role_ROLE_ADMIN},
			}); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := millwav1.NewAuditServiceClient(conn).GetAuditCheckpoint(t.Context(), &millwav1.GetAuditCheckpointRequest{})
		if err != nil {
			t.Fatal(err)
		}
		cp := resp.GetAuditCheckpoint()
		conn.Close()
		if err := srv.Stop(); err != nil {
			t.Fatal(err)
		}
		if cp.GetSequence() < 2 {
			t.Fatalf("checkpoint at sequence %d; want the keys' events in it", cp.GetSequence())
		}
		saved, err := protojson.Marshal(cp)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "checkpoints.json")
		if err := os.WriteFile(file, append(saved, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		verify := func(args ...string) (string, error) {
			cmd := exec.Command(binary, append([]string{"admin", "verify-audit", "--database-url", dbURL}, args...)...)
			cmd.Env = baseEnv()
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		out, err := verify("--checkpoints", file)
		if err != nil || !strings.Contains(out, "audit log intact") {
			t.Fatalf("untouched database: %v\n%s", err, out)
		}

		// Cut the last event and move the head back to the one before,
		// past the triggers, as the database's owner could.
		db, rebind := storetest.RawDB(t, dbURL)
		stmts := []string{"DROP TRIGGER audit_events_refuse_delete"}
		if !strings.HasPrefix(dbURL, "sqlite:") {
			stmts = []string{"ALTER TABLE audit_events DISABLE TRIGGER USER"}
		}
		last := strconv.FormatInt(cp.GetSequence(), 10)
		stmts = append(stmts, "DELETE FROM audit_events WHERE sequence = "+last,
			"UPDATE audit_chain_head SET last_sequence = sequence, last_hash = hash FROM (SELECT sequence, hash FROM audit_events WHERE sequence = "+last+" - 1) AS prev WHERE id = 1")
		for _, q := range stmts {
			if _, err := db.ExecContext(t.Context(), rebind(q)); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}

		out, err = verify()
		if err != nil || !strings.Contains(out, "audit log intact") {
			t.Fatalf("cut database without checkpoints: %v\n%s; want intact, as every link holds", err, out)
		}
		out, err = verify("--checkpoints", file)
		var exit *exec.ExitError
		if !errors.As(err, &exit) || !strings.Contains(out, "BROKEN at event "+last+" (checkpoint_mismatch)") {
			t.Fatalf("cut database with the checkpoint: %v\n%s; want a failure at event %s", err, out, last)
		}

		// A checkpoint altered after it was signed is refused.
		forged := strings.Replace(string(saved), cp.GetHeadHash(), strings.Repeat("0", 64), 1)
		if err := os.WriteFile(file, []byte(forged), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err = verify("--checkpoints", file)
		if !errors.As(err, &exit) || !strings.Contains(out, "signature does not verify") {
			t.Fatalf("altered checkpoint: %v\n%s; want it refused", err, out)
		}
	})
}
