package market

import (
	"context"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/allocation"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

var clearingModes = map[millwav1.ClearingMode]allocation.Mode{
	millwav1.ClearingMode_CLEARING_MODE_UNSPECIFIED:             allocation.Optimal,
	millwav1.ClearingMode_CLEARING_MODE_OPTIMAL:                 allocation.Optimal,
	millwav1.ClearingMode_CLEARING_MODE_FIRST_COME_FIRST_SERVED: allocation.FirstComeFirstServed,
}

// RunClearing clears the whole book of one currency. A dry run writes
// nothing and needs no request_id record; a written clearing is a change
// like any other, answered once per request_id.
func (s *Server) RunClearing(ctx context.Context, req *millwav1.RunClearingRequest) (*millwav1.RunClearingResponse, error) {
	if _, err := rpc.Require(ctx); err != nil {
		return nil, err
	}
	mode, currency, err := clearingRequest(req)
	if err != nil {
		return nil, err
	}
	if req.GetDryRun() {
		sum, err := s.clearer.DryRun(ctx, currency, mode)
		if err != nil {
			return nil, err
		}
		return &millwav1.RunClearingResponse{Summary: summaryToProto(sum)}, nil
	}
	// Each attempt of the transaction either clears (the change) or
	// replays a stored first answer (newResponse, called for a replay
	// only); the clearing is reported only when the last attempt cleared.
	cl := s.clearer.Begin(allocation.Kind{Mode: mode, Trigger: allocation.TriggerRPC}, currency)
	resp, err := rpc.Do(ctx, s.store, req,
		func() *millwav1.RunClearingResponse {
			cl.Replayed()
			return &millwav1.RunClearingResponse{}
		},
		func(tx *store.Tx) (*millwav1.RunClearingResponse, []rpc.Event, error) {
			sum, trades, err := cl.Clear(ctx, tx)
			if err != nil {
				return nil, nil, err
			}
			events := append(tradeEvents(trades), rpc.Event{Resource: allocation.ClearingName(sum.ClearingID), Action: "clear"})
			return &millwav1.RunClearingResponse{Summary: summaryToProto(sum)}, events, nil
		})
	cl.Finish(err)
	return resp, err
}

// clearingRequest validates req and returns its mode and normalised
// currency.
func clearingRequest(req *millwav1.RunClearingRequest) (allocation.Mode, string, error) {
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
	return mode, currency, vs.Err()
}

// tradeEvents are the audit events of trades the market created.
func tradeEvents(trades []millwa.Trade) []rpc.Event {
	events := make([]rpc.Event, len(trades))
	for i, tr := range trades {
		events[i] = rpc.Event{Resource: millwa.TradeName(tr.ID), Action: "match", Region: tr.OriginUbigeo}
	}
	return events
}

// summaryToProto converts a clearing's summary. total_surplus is an int64
// that clients already read, so a surplus beyond it saturates there and
// total_surplus_decimal carries it exactly.
func summaryToProto(s allocation.Summary) *millwav1.ClearingSummary {
	mode := millwav1.ClearingMode_CLEARING_MODE_OPTIMAL
	if s.Mode == allocation.FirstComeFirstServed {
		mode = millwav1.ClearingMode_CLEARING_MODE_FIRST_COME_FIRST_SERVED
	}
	surplus, _ := s.Surplus.Int64()
	return &millwav1.ClearingSummary{
		ClearingId: s.ClearingID, DryRun: s.DryRun, Mode: mode, CurrencyCode: s.Currency,
		OrdersConsidered: int32(s.OrdersConsidered), LotsConsidered: int32(s.LotsConsidered),
		OrdersMatched: int32(s.OrdersMatched), LotsMatched: int32(s.LotsMatched),
		AllocatedGrams: s.AllocatedGrams, TotalSurplus: surplus, TotalSurplusDecimal: s.Surplus.String(),
		TradesCreated: int32(s.TradesCreated), StartTime: timestamppb.New(s.StartTime), SolveDuration: durationpb.New(s.SolveDuration),
	}
}
