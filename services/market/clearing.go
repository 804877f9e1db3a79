package market

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/allocation"
	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// clearingsCollection names clearing runs in the audit chain,
// "clearings/{clearing_id}".
const clearingsCollection = "clearings"

var clearingModes = map[millwav1.ClearingMode]allocation.Mode{
	millwav1.ClearingMode_CLEARING_MODE_UNSPECIFIED:             allocation.Optimal,
	millwav1.ClearingMode_CLEARING_MODE_OPTIMAL:                 allocation.Optimal,
	millwav1.ClearingMode_CLEARING_MODE_FIRST_COME_FIRST_SERVED: allocation.FirstComeFirstServed,
}

// RunClearing clears the whole book of one currency.
func (s *Server) RunClearing(ctx context.Context, req *millwav1.RunClearingRequest) (*millwav1.RunClearingResponse, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	mode, ok := clearingModes[req.GetMode()]
	if !ok {
		vs.Add("mode", "must be CLEARING_MODE_OPTIMAL or CLEARING_MODE_FIRST_COME_FIRST_SERVED")
	} else if mode == allocation.FirstComeFirstServed && !req.GetDryRun() {
		vs.Add("mode", "CLEARING_MODE_FIRST_COME_FIRST_SERVED is for comparison only: set dry_run")
	}
	currency := millwa.NormalizeCurrency(req.GetCurrencyCode())
	millwa.CheckCurrency(&vs, "currency_code", currency)
	if err := vs.Err(); err != nil {
		return nil, err
	}
	run := ClearingRun{Trigger: TriggerRPC, Mode: mode, DryRun: req.GetDryRun()}
	start := time.Now()
	if req.GetDryRun() {
		err := s.store.InTx(ctx, func(tx *store.Tx) error {
			var err error
			run.Summary, _, err = allocation.Clear(ctx, tx, currency, mode, true)
			return err
		})
		run.Duration, run.Err = time.Since(start), err
		s.observer.ObserveClearing(run)
		if err != nil {
			return nil, err
		}
		return &millwav1.RunClearingResponse{Summary: summaryToProto(run.Summary)}, nil
	}
	// ran tells a clearing from an answer replayed for a repeated
	// request_id, which cleared nothing. Each attempt of the transaction
	// either clears (the change) or replays (newResponse, called for a
	// replay only); the last attempt decides.
	ran := false
	resp, err := rpc.Do(ctx, s.store, req,
		func() *millwav1.RunClearingResponse {
			ran = false
			return &millwav1.RunClearingResponse{}
		},
		func(tx *store.Tx) (*millwav1.RunClearingResponse, []rpc.Event, error) {
			ran = true
			sum, trades, err := allocation.Clear(ctx, tx, currency, mode, false)
			run.Summary = sum
			if err != nil {
				return nil, nil, err
			}
			events := append(tradeEvents(trades), rpc.Event{Resource: clearingsCollection + "/" + sum.ClearingID, Action: "clear"})
			return &millwav1.RunClearingResponse{Summary: summaryToProto(sum)}, events, nil
		})
	if ran {
		run.Duration, run.Err = time.Since(start), err
		s.observer.ObserveClearing(run)
	}
	return resp, err
}

// tradeEvents are the audit events of trades the market created.
func tradeEvents(trades []millwa.Trade) []rpc.Event {
	events := make([]rpc.Event, len(trades))
	for i, tr := range trades {
		events[i] = rpc.Event{Resource: millwa.TradeName(tr.ID), Action: "match", Region: tr.OriginUbigeo}
	}
	return events
}

func summaryToProto(s allocation.Summary) *millwav1.ClearingSummary {
	mode := millwav1.ClearingMode_CLEARING_MODE_OPTIMAL
	if s.Mode == allocation.FirstComeFirstServed {
		mode = millwav1.ClearingMode_CLEARING_MODE_FIRST_COME_FIRST_SERVED
	}
	return &millwav1.ClearingSummary{
		ClearingId: s.ClearingID, DryRun: s.DryRun, Mode: mode, CurrencyCode: s.Currency,
		OrdersConsidered: int32(s.OrdersConsidered), LotsConsidered: int32(s.LotsConsidered),
		OrdersMatched: int32(s.OrdersMatched), LotsMatched: int32(s.LotsMatched),
		AllocatedGrams: s.AllocatedGrams, TotalSurplus: s.Surplus, TradesCreated: int32(s.TradesCreated),
		StartTime: timestamppb.New(s.StartTime), SolveDuration: durationpb.New(s.SolveDuration),
	}
}
