// Registering a lot by its laboratory measurement: as the clerk types the
// diameter, deviation, fibres measured and staple length, the standard
// grades it (GradeSample) and the page says the group, why, and in plain
// words when the measurement sits on a group's edge. The members'
// contributions are typed by hand; a lot made with no connection waits in
// the outbox like a receipt.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, must, newRequestId, type Schemas } from "../../api/client";
import { idOf } from "../../api/names";
import { t } from "../../i18n";
import { fmtKg, fmtMicrons, fmtWeight, parseKgToGrams, parseMoneyToMinor } from "../../i18n/format";
import { sendOrKeep } from "../../offline/outbox";
import { Link } from "../../router";
import { Busy, ErrorBox, Field, Notice, Select } from "../../ui/ui";
import { LotMade, lotsPath } from "./lotbuilder";
import { MemberPicker } from "./receipts";
import {
  AssociationPage,
  breedOptions,
  campaignOptions,
  colourOptions,
  currentCampaign,
  GROUP_STANDARD,
  groupOptions,
  local,
  nameOf,
  recall,
  remember,
  todayInPeru,
  usePeople,
  useStandard,
  type Lot,
} from "./shared";

type Grade = Schemas["v1GradeSampleResponse"];

export function NewLotPage() {
  return (
    <AssociationPage
      title={t("acopio.lotForm.title")}
      actions={
        <Link class="button" href="/acopio/lotes">
          {t("acopio.lots.backToList")}
        </Link>
      }
    >
      {(a) => <LotForm association={a} />}
    </AssociationPage>
  );
}

function num(s: string): number | null {
  const v = Number(s.trim().replace(",", "."));
  return s.trim() && Number.isFinite(v) ? v : null;
}

/** useGrade grades a measurement as it changes, waiting for the typing to pause. */
function useGrade(breed: string, mean: string, sd: string, fibres: string, staple: string): { grade: Grade | null; error: unknown; busy: boolean } {
  const [grade, setGrade] = useState<Grade | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const seq = useRef(0);
  useEffect(() => {
    const m = num(mean);
    if (m === null) {
      setGrade(null);
      setError(null);
      return;
    }
    const my = ++seq.current;
    const timer = setTimeout(() => {
      setBusy(true);
      const sample: Schemas["v1FiberSample"] = { breed, meanFiberDiameterUm: m };
      const s = num(sd);
      const f = num(fibres);
      const l = num(staple);
      if (s !== null) sample.sdUm = s;
      if (f !== null) sample.fibersMeasured = String(Math.trunc(f));
      if (l !== null) sample.stapleLengthMm = l;
      must(api.POST("/v1/standards/{standard}:grade", { params: { path: { standard: GROUP_STANDARD } }, body: { sample } }))
        .then((g) => {
          if (my !== seq.current) return;
          setGrade(g);
          setError(null);
        })
        .catch((e) => {
          if (my !== seq.current) return;
          setGrade(null);
          setError(e);
        })
        .finally(() => my === seq.current && setBusy(false));
    }, 350);
    return () => clearTimeout(timer);
  }, [breed, mean, sd, fibres, staple]);
  return { grade, error, busy };
}

/** GradeFeedback shows the group a measurement grades as, and explains a borderline one plainly. */
export function GradeFeedback(props: { grade: Grade | null; error: unknown; busy: boolean; declared: string; groups: Array<[string, string]> }) {
  const g = props.grade;
  if (props.error) {
    return (
      <div class="grade-feedback" aria-live="polite">
        <ErrorBox error={props.error} />
      </div>
    );
  }
  if (!g) {
    return (
      <div class="grade-feedback hint" aria-live="polite">
        {props.busy ? t("acopio.grade.grading") : t("acopio.grade.typeToGrade")}
      </div>
    );
  }
  const name = local(g.qualityGroupName) || nameOf(props.groups, g.qualityGroup);
  const alternatives = (g.alternatives ?? [])
    .map((c) => (c === "OUT_OF_SCALE" ? t("acopio.grade.outOfScale") : nameOf(props.groups, c)))
    .join(", ");
  const differs = props.declared && props.declared !== g.qualityGroup && !(g.alternatives ?? []).includes(props.declared);
  return (
    <div class={`grade-feedback card ${g.borderline ? "borderline" : "clear"}`} aria-live="polite" data-testid="grade-feedback">
      <p class="grade-group">
        {t("acopio.grade.result", { group: name })}
        {g.metrics?.meanFiberDiameterUm !== undefined && <span class="hint"> ({fmtMicrons(g.metrics.meanFiberDiameterUm)})</span>}
      </p>
      <p>{local(g.explanation)}</p>
      {g.borderline && (
        <p class="notice warn">
          {t("acopio.grade.borderline", { group: name, alternatives })}
        </p>
      )}
      {differs && <p class="notice error">{t("acopio.grade.differs", { declared: nameOf(props.groups, props.declared), group: name })}</p>}
    </div>
  );
}

interface Row {
  member: string;
  kg: string;
}

function LotForm(props: { association: string }) {
  const a = props.association;
  const std = useStandard(GROUP_STANDARD);
  const groups = groupOptions(std);
  const { members, classifiers, error: loadError } = usePeople(a);
  const [campaign, setCampaign] = useState(String(currentCampaign()));
  const [breed, setBreed] = useState("HUACAYA");
  const [colour, setColour] = useState("WHITE");
  const [declared, setDeclared] = useState("");
  const [mean, setMean] = useState("");
  const [sd, setSd] = useState("");
  const [fibres, setFibres] = useState("");
  const [staple, setStaple] = useState("");
  const [netKg, setNetKg] = useState("");
  const [price, setPrice] = useState("");
  const [lotNumber, setLotNumber] = useState("");
  const [collectionPoint, setCollectionPoint] = useState(recall("collectionPoint"));
  const [classifier, setClassifier] = useState(recall("classifier"));
  const [date, setDate] = useState(todayInPeru());
  const [rows, setRows] = useState<Row[]>([{ member: "", kg: "" }]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [made, setMade] = useState<{ lot?: Lot; queued?: string } | null>(null);
  const grading = useGrade(breed, mean, sd, fibres, staple);

  useEffect(() => {
    if (!declared && grading.grade?.qualityGroup) setDeclared(grading.grade.qualityGroup);
  }, [grading.grade?.qualityGroup]);

  const net = parseKgToGrams(netKg);
  const contributions = rows
    .map((r) => ({ member: r.member, grams: parseKgToGrams(r.kg) }))
    .filter((r) => r.member && r.grams !== null && r.grams > 0n) as Array<{ member: string; grams: bigint }>;
  const contributed = contributions.reduce((s, c) => s + c.grams, 0n);

  async function submit(ev: Event) {
    ev.preventDefault();
    setError(null);
    setMade(null);
    const e: Record<string, string> = {};
    if (!declared) e.declared = t("acopio.lotForm.error.group");
    if (net === null || net <= 0n) e.net = t("acopio.error.kg");
    const ask = parseMoneyToMinor(price);
    if (ask === null || ask <= 0n) e.price = t("acopio.error.price");
    if (!collectionPoint.trim()) e.collectionPoint = t("acopio.error.collectionPoint");
    if (!classifier) e.classifier = t("acopio.receipts.error.classifier");
    if (contributions.length === 0) e.contributions = t("acopio.lotForm.error.contributions");
    else if (net !== null && contributed !== net) e.contributions = t("acopio.lotForm.error.sum", { sum: fmtKg(contributed), net: fmtKg(net) });
    const mm = num(mean);
    if (mean.trim() && mm === null) e.mean = t("acopio.lotForm.error.number");
    setErrors(e);
    if (Object.keys(e).length) return;
    const measurement: Schemas["v1FiberSample"] | undefined =
      mm === null
        ? undefined
        : {
            breed,
            meanFiberDiameterUm: mm,
            ...(num(sd) !== null ? { sdUm: num(sd)! } : {}),
            ...(num(fibres) !== null ? { fibersMeasured: String(Math.trunc(num(fibres)!)) } : {}),
            ...(num(staple) !== null ? { stapleLengthMm: num(staple)! } : {}),
          };
    const lot = {
      standard: `standards/${GROUP_STANDARD}`,
      campaign: Number(campaign),
      breed,
      colour,
      declaredQualityGroup: declared,
      netWeightGrams: String(net),
      askPricePerKg: String(ask),
      lotNumber: lotNumber.trim() || undefined,
      collectionPoint: collectionPoint.trim(),
      classificationDate: date || undefined,
      classifier: `associations/${a}/classifiers/${classifier}`,
      measurement,
      contributions: contributions.map((c) => ({ member: `associations/${a}/members/${c.member}`, grams: String(c.grams) })),
    };
    remember("collectionPoint", lot.collectionPoint);
    remember("classifier", classifier);
    const requestId = newRequestId();
    const label = t("acopio.builder.pendingLabel", { number: lot.lotNumber ?? "—", group: nameOf(groups, declared), weight: fmtWeight(net!) });
    setBusy(true);
    try {
      const created = await sendOrKeep({ requestId, method: "POST", path: lotsPath(a), body: lot, label, kind: "lot" }, () =>
        must(api.POST("/v1/associations/{association}/lots", { params: { path: { association: a }, query: { requestId } }, body: lot })),
      );
      if (created) {
        setMade({ lot: created });
        setLotNumber("");
      } else setMade({ queued: label });
    } catch (err) {
      setError(err);
      if (err instanceof ApiError) {
        setErrors({
          lotNumber: err.forField("lot.lotNumber") ?? "",
          price: err.forField("lot.askPricePerKg") ?? "",
          net: err.forField("lot.netWeightGrams") ?? "",
          mean: err.forField("lot.measurement.meanFiberDiameterUm") ?? "",
          contributions: err.fieldViolations.filter((v) => v.field.startsWith("lot.contributions")).map((v) => v.description).join(" "),
        });
      }
    } finally {
      setBusy(false);
    }
  }

  if (loadError && !members) return <ErrorBox error={loadError} />;
  if (!members || !classifiers || !std) return <Busy />;
  const e = (k: string) => errors[k] || undefined;
  return (
    <form class="card" onSubmit={submit} noValidate aria-label={t("acopio.lotForm.title")}>
      {made?.lot && <LotMade association={a} lot={made.lot} />}
      {made?.queued && <Notice kind="warn">{t("acopio.builder.queued", { what: made.queued })}</Notice>}
      <ErrorBox error={error} />
      <p>
        {t("acopio.lotForm.intro")} <Link href="/acopio/lotes/armar">{t("acopio.lots.build")}</Link>
      </p>
      <div class="row">
        <Select label={t("acopio.field.campaign")} value={campaign} options={campaignOptions()} onChange={(ev) => setCampaign((ev.target as HTMLSelectElement).value)} />
        <Select label={t("acopio.field.breed")} value={breed} options={breedOptions(std)} onChange={(ev) => setBreed((ev.target as HTMLSelectElement).value)} />
        <Select label={t("acopio.field.colour")} value={colour} options={colourOptions(std)} onChange={(ev) => setColour((ev.target as HTMLSelectElement).value)} />
      </div>
      <fieldset>
        <legend>{t("acopio.lotForm.measurement")}</legend>
        <div class="row">
          <Field label={t("acopio.field.meanUm")} inputMode="decimal" value={mean} onInput={(ev) => setMean((ev.target as HTMLInputElement).value)} error={e("mean")} />
          <Field label={t("acopio.field.sdUm")} inputMode="decimal" value={sd} onInput={(ev) => setSd((ev.target as HTMLInputElement).value)} />
          <Field label={t("acopio.field.fibres")} inputMode="numeric" value={fibres} onInput={(ev) => setFibres((ev.target as HTMLInputElement).value)} />
          <Field label={t("acopio.field.stapleMm")} inputMode="decimal" value={staple} onInput={(ev) => setStaple((ev.target as HTMLInputElement).value)} />
        </div>
        <GradeFeedback grade={grading.grade} error={grading.error} busy={grading.busy} declared={declared} groups={groups} />
      </fieldset>
      <Select
        label={t("acopio.field.declaredGroup")}
        value={declared}
        options={[["", t("acopio.lotForm.chooseGroup")], ...groups]}
        onChange={(ev) => setDeclared((ev.target as HTMLSelectElement).value)}
        error={e("declared")}
      />
      <div class="row">
        <Field label={t("acopio.field.netWeightKg")} inputMode="decimal" value={netKg} onInput={(ev) => setNetKg((ev.target as HTMLInputElement).value)} error={e("net")} hint={net ? fmtWeight(net) : t("acopio.hint.kg")} />
        <Field label={t("acopio.field.askPrice")} inputMode="decimal" value={price} onInput={(ev) => setPrice((ev.target as HTMLInputElement).value)} error={e("price")} />
      </div>
      <div class="row">
        <Field label={t("acopio.field.lotNumber")} value={lotNumber} maxLength={32} onInput={(ev) => setLotNumber((ev.target as HTMLInputElement).value)} error={e("lotNumber")} />
        <Field label={t("acopio.field.collectionPoint")} value={collectionPoint} maxLength={200} onInput={(ev) => setCollectionPoint((ev.target as HTMLInputElement).value)} error={e("collectionPoint")} />
        <Field label={t("acopio.field.classificationDate")} type="date" value={date} max={todayInPeru()} onInput={(ev) => setDate((ev.target as HTMLInputElement).value)} />
      </div>
      <Select
        label={t("acopio.field.classifier")}
        value={classifier}
        options={[["", t("acopio.classifier.choose")], ...classifiers.map((c): [string, string] => [idOf(c.name), c.displayName])]}
        onChange={(ev) => setClassifier((ev.target as HTMLSelectElement).value)}
        error={e("classifier")}
      />
      <fieldset>
        <legend>{t("acopio.lotForm.contributions")}</legend>
        {rows.map((r, i) => (
          <div class="contribution" key={i}>
            <MemberPicker
              label={t("acopio.lotForm.memberN", { n: i + 1 })}
              members={members}
              value={r.member}
              onChange={(m) => setRows(rows.map((x, j) => (j === i ? { ...x, member: m } : x)))}
            />
            <Field
              label={t("acopio.lotForm.kgN", { n: i + 1 })}
              inputMode="decimal"
              value={r.kg}
              onInput={(ev) => setRows(rows.map((x, j) => (j === i ? { ...x, kg: (ev.target as HTMLInputElement).value } : x)))}
            />
            {rows.length > 1 && (
              <button type="button" class="link" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
                {t("acopio.lotForm.removeMember", { n: i + 1 })}
              </button>
            )}
          </div>
        ))}
        <button type="button" onClick={() => setRows([...rows, { member: "", kg: "" }])}>
          {t("acopio.lotForm.addMember")}
        </button>
        <p class={e("contributions") ? "error" : "hint"} role={e("contributions") ? "alert" : undefined}>
          {e("contributions") ?? t("acopio.lotForm.sum", { sum: fmtKg(contributed), net: net ? fmtKg(net) : "—" })}
        </p>
      </fieldset>
      <button type="submit" class="primary" disabled={busy}>
        {busy ? t("common.working") : t("acopio.lotForm.create")}
      </button>
    </form>
  );
}
