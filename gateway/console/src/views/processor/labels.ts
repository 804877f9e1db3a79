// The market's states and events in the reader's words.
import type { Schemas } from "../../api/client";
import { t } from "../../i18n";

export function orderStateLabel(s: Schemas["v1PurchaseOrderState"] | undefined): string {
  const labels: Record<string, string> = {
    PURCHASE_ORDER_STATE_OPEN: t("market.orderState.open"),
    PURCHASE_ORDER_STATE_PARTIALLY_FILLED: t("market.orderState.partiallyFilled"),
    PURCHASE_ORDER_STATE_FILLED: t("market.orderState.filled"),
    PURCHASE_ORDER_STATE_CANCELLED: t("market.orderState.cancelled"),
    PURCHASE_ORDER_STATE_EXPIRED: t("market.orderState.expired"),
  };
  return labels[s ?? ""] ?? "";
}

export function tradeStateLabel(s: Schemas["v1TradeState"] | undefined): string {
  const labels: Record<string, string> = {
    TRADE_STATE_MATCHED: t("market.tradeState.matched"),
    TRADE_STATE_CONFIRMED: t("market.tradeState.confirmed"),
    TRADE_STATE_DELIVERED: t("market.tradeState.delivered"),
    TRADE_STATE_PAID: t("market.tradeState.paid"),
    TRADE_STATE_CANCELLED: t("market.tradeState.cancelled"),
    TRADE_STATE_DECLINED: t("market.tradeState.declined"),
  };
  return labels[s ?? ""] ?? "";
}

export function lotStateLabel(s: Schemas["v1LotState"] | undefined): string {
  const labels: Record<string, string> = {
    LOT_STATE_AVAILABLE: t("market.lotState.available"),
    LOT_STATE_ALLOCATED: t("market.lotState.allocated"),
    LOT_STATE_SOLD: t("market.lotState.sold"),
    LOT_STATE_WITHDRAWN: t("market.lotState.withdrawn"),
  };
  return labels[s ?? ""] ?? "";
}

/** eventLabel names a market event type; the SSE event names drop the MARKET_EVENT_TYPE_ prefix. */
export function eventLabel(type: string | undefined): string {
  const labels: Record<string, string> = {
    TRADE_MATCHED: t("market.event.tradeMatched"),
    TRADE_CONFIRMED: t("market.event.tradeConfirmed"),
    TRADE_DELIVERED: t("market.event.tradeDelivered"),
    TRADE_PAID: t("market.event.tradePaid"),
    TRADE_CANCELLED: t("market.event.tradeCancelled"),
    TRADE_DECLINED: t("market.event.tradeDeclined"),
    ORDER_FILLED: t("market.event.orderFilled"),
    ORDER_EXPIRED: t("market.event.orderExpired"),
    ORDER_CANCELLED: t("market.event.orderCancelled"),
  };
  return labels[(type ?? "").replace(/^MARKET_EVENT_TYPE_/, "")] ?? type ?? "";
}

/** EVENT_TYPES are the SSE event names of the market's events. */
export const EVENT_TYPES = [
  "TRADE_MATCHED",
  "TRADE_CONFIRMED",
  "TRADE_DELIVERED",
  "TRADE_PAID",
  "TRADE_CANCELLED",
  "TRADE_DECLINED",
  "ORDER_FILLED",
  "ORDER_EXPIRED",
  "ORDER_CANCELLED",
];

/** lotPath is the REST path of a lot's resource name. */
export function lotPath(name: string | undefined): { association: string; lot: string } {
  const parts = (name ?? "").split("/");
  return { association: parts[1] ?? "", lot: parts[3] ?? "" };
}
