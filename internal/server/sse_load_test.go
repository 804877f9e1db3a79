package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// openSSEStream opens the market event stream with secret over client and
// returns the answer once its headers are in, or the error.
func openSSEStream(ctx context.Context, client *http.Client, baseURL, secret string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/v1/market/events", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	return client.Do(req)
}

// raiseFileLimit makes room for n more open files, or skips the test
// saying why: each SSE client is two descriptors in this process (the
// client's end and the server's).
func raiseFileLimit(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("SKIPPED: cannot read RLIMIT_NOFILE (%v): this test needs %d open files", err, n)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		t.Skipf("SKIPPED: this test needs %d open files and the hard RLIMIT_NOFILE is %d: raise it (ulimit -Hn) to run it", n, lim.Max)
	}
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("SKIPPED: raising RLIMIT_NOFILE to %d: %v", n, err)
	}
}

// TestRESTAnswersWhileThousandsFollowTheMarket is the acceptance test of
// issue 13's first defect: with 2,000 SSE clients of one key open on one
// server, every REST call of a sample, reads and writes, is answered in
// under a second. The gateway used to carry the streams on the one
// connection of its REST calls, whose 100 stream slots the 100th SSE
// client filled. SQLite only: the streams and the gateway's connections
// are the same on both databases, and 2,000 clients twice would double
// the test's time on a small machine for nothing.
func TestRESTAnswersWhileThousandsFollowTheMarket(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short: opens 2,000 connections")
	}
	const clients = 2000
	raiseFileLimit(t, 2*clients+1000)
	ts := startServerWith(t, storetest.SQLiteURL(t), func(c *config.Config) {
		c.RateLimit, c.RateBurst = 1e6, 1e6
		c.MaxWatchStreams, c.MaxWatchStreamsPerKey = clients, clients
	})

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// One connection a stream, as browsers' EventSource clients have.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: -1, DisableCompression: true}}
	defer client.CloseIdleConnections()
	var (
		mu    sync.Mutex
		open  []*http.Response
		fails []string
		wg    sync.WaitGroup
	)
	next := make(chan int)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				mu.Lock()
				failed := len(fails) > 0
				mu.Unlock()
				if failed {
					continue // one is enough: fail fast
				}
				// A stream the server cannot take answers in far less;
				// one stuck behind full stream slots never answers.
				// The stream lives until the test ends; only waiting for
				// its answer is bounded.
				octx, ocancel := context.WithCancel(ctx)
				waiting := time.AfterFunc(10*time.Second, ocancel)
				resp, err := openSSEStream(octx, client, ts.baseURL, adminSecret)
				answered := waiting.Stop()
				mu.Lock()
				switch {
				case err == nil && !answered:
					resp.Body.Close()
					fails = append(fails, fmt.Sprintf("client %d: no answer within 10 s", i))
				case err != nil:
					ocancel()
					fails = append(fails, fmt.Sprintf("client %d: %v", i, err))
				case resp.StatusCode != http.StatusOK:
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					ocancel()
					fails = append(fails, fmt.Sprintf("client %d: HTTP %d %s", i, resp.StatusCode, b))
				default:
					open = append(open, resp)
					context.AfterFunc(ctx, ocancel)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range clients {
		next <- i
	}
	close(next)
	wg.Wait()
	defer func() {
		for _, r := range open {
			r.Body.Close()
		}
	}()
	if len(fails) > 0 {
		t.Fatalf("%d of %d SSE clients were not served, first: %s", len(fails), clients, fails[0])
	}
	if got := watchStreamsGauge(t, ts); got != clients {
		t.Fatalf("millwa_market_watch_streams = %d, want the %d clients' streams open", got, clients)
	}

	// The sample: reads and writes, one after the other, each timed.
	for i := range 20 {
		start := time.Now()
		var res restResult
		if i%2 == 0 {
			res = ts.rest(t, http.MethodGet, "/v1/associations?pageSize=5", "")
		} else {
			res = ts.rest(t, http.MethodPost, "/v1/associations", jsonBody(t, newAssociation(int(fixtureN.Add(1)), "210101")))
		}
		took := time.Since(start)
		if res.code != http.StatusOK || took >= time.Second {
			t.Errorf("REST call %d with %d streams open: HTTP %d in %v, want 200 in under a second: %.200s", i, clients, res.code, took, res.body)
		}
	}
}

// watchStreamsGauge reads millwa_market_watch_streams from /metrics.
func watchStreamsGauge(t *testing.T, ts *testServer) int {
	t.Helper()
	res := ts.metrics(t)
	for _, line := range strings.Split(string(res.body), "\n") {
		if v, ok := strings.CutPrefix(line, "millwa_market_watch_streams "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("millwa_market_watch_streams %q: %v", v, err)
			}
			return int(f)
		}
	}
	t.Fatalf("no millwa_market_watch_streams in /metrics:\n%.500s", res.body)
	return 0
}

// TestMarketStreamCaps checks the caps on open market streams, per key and
// per replica, over SSE and gRPC alike: a stream past a cap answers 429
// with Retry-After over REST and RESOURCE_EXHAUSTED over gRPC, with a
// message saying what to do (in Spanish, for association keys), and a
// closed stream frees its place.
func TestMarketStreamCaps(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServerWith(t, dbURL, func(c *config.Config) { c.MaxWatchStreams, c.MaxWatchStreamsPerKey = 3, 2 })
		a := ts.createAssociation(t, "210101")
		_, keyA := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a.GetName(), false)
		_, keyB := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, a.GetName(), false)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: -1}}
		defer client.CloseIdleConnections()

		sse := func(secret string) *http.Response {
			t.Helper()
			resp, err := openSSEStream(t.Context(), client, ts.baseURL, secret)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { resp.Body.Close() })
			return resp
		}
		refused := func(what string, resp *http.Response, wantInMessage string) {
			t.Helper()
			b, _ := io.ReadAll(resp.Body)
			st := restError(t, what, restResult{resp.StatusCode, b}, http.StatusTooManyRequests, codes.ResourceExhausted)
			if !strings.Contains(st.Message(), wantInMessage) || !strings.Contains(st.Message(), "vuelva a intentarlo") {
				t.Errorf("%s: message %q, want it to say %q and when to retry", what, st.Message(), wantInMessage)
			}
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
				t.Errorf("%s: Retry-After %q, want whole seconds", what, resp.Header.Get("Retry-After"))
			}
		}

		first := sse(keyA)
		if second := sse(keyA); first.StatusCode != http.StatusOK || second.StatusCode != http.StatusOK {
			t.Fatalf("key A's two streams: HTTP %d and %d, want 200", first.StatusCode, second.StatusCode)
		}
		refused("key A's third SSE stream", sse(keyA), "esta clave de API tiene 2 flujos de eventos del mercado abiertos")
		// The same cap holds over gRPC.
		stream, err := millwav1.NewMarketServiceClient(ts.dial(t, keyA)).WatchMarket(t.Context(), &millwav1.WatchMarketRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		if st := wantCode(t, "key A's third stream over gRPC", err, codes.ResourceExhausted); !strings.Contains(st.Message(), "esta clave de API tiene 2") {
			t.Errorf("gRPC refusal %q does not say which cap", st.Message())
		}

		// Key B has room of its own but the replica has one place left.
		if resp := sse(keyB); resp.StatusCode != http.StatusOK {
			t.Fatalf("key B's stream: HTTP %d, want 200", resp.StatusCode)
		}
		refused("a fourth stream on the replica", sse(keyB), "este servidor tiene 3 flujos de eventos del mercado")

		// A closed stream gives its place back.
		first.Body.Close()
		deadline := time.Now().Add(5 * time.Second)
		for {
			resp := sse(keyA)
			if resp.StatusCode == http.StatusOK {
				break
			}
			resp.Body.Close()
			if time.Now().After(deadline) {
				t.Fatalf("key A's stream after closing one: HTTP %d, want 200 once the closed one ended", resp.StatusCode)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
