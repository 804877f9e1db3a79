package auth_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/millwa"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// apiPackage is the proto package whose every RPC the policy table must
// cover.
const apiPackage = "millwa.v1"

// apiMethods returns the full method names ("/millwa.v1.Service/Method") of
// every RPC of every service in apiPackage, as registered by the generated
// code, and the services seen.
func apiMethods(t *testing.T) (methods map[string]protoreflect.MethodDescriptor, services []string) {
	t.Helper()
	_ = millwav1.File_millwa_v1_registry_proto // the generated package registers the files
	methods = map[string]protoreflect.MethodDescriptor{}
	protoregistry.GlobalFiles.RangeFilesByPackage(apiPackage, func(fd protoreflect.FileDescriptor) bool {
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			services = append(services, string(sd.Name()))
			for j := 0; j < sd.Methods().Len(); j++ {
				md := sd.Methods().Get(j)
				methods[fmt.Sprintf("/%s/%s", sd.FullName(), md.Name())] = md
			}
		}
		return true
	})
	sort.Strings(services)
	return methods, services
}

func TestPolicyCoversEveryRPC(t *testing.T) {
	methods, services := apiMethods(t)
	// The walk must see the services the API is known to have; otherwise an
	// unregistered file would make this test pass on nothing.
	for _, want := range []string{"AuditService", "GradingService", "IdentityService", "MarketService", "RegistryService"} {
		if !slices.Contains(services, want) {
			t.Errorf("service %s.%s not found among the registered descriptors (found %v)", apiPackage, want, services)
		}
	}
	var missing []string
	for m := range methods {
		if _, ok := auth.Policy[m]; !ok {
			missing = append(missing, m)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("RPC %s is in the proto but not in auth.Policy: add it (public, or the roles that may call it); until then nobody may call it", m)
	}
	t.Logf("%d RPCs in %d services of %s", len(methods), len(services), apiPackage)
}

func TestPolicyHasNoStaleEntries(t *testing.T) {
	methods, _ := apiMethods(t)
	var stale []string
	for m := range auth.Policy {
		if !strings.HasPrefix(m, "/"+apiPackage+".") {
			continue
		}
		if _, ok := methods[m]; !ok {
			stale = append(stale, m)
		}
	}
	sort.Strings(stale)
	for _, m := range stale {
		t.Errorf("auth.Policy has %s, which is not an RPC of the proto package %s (renamed or removed?)", m, apiPackage)
	}
}

func TestPolicyEntriesAreWellFormed(t *testing.T) {
	known := []millwa.Role{millwa.RoleAdmin, millwa.RoleAssociation, millwa.RoleProcessor, millwa.RoleAgency}
	names := make([]string, 0, len(auth.Policy))
	for m := range auth.Policy {
		names = append(names, m)
	}
	sort.Strings(names)
	for _, m := range names {
		a := auth.Policy[m]
		if service, method, ok := strings.Cut(strings.TrimPrefix(m, "/"), "/"); !strings.HasPrefix(m, "/") || !ok || service == "" || method == "" || strings.Contains(method, "/") {
			t.Errorf("auth.Policy key %q is not a full gRPC method name /package.Service/Method", m)
		}
		if !a.Public && len(a.Roles) == 0 {
			t.Errorf("%s is not public and lists no role: nobody could call it", m)
		}
		seen := map[millwa.Role]bool{}
		for _, r := range a.Roles {
			if seen[r] {
				t.Errorf("%s lists role %q twice", m, r)
			}
			seen[r] = true
			if !slices.Contains(known, r) {
				t.Errorf("%s lists unknown role %q", m, r)
			}
		}
	}
}

// fakeKeys is a KeyStore over a map of keys by digest.
type fakeKeys struct {
	keys    map[[32]byte]millwa.APIKey
	regions map[string][]string
	failing map[[32]byte]bool // digests whose lookup fails as if the database were down

	mu      sync.Mutex
	touched []string
}

func (f *fakeKeys) LookupAPIKey(_ context.Context, digest [32]byte) (millwa.APIKey, error) {
	if f.failing[digest] {
		return millwa.APIKey{}, errors.New("connection refused")
	}
	k, ok := f.keys[digest]
	if !ok {
		return millwa.APIKey{}, millwa.Errorf(millwa.NotFound, "no such key")
	}
	return k, nil
}

func (f *fakeKeys) AgencyRegions(_ context.Context, agencyID string) ([]string, error) {
	return f.regions[agencyID], nil
}

func (f *fakeKeys) TouchAPIKey(_ context.Context, id string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.touched = append(f.touched, id)
	return nil
}

// fakeStream is the least of a ServerTransportStream, enough for
// grpc.Method to name the call's method.
type fakeStream struct{ method string }

func (s fakeStream) Method() string             { return s.method }
func (fakeStream) SetHeader(metadata.MD) error  { return nil }
func (fakeStream) SendHeader(metadata.MD) error { return nil }
func (fakeStream) SetTrailer(metadata.MD) error { return nil }

// callContext is the context of an incoming call of method with the given
// authorization header values (none: no header). An empty method gives a
// context without a transport stream, so grpc.Method finds nothing.
func callContext(method string, authorization ...string) context.Context {
	ctx := context.Background()
	if len(authorization) > 0 {
		ctx = metadata.NewIncomingContext(ctx, metadata.MD{"authorization": authorization})
	}
	if method != "" {
		ctx = grpc.NewContextWithServerTransportStream(ctx, fakeStream{method: method})
	}
	return ctx
}

func TestAuthenticate(t *testing.T) {
	const (
		adminSecret   = "mlw_admin-secret-0123456789"
		assocSecret   = "mlw_assoc-secret-0123456789"
		procSecret    = "mlw_proc-secret-0123456789"
		agencySecret  = "mlw_agency-secret-0123456789"
		revokedSecret = "mlw_revoked-secret-0123456789"
		expiredSecret = "mlw_expired-secret-0123456789"
		laterSecret   = "mlw_later-secret-0123456789" // expires in an hour
		downSecret    = "mlw_down-secret-0123456789"  // its lookup fails
		unknownSecret = "mlw_unknown-secret-0123456789"

		listAssociations  = "/millwa.v1.RegistryService/ListAssociations"
		createAssociation = "/millwa.v1.RegistryService/CreateAssociation"
		listAuditEvents   = "/millwa.v1.AuditService/ListAuditEvents"
		confirmTrade      = "/millwa.v1.MarketService/ConfirmTrade"
		marketStats       = "/millwa.v1.MarketService/GetMarketStats"
		notInTable        = "/millwa.v1.RegistryService/DeleteEverything"
	)
	now := time.Now()
	key := func(id string, role millwa.Role, org string) millwa.APIKey {
		return millwa.APIKey{ID: id, Role: role, Organisation: org, KeyPrefix: "mlw_Xy12Ab34", CreateTime: now.Add(-time.Hour)}
	}
	revoked := key("revoked", millwa.RoleAssociation, "associations/a1")
	revoked.RevokeTime = now.Add(-time.Minute)
	expired := key("expired", millwa.RoleAssociation, "associations/a1")
	expired.ExpireTime = now.Add(-time.Second)
	later := key("later", millwa.RoleAssociation, "associations/a1")
	later.ExpireTime = now.Add(time.Hour)
	store := &fakeKeys{
		keys: map[[32]byte]millwa.APIKey{
			auth.Digest(adminSecret):   key("admin", millwa.RoleAdmin, ""),
			auth.Digest(assocSecret):   key("assoc", millwa.RoleAssociation, "associations/a1"),
			auth.Digest(procSecret):    key("proc", millwa.RoleProcessor, "processors/p1"),
			auth.Digest(agencySecret):  key("agency", millwa.RoleAgency, "agencies/g1"),
			auth.Digest(revokedSecret): revoked,
			auth.Digest(expiredSecret): expired,
			auth.Digest(laterSecret):   later,
		},
		regions: map[string][]string{"g1": {"08", "0901"}},
		failing: map[[32]byte]bool{auth.Digest(downSecret): true},
	}
	a := auth.NewAuthenticator(store, auth.Policy, slog.New(slog.DiscardHandler))

	tests := []struct {
		name    string
		ctx     context.Context
		want    millwa.Code // "" for a call let through
		role    millwa.Role // of the principal; "" for none
		org     string
		regions []string
		msg     string // the error message contains it
	}{
		{"no header on a non-public method", callContext(listAssociations), millwa.Unauthenticated, "", "", nil, ""},
		{"scheme other than Bearer", callContext(listAssociations, "Basic "+adminSecret), millwa.Unauthenticated, "", "", nil, ""},
		{"no scheme", callContext(listAssociations, adminSecret), millwa.Unauthenticated, "", "", nil, ""},
		{"Bearer without secret", callContext(listAssociations, "Bearer"), millwa.Unauthenticated, "", "", nil, ""},
		{"Bearer with empty secret", callContext(listAssociations, "Bearer "), millwa.Unauthenticated, "", "", nil, ""},
		{"Bearer with blank secret", callContext(listAssociations, "Bearer    "), millwa.Unauthenticated, "", "", nil, ""},
		{"two headers", callContext(listAssociations, "Bearer "+adminSecret, "Bearer "+adminSecret), millwa.Unauthenticated, "", "", nil, ""},
		{"empty header", callContext(listAssociations, ""), millwa.Unauthenticated, "", "", nil, ""},
		{"malformed header on a public method", callContext(marketStats, "Basic "+adminSecret), millwa.Unauthenticated, "", "", nil, ""},
		{"unknown key", callContext(listAssociations, "Bearer "+unknownSecret), millwa.Unauthenticated, "", "", nil, ""},
		{"unknown key on a public method", callContext(marketStats, "Bearer "+unknownSecret), millwa.Unauthenticated, "", "", nil, ""},
		{"revoked key", callContext(listAssociations, "Bearer "+revokedSecret), millwa.Unauthenticated, "", "", nil, "revoked"},
		{"revoked key on a public method", callContext(marketStats, "Bearer "+revokedSecret), millwa.Unauthenticated, "", "", nil, ""},
		{"expired key", callContext(listAssociations, "Bearer "+expiredSecret), millwa.Unauthenticated, "", "", nil, "expired"},
		{"expired key on a public method", callContext(marketStats, "Bearer "+expiredSecret), millwa.Unauthenticated, "", "", nil, ""},
		{"key store down", callContext(listAssociations, "Bearer "+downSecret), millwa.Unavailable, "", "", nil, ""},
		{"processor may not create associations", callContext(createAssociation, "Bearer "+procSecret), millwa.PermissionDenied, "", "", nil, createAssociation},
		{"association may not read the audit log", callContext(listAuditEvents, "Bearer "+assocSecret), millwa.PermissionDenied, "", "", nil, ""},
		{"admin may not confirm a trade", callContext(confirmTrade, "Bearer "+adminSecret), millwa.PermissionDenied, "", "", nil, ""},
		{"method missing from the table, admin key", callContext(notInTable, "Bearer "+adminSecret), millwa.PermissionDenied, "", "", nil, notInTable},
		{"method missing from the table, no key", callContext(notInTable), millwa.PermissionDenied, "", "", nil, ""},
		{"no method in the context", callContext("", "Bearer "+adminSecret), millwa.PermissionDenied, "", "", nil, ""},
		{"public method without key", callContext(marketStats), "", "", "", nil, ""},
		{"public method with a valid key", callContext(marketStats, "Bearer "+procSecret), "", millwa.RoleProcessor, "processors/p1", nil, ""},
		{"admin creates an association", callContext(createAssociation, "Bearer "+adminSecret), "", millwa.RoleAdmin, "", nil, ""},
		{"lower-case bearer scheme", callContext(createAssociation, "bearer "+adminSecret), "", millwa.RoleAdmin, "", nil, ""},
		{"association lists associations", callContext(listAssociations, "Bearer "+assocSecret), "", millwa.RoleAssociation, "associations/a1", nil, ""},
		{"key expiring later", callContext(listAssociations, "Bearer "+laterSecret), "", millwa.RoleAssociation, "associations/a1", nil, ""},
		{"agency key gets its regions", callContext(listAuditEvents, "Bearer "+agencySecret), "", millwa.RoleAgency, "agencies/g1", []string{"08", "0901"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, err := a.Authenticate(tt.ctx)
			if got := millwa.ErrorCode(err); got != tt.want {
				t.Fatalf("Authenticate: %v, want %v", err, tt.want)
			}
			if err != nil {
				var me *millwa.Error
				if !errors.As(err, &me) {
					t.Fatalf("error %v is not a *millwa.Error", err)
				}
				if !strings.Contains(me.Message, tt.msg) {
					t.Errorf("message %q does not say %q", me.Message, tt.msg)
				}
				if ctx != nil {
					t.Errorf("refused call returned a context")
				}
				return
			}
			p, ok := auth.FromContext(ctx)
			if tt.role == "" {
				if ok {
					t.Fatalf("call without key got principal %+v, want none", p)
				}
				return
			}
			if !ok {
				t.Fatalf("no principal, want one of role %s", tt.role)
			}
			if p.Role != tt.role || p.Organisation != tt.org || fmt.Sprint(p.Regions) != fmt.Sprint(tt.regions) || p.KeyID == "" {
				t.Fatalf("principal %+v, want role %s, organisation %q, regions %v", p, tt.role, tt.org, tt.regions)
			}
		})
	}
}
