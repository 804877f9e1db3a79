// The market's live feed: the server-sent events of GET /v1/market/events,
// opened with a session token (POST /v1/sessionTokens; an API key never
// goes in a URL). One feed serves every page of the tab. A token lasts 15
// minutes: the feed renews it two minutes before it expires, so that a
// reconnection always has a valid one. When the connection drops, or the
// server ends the stream (an "error" event, or the final "reconnect" event
// of a replica that stops), the feed opens a new stream with afterEventId
// set to the last event it received, after a growing pause (1 s up to
// 30 s; at once when the browser comes back online), so nothing is missed
// and nothing is shown twice. Going offline counts as a drop.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, must, type Schemas } from "../../api/client";
import { apiKey } from "../../session";
import { EVENT_TYPES } from "./labels";

/** FeedEvent is the data of one event of the stream: a MarketEvent as JSON. */
export interface FeedEvent {
  id: string;
  type: string;
  eventTime?: string;
  resource?: string;
  trade?: Schemas["v1Trade"];
  purchaseOrder?: Schemas["v1PurchaseOrder"];
}

/** FeedState: connecting the first time, live, waiting to reconnect, or refused (the key no longer works). */
export type FeedState = "connecting" | "live" | "retrying" | "refused";

const KEEP = 50;
const RENEW_BEFORE_MS = 2 * 60_000;

class Feed {
  state: FeedState = "connecting";
  events: FeedEvent[] = [];
  lastId = "";
  reconnects = 0;
  private es: EventSource | null = null;
  private token: { value: string; expires: number; key: string } | null = null;
  private retry = 0;
  private retryTimer = 0;
  private renewTimer = 0;
  private users = 0;
  private owner = "";
  private listeners = new Set<(e?: FeedEvent) => void>();

  subscribe(f: (e?: FeedEvent) => void): () => void {
    this.listeners.add(f);
    if (this.users++ === 0) this.start();
    return () => {
      this.listeners.delete(f);
      if (--this.users === 0) this.stop();
    };
  }

  private emit(e?: FeedEvent) {
    this.listeners.forEach((f) => f(e));
  }

  private setState(s: FeedState) {
    this.state = s;
    this.emit();
  }

  private online = () => {
    if (this.state === "retrying") {
      clearTimeout(this.retryTimer);
      void this.connect();
    }
  };

  // With no network the stream is gone even when the socket has not said
  // so yet (a phone losing signal): drop it and wait for the network.
  private offline = () => {
    if (this.es) this.drop();
  };

  private start() {
    // Another key signed in on this tab: its feed starts afresh.
    const key = apiKey() ?? "";
    if (key !== this.owner) {
      this.owner = key;
      this.events = [];
      this.lastId = "";
      this.reconnects = 0;
      this.retry = 0;
      this.token = null;
      this.state = "connecting";
    }
    window.addEventListener("online", this.online);
    window.addEventListener("offline", this.offline);
    void this.connect();
  }

  private stop() {
    window.removeEventListener("online", this.online);
    window.removeEventListener("offline", this.offline);
    clearTimeout(this.retryTimer);
    clearTimeout(this.renewTimer);
    this.es?.close();
    this.es = null;
  }

  /** freshToken returns a session token valid for at least two more minutes, renewing it if needed. */
  private async freshToken(): Promise<string> {
    const key = apiKey() ?? "";
    if (this.token && this.token.key === key && this.token.expires - Date.now() > RENEW_BEFORE_MS) return this.token.value;
    const out = await must(api.POST("/v1/sessionTokens", { body: {} }));
    const expires = out.expireTime ? Date.parse(out.expireTime) : Date.now() + 15 * 60_000;
    this.token = { value: out.token ?? "", expires, key };
    clearTimeout(this.renewTimer);
    this.renewTimer = window.setTimeout(
      () => void this.freshToken().catch(() => undefined),
      Math.max(expires - Date.now() - RENEW_BEFORE_MS + 1000, 5_000),
    );
    return this.token.value;
  }

  private async connect() {
    if (this.users === 0) return;
    this.setState(this.retry === 0 && this.reconnects === 0 ? "connecting" : "retrying");
    let token: string;
    try {
      token = await this.freshToken();
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
        this.setState("refused");
        return;
      }
      this.schedule();
      return;
    }
    if (this.users === 0) return;
    let url = `/v1/market/events?access_token=${encodeURIComponent(token)}`;
    if (this.lastId) url += `&afterEventId=${encodeURIComponent(this.lastId)}`;
    const es = new EventSource(url);
    this.es = es;
    es.onopen = () => {
      this.retry = 0;
      this.setState("live");
    };
    const receive = (m: MessageEvent) => {
      let ev: FeedEvent;
      try {
        ev = JSON.parse(m.data as string) as FeedEvent;
      } catch {
        return;
      }
      ev.id ||= m.lastEventId;
      ev.type ||= m.type;
      if (this.events.some((x) => x.id === ev.id)) return;
      this.lastId = ev.id;
      this.events = [ev, ...this.events].slice(0, KEEP);
      this.emit(ev);
      void this.complete(ev);
    };
    for (const type of EVENT_TYPES) es.addEventListener(type, receive as EventListener);
    // A replica that stops names the last event it sent; resume from it.
    es.addEventListener("reconnect", ((m: MessageEvent) => {
      if (m.lastEventId) this.lastId = m.lastEventId;
      this.drop();
    }) as EventListener);
    // Both a dropped connection and the server's "error" event end here.
    es.addEventListener("error", () => this.drop());
  }

  /**
   * complete reads the trade of an event when the event's copy lacks the
   * parties' names, so that the feed can name them: events carry them, but
   * those recorded before they did are still replayed on resuming.
   */
  private async complete(ev: FeedEvent) {
    const tr = ev.trade;
    if (!tr?.name || tr.associationDisplayName) return;
    try {
      const full = await must(api.GET("/v1/trades/{trade}", { params: { path: { trade: tr.name.slice(tr.name.lastIndexOf("/") + 1) } } }));
      ev.trade = { ...tr, lotNumber: full.lotNumber, associationDisplayName: full.associationDisplayName, processorDisplayName: full.processorDisplayName };
      this.events = [...this.events];
      this.emit();
    } catch {
      // the event is shown as it came
    }
  }

  private drop() {
    this.es?.close();
    this.es = null;
    this.reconnects++;
    this.schedule();
  }

  private schedule() {
    this.setState("retrying");
    const delay = Math.min(1000 * 2 ** this.retry, 30_000);
    this.retry++;
    clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => void this.connect(), delay);
  }
}

const feed = new Feed();

/**
 * useMarketFeed keeps the feed open while the calling page is shown and
 * re-renders it on every change; onEvent is called for each new event.
 */
export function useMarketFeed(onEvent?: (e: FeedEvent) => void): Feed {
  const [, set] = useState(0);
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(
    () =>
      feed.subscribe((e) => {
        set((n) => n + 1);
        if (e) handler.current?.(e);
      }),
    [],
  );
  return feed;
}
