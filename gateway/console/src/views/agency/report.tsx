// The consistency report, the agency's first page: the classifiers of a
// region ranked worst first as the server's HTML report ranks them (the
// order of classifiersBelowThreshold), the confusion matrix as a heat map,
// the agreement per month, and links to the server's own page and
// spreadsheet. The filters live in the address, so a report can be
// bookmarked and shared.
import { useEffect, useState } from "preact/hooks";
import { api, download, must, type Schemas } from "../../api/client";
import { lang, t, useLang } from "../../i18n";
import { fmtDate, fmtDateTime, fmtInt } from "../../i18n/format";
import { navigate, useLocation } from "../../router";
import { Busy, Empty, ErrorBox, Field, Page, Select } from "../../ui/ui";
import { HeatMap, MonthlyChart } from "./charts";
import { AgencyPicker, dayStart, defaultPeriod, fmtDecimal, fmtPct, inLang, useAgency, validDate } from "./common";

type Report = Schemas["v1ConsistencyReport"];
type Stats = Schemas["v1AgreementStatistics"];

interface Filters {
  region: string;
  classifier: string;
  start: string;
  end: string;
  threshold: string;
  /** standard: empty for the report's default, NTP 231.301:2014. */
  standard: string;
}

function readFilters(q: URLSearchParams, regions: string[]): Filters {
  const p = defaultPeriod();
  return {
    region: q.get("region") ?? regions[0] ?? "",
    classifier: q.get("clasificador") ?? "",
    start: q.get("desde") ?? p.start,
    end: q.get("hasta") ?? p.end,
    threshold: q.get("umbral") ?? "0.6",
    standard: q.get("estandar") ?? "",
  };
}

function filterPath(f: Filters): string {
  const q = new URLSearchParams();
  if (f.classifier) q.set("clasificador", f.classifier);
  else q.set("region", f.region);
  q.set("desde", f.start);
  q.set("hasta", f.end);
  q.set("umbral", f.threshold);
  if (f.standard) q.set("estandar", f.standard);
  return `/agencia/informe?${q}`;
}

/** reportQuery is the report routes' query for the filters (shared by JSON, HTML and CSV). */
function reportQuery(f: Filters): Record<string, string> {
  const q: Record<string, string> = { startTime: dayStart(f.start), endTime: dayStart(f.end) };
  if (f.classifier) q.classifier = f.classifier;
  else q.region = f.region;
  if (f.threshold.trim() !== "") q.kappaThreshold = f.threshold.trim().replace(",", ".");
  if (f.standard) q.standard = f.standard;
  return q;
}

/** apiQuery is reportQuery typed for the JSON route, which takes the threshold as a number. */
function apiQuery(f: Filters) {
  const { kappaThreshold, ...rest } = reportQuery(f);
  return { ...rest, startTime: rest.startTime ?? "", endTime: rest.endTime ?? "", kappaThreshold: kappaThreshold === undefined ? undefined : Number(kappaThreshold) };
}

function kappaCI(s: Stats | undefined): string {
  if (!s || s.weightedKappa === undefined) return t("agency.report.undefined");
  return t("agency.report.kappaCI", {
    kappa: fmtDecimal(s.weightedKappa, 2),
    low: fmtDecimal(s.weightedKappaCi95Low, 2),
    high: fmtDecimal(s.weightedKappaCi95High, 2),
  });
}

function bias(s: Stats | undefined): string {
  if (!s || s.meanBiasUm === undefined) return "—";
  return `${s.meanBiasUm > 0 ? "+" : ""}${fmtDecimal(s.meanBiasUm, 1)} µm`;
}

export function ReportPage() {
  useLang();
  const ctx = useAgency();
  const { query } = useLocation();
  const f = readFilters(query, ctx.regions);
  const [draft, setDraft] = useState<Filters>(f);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [formError, setFormError] = useState<Partial<Record<keyof Filters, string>>>({});
  const [busy, setBusy] = useState(false);
  const [standards, setStandards] = useState<Array<Schemas["v1Standard"]>>([]);
  const key = filterPath(f);
  useEffect(() => {
    must(api.GET("/v1/standards", { params: { query: { pageSize: 100 } } }))
      .then((r) => setStandards(r.standards ?? []))
      .catch(() => setStandards([]));
  }, []);

  useEffect(() => setDraft(f), [key]);
  useEffect(() => {
    if (!f.region && !f.classifier) return;
    let live = true;
    setBusy(true);
    setError(null);
    must(api.GET("/v1/audit/consistencyReport", { params: { query: apiQuery(f) } }))
      .then((r) => live && setReport(r))
      .catch((e) => live && (setReport(null), setError(e)))
      .finally(() => live && setBusy(false));
    return () => {
      live = false;
    };
  }, [key]);

  function submit(e: Event) {
    e.preventDefault();
    const errs: Partial<Record<keyof Filters, string>> = {};
    if (!draft.classifier && !/^\d{2}(\d{2}){0,2}$/.test(draft.region)) errs.region = t("agency.report.regionInvalid");
    if (!validDate(draft.start)) errs.start = t("agency.dateInvalid");
    if (!validDate(draft.end)) errs.end = t("agency.dateInvalid");
    else if (validDate(draft.start) && draft.end <= draft.start) errs.end = t("agency.endBeforeStart");
    const th = Number(draft.threshold.replace(",", "."));
    if (draft.threshold.trim() === "" || Number.isNaN(th) || th < -1 || th > 1) errs.threshold = t("agency.report.thresholdInvalid");
    setFormError(errs);
    if (Object.keys(errs).length) return;
    navigate(filterPath(draft));
  }

  const set = (k: keyof Filters) => (e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value });
  const regionOptions: Array<[string, string]> = ctx.regions.map((r) => [r, r]);
  if (draft.region && !ctx.regions.includes(draft.region)) regionOptions.push([draft.region, draft.region]);

  return (
    <Page title={t("agency.report.title")} actions={report && <ReportLinks f={f} />}>
      <AgencyPicker ctx={ctx} />
      <details class="card filters" open={!report && !busy}>
        <summary>
          {t("agency.report.filtersSummary", {
            scope: f.classifier ? t("agency.report.oneClassifier") : f.region,
            from: fmtDate(dayStart(f.start)),
            until: validDate(f.end) ? fmtDate(new Date(Date.parse(dayStart(f.end)) - 1).toISOString()) : f.end,
            threshold: Number.isNaN(Number(f.threshold)) ? f.threshold : fmtDecimal(Number(f.threshold), 2),
          })}
        </summary>
        <form onSubmit={submit} noValidate>
          {f.classifier ? (
            <p>
              {t("agency.report.classifierScope")}{" "}
              <button type="button" class="link" onClick={() => navigate(filterPath({ ...f, classifier: "" }))}>
                {t("agency.report.backToRegion")}
              </button>
            </p>
          ) : (
            <div class="row">
              {regionOptions.length > 0 ? (
                <Select label={t("agency.region")} value={draft.region} options={regionOptions} onChange={set("region")} error={formError.region} />
              ) : (
                <Field label={t("agency.region")} hint={t("agency.regionHint")} value={draft.region} onInput={set("region")} inputMode="numeric" error={formError.region} />
              )}
            </div>
          )}
          <div class="row">
            <Field label={t("agency.from")} type="date" value={draft.start} onInput={set("start")} error={formError.start} />
            <Field label={t("agency.until")} hint={t("agency.untilHint")} type="date" value={draft.end} onInput={set("end")} error={formError.end} />
            <Field
              label={t("agency.report.threshold")}
              hint={t("agency.report.thresholdHint")}
              value={draft.threshold}
              onInput={set("threshold")}
              inputMode="decimal"
              error={formError.threshold}
            />
          </div>
          {standards.length > 0 && (
            <Select
              label={t("agency.report.standard")}
              value={draft.standard}
              onChange={set("standard")}
              options={[["", t("agency.report.standardDefault")], ...standards.map((s): [string, string] => [s.name ?? "", inLang(s.title) || (s.name ?? "")])]}
            />
          )}
          <button type="submit" class="primary" disabled={busy}>
            {t("agency.report.show")}
          </button>
        </form>
      </details>
      <ErrorBox error={error} />
      {busy && <Busy />}
      {report && !busy && <ReportBody r={report} f={f} />}
    </Page>
  );
}

function scopeText(r: Report): string {
  if (r.classifier) return t("agency.report.scopeClassifier", { name: r.classifierDisplayName || r.classifier, association: r.associationDisplayName ?? "" });
  if (r.association) return t("agency.report.scopeAssociation", { name: r.associationDisplayName || r.association });
  return r.regionName ? t("agency.report.scopeRegion", { name: r.regionName, code: r.region ?? "" }) : t("agency.report.scopeCode", { code: r.region ?? "" });
}

function ReportBody(props: { r: Report; f: Filters }) {
  const r = props.r;
  const o = r.overall ?? {};
  const below = r.classifiersBelowThreshold ?? [];
  const end = r.endTime ? new Date(new Date(r.endTime).getTime() - 1).toISOString() : undefined;
  return (
    <>
      <section class="card" aria-labelledby="summary-h">
        <h2 id="summary-h">{scopeText(r)}</h2>
        <dl class="facts">
          <dt>{t("agency.report.period")}</dt>
          <dd>
            {fmtDate(r.startTime)} – {fmtDate(end)}
          </dd>
          <dt>{t("agency.report.lots")}</dt>
          <dd>{fmtInt(r.lotCount ?? 0)}</dd>
          <dt>{t("agency.report.checks")}</dt>
          <dd>{fmtInt(o.checkCount ?? 0)}</dd>
          <dt>{t("agency.report.exact")}</dt>
          <dd>{o.checkCount ? fmtPct(o.exactAgreementPercent) : "—"}</dd>
          <dt>{t("agency.report.adjacent")}</dt>
          <dd>{o.checkCount ? fmtPct(o.adjacentAgreementPercent) : "—"}</dd>
          <dt>{t("agency.report.kappaLong")}</dt>
          <dd>{kappaCI(o)}</dd>
          <dt>{t("agency.report.bias")}</dt>
          <dd>{bias(o)}</dd>
          <dt>{t("agency.report.borderline")}</dt>
          <dd>{fmtInt(r.borderlineCount ?? 0)}</dd>
          <dt>{t("agency.report.computed")}</dt>
          <dd>{fmtDateTime(r.computeTime)}</dd>
        </dl>
        {!o.checkCount && <p class="hint">{t("agency.report.noChecksPeriod")}</p>}
      </section>

      <section aria-labelledby="ranking-h">
        <h2 id="ranking-h">{t("agency.report.ranking")}</h2>
        <p class="hint">{t("agency.report.rankingNote", { threshold: fmtDecimal(r.kappaThreshold ?? 0.6, 2) })}</p>
        {below.length === 0 ? (
          <Empty>{t("agency.report.noneBelow")}</Empty>
        ) : (
          <ol class="ranking" id="ranking">
            {below.map((c, i) => {
              const s = c.statistics ?? {};
              return (
                <li key={c.classifier} class="card">
                  <div class="rank-head">
                    <span class="rank" aria-hidden="true">
                      {i + 1}
                    </span>
                    <div>
                      <strong class="classifier-name">{c.classifierDisplayName || c.classifier}</strong>
                      <div class="hint">{c.associationDisplayName}</div>
                    </div>
                  </div>
                  <dl class="facts">
                    <dt>{t("agency.report.checks")}</dt>
                    <dd>{fmtInt(s.checkCount ?? 0)}</dd>
                    <dt>{t("agency.report.exact")}</dt>
                    <dd>{fmtPct(s.exactAgreementPercent)}</dd>
                    <dt>{t("agency.report.adjacent")}</dt>
                    <dd>{fmtPct(s.adjacentAgreementPercent)}</dd>
                    <dt>{t("agency.report.finer")}</dt>
                    <dd>{fmtInt(s.declaredFinerCount ?? 0)}</dd>
                    <dt>{t("agency.report.coarser")}</dt>
                    <dd>{fmtInt(s.declaredCoarserCount ?? 0)}</dd>
                    <dt>{t("agency.report.kappaLong")}</dt>
                    <dd>{kappaCI(s)}</dd>
                    <dt>{t("agency.report.bias")}</dt>
                    <dd>{bias(s)}</dd>
                  </dl>
                  <p class="plain">{verdict(s)}</p>
                  {!props.f.classifier && (
                    <button type="button" class="link" onClick={() => navigate(filterPath({ ...props.f, classifier: c.classifier ?? "" }))}>
                      {t("agency.report.openClassifier", { name: c.classifierDisplayName || "" })}
                    </button>
                  )}
                </li>
              );
            })}
          </ol>
        )}
      </section>

      <section aria-labelledby="matrix-h">
        <h2 id="matrix-h">{t("agency.report.matrix")}</h2>
        <p class="hint">{t("agency.report.matrixNote")}</p>
        <HeatMap matrix={r.confusionMatrix} />
      </section>

      <section aria-labelledby="monthly-h">
        <h2 id="monthly-h">{t("agency.report.monthly")}</h2>
        <p class="hint">{t("agency.report.monthlyNote")}</p>
        <MonthlyChart months={r.monthlyAgreement} />
      </section>
      {(r.otherStandardCheckCount ?? 0) > 0 && <p class="hint">{t("agency.report.otherStandard", { n: r.otherStandardCheckCount ?? 0 })}</p>}
    </>
  );
}

/** verdict says in plain words what a classifier's numbers mean. */
function verdict(s: Stats): string {
  const n = s.checkCount ?? 0;
  const finer = s.declaredFinerCount ?? 0;
  const coarser = s.declaredCoarserCount ?? 0;
  if (n > 0 && finer * 2 > n) return t("agency.report.verdictLenient", { finer, n });
  if (n > 0 && coarser * 2 > n) return t("agency.report.verdictStrict", { coarser, n });
  return t("agency.report.verdictInconsistent");
}

/** ReportLinks opens the server's page of the report and downloads its spreadsheet. */
function ReportLinks(props: { f: Filters }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const q = reportQuery(props.f);
  async function openPage(e: Event) {
    e.preventDefault();
    setError(null);
    // Opened first, filled after the token arrives: a tab opened after an
    // await would be taken for a pop-up and blocked.
    const tab = window.open("about:blank", "_blank");
    try {
      const tok = await must(api.POST("/v1/sessionTokens", { body: {} }));
      const params = new URLSearchParams({ ...q, lang: lang(), access_token: tok.token ?? "" });
      const url = `/v1/audit/consistencyReport.html?${params}`;
      if (tab) {
        tab.opener = null;
        tab.location.href = url;
      } else location.assign(url);
    } catch (err) {
      tab?.close();
      setError(err);
    }
  }
  async function csv() {
    setBusy(true);
    setError(null);
    try {
      const name = `${t("agency.report.csvName")}_${props.f.classifier ? "clasificador" : "region-" + props.f.region}_${props.f.start}_${props.f.end}.csv`;
      await download(`/v1/audit/consistencyReport.csv?${new URLSearchParams({ ...q, lang: lang() })}`, name);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <a class="button" href="/v1/audit/consistencyReport.html" target="_blank" rel="noopener" onClick={openPage}>
        {t("agency.report.openHtml")}
      </a>
      <button type="button" onClick={() => void csv()} disabled={busy}>
        {t("agency.report.downloadCsv")}
      </button>
      <ErrorBox error={error} />
    </>
  );
}
