// Check gradings: the inspector's own measurement of a lot's sample (or,
// for a lot of whole fleeces, the grams classed into each group), graded by
// Millwa under the lot's standard and compared with the group the
// classifier declared; and the list of the agency's checks.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, must, newRequestId, type Schemas } from "../../api/client";
import { idOf } from "../../api/names";
import { t, useLang } from "../../i18n";
import { fmtDate, fmtDateTime, fmtInt, fmtKg, fmtMicrons, fmtWeight, parseKgToGrams } from "../../i18n/format";
import { Link, useLocation } from "../../router";
import { MoreButton, usePages } from "../../ui/pages";
import { Busy, Empty, ErrorBox, Field, Notice, Page, Select, Table } from "../../ui/ui";
import { AgencyPicker, agreementText, dayStart, inLang, limaDate, shortId, useAgency, validDate } from "./common";

type Check = Schemas["v1CheckGrading"];

const LOT_NAME = /^associations\/[^/]+\/lots\/[^/]+$/;

function num(s: string): number | null {
  const v = Number(s.trim().replace(",", "."));
  return s.trim() === "" || Number.isNaN(v) ? null : v;
}

function groupText(c: Check): string {
  return c.checkGrade?.qualityGroup ?? "";
}

export function ChecksPage() {
  useLang();
  const ctx = useAgency();
  const checks = usePages((token) =>
    must(api.GET("/v1/agencies/{agency}/checkGradings", { params: { path: { agency: ctx.id }, query: { pageSize: 25, pageToken: token || undefined } } })).then(
      (r) => ({ items: r.checkGradings, next: r.nextPageToken }),
    ),
  );
  useEffect(() => {
    if (ctx.id) void checks.load();
  }, [ctx.id]);
  return (
    <Page
      title={t("agency.checks.title")}
      actions={
        <Link class="button primary" href="/agencia/verificaciones/nueva">
          {t("agency.checks.new")}
        </Link>
      }
    >
      <AgencyPicker ctx={ctx} />
      <p class="hint">{t("agency.checks.intro")}</p>
      <ErrorBox error={checks.error} />
      {checks.items.length === 0 && !checks.busy && !checks.error ? <Empty>{t("agency.checks.none")}</Empty> : <CheckTable rows={checks.items} />}
      {checks.busy && <Busy />}
      <MoreButton list={checks} />
    </Page>
  );
}

function CheckTable(props: { rows: Check[] }) {
  return (
    <Table
      rows={props.rows}
      rowKey={(c) => c.name ?? ""}
      columns={[
        {
          head: t("agency.checks.recorded"),
          cell: (c) => (
            <Link href={`/agencia/verificaciones/${idOf(c.name)}`} aria-label={t("agency.checks.open", { number: c.lotNumber || shortId(c.lot), when: fmtDateTime(c.createTime) })}>
              {fmtDateTime(c.createTime)}
            </Link>
          ),
        },
        {
          head: t("agency.checks.lot"),
          cell: (c) => (
            <>
              {c.lotNumber ? <span class="lot-number">{c.lotNumber}</span> : <code title={c.lot}>{shortId(c.lot)}</code>}
              {c.associationDisplayName && (
                <>
                  <br />
                  <small class="hint">{c.associationDisplayName}</small>
                </>
              )}
            </>
          ),
        },
        { head: t("agency.checks.classifier"), cell: (c) => c.classifierDisplayName },
        { head: t("agency.checks.declared"), cell: (c) => c.declaredQualityGroup },
        {
          head: t("agency.checks.found"),
          cell: (c) => (
            <>
              {groupText(c)}
              {c.checkGrade?.borderline && <span class="badge warn">{t("agency.checks.borderline")}</span>}
            </>
          ),
        },
        { head: t("agency.checks.agreement"), cell: (c) => <span class={`agreement ${c.agreement ?? ""}`}>{agreementText(c.agreement)}</span> },
        { head: t("agency.checks.diameter"), cell: (c) => fmtMicrons(c.checkGrade?.metrics?.meanFiberDiameterUm ?? c.sample?.meanFiberDiameterUm), num: true },
      ]}
    />
  );
}

interface Draft {
  lot: string;
  mode: "sample" | "fleece";
  mfd: string;
  sd: string;
  fibres: string;
  staple: string;
  date: string;
  note: string;
  groups: Array<{ group: string; kg: string }>;
}

export function NewCheckPage() {
  useLang();
  const ctx = useAgency();
  const { query } = useLocation();
  const lotNumber = query.get("numero") ?? "";
  const [d, setD] = useState<Draft>({
    lot: query.get("lote") ?? "",
    mode: "sample",
    mfd: "",
    sd: "",
    fibres: "",
    staple: "",
    date: limaDate(new Date()),
    note: "",
    groups: [
      { group: "", kg: "" },
      { group: "", kg: "" },
    ],
  });
  const [errs, setErrs] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<Check | null>(null);
  const [requestId, setRequestId] = useState(newRequestId());
  // The outcome is below the form: bring it into view.
  useEffect(() => {
    if (done) document.getElementById("check-result")?.focus();
  }, [done]);
  const set = (k: keyof Draft) => (e: Event) => {
    setD({ ...d, [k]: (e.target as HTMLInputElement).value });
    setRequestId(newRequestId());
  };

  async function submit(e: Event) {
    e.preventDefault();
    const v: Record<string, string> = {};
    if (!LOT_NAME.test(d.lot.trim())) v.lot = t("agency.check.lotInvalid");
    if (d.date && !validDate(d.date)) v.date = t("agency.dateInvalid");
    else if (d.date && d.date > limaDate(new Date())) v.date = t("agency.check.dateFuture");
    const body: Check = { lot: d.lot.trim(), sample: {}, note: d.note.trim() || undefined, sampleTime: d.date ? dayStart(d.date) : undefined };
    if (d.mode === "sample") {
      const mfd = num(d.mfd);
      const sd = num(d.sd);
      const fibres = num(d.fibres);
      const staple = num(d.staple);
      if (mfd === null || mfd <= 0) v.mfd = t("agency.check.mfdInvalid");
      if (d.sd.trim() && (sd === null || sd <= 0)) v.sd = t("agency.check.positive");
      if (d.fibres.trim() && (fibres === null || !Number.isInteger(fibres) || fibres <= 0)) v.fibres = t("agency.check.wholePositive");
      if (d.staple.trim() && (staple === null || staple <= 0)) v.staple = t("agency.check.positive");
      body.sample = {
        meanFiberDiameterUm: mfd ?? undefined,
        sdUm: sd ?? undefined,
        fibersMeasured: fibres === null ? undefined : String(fibres),
        stapleLengthMm: staple ?? undefined,
      };
    } else {
      const grams: Record<string, string> = {};
      d.groups.forEach((g, i) => {
        if (!g.group.trim() && !g.kg.trim()) return;
        const w = parseKgToGrams(g.kg);
        if (!g.group.trim()) v[`group${i}`] = t("agency.check.groupRequired");
        else if (w === null || w <= 0n) v[`kg${i}`] = t("agency.check.kgInvalid");
        else grams[g.group.trim().toUpperCase()] = w.toString();
      });
      if (Object.keys(grams).length === 0 && !Object.keys(v).some((k) => k.startsWith("group") || k.startsWith("kg"))) v.group0 = t("agency.check.groupsRequired");
      body.classedGrams = grams;
    }
    setErrs(v);
    if (Object.keys(v).length) return;
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const r = await must(api.POST("/v1/agencies/{agency}/checkGradings", { params: { path: { agency: ctx.id }, query: { requestId } }, body }));
      setDone(r);
      setRequestId(newRequestId());
    } catch (err) {
      setError(err);
      if (err instanceof ApiError) {
        const f = (name: string) => err.forField(name) ?? "";
        setErrs({
          lot: f("checkGrading.lot"),
          mfd: f("checkGrading.sample.meanFiberDiameterUm"),
          sd: f("checkGrading.sample.sdUm"),
          fibres: f("checkGrading.sample.fibersMeasured"),
          staple: f("checkGrading.sample.stapleLengthMm"),
          date: f("checkGrading.sampleTime"),
          note: f("checkGrading.note"),
        });
      }
    } finally {
      setBusy(false);
    }
  }

  const e = (k: string) => errs[k] || undefined;
  return (
    <Page title={t("agency.check.title")} actions={<Link href="/agencia/verificaciones">{t("agency.check.back")}</Link>}>
      <AgencyPicker ctx={ctx} />
      <form class="card" onSubmit={submit} noValidate>
        <LotPicker
          lot={d.lot}
          number={lotNumber}
          error={e("lot")}
          onLot={(lot, fleece) => {
            setD({ ...d, lot, mode: fleece ? "fleece" : "sample" });
            setRequestId(newRequestId());
          }}
        />
        <Select
          label={t("agency.check.mode")}
          value={d.mode}
          options={[
            ["sample", t("agency.check.modeSample")],
            ["fleece", t("agency.check.modeFleece")],
          ]}
          onChange={set("mode")}
        />
        {d.mode === "sample" ? (
          <div class="row">
            <Field label={t("agency.check.mfd")} value={d.mfd} onInput={set("mfd")} inputMode="decimal" error={e("mfd")} />
            <Field label={t("agency.check.sd")} value={d.sd} onInput={set("sd")} inputMode="decimal" error={e("sd")} />
            <Field label={t("agency.check.fibres")} value={d.fibres} onInput={set("fibres")} inputMode="numeric" error={e("fibres")} />
            <Field label={t("agency.check.staple")} value={d.staple} onInput={set("staple")} inputMode="decimal" error={e("staple")} />
          </div>
        ) : (
          <FleeceGroups d={d} setD={(x) => (setD(x), setRequestId(newRequestId()))} errs={errs} />
        )}
        <div class="row">
          <Field label={t("agency.check.date")} type="date" value={d.date} onInput={set("date")} error={e("date")} />
        </div>
        <div class="field">
          <label for="check-note">{t("agency.check.note")}</label>
          <textarea id="check-note" rows={2} maxLength={2000} value={d.note} onInput={set("note")} />
          {e("note") && <small class="error">{e("note")}</small>}
        </div>
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy || !ctx.id}>
          {busy ? t("common.working") : t("agency.check.submit")}
        </button>
      </form>
      {done && (
        <div id="check-result" tabIndex={-1}>
          <CheckResult c={done} just />
        </div>
      )}
    </Page>
  );
}

type Lot = Schemas["v1Lot"];

/** FLEECE_STANDARD is the standard of lots of whole fleeces, checked by the grams classed per group. */
const FLEECE_STANDARD = "standards/pe-ntp-231-300-2014";

/**
 * LotPicker names the lot to check: the one a sampling plan chose, shown
 * with what its classifier declared, or one found by its association and
 * the number on its bale.
 */
function LotPicker(props: { lot: string; number: string; error?: string; onLot: (lot: string, fleece: boolean) => void }) {
  const [lot, setLot] = useState<Lot | null>(null);
  const [lookupError, setLookupError] = useState<unknown>(null);
  const [associations, setAssociations] = useState<Array<Schemas["v1Association"]>>([]);
  const [association, setAssociation] = useState("");
  const [number, setNumber] = useState(props.number);
  const [notFound, setNotFound] = useState("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setLookupError(null);
    if (!LOT_NAME.test(props.lot)) {
      setLot(null);
      return;
    }
    const [, a, , l] = props.lot.split("/");
    must(api.GET("/v1/associations/{association}/lots/{lot}", { params: { path: { association: a, lot: l } } }))
      .then((x) => {
        setLot(x);
        if (x.standard === FLEECE_STANDARD) props.onLot(props.lot, true);
      })
      .catch(setLookupError);
  }, [props.lot]);

  useEffect(() => {
    must(api.GET("/v1/associations", { params: { query: { pageSize: 500, readMask: "name,legalName" } } }))
      .then((r) => {
        setAssociations(r.associations ?? []);
        setAssociation((cur) => cur || r.associations?.[0]?.name || "");
      })
      .catch(setLookupError);
  }, []);

  async function find() {
    setNotFound("");
    setLookupError(null);
    if (!number.trim()) {
      setNotFound(t("agency.check.numberRequired"));
      return;
    }
    setBusy(true);
    try {
      const r = await must(
        api.GET("/v1/associations/{association}/lots", {
          params: {
            path: { association: association.split("/")[1] ?? "" },
            query: { filter: `lot_number = "${number.trim().replace(/"/g, "")}"`, pageSize: 2 },
          },
        }),
      );
      const found = r.lots?.[0];
      if (!found?.name) setNotFound(t("agency.check.lotNotFound", { number: number.trim() }));
      else props.onLot(found.name, found.standard === FLEECE_STANDARD);
    } catch (err) {
      setLookupError(err);
    } finally {
      setBusy(false);
    }
  }

  if (lot && lot.name === props.lot) {
    return (
      <div class="lot-summary" id="lot-summary">
        <p>
          <strong>{t("agency.check.lotNumber", { number: lot.lotNumber || props.number || "—" })}</strong>
        </p>
        <dl class="facts">
          <dt>{t("agency.check.declaredGroup")}</dt>
          <dd>{lot.declaredQualityGroup}</dd>
          <dt>{t("agency.check.breedColour")}</dt>
          <dd>
            {lot.breed} · {lot.colour}
          </dd>
          <dt>{t("agency.check.weight")}</dt>
          <dd>{fmtWeight(lot.netWeightGrams)}</dd>
          <dt>{t("agency.check.campaign")}</dt>
          <dd>{lot.campaign}</dd>
        </dl>
        <button type="button" class="link" onClick={() => props.onLot("", false)}>
          {t("agency.check.otherLot")}
        </button>
      </div>
    );
  }
  return (
    <fieldset class="groups">
      <legend>{t("agency.check.findLot")}</legend>
      <Select
        label={t("agency.check.association")}
        value={association}
        options={associations.map((a) => [a.name ?? "", a.legalName])}
        onChange={(ev: Event) => setAssociation((ev.target as HTMLSelectElement).value)}
      />
      <Field
        label={t("agency.check.number")}
        hint={t("agency.check.numberHint")}
        value={number}
        onInput={(ev: Event) => setNumber((ev.target as HTMLInputElement).value)}
        onKeyDown={(ev: KeyboardEvent) => {
          if (ev.key === "Enter") {
            ev.preventDefault();
            void find();
          }
        }}
        error={notFound || props.error}
      />
      <button type="button" onClick={() => void find()} disabled={busy || !association}>
        {t("agency.check.find")}
      </button>
      <ErrorBox error={lookupError} />
    </fieldset>
  );
}

function FleeceGroups(props: { d: Draft; setD: (d: Draft) => void; errs: Record<string, string> }) {
  const { d, setD, errs } = props;
  const edit = (i: number, k: "group" | "kg") => (ev: Event) => {
    const groups = d.groups.map((g, j) => (j === i ? { ...g, [k]: (ev.target as HTMLInputElement).value } : g));
    setD({ ...d, groups });
  };
  return (
    <fieldset class="groups">
      <legend>{t("agency.check.groupsLegend")}</legend>
      {d.groups.map((g, i) => (
        <div class="row" key={i}>
          <Field label={t("agency.check.group", { n: i + 1 })} value={g.group} onInput={edit(i, "group")} autocapitalize="characters" error={errs[`group${i}`] || undefined} />
          <Field label={t("agency.check.groupKg", { n: i + 1 })} value={g.kg} onInput={edit(i, "kg")} inputMode="decimal" error={errs[`kg${i}`] || undefined} />
        </div>
      ))}
      <button type="button" onClick={() => setD({ ...d, groups: [...d.groups, { group: "", kg: "" }] })}>
        {t("agency.check.addGroup")}
      </button>
    </fieldset>
  );
}

function CheckResult(props: { c: Check; just?: boolean }) {
  const c = props.c;
  const g = c.checkGrade ?? {};
  const kind = c.agreement === "AGREEMENT_EXACT" ? "ok" : "warn";
  return (
    <Notice kind={kind}>
      {props.just && <strong>{t("agency.check.recorded")} </strong>}
      {t("agency.check.resultLine", {
        declared: c.declaredQualityGroup ?? "",
        found: `${g.qualityGroup ?? ""}${g.qualityGroupName ? " (" + inLang(g.qualityGroupName) + ")" : ""}`,
        agreement: agreementText(c.agreement),
      })}
      {(c.groupOffset ?? 0) > 0 && <p>{t("agency.check.lenient", { n: c.groupOffset ?? 0 })}</p>}
      {(c.groupOffset ?? 0) < 0 && <p>{t("agency.check.strict", { n: -(c.groupOffset ?? 0) })}</p>}
      {g.borderline && <p>{t("agency.check.borderline")}</p>}
      {g.explanation && <p>{inLang(g.explanation)}</p>}
    </Notice>
  );
}


/**
 * CheckPage is one check grading as the agency recorded it: the lot and its
 * classifier, the group declared and the one Millwa found with its
 * explanation, and what was measured (or classed) and when.
 */
export function CheckPage(props: { params: Record<string, string> }) {
  useLang();
  const ctx = useAgency();
  const [c, setC] = useState<Check | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!ctx.id) return;
    setC(null);
    setError(null);
    must(api.GET("/v1/agencies/{agency}/checkGradings/{checkGrading}", { params: { path: { agency: ctx.id, checkGrading: props.params.check } } }))
      .then(setC)
      .catch(setError);
  }, [ctx.id, props.params.check]);
  const s = c?.sample;
  const classed = Object.entries(c?.classedGrams ?? {});
  return (
    <Page title={t("agency.checkPage.title")} actions={<Link href="/agencia/verificaciones">{t("agency.check.back")}</Link>}>
      <ErrorBox error={error} />
      {!c && !error && <Busy />}
      {c && (
        <>
          <dl class="facts card" id="check-facts">
            <dt>{t("agency.checks.lot")}</dt>
            <dd>
              {c.lotNumber ? t("agency.check.lotNumber", { number: c.lotNumber }) : <code>{c.lot}</code>}
              {c.associationDisplayName && ` · ${c.associationDisplayName}`}
            </dd>
            <dt>{t("agency.checks.classifier")}</dt>
            <dd>{c.classifierDisplayName}</dd>
            <dt>{t("agency.checks.declared")}</dt>
            <dd>{c.declaredQualityGroup}</dd>
            <dt>{t("agency.checks.found")}</dt>
            <dd>
              {groupText(c)} <span class={`agreement ${c.agreement ?? ""}`}>{agreementText(c.agreement)}</span>
            </dd>
            {classed.length > 0 ? (
              <>
                <dt>{t("agency.checkPage.classed")}</dt>
                <dd>{classed.map(([g, grams]) => `${g} ${fmtKg(grams)}`).join(" · ")}</dd>
              </>
            ) : (
              <>
                <dt>{t("agency.check.mfd")}</dt>
                <dd>{fmtMicrons(c.checkGrade?.metrics?.meanFiberDiameterUm ?? s?.meanFiberDiameterUm)}</dd>
                {s?.sdUm !== undefined && (
                  <>
                    <dt>{t("agency.check.sd")}</dt>
                    <dd>{fmtMicrons(s.sdUm)}</dd>
                  </>
                )}
                {s?.fibersMeasured && (
                  <>
                    <dt>{t("agency.check.fibres")}</dt>
                    <dd>{fmtInt(s.fibersMeasured)}</dd>
                  </>
                )}
                {s?.stapleLengthMm !== undefined && (
                  <>
                    <dt>{t("agency.check.staple")}</dt>
                    <dd>{fmtInt(s.stapleLengthMm)}</dd>
                  </>
                )}
              </>
            )}
            <dt>{t("agency.check.date")}</dt>
            <dd>{fmtDate(c.sampleTime)}</dd>
            <dt>{t("agency.checks.recorded")}</dt>
            <dd>{fmtDateTime(c.createTime)}</dd>
            {c.note && (
              <>
                <dt>{t("agency.check.note")}</dt>
                <dd>{c.note}</dd>
              </>
            )}
          </dl>
          <CheckResult c={c} />
        </>
      )}
    </Page>
  );
}
