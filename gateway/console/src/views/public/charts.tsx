// Charts drawn as plain SVG: a horizontal bar chart and a line chart over
// weeks. Each is an image with a title and a description for screen
// readers (role="img", aria-labelledby), and each page shows the same
// numbers in a table beside it.
import { fmtMoney } from "../../i18n/format";

let chartSeq = 0;

/** PALETTE: distinguishable on white and for the common colour blindnesses (Okabe–Ito). */
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

export interface Bar {
  label: string;
  value: number;
  note?: string;
}

/** BarChart draws bars of prices in minor units, longest first as given. */
export function BarChart(props: { title: string; desc: string; bars: Bar[]; currency: string }) {
  const id = `chart${++chartSeq}`;
  const rowH = 32;
  const labelW = 118;
  const valueW = 78;
  const width = 360;
  const plotW = width - labelW - valueW;
  const max = Math.max(1, ...props.bars.map((b) => b.value));
  const height = props.bars.length * rowH + 8;
  return (
    <svg class="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby={`${id}-t ${id}-d`} preserveAspectRatio="xMinYMin meet">
      <title id={`${id}-t`}>{props.title}</title>
      <desc id={`${id}-d`}>{props.desc}</desc>
      {props.bars.map((b, i) => {
        const y = 4 + i * rowH;
        const w = Math.max(2, (b.value / max) * plotW);
        return (
          <g key={b.label}>
            <text x={labelW - 8} y={y + rowH / 2} text-anchor="end" dominant-baseline="middle" class="chart-label">
              {b.label.length > 16 ? b.label.slice(0, 15) + "…" : b.label}
            </text>
            <rect x={labelW} y={y + 5} width={w} height={rowH - 10} rx="3" fill={PALETTE[i % PALETTE.length]} />
            <text x={labelW + w + 6} y={y + rowH / 2} dominant-baseline="middle" class="chart-value">
              {fmtMoney(Math.round(b.value), props.currency)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export interface Series {
  label: string;
  points: Array<{ x: string; value: number }>;
}

/** LineChart draws prices (minor units) per week, one line per series, with a legend. */
export function LineChart(props: { title: string; desc: string; xs: string[]; series: Series[]; currency: string; xLabel: (x: string) => string }) {
  const id = `chart${++chartSeq}`;
  const width = 360;
  const height = 230;
  const left = 70;
  const right = 14;
  const top = 12;
  const bottom = 34;
  const values = props.series.flatMap((s) => s.points.map((p) => p.value));
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!isFinite(lo)) {
    lo = 0;
    hi = 1;
  }
  if (hi - lo < 1) {
    lo -= 50;
    hi += 50;
  }
  const pad = (hi - lo) * 0.1;
  lo = Math.max(0, lo - pad);
  hi += pad;
  const n = props.xs.length;
  const x = (i: number) => left + (n <= 1 ? (width - left - right) / 2 : (i * (width - left - right)) / (n - 1));
  const y = (v: number) => top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom);
  const ticks = [lo, (lo + hi) / 2, hi];
  const every = Math.max(1, Math.ceil(n / 5));
  return (
    <figure class="chart-figure">
      <svg class="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby={`${id}-t ${id}-d`}>
        <title id={`${id}-t`}>{props.title}</title>
        <desc id={`${id}-d`}>{props.desc}</desc>
        {ticks.map((v) => (
          <g key={v}>
            <line x1={left} x2={width - right} y1={y(v)} y2={y(v)} class="chart-grid" />
            <text x={left - 6} y={y(v)} text-anchor="end" dominant-baseline="middle" class="chart-axis">
              {fmtMoney(Math.round(v), props.currency)}
            </text>
          </g>
        ))}
        {props.xs.map((w, i) =>
          i % every === 0 || i === n - 1 ? (
            <text key={w} x={x(i)} y={height - 12} text-anchor="middle" class="chart-axis">
              {props.xLabel(w)}
            </text>
          ) : null,
        )}
        {props.series.map((s, si) => {
          const colour = PALETTE[si % PALETTE.length];
          const pts = s.points.map((p) => ({ i: props.xs.indexOf(p.x), v: p.value })).filter((p) => p.i >= 0).sort((a, b) => a.i - b.i);
          return (
            <g key={s.label}>
              <polyline fill="none" stroke={colour} stroke-width="2.5" points={pts.map((p) => `${x(p.i)},${y(p.v)}`).join(" ")} />
              {pts.map((p) => (
                <circle key={p.i} cx={x(p.i)} cy={y(p.v)} r="4" fill={colour}>
                  <title>{`${s.label}, ${props.xLabel(props.xs[p.i])}: ${fmtMoney(Math.round(p.v), props.currency)}`}</title>
                </circle>
              ))}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul class="legend">
          {props.series.map((s, si) => (
            <li key={s.label}>
              <span class="swatch" style={{ background: PALETTE[si % PALETTE.length] }} aria-hidden="true" />
              {s.label}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
