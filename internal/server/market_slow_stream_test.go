package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestStuckStreamIsDroppedAndResumes: a WatchMarket client that stops
// reading while thousands of events arrive (in bursts larger than the
// hub's buffers) does not hold up another client, which gets every event
// without an error; once it reads again it gets what was
// sent to it, then RESOURCE_EXHAUSTED naming the last event it received,
// and resuming from that id gets the rest, none lost and none twice.
func TestStuckStreamIsDroppedAndResumes(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		// The stuck client's windows stay at their 64 KiB minimum, so that
		// it stops taking events after some hundreds.
		stuckConn, err := grpc.NewClient(ts.srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithPerRPCCredentials(auth.Bearer{Secret: adminSecret, Insecure: true}),
			grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stuckConn.Close() })
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		watch := func(conn *grpc.ClientConn, after string) millwav1.MarketService_WatchMarketClient {
			t.Helper()
			s, err := millwav1.NewMarketServiceClient(conn).WatchMarket(ctx, &millwav1.WatchMarketRequest{AfterEventId: after})
			if err == nil {
				_, err = s.Header()
			}
			if err != nil {
				t.Fatalf("WatchMarket: %v", err)
			}
			return s
		}
		stuck := watch(stuckConn, "")
		reader := watch(ts.conn, "")

		// Events written by another store on the same database, in
		// transactions of 100: the hub finds them by notification or poll.
		// The reader reads all along.
		const total = 5000
		type received struct {
			ids []int64
			err error
		}
		read := make(chan received, 1)
		var readCount atomic.Int64
		go func() {
			var r received
			for len(r.ids) < total {
				resp, err := reader.Recv()
				if err != nil {
					r.err = err
					break
				}
				n, _ := strconv.ParseInt(resp.GetEvent().GetId(), 10, 64)
				r.ids = append(r.ids, n)
				readCount.Add(1)
			}
			read <- r
		}()
		writer := storetest.NewStore(t, dbURL)
		// Events are numbered after their commit, by the sequencer: the
		// first written follows the outbox's head.
		head, err := writer.MarketEventCursor(ctx)
		if err != nil {
			t.Fatal(err)
		}
		first := head.Head + 1
		write := func(from, to int) {
			for i := from; i < to; i += 100 {
				events := make([]millwa.MarketEvent, 100)
				for j := range events {
					events[j] = millwa.MarketEvent{Type: millwa.EventOrderExpired, ProcessorID: uuid.NewString(),
						Resource: fmt.Sprintf("processors/%s/purchaseOrders/%s", uuid.NewString(), uuid.NewString())}
				}
				if err := writer.InTx(ctx, func(tx *store.Tx) error {
					if err := tx.LockMarket(ctx); err != nil {
						return err
					}
					return tx.AppendMarketEvents(ctx, events...)
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Two waves: by the second, the stuck client has stopped taking
		// events, whichever way the first reached it.
		write(0, total/2)
		for deadline := time.Now().Add(time.Minute); readCount.Load() < total/2 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		write(total/2, total)
		last := first + total - 1

		// The reader gets them all, in order, while the stuck one reads
		// nothing.
		r := <-read
		if r.err != nil {
			t.Fatalf("the reading client, after %d events: %v", len(r.ids), r.err)
		}
		for i, n := range r.ids {
			if n != first+int64(i) {
				t.Fatalf("the reading client's event %d is %d, want %d", i, n, first+int64(i))
			}
		}

		// The stuck client reads again once it has been stuck longer than
		// the hub's grace (5 s): what was sent to it, in order, then the
		// resumable error naming the last of those.
		time.Sleep(6 * time.Second)
		var got []int64
		var endErr error
		for {
			resp, err := stuck.Recv()
			if err != nil {
				endErr = err
				break
			}
			n, _ := strconv.ParseInt(resp.GetEvent().GetId(), 10, 64)
			got = append(got, n)
		}
		if len(got) == 0 || len(got) >= total {
			t.Fatalf("the stuck client got %d events before its stream ended with %v; want some, not all %d", len(got), endErr, total)
		}
		for i, n := range got {
			if n != first+int64(i) {
				t.Fatalf("the stuck client's event %d is %d, want %d", i, n, first+int64(i))
			}
		}
		lastID := strconv.FormatInt(got[len(got)-1], 10)
		st := status.Convert(endErr)
		if st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "after_event_id (o Last-Event-ID) = "+lastID) ||
			!strings.Contains(st.Message(), "after_event_id (or Last-Event-ID) = "+lastID) {
			t.Fatalf("the stuck client's stream ended with %v; want RESOURCE_EXHAUSTED naming event %s in Spanish and English", endErr, lastID)
		}

		// Resuming from the last id received gets the rest.
		resumed := watch(stuckConn, lastID)
		for want := got[len(got)-1] + 1; want <= last; want++ {
			resp, err := resumed.Recv()
			if err != nil {
				t.Fatalf("the resumed stream, waiting for event %d: %v", want, err)
			}
			if id := resp.GetEvent().GetId(); id != strconv.FormatInt(want, 10) {
				t.Fatalf("the resumed stream got event %s, want %d", id, want)
			}
		}
		cancel()
		if _, err := resumed.Recv(); err == nil || errors.Is(err, io.EOF) {
			t.Errorf("the resumed stream went on after the last event: %v", err)
		}
	})
}
