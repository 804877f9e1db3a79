package server

import (
	"context"
	"sync/atomic"

	"google.golang.org/grpc/stats"
)

// inflight counts the unary calls the server is handling, from the moment
// a call begins until its status has been written, so that a stop can wait
// for them all without waiting for long-lived streams. It is a
// stats.Handler: an interceptor returns before the response is written.
type inflight struct {
	unary atomic.Int64
}

// unaryTag marks, in a call's context, whether the call was counted.
type unaryTag struct{ counted atomic.Bool }

type unaryTagKey struct{}

func (c *inflight) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, unaryTagKey{}, &unaryTag{})
}

func (c *inflight) HandleRPC(ctx context.Context, s stats.RPCStats) {
	tag, _ := ctx.Value(unaryTagKey{}).(*unaryTag)
	if tag == nil {
		return
	}
	switch s := s.(type) {
	case *stats.Begin:
		if !s.IsClientStream && !s.IsServerStream {
			tag.counted.Store(true)
			c.unary.Add(1)
		}
	case *stats.End:
		if tag.counted.CompareAndSwap(true, false) {
			c.unary.Add(-1)
		}
	}
}

func (c *inflight) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

func (c *inflight) HandleConn(context.Context, stats.ConnStats) {}
