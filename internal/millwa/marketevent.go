package millwa

import "time"

// MarketEventType is what happened in a market event.
type MarketEventType string

// Market event types.
const (
	EventTradeMatched   MarketEventType = "TRADE_MATCHED"
	EventTradeConfirmed MarketEventType = "TRADE_CONFIRMED"
	EventTradeDelivered MarketEventType = "TRADE_DELIVERED"
	EventTradePaid      MarketEventType = "TRADE_PAID"
	EventTradeCancelled MarketEventType = "TRADE_CANCELLED"
	EventOrderFilled    MarketEventType = "ORDER_FILLED"
	EventOrderExpired   MarketEventType = "ORDER_EXPIRED"
	EventOrderCancelled MarketEventType = "ORDER_CANCELLED"
	EventTradeDeclined  MarketEventType = "TRADE_DECLINED"
)

// ParseMarketEventType returns the type an enum value names, with or
// without the "MARKET_EVENT_TYPE_" prefix and in any case; ok is false for
// anything else.
func ParseMarketEventType(name string) (t MarketEventType, ok bool) {
	return parseEnum(name, "MARKET_EVENT_TYPE_", EventTradeMatched, EventTradeConfirmed, EventTradeDelivered, EventTradePaid,
		EventTradeCancelled, EventOrderFilled, EventOrderExpired, EventOrderCancelled, EventTradeDeclined,
		EventClaimFiled, EventClaimAccepted, EventClaimReferred, EventClaimDecided)
}

// MarketEvent is one change on the market, kept in the outbox that
// WatchMarket reads. Its parties are who may see it: the processor of the
// order or trade, and for trades the association of the lot.
type MarketEvent struct {
	// Seq numbers the events in commit order, from 1, without gaps.
	Seq      int64
	Type     MarketEventType
	Time     time.Time
	Resource string
	// ProcessorID and AssociationID are the parties; "" for none.
	ProcessorID   string
	AssociationID string
	// Trade or Order is the resource right after the change.
	Trade *Trade         `json:",omitempty"`
	Order *PurchaseOrder `json:",omitempty"`
}

// TradeEvent is the event of a change to tr, seen by both its parties.
func TradeEvent(typ MarketEventType, tr *Trade) MarketEvent {
	c := *tr
	return MarketEvent{Type: typ, Resource: TradeName(tr.ID), ProcessorID: tr.ProcessorID, AssociationID: tr.AssociationID, Trade: &c}
}

// OrderEvent is the event of a change to o, seen by its processor.
func OrderEvent(typ MarketEventType, o *PurchaseOrder) MarketEvent {
	c := *o
	return MarketEvent{Type: typ, Resource: PurchaseOrderName(o.ProcessorID, o.ID), ProcessorID: o.ProcessorID, Order: &c}
}
