package server_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// eventFromProto is the domain event an API event shows, so that a test
// can recompute hashes as a forger would.
func eventFromProto(t *testing.T, p *millwav1.AuditEvent) millwa.AuditEvent {
	t.Helper()
	e := millwa.AuditEvent{
		Sequence:     p.GetSequence(),
		Actor:        p.GetActor(),
		Role:         millwa.Role(strings.ToLower(strings.TrimPrefix(p.GetActorRole().String(), "ROLE_"))),
		Organisation: p.GetActorOrganisation(),
		Method:       p.GetMethod(),
		Resource:     p.GetResource(),
		Action:       p.GetAction(),
		Region:       p.GetRegion(),
		Time:         p.GetCreateTime().AsTime(),
	}
	for _, h := range []struct {
		dst *[32]byte
		hex string
	}{{&e.ChangeDigest, p.GetChangeDigest()}, {&e.PrevHash, p.GetPreviousHash()}, {&e.Hash, p.GetHash()}} {
		b, err := hex.DecodeString(h.hex)
		if err != nil || len(b) != 32 {
			t.Fatalf("event %d: hash %q is not 32 bytes of hex", e.Sequence, h.hex)
		}
		copy(h.dst[:], b)
	}
	return e
}

// rewriteAuditTail rewrites the audit log from event from onward as an
// attacker with the database owner's rights could, consistently: event
// from gets another action, every hash from it on is recomputed, and the
// chain head follows, so that the chain alone still verifies.
func rewriteAuditTail(t *testing.T, ts *testServer, from int64) {
	t.Helper()
	page, err := millwav1.NewAuditServiceClient(ts.conn).ListAuditEvents(t.Context(), &millwav1.ListAuditEventsRequest{PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	var stmts []string
	var prev [32]byte
	for _, p := range page.GetAuditEvents() {
		e := eventFromProto(t, p)
		if e.Sequence < from {
			// The forger's hash rule must reproduce what is stored, or
			// the rewrite below would not be consistent.
			if h := millwa.ChainHash(e.PrevHash, e.Sequence, &e); h != e.Hash {
				t.Fatalf("recomputing event %d gives %x, stored %x", e.Sequence, h, e.Hash)
			}
			prev = e.Hash
			continue
		}
		if e.Sequence == from {
			e.Action = "forged"
		}
		e.PrevHash = prev
		e.Hash = millwa.ChainHash(prev, e.Sequence, &e)
		prev = e.Hash
		stmts = append(stmts, "UPDATE audit_events SET action = '"+e.Action+"', prev_hash = "+hexLiteral(ts, e.PrevHash)+
			", hash = "+hexLiteral(ts, e.Hash)+" WHERE sequence = "+strconv.FormatInt(e.Sequence, 10))
	}
	stmts = append(stmts, "UPDATE audit_chain_head SET last_hash = "+hexLiteral(ts, prev)+" WHERE id = 1")
	tamperAuditLog(t, ts, stmts...)
}

// hexLiteral is b as a byte-string literal of the server's database.
func hexLiteral(ts *testServer, b [32]byte) string {
	if strings.HasPrefix(ts.dbURL, "sqlite:") {
		return "X'" + hex.EncodeToString(b[:]) + "'"
	}
	return "'\\x" + hex.EncodeToString(b[:]) + "'::bytea"
}

// TestAuditCheckpointsDetectConsistentRewrite is the attack checkpoints
// exist for: someone with the database owner's rights rewrites the audit
// log's tail and recomputes every hash and the chain head. The chain alone
// then verifies; the checkpoints an agency saved earlier name the first
// rewritten event.
func TestAuditCheckpointsDetectConsistentRewrite(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		agency := ts.insertAgency(t, "21")
		_, agencySecret := ts.createKey(t, millwav1.Role_ROLE_AGENCY, agency, false)
		client := millwav1.NewAuditServiceClient(ts.dial(t, agencySecret))

		// The agency saves a checkpoint after each change, over gRPC and
		// REST alike.
		var saved []*millwav1.AuditCheckpoint
		for i := range 5 {
			ts.createAssociation(t, "210101")
			var cp *millwav1.AuditCheckpoint
			if i%2 == 0 {
				resp, err := client.GetAuditCheckpoint(t.Context(), &millwav1.GetAuditCheckpointRequest{})
				if err != nil {
					t.Fatal(err)
				}
				cp = resp.GetAuditCheckpoint()
			} else {
				res := ts.restAs(t, agencySecret, http.MethodGet, "/v1/audit/checkpoint", "")
				cp = &millwav1.AuditCheckpoint{}
				if err := protojson.Unmarshal(res.body, cp); err != nil || res.code != http.StatusOK {
					t.Fatalf("GET /v1/audit/checkpoint: %d %s", res.code, res.body)
				}
			}
			if len(saved) > 0 && cp.GetSequence() <= saved[len(saved)-1].GetSequence() {
				t.Fatalf("checkpoint %d at sequence %d does not follow the one before, at %d", i, cp.GetSequence(), saved[len(saved)-1].GetSequence())
			}
			if cp.GetSignature() == "" || cp.GetPublicKey() != saved0Key(saved, cp) || cp.GetSignTime() == nil {
				t.Fatalf("checkpoint %v lacks its signature, key or time, or changed key", cp)
			}
			saved = append(saved, cp)
		}
		ts.createAssociation(t, "210101") // an event no checkpoint covers
		intact, err := client.VerifyAuditLog(t.Context(), &millwav1.VerifyAuditLogRequest{Checkpoints: saved})
		if err != nil || !intact.GetOk() {
			t.Fatalf("untouched log with its checkpoints: %v %v", intact, err)
		}

		rewritten := saved[2].GetSequence()
		rewriteAuditTail(t, ts, rewritten)

		// Without checkpoints the recomputed chain verifies: what a plain
		// hash chain cannot show.
		plain, err := client.VerifyAuditLog(t.Context(), &millwav1.VerifyAuditLogRequest{})
		if err != nil || !plain.GetOk() {
			t.Fatalf("the consistently rewritten log without checkpoints verified as %v %v; want ok, as no link is broken", plain, err)
		}

		got, err := client.VerifyAuditLog(t.Context(), &millwav1.VerifyAuditLogRequest{Checkpoints: saved})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetOk() || got.GetFailure() != millwav1.AuditChainFailure_AUDIT_CHAIN_FAILURE_CHECKPOINT_MISMATCH ||
			got.GetFirstBrokenSequence() != rewritten || got.GetHeadSequence() != saved[1].GetSequence() ||
			got.GetHeadHash() != saved[1].GetHeadHash() || !strings.Contains(got.GetReason(), "event "+strconv.FormatInt(rewritten, 10)) {
			t.Fatalf("rewritten log with checkpoints verified as %v; want a checkpoint mismatch at event %d, intact up to the checkpoint at %d", got, rewritten, saved[1].GetSequence())
		}

		// Only the latest checkpoint: it disagrees, and nothing earlier
		// agrees to narrow the rewrite down.
		last := saved[len(saved)-1]
		got, err = client.VerifyAuditLog(t.Context(), &millwav1.VerifyAuditLogRequest{Checkpoints: []*millwav1.AuditCheckpoint{last}})
		if err != nil || got.GetFailure() != millwav1.AuditChainFailure_AUDIT_CHAIN_FAILURE_CHECKPOINT_MISMATCH ||
			got.GetFirstBrokenSequence() != last.GetSequence() || got.GetHeadSequence() != 0 {
			t.Fatalf("rewritten log with the latest checkpoint verified as %v %v; want a mismatch at event %d", got, err, last.GetSequence())
		}

		// Over REST, the saved checkpoints as they were returned.
		var body strings.Builder
		body.WriteString(`{"checkpoints":[`)
		for i, cp := range saved {
			if i > 0 {
				body.WriteString(",")
			}
			b, err := protojson.Marshal(cp)
			if err != nil {
				t.Fatal(err)
			}
			body.Write(b)
		}
		body.WriteString("]}")
		res := ts.restAs(t, agencySecret, http.MethodPost, "/v1/audit/events:verify", body.String())
		var verified millwav1.VerifyAuditLogResponse
		if err := protojson.Unmarshal(res.body, &verified); err != nil || res.code != http.StatusOK ||
			verified.GetFirstBrokenSequence() != rewritten || verified.GetFailure() != millwav1.AuditChainFailure_AUDIT_CHAIN_FAILURE_CHECKPOINT_MISMATCH {
			t.Fatalf("POST /v1/audit/events:verify with checkpoints: %d %s", res.code, res.body)
		}
	})
}

// saved0Key is the public key of the first saved checkpoint, or cp's when
// there is none yet: every checkpoint of one server has the same key.
func saved0Key(saved []*millwav1.AuditCheckpoint, cp *millwav1.AuditCheckpoint) string {
	if len(saved) == 0 {
		return cp.GetPublicKey()
	}
	return saved[0].GetPublicKey()
}

// TestAuditCheckpointRefusals checks that VerifyAuditLog refuses a
// checkpoint it cannot trust, naming it, and that GetAuditCheckpoint is
// for admins and agencies only.
func TestAuditCheckpointRefusals(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		puno := ts.createAssociation(t, "210101")
		client := millwav1.NewAuditServiceClient(ts.conn)
		resp, err := client.GetAuditCheckpoint(t.Context(), &millwav1.GetAuditCheckpointRequest{})
		if err != nil {
			t.Fatal(err)
		}
		good := resp.GetAuditCheckpoint()

		// The checkpoint's signature verifies under its public key, with
		// the message the proto documents.
		pub, _ := hex.DecodeString(good.GetPublicKey())
		sig, _ := hex.DecodeString(good.GetSignature())
		msg := "millwa-audit-checkpoint/v1\nsequence=" + strconv.FormatInt(good.GetSequence(), 10) + "\nhead_hash=" + good.GetHeadHash() +
			"\nsign_time=" + good.GetSignTime().AsTime().UTC().Format("2006-01-02T15:04:05.000000Z") + "\n"
		if !ed25519.Verify(pub, []byte(msg), sig) {
			t.Fatalf("checkpoint %v does not verify over the documented message %q", good, msg)
		}

		_, otherKey, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		var head [32]byte
		hb, _ := hex.DecodeString(good.GetHeadHash())
		copy(head[:], hb)
		foreign := millwa.SignAuditCheckpoint(otherKey, good.GetSequence(), head, time.Now())

		for _, tc := range []struct {
			name  string
			edit  func(cp *millwav1.AuditCheckpoint)
			field string
		}{
			{"head hash changed", func(cp *millwav1.AuditCheckpoint) { cp.HeadHash = strings.Repeat("ab", 32) }, "checkpoints[0].signature"},
			{"sequence changed", func(cp *millwav1.AuditCheckpoint) { cp.Sequence-- }, "checkpoints[0].signature"},
			{"time changed", func(cp *millwav1.AuditCheckpoint) {
				cp.SignTime.Seconds--
			}, "checkpoints[0].signature"},
			{"signature not hex", func(cp *millwav1.AuditCheckpoint) { cp.Signature = "zz" }, "checkpoints[0].signature"},
			{"head hash missing", func(cp *millwav1.AuditCheckpoint) { cp.HeadHash = "" }, "checkpoints[0].head_hash"},
			{"signed by another key", func(cp *millwav1.AuditCheckpoint) {
				cp.PublicKey = hex.EncodeToString(foreign.PublicKey)
				cp.Signature = hex.EncodeToString(foreign.Signature)
				cp.SignTime.Seconds, cp.SignTime.Nanos = foreign.Time.Unix(), int32(foreign.Time.Nanosecond())
			}, "checkpoints[0].signature"},
		} {
			cp := proto.Clone(good).(*millwav1.AuditCheckpoint)
			tc.edit(cp)
			_, err := client.VerifyAuditLog(t.Context(), &millwav1.VerifyAuditLogRequest{Checkpoints: []*millwav1.AuditCheckpoint{cp}})
			wantCode(t, tc.name, err, codes.InvalidArgument)
			if fields := fieldViolations(t, err); len(fields) != 1 || fields[0] != tc.field {
				t.Errorf("%s: violations on %v, want %s", tc.name, fields, tc.field)
			}
		}
		// A checkpoint beyond the range asked for.
		_, err = client.VerifyAuditLog(t.Context(), &millwav1.VerifyAuditLogRequest{EndSequence: 1, Checkpoints: []*millwav1.AuditCheckpoint{good}})
		wantCode(t, "checkpoint after end_sequence", err, codes.InvalidArgument)

		_, assocSecret := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, puno.GetName(), false)
		_, err = millwav1.NewAuditServiceClient(ts.dial(t, assocSecret)).GetAuditCheckpoint(t.Context(), &millwav1.GetAuditCheckpointRequest{})
		wantCode(t, "association asking for a checkpoint", err, codes.PermissionDenied)
		_, err = millwav1.NewAuditServiceClient(ts.dial(t, "")).GetAuditCheckpoint(t.Context(), &millwav1.GetAuditCheckpointRequest{})
		wantCode(t, "checkpoint without a key", err, codes.Unauthenticated)
	})
}

// TestAuditSigningKeyShared checks where the signing key comes from: two
// replicas on one database sign with the same generated key, which
// survives a restart; a key file takes precedence; and each replica signs
// and logs a checkpoint at its interval.
func TestAuditSigningKeyShared(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		publicKey := func(ts *testServer) string {
			t.Helper()
			resp, err := millwav1.NewAuditServiceClient(ts.conn).GetAuditCheckpoint(t.Context(), &millwav1.GetAuditCheckpointRequest{})
			if err != nil {
				t.Fatal(err)
			}
			return resp.GetAuditCheckpoint().GetPublicKey()
		}
		first := startServer(t, dbURL)
		second := startServerWith(t, dbURL, func(c *config.Config) { c.AuditCheckpointInterval = 50 * time.Millisecond })
		key := publicKey(first)
		if got := publicKey(second); got != key || len(key) != 64 {
			t.Fatalf("replicas on one database sign with keys %q and %q; want one key", key, got)
		}
		if err := first.stop(); err != nil {
			t.Fatal(err)
		}
		if got := publicKey(startServer(t, dbURL)); got != key {
			t.Fatalf("a restarted replica signs with %q; want the stored key %q", got, key)
		}
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(second.logs.String(), `"msg":"audit checkpoint"`) {
			if time.Now().After(deadline) {
				t.Fatalf("no checkpoint logged within 5s at a 50ms interval; logs:\n%s", second.logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !strings.Contains(second.logs.String(), `"public_key":"`+key+`"`) {
			t.Fatalf("the logged checkpoint does not carry the key %s:\n%s", key, second.logs.String())
		}

		_, fileKey, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(fileKey)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "audit-key.pem")
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		fromFile := startServerWith(t, dbURL, func(c *config.Config) { c.AuditSigningKeyFile = path })
		if got, want := publicKey(fromFile), hex.EncodeToString(fileKey.Public().(ed25519.PublicKey)); got != want {
			t.Fatalf("with a key file the server signs with %q; want the file's key %q", got, want)
		}
	})
}
