// The console's texts, Spanish first. Each area of the console keeps its
// texts in a file of its own under es/ and en/ (common.json, acopio.json,
// …); every key must be in both languages, which TestConsoleTextsBilingual
// (gateway/console/console_test.go) checks, together with every t("…") key
// the sources use.
import { useEffect, useState } from "preact/hooks";

export type Lang = "es" | "en";
type Dict = Record<string, string>;

function merge(files: Record<string, unknown>): Dict {
  const out: Dict = {};
  for (const name of Object.keys(files).sort()) Object.assign(out, files[name] as Dict);
  return out;
}

const dicts: Record<Lang, Dict> = {
  es: merge(import.meta.glob("./es/*.json", { eager: true, import: "default" })),
  en: merge(import.meta.glob("./en/*.json", { eager: true, import: "default" })),
};

const STORAGE_KEY = "millwa.lang";
let current: Lang = readLang();
const listeners = new Set<() => void>();

function readLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === "es" || saved === "en") return saved;
  } catch {
    // storage may be unavailable (private mode); Spanish then
  }
  return "es";
}

export function lang(): Lang {
  return current;
}

export function setLang(l: Lang): void {
  current = l;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    // keep it for this page only
  }
  document.documentElement.lang = l;
  listeners.forEach((f) => f());
}

/** useLang re-renders the calling component when the language changes. */
export function useLang(): Lang {
  const [l, set] = useState(current);
  useEffect(() => {
    const f = () => set(current);
    listeners.add(f);
    return () => void listeners.delete(f);
  }, []);
  return l;
}

/**
 * t returns the text of key in the current language, with {name}
 * placeholders filled from vars. A missing key shows as the key itself, so
 * that it is seen; the test keeps that from shipping.
 */
export function t(key: string, vars?: Record<string, string | number>): string {
  let s = dicts[current][key] ?? dicts.es[key] ?? key;
  if (vars) {
    s = s.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
  }
  return s;
}

/** locale is the BCP 47 locale of the current language, in Peru. */
export function locale(): string {
  return current === "es" ? "es-PE" : "en-PE";
}
