// Numbers, money, weights and dates as people in Peru read them: the es-PE
// locale (1,234.5; S/ 1,234.50), times in Peru's time zone, weights in
// kilograms with libras and quintales beside where producers read them.
import { locale } from "./index";

export const PERU_TIME_ZONE = "America/Lima";

/** GRAMS_PER_POUND: the international avoirdupois pound, 0.45359237 kg exactly. */
export const GRAMS_PER_POUND = 453.59237;
/** POUNDS_PER_QUINTAL: the Spanish quintal of 100 libras (45.359237 kg). */
export const POUNDS_PER_QUINTAL = 100;

type IntLike = string | number | bigint | undefined | null;

function big(v: IntLike): bigint {
  if (v === undefined || v === null || v === "") return 0n;
  return typeof v === "bigint" ? v : BigInt(v);
}

/** decimalString writes n / 10^scale exactly, for Intl to format. */
function decimalString(n: bigint, scale: number): string {
  const neg = n < 0n;
  const s = (neg ? -n : n).toString().padStart(scale + 1, "0");
  const out = scale === 0 ? s : `${s.slice(0, -scale)}.${s.slice(-scale)}`;
  return neg ? `-${out}` : out;
}

/** fmtInt formats a whole number with the locale's grouping. */
export function fmtInt(v: IntLike): string {
  return new Intl.NumberFormat(locale()).format(decimalString(big(v), 0) as unknown as number);
}

/** fmtMoney formats an amount in minor units (céntimos) of currency. */
export function fmtMoney(minor: IntLike, currency = "PEN"): string {
  const parts = new Intl.NumberFormat(locale(), {
    style: "currency",
    currency,
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  }).formatToParts(decimalString(big(minor), 2) as unknown as number);
  // Soles are "S/" in both languages (English locales would write "PEN").
  return parts
    .map((p) => (p.type === "currency" && currency === "PEN" ? "S/" : p.value))
    .join("")
    .replace(/^S\/(?=\d)/, "S/ ");
}

/** fmtKg formats grams as kilograms, to the gram when it has any. */
export function fmtKg(grams: IntLike): string {
  const g = big(grams);
  const digits = g % 1000n === 0n ? 0 : g % 100n === 0n ? 1 : 3;
  return (
    new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: 3 }).format(
      decimalString(g, 3) as unknown as number,
    ) + " kg"
  );
}

/** pounds converts grams to libras (1 lb = 0.45359237 kg). */
export function pounds(grams: IntLike): number {
  return Number(big(grams)) / GRAMS_PER_POUND;
}

/** fmtWeight: kilograms, with libras and quintales beside. */
export function fmtWeight(grams: IntLike): string {
  const lb = pounds(grams);
  const nf = new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 });
  const nq = new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 });
  return `${fmtKg(grams)} (${nf.format(lb)} lb · ${nq.format(lb / POUNDS_PER_QUINTAL)} qq)`;
}

/** fmtDateTime shows an RFC 3339 time in Peru's time zone. */
export function fmtDateTime(ts: string | undefined | null): string {
  if (!ts) return "";
  return new Intl.DateTimeFormat(locale(), {
    timeZone: PERU_TIME_ZONE,
    dateStyle: "medium",
    timeStyle: "short",
  }).format(new Date(ts));
}

/** fmtDate shows the day of an RFC 3339 time in Peru's time zone. */
export function fmtDate(ts: string | undefined | null): string {
  if (!ts) return "";
  return new Intl.DateTimeFormat(locale(), { timeZone: PERU_TIME_ZONE, dateStyle: "medium" }).format(new Date(ts));
}

/** fmtMicrons formats a diameter in micrometres. */
export function fmtMicrons(um: number | string | undefined | null): string {
  if (um === undefined || um === null || um === "") return "";
  return new Intl.NumberFormat(locale(), { minimumFractionDigits: 1, maximumFractionDigits: 2 }).format(Number(um)) + " µm";
}

/** parseKgToGrams reads "12.5" or "12,5" kilograms into whole grams, or null. */
export function parseKgToGrams(text: string): bigint | null {
  const s = text.trim().replace(",", ".");
  const m = /^(\d+)(?:\.(\d{0,3}))?$/.exec(s);
  if (!m) return null;
  return BigInt(m[1]) * 1000n + BigInt((m[2] ?? "").padEnd(3, "0") || "0");
}

/** parseMoneyToMinor reads "12.50" into 1250 minor units, or null. */
export function parseMoneyToMinor(text: string): bigint | null {
  const s = text.trim().replace(",", ".");
  const m = /^(\d+)(?:\.(\d{0,2}))?$/.exec(s);
  if (!m) return null;
  return BigInt(m[1]) * 100n + BigInt((m[2] ?? "").padEnd(2, "0") || "0");
}
