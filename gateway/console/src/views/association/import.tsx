// CSV import of lots: the same file millwactl imports (columns in English
// or Spanish, codes or the standard's names, members and classifiers by id,
// resource name or DNI). Every row is checked here first, naming its line;
// then the lots go in batches (BatchCreateLots, all of a batch or none) with
// a request id made from the batch's content, so importing the same file
// again after a dropped connection makes nothing twice. The service's
// refusals are mapped back to the file's lines.
import { useState } from "preact/hooks";
import { api, ApiError, must, NetworkError, type Schemas } from "../../api/client";
import { idOf } from "../../api/names";
import { t } from "../../i18n";
import { fmtInt } from "../../i18n/format";
import { Busy, ErrorBox, Notice } from "../../ui/ui";
import { AssociationPage, fold, GROUP_STANDARD, loadClassifiers, loadMembers, loadStandard, type Standard } from "./shared";

type LotRequest = Schemas["v1CreateLotRequest"];

export function ImportPage() {
  return <AssociationPage title={t("acopio.import.title")}>{(a) => <Importer association={a} />}</AssociationPage>;
}

/** The Spanish column names millwactl accepts, by the English one they stand for. */
const SPANISH: Record<string, string> = {
  numero_lote: "lot_number",
  campana: "campaign",
  norma: "standard",
  raza: "breed",
  color: "colour",
  grupo: "declared_quality_group",
  clasificador: "classifier",
  peso_neto_g: "net_weight_grams",
  peso_neto_kg: "net_weight_kg",
  precio_centimos: "ask_price_per_kg",
  precio_soles: "ask_price_pen",
  centro_acopio: "collection_point",
  fecha_clasificacion: "classification_date",
  diametro_um: "mean_fiber_diameter_um",
  de_um: "sd_um",
  fibras_medidas: "fibers_measured",
  longitud_mecha_mm: "staple_length_mm",
};
const COLUMNS = new Set(Object.values(SPANISH));

/** canonical is the English name of a header cell, as millwactl reads it. */
function canonical(raw: string): string {
  const name = fold(raw.trim()).replace(/[ -]/g, "_");
  if (SPANISH[name]) return SPANISH[name];
  const m = /^(socio|gramos|member|grams|kg)_(\d+)$/.exec(name);
  if (m) return `${{ socio: "member", gramos: "grams" }[m[1]] ?? m[1]}_${m[2]}`;
  return name;
}

/** parseCsv reads RFC 4180 CSV, returning each record with the line it starts on. */
export function parseCsv(text: string): Array<{ line: number; cells: string[] }> {
  const out: Array<{ line: number; cells: string[] }> = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let start = 1;
  let cells: string[] = [];
  let cell = "";
  let quoted = false;
  const endRecord = () => {
    cells.push(cell);
    out.push({ line: start, cells });
    cells = [];
    cell = "";
  };
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === "\n") line++;
        cell += c;
      }
    } else if (c === '"' && cell === "") quoted = true;
    else if (c === ",") {
      cells.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      line++;
      start = line;
    } else cell += c;
  }
  if (cell !== "" || cells.length) endRecord();
  return out.filter((r) => r.cells.some((c) => c.trim() !== ""));
}

/** codeKey compares codes and names as millwactl does: upper case, no accents, a remark in brackets dropped. */
function codeKey(s: string): string {
  const cut = s.indexOf("(") > 0 ? s.slice(0, s.indexOf("(")) : s;
  return fold(cut)
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, "_")
    .replace(/^_|_$/g, "");
}

function findCode(list: Array<{ code?: string; abbreviation?: string; name?: { es?: string; en?: string } }>, raw: string): string | null {
  const k = codeKey(raw);
  for (const x of list) {
    if ([x.code, x.abbreviation, x.name?.es, x.name?.en].some((v) => v && codeKey(v) === k)) return x.code ?? null;
  }
  return null;
}

function decimalToInt(raw: string, scale: number): bigint | null {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(raw);
  if (!m || (m[2] ?? "").length > scale) return null;
  return BigInt(m[1]) * 10n ** BigInt(scale) + BigInt((m[2] ?? "").padEnd(scale, "0") || "0");
}

interface RowError {
  line: number;
  column: string;
  message: string;
}

interface Parsed {
  requests: LotRequest[];
  lines: number[];
  errors: RowError[];
}

async function readFile(text: string, association: string): Promise<Parsed> {
  const records = parseCsv(text);
  const errors: RowError[] = [];
  if (records.length < 2) return { requests: [], lines: [], errors: [{ line: 1, column: "", message: t("acopio.import.error.empty") }] };
  const header = records[0].cells.map(canonical);
  header.forEach((h, i) => {
    if (!COLUMNS.has(h) && !/^(member|grams|kg)_\d+$/.test(h)) errors.push({ line: 1, column: records[0].cells[i], message: t("acopio.import.error.column") });
  });
  if (errors.length) return { requests: [], lines: [], errors };
  const [members, classifiers] = await Promise.all([loadMembers(association), loadClassifiers(association)]);
  const memberByDni = new Map(members.map((m) => [m.dni, idOf(m.name)]));
  const memberIds = new Set(members.map((m) => idOf(m.name)));
  const classifierByDni = new Map(classifiers.map((c) => [c.dni, idOf(c.name)]));
  const classifierIds = new Set(classifiers.map((c) => idOf(c.name)));
  const standards = new Map<string, Standard>();
  const pairs = [...new Set(header.filter((h) => /^(member|grams|kg)_\d+$/.test(h)).map((h) => h.slice(h.indexOf("_") + 1)))].sort((x, y) => Number(x) - Number(y));
  const requests: LotRequest[] = [];
  const lines: number[] = [];
  for (const rec of records.slice(1)) {
    const at = (col: string) => {
      const i = header.indexOf(col);
      return i < 0 ? "" : (rec.cells[i] ?? "").trim();
    };
    const bad = (column: string, message: string) => errors.push({ line: rec.line, column, message });
    const before = errors.length;
    const stdId = idOf(at("standard")) || GROUP_STANDARD;
    let std = standards.get(stdId);
    if (!std) {
      try {
        std = await loadStandard(stdId);
        standards.set(stdId, std);
      } catch {
        bad("standard", t("acopio.import.error.standard"));
        continue;
      }
    }
    const campaign = Number(at("campaign"));
    if (!Number.isInteger(campaign) || campaign < 2000) bad("campaign", t("acopio.import.error.campaign"));
    const breed = findCode(std.breeds ?? [], at("breed"));
    if (!breed) bad("breed", t("acopio.import.error.code", { value: at("breed") }));
    const colour = findCode(std.colours ?? [], at("colour"));
    if (!colour) bad("colour", t("acopio.import.error.code", { value: at("colour") }));
    const groupList = [...(std.qualityGroups ?? []), ...(std.shortFiberGroup ? [std.shortFiberGroup] : []), ...(std.fleeceClassification?.categories ?? [])];
    const group = findCode(groupList, at("declared_quality_group"));
    if (!group) bad("declared_quality_group", t("acopio.import.error.code", { value: at("declared_quality_group") }));
    const cl = at("classifier");
    const classifier = classifierByDni.get(cl) ?? (classifierIds.has(idOf(cl)) ? idOf(cl) : "");
    if (!classifier) bad("classifier", t("acopio.import.error.classifier", { value: cl }));
    let net: bigint | null = null;
    if (at("net_weight_grams") && at("net_weight_kg")) bad("net_weight_kg", t("acopio.import.error.both"));
    else if (at("net_weight_grams")) net = decimalToInt(at("net_weight_grams"), 0);
    else net = decimalToInt(at("net_weight_kg"), 3);
    if (net === null || net <= 0n) bad("net_weight", t("acopio.import.error.weight"));
    let price: bigint | null = null;
    if (at("ask_price_per_kg") && at("ask_price_pen")) bad("ask_price_pen", t("acopio.import.error.both"));
    else if (at("ask_price_per_kg")) price = decimalToInt(at("ask_price_per_kg"), 0);
    else price = decimalToInt(at("ask_price_pen"), 2);
    if (price === null || price <= 0n) bad("ask_price", t("acopio.import.error.price"));
    if (!at("collection_point")) bad("collection_point", t("acopio.import.error.required"));
    const contributions: Array<{ member: string; grams: string }> = [];
    let sum = 0n;
    for (const n of pairs) {
      const who = at(`member_${n}`);
      const g = at(`grams_${n}`);
      const kg = at(`kg_${n}`);
      if (!who && !g && !kg) continue;
      const id = memberByDni.get(who) ?? (memberIds.has(idOf(who)) ? idOf(who) : "");
      if (!id) bad(`member_${n}`, t("acopio.import.error.member", { value: who }));
      const grams = g ? decimalToInt(g, 0) : decimalToInt(kg, 3);
      if (grams === null || grams <= 0n) bad(g ? `grams_${n}` : `kg_${n}`, t("acopio.import.error.weight"));
      else sum += grams;
      if (id && grams) contributions.push({ member: `associations/${association}/members/${id}`, grams: String(grams) });
    }
    if (pairs.length === 0 || (contributions.length === 0 && errors.length === before)) bad("member_1", t("acopio.import.error.noMember"));
    else if (net !== null && errors.length === before && sum !== net) bad("member_1", t("acopio.import.error.sum", { sum: String(sum), net: String(net) }));
    if (errors.length !== before) continue;
    const mean = at("mean_fiber_diameter_um");
    const measurement: Schemas["v1FiberSample"] | undefined = mean
      ? {
          breed: breed!,
          meanFiberDiameterUm: Number(mean),
          ...(at("sd_um") ? { sdUm: Number(at("sd_um")) } : {}),
          ...(at("fibers_measured") ? { fibersMeasured: at("fibers_measured") } : {}),
          ...(at("staple_length_mm") ? { stapleLengthMm: Number(at("staple_length_mm")) } : {}),
        }
      : undefined;
    requests.push({
      lot: {
        standard: `standards/${stdId}`,
        lotNumber: at("lot_number") || undefined,
        campaign,
        breed: breed!,
        colour: colour!,
        declaredQualityGroup: group!,
        classifier: `associations/${association}/classifiers/${classifier}`,
        netWeightGrams: String(net),
        askPricePerKg: String(price),
        collectionPoint: at("collection_point"),
        classificationDate: at("classification_date") || undefined,
        measurement,
        contributions,
      },
    });
    lines.push(rec.line);
  }
  return { requests, lines, errors };
}

async function batchId(association: string, requests: LotRequest[]): Promise<string> {
  const data = new TextEncoder().encode(association + JSON.stringify(requests));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return "csv-" + Array.from(digest.slice(0, 24), (b) => b.toString(16).padStart(2, "0")).join("");
}

const BATCH = 100;

function Importer(props: { association: string }) {
  const a = props.association;
  const [file, setFile] = useState<File | null>(null);
  const [phase, setPhase] = useState<"idle" | "checking" | "sending" | "done">("idle");
  const [total, setTotal] = useState(0);
  const [sent, setSent] = useState(0);
  const [created, setCreated] = useState(0);
  const [errors, setErrors] = useState<RowError[]>([]);
  const [error, setError] = useState<unknown>(null);

  async function run(e: Event) {
    e.preventDefault();
    if (!file) return;
    setError(null);
    setErrors([]);
    setSent(0);
    setCreated(0);
    setPhase("checking");
    try {
      const parsed = await readFile(await file.text(), a);
      setTotal(parsed.requests.length + new Set(parsed.errors.map((x) => x.line)).size);
      if (parsed.errors.length) {
        setErrors(parsed.errors);
        setPhase("done");
        return;
      }
      setPhase("sending");
      const found: RowError[] = [];
      let made = 0;
      for (let start = 0; start < parsed.requests.length; start += BATCH) {
        const chunk = parsed.requests.slice(start, start + BATCH);
        try {
          const r = await must(
            api.POST("/v1/associations/{association}/lots:batchCreate", {
              params: { path: { association: a } },
              body: { requests: chunk, requestId: await batchId(a, chunk) },
            }),
          );
          made += r.lots?.length ?? 0;
          setCreated(made);
        } catch (err) {
          if (err instanceof NetworkError) throw err;
          if (err instanceof ApiError && err.fieldViolations.length) {
            for (const v of err.fieldViolations) {
              const m = /^requests\[(\d+)\]\.(.*)$/.exec(v.field);
              const line = m ? parsed.lines[start + Number(m[1])] : parsed.lines[start];
              found.push({ line, column: m ? m[2] : v.field, message: v.description });
            }
          } else {
            found.push({ line: parsed.lines[start], column: "", message: err instanceof Error ? err.message : String(err) });
          }
          setErrors([...found]);
        }
        setSent(Math.min(start + BATCH, parsed.requests.length));
      }
      setPhase("done");
    } catch (err) {
      setError(err);
      setPhase("idle");
    }
  }

  return (
    <>
      <form class="card" onSubmit={run} aria-label={t("acopio.import.title")}>
        <p>{t("acopio.import.intro")}</p>
        <details>
          <summary>{t("acopio.import.formatTitle")}</summary>
          <p>{t("acopio.import.format")}</p>
          <pre class="csv-example">numero_lote,campana,raza,color,grupo,clasificador,peso_neto_kg,precio_soles,centro_acopio,socio_1,kg_1,socio_2,kg_2{"\n"}L-001,2026,Huacaya,Blanco,Baby,42000001,46,22.50,Centro de acopio Ichu,41000001,30,41000002,16</pre>
        </details>
        <div class="field">
          <label for="csv-file">{t("acopio.import.file")}</label>
          <input id="csv-file" type="file" accept=".csv,text/csv" onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)} />
        </div>
        <button type="submit" class="primary" disabled={!file || phase === "checking" || phase === "sending"}>
          {t("acopio.import.start")}
        </button>
      </form>
      <ErrorBox error={error} />
      {phase === "checking" && <Busy />}
      {(phase === "sending" || phase === "done") && total > 0 && (
        <div class="import-progress">
          <progress max={total} value={sent} aria-label={t("acopio.import.progress", { sent: fmtInt(sent), total: fmtInt(total) })} />
          <p aria-live="polite">{t("acopio.import.progress", { sent: fmtInt(sent), total: fmtInt(total) })}</p>
        </div>
      )}
      {phase === "done" && errors.length === 0 && <Notice>{t("acopio.import.done", { n: fmtInt(created) })}</Notice>}
      {errors.length > 0 && (
        <section aria-labelledby="import-errors">
          <h2 id="import-errors">{t("acopio.import.errors", { n: errors.length })}</h2>
          {created > 0 && <Notice kind="warn">{t("acopio.import.partial", { n: fmtInt(created) })}</Notice>}
          <ul class="import-errors">
            {errors.map((x, i) => (
              <li key={i}>
                <strong>{t("acopio.import.line", { line: x.line })}</strong>
                {x.column && <> · {x.column}</>}: {x.message}
              </li>
            ))}
          </ul>
          <p>{t("acopio.import.fixAndRetry")}</p>
        </section>
      )}
    </>
  );
}
