package server_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// auditEvents reads every audit event after the sequence after, in order.
func auditEvents(t *testing.T, st *store.Store, after int64) []millwa.AuditEvent {
	t.Helper()
	var all []millwa.AuditEvent
	q := store.ListQuery{Limit: 500, Conditions: []millwa.Condition{{Field: "sequence", Op: millwa.OpGt, Int: after}}}
	for {
		page, err := st.ListAuditEvents(t.Context(), q)
		if err != nil {
			t.Fatalf("ListAuditEvents: %v", err)
		}
		all = append(all, page.Items...)
		if len(page.Next) == 0 {
			return all
		}
		q.After = page.Next
	}
}

// lastSequence is the sequence of the last audit event, 0 when none.
func lastSequence(t *testing.T, st *store.Store) int64 {
	t.Helper()
	events := auditEvents(t, st, 0)
	if len(events) == 0 {
		return 0
	}
	return events[len(events)-1].Sequence
}

// changeDigest is the digest the audit chain keeps of an answer: SHA-256 of
// its deterministic encoding.
func changeDigest(t *testing.T, m proto.Message) [32]byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// verifyChain fails t unless the whole chain verifies, with events 1 to n
// and no gap.
func verifyChain(t *testing.T, st *store.Store, wantEvents int64) {
	t.Helper()
	v, err := st.VerifyAuditChain(t.Context())
	if err != nil {
		t.Fatalf("VerifyAuditChain: %v", err)
	}
	want := store.AuditVerification{OK: true, EventsChecked: wantEvents, HeadSequence: wantEvents}
	if diff := cmp.Diff(want, v, cmpopts.IgnoreFields(store.AuditVerification{}, "HeadHash")); diff != "" {
		t.Errorf("VerifyAuditChain (-want +got):\n%s", diff)
	}
	events := auditEvents(t, st, 0)
	for i, e := range events {
		if e.Sequence != int64(i+1) {
			t.Fatalf("event %d has sequence %d: the chain has a gap", i+1, e.Sequence)
		}
		if i > 0 && e.PrevHash != events[i-1].Hash {
			t.Fatalf("event %d does not link to event %d", e.Sequence, events[i-1].Sequence)
		}
	}
	if int64(len(events)) != wantEvents {
		t.Errorf("%d events listed, want %d", len(events), wantEvents)
	}
}

func TestEveryChangeAppendsOneAuditEvent(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		st := storetest.NewStore(t, dbURL)
		boot := bootAdminKey(t, ts)
		registry := millwav1.NewRegistryServiceClient(ts.conn)
		identity := millwav1.NewIdentityServiceClient(ts.conn)
		ignore := cmpopts.IgnoreFields(millwa.AuditEvent{}, "Sequence", "Time", "PrevHash", "Hash")

		// expectOne runs change and checks that it appended exactly want.
		expectOne := func(t *testing.T, change func() (millwa.AuditEvent, error)) {
			t.Helper()
			last := lastSequence(t, st)
			before := time.Now().Add(-time.Second)
			want, err := change()
			if err != nil {
				t.Fatal(err)
			}
			got := auditEvents(t, st, last)
			if diff := cmp.Diff([]millwa.AuditEvent{want}, got, ignore); diff != "" {
				t.Fatalf("events appended (-want +got):\n%s", diff)
			}
			if got[0].Sequence != last+1 || got[0].Time.Before(before) {
				t.Errorf("event %d at %v: want sequence %d and the time of the change", got[0].Sequence, got[0].Time, last+1)
			}
		}

		var assoc *millwav1.Association
		t.Run("CreateAssociation", func(t *testing.T) {
			expectOne(t, func() (millwa.AuditEvent, error) {
				resp, err := registry.CreateAssociation(t.Context(), &millwav1.CreateAssociationRequest{Association: newAssociation(1, "210101"), RequestId: "audit-1"})
				if err != nil {
					return millwa.AuditEvent{}, err
				}
				assoc = resp.GetAssociation()
				return millwa.AuditEvent{Actor: boot, Role: millwa.RoleAdmin, Method: "/millwa.v1.RegistryService/CreateAssociation",
					Resource: assoc.GetName(), Action: "create", Region: "210101", ChangeDigest: changeDigest(t, resp)}, nil
			})
		})
		if assoc == nil {
			t.FailNow()
		}

		var orgAdmin *millwav1.CreateApiKeyResponse
		t.Run("CreateApiKey by an admin", func(t *testing.T) {
			expectOne(t, func() (millwa.AuditEvent, error) {
				var err error
				orgAdmin, err = identity.CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{
					ApiKey: &millwav1.ApiKey{DisplayName: "org admin", Role: millwav1.Role_ROLE_ASSOCIATION, Organisation: assoc.GetName(), OrgAdmin: true}})
				if err != nil {
					return millwa.AuditEvent{}, err
				}
				// The digest is of the answer as kept, without the secret.
				kept := proto.Clone(orgAdmin).(*millwav1.CreateApiKeyResponse)
				kept.Secret = ""
				return millwa.AuditEvent{Actor: boot, Role: millwa.RoleAdmin, Method: "/millwa.v1.IdentityService/CreateApiKey",
					Resource: orgAdmin.GetApiKey().GetName(), Action: "create", ChangeDigest: changeDigest(t, kept)}, nil
			})
		})
		if orgAdmin == nil {
			t.FailNow()
		}

		asOrgAdmin := ts.dial(t, orgAdmin.GetSecret())
		var plain *millwav1.CreateApiKeyResponse
		t.Run("CreateApiKey by an org admin over REST", func(t *testing.T) {
			expectOne(t, func() (millwa.AuditEvent, error) {
				res := ts.restAs(t, orgAdmin.GetSecret(), http.MethodPost, "/v1/apiKeys?requestId=audit-2",
					jsonBody(t, &millwav1.ApiKey{DisplayName: "plain", Role: millwav1.Role_ROLE_ASSOCIATION, Organisation: assoc.GetName()}))
				plain = &millwav1.CreateApiKeyResponse{}
				restOK(t, "POST /v1/apiKeys", res, plain)
				kept := proto.Clone(plain).(*millwav1.CreateApiKeyResponse)
				kept.Secret = ""
				return millwa.AuditEvent{Actor: orgAdmin.GetApiKey().GetName(), Role: millwa.RoleAssociation, Organisation: assoc.GetName(),
					Method: "/millwa.v1.IdentityService/CreateApiKey", Resource: plain.GetApiKey().GetName(), Action: "create",
					ChangeDigest: changeDigest(t, kept)}, nil
			})
		})

		t.Run("RevokeApiKey by the key itself", func(t *testing.T) {
			expectOne(t, func() (millwa.AuditEvent, error) {
				resp, err := millwav1.NewIdentityServiceClient(ts.dial(t, plain.GetSecret())).RevokeApiKey(t.Context(),
					&millwav1.RevokeApiKeyRequest{Name: plain.GetApiKey().GetName(), RequestId: "audit-3"})
				if err != nil {
					return millwa.AuditEvent{}, err
				}
				return millwa.AuditEvent{Actor: plain.GetApiKey().GetName(), Role: millwa.RoleAssociation, Organisation: assoc.GetName(),
					Method: "/millwa.v1.IdentityService/RevokeApiKey", Resource: plain.GetApiKey().GetName(), Action: "revoke",
					ChangeDigest: changeDigest(t, resp)}, nil
			})
		})

		t.Run("refused and replayed requests append nothing", func(t *testing.T) {
			last := lastSequence(t, st)
			refused := []struct {
				name string
				call func() error
				want codes.Code
			}{
				{"invalid association", func() error {
					a := newAssociation(2, "210101")
					a.Ruc = "20448012348"
					_, err := registry.CreateAssociation(t.Context(), &millwav1.CreateAssociationRequest{Association: a})
					return err
				}, codes.InvalidArgument},
				{"RUC taken", func() error {
					_, err := registry.CreateAssociation(t.Context(), &millwav1.CreateAssociationRequest{Association: newAssociation(1, "080101")})
					return err
				}, codes.AlreadyExists},
				{"invalid key", func() error {
					_, err := identity.CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{ApiKey: &millwav1.ApiKey{DisplayName: "x"}})
					return err
				}, codes.InvalidArgument},
				{"key for a missing organisation", func() error {
					_, err := identity.CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{ApiKey: &millwav1.ApiKey{DisplayName: "x",
						Role: millwav1.Role_ROLE_ASSOCIATION, Organisation: "associations/" + newID()}})
					return err
				}, codes.NotFound},
				{"org admin asking for an admin key", func() error {
					_, err := millwav1.NewIdentityServiceClient(asOrgAdmin).CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{
						ApiKey: &millwav1.ApiKey{DisplayName: "x", Role: millwav1.Role_ROLE_ADMIN}})
					return err
				}, codes.PermissionDenied},
				{"revoking twice", func() error {
					_, err := identity.RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: plain.GetApiKey().GetName()})
					return err
				}, codes.FailedPrecondition},
				{"revoking the last admin key", func() error {
					_, err := identity.RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: boot})
					return err
				}, codes.FailedPrecondition},
				{"stale etag", func() error {
					_, err := identity.RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: orgAdmin.GetApiKey().GetName(), Etag: "stale"})
					return err
				}, codes.Aborted},
				{"request_id reused for another request", func() error {
					_, err := registry.CreateAssociation(t.Context(), &millwav1.CreateAssociationRequest{Association: newAssociation(3, "210101"), RequestId: "audit-1"})
					return err
				}, codes.InvalidArgument},
				{"replayed CreateAssociation", func() error {
					_, err := registry.CreateAssociation(t.Context(), &millwav1.CreateAssociationRequest{Association: newAssociation(1, "210101"), RequestId: "audit-1"})
					return err
				}, codes.OK},
				{"replayed CreateApiKey", func() error {
					res := ts.restAs(t, orgAdmin.GetSecret(), http.MethodPost, "/v1/apiKeys?requestId=audit-2",
						jsonBody(t, &millwav1.ApiKey{DisplayName: "plain", Role: millwav1.Role_ROLE_ASSOCIATION, Organisation: assoc.GetName()}))
					return restError(t, "replayed CreateApiKey", res, http.StatusBadRequest, codes.FailedPrecondition).Err()
				}, codes.FailedPrecondition},
				{"replayed RevokeApiKey", func() error {
					// The key is revoked, so the replay comes as the org admin,
					// whose scope (the organisation) is the same.
					_, err := millwav1.NewIdentityServiceClient(asOrgAdmin).RevokeApiKey(t.Context(),
						&millwav1.RevokeApiKeyRequest{Name: plain.GetApiKey().GetName(), RequestId: "audit-3"})
					return err
				}, codes.OK},
			}
			for _, r := range refused {
				wantCode(t, r.name, r.call(), r.want)
				if got := auditEvents(t, st, last); len(got) != 0 {
					t.Errorf("%s appended %d audit events: %+v", r.name, len(got), got)
				}
			}
		})

		verifyChain(t, st, lastSequence(t, st))
	})
}

// TestAuditChainStaysLinearUnderConcurrentWriters bursts creates at the
// database from two replicas (one on SQLite) over both transports, then
// verifies the whole chain.
func TestAuditChainStaysLinearUnderConcurrentWriters(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		replicas := []*testServer{startServer(t, dbURL)}
		if !strings.HasPrefix(dbURL, "sqlite:") {
			replicas = append(replicas, startServer(t, dbURL))
		}
		st := storetest.NewStore(t, dbURL)
		hc := restClient(t)
		var conns []*grpc.ClientConn
		for _, r := range replicas {
			conns = append(conns, r.dial(t, adminSecret))
		}
		assoc := replicas[0].createAssociation(t, "210101").GetName()
		base := lastSequence(t, st)

		const writers, each = 8, 6
		// A block of fixture numbers of the burst's own, so that its RUCs
		// meet no other fixture's, whatever ran before.
		first := int(fixtureN.Add(writers*each)) - writers*each + 1
		start := make(chan struct{})
		errs := make(chan error, writers*each)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				<-start
				r := w % len(replicas)
				for i := range each {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					n := first + w*each + i
					var err error
					switch (w/len(replicas) + i) % 3 {
					case 0:
						_, err = millwav1.NewRegistryServiceClient(conns[r]).CreateAssociation(ctx,
							&millwav1.CreateAssociationRequest{Association: newAssociation(n, "080101"), RequestId: fmt.Sprint("burst-", n)})
					case 1:
						_, err = millwav1.NewIdentityServiceClient(conns[r]).CreateApiKey(ctx,
							&millwav1.CreateApiKeyRequest{ApiKey: &millwav1.ApiKey{DisplayName: fmt.Sprint("burst ", n), Role: millwav1.Role_ROLE_ASSOCIATION, Organisation: assoc}})
					default:
						var res restResult
						b, _ := protojson.Marshal(newAssociation(n, "210101"))
						res, err = restCall(ctx, hc, replicas[r].baseURL, adminSecret, http.MethodPost, "/v1/associations", string(b))
						if err == nil && res.code != http.StatusOK {
							err = fmt.Errorf("HTTP %d: %s", res.code, res.body)
						}
					}
					cancel()
					if err != nil {
						errs <- fmt.Errorf("writer %d, change %d: %w", w, i, err)
					}
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		verifyChain(t, st, base+writers*each)
		// Each change is in the chain once.
		seen := map[string]int{}
		for _, e := range auditEvents(t, st, base) {
			seen[e.Resource]++
		}
		for r, n := range seen {
			if n != 1 {
				t.Errorf("%s has %d events, want 1", r, n)
			}
		}
		if len(seen) != writers*each {
			t.Errorf("%d resources in the chain after the burst, want %d", len(seen), writers*each)
		}
	})
}
