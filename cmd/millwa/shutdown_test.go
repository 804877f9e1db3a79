package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestSIGTERMWithOpenStreams starts the binary, opens 50 WatchMarket
// streams and 50 server-sent event streams, and sends SIGTERM: the health
// service turns NOT_SERVING, every stream gets its final message telling
// it where to reconnect from (gRPC: WatchMarketResponse.reconnect, then
// UNAVAILABLE; SSE: an event named reconnect, then the end of the body),
// and the process exits 0 within its grace period of 2 s: a stop that
// overran it would exit 1, as the grace period's end cuts what is left and
// reports it.
func TestSIGTERMWithOpenStreams(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		sigtermWithOpenStreams(t, dbURL)
	})
}

func sigtermWithOpenStreams(t *testing.T, dbURL string) {
	const perKind = 50
	const grace = 2 * time.Second
	p := start(t, t.TempDir(), "MILLWA_ADMIN_KEY="+adminSecret, "MILLWA_SHUTDOWN_GRACE="+grace.String(),
		"MILLWA_MAX_WATCH_STREAMS_PER_KEY=500", "MILLWA_RATE_LIMIT=100000", "MILLWA_RATE_BURST=100000", "MILLWA_DATABASE_URL="+dbURL)
	conn := p.dial(t)
	waitServing(t, conn)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	health, err := healthpb.NewHealthClient(conn).Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := health.Recv(); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health watch: %v %v; want SERVING", resp, err)
	}
	notServing := make(chan struct{})
	go func() {
		for {
			resp, err := health.Recv()
			if err != nil {
				return
			}
			if resp.GetStatus() == healthpb.HealthCheckResponse_NOT_SERVING {
				close(notServing)
				return
			}
		}
	}()

	var wg sync.WaitGroup
	finals := make(chan string, 2*perKind) // the reconnect's after_event_id of each stream
	failures := make(chan error, 2*perKind)
	accepted := make(chan struct{}, 2*perKind)
	market := millwav1.NewMarketServiceClient(conn)
	for i := range perKind {
		wg.Go(func() {
			if err := watchUntilReconnect(ctx, market, accepted, finals); err != nil {
				failures <- fmt.Errorf("gRPC stream %d: %w", i, err)
			}
		})
		wg.Go(func() {
			if err := sseUntilReconnect(ctx, p.httpAddr, accepted, finals); err != nil {
				failures <- fmt.Errorf("SSE stream %d: %w", i, err)
			}
		})
	}
	for range 2 * perKind {
		select {
		case <-accepted:
		case err := <-failures:
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatal("the streams were not all accepted within a minute")
		}
	}

	began := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var exitErr error
	select {
	case exitErr = <-p.exited:
	case <-time.After(time.Minute):
		t.Fatalf("millwa did not exit within a minute of SIGTERM:\n%s", p.log())
	}
	took := time.Since(began)
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Error(err)
	}
	if exitErr != nil {
		t.Fatalf("millwa exited with %v after SIGTERM with %d streams open; want status 0, the stop done within its grace period of %v\n%s",
			exitErr, 2*perKind, grace, p.log())
	}
	if len(finals) != 2*perKind {
		t.Errorf("%d of %d streams got the final reconnect message", len(finals), 2*perKind)
	}
	select {
	case <-notServing:
	default:
		t.Error("the health service never said NOT_SERVING during the stop")
	}
	t.Logf("SIGTERM with %d gRPC and %d SSE streams open: exit status 0 after %v", perKind, perKind, took)
}

// watchUntilReconnect follows the market over gRPC until the server's
// final message, which must be a reconnect followed by UNAVAILABLE.
func watchUntilReconnect(ctx context.Context, market millwav1.MarketServiceClient, accepted chan<- struct{}, finals chan<- string) error {
	stream, err := market.WatchMarket(ctx, &millwav1.WatchMarketRequest{})
	if err != nil {
		return err
	}
	if md, err := stream.Header(); err != nil || len(md.Get("x-millwa-stream-accepted")) == 0 {
		return fmt.Errorf("not accepted: %v", err)
	}
	accepted <- struct{}{}
	var final *millwav1.WatchMarketResponse_Reconnect
	for {
		resp, err := stream.Recv()
		if err != nil {
			if final == nil {
				return fmt.Errorf("ended with %v before a reconnect message", err)
			}
			if status.Code(err) != codes.Unavailable {
				return fmt.Errorf("ended with %v after the reconnect message; want UNAVAILABLE", err)
			}
			finals <- final.GetAfterEventId()
			return nil
		}
		if final != nil {
			return errors.New("a message after the reconnect message")
		}
		if rc := resp.GetReconnect(); rc != nil {
			if rc.GetAfterEventId() == "" || rc.GetMessage() == "" {
				return fmt.Errorf("reconnect message %v lacks its after_event_id or message", rc)
			}
			final = rc
		}
	}
}

// sseUntilReconnect follows the market's event route until the body
// ends, which must come right after an event named reconnect.
func sseUntilReconnect(ctx context.Context, httpAddr string, accepted chan<- struct{}, finals chan<- string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+httpAddr+"/v1/market/events", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+adminSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	accepted <- struct{}{}
	sc := bufio.NewScanner(resp.Body)
	var event, id, data string
	var final bool
	for sc.Scan() {
		line := sc.Text()
		if final {
			return fmt.Errorf("line %q after the reconnect event", line)
		}
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "id: "):
			id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		case line == "" && event == "reconnect":
			var rc struct {
				AfterEventID string `json:"afterEventId"`
			}
			if err := json.Unmarshal([]byte(data), &rc); err != nil || rc.AfterEventID == "" || rc.AfterEventID != id {
				return fmt.Errorf("reconnect event id %q data %q: want the after_event_id as id and data", id, data)
			}
			final = true
		case line == "":
			event, id, data = "", "", ""
		}
	}
	if !final {
		return fmt.Errorf("the body ended (%v) without a reconnect event", sc.Err())
	}
	finals <- id
	return nil
}

// TestSIGTERMDrainDelay starts the binary with MILLWA_SHUTDOWN_DELAY and
// sends SIGTERM: during the delay /healthz answers 503 and the health
// service NOT_SERVING, so that a load balancer stops sending, while calls
// that still arrive over gRPC and REST are answered and a stream opened
// then gets its reconnect message at once; after the delay the process
// drains and exits 0.
func TestSIGTERMDrainDelay(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		p := start(t, t.TempDir(), "MILLWA_ADMIN_KEY="+adminSecret, "MILLWA_SHUTDOWN_GRACE=2s", "MILLWA_SHUTDOWN_DELAY=6s",
			"MILLWA_DATABASE_URL="+dbURL)
		conn := p.dial(t)
		waitServing(t, conn)
		healthz := func() int {
			resp, err := http.Get("http://" + p.httpAddr + "/healthz")
			if err != nil {
				t.Fatalf("GET /healthz during the delay: %v\n%s", err, p.log())
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if code := healthz(); code != http.StatusOK {
			t.Fatalf("/healthz before SIGTERM: HTTP %d", code)
		}
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		// The stop begins as soon as the signal is handled.
		for code := healthz(); code != http.StatusServiceUnavailable; code = healthz() {
			if code != http.StatusOK {
				t.Fatalf("/healthz after SIGTERM: HTTP %d, want 200 until the stop begins and 503 then", code)
			}
			time.Sleep(5 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		if resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Errorf("gRPC health during the delay: %v, %v; want NOT_SERVING", resp, err)
		}
		// Still answering what arrives.
		if resp, err := millwav1.NewGradingServiceClient(conn).ListStandards(ctx, &millwav1.ListStandardsRequest{}); err != nil || len(resp.GetStandards()) == 0 {
			t.Errorf("ListStandards over gRPC during the delay: %v, %v", resp, err)
		}
		resp, err := http.Get("http://" + p.httpAddr + "/v1/standards")
		if err != nil {
			t.Fatalf("GET /v1/standards during the delay: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /v1/standards during the delay: HTTP %d", resp.StatusCode)
		}
		// A stream opened now is told to reconnect elsewhere at once.
		accepted, finals := make(chan struct{}, 2), make(chan string, 2)
		if err := watchUntilReconnect(ctx, millwav1.NewMarketServiceClient(conn), accepted, finals); err != nil {
			t.Errorf("WatchMarket opened during the delay: %v", err)
		}
		if err := sseUntilReconnect(ctx, p.httpAddr, accepted, finals); err != nil {
			t.Errorf("SSE opened during the delay: %v", err)
		}
		if healthz() != http.StatusServiceUnavailable {
			t.Errorf("/healthz answered other than 503 later in the delay")
		}
		select {
		case err := <-p.exited:
			if err != nil {
				t.Fatalf("millwa exited with %v after the delay; want status 0\n%s", err, p.log())
			}
		case <-time.After(time.Minute):
			t.Fatalf("millwa did not exit within a minute of SIGTERM:\n%s", p.log())
		}
		if !strings.Contains(p.log(), "serving on while load balancers stop sending") {
			t.Errorf("the log does not say the replica served on during the delay:\n%s", p.log())
		}
	})
}
