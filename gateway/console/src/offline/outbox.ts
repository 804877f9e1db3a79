// The outbox: changes made with no connection (a receipt at a collection
// centre above 4,000 m, a lot built from receipts) are kept in the
// browser's IndexedDB with the request id they were made with, and sent
// when the connection returns. The service records each request id with
// its answer, so a change sent twice (the answer lost on the way back, the
// tab reloaded mid-send) is made once and the second send gets the first
// answer.
import { useEffect, useRef, useState } from "preact/hooks";
import { authHeaders, NetworkError } from "../api/client";

export interface Pending {
  /** The request id, also the entry's key. */
  requestId: string;
  method: "POST" | "PATCH";
  /** Same-origin REST path, e.g. /v1/associations/a1/receipts. */
  path: string;
  body: unknown;
  /** What the clerk recorded, in words, for the waiting list. */
  label: string;
  /** Kind of change, so views can show their own waiting entries. */
  kind: string;
  createTime: string;
  attempts: number;
  /** The service's refusal, when it refused; such an entry waits for the clerk. */
  error?: string;
}

const DB = "millwa";
const STORE = "outbox";
const listeners = new Set<() => void>();
let sending: Promise<void> | null = null;

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: "requestId" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  return new Promise<T>((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const r = f(t.objectStore(STORE));
    t.oncomplete = () => {
      db.close();
      resolve(r.result);
    };
    t.onerror = () => {
      db.close();
      reject(t.error);
    };
  });
}

function changed() {
  listeners.forEach((f) => f());
}

/** pending lists what waits to be sent, oldest first. */
export async function pending(): Promise<Pending[]> {
  const all = await tx("readonly", (s) => s.getAll() as IDBRequest<Pending[]>);
  return all.sort((a, b) => a.createTime.localeCompare(b.createTime));
}

/** enqueue keeps a change to send later. */
export async function enqueue(p: Omit<Pending, "createTime" | "attempts">): Promise<void> {
  await tx("readwrite", (s) => s.put({ ...p, createTime: new Date().toISOString(), attempts: 0 }));
  changed();
}

/**
 * sendOrKeep makes a change at once with send, which sends entry's body
 * under its request id; with no connection, or when send finds none, it
 * keeps entry in the outbox instead. It gives the service's answer, or
 * null when the change was kept; the service's refusals are thrown.
 */
export async function sendOrKeep<T>(entry: Omit<Pending, "createTime" | "attempts">, send: () => Promise<T>): Promise<T | null> {
  if (navigator.onLine) {
    try {
      return await send();
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
    }
  }
  await enqueue(entry);
  return null;
}

/** discard drops a waiting change the clerk gave up on. */
export async function discard(requestId: string): Promise<void> {
  await tx("readwrite", (s) => s.delete(requestId));
  changed();
}

/**
 * send tries each waiting change in order. A change the service answers is
 * removed; one it refuses keeps its message and waits for the clerk; with
 * no connection, sending stops until the next try.
 */
export function send(): Promise<void> {
  if (!sending) {
    sending = sendAll().finally(() => {
      sending = null;
    });
  }
  return sending;
}

async function sendAll(): Promise<void> {
  for (const p of await pending()) {
    if (p.error) continue;
    const url = `${p.path}${p.path.includes("?") ? "&" : "?"}requestId=${encodeURIComponent(p.requestId)}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: p.method,
        headers: { ...authHeaders(), "Content-Type": "application/json" },
        body: JSON.stringify(p.body),
      });
    } catch {
      await tx("readwrite", (s) => s.put({ ...p, attempts: p.attempts + 1 }));
      changed();
      return; // still offline
    }
    if (res.ok) {
      await tx("readwrite", (s) => s.delete(p.requestId));
    } else if (res.status >= 500 || res.status === 429 || res.status === 401) {
      // Try again later: the service is busy or restarting, or the key must be entered again.
      await tx("readwrite", (s) => s.put({ ...p, attempts: p.attempts + 1 }));
      changed();
      return;
    } else {
      const body = (await res.json().catch(() => ({}))) as { message?: string };
      await tx("readwrite", (s) => s.put({ ...p, attempts: p.attempts + 1, error: body.message || `HTTP ${res.status}` }));
    }
    changed();
  }
}

/**
 * useLeaving calls then whenever fewer of the waiting entries a view counts
 * are left (one was sent, or refused), so that the view reads again what
 * the service now holds.
 */
export function useLeaving(count: number, then: () => void): void {
  const last = useRef(count);
  useEffect(() => {
    if (count < last.current) then();
    last.current = count;
  }, [count]);
}

/** usePending re-renders with the waiting list whenever it changes. */
export function usePending(): Pending[] {
  const [list, set] = useState<Pending[]>([]);
  useEffect(() => {
    let live = true;
    const f = () => void pending().then((l) => live && set(l));
    listeners.add(f);
    f();
    return () => {
      live = false;
      listeners.delete(f);
    };
  }, []);
  return list;
}

/** startOutbox sends what waits now, when the connection returns, and every 20 s. */
export function startOutbox(): void {
  window.addEventListener("online", () => void send());
  setInterval(() => {
    if (navigator.onLine) void send();
  }, 20_000);
  void send();
}
