package server

import (
	"net"
	"net/http"
	"sync"
)

// freshConns tracks HTTP connections that have not sent a request yet.
// net/http's Shutdown waits up to five seconds for such a connection before
// treating it as idle; at a stop they carry no request, so they are closed
// at once instead.
type freshConns struct {
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	stopping bool
}

// track is an http.Server ConnState hook.
func (f *freshConns) track(c net.Conn, state http.ConnState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case state == http.StateNew && f.stopping:
		_ = c.Close()
	case state == http.StateNew:
		if f.conns == nil {
			f.conns = map[net.Conn]struct{}{}
		}
		f.conns[c] = struct{}{}
	default:
		delete(f.conns, c)
	}
}

// closeAll closes the connections that have sent nothing, and any that
// open from now on.
func (f *freshConns) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopping = true
	for c := range f.conns {
		_ = c.Close()
	}
	f.conns = nil
}
