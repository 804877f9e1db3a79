package server_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// streamEndBound is how long a test waits for a stream to end after its key
// stopped authenticating. Replicas check every 500 ms; the rest is room for
// a loaded machine. Without the guard the streams never end.
const streamEndBound = 3 * time.Second

// openWatch opens WatchMarket on ts with secret, waits until the server has
// accepted it, and returns a channel that receives the stream's final
// error.
func openWatch(t *testing.T, ts *testServer, secret string) <-chan error {
	t.Helper()
	stream, err := millwav1.NewMarketServiceClient(ts.dial(t, secret)).WatchMarket(t.Context(), &millwav1.WatchMarketRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Header(); err != nil {
		t.Fatalf("WatchMarket not accepted: %v", err)
	}
	end := make(chan error, 1)
	go func() {
		for {
			if _, err := stream.Recv(); err != nil {
				end <- err
				return
			}
		}
	}()
	return end
}

// openSSE opens the REST event stream on ts with secret and returns a
// channel that receives the data of its "error" event, or "" when the
// stream ends without one.
func openSSE(t *testing.T, ts *testServer, secret string) <-chan string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", ts.baseURL+"/v1/market/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := restClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("events: HTTP %d", resp.StatusCode)
	}
	end := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		inError := false
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "event: error":
				inError = true
			case inError && strings.HasPrefix(line, "data: "):
				end <- strings.TrimPrefix(line, "data: ")
				return
			}
		}
		end <- ""
	}()
	return end
}

// wantStreamUnauthenticated fails t unless the stream ends Unauthenticated
// within streamEndBound.
func wantStreamUnauthenticated(t *testing.T, what string, end <-chan error) {
	t.Helper()
	select {
	case err := <-end:
		if st := status.Convert(err); st.Code() != codes.Unauthenticated {
			t.Errorf("%s ended with %v (%q), want Unauthenticated", what, st.Code(), st.Message())
		}
	case <-time.After(streamEndBound):
		t.Errorf("%s still open %v after its key stopped authenticating", what, streamEndBound)
	}
}

// wantSSEUnauthenticated fails t unless the event stream sends an error
// event with code Unauthenticated within streamEndBound.
func wantSSEUnauthenticated(t *testing.T, what string, end <-chan string) {
	t.Helper()
	select {
	case data := <-end:
		var st struct {
			Code codes.Code `json:"code"`
		}
		if err := json.Unmarshal([]byte(data), &st); err != nil || st.Code != codes.Unauthenticated {
			t.Errorf("%s ended with error event %q, want code %d (Unauthenticated)", what, data, codes.Unauthenticated)
		}
	case <-time.After(streamEndBound):
		t.Errorf("%s still open %v after its key stopped authenticating", what, streamEndBound)
	}
}

// TestRevocationEndsStreamsOnEveryReplica: a key revoked on one replica
// ends its WatchMarket and REST event streams on the other as well as on
// its own, answering Unauthenticated, while another key's stream stays
// open.
func TestRevocationEndsStreamsOnEveryReplica(t *testing.T) {
	t.Parallel()
	dbURL := storetest.PostgresURL(t)
	a, b := startServer(t, dbURL), startServer(t, dbURL)
	name, secret := b.createKey(t, millwav1.Role_ROLE_PROCESSOR, b.insertProcessor(t, "040101"), false)
	_, otherSecret := b.createKey(t, millwav1.Role_ROLE_PROCESSOR, b.insertProcessor(t, "040101"), false)

	onA, onB := openWatch(t, a, secret), openWatch(t, b, secret)
	sseOnA := openSSE(t, a, secret)
	other := openWatch(t, a, otherSecret)

	if _, err := millwav1.NewIdentityServiceClient(b.conn).RevokeApiKey(t.Context(), &millwav1.RevokeApiKeyRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	wantStreamUnauthenticated(t, "WatchMarket on the revoking replica", onB)
	wantStreamUnauthenticated(t, "WatchMarket on the other replica", onA)
	wantSSEUnauthenticated(t, "the REST event stream on the other replica", sseOnA)
	select {
	case err := <-other:
		t.Errorf("another key's stream ended with %v when one key was revoked", err)
	default:
	}
	// A stream opened with the revoked key is refused from the start.
	stream, err := millwav1.NewMarketServiceClient(a.dial(t, secret)).WatchMarket(t.Context(), &millwav1.WatchMarketRequest{})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("WatchMarket with the revoked key: %v, want Unauthenticated", err)
	}
}

// TestExpiryEndsStreams: a stream ends when its key expires, by the time
// the key had when the stream opened and when the key's expiry is brought
// forward in the database; the REST event stream too.
func TestExpiryEndsStreams(t *testing.T) {
	t.Parallel()
	ts := startServer(t, storetest.SQLiteURL(t))
	org := ts.insertProcessor(t, "040101")
	resp, err := millwav1.NewIdentityServiceClient(ts.conn).CreateApiKey(t.Context(), &millwav1.CreateApiKeyRequest{ApiKey: &millwav1.ApiKey{
		DisplayName: "short", Role: millwav1.Role_ROLE_PROCESSOR, Organisation: org,
		ExpireTime: timestamppb.New(time.Now().Add(1500 * time.Millisecond))}})
	if err != nil {
		t.Fatal(err)
	}
	short := openWatch(t, ts, resp.GetSecret())
	shortSSE := openSSE(t, ts, resp.GetSecret())
	time.Sleep(time.Until(resp.GetApiKey().GetExpireTime().AsTime()))
	wantStreamUnauthenticated(t, "WatchMarket of a key that expired", short)
	wantSSEUnauthenticated(t, "the REST event stream of a key that expired", shortSSE)

	name, secret := ts.createKey(t, millwav1.Role_ROLE_PROCESSOR, org, false)
	long := openWatch(t, ts, secret)
	db, rebind := ts.rawDB(t)
	if _, err := db.ExecContext(t.Context(), rebind(`UPDATE api_keys SET expire_time = ? WHERE id = ?`),
		time.Now().Add(-time.Second).UTC().Format("2006-01-02T15:04:05.000000Z"), strings.TrimPrefix(name, "apiKeys/")); err != nil {
		t.Fatal(err)
	}
	wantStreamUnauthenticated(t, "WatchMarket of a key whose expiry was brought forward", long)
}
