// Sampling plans: propose one for a region and period (the service stores
// it under the agency as it proposes it), read the lots drawn for each
// classifier with the numbers on their bales and why the sample was
// tightened or reduced, and list the plans stored before.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, must, newRequestId, type Schemas } from "../../api/client";
import { idOf } from "../../api/names";
import { t, useLang } from "../../i18n";
import { fmtDate, fmtDateTime, fmtInt } from "../../i18n/format";
import { Link, navigate } from "../../router";
import { MoreButton, usePages } from "../../ui/pages";
import { Busy, Empty, ErrorBox, Field, Page, Select, Table } from "../../ui/ui";
import { AgencyPicker, dayStart, defaultPeriod, inLang, severityText, useAgency, validDate, type AgencyContext } from "./common";

type Plan = Schemas["v1SamplingPlan"];


function periodText(p: Plan): string {
  const end = p.endTime ? new Date(new Date(p.endTime).getTime() - 1).toISOString() : undefined;
  return `${fmtDate(p.startTime)} – ${fmtDate(end)}`;
}

export function PlansPage() {
  useLang();
  const ctx = useAgency();
  const plans = usePages((token) =>
    must(api.GET("/v1/agencies/{agency}/samplingPlans", { params: { path: { agency: ctx.id }, query: { pageSize: 20, pageToken: token || undefined } } })).then(
      (r) => ({ items: r.samplingPlans, next: r.nextPageToken }),
    ),
  );
  useEffect(() => {
    if (ctx.id) void plans.load();
  }, [ctx.id]);

  return (
    <Page title={t("agency.plans.title")}>
      <AgencyPicker ctx={ctx} />
      <ProposeForm ctx={ctx} />
      <h2>{t("agency.plans.stored")}</h2>
      <ErrorBox error={plans.error} />
      {plans.items.length === 0 && !plans.busy && !plans.error ? (
        <Empty>{t("agency.plans.none")}</Empty>
      ) : (
        <Table
          rows={plans.items}
          rowKey={(p) => p.name ?? ""}
          columns={[
            { head: t("agency.plans.created"), cell: (p) => <Link href={`/agencia/muestreos/${idOf(p.name)}`}>{fmtDateTime(p.createTime)}</Link> },
            { head: t("agency.region"), cell: (p) => p.region },
            { head: t("agency.plans.period"), cell: (p) => periodText(p) },
            { head: t("agency.plans.sample"), cell: (p) => t("agency.plans.sampleOf", { n: fmtInt(p.sampleCount ?? 0), of: fmtInt(p.lotCount ?? 0) }), num: true },
          ]}
        />
      )}
      {plans.busy && <Busy />}
      <MoreButton list={plans} />
    </Page>
  );
}

function ProposeForm(props: { ctx: AgencyContext }) {
  const ctx = props.ctx;
  const p = defaultPeriod();
  const [region, setRegion] = useState(ctx.regions[0] ?? "");
  const [start, setStart] = useState(p.start);
  const [end, setEnd] = useState(p.end);
  const [seed, setSeed] = useState("");
  const [errs, setErrs] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // One request id per filled form: a retry after a lost answer returns the
  // plan stored then instead of storing another.
  const [requestId, setRequestId] = useState(newRequestId());
  useEffect(() => {
    if (!region && ctx.regions[0]) setRegion(ctx.regions[0]);
  }, [ctx.regions.join()]);
  const changed = (f: (v: string) => void) => (e: Event) => {
    f((e.target as HTMLInputElement).value);
    setRequestId(newRequestId());
  };

  async function submit(e: Event) {
    e.preventDefault();
    const v: Record<string, string> = {};
    if (!/^\d{2}(\d{2}){0,2}$/.test(region)) v.region = t("agency.report.regionInvalid");
    if (!validDate(start)) v.start = t("agency.dateInvalid");
    if (!validDate(end)) v.end = t("agency.dateInvalid");
    else if (validDate(start) && end <= start) v.end = t("agency.endBeforeStart");
    if (seed.trim() && !/^-?\d{1,18}$/.test(seed.trim())) v.seed = t("agency.plans.seedInvalid");
    setErrs(v);
    if (Object.keys(v).length) return;
    setBusy(true);
    setError(null);
    try {
      const r = await must(
        api.POST("/v1/audit/samplingPlans:propose", {
          body: {
            region,
            startTime: dayStart(start),
            endTime: dayStart(end),
            seed: seed.trim() || undefined,
            parent: ctx.name || undefined,
            requestId,
          },
        }),
      );
      const plan = r.samplingPlan;
      setRequestId(newRequestId());
      if (plan?.name) navigate(`/agencia/muestreos/${idOf(plan.name)}`);
    } catch (err) {
      setError(err);
      if (err instanceof ApiError) {
        setErrs({
          region: err.forField("region") ?? "",
          start: err.forField("startTime") ?? "",
          end: err.forField("endTime") ?? "",
          seed: err.forField("seed") ?? "",
        });
      }
    } finally {
      setBusy(false);
    }
  }

  const regionOptions: Array<[string, string]> = ctx.regions.map((r) => [r, r]);
  return (
    <form class="card" onSubmit={submit} noValidate aria-labelledby="propose-h">
      <h2 id="propose-h">{t("agency.plans.propose")}</h2>
      <p class="hint">{t("agency.plans.proposeIntro")}</p>
      <div class="row">
        {regionOptions.length > 0 ? (
          <Select label={t("agency.region")} value={region} options={regionOptions} onChange={changed(setRegion)} error={errs.region || undefined} />
        ) : (
          <Field label={t("agency.region")} hint={t("agency.regionHint")} value={region} onInput={changed(setRegion)} inputMode="numeric" error={errs.region || undefined} />
        )}
        <Field label={t("agency.from")} type="date" value={start} onInput={changed(setStart)} error={errs.start || undefined} />
        <Field label={t("agency.until")} hint={t("agency.untilHint")} type="date" value={end} onInput={changed(setEnd)} error={errs.end || undefined} />
        <Field label={t("agency.plans.seed")} hint={t("agency.plans.seedHint")} value={seed} onInput={changed(setSeed)} inputMode="numeric" error={errs.seed || undefined} />
      </div>
      <ErrorBox error={error} />
      <button type="submit" class="primary" disabled={busy || !ctx.name}>
        {busy ? t("common.working") : t("agency.plans.proposeSubmit")}
      </button>
    </form>
  );
}

export function PlanPage(props: { params: Record<string, string> }) {
  useLang();
  const ctx = useAgency();
  const [plan, setPlan] = useState<Plan | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!ctx.id) return;
    must(api.GET("/v1/agencies/{agency}/samplingPlans/{samplingPlan}", { params: { path: { agency: ctx.id, samplingPlan: props.params.plan } } }))
      .then(setPlan)
      .catch(setError);
  }, [ctx.id, props.params.plan]);
  return (
    <Page title={t("agency.plan.title")} actions={<Link href="/agencia/muestreos">{t("agency.plan.back")}</Link>}>
      <ErrorBox error={error} />
      {!plan && !error && <Busy />}
      {plan && <PlanBody plan={plan} />}
    </Page>
  );
}

function PlanBody(props: { plan: Plan }) {
  const p = props.plan;
  return (
    <>
      <dl class="facts card">
        <dt>{t("agency.region")}</dt>
        <dd>{p.region}</dd>
        <dt>{t("agency.plans.period")}</dt>
        <dd>{periodText(p)}</dd>
        <dt>{t("agency.plans.sample")}</dt>
        <dd>{t("agency.plans.sampleOf", { n: fmtInt(p.sampleCount ?? 0), of: fmtInt(p.lotCount ?? 0) })}</dd>
        <dt>{t("agency.plans.seed")}</dt>
        <dd>{p.seed}</dd>
        <dt>{t("agency.plan.asOf")}</dt>
        <dd>{fmtDateTime(p.asOfTime)}</dd>
        <dt>{t("agency.plan.rule")}</dt>
        <dd>{t("agency.plan.ruleIso")}</dd>
      </dl>
      <p class="hint">{t("agency.plan.howTo")}</p>
      {(p.classifierSamples ?? []).map((c) => (
        <section class={`card sample severity-${(c.severity ?? "").replace("INSPECTION_SEVERITY_", "").toLowerCase()}`} key={c.classifier}>
          <h2>
            {c.classifierDisplayName || c.classifier} <span class="badge">{severityText(c.severity)}</span>
          </h2>
          <p class="hint">{c.associationDisplayName}</p>
          <p>
            {inLang(c.reason) || t("agency.plan.lotsOf", { n: fmtInt(c.sampleSize ?? 0), of: fmtInt(c.lotCount ?? 0) })}
          </p>
          <ul class="lot-list">
            {(c.lots ?? []).map((lot, i) => {
              const number = c.lotNumbers?.[i] || t("agency.plan.noNumber");
              const q = new URLSearchParams({ lote: lot, numero: c.lotNumbers?.[i] ?? "" });
              return (
                <li key={lot}>
                  <span class="lot-number">{number}</span>
                  <Link href={`/agencia/verificaciones/nueva?${q}`} aria-label={t("agency.plan.checkLotLabel", { number })}>
                    {t("agency.plan.checkLot")}
                  </Link>
                </li>
              );
            })}
          </ul>
        </section>
      ))}
    </>
  );
}
