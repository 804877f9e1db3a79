// The consistency report's two drawings, as plain SVG and drawn as the
// server's HTML report draws them (gateway/report/heatmap.go and chart.go):
// the confusion matrix as a heat map, each row's cells shaded by their
// share of the row, green on the outlined diagonal and orange off it; and
// the agreement per month as exact and adjacent bars on a 0–100 % axis with
// the weighted kappa as a line on a −1 to 1 axis sharing the grid. Each
// has a title and a description for screen readers and a table beside it
// with the same numbers.
import type { Schemas } from "../../api/client";
import { locale, t } from "../../i18n";
import { fmtDecimal, fmtPct } from "./common";

type RGB = [number, number, number];
const AGREE: RGB = [0x1a, 0x7f, 0x37];
const DISAGREE: RGB = [0xc2, 0x41, 0x0c];
const EMPTY = "#f3f4f6";
const DIAGONAL = "#0b3d1e";
const EXACT = "#0969da";
const ADJACENT = "#9ecbff";
const KAPPA = "#8250df";

/** mix is colour c at strength 0 (white) to 1 (c itself). */
function mix(c: RGB, strength: number): string {
  const ch = (v: number) => Math.round(255 - (255 - v) * strength);
  return "#" + c.map((v) => ch(v).toString(16).padStart(2, "0")).join("");
}

/** strength keeps the smallest non-zero share visible. */
function strength(share: number): number {
  return 0.15 + 0.85 * share;
}

const CELL = 48;

/** HeatMap draws a confusion matrix, declared groups in rows and checked groups in columns. */
export function HeatMap(props: { matrix: Schemas["v1ConfusionMatrix"] | undefined }) {
  const groups = props.matrix?.qualityGroups ?? [];
  const n = groups.length;
  if (n === 0) return <p class="hint">{t("agency.report.noGroups")}</p>;
  const counts = groups.map((_, i) => groups.map((_, j) => props.matrix?.rows?.[i]?.checkedCounts?.[j] ?? 0));
  const rowTotals = counts.map((r) => r.reduce((a, b) => a + b, 0));
  const colTotals = groups.map((_, j) => counts.reduce((a, r) => a + r[j], 0));
  const total = rowTotals.reduce((a, b) => a + b, 0);
  const diagonal = counts.reduce((a, r, i) => a + r[i], 0);
  const label = (g: string) => (g.length > 10 ? g.slice(0, 9) + "…" : g);
  const longest = Math.max(...groups.map((g) => label(g).length));
  const labelW = Math.round(longest * 7) + 10;
  const gx = 22 + labelW;
  const gy = 26 + Math.round(labelW * 0.75);
  const width = gx + n * CELL + 40;
  const height = gy + n * CELL + 30;
  const titleId = "heatmap-title";
  const descId = "heatmap-desc";
  return (
    <figure class="chart">
      <svg
        class="heatmap"
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        height={height}
        role="img"
        aria-labelledby={`${titleId} ${descId}`}
        font-size="12"
      >
        <title id={titleId}>{t("agency.report.heatTitle")}</title>
        <desc id={descId}>{t("agency.report.heatDesc", { n, groups: groups.join(", "), total, diagonal })}</desc>
        <text x={gx + (n * CELL) / 2} y={12} text-anchor="middle" font-weight="bold">
          {t("agency.report.checked")}
        </text>
        <text x={10} y={gy + (n * CELL) / 2} text-anchor="middle" font-weight="bold" transform={`rotate(-90 10 ${gy + (n * CELL) / 2})`}>
          {t("agency.report.declared")}
        </text>
        {groups.map((g, j) => {
          const x = gx + j * CELL + CELL / 2 + 4;
          const y = gy - 6;
          return (
            <text key={`c${j}`} x={x} y={y} transform={`rotate(-40 ${x} ${y})`}>
              {label(g)}
              <title>{g}</title>
            </text>
          );
        })}
        {groups.map((g, i) => (
          <text key={`r${i}`} x={gx - 6} y={gy + i * CELL + CELL / 2 + 4} text-anchor="end">
            {label(g)}
            <title>{g}</title>
          </text>
        ))}
        {counts.map((row, i) =>
          row.map((c, j) => {
            const share = rowTotals[i] > 0 ? c / rowTotals[i] : 0;
            const s = strength(share);
            const fill = c > 0 ? mix(i === j ? AGREE : DISAGREE, s) : EMPTY;
            const ink = c === 0 ? "#8c959f" : s >= 0.55 ? "#ffffff" : "#1f2328";
            const x = gx + j * CELL;
            const y = gy + i * CELL;
            return (
              <g key={`${i}-${j}`} class={i === j ? "cell diagonal" : "cell"}>
                <rect x={x + 1} y={y + 1} width={CELL - 2} height={CELL - 2} fill={fill}>
                  <title>
                    {t("agency.report.cellTitle", { declared: groups[i], checked: groups[j], n: c, of: rowTotals[i], share: fmtPct(share * 100) })}
                  </title>
                </rect>
                {i === j && <rect x={x + 3} y={y + 3} width={CELL - 6} height={CELL - 6} fill="none" stroke={DIAGONAL} stroke-width="3" />}
                <text x={x + CELL / 2} y={y + CELL / 2 + (c > 0 ? 0 : 5)} text-anchor="middle" fill={ink} font-size="15" font-weight="bold">
                  {c}
                </text>
                {c > 0 && (
                  <text x={x + CELL / 2} y={y + CELL / 2 + 14} text-anchor="middle" fill={ink} font-size="10">
                    {fmtPct(share * 100)}
                  </text>
                )}
              </g>
            );
          }),
        )}
        {rowTotals.map((v, i) => (
          <text key={`rt${i}`} x={gx + n * CELL + 8} y={gy + i * CELL + CELL / 2 + 4} font-style="italic">
            {v}
          </text>
        ))}
        {colTotals.map((v, j) => (
          <text key={`ct${j}`} x={gx + j * CELL + CELL / 2} y={gy + n * CELL + 16} text-anchor="middle" font-style="italic">
            {v}
          </text>
        ))}
      </svg>
      <figcaption class="hint">
        <span class="swatch" data-colour="agree" aria-hidden="true" /> {t("agency.report.legendAgree")}{" "}
        <span class="swatch" data-colour="disagree" aria-hidden="true" /> {t("agency.report.legendDisagree")}
      </figcaption>
      <details>
        <summary>{t("agency.report.asTable")}</summary>
        <div class="table-wrap">
          <table class="data matrix">
            <caption>{t("agency.report.heatTitle")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("agency.report.declaredChecked")}</th>
                {groups.map((g) => (
                  <th scope="col" class="num" key={g}>
                    {g}
                  </th>
                ))}
                <th scope="col" class="num">
                  {t("agency.report.total")}
                </th>
              </tr>
            </thead>
            <tbody>
              {counts.map((row, i) => (
                <tr key={groups[i]}>
                  <th scope="row">{groups[i]}</th>
                  {row.map((c, j) => (
                    <td class="num" key={j}>
                      {c}
                    </td>
                  ))}
                  <td class="num">{rowTotals[i]}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

// Narrow enough that its 12 px text stays readable on a 360 px phone.
const CW = 400;
const CH = 220;
const LEFT = 42;
const RIGHT = 30;
const TOP = 10;
const BOTTOM = 26;

function monthName(ts: string | undefined): string {
  if (!ts) return "";
  return new Intl.DateTimeFormat(locale(), { timeZone: "UTC", month: "short", year: "2-digit" }).format(new Date(ts));
}

/** MonthlyChart draws the agreement of each month of the period. */
export function MonthlyChart(props: { months: Schemas["v1PeriodAgreement"][] | undefined }) {
  const months = props.months ?? [];
  const n = months.length;
  if (n === 0) return <p class="hint">{t("agency.report.noMonths")}</p>;
  const plotW = CW - LEFT - RIGHT;
  const plotH = CH - TOP - BOTTOM;
  const bottom = TOP + plotH;
  const yPct = (p: number) => TOP + plotH * (1 - Math.min(Math.max(p, 0), 100) / 100);
  const yKappa = (k: number) => yPct((Math.min(Math.max(k, -1), 1) + 1) * 50);
  const slot = plotW / n;
  const barW = Math.max(Math.min(slot * 0.36, 32), 1);
  const gap = Math.min(slot * 0.04, 3);
  const every = Math.ceil(n / 5);
  const runs: string[][] = [];
  let run: string[] = [];
  const withChecks = months.filter((m) => (m.statistics?.checkCount ?? 0) > 0).length;
  const parts = months.map((m, i) => {
    const s = m.statistics ?? {};
    const x = LEFT + slot * i;
    const name = monthName(m.startTime);
    const label =
      i % every === 0 ? (
        <text x={x + slot / 2} y={bottom + 16} text-anchor="middle">
          {name}
        </text>
      ) : null;
    if (!s.checkCount) {
      if (run.length) runs.push(run);
      run = [];
      return (
        <g key={i}>
          <rect class="gap" x={x + 1} y={TOP} width={Math.max(slot - 2, 1)} height={plotH} fill="#f6f8fa">
            <title>{`${name}: ${t("agency.report.noChecks")}`}</title>
          </rect>
          {label}
        </g>
      );
    }
    const title = t("agency.report.monthTitle", {
      month: name,
      n: s.checkCount,
      exact: fmtPct(s.exactAgreementPercent),
      adjacent: fmtPct(s.adjacentAgreementPercent),
      kappa: s.weightedKappa === undefined ? t("agency.report.undefined") : fmtDecimal(s.weightedKappa, 2),
    });
    const left = x + (slot - 2 * barW - gap) / 2;
    const bars = [
      [s.exactAgreementPercent ?? 0, EXACT],
      [s.adjacentAgreementPercent ?? 0, ADJACENT],
    ] as const;
    let dot = null;
    if (s.weightedKappa === undefined) {
      if (run.length) runs.push(run);
      run = [];
    } else {
      const cx = x + slot / 2;
      const cy = yKappa(s.weightedKappa);
      run.push(`${cx.toFixed(1)},${cy.toFixed(1)}`);
      dot = (
        <circle cx={cx} cy={cy} r="4" fill={KAPPA}>
          <title>{title}</title>
        </circle>
      );
    }
    return (
      <g key={i}>
        {bars.map(([p, fill], k) => (
          <rect key={k} x={left + k * (barW + gap)} y={yPct(p)} width={barW} height={bottom - yPct(p)} fill={fill}>
            <title>{title}</title>
          </rect>
        ))}
        {dot}
        {label}
      </g>
    );
  });
  if (run.length) runs.push(run);
  return (
    <figure class="chart">
      <svg class="monthly" viewBox={`0 0 ${CW} ${CH}`} width={CW} height={CH} role="img" aria-labelledby="monthly-title monthly-desc" font-size="12">
        <title id="monthly-title">{t("agency.report.monthlyTitle")}</title>
        <desc id="monthly-desc">{t("agency.report.monthlyDesc", { n, withChecks })}</desc>
        {[0, 1, 2, 3, 4].map((k) => {
          const y = yPct(k * 25);
          return (
            <g key={k}>
              <line x1={LEFT} x2={LEFT + plotW} y1={y} y2={y} stroke="#d0d7de" />
              <text x={LEFT - 6} y={y + 4} text-anchor="end">
                {fmtPct(k * 25)}
              </text>
              <text x={LEFT + plotW + 6} y={y + 4} fill={KAPPA}>
                {fmtDecimal(k / 2 - 1, 1)}
              </text>
            </g>
          );
        })}
        {parts}
        {runs
          .filter((r) => r.length > 1)
          .map((r, i) => (
            <polyline key={i} points={r.join(" ")} fill="none" stroke={KAPPA} stroke-width="2" />
          ))}
      </svg>
      <figcaption class="hint">
        <span class="swatch" data-colour="exact" aria-hidden="true" /> {t("agency.report.exact")}{" "}
        <span class="swatch" data-colour="adjacent" aria-hidden="true" /> {t("agency.report.adjacent")}{" "}
        <span class="swatch line" data-colour="kappa" aria-hidden="true" /> {t("agency.report.kappaAxis")}
      </figcaption>
      <details>
        <summary>{t("agency.report.asTable")}</summary>
        <div class="table-wrap">
          <table class="data">
            <caption>{t("agency.report.monthlyTitle")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("agency.report.month")}</th>
                <th scope="col" class="num">
                  {t("agency.report.checks")}
                </th>
                <th scope="col" class="num">
                  {t("agency.report.exact")}
                </th>
                <th scope="col" class="num">
                  {t("agency.report.adjacent")}
                </th>
                <th scope="col" class="num">
                  {t("agency.report.kappa")}
                </th>
              </tr>
            </thead>
            <tbody>
              {months.map((m) => {
                const s = m.statistics ?? {};
                return (
                  <tr key={m.startTime}>
                    <th scope="row">{monthName(m.startTime)}</th>
                    <td class="num">{s.checkCount ?? 0}</td>
                    <td class="num">{s.checkCount ? fmtPct(s.exactAgreementPercent) : "—"}</td>
                    <td class="num">{s.checkCount ? fmtPct(s.adjacentAgreementPercent) : "—"}</td>
                    <td class="num">{s.weightedKappa === undefined ? "—" : fmtDecimal(s.weightedKappa, 2)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
