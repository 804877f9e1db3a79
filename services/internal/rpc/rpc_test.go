package rpc_test

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// TestEnumsByName: every domain value the API shows has an enum value of
// the same name, so that renaming either side breaks this test rather
// than answering UNSPECIFIED.
func TestEnumsByName(t *testing.T) {
	check := func(prefix string, got int32, d string) {
		t.Helper()
		if got == 0 {
			t.Errorf("%s%s has no enum value", prefix, d)
		}
	}
	for _, st := range []millwa.LotState{millwa.LotAvailable, millwa.LotAllocated, millwa.LotSold, millwa.LotWithdrawn} {
		check("LOT_STATE_", int32(rpc.EnumToProto[millwav1.LotState](millwav1.LotState_value, "LOT_STATE_", st)), string(st))
	}
	for _, st := range []millwa.PurchaseOrderState{millwa.OrderOpen, millwa.OrderPartiallyFilled, millwa.OrderFilled, millwa.OrderCancelled, millwa.OrderExpired} {
		check("PURCHASE_ORDER_STATE_", int32(rpc.EnumToProto[millwav1.PurchaseOrderState](millwav1.PurchaseOrderState_value, "PURCHASE_ORDER_STATE_", st)), string(st))
	}
	for _, st := range []millwa.TradeState{millwa.TradeMatched, millwa.TradeConfirmed, millwa.TradeDelivered, millwa.TradePaid, millwa.TradeCancelled, millwa.TradeDeclined} {
		check("TRADE_STATE_", int32(rpc.EnumToProto[millwav1.TradeState](millwav1.TradeState_value, "TRADE_STATE_", st)), string(st))
	}
	for _, a := range []millwa.Agreement{millwa.AgreementExact, millwa.AgreementAdjacent, millwa.AgreementDistant} {
		check("AGREEMENT_", int32(rpc.EnumToProto[millwav1.Agreement](millwav1.Agreement_value, "AGREEMENT_", a)), string(a))
	}
	for _, e := range []millwa.MarketEventType{millwa.EventTradeMatched, millwa.EventTradeConfirmed, millwa.EventTradeDelivered, millwa.EventTradePaid,
		millwa.EventTradeCancelled, millwa.EventOrderFilled, millwa.EventOrderExpired, millwa.EventOrderCancelled, millwa.EventTradeDeclined} {
		v := rpc.EnumToProto[millwav1.MarketEventType](millwav1.MarketEventType_value, "MARKET_EVENT_TYPE_", e)
		check("MARKET_EVENT_TYPE_", int32(v), string(e))
		if back, ok := millwa.ParseMarketEventType(v.String()); !ok || back != e {
			t.Errorf("%s reads back as %s, %v", v, back, ok)
		}
	}
	for _, f := range []store.AuditFailure{store.AuditHashMismatch, store.AuditPrevHashMismatch, store.AuditSequenceGap, store.AuditHeadMismatch} {
		check("AUDIT_CHAIN_FAILURE_", int32(rpc.EnumToProto[millwav1.AuditChainFailure](millwav1.AuditChainFailure_value, "AUDIT_CHAIN_FAILURE_", f)), string(f))
	}
	for _, c := range []grading.Confidence{"confirmed", "repeated", "unconfirmed"} {
		check("CONFIDENCE_", int32(rpc.EnumToProto[millwav1.Confidence](millwav1.Confidence_value, "CONFIDENCE_", c)), string(c))
	}
	if got := rpc.EnumToProto[millwav1.TradeState](millwav1.TradeState_value, "TRADE_STATE_", millwa.TradeState("LOST")); got != millwav1.TradeState_TRADE_STATE_UNSPECIFIED {
		t.Errorf("an unknown state shows as %v; want UNSPECIFIED", got)
	}
	for _, r := range []millwa.Role{millwa.RoleAdmin, millwa.RoleAssociation, millwa.RoleProcessor, millwa.RoleAgency} {
		back, ok := rpc.RoleFromProto(rpc.RoleToProto(r))
		if !ok || back != r {
			t.Errorf("role %s round-trips to %s, %v", r, back, ok)
		}
		if parsed, ok := rpc.ParseRoleName(string(r)); !ok || parsed != r {
			t.Errorf("ParseRoleName(%q) = %s, %v", r, parsed, ok)
		}
	}
}

func TestListParams(t *testing.T) {
	got := rpc.ListParams(&millwav1.ListLotsRequest{Parent: "associations/-", PageSize: 7, PageToken: "t", Filter: "f", OrderBy: "o"})
	if want := (millwa.ListRequest{Parent: "associations/-", PageSize: 7, PageToken: "t", Filter: "f", OrderBy: "o"}); got != want {
		t.Errorf("ListParams(ListLots) = %+v; want %+v", got, want)
	}
	// A request without parent or order_by binds its tokens to neither.
	got = rpc.ListParams(&millwav1.ListAgenciesRequest{PageSize: 3, Filter: "f"})
	if want := (millwa.ListRequest{PageSize: 3, Filter: "f"}); got != want {
		t.Errorf("ListParams(ListAgencies) = %+v; want %+v", got, want)
	}
}

func TestOutputOnly(t *testing.T) {
	var vs millwa.Violations
	in := &millwav1.Agency{DisplayName: "x", Name: "agencies/1", CreateTime: timestamppb.Now()}
	rpc.OutputOnly(&vs, "agency", in, "name", "create_time", "update_time", "etag")
	var me *millwa.Error
	if err := vs.Err(); !errors.As(err, &me) || len(me.Violations) != 2 ||
		me.Violations[0].Field != "agency.name" || me.Violations[1].Field != "agency.create_time" {
		t.Errorf("OutputOnly = %v; want agency.name and agency.create_time", vs.Err())
	}
	defer func() {
		if recover() == nil {
			t.Error("OutputOnly of a field the message lacks did not panic")
		}
	}()
	rpc.OutputOnly(&vs, "agency", in, "nmae")
}
