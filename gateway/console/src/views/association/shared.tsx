// What every page of the acopio area shares: the association the pages work
// for (the key's own, or one an admin picks), the standards' codes and names,
// the association's members and classifiers (kept for the tab's session, so
// that a receipt can be recorded with no connection after the page has been
// opened once), and small helpers for names and dates.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, must, type Schemas } from "../../api/client";
import { idOf } from "../../api/names";
import { lang, t } from "../../i18n";
import { PERU_TIME_ZONE } from "../../i18n/format";
import { useMe } from "../../session";
import { Busy, ErrorBox, Page, Select } from "../../ui/ui";

export type Standard = Schemas["v1Standard"];
export type Member = Schemas["v1Member"];
export type Classifier = Schemas["v1Classifier"];
export type Receipt = Schemas["v1Receipt"];
export type Lot = Schemas["v1Lot"];
export type Trade = Schemas["v1Trade"];
export type Localized = Schemas["v1LocalizedText"];

/** GROUP_STANDARD grades quality groups (NTP 231.301); FLEECE_STANDARD categorises whole fleeces (NTP 231.300). */
export const GROUP_STANDARD = "pe-ntp-231-301-2014";
export const FLEECE_STANDARD = "pe-ntp-231-300-2014";

const PICKED = "millwa.acopio.association";

function session(name: string): string | null {
  try {
    return sessionStorage.getItem(name);
  } catch {
    return null;
  }
}

function keep(name: string, value: string): void {
  try {
    sessionStorage.setItem(name, value);
  } catch {
    // storage full or unavailable: the value lives for this page only
  }
}

/** Kept is an answer read with readKept: readAt is set when it is the one kept before, read then. */
export interface Kept<T> {
  value: T;
  readAt?: string;
}

/**
 * readKept reads with read and keeps the answer for the tab's session
 * under key; when read fails and useKept accepts the failure, it gives the
 * answer kept before, with the time it was read (and the failure when none
 * was kept).
 */
export async function readKept<T>(key: string, read: () => Promise<T>, useKept: (e: unknown) => boolean): Promise<Kept<T>> {
  try {
    const value = await read();
    keep(key, JSON.stringify({ value, readAt: new Date().toISOString() }));
    return { value };
  } catch (e) {
    const saved = session(key);
    if (saved && useKept(e)) return JSON.parse(saved) as Kept<T>;
    throw e;
  }
}

/**
 * useAssociation is the id of the association the pages work for: the key's
 * own organisation, or for an admin the one picked on the page ("" until then).
 */
export function useAssociation(): [string, (id: string) => void] {
  const who = useMe();
  const org = who?.organisation ?? "";
  const own = org.startsWith("associations/") ? org.slice("associations/".length) : "";
  const [picked, setPicked] = useState(session(PICKED) ?? "");
  return [
    own || picked,
    (id: string) => {
      keep(PICKED, id);
      setPicked(id);
    },
  ];
}

/** AssociationPage is a page of the area: an admin first picks the association it works for. */
export function AssociationPage(props: {
  title: string;
  actions?: ComponentChildren;
  children: (association: string) => ComponentChildren;
}) {
  const [association, pick] = useAssociation();
  if (association) {
    return (
      <Page title={props.title} actions={props.actions}>
        {props.children(association)}
      </Page>
    );
  }
  return (
    <Page title={props.title}>
      <AssociationPicker onPick={pick} />
    </Page>
  );
}

function AssociationPicker(props: { onPick: (id: string) => void }) {
  const [list, setList] = useState<Schemas["v1Association"][] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    must(api.GET("/v1/associations", { params: { query: { pageSize: 500, orderBy: "legal_name" } } }))
      .then((r) => setList(r.associations ?? []))
      .catch(setError);
  }, []);
  if (error) return <ErrorBox error={error} />;
  if (!list) return <Busy />;
  return (
    <div class="card narrow">
      <p>{t("acopio.pickAssociation.intro")}</p>
      <Select
        label={t("acopio.pickAssociation.label")}
        options={[["", t("acopio.pickAssociation.choose")], ...list.map((a): [string, string] => [idOf(a.name), a.legalName])]}
        onChange={(e) => {
          const v = (e.target as HTMLSelectElement).value;
          if (v) props.onPick(v);
        }}
      />
    </div>
  );
}


/** local picks the reader's language from a text the service gives in both. */
export function local(text: Localized | undefined): string {
  if (!text) return "";
  return (lang() === "en" ? text.en || text.es : text.es || text.en) ?? "";
}

const standards = new Map<string, Promise<Standard>>();

/** loadStandard reads a standard once per page load, and from the tab's session when offline. */
export function loadStandard(id: string): Promise<Standard> {
  let p = standards.get(id);
  if (!p) {
    const cacheKey = `millwa.acopio.standard.${id}`;
    p = must(api.GET("/v1/standards/{standard}", { params: { path: { standard: id } } }))
      .then((s) => {
        keep(cacheKey, JSON.stringify(s));
        return s;
      })
      .catch((e) => {
        standards.delete(id);
        const saved = session(cacheKey);
        if (saved) return JSON.parse(saved) as Standard;
        throw e;
      });
    standards.set(id, p);
  }
  return p;
}

/** useStandard is the standard of id, or null while it loads. */
export function useStandard(id: string): Standard | null {
  const [s, set] = useState<Standard | null>(null);
  useEffect(() => {
    let live = true;
    set(null);
    loadStandard(id)
      .then((x) => live && set(x))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [id]);
  return s;
}

/** groupOptions are the quality groups of a standard, or its fleece categories. */
export function groupOptions(s: Standard | null): Array<[string, string]> {
  if (!s) return [];
  const groups = (s.qualityGroups ?? []).map((g): [string, string] => [g.code ?? "", local(g.name)]);
  if (s.shortFiberGroup?.code) groups.push([s.shortFiberGroup.code, local(s.shortFiberGroup.name)]);
  if (groups.length) return groups;
  return (s.fleeceClassification?.categories ?? []).map((c): [string, string] => [c.code ?? "", local(c.name)]);
}

export function colourOptions(s: Standard | null): Array<[string, string]> {
  return (s?.colours ?? []).map((c): [string, string] => [c.code ?? "", local(c.name)]);
}

export function breedOptions(s: Standard | null): Array<[string, string]> {
  return (s?.breeds ?? []).map((b): [string, string] => [b.code ?? "", local(b.name)]);
}

/** nameOf finds the reader's name of a code among options, or the code itself. */
export function nameOf(options: Array<[string, string]>, code: string | undefined): string {
  return options.find(([c]) => c === code)?.[1] ?? code ?? "";
}

async function listAll<T>(page: (token: string) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const out: T[] = [];
  let token = "";
  for (let i = 0; i < 40; i++) {
    const r = await page(token);
    out.push(...r.items);
    if (!r.next) break;
    token = r.next;
  }
  return out;
}

/** loadMembers lists every member of the association, kept for the tab's session. */
export async function loadMembers(association: string): Promise<Member[]> {
  const read = () =>
    listAll(async (pageToken) => {
      const r = await must(
        api.GET("/v1/associations/{association}/members", {
          params: { path: { association }, query: { pageSize: 500, pageToken: pageToken || undefined, orderBy: "display_name" } },
        }),
      );
      return { items: r.members ?? [], next: r.nextPageToken };
    });
  return (await readKept(`millwa.acopio.members.${association}`, read, () => true)).value;
}

/** loadClassifiers lists every classifier of the association, kept for the tab's session. */
export async function loadClassifiers(association: string): Promise<Classifier[]> {
  const read = () =>
    listAll(async (pageToken) => {
      const r = await must(
        api.GET("/v1/associations/{association}/classifiers", {
          params: { path: { association }, query: { pageSize: 500, pageToken: pageToken || undefined } },
        }),
      );
      return { items: r.classifiers ?? [], next: r.nextPageToken };
    });
  return (await readKept(`millwa.acopio.classifiers.${association}`, read, () => true)).value;
}

/** usePeople loads the association's members and classifiers. */
export function usePeople(association: string): { members: Member[] | null; classifiers: Classifier[] | null; error: unknown; reload: () => void } {
  const [members, setMembers] = useState<Member[] | null>(null);
  const [classifiers, setClassifiers] = useState<Classifier[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    if (!association) return;
    loadMembers(association).then(setMembers).catch(setError);
    loadClassifiers(association).then(setClassifiers).catch(setError);
  }, [association, n]);
  return { members, classifiers, error, reload: () => setN(n + 1) };
}

/** fold is text for search: lower case without accents. */
export function fold(s: string): string {
  return s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase();
}

/** matches says whether every word of query is part of one of texts. */
export function matches(query: string, ...texts: Array<string | undefined>): boolean {
  const hay = fold(texts.filter(Boolean).join(" "));
  return fold(query)
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => hay.includes(w));
}

/** todayInPeru is today's date in Peru, "YYYY-MM-DD". */
export function todayInPeru(): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: PERU_TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

/**
 * currentCampaign is the shearing season under way: it is named by the year
 * it starts in (the 2026 campaign runs from about November 2026 to April
 * 2027), so from January to June it is last year's.
 */
export function currentCampaign(): number {
  const [y, m] = todayInPeru().split("-").map(Number);
  return m >= 7 ? y : y - 1;
}

/** campaignOptions are the last few campaigns, newest first. */
export function campaignOptions(): Array<[string, string]> {
  const c = currentCampaign();
  return [c + 1, c, c - 1, c - 2, c - 3].map((y): [string, string] => [String(y), String(y)]);
}

/** sumGrams adds int64 strings. */
export function sumGrams(values: Array<string | undefined>): bigint {
  return values.reduce((acc, v) => acc + BigInt(v || "0"), 0n);
}

/** remember keeps a value the clerk typed (a collection point) in this browser, to offer it next time. */
export function remember(name: string, value: string): void {
  try {
    localStorage.setItem(`millwa.acopio.${name}`, value);
  } catch {
    // not kept
  }
}

export function recall(name: string): string {
  try {
    return localStorage.getItem(`millwa.acopio.${name}`) ?? "";
  } catch {
    return "";
  }
}
