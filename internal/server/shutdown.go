package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/millwa/millwa/internal/auth"
)

// Run serves until ctx is cancelled or a listener fails, then stops
// (see shutdown).
func (s *Server) Run(ctx context.Context) error {
	s.log.Info("serving", "grpc_addr", s.GRPCAddr(), "http_addr", s.HTTPAddr(), "metrics_addr", s.MetricsAddr(),
		"tls", s.certs != nil, "database", s.store.Dialect())
	errc := make(chan error, 3)
	go func() { errc <- s.grpc.Serve(s.grpcLis) }()
	go func() {
		var err error
		if s.certs != nil {
			// The certificate comes from TLSConfig.GetCertificate.
			err = s.http.ServeTLS(s.httpLis, "", "")
		} else {
			err = s.http.Serve(s.httpLis)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	if s.metricsHTTP != nil {
		go func() {
			if err := s.metricsHTTP.Serve(s.metricsLis); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	healthCtx, stopHealth := context.WithCancel(context.Background())
	// The background work of a replica, stopped before the listeners.
	var background sync.WaitGroup
	background.Go(func() { s.watchHealth(healthCtx) })
	background.Go(func() { s.housekeeping.Run(healthCtx) })
	background.Go(func() { s.webhooks.Run(healthCtx) })
	background.Go(func() { every(healthCtx, auth.StreamCheckInterval, s.streams.Check) })
	background.Go(func() { every(healthCtx, s.cfg.AuditCheckpointInterval, s.signCheckpoint) })

	var serveErr error
	select {
	case <-ctx.Done():
		s.log.Info("stopping: ending event streams, draining in-flight requests", "grace", s.cfg.ShutdownGrace.String())
	case serveErr = <-errc:
		s.log.Error("listener failed: stopping", "err", serveErr)
	}
	start := time.Now()
	stopErr := s.shutdown(func() { stopHealth(); background.Wait() })
	s.log.Info("stopped", "took", time.Since(start).String(), "err", stopErr)
	return errors.Join(serveErr, stopErr)
}

// shutdown stops the server within the grace period, in this order:
//
//  1. Readiness turns false: the gRPC health service says NOT_SERVING and
//     /healthz answers 503, so that load balancers send nothing new here.
//  2. The event hub closes: every WatchMarket stream and every SSE client
//     of /v1/market/events gets its final message, telling it to reconnect
//     elsewhere from the last event it received, and ends at once. A
//     stream never ends by itself, so before this step net/http's
//     Shutdown waited the whole grace period for each SSE handler and
//     then reported the stop as failed.
//  3. For ShutdownDelay the replica serves on, not ready, while load
//     balancers notice and stop sending; calls that still arrive are
//     answered, and a stream opened meanwhile gets its reconnect message
//     at once.
//  4. The background work (health checks, housekeeping) stops.
//  5. HTTP and gRPC drain: unary calls in flight finish; long-lived
//     streams left (none but those that began meanwhile) are cut once no
//     unary call is left.
//
// It returns an error only when the grace period ran out with calls still
// in flight.
func (s *Server) shutdown(stopBackground func()) error {
	s.stopping.Store(true)
	s.health.Shutdown()
	s.events.Close()
	if d := s.cfg.ShutdownDelay; d > 0 {
		s.log.Info("stopping: not ready; serving on while load balancers stop sending", "delay", d.String())
		time.Sleep(d)
	}
	stopBackground()

	grace, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	defer cancel()
	var errs []error
	s.fresh.closeAll()
	if err := s.http.Shutdown(grace); err != nil {
		errs = append(errs, fmt.Errorf("draining HTTP: %w", err))
	}
	if err := s.drainGRPC(grace); err != nil {
		errs = append(errs, err)
	}
	if s.metricsHTTP != nil {
		// Scrapes are short; one in flight is cut rather than waited for.
		_ = s.metricsHTTP.Close()
	}
	s.close()
	return errors.Join(errs...)
}

// drainGRPC stops the gRPC server gracefully: unary calls are drained;
// once none is left, long-lived streams (subscriptions, which clients
// resume elsewhere) are cut rather than waited for.
func (s *Server) drainGRPC(grace context.Context) error {
	stopped := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(stopped) }()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case <-stopped:
			return nil
		case <-poll.C:
			if s.inflight.unary.Load() != 0 {
				continue
			}
			// Only streams are left. A call's end is counted when its
			// status is queued, not yet written: let the transport flush
			// it before the streams are cut.
			select {
			case <-stopped:
			case <-time.After(streamCutDelay):
				s.grpc.Stop()
				<-stopped
			}
			return nil
		case <-grace.Done():
			n := s.inflight.unary.Load()
			s.grpc.Stop()
			<-stopped
			if n > 0 {
				return fmt.Errorf("grace period of %v over: cut %d calls in flight", s.cfg.ShutdownGrace, n)
			}
			return nil
		}
	}
}
