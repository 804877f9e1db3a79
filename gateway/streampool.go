package gateway

import (
	"errors"
	"fmt"
	"sync"

	"google.golang.org/grpc"
)

// StreamPool holds the gateway's connections for long-lived streams (the
// SSE event route), apart from the connection of unary REST calls. The gRPC
// server admits a bounded number of concurrent streams on each connection
// and makes further calls on it wait; were event streams on the unary
// connection, a hundred open SSE clients would stop every REST call. The
// pool gives each connection at most perConn streams and dials another when
// all are full, so it grows with the open streams and shrinks as they end.
type StreamPool struct {
	dial    func() (*grpc.ClientConn, error)
	perConn int

	mu     sync.Mutex
	conns  []*pooledConn
	closed bool
}

type pooledConn struct {
	conn *grpc.ClientConn
	open int
}

// NewStreamPool returns a pool that dials connections with dial and puts at
// most perConn streams on each: the server's MaxConcurrentStreams or less.
func NewStreamPool(dial func() (*grpc.ClientConn, error), perConn int) *StreamPool {
	return &StreamPool{dial: dial, perConn: max(perConn, 1)}
}

// errPoolClosed is returned once the server is stopping.
var errPoolClosed = errors.New("the server is stopping: reconnect to another replica")

// acquire returns a connection with room for one more stream and the
// function that gives the room back when the stream has ended.
func (p *StreamPool) acquire() (*grpc.ClientConn, func(), error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, nil, errPoolClosed
	}
	var pc *pooledConn
	for _, c := range p.conns {
		if c.open < p.perConn {
			pc = c
			break
		}
	}
	if pc == nil {
		conn, err := p.dial()
		if err != nil {
			return nil, nil, fmt.Errorf("connecting the gateway's event streams to gRPC: %w", err)
		}
		pc = &pooledConn{conn: conn}
		p.conns = append(p.conns, pc)
	}
	pc.open++
	var once sync.Once
	return pc.conn, func() { once.Do(func() { p.release(pc) }) }, nil
}

// release gives back one stream's room on pc, closing pc when it carries
// no stream and another connection is left for the next one.
func (p *StreamPool) release(pc *pooledConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pc.open--
	if pc.open > 0 || len(p.conns) == 1 || p.closed {
		return
	}
	for i, c := range p.conns {
		if c == pc {
			p.conns = append(p.conns[:i], p.conns[i+1:]...)
			_ = pc.conn.Close()
			return
		}
	}
}

// Conns returns how many connections the pool holds.
func (p *StreamPool) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Close closes every connection of the pool, ending the streams on them;
// the pool dials no more.
func (p *StreamPool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, c := range p.conns {
		_ = c.conn.Close()
	}
	p.conns = nil
}
