package server_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/server"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// accessOutcome is what the access check should decide for a call.
type accessOutcome int

const (
	// accessPasses: the call gets past authentication and the policy table; the
	// service answers whatever it answers, but never Unauthenticated or
	// PermissionDenied.
	accessPasses accessOutcome = iota
	accessUnauthenticated
	accessDenied
)

func (o accessOutcome) String() string {
	return [...]string{"passes (neither Unauthenticated nor PermissionDenied)", "Unauthenticated", "PermissionDenied"}[o]
}

// accessCaller is one column of the matrix: a key (or none) and what it is.
type accessCaller struct {
	name   string
	secret string      // "" for no key
	role   millwa.Role // of a valid key
	valid  bool        // the key authenticates (neither revoked nor expired)
	conn   *grpc.ClientConn
}

// accessPolicyOutcome is what auth.Policy says for a call of method by c,
// as the authenticator applies it: a method missing from the table is
// refused outright; a missing key is fine only on public methods; a key that is
// present must be valid, even on public methods; then the role decides.
func accessPolicyOutcome(method string, c accessCaller) accessOutcome {
	access, ok := auth.Policy[method]
	switch {
	case !ok:
		return accessDenied
	case c.secret == "":
		if access.Public {
			return accessPasses
		}
		return accessUnauthenticated
	case !c.valid:
		return accessUnauthenticated
	case access.Public || access.Allows(c.role):
		return accessPasses
	default:
		return accessDenied
	}
}

// fixedAccess are expectations written by hand from the API's documented
// "Caller" lines, independently of auth.Policy, so that a wrong table cannot
// make the matrix pass by construction.
var fixedAccess = map[[2]string]accessOutcome{
	{"/millwa.v1.RegistryService/CreateAssociation", "admin"}:          accessPasses,
	{"/millwa.v1.RegistryService/CreateAssociation", "association"}:    accessDenied,
	{"/millwa.v1.RegistryService/CreateAssociation", "processor"}:      accessDenied,
	{"/millwa.v1.RegistryService/CreateAssociation", "agency"}:         accessDenied,
	{"/millwa.v1.RegistryService/CreateAssociation", "none"}:           accessUnauthenticated,
	{"/millwa.v1.RegistryService/ListAssociations", "none"}:            accessUnauthenticated,
	{"/millwa.v1.RegistryService/ListAssociations", "agency"}:          accessPasses,
	{"/millwa.v1.RegistryService/ListAssociations", "revoked"}:         accessUnauthenticated,
	{"/millwa.v1.RegistryService/ListMembers", "processor"}:            accessDenied,
	{"/millwa.v1.RegistryService/ListMembers", "agency"}:               accessDenied,
	{"/millwa.v1.RegistryService/CreateLot", "association"}:            accessPasses,
	{"/millwa.v1.RegistryService/CreateReceipt", "association"}:        accessPasses,
	{"/millwa.v1.RegistryService/CreateReceipt", "processor"}:          accessDenied,
	{"/millwa.v1.RegistryService/CreateReceipt", "agency"}:             accessDenied,
	{"/millwa.v1.RegistryService/ListReceipts", "processor"}:           accessDenied,
	{"/millwa.v1.RegistryService/ListReceipts", "agency"}:              accessDenied,
	{"/millwa.v1.RegistryService/VoidReceipt", "processor"}:            accessDenied,
	{"/millwa.v1.RegistryService/RecordMemberPayment", "processor"}:    accessDenied,
	{"/millwa.v1.RegistryService/RecordMemberPayment", "agency"}:       accessDenied,
	{"/millwa.v1.RegistryService/RecordMemberPayment", "admin"}:        accessPasses,
	{"/millwa.v1.RegistryService/ListMemberStatements", "processor"}:   accessDenied,
	{"/millwa.v1.RegistryService/ListMemberStatements", "agency"}:      accessDenied,
	{"/millwa.v1.RegistryService/ListMemberStatements", "association"}: accessPasses,
	// Reads of member data pass the policy for every role; the store's
	// scope then answers NotFound to processors and agencies (see
	// TestAcopioTenancy).
	{"/millwa.v1.RegistryService/GetReceipt", "processor"}:          accessPasses,
	{"/millwa.v1.RegistryService/GetMemberStatement", "agency"}:     accessPasses,
	{"/millwa.v1.MarketService/GetMarketStats", "none"}:             accessPasses,
	{"/millwa.v1.MarketService/GetMarketStats", "agency"}:           accessPasses,
	{"/millwa.v1.MarketService/GetMarketStats", "revoked"}:          accessUnauthenticated,
	{"/millwa.v1.MarketService/GetMarketStats", "expired"}:          accessUnauthenticated,
	{"/millwa.v1.MarketService/RunClearing", "association"}:         accessDenied,
	{"/millwa.v1.MarketService/RunClearing", "processor"}:           accessDenied,
	{"/millwa.v1.MarketService/CreatePurchaseOrder", "association"}: accessDenied,
	{"/millwa.v1.MarketService/CreatePurchaseOrder", "processor"}:   accessPasses,
	{"/millwa.v1.MarketService/ConfirmTrade", "admin"}:              accessDenied,
	{"/millwa.v1.MarketService/WatchMarket", "agency"}:              accessDenied,
	{"/millwa.v1.MarketService/WatchMarket", "processor"}:           accessPasses,
	{"/millwa.v1.GradingService/GradeSample", "none"}:               accessPasses,
	{"/millwa.v1.AuditService/ListAuditEvents", "association"}:      accessDenied,
	{"/millwa.v1.AuditService/ListAuditEvents", "processor"}:        accessDenied,
	{"/millwa.v1.AuditService/ListAuditEvents", "agency"}:           accessPasses,
	{"/millwa.v1.AuditService/CreateAgency", "agency"}:              accessDenied,
	{"/millwa.v1.AuditService/GetCheckGrading", "association"}:      accessDenied,
	{"/millwa.v1.AuditService/GetCheckGrading", "processor"}:        accessDenied,
	{"/millwa.v1.AuditService/GetCheckGrading", "agency"}:           accessPasses,
	{"/millwa.v1.AuditService/GetCheckGrading", "none"}:             accessUnauthenticated,
	{"/millwa.v1.IdentityService/WhoAmI", "none"}:                   accessUnauthenticated,
	{"/millwa.v1.IdentityService/WhoAmI", "agency"}:                 accessPasses,
	{"/millwa.v1.IdentityService/WhoAmI", "expired"}:                accessUnauthenticated,
}

// accessServiceDenied are calls the table admits by role but the service
// refuses by its own documented rule, after authentication: CreateApiKey is
// for platform admins and organisations' admin keys, and the matrix's
// organisation keys are not org admins.
var accessServiceDenied = map[[2]string]bool{
	{"/millwa.v1.IdentityService/CreateApiKey", "association"}: true,
	{"/millwa.v1.IdentityService/CreateApiKey", "processor"}:   true,
	{"/millwa.v1.IdentityService/CreateApiKey", "agency"}:      true,
}

// accessPassingCodes are the answers a service may give to an empty request once
// access is granted. Anything else (Internal, Unavailable, a rate limit…)
// means the matrix did not observe a decision of the service and fails.
var accessPassingCodes = map[codes.Code]bool{
	codes.OK: true, codes.InvalidArgument: true, codes.NotFound: true, codes.FailedPrecondition: true,
	codes.Unimplemented: true, codes.AlreadyExists: true, codes.Aborted: true, codes.OutOfRange: true,
}

// accessSampleID fills path variables of REST routes: a syntactically valid id.
const accessSampleID = "0192d1a0-0000-7000-8000-000000000000"

// accessRoute is an HTTP rule of millwa_http.yaml.
type accessRoute struct {
	verb, template string
	hasBody        bool
}

// accessRoutes reads the HTTP rules of the gateway, by full method name.
func accessRoutes(t *testing.T) map[string]accessRoute {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "proto", "millwa", "v1", "millwa_http.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]accessRoute{}
	var selector string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(strings.TrimPrefix(line, "- "), ":")
		if !ok {
			continue
		}
		value = strings.Trim(strings.TrimSpace(value), `"'`)
		switch key {
		case "selector":
			i := strings.LastIndex(value, ".")
			selector = "/" + value[:i] + "/" + value[i+1:]
		case "get", "post", "put", "patch", "delete":
			if selector == "" {
				t.Fatalf("millwa_http.yaml: %s %s outside a rule", key, value)
			}
			r := routes[selector]
			r.verb, r.template = strings.ToUpper(key), value
			routes[selector] = r
		case "body":
			r := routes[selector]
			r.hasBody = value != ""
			routes[selector] = r
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(routes) == 0 {
		t.Fatal("millwa_http.yaml: no HTTP rules found")
	}
	return routes
}

var accessPathVariable = regexp.MustCompile(`\{([^}=]+)(?:=([^}]*))?\}`)

// accessFillPath replaces each path variable of a route template with a valid
// name: "{name=associations/*/lots/*}" becomes
// "associations/<id>/lots/<id>".
func accessFillPath(template string) string {
	return accessPathVariable.ReplaceAllStringFunc(template, func(v string) string {
		m := accessPathVariable.FindStringSubmatch(v)
		if m[2] == "" {
			return accessSampleID
		}
		return strings.ReplaceAll(strings.ReplaceAll(m[2], "**", accessSampleID), "*", accessSampleID)
	})
}

// startAccessServer is startServer with a rate limit high enough that the
// matrix, which calls every RPC with the same few keys as fast as it can,
// never meets it.
func startAccessServer(t *testing.T, dbURL string, opts ...server.Option) *testServer {
	t.Helper()
	return startServerWith(t, dbURL, func(c *config.Config) { c.RateLimit, c.RateBurst = 1e6, 1e6 }, opts...)
}

// accessCallers makes one key of each role, a revoked key and an expired
// key, and returns them with "no key", each with its gRPC connection. It
// waits until the expired key has expired.
func accessCallers(t *testing.T, ts *testServer) []accessCaller {
	t.Helper()
	identity := millwav1.NewIdentityServiceClient(ts.conn)
	whoAmI := func(secret string) (*millwav1.WhoAmIResponse, error) {
		return millwav1.NewIdentityServiceClient(ts.dial(t, secret)).WhoAmI(t.Context(), &millwav1.WhoAmIRequest{})
	}

	// The expiring key first, so that setting up the others uses up some of
	// its life.
	assoc := ts.createAssociation(t, "080101")
	expireAt := time.Now().Add(2 * time.Second)
	resp, err := identity.CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{ApiKey: &millwav1.ApiKey{
		DisplayName: "expiring", Role: millwav1.Role_ROLE_ASSOCIATION, Organisation: assoc.GetName(),
		ExpireTime: timestamppb.New(expireAt),
	}})
	if err != nil {
		t.Fatalf("CreateApiKey with expire_time: %v", err)
	}
	expiredSecret := resp.GetSecret()
	if _, err := whoAmI(expiredSecret); err != nil {
		t.Fatalf("the expiring key does not work before it expires: %v", err)
	}

	_, assocSecret := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, assoc.GetName(), false)
	_, procSecret := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, ts.insertProcessor(t, "080101"), false)
	_, agencySecret := ts.createKey(t, millwav1.Role_ROLE_AGENCY, ts.insertAgency(t, "08", "0901"), false)
	revokedName, revokedSecret := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, assoc.GetName(), false)
	if _, err := whoAmI(revokedSecret); err != nil {
		t.Fatalf("the key to revoke does not work before it is revoked: %v", err)
	}
	if _, err := identity.RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: revokedName}); err != nil {
		t.Fatalf("RevokeApiKey: %v", err)
	}
	for _, k := range []struct{ name, secret string }{{"association", assocSecret}, {"processor", procSecret}, {"agency", agencySecret}} {
		who, err := whoAmI(k.secret)
		if err != nil {
			t.Fatalf("the %s key does not work: %v", k.name, err)
		}
		if k.name == "agency" && fmt.Sprint(who.GetRegions()) != "[08 0901]" {
			t.Fatalf("the agency key has regions %v, want [08 0901]", who.GetRegions())
		}
	}

	callers := []accessCaller{
		{name: "admin", secret: adminSecret, role: millwa.RoleAdmin, valid: true, conn: ts.conn},
		{name: "association", secret: assocSecret, role: millwa.RoleAssociation, valid: true},
		{name: "processor", secret: procSecret, role: millwa.RoleProcessor, valid: true},
		{name: "agency", secret: agencySecret, role: millwa.RoleAgency, valid: true},
		{name: "none"},
		{name: "revoked", secret: revokedSecret, role: millwa.RoleAssociation},
		{name: "expired", secret: expiredSecret, role: millwa.RoleAssociation},
	}
	for i := range callers {
		if callers[i].conn == nil {
			callers[i].conn = ts.dial(t, callers[i].secret)
		}
	}
	time.Sleep(time.Until(expireAt) + 100*time.Millisecond)
	return callers
}

// accessMethod finds an RPC of the generated descriptors by its full
// method name, or reports that there is none and returns nil.
func accessMethod(t *testing.T, method string) protoreflect.MethodDescriptor {
	t.Helper()
	service, name, _ := strings.Cut(strings.TrimPrefix(method, "/"), "/")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service))
	if err != nil {
		t.Errorf("%s: service not in the generated descriptors: %v", method, err)
		return nil
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		t.Errorf("%s: %s is not a service", method, service)
		return nil
	}
	md := sd.Methods().ByName(protoreflect.Name(name))
	if md == nil {
		t.Errorf("%s: no such RPC in the proto", method)
	}
	return md
}

// accessCallGRPC calls method with an empty request over conn. A streaming RPC is
// opened and its first message (or error) read; one that stays open with
// nothing to send within a few seconds answers DeadlineExceeded.
func accessCallGRPC(ctx context.Context, conn *grpc.ClientConn, method string, md protoreflect.MethodDescriptor) error {
	in, out := dynamicpb.NewMessage(md.Input()), dynamicpb.NewMessage(md.Output())
	if !md.IsStreamingClient() && !md.IsStreamingServer() {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		return conn.Invoke(ctx, method, in, out)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{
		StreamName: string(md.Name()), ServerStreams: md.IsStreamingServer(), ClientStreams: md.IsStreamingClient(),
	}, method)
	if err != nil {
		return err
	}
	if err := stream.SendMsg(in); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	return stream.RecvMsg(out)
}

// accessTally records the answers seen, for the log.
type accessTally struct {
	mu     sync.Mutex
	cases  map[string]int
	counts map[string]map[string]int // transport → answer → count
	rows   []string
}

func (a *accessTally) add(method, caller, transport, answer, detail string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cases[transport]++
	if a.counts[transport] == nil {
		a.counts[transport] = map[string]int{}
	}
	a.counts[transport][answer]++
	a.rows = append(a.rows, fmt.Sprintf("%-45s %-11s %-4s %-18s %.120s", method, caller, transport, answer, detail))
}

// summary counts the cases and answers of each transport.
func (a *accessTally) summary() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var b strings.Builder
	transports := make([]string, 0, len(a.cases))
	for tr := range a.cases {
		transports = append(transports, tr)
	}
	sort.Strings(transports)
	for _, tr := range transports {
		answers := make([]string, 0, len(a.counts[tr]))
		for ans, n := range a.counts[tr] {
			answers = append(answers, fmt.Sprintf("%s×%d", ans, n))
		}
		sort.Strings(answers)
		fmt.Fprintf(&b, "%s: %d cases (%s); ", tr, a.cases[tr], strings.Join(answers, ", "))
	}
	return b.String()
}

// table lists every answer, sorted by method, caller and transport.
func (a *accessTally) table() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	rows := slices.Clone(a.rows)
	sort.Strings(rows)
	return strings.Join(rows, "\n")
}

// TestAccessMatrix calls every RPC of auth.Policy under millwa.v1 (and of
// fixedAccess) as every caller, over gRPC and REST, and checks that the
// answer is the one the policy table (or the hand-written expectation)
// gives: Unauthenticated (401), PermissionDenied (403), or neither.
func TestAccessMatrix(t *testing.T) {
	callerNames := map[string]bool{}
	for _, c := range []string{"admin", "association", "processor", "agency", "none", "revoked", "expired"} {
		callerNames[c] = true
	}
	// The hand-written expectations agree with the table.
	for k, want := range fixedAccess {
		if !callerNames[k[1]] {
			t.Fatalf("fixedAccess names unknown caller %q", k[1])
		}
		c := accessCaller{name: k[1], secret: "x", valid: k[1] != "revoked" && k[1] != "expired", role: millwa.Role(k[1])}
		switch k[1] {
		case "none":
			c.secret = ""
		case "revoked", "expired":
			c.role = millwa.RoleAssociation
		}
		if got := accessPolicyOutcome(k[0], c); got != want {
			t.Errorf("auth.Policy says %s for %s by %s; the API documents %s", got, k[0], k[1], want)
		}
	}

	methodSet := map[string]bool{}
	for m := range auth.Policy {
		if strings.HasPrefix(m, "/millwa.v1.") {
			methodSet[m] = true
		}
	}
	for k := range fixedAccess {
		methodSet[k[0]] = true
	}
	methods := make([]string, 0, len(methodSet))
	for m := range methodSet {
		methods = append(methods, m)
	}
	sort.Strings(methods)
	routes := accessRoutes(t)

	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		start := time.Now()
		ts := startAccessServer(t, dbURL)
		callers := accessCallers(t, ts)
		tally := &accessTally{cases: map[string]int{}, counts: map[string]map[string]int{}}
		t.Cleanup(func() {
			if testing.Verbose() {
				t.Logf("answers:\n%s", tally.table())
			}
			t.Logf("%s in %v", tally.summary(), time.Since(start).Round(time.Millisecond))
		})

		for _, method := range methods {
			md := accessMethod(t, method)
			if md == nil {
				continue
			}
			streaming := md.IsStreamingClient() || md.IsStreamingServer()
			route, hasRoute := routes[method]
			if !streaming && !hasRoute {
				t.Errorf("%s has no REST route in millwa_http.yaml", method)
			}
			t.Run(strings.Replace(strings.TrimPrefix(method, "/millwa.v1."), "/", ".", 1), func(t *testing.T) {
				t.Parallel()
				for _, c := range callers {
					want, fixed := fixedAccess[[2]string{method, c.name}]
					if !fixed {
						want = accessPolicyOutcome(method, c)
					}
					if want == accessPasses && accessServiceDenied[[2]string{method, c.name}] {
						want = accessDenied
					}
					t.Run(c.name, func(t *testing.T) {
						t.Parallel()
						t.Run("grpc", func(t *testing.T) {
							t.Parallel()
							err := accessCallGRPC(t.Context(), c.conn, method, md)
							st := status.Convert(err)
							tally.add(method, c.name, "grpc", st.Code().String(), st.Message())
							checkAccessGRPC(t, want, st, streaming)
						})
						if streaming || !hasRoute {
							return
						}
						t.Run("rest", func(t *testing.T) {
							t.Parallel()
							body := ""
							if route.hasBody {
								body = "{}"
							}
							path := accessFillPath(route.template)
							res := ts.restAs(t, c.secret, route.verb, path, body)
							tally.add(method, c.name, "rest", fmt.Sprint(res.code), route.verb+" "+path)
							checkAccessREST(t, want, route.verb+" "+path, res)
						})
					})
				}
			})
		}
	})
}

func checkAccessGRPC(t *testing.T, want accessOutcome, st *status.Status, streaming bool) {
	t.Helper()
	switch want {
	case accessUnauthenticated:
		if st.Code() != codes.Unauthenticated {
			t.Errorf("answer %v %q, want Unauthenticated", st.Code(), st.Message())
		}
	case accessDenied:
		if st.Code() != codes.PermissionDenied {
			t.Errorf("answer %v %q, want PermissionDenied", st.Code(), st.Message())
		}
	default:
		ok := accessPassingCodes[st.Code()] || (streaming && st.Code() == codes.DeadlineExceeded)
		if !ok {
			t.Errorf("answer %v %q, want %s and a decision of the service (%v)", st.Code(), st.Message(), want, accessSortedCodes(accessPassingCodes))
		}
	}
}

func checkAccessREST(t *testing.T, want accessOutcome, call string, res restResult) {
	t.Helper()
	code, msg := codes.OK, ""
	if res.code != http.StatusOK {
		code, msg = restStatus(t, res)
	}
	if strings.HasPrefix(msg, "no REST route") || strings.Contains(msg, "is not allowed on") {
		t.Fatalf("%s: the gateway has no such route (%d %s): the test built a wrong path", call, res.code, msg)
	}
	switch want {
	case accessUnauthenticated:
		if res.code != http.StatusUnauthorized || code != codes.Unauthenticated {
			t.Errorf("%s: HTTP %d %v %q, want 401 Unauthenticated", call, res.code, code, msg)
		}
	case accessDenied:
		if res.code != http.StatusForbidden || code != codes.PermissionDenied {
			t.Errorf("%s: HTTP %d %v %q, want 403 PermissionDenied", call, res.code, code, msg)
		}
	default:
		if res.code == http.StatusUnauthorized || res.code == http.StatusForbidden || !accessPassingCodes[code] {
			t.Errorf("%s: HTTP %d %v %q, want %s and a decision of the service", call, res.code, code, msg, want)
		}
	}
}

func accessSortedCodes(m map[codes.Code]bool) []codes.Code {
	out := make([]codes.Code, 0, len(m))
	for c := range m {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
