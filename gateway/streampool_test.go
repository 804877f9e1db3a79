package gateway

import (
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// TestStreamPoolGrowsAndShrinks checks that the pool puts at most perConn
// streams on a connection, dials another when all are full, and closes a
// connection left empty while another remains.
func TestStreamPoolGrowsAndShrinks(t *testing.T) {
	t.Parallel()
	dials := 0
	p := NewStreamPool(func() (*grpc.ClientConn, error) {
		dials++
		// Never used for a call: grpc.NewClient connects lazily.
		return grpc.NewClient("127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()))
	}, 2)
	defer p.Close()
	var releases []func()
	for range 5 {
		_, release, err := p.acquire()
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}
	if p.Conns() != 3 || dials != 3 {
		t.Fatalf("5 streams at 2 a connection: %d connections from %d dials, want 3", p.Conns(), dials)
	}
	for _, release := range releases[:4] {
		release()
		release() // a second call changes nothing
	}
	if p.Conns() != 1 {
		t.Fatalf("after 4 of 5 streams ended: %d connections, want the last stream's 1", p.Conns())
	}
	releases[4]()
	if p.Conns() != 1 {
		t.Fatalf("with no stream: %d connections, want 1 kept for the next", p.Conns())
	}
	p.Close()
	if _, _, err := p.acquire(); err == nil {
		t.Fatal("acquire after Close succeeded, want an error")
	}
}
