package server_test

import (
	"net"
	"testing"
	"time"

	"github.com/millwa/millwa/internal/store/storetest"
)

// TestStopIsNotHeldBySilentConnections checks that an HTTP connection that
// never sent a request does not hold up a stop: net/http alone would wait
// five seconds for it and then report the grace period as exceeded.
func TestStopIsNotHeldBySilentConnections(t *testing.T) {
	ts := startServer(t, storetest.SQLiteURL(t))
	c, err := net.Dial("tcp", ts.srv.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(50 * time.Millisecond) // let the server see the connection
	done := make(chan error, 1)
	go func() { done <- ts.stop() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("stop with a silent connection open: %v", err)
		}
	case <-time.After(4 * time.Second):
		t.Fatal("a silent HTTP connection held the stop for 4 s")
	}
}
