package identity_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/identity"
	"github.com/millwa/millwa/services/internal/rpctest"
)

// TestKeyCannotOutliveItsCreator: a key that expires may only create keys
// that expire no later than itself, and no key creates one with more
// rights than its own.
func TestKeyCannotOutliveItsCreator(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		s := identity.New(storetest.NewStore(t, url))
		admin := rpctest.As(millwa.Principal{Role: millwa.RoleAdmin, KeyID: "bootstrap"})
		limit := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		shortAdmin := auth.WithKeyExpiry(admin, limit)

		for _, tc := range []struct {
			name   string
			expire *timestamppb.Timestamp
		}{
			{"never", nil},
			{"a second after the creator", timestamppb.New(limit.Add(time.Second))},
			{"a year after the creator", timestamppb.New(limit.AddDate(1, 0, 0))},
		} {
			_, err := s.CreateApiKey(shortAdmin, &millwav1.CreateApiKeyRequest{ApiKey: &millwav1.ApiKey{
				DisplayName: "Permanente", Role: millwav1.Role_ROLE_ADMIN, ExpireTime: tc.expire}})
			var me *millwa.Error
			if !errors.As(err, &me) || me.Code != millwa.Invalid || len(me.Violations) != 1 ||
				me.Violations[0].Field != "api_key.expire_time" || !strings.Contains(me.Violations[0].Description, limit.Format(time.RFC3339)) {
				t.Errorf("a key expiring at %v creating one that expires %s = %v; want Invalid naming api_key.expire_time and %s",
					limit, tc.name, err, limit.Format(time.RFC3339))
			}
		}
		for _, expire := range []time.Time{limit, limit.Add(-time.Minute)} {
			got, err := s.CreateApiKey(shortAdmin, &millwav1.CreateApiKeyRequest{ApiKey: &millwav1.ApiKey{
				DisplayName: "Temporal", Role: millwav1.Role_ROLE_ADMIN, ExpireTime: timestamppb.New(expire)}})
			if err != nil || !got.GetApiKey().GetExpireTime().AsTime().Equal(expire) {
				t.Errorf("a key expiring at %v creating one that expires at %v = %v, %v; want it created", limit, expire, got.GetApiKey(), err)
			}
		}
		// A key that never expires creates keys that never expire.
		if _, err := s.CreateApiKey(admin, &millwav1.CreateApiKeyRequest{ApiKey: &millwav1.ApiKey{DisplayName: "Permanente", Role: millwav1.Role_ROLE_ADMIN}}); err != nil {
			t.Errorf("an admin key without expiry creating another: %v", err)
		}

		// An organisation's admin key creates no key of another role or
		// organisation, and no admin key.
		orgAdmin := auth.WithKeyExpiry(rpctest.As(millwa.Principal{Role: millwa.RoleAssociation, Organisation: "associations/0190e3c4-0000-7000-8000-000000000001", OrgAdmin: true, KeyID: "k"}), limit)
		for _, k := range []*millwav1.ApiKey{
			{DisplayName: "x", Role: millwav1.Role_ROLE_ADMIN, ExpireTime: timestamppb.New(limit)},
			{DisplayName: "x", Role: millwav1.Role_ROLE_PROCESSOR, Organisation: "processors/0190e3c4-0000-7000-8000-000000000002", ExpireTime: timestamppb.New(limit)},
			{DisplayName: "x", Role: millwav1.Role_ROLE_ASSOCIATION, Organisation: "associations/0190e3c4-0000-7000-8000-000000000003", OrgAdmin: true, ExpireTime: timestamppb.New(limit)},
		} {
			if _, err := s.CreateApiKey(orgAdmin, &millwav1.CreateApiKeyRequest{ApiKey: k}); millwa.ErrorCode(err) != millwa.PermissionDenied {
				t.Errorf("an organisation's admin key creating %v = %v; want PermissionDenied", k, err)
			}
		}
	})
}
