// The signed-in key, kept for the browser tab's session only
// (sessionStorage): closing the tab signs out, and the key is never written
// to lasting storage. The views follow the key's role, from WhoAmI.
import { useEffect, useState } from "preact/hooks";
import type { components } from "./api/schema";

export type Me = components["schemas"]["v1WhoAmIResponse"];
export type Role = NonNullable<Me["role"]>;

const KEY = "millwa.key";
const ME = "millwa.me";
const listeners = new Set<() => void>();

function read(name: string): string | null {
  try {
    return sessionStorage.getItem(name);
  } catch {
    return null;
  }
}

export function apiKey(): string | null {
  return read(KEY);
}

export function me(): Me | null {
  const raw = read(ME);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as Me;
  } catch {
    return null;
  }
}

export function signIn(key: string, who: Me): void {
  sessionStorage.setItem(KEY, key);
  sessionStorage.setItem(ME, JSON.stringify(who));
  listeners.forEach((f) => f());
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(ME);
  listeners.forEach((f) => f());
}

/** useMe re-renders on sign-in and sign-out. */
export function useMe(): Me | null {
  const [m, set] = useState(me());
  useEffect(() => {
    const f = () => set(me());
    listeners.add(f);
    return () => void listeners.delete(f);
  }, []);
  return m;
}

/** orgId is the id part of the key's organisation, "associations/a1" → "a1". */
export function orgId(who: Me | null): string {
  const org = who?.organisation ?? "";
  return org.slice(org.indexOf("/") + 1);
}
