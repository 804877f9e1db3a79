// What the agency's pages share: the agency they work for (a key's own, or
// for a platform admin the one picked from the list), periods written as
// dates in Peru, and the words for the API's enums.
import { useEffect, useState } from "preact/hooks";
import { api, must, type Schemas } from "../../api/client";
import { lang, t } from "../../i18n";
import { PERU_TIME_ZONE } from "../../i18n/format";
import { useMe } from "../../session";
import { ErrorBox, Select } from "../../ui/ui";

export type Agency = Schemas["v1Agency"];

/** AgencyContext is the agency a page acts for. */
export interface AgencyContext {
  /** Resource name, "agencies/{id}"; empty while unknown. */
  name: string;
  /** The id part of name, for REST paths. */
  id: string;
  regions: string[];
  /** isAdmin: a platform admin, who picks the agency. */
  isAdmin: boolean;
  agencies: Agency[];
  pick: (name: string) => void;
  error: unknown;
}

const PICKED = "millwa.agency";

function idOf(name: string): string {
  return name.slice(name.indexOf("/") + 1);
}

/**
 * useAgency returns the agency of the signed-in key; for an admin, the
 * agency picked on these pages (kept for the tab), the first one at first.
 */
export function useAgency(): AgencyContext {
  const who = useMe();
  const isAdmin = who?.role === "ROLE_ADMIN";
  const [agencies, setAgencies] = useState<Agency[]>([]);
  const [picked, setPicked] = useState<string>(() => sessionStorage.getItem(PICKED) ?? "");
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!isAdmin) return;
    must(api.GET("/v1/agencies", { params: { query: { pageSize: 500 } } }))
      .then((r) => setAgencies(r.agencies ?? []))
      .catch(setError);
  }, [isAdmin]);
  const pick = (name: string) => {
    sessionStorage.setItem(PICKED, name);
    setPicked(name);
  };
  if (!isAdmin) {
    const name = who?.organisation ?? "";
    return { name, id: idOf(name), regions: who?.regions ?? [], isAdmin, agencies, pick, error };
  }
  const current = agencies.find((a) => a.name === picked) ?? agencies[0];
  const name = current?.name ?? "";
  return { name, id: idOf(name), regions: current?.regions ?? [], isAdmin, agencies, pick, error };
}

/** AgencyPicker lets an admin choose which agency the page works for. */
export function AgencyPicker(props: { ctx: AgencyContext }) {
  const c = props.ctx;
  if (!c.isAdmin) return null;
  return (
    <div class="card agency-picker">
      <Select
        label={t("agency.pick.label")}
        value={c.name}
        options={c.agencies.map((a) => [a.name ?? "", `${a.displayName} (${(a.regions ?? []).join(", ")})`])}
        onChange={(e: Event) => c.pick((e.target as HTMLSelectElement).value)}
      />
      {c.agencies.length === 0 && !c.error && <p class="hint">{t("agency.pick.none")}</p>}
      <ErrorBox error={c.error} />
    </div>
  );
}

/** limaDate is the day of d in Peru, "2026-05-01". */
export function limaDate(d: Date): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: PERU_TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit" }).format(d);
}

/** dayStart is the first instant of a day in Peru as RFC 3339 (Peru is UTC−5 all year). */
export function dayStart(date: string): string {
  return `${date}T05:00:00Z`;
}

/** validDate says whether s is a calendar date "YYYY-MM-DD". */
export function validDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T12:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** defaultPeriod is the last year, up to and including today in Peru. */
export function defaultPeriod(): { start: string; end: string } {
  const now = Date.now();
  return { start: limaDate(new Date(now - 365 * 86_400_000)), end: limaDate(new Date(now + 86_400_000)) };
}

/** inLang picks a LocalizedText's text in the reader's language. */
export function inLang(text: Schemas["v1LocalizedText"] | undefined): string {
  if (!text) return "";
  return (lang() === "es" ? text.es || text.en : text.en || text.es) ?? "";
}

/** fmtDecimal writes a number with the locale's separators. */
export function fmtDecimal(v: number | undefined | null, digits: number): string {
  if (v === undefined || v === null || Number.isNaN(v)) return "";
  return new Intl.NumberFormat(lang() === "es" ? "es-PE" : "en-PE", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(v);
}

/** fmtPct writes a percentage, 0 to 100. */
export function fmtPct(v: number | undefined | null): string {
  // Spanish writes a space before the sign (RAE), English none.
  return lang() === "es" ? `${fmtDecimal(v ?? 0, 0)}\u00a0%` : `${fmtDecimal(v ?? 0, 0)}%`;
}

/** severityText names an ISO 2859-1 switching state. */
export function severityText(s: Schemas["v1InspectionSeverity"] | undefined): string {
  const m: Record<string, string> = {
    INSPECTION_SEVERITY_NORMAL: t("agency.severity.normal"),
    INSPECTION_SEVERITY_TIGHTENED: t("agency.severity.tightened"),
    INSPECTION_SEVERITY_REDUCED: t("agency.severity.reduced"),
  };
  return m[s ?? ""] ?? "";
}

/** agreementText names how a check compares with the declared group. */
export function agreementText(a: Schemas["v1Agreement"] | undefined): string {
  const m: Record<string, string> = {
    AGREEMENT_EXACT: t("agency.agreement.exact"),
    AGREEMENT_ADJACENT: t("agency.agreement.adjacent"),
    AGREEMENT_DISTANT: t("agency.agreement.distant"),
  };
  return m[a ?? ""] ?? "";
}

/** shortId shows the last characters of a resource name's id, enough to tell rows apart. */
export function shortId(name: string | undefined): string {
  const id = (name ?? "").split("/").pop() ?? "";
  return id.length > 8 ? "…" + id.slice(-8) : id;
}
