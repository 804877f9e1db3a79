// Package identity implements millwa.v1.IdentityService: API keys, who may
// create and revoke them, and WhoAmI.
package identity

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// Server is the IdentityService.
type Server struct {
	millwav1.UnimplementedIdentityServiceServer
	store *store.Store
	now   func() time.Time
	// revoked is told the id of each key revoked here, once committed.
	revoked func(id string)
	// created is told the digest of each key created here, once committed.
	created func(digest [32]byte)
	// issueSession signs a session token for the key of a call.
	issueSession func(ctx context.Context) (string, time.Time, error)
}

// Option changes how New builds the service.
type Option func(*Server)

// OnRevoke has the service call f with the id of every key it revokes,
// after the revocation commits, so that the replica ends the key's open
// streams at once rather than at its next check.
func OnRevoke(f func(id string)) Option {
	return func(s *Server) { s.revoked = f }
}

// OnCreate has the service call f with the secret digest of every key it
// creates, after the creation commits, so that the replica forgets any
// refusal of that secret it remembers and the key works here at once.
func OnCreate(f func(digest [32]byte)) Option {
	return func(s *Server) { s.created = f }
}

// New returns an IdentityService backed by st.
func New(st *store.Store, opts ...Option) *Server {
	s := &Server{store: st, now: time.Now, revoked: func(string) {}, created: func([32]byte) {}}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// maxDisplayName bounds a key's display name, in characters.
const maxDisplayName = 100

// WhoAmI describes the caller's key.
func (s *Server) WhoAmI(ctx context.Context, _ *millwav1.WhoAmIRequest) (*millwav1.WhoAmIResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	k, err := s.store.GetAPIKey(ctx, p, p.KeyID)
	if err != nil {
		return nil, err
	}
	resp := &millwav1.WhoAmIResponse{
		ApiKey:       "apiKeys/" + k.ID,
		DisplayName:  k.DisplayName,
		Role:         rpc.RoleToProto(p.Role),
		Organisation: p.Organisation,
		Regions:      p.Regions,
		OrgAdmin:     p.OrgAdmin,
	}
	if !k.ExpireTime.IsZero() {
		resp.ExpireTime = timestamppb.New(k.ExpireTime)
	}
	return resp, nil
}

// CreateApiKey creates a key and returns its secret, once.
func (s *Server) CreateApiKey(ctx context.Context, req *millwav1.CreateApiKeyRequest) (*millwav1.CreateApiKeyResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	if p.Role != millwa.RoleAdmin && !p.OrgAdmin {
		return nil, millwa.Errorf(millwa.PermissionDenied,
			"only a platform admin, or an organisation's admin key for its own organisation and role, may create keys")
	}
	k, err := s.keyToCreate(req)
	if err != nil {
		return nil, err
	}
	if p.Role != millwa.RoleAdmin && !(k.Role == p.Role && k.Organisation == p.Organisation) {
		return nil, millwa.Errorf(millwa.PermissionDenied,
			"only a platform admin, or an organisation's admin key for its own organisation and role, may create keys")
	}
	if err := checkOutlives(ctx, k); err != nil {
		return nil, err
	}
	resp, err := rpc.Do(ctx, s.store, req, nil,
		func(tx *store.Tx) (*millwav1.CreateApiKeyResponse, []rpc.Event, error) {
			created := k
			if created.Organisation != "" {
				ok, err := tx.OrganisationExists(ctx, created.Organisation)
				if err != nil {
					return nil, nil, err
				}
				if !ok {
					return nil, nil, millwa.Errorf(millwa.NotFound, "organisation %s does not exist: create it first", created.Organisation)
				}
			}
			secret, digest, prefix, err := auth.NewSecret()
			if err != nil {
				return nil, nil, err
			}
			created.KeyPrefix = prefix
			if err := tx.CreateAPIKey(ctx, &created, digest); err != nil {
				return nil, nil, err
			}
			resp := &millwav1.CreateApiKeyResponse{ApiKey: s.keyToProto(&created), Secret: secret}
			return resp, []rpc.Event{rpc.Event{Resource: resp.ApiKey.Name, Action: "create"}}, nil
		},
		rpc.Options[*millwav1.CreateApiKeyResponse]{
			// The secret is never stored, not even for retries.
			Stored: func(r *millwav1.CreateApiKeyResponse) *millwav1.CreateApiKeyResponse {
				kept := proto.Clone(r).(*millwav1.CreateApiKeyResponse)
				kept.Secret = ""
				return kept
			},
			Replay: func(r *millwav1.CreateApiKeyResponse) (*millwav1.CreateApiKeyResponse, error) {
				return nil, &millwa.Error{Code: millwa.FailedPrecondition, Reason: "SECRET_SHOWN_ONCE",
					Message: "the first call with this request_id created " + r.GetApiKey().GetName() +
						", whose secret was shown only once: revoke that key and create another with a new request_id"}
			},
		})
	if err == nil && resp.GetSecret() != "" {
		s.created(auth.Digest(resp.GetSecret()))
	}
	return resp, err
}

// checkOutlives refuses a key that would expire later than the key making
// the call (or never, when that one expires), so that a short-lived key
// cannot make itself permanent through a key it creates.
func checkOutlives(ctx context.Context, k millwa.APIKey) error {
	limit := auth.KeyExpiry(ctx)
	if limit.IsZero() || (!k.ExpireTime.IsZero() && !k.ExpireTime.After(limit)) {
		return nil
	}
	var vs millwa.Violations
	vs.Add("api_key.expire_time", "must be at most %s, when the key making this call expires: a key cannot create a key that outlives it",
		limit.UTC().Format(time.RFC3339Nano))
	return vs.Err()
}

// keyToCreate validates a CreateApiKeyRequest and returns the key it asks
// for.
func (s *Server) keyToCreate(req *millwav1.CreateApiKeyRequest) (millwa.APIKey, error) {
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	in := req.GetApiKey()
	if in == nil {
		vs.Add("api_key", "is required")
		return millwa.APIKey{}, vs.Err()
	}
	k := millwa.APIKey{
		DisplayName:  strings.TrimSpace(in.GetDisplayName()),
		Organisation: in.GetOrganisation(),
		OrgAdmin:     in.GetOrgAdmin(),
	}
	if n := utf8.RuneCountInString(k.DisplayName); n == 0 || n > maxDisplayName || !utf8.ValidString(k.DisplayName) {
		vs.Add("api_key.display_name", "is required, at most %d characters", maxDisplayName)
	}
	role, ok := rpc.RoleFromProto(in.GetRole())
	if !ok {
		vs.Add("api_key.role", "is required: ROLE_ADMIN, ROLE_ASSOCIATION, ROLE_PROCESSOR or ROLE_AGENCY")
	} else {
		k.Role = role
		auth.CheckKeyOwner(&vs, role, k.Organisation)
		if role == millwa.RoleAdmin && k.OrgAdmin {
			vs.Add("api_key.org_admin", "must be false for an admin key, which administers every key already")
		}
	}
	if in.GetExpireTime() != nil {
		t := in.GetExpireTime()
		if err := t.CheckValid(); err != nil || !t.AsTime().After(s.now()) {
			vs.Add("api_key.expire_time", "must be a time in the future")
		} else {
			k.ExpireTime = t.AsTime().UTC().Truncate(time.Microsecond)
		}
	}
	// In the message's field order, so that the answer is the same each time.
	rpc.OutputOnly(&vs, "api_key", in,
		"name", "key_prefix", "revoke_time", "last_use_time", "state", "create_time", "update_time", "etag")
	return k, vs.Err()
}

// keyFilterFields are the fields ListApiKeys filters on.
var keyFilterFields = map[string]millwa.FieldKind{
	"role":         millwa.EnumField,
	"organisation": millwa.StringField,
	"state":        millwa.EnumField,
	"org_admin":    millwa.BoolField,
}

// ListApiKeys lists the keys the caller may see.
func (s *Server) ListApiKeys(ctx context.Context, req *millwav1.ListApiKeysRequest) (*millwav1.ListApiKeysResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	lr := millwa.ListRequest{PageSize: req.GetPageSize(), PageToken: req.GetPageToken(), Filter: req.GetFilter()}
	q, err := millwa.ParseList(lr, millwa.ListSpec{Filter: keyFilterFields})
	if err != nil {
		return nil, err
	}
	for i, c := range q.Conditions {
		switch c.Field {
		case "role":
			r, ok := rpc.ParseRoleName(c.Str)
			if !ok {
				return nil, millwa.FilterError("role takes ROLE_ADMIN, ROLE_ASSOCIATION, ROLE_PROCESSOR or ROLE_AGENCY")
			}
			q.Conditions[i].Str = string(r)
		case "state":
			st := rpc.EnumName("STATE_", c.Str)
			if st != "STATE_ACTIVE" && st != "STATE_EXPIRED" && st != "STATE_REVOKED" {
				return nil, millwa.FilterError("state takes STATE_ACTIVE, STATE_EXPIRED or STATE_REVOKED")
			}
			q.Conditions[i].Str = strings.ToLower(strings.TrimPrefix(st, "STATE_"))
		}
	}
	page, err := s.store.ListAPIKeys(ctx, p, q, s.now())
	if err != nil {
		return nil, err
	}
	resp := &millwav1.ListApiKeysResponse{NextPageToken: lr.NextPageToken(page.Next)}
	for i := range page.Items {
		resp.ApiKeys = append(resp.ApiKeys, s.keyToProto(&page.Items[i]))
	}
	return resp, nil
}

// RevokeApiKey revokes a key for good.
func (s *Server) RevokeApiKey(ctx context.Context, req *millwav1.RevokeApiKeyRequest) (*millwav1.RevokeApiKeyResponse, error) {
	p, ids, err := rpc.Change(ctx, req, req.GetName(), "apiKeys")
	if err != nil {
		return nil, err
	}
	resp, err := rpc.Do(ctx, s.store, req, nil,
		func(tx *store.Tx) (*millwav1.RevokeApiKeyResponse, []rpc.Event, error) {
			k, err := tx.GetAPIKey(ctx, p, ids[0])
			if err != nil {
				return nil, nil, err
			}
			if err := rpc.CheckEtag(req.GetName(), req.GetEtag(), keyEtag(&k)); err != nil {
				return nil, nil, err
			}
			if !k.RevokeTime.IsZero() {
				return nil, nil, millwa.Errorf(millwa.FailedPrecondition, "%s was already revoked at %s", req.GetName(), k.RevokeTime.Format(time.RFC3339))
			}
			now := s.now()
			if k.Role == millwa.RoleAdmin && k.Active(now) {
				n, err := tx.CountActiveAdminKeys(ctx, now)
				if err != nil {
					return nil, nil, err
				}
				if n <= 1 {
					return nil, nil, millwa.Errorf(millwa.FailedPrecondition,
						"%s is the last active admin key: create another admin key before revoking it", req.GetName())
				}
			}
			if err := tx.RevokeAPIKey(ctx, k.ID); err != nil {
				return nil, nil, err
			}
			if k, err = tx.GetAPIKey(ctx, p, k.ID); err != nil {
				return nil, nil, err
			}
			resp := &millwav1.RevokeApiKeyResponse{ApiKey: s.keyToProto(&k)}
			return resp, []rpc.Event{rpc.Event{Resource: resp.ApiKey.Name, Action: "revoke"}}, nil
		})
	if err == nil {
		s.revoked(strings.TrimPrefix(resp.GetApiKey().GetName(), "apiKeys/"))
	}
	return resp, err
}

func (s *Server) keyToProto(k *millwa.APIKey) *millwav1.ApiKey {
	out := &millwav1.ApiKey{
		Name:         "apiKeys/" + k.ID,
		DisplayName:  k.DisplayName,
		Role:         rpc.RoleToProto(k.Role),
		Organisation: k.Organisation,
		OrgAdmin:     k.OrgAdmin,
		KeyPrefix:    k.KeyPrefix,
		CreateTime:   timestamppb.New(k.CreateTime),
		UpdateTime:   timestamppb.New(k.CreateTime),
		Etag:         keyEtag(k),
		State:        millwav1.ApiKey_STATE_ACTIVE,
	}
	if !k.ExpireTime.IsZero() {
		out.ExpireTime = timestamppb.New(k.ExpireTime)
		if !k.Active(s.now()) {
			out.State = millwav1.ApiKey_STATE_EXPIRED
		}
	}
	if !k.LastUseTime.IsZero() {
		out.LastUseTime = timestamppb.New(k.LastUseTime)
	}
	if !k.RevokeTime.IsZero() {
		out.RevokeTime = timestamppb.New(k.RevokeTime)
		out.UpdateTime = out.RevokeTime
		out.State = millwav1.ApiKey_STATE_REVOKED
	}
	return out
}

// keyEtag changes when a key is revoked, its only change.
func keyEtag(k *millwa.APIKey) string {
	if k.RevokeTime.IsZero() {
		return "r1"
	}
	return "r2"
}
