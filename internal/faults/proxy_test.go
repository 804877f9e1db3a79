package faults_test

import (
	"net"
	"net/url"
	"sync"
	"testing"
)

// blackHole is a TCP proxy to a database server that can turn into a black
// hole, as a network path does when a link, a firewall or a NAT table
// fails: while frozen it accepts connections and reads what is sent but
// forwards nothing either way, so that nothing is refused and nothing is
// answered. Thawed, it forwards again on the connections it carried
// before, delivering what it held.
type blackHole struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	thawed chan struct{} // closed while forwarding
	conns  map[net.Conn]struct{}
	closed bool
}

// newBlackHole proxies a loopback port to target ("host:port"), forwarding
// until frozen. It is closed, with every connection, when the test ends.
func newBlackHole(t *testing.T, target string) *blackHole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &blackHole{ln: ln, target: target, thawed: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	close(p.thawed)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// url rewrites a database URL to go through the proxy.
func (p *blackHole) url(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.ln.Addr().String()
	return u.String()
}

// freeze stops all forwarding.
func (p *blackHole) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.thawed:
		p.thawed = make(chan struct{})
	default:
	}
}

// thaw forwards again.
func (p *blackHole) thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.thawed:
	default:
		close(p.thawed)
	}
}

// frozen reports whether the proxy is frozen.
func (p *blackHole) frozen() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.thawed:
		return false
	default:
		return true
	}
}

// wait blocks while the proxy is frozen; it reports false once the proxy
// is closed.
func (p *blackHole) wait() bool {
	p.mu.Lock()
	ch, closed := p.thawed, p.closed
	p.mu.Unlock()
	if closed {
		return false
	}
	<-ch
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.closed
}

func (p *blackHole) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *blackHole) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(client) {
			return
		}
		go func() {
			// A connection made while frozen is accepted, its
			// handshake goes unanswered, and at the thaw it is
			// dropped rather than carried on: its client gave up
			// long ago, and a burst of stale connections must not
			// reach a database server other tests share.
			frozen := p.frozen()
			if !p.wait() || frozen {
				client.Close()
				return
			}
			server, err := net.Dial("tcp", p.target)
			if err != nil {
				client.Close()
				return
			}
			if !p.track(server) {
				client.Close()
				return
			}
			go p.pump(server, client)
			p.pump(client, server)
		}()
	}
}

// pump copies from src to dst, holding each chunk read while frozen.
func (p *blackHole) pump(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.wait() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// close ends the proxy and every connection through it.
func (p *blackHole) close() {
	p.mu.Lock()
	p.closed = true
	conns := p.conns
	p.conns = map[net.Conn]struct{}{}
	select {
	case <-p.thawed:
	default:
		close(p.thawed)
	}
	p.mu.Unlock()
	p.ln.Close()
	for c := range conns {
		c.Close()
	}
}
