// The grading standards' codes and their names in the reader's language,
// read once from the public GET /v1/standards and shared by the market's
// pages and the observatory (quality groups, colours, breeds).
import { useEffect, useState } from "preact/hooks";
import { api, must, type Schemas } from "../../api/client";
import { lang } from "../../i18n";

export type Standard = Schemas["v1Standard"];
type Named = { code?: string; abbreviation?: string; name?: Schemas["v1LocalizedText"] };

/** DEFAULT_STANDARD is the service's default standard of graded fibre. */
export const DEFAULT_STANDARD = "standards/pe-ntp-231-301-2014";

let loading: Promise<Standard[]> | null = null;

/** loadStandards reads the standards once per page load. */
export function loadStandards(): Promise<Standard[]> {
  loading ??= must(api.GET("/v1/standards", {})).then((r) => r.standards ?? []);
  loading.catch(() => {
    loading = null;
  });
  return loading;
}

/** useStandards returns the standards, or [] while they load (or when they cannot be read). */
export function useStandards(): Standard[] {
  const [list, set] = useState<Standard[]>([]);
  useEffect(() => {
    let live = true;
    loadStandards()
      .then((s) => live && set(s))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  return list;
}

export function findStandard(list: Standard[], name: string | undefined): Standard | undefined {
  return list.find((s) => s.name === (name || DEFAULT_STANDARD));
}

function localized(n: Named | undefined, code: string): string {
  const text = n?.name ? (lang() === "es" ? n.name.es : n.name.en) || n.name.es || n.name.en : "";
  return text || code;
}

/** groupName is a quality group's name ("Alpaca Baby") for its code, the code itself when unknown. */
export function groupName(list: Standard[], code: string | undefined, standard?: string): string {
  if (!code) return "";
  for (const s of standard ? [findStandard(list, standard)] : list) {
    const g = s?.qualityGroups?.find((q) => q.code === code) ?? (s?.shortFiberGroup?.code === code ? s.shortFiberGroup : undefined);
    if (g) return localized(g, code);
    const c = s?.fleeceClassification?.categories?.find((x) => x.code === code);
    if (c) return localized(c, code);
  }
  return code;
}

/** colourName is a colour's name for its code. */
export function colourName(list: Standard[], code: string | undefined): string {
  if (!code) return "";
  for (const s of list) {
    const c = s.colours?.find((x) => x.code === code);
    if (c) return localized(c, code);
  }
  return code;
}

/** breedName is a breed's name for its code. */
export function breedName(list: Standard[], code: string | undefined): string {
  if (!code) return "";
  for (const s of list) {
    const b = s.breeds?.find((x) => x.code === code);
    if (b) return localized(b, code);
  }
  return code;
}

/** groupsOf lists the codes and names a purchase order under the standard may accept. */
export function groupsOf(s: Standard | undefined): Array<[string, string]> {
  if (!s) return [];
  const out: Array<[string, string]> = (s.qualityGroups ?? []).map((g) => [g.code ?? "", localized(g, g.code ?? "")]);
  if (s.shortFiberGroup?.code && !out.some(([c]) => c === s.shortFiberGroup!.code)) {
    out.push([s.shortFiberGroup.code, localized(s.shortFiberGroup, s.shortFiberGroup.code)]);
  }
  for (const c of s.fleeceClassification?.categories ?? []) if (c.code && !out.some(([x]) => x === c.code)) out.push([c.code, localized(c, c.code)]);
  return out;
}

export function coloursOf(s: Standard | undefined): Array<[string, string]> {
  return (s?.colours ?? []).map((c) => [c.code ?? "", localized(c, c.code ?? "")]);
}

export function breedsOf(s: Standard | undefined): Array<[string, string]> {
  return (s?.breeds ?? []).map((b) => [b.code ?? "", localized(b, b.code ?? "")]);
}

/** standardTitle is a standard's title in the reader's language. */
export function standardTitle(s: Standard): string {
  const t = s.title;
  return (t ? (lang() === "es" ? t.es : t.en) || t.es : "") || s.standardId || s.name || "";
}
