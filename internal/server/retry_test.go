package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// createAssociationREST sends req to POST /v1/associations and returns the
// HTTP answer.
func createAssociationREST(t *testing.T, ts *testServer, secret string, req *millwav1.CreateAssociationRequest) restResult {
	t.Helper()
	path := "/v1/associations"
	if id := req.GetRequestId(); id != "" {
		path += "?requestId=" + url.QueryEscape(id)
	}
	return ts.restAs(t, secret, http.MethodPost, path, jsonBody(t, req.GetAssociation()))
}

func TestRetrySameRequestIDSameRequest(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		client := millwav1.NewRegistryServiceClient(ts.conn)
		req := &millwav1.CreateAssociationRequest{Association: newAssociation(1, "210101"), RequestId: "0190f3a2-5c1e-7b7a-9a4e-3f2d1c0b9a87"}
		first, err := client.CreateAssociation(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		before := countState(t, ts)
		for i := range 3 {
			again, err := client.CreateAssociation(t.Context(), req)
			if err != nil {
				t.Fatalf("retry %d: %v", i, err)
			}
			if diff := cmp.Diff(first, again, protocmp.Transform()); diff != "" {
				t.Errorf("retry %d answered differently (-first +retry):\n%s", i, diff)
			}
		}
		// The same request over REST is the same request.
		var rest millwav1.Association
		restOK(t, "REST retry", createAssociationREST(t, ts, adminSecret, req), &rest)
		if diff := cmp.Diff(first.GetAssociation(), &rest, protocmp.Transform()); diff != "" {
			t.Errorf("REST retry answered differently (-first +retry):\n%s", diff)
		}
		checkNothingWritten(t, ts, before)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM associations WHERE ruc = ?", req.GetAssociation().GetRuc()); n != 1 {
			t.Errorf("%d associations with the RUC, want 1", n)
		}

		// Without a request_id a retry is a new request: the RUC is taken.
		req.RequestId = ""
		_, err = client.CreateAssociation(t.Context(), req)
		wantCode(t, "the same request without request_id", err, codes.AlreadyExists)

		// The same id on another method is another id.
		key, err := millwav1.NewIdentityServiceClient(ts.conn).CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{
			ApiKey:    &millwav1.ApiKey{DisplayName: "same id, other method", Role: millwav1.Role_ROLE_ASSOCIATION, Organisation: first.GetAssociation().GetName()},
			RequestId: "0190f3a2-5c1e-7b7a-9a4e-3f2d1c0b9a87",
		})
		if err != nil || key.GetSecret() == "" {
			t.Errorf("CreateApiKey with a request_id used by CreateAssociation: %v %v", key, err)
		}
	})
}

func TestRetrySameRequestIDDifferentRequest(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		client := millwav1.NewRegistryServiceClient(ts.conn)
		req := &millwav1.CreateAssociationRequest{Association: newAssociation(1, "210101"), RequestId: "reused"}
		if _, err := client.CreateAssociation(t.Context(), req); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			mutate func(a *millwav1.Association)
		}{
			{"another association", func(a *millwav1.Association) { *a = *newAssociation(2, "080101") }},
			{"one field differs", func(a *millwav1.Association) { a.Community = "Comunidad Campesina de Ichu" }},
		}
		for _, tt := range tests {
			for _, transport := range []string{"grpc", "rest"} {
				t.Run(tt.name+"/"+transport, func(t *testing.T) {
					other := proto.Clone(req).(*millwav1.CreateAssociationRequest)
					tt.mutate(other.Association)
					before := countState(t, ts)
					var st *status.Status
					if transport == "grpc" {
						_, err := client.CreateAssociation(t.Context(), other)
						st = wantCode(t, "same request_id, different request", err, codes.InvalidArgument)
					} else {
						st = restError(t, "same request_id, different request over REST", createAssociationREST(t, ts, adminSecret, other),
							http.StatusBadRequest, codes.InvalidArgument)
					}
					if diff := cmp.Diff([]string{"request_id"}, badRequestFields(st)); diff != "" {
						t.Errorf("BadRequest fields (-want +got):\n%s", diff)
					}
					if got := errorReason(st); got != "REQUEST_ID_REUSED" {
						t.Errorf("reason %q, want REQUEST_ID_REUSED", got)
					}
					if !strings.Contains(st.Message(), "request_id") {
						t.Errorf("message %q does not say the request_id was used for another request", st.Message())
					}
					checkNothingWritten(t, ts, before)
				})
			}
		}
	})
}

func TestRetryRequestIDsAreScopedByOrganisation(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.createAssociation(t, "210101").GetName()
		b := ts.createAssociation(t, "080101").GetName()
		_, aAdmin := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a, true)
		_, aAdmin2 := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a, true)
		_, bAdmin := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, b, true)
		const id = "shared-request-id"
		create := func(secret, org string) (*millwav1.CreateApiKeyResponse, error) {
			return millwav1.NewIdentityServiceClient(ts.dial(t, secret)).CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{
				ApiKey:    &millwav1.ApiKey{DisplayName: "field laptop", Role: millwav1.Role_ROLE_ASSOCIATION, Organisation: org},
				RequestId: id,
			})
		}
		fromA, err := create(aAdmin, a)
		if err != nil {
			t.Fatalf("A's first use of the id: %v", err)
		}
		fromB, err := create(bAdmin, b)
		if err != nil {
			t.Fatalf("B's use of the id A used: %v, want a key of its own", err)
		}
		if fromA.GetApiKey().GetName() == fromB.GetApiKey().GetName() || fromB.GetApiKey().GetOrganisation() != b {
			t.Errorf("A and B got %v and %v, want two keys, one each", fromA.GetApiKey(), fromB.GetApiKey())
		}
		// Another key of A shares A's scope: the id is spent there.
		_, err = create(aAdmin2, a)
		st := wantCode(t, "A's other org admin key reusing A's id", err, codes.FailedPrecondition)
		if !strings.Contains(st.Message(), fromA.GetApiKey().GetName()) {
			t.Errorf("message %q does not name %s", st.Message(), fromA.GetApiKey().GetName())
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM api_keys WHERE display_name = 'field laptop'"); n != 2 {
			t.Errorf("%d keys named 'field laptop', want 2 (one for A, one for B)", n)
		}
	})
}

func TestRetryAnswerSurvivesRestart(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		first := startServer(t, dbURL)
		req := &millwav1.CreateAssociationRequest{Association: newAssociation(1, "210101"), RequestId: "before-restart"}
		want, err := millwav1.NewRegistryServiceClient(first.conn).CreateAssociation(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		if err := first.stop(); err != nil {
			t.Fatalf("stopping the first server: %v", err)
		}
		second := startServer(t, dbURL)
		got, err := millwav1.NewRegistryServiceClient(second.conn).CreateAssociation(t.Context(), req)
		if err != nil {
			t.Fatalf("retry after a restart: %v", err)
		}
		if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
			t.Errorf("answer after a restart (-before +after):\n%s", diff)
		}
		if n := countRows(t, second, "SELECT COUNT(*) FROM associations"); n != 1 {
			t.Errorf("%d associations, want 1", n)
		}
	})
}

func TestRetryCreateApiKeyDoesNotShowTheSecretAgain(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.createAssociation(t, "210101").GetName()
		req := &millwav1.CreateApiKeyRequest{
			ApiKey:    &millwav1.ApiKey{DisplayName: "acopio Macusani", Role: millwav1.Role_ROLE_ASSOCIATION, Organisation: a},
			RequestId: "key-once",
		}
		client := millwav1.NewIdentityServiceClient(ts.conn)
		first, err := client.CreateApiKey(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		before := countState(t, ts)
		_, err = client.CreateApiKey(t.Context(), req)
		st := wantCode(t, "replayed CreateApiKey", err, codes.FailedPrecondition)
		if got := errorReason(st); got != "SECRET_SHOWN_ONCE" {
			t.Errorf("reason %q, want SECRET_SHOWN_ONCE", got)
		}
		if !strings.Contains(st.Message(), first.GetApiKey().GetName()) {
			t.Errorf("message %q does not name the key created first, %s", st.Message(), first.GetApiKey().GetName())
		}
		res := ts.rest(t, http.MethodPost, "/v1/apiKeys?requestId=key-once", jsonBody(t, req.GetApiKey()))
		st = restError(t, "replayed CreateApiKey over REST", res, http.StatusBadRequest, codes.FailedPrecondition)
		if got := errorReason(st); got != "SECRET_SHOWN_ONCE" || !strings.Contains(st.Message(), first.GetApiKey().GetName()) {
			t.Errorf("REST replay: reason %q, message %q; want SECRET_SHOWN_ONCE naming %s", got, st.Message(), first.GetApiKey().GetName())
		}
		checkNothingWritten(t, ts, before)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM api_keys WHERE display_name = ?", "acopio Macusani"); n != 1 {
			t.Errorf("%d keys created, want 1", n)
		}
		// The key created first still works.
		if _, err := millwav1.NewIdentityServiceClient(ts.dial(t, first.GetSecret())).WhoAmI(t.Context(), &millwav1.WhoAmIRequest{}); err != nil {
			t.Errorf("the first key: %v", err)
		}
	})
}

// TestRetryConcurrentlyOnTwoReplicas is the acceptance test of issue 3: the
// same create sent 20 times at once with one request_id, over both
// transports of two replicas on one PostgreSQL database, creates one
// resource and gets 20 identical answers.
func TestRetryConcurrentlyOnTwoReplicas(t *testing.T) {
	t.Parallel()
	dbURL := storetest.PostgresURL(t)
	replicas := []*testServer{startServer(t, dbURL), startServer(t, dbURL)}
	conns := []*grpc.ClientConn{replicas[0].dial(t, adminSecret), replicas[1].dial(t, adminSecret)}
	hc := restClient(t)
	for round := range 3 {
		req := &millwav1.CreateAssociationRequest{Association: newAssociation(100+round, "210101"), RequestId: fmt.Sprintf("burst-%d", round)}
		body := jsonBody(t, req.GetAssociation())
		const calls = 20
		answers := make([]*millwav1.Association, calls)
		errs := make([]error, calls)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range calls {
			wg.Go(func() {
				<-start
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				r := i % 2
				if i%4 < 2 {
					resp, err := millwav1.NewRegistryServiceClient(conns[r]).CreateAssociation(ctx, req)
					answers[i], errs[i] = resp.GetAssociation(), err
					return
				}
				res, err := restCall(ctx, hc, replicas[r].baseURL, adminSecret, http.MethodPost, "/v1/associations?requestId="+req.GetRequestId(), body)
				if err == nil && res.code != http.StatusOK {
					err = fmt.Errorf("HTTP %d: %s", res.code, res.body)
				}
				if err == nil {
					answers[i] = &millwav1.Association{}
					err = protojson.Unmarshal(res.body, answers[i])
				}
				errs[i] = err
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d, call %d (replica %d, %s): %v", round, i, i%2, map[bool]string{true: "gRPC", false: "REST"}[i%4 < 2], err)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		for i := 1; i < calls; i++ {
			if diff := cmp.Diff(answers[0], answers[i], protocmp.Transform()); diff != "" {
				t.Errorf("round %d: answer %d differs from answer 0 (-0 +%d):\n%s", round, i, i, diff)
			}
		}
		checks := []struct {
			what  string
			query string
		}{
			{"associations with the RUC", "SELECT COUNT(*) FROM associations WHERE ruc = ?"},
			{"audit events about it", "SELECT COUNT(*) FROM audit_events WHERE resource = ?"},
			{"request records", "SELECT COUNT(*) FROM idempotency_records WHERE request_id = ?"},
		}
		args := []any{req.GetAssociation().GetRuc(), answers[0].GetName(), req.GetRequestId()}
		for j, c := range checks {
			if n := countRows(t, replicas[0], c.query, args[j]); n != 1 {
				t.Errorf("round %d: %d %s, want 1", round, n, c.what)
			}
		}
	}
}

// cancelAfterSend is a client stats handler that cancels a call a given
// delay after its request has been handed to the transport, when the call's
// context carries a giveUp: the server may or may not go on to commit.
type cancelAfterSend struct{}

type giveUp struct {
	cancel context.CancelFunc
	after  time.Duration
}

type giveUpKey struct{}

func (cancelAfterSend) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (cancelAfterSend) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if _, ok := s.(*stats.OutPayload); ok {
		if g, ok := ctx.Value(giveUpKey{}).(giveUp); ok {
			time.AfterFunc(g.after, g.cancel)
		}
	}
}
func (cancelAfterSend) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (cancelAfterSend) HandleConn(context.Context, stats.ConnStats)                       {}

// TestRetryAfterReplyLost gives up on calls right after sending them (the
// reply is lost, whether or not the server committed), then retries each
// with its request_id: every retry answers with the one resource.
func TestRetryAfterReplyLost(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		impatient, err := grpc.NewClient(ts.srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithPerRPCCredentials(auth.Bearer{Secret: adminSecret, Insecure: true}), grpc.WithStatsHandler(cancelAfterSend{}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { impatient.Close() })
		client := millwav1.NewRegistryServiceClient(impatient)
		retry := millwav1.NewRegistryServiceClient(ts.conn)

		lostAfterCommit := 0
		const attempts = 16
		for i := range attempts {
			req := &millwav1.CreateAssociationRequest{Association: newAssociation(200+i, "210101"), RequestId: fmt.Sprintf("lost-%d", i)}
			// Give up from 0 to 3 ms after sending: around the time a
			// create takes, so that some calls commit and some do not.
			ctx, cancel := context.WithCancel(t.Context())
			ctx = context.WithValue(ctx, giveUpKey{}, giveUp{cancel: cancel, after: time.Duration(i) * 200 * time.Microsecond})
			lost, lostErr := client.CreateAssociation(ctx, req)
			cancel()
			if lostErr == nil {
				t.Logf("attempt %d: the reply arrived before the client gave up", i)
			} else if c := status.Code(lostErr); c != codes.Canceled && c != codes.DeadlineExceeded {
				t.Fatalf("attempt %d: the abandoned call failed with %v", i, lostErr)
			}

			var got *millwav1.CreateAssociationResponse
			for try := 0; ; try++ {
				retrySent := time.Now()
				got, err = retry.CreateAssociation(t.Context(), req)
				if status.Code(err) == codes.Aborted && try < 50 {
					// The first call is still running: AIP-155 says retry.
					time.Sleep(20 * time.Millisecond)
					continue
				}
				if err != nil {
					t.Fatalf("attempt %d: retry: %v", i, err)
				}
				if lostErr != nil && got.GetAssociation().GetCreateTime().AsTime().Before(retrySent) {
					lostAfterCommit++
				}
				break
			}
			if lostErr == nil {
				if diff := cmp.Diff(lost, got, protocmp.Transform()); diff != "" {
					t.Errorf("attempt %d: retry answered differently (-first +retry):\n%s", i, diff)
				}
			}
			if n := countRows(t, ts, "SELECT COUNT(*) FROM associations WHERE ruc = ?", req.GetAssociation().GetRuc()); n != 1 {
				t.Errorf("attempt %d: %d associations with the RUC, want 1", i, n)
			}
			if n := countRows(t, ts, "SELECT COUNT(*) FROM audit_events WHERE resource = ?", got.GetAssociation().GetName()); n != 1 {
				t.Errorf("attempt %d: %d audit events about %s, want 1", i, n, got.GetAssociation().GetName())
			}
		}
		// Which case each attempt hit depends on timing; say how often the
		// server had committed a change whose reply was lost.
		t.Logf("%d of %d abandoned calls had committed before the retry", lostAfterCommit, attempts)

		// The deterministic case: the call commits, and its reply is
		// dropped on the way back.
		req := &millwav1.CreateAssociationRequest{Association: newAssociation(299, "210101"), RequestId: "lost-reply"}
		dropReply := grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			if err := invoker(ctx, method, req, reply, cc, opts...); err != nil {
				return err
			}
			return status.Error(codes.Unavailable, "reply lost on the way back")
		})
		lossy, err := grpc.NewClient(ts.srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithPerRPCCredentials(auth.Bearer{Secret: adminSecret, Insecure: true}), dropReply)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { lossy.Close() })
		_, err = millwav1.NewRegistryServiceClient(lossy).CreateAssociation(t.Context(), req)
		wantCode(t, "the call whose reply is lost", err, codes.Unavailable)
		got, err := retry.CreateAssociation(t.Context(), req)
		if err != nil {
			t.Fatalf("retry after a lost reply: %v", err)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM associations WHERE ruc = ?", req.GetAssociation().GetRuc()); n != 1 {
			t.Errorf("%d associations after a lost reply and a retry, want 1", n)
		}
		var created string
		db, rebind := ts.rawDB(t)
		if err := db.QueryRowContext(t.Context(), rebind("SELECT id FROM associations WHERE ruc = ?"), req.GetAssociation().GetRuc()).Scan(&created); err != nil {
			t.Fatal(err)
		}
		if got.GetAssociation().GetName() != "associations/"+created {
			t.Errorf("retry answered %s, but the lost call created associations/%s", got.GetAssociation().GetName(), created)
		}
	})
}
