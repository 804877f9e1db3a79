// The market observatory, public and without a key: what processors paid
// per quality group, colour, region and week, from GetMarketStats
// (GET /v1/market/stats), as charts drawn in SVG with the same numbers in
// tables, and every published cell in a table. Cells that would let one
// seller's price be read off are left out by the service; the page says
// how many.
import { useEffect, useState } from "preact/hooks";
import { api, must, type Schemas } from "../../api/client";
import { lang, t, useLang } from "../../i18n";
import { fmtDate, fmtInt, fmtMoney, fmtWeight } from "../../i18n/format";
import { Busy, Empty, ErrorBox, Page, Select, Table } from "../../ui/ui";
import { BarChart, LineChart, type Bar, type Series } from "./charts";
import { ObservatoryIndexSection } from "./observatoryIndex";
import { DEPARTMENTS } from "./regions";
import { colourName, DEFAULT_STANDARD, groupName, standardTitle, useStandards } from "./standards";
import "./observatory.css";

type Cell = Schemas["v1MarketStatsCell"];
type Stats = Schemas["v1GetMarketStatsResponse"];
type Dimension = "qualityGroup" | "colour" | "region";

/**
 * lastWeeks lists the n ISO 8601 weeks up to the current one in Peru
 * (UTC−5), newest first, each as "YYYY-Www" with the RFC 3339 time of its
 * Monday.
 */
function lastWeeks(n: number): Array<[string, string]> {
  const now = new Date(Date.now() - 5 * 3600_000);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const monday = today - (((new Date(today).getUTCDay() + 6) % 7) * 86400_000);
  const out: Array<[string, string]> = [];
  for (let i = 0; i < n; i++) {
    const m = monday - i * 7 * 86400_000;
    const thursday = new Date(m + 3 * 86400_000);
    const year = thursday.getUTCFullYear();
    const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86400_000)) + 1;
    out.push([`${year}-W${String(week).padStart(2, "0")}`, new Date(m + 5 * 3600_000).toISOString()]);
  }
  return out;
}

/** weighted averages the cells' prices by their volumes, per key. */
function weighted(cells: Cell[], key: (c: Cell) => string): Map<string, { price: number; grams: number; trades: number }> {
  const acc = new Map<string, { sum: number; grams: number; trades: number }>();
  for (const c of cells) {
    const k = key(c);
    const g = Number(c.tradedGrams || "0");
    const a = acc.get(k) ?? { sum: 0, grams: 0, trades: 0 };
    a.sum += Number(c.vwapPricePerKg || "0") * g;
    a.grams += g;
    a.trades += c.tradeCount ?? 0;
    acc.set(k, a);
  }
  const out = new Map<string, { price: number; grams: number; trades: number }>();
  for (const [k, a] of acc) out.set(k, { price: a.grams ? a.sum / a.grams : 0, grams: a.grams, trades: a.trades });
  return out;
}

function weekNumber(w: string): string {
  return String(Number(w.slice(6)));
}

export function ObservatoryPage() {
  useLang();
  const standards = useStandards().filter((s) => (s.qualityGroups?.length ?? 0) > 0 || (s.fleeceClassification?.categories?.length ?? 0) > 0);
  const [startWeek, setStartWeek] = useState("");
  const [endWeek, setEndWeek] = useState("");
  const [currency, setCurrency] = useState("PEN");
  const [standard, setStandard] = useState(DEFAULT_STANDARD);
  const [region, setRegion] = useState("");
  const [by, setBy] = useState<Dimension>("qualityGroup");
  const [stats, setStats] = useState<Stats | null>(null);
  const [error, setError] = useState<unknown>(null);
  const weekOptions = lastWeeks(53).map(([w, monday]): [string, string] => [w, t("public.weekOf", { n: weekNumber(w), date: fmtDate(monday) })]);
  useEffect(() => {
    let live = true;
    setStats(null);
    must(
      api.GET("/v1/market/stats", {
        params: {
          query: {
            startWeek: startWeek || undefined,
            endWeek: endWeek || undefined,
            currencyCode: currency,
            standard,
            region: region || undefined,
          },
        },
      }),
    )
      .then((s) => {
        if (!live) return;
        setStats(s);
        setError(null);
      })
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [startWeek, endWeek, currency, standard, region]);

  const all = useStandards();
  const cells = stats?.cells ?? [];
  const cur = stats?.currencyCode || currency;
  const std = stats?.standard || standard;
  const nameOf = (d: Dimension, c: Cell) =>
    d === "qualityGroup" ? groupName(all, c.qualityGroup, std) : d === "colour" ? colourName(all, c.colour) : c.regionName || c.region || "";
  const byKey = weighted(cells, (c) => nameOf(by, c));
  const bars: Bar[] = [...byKey.entries()].map(([label, v]) => ({ label, value: v.price })).sort((a, b) => b.value - a.value);
  const weeks = [...new Set(cells.map((c) => c.week ?? ""))].sort();
  const weekStart = new Map(cells.map((c) => [c.week ?? "", c.weekStartTime]));
  const perWeek = weighted(cells, (c) => `${c.week}\u0000${groupName(all, c.qualityGroup, std)}`);
  const groups = [...new Set(cells.map((c) => groupName(all, c.qualityGroup, std)))].sort();
  const series: Series[] = groups.map((g) => ({
    label: g,
    points: weeks.filter((w) => perWeek.has(`${w}\u0000${g}`)).map((w) => ({ x: w, value: perWeek.get(`${w}\u0000${g}`)!.price })),
  }));
  const titles: Record<Dimension, string> = {
    qualityGroup: t("public.byTitle.qualityGroup"),
    colour: t("public.byTitle.colour"),
    region: t("public.byTitle.region"),
  };
  const dims: Record<Dimension, string> = {
    qualityGroup: t("public.by.qualityGroup"),
    colour: t("public.by.colour"),
    region: t("public.by.region"),
  };
  const top = bars[0];
  const note = stats?.note ? (lang() === "es" ? stats.note.es : stats.note.en) || stats.note.es : "";
  const sorted = [...cells].sort(
    (a, b) =>
      (b.week ?? "").localeCompare(a.week ?? "") ||
      (a.regionName ?? "").localeCompare(b.regionName ?? "") ||
      (a.qualityGroup ?? "").localeCompare(b.qualityGroup ?? "") ||
      (a.colour ?? "").localeCompare(b.colour ?? ""),
  );
  return (
    <Page title={t("public.title")}>
      <p class="lead">{t("public.intro")}</p>
      <form class="card filters-card" onSubmit={(e) => e.preventDefault()} aria-label={t("public.filter.label")}>
        <div class="row">
          <Select
            label={t("public.filter.startWeek")}
            value={startWeek}
            options={[["", t("public.filter.startDefault")], ...weekOptions]}
            onChange={(e) => setStartWeek((e.target as HTMLSelectElement).value)}
          />
          <Select
            label={t("public.filter.endWeek")}
            value={endWeek}
            options={[["", t("public.filter.endDefault")], ...weekOptions]}
            onChange={(e) => setEndWeek((e.target as HTMLSelectElement).value)}
          />
        </div>
        <div class="row">
          <Select
            label={t("public.filter.currency")}
            value={currency}
            options={[
              ["PEN", t("public.currency.pen")],
              ["USD", t("public.currency.usd")],
            ]}
            onChange={(e) => setCurrency((e.target as HTMLSelectElement).value)}
          />
          <Select
            label={t("public.filter.region")}
            value={region}
            options={[["", t("public.filter.allRegions")], ...DEPARTMENTS]}
            onChange={(e) => setRegion((e.target as HTMLSelectElement).value)}
          />
        </div>
        <Select
          label={t("public.filter.standard")}
          value={standard}
          options={(standards.length ? standards : [{ name: DEFAULT_STANDARD }]).map((s): [string, string] => [s.name ?? "", standardTitle(s)])}
          onChange={(e) => setStandard((e.target as HTMLSelectElement).value)}
        />
      </form>
      <ErrorBox error={error} />
      {!stats ? (
        !error && <Busy />
      ) : cells.length === 0 ? (
        <Empty>{t("public.none", { n: stats.suppressedCellCount ?? 0 })}</Empty>
      ) : (
        <>
          <section aria-labelledby="by-title" class="chart-section">
            <div class="page-head">
              <h2 id="by-title">{titles[by]}</h2>
              <Select
                label={t("public.by.label")}
                value={by}
                options={(Object.keys(dims) as Dimension[]).map((d): [string, string] => [d, dims[d]])}
                onChange={(e) => setBy((e.target as HTMLSelectElement).value as Dimension)}
              />
            </div>
            <div class="chart-pair">
              <BarChart
                title={titles[by]}
                desc={t("public.byDesc", { n: bars.length, top: top?.label ?? "", price: fmtMoney(Math.round(top?.value ?? 0), cur) })}
                bars={bars}
                currency={cur}
              />
              <Table
                caption={t("public.byCaption", { title: titles[by] })}
                rows={bars}
                rowKey={(b) => b.label}
                columns={[
                  { head: dims[by], cell: (b) => b.label },
                  { head: t("public.col.price"), cell: (b) => fmtMoney(Math.round(b.value), cur), num: true },
                  { head: t("public.col.volume"), cell: (b) => fmtWeight(byKey.get(b.label)?.grams ?? 0), num: true },
                ]}
              />
            </div>
          </section>
          <section aria-labelledby="weeks-title" class="chart-section">
            <h2 id="weeks-title">{t("public.weeksTitle")}</h2>
            <div class="chart-pair">
              <LineChart
                title={t("public.weeksTitle")}
                desc={t("public.weeksDesc", { weeks: weeks.length, groups: groups.length, first: weeks[0] ?? "", last: weeks[weeks.length - 1] ?? "" })}
                xs={weeks}
                series={series}
                currency={cur}
                xLabel={(w) => t("public.weekShort", { n: weekNumber(w) })}
              />
              <Table
                caption={t("public.weeksCaption")}
                rows={weeks}
                rowKey={(w) => w}
                columns={[
                  { head: t("public.col.week"), cell: (w) => t("public.weekOf", { n: weekNumber(w), date: fmtDate(weekStart.get(w)) }) },
                  ...groups.map((g) => ({
                    head: g,
                    cell: (w: string) => {
                      const v = perWeek.get(`${w}\u0000${g}`);
                      return v ? fmtMoney(Math.round(v.price), cur) : "—";
                    },
                    num: true,
                  })),
                ]}
              />
            </div>
          </section>
          <section aria-labelledby="cells-title">
            <h2 id="cells-title">{t("public.cellsTitle")}</h2>
            <Table
              caption={cells.length === 1 ? t("public.cellsCaptionOne") : t("public.cellsCaption", { n: cells.length })}
              rows={sorted}
              rowKey={(c) => `${c.week}|${c.region}|${c.qualityGroup}|${c.colour}`}
              columns={[
                { head: t("public.col.week"), cell: (c) => t("public.weekOf", { n: weekNumber(c.week ?? ""), date: fmtDate(c.weekStartTime) }) },
                { head: t("public.col.region"), cell: (c) => c.regionName || c.region },
                { head: t("public.col.group"), cell: (c) => groupName(all, c.qualityGroup, std) },
                { head: t("public.col.colour"), cell: (c) => colourName(all, c.colour) },
                { head: t("public.col.trades"), cell: (c) => fmtInt(c.tradeCount ?? 0), num: true },
                { head: t("public.col.volume"), cell: (c) => fmtWeight(c.tradedGrams), num: true },
                { head: t("public.col.price"), cell: (c) => fmtMoney(c.vwapPricePerKg, cur), num: true },
              ]}
            />
          </section>
        </>
      )}
      {stats && (stats.suppressedCellCount ?? 0) > 0 && cells.length > 0 && <p class="hint">{stats.suppressedCellCount === 1 ? t("public.suppressedOne") : t("public.suppressed", { n: stats.suppressedCellCount ?? 0 })}</p>}
      {note && <p class="hint">{note}</p>}
      <ObservatoryIndexSection currency={currency} />
    </Page>
  );
}
