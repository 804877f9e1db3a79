package identity_test

import (
	"errors"
	"testing"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/identity"
	"github.com/millwa/millwa/services/internal/rpctest"
)

// The handlers are called directly over a real database.

const createMethod = "/millwa.v1.IdentityService/CreateApiKey"

// TestKeys creates admin keys, refuses to show a secret twice, filters
// keys by role and refuses to revoke the last active admin key.
func TestKeys(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		s := identity.New(storetest.NewStore(t, url))
		admin := rpctest.As(millwa.Principal{Role: millwa.RoleAdmin, KeyID: "bootstrap"})
		req := &millwav1.CreateApiKeyRequest{RequestId: "key-1", ApiKey: &millwav1.ApiKey{DisplayName: "Operaciones", Role: millwav1.Role_ROLE_ADMIN}}
		ctx, _ := rpctest.Method(admin, createMethod)
		first, err := s.CreateApiKey(ctx, req)
		if err != nil || first.GetSecret() == "" || first.GetApiKey().GetState() != millwav1.ApiKey_STATE_ACTIVE {
			t.Fatalf("CreateApiKey = %v, %v; want an active key and its secret", first, err)
		}
		ctx, _ = rpctest.Method(admin, createMethod)
		_, err = s.CreateApiKey(ctx, req)
		var me *millwa.Error
		if !errors.As(err, &me) || me.Reason != "SECRET_SHOWN_ONCE" {
			t.Errorf("a retried CreateApiKey = %v; want SECRET_SHOWN_ONCE", err)
		}

		list, err := s.ListApiKeys(admin, &millwav1.ListApiKeysRequest{Filter: "role = admin"})
		if err != nil || len(list.GetApiKeys()) != 1 || list.GetApiKeys()[0].GetName() != first.GetApiKey().GetName() {
			t.Fatalf("admin keys %v, %v; want the one created", list.GetApiKeys(), err)
		}
		if _, err := s.ListApiKeys(admin, &millwav1.ListApiKeysRequest{Filter: "role = ROLE_OWNER"}); millwa.ErrorCode(err) != millwa.Invalid {
			t.Errorf("filter on an unknown role = %v; want Invalid", err)
		}

		name := first.GetApiKey().GetName()
		if _, err := s.RevokeApiKey(admin, &millwav1.RevokeApiKeyRequest{Name: name, Etag: "r2"}); millwa.ErrorCode(err) != millwa.Aborted {
			t.Errorf("RevokeApiKey with a stale etag = %v; want Aborted", err)
		}
		_, err = s.RevokeApiKey(admin, &millwav1.RevokeApiKeyRequest{Name: name})
		if !errors.As(err, &me) || me.Code != millwa.FailedPrecondition {
			t.Errorf("revoking the last admin key = %v; want FailedPrecondition", err)
		}
		if _, err := s.CreateApiKey(admin, &millwav1.CreateApiKeyRequest{ApiKey: &millwav1.ApiKey{DisplayName: "Respaldo", Role: millwav1.Role_ROLE_ADMIN}}); err != nil {
			t.Fatal(err)
		}
		revoked, err := s.RevokeApiKey(admin, &millwav1.RevokeApiKeyRequest{Name: name})
		if err != nil || revoked.GetApiKey().GetState() != millwav1.ApiKey_STATE_REVOKED {
			t.Errorf("RevokeApiKey with another admin key = %v, %v; want it REVOKED", revoked.GetApiKey(), err)
		}
	})
}

// TestKeyInput: output-only fields and a missing role are refused, naming
// each field in the message's order, and nothing is created.
func TestKeyInput(t *testing.T) {
	s := identity.New(storetest.NewStore(t, storetest.SQLiteURL(t)))
	admin := rpctest.As(millwa.Principal{Role: millwa.RoleAdmin, KeyID: "bootstrap"})
	_, err := s.CreateApiKey(admin, &millwav1.CreateApiKeyRequest{ApiKey: &millwav1.ApiKey{
		DisplayName: "x", Name: "apiKeys/1", KeyPrefix: "mw_", Etag: "r1",
	}})
	var me *millwa.Error
	if !errors.As(err, &me) || me.Code != millwa.Invalid {
		t.Fatalf("CreateApiKey = %v; want Invalid", err)
	}
	var fields []string
	for _, v := range me.Violations {
		fields = append(fields, v.Field)
	}
	want := []string{"api_key.role", "api_key.name", "api_key.key_prefix", "api_key.etag"}
	if len(fields) != len(want) {
		t.Fatalf("violations %v; want %v", fields, want)
	}
	for i := range want {
		if fields[i] != want[i] {
			t.Errorf("violations %v; want %v", fields, want)
			break
		}
	}
	list, err := s.ListApiKeys(admin, &millwav1.ListApiKeysRequest{})
	if err != nil || len(list.GetApiKeys()) != 0 {
		t.Errorf("keys after a refused create: %v, %v; want none", list.GetApiKeys(), err)
	}
}
