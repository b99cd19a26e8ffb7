/**
 * Small inline-SVG charts for report.html: a scatter with its Pareto front (latency vs
 * accuracy, one point per variant) and a histogram with a threshold line. Pure functions
 * of numbers → SVG text; every label goes through `escapeHtml`. No scripts, no external refs.
 */
import { escapeHtml } from './escape.js';
import { num } from './format.js';

export interface ScatterPoint {
  label: string;
  x: number;
  /** ±Infinity is drawn on a band at the edge of the plot, labelled ∞. */
  y: number;
  /** A point from the baseline run: drawn faded, not part of the Pareto front. */
  ghost?: boolean;
}

export interface ScatterOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  points: ScatterPoint[];
  /** Which way y is better (x, a latency, is always better lower). */
  better: 'up' | 'down';
  width?: number;
  height?: number;
}

const MARGIN = { left: 64, right: 24, top: 36, bottom: 48 };

/** Ticks at 1, 2 or 5 × 10^k covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function padded(values: number[], fallback: [number, number]): [number, number] {
  if (!values.length) return fallback;
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) [lo, hi] = [lo - Math.max(1, Math.abs(lo) * 0.1), hi + Math.max(1, Math.abs(hi) * 0.1)];
  const pad = (hi - lo) * 0.12;
  return [lo - pad, hi + pad];
}

/** Points not dominated by another (lower-or-equal x and better-or-equal y, one strictly). */
export function paretoFront(points: readonly ScatterPoint[], better: 'up' | 'down'): ScatterPoint[] {
  const s = better === 'up' ? 1 : -1;
  const dominated = (p: ScatterPoint): boolean =>
    points.some((q) => q !== p && q.x <= p.x && q.y * s >= p.y * s && (q.x < p.x || q.y * s > p.y * s));
  return points.filter((p) => !dominated(p)).sort((a, b) => a.x - b.x);
}

export function scatterChart(o: ScatterOptions): string {
  const width = o.width ?? 520;
  const height = o.height ?? 320;
  const pw = width - MARGIN.left - MARGIN.right;
  const ph = height - MARGIN.top - MARGIN.bottom;
  const finiteY = o.points.map((p) => p.y).filter(Number.isFinite);
  const [x0, x1] = padded(o.points.map((p) => p.x), [0, 1]);
  const [y0, y1] = padded(finiteY, [0, 1]);
  const band = 14; // px beyond the plot edge for ±∞
  const sx = (x: number): number => MARGIN.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number): number => (y === Infinity ? MARGIN.top - band : y === -Infinity ? MARGIN.top + ph + band : MARGIN.top + ph - ((y - y0) / (y1 - y0)) * ph);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart scatter" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(o.title)}">`);
  parts.push(`<title>${escapeHtml(o.title)}</title>`);
  parts.push(`<text class="chart-title" x="${MARGIN.left}" y="16">${escapeHtml(o.title)}</text>`);
  parts.push(`<rect class="plot" x="${MARGIN.left}" y="${MARGIN.top}" width="${pw}" height="${ph}"/>`);
  for (const t of niceTicks(x0, x1)) {
    const x = sx(t).toFixed(1);
    parts.push(`<line class="grid" x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + ph}"/><text class="tick" x="${x}" y="${MARGIN.top + ph + 16}" text-anchor="middle">${escapeHtml(num(t, 3))}</text>`);
  }
  for (const t of niceTicks(y0, y1)) {
    const y = sy(t).toFixed(1);
    parts.push(`<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + pw}" y1="${y}" y2="${y}"/><text class="tick" x="${MARGIN.left - 6}" y="${y}" dy="4" text-anchor="end">${escapeHtml(num(t, 3))}</text>`);
  }
  if (o.points.some((p) => p.y === Infinity)) parts.push(`<text class="tick" x="${MARGIN.left - 6}" y="${sy(Infinity)}" dy="4" text-anchor="end">∞</text>`);
  if (o.points.some((p) => p.y === -Infinity)) parts.push(`<text class="tick" x="${MARGIN.left - 6}" y="${sy(-Infinity)}" dy="4" text-anchor="end">−∞</text>`);
  parts.push(`<text class="axis-label" x="${MARGIN.left + pw / 2}" y="${height - 8}" text-anchor="middle">${escapeHtml(o.xLabel)}</text>`);
  parts.push(`<text class="axis-label" transform="translate(14 ${MARGIN.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(o.yLabel)}</text>`);
  const front = paretoFront(o.points.filter((p) => !p.ghost), o.better);
  if (front.length > 1) parts.push(`<polyline class="pareto" points="${front.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}"/>`);
  // Labels: current points placed first, then baseline ghosts; a label that would overlap one
  // already placed moves down a line; near the right edge labels end at their point.
  const placed: { x: number; y: number }[] = [];
  const labelled = [...o.points.filter((p) => !p.ghost), ...o.points.filter((p) => p.ghost)].map((p) => {
    const cx = sx(p.x);
    const cy = sy(p.y);
    const anchorEnd = cx > width - MARGIN.right - 90;
    let ly = cy - 6;
    while (placed.some((q) => Math.abs(q.y - ly) < 12 && Math.abs(q.x - cx) < 70)) ly += 13;
    placed.push({ x: cx, y: ly });
    return { p, cx, cy, lx: anchorEnd ? cx - 8 : cx + 8, ly, anchor: anchorEnd ? 'end' : 'start' };
  });
  for (const { p, cx, cy, lx, ly, anchor } of labelled.reverse()) {
    const classes = (front.includes(p) ? ' front' : '') + (p.ghost ? ' ghost' : '');
    const yText = p.y === Infinity ? '∞' : p.y === -Infinity ? '−∞' : num(p.y, 4);
    parts.push(`<g class="point${classes}"><circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="5"><title>${escapeHtml(`${p.label}: ${num(p.x, 4)}, ${yText}`)}</title></circle>`
      + `<text class="point-label" x="${lx.toFixed(1)}" y="${ly.toFixed(1)}" text-anchor="${anchor}">${escapeHtml(p.label)}</text></g>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

export interface HistogramOptions {
  title: string;
  /** Linear bins over [0, range]. */
  counts: readonly number[];
  range: number;
  /** Marked with a vertical line (the calibrated amax). */
  threshold: number;
  width?: number;
  height?: number;
  /** Bars drawn at most (bins are summed in groups). */
  maxBars?: number;
}

/** Histogram of |x| with a log count axis (activations are heavy-tailed) and the threshold marked. */
export function histogramChart(o: HistogramOptions): string {
  const width = o.width ?? 520;
  const height = o.height ?? 220;
  const pw = width - MARGIN.left - MARGIN.right;
  const ph = height - MARGIN.top - MARGIN.bottom;
  const group = Math.max(1, Math.ceil(o.counts.length / (o.maxBars ?? 128)));
  const bars: number[] = [];
  for (let i = 0; i < o.counts.length; i += group) bars.push(o.counts.slice(i, i + group).reduce((a, b) => a + b, 0));
  const top = Math.log10(1 + Math.max(1, ...bars));
  const bw = pw / Math.max(1, bars.length);
  const range = o.range > 0 ? o.range : 1;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart histogram" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(o.title)}">`);
  parts.push(`<title>${escapeHtml(o.title)}</title>`);
  parts.push(`<text class="chart-title" x="${MARGIN.left}" y="16">${escapeHtml(o.title)}</text>`);
  parts.push(`<rect class="plot" x="${MARGIN.left}" y="${MARGIN.top}" width="${pw}" height="${ph}"/>`);
  const tx = MARGIN.left + Math.min(1, Math.max(0, o.threshold / range)) * pw;
  parts.push(`<rect class="clipped" x="${tx.toFixed(1)}" y="${MARGIN.top}" width="${(MARGIN.left + pw - tx).toFixed(1)}" height="${ph}"/>`);
  bars.forEach((c, i) => {
    if (c <= 0) return;
    const h = (Math.log10(1 + c) / top) * ph;
    parts.push(`<rect class="bar" x="${(MARGIN.left + i * bw).toFixed(2)}" y="${(MARGIN.top + ph - h).toFixed(2)}" width="${Math.max(0.5, bw - 0.3).toFixed(2)}" height="${h.toFixed(2)}"/>`);
  });
  for (const t of niceTicks(0, range, 5)) {
    const x = (MARGIN.left + (t / range) * pw).toFixed(1);
    parts.push(`<text class="tick" x="${x}" y="${MARGIN.top + ph + 16}" text-anchor="middle">${escapeHtml(num(t, 3))}</text>`);
  }
  parts.push(`<line class="threshold" x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="${MARGIN.top - 4}" y2="${MARGIN.top + ph}"/>`);
  parts.push(`<text class="threshold-label" x="${tx.toFixed(1)}" y="${MARGIN.top - 8}" text-anchor="${tx > MARGIN.left + pw * 0.7 ? 'end' : 'start'}">${escapeHtml(`amax ${num(o.threshold, 4)}`)}</text>`);
  parts.push(`<text class="axis-label" x="${MARGIN.left + pw / 2}" y="${height - 8}" text-anchor="middle">|x| (count axis logarithmic)</text>`);
  parts.push('</svg>');
  return parts.join('');
}

export interface BarOptions {
  title: string;
  /** One horizontal bar per row, top to bottom; `label` is escaped like every text. */
  bars: { label: string; value: number }[];
  xLabel: string;
  width?: number;
}

/** Horizontal bar chart (e.g. the most sensitive nodes), labels on the left. */
export function barChart(o: BarOptions): string {
  const width = o.width ?? 620;
  const row = 18;
  const left = 230;
  const height = MARGIN.top + o.bars.length * row + MARGIN.bottom;
  const pw = width - left - MARGIN.right;
  const max = Math.max(1e-9, ...o.bars.map((b) => b.value));
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(o.title)}">`);
  parts.push(`<title>${escapeHtml(o.title)}</title>`);
  parts.push(`<text class="chart-title" x="8" y="16">${escapeHtml(o.title)}</text>`);
  o.bars.forEach((b, i) => {
    const y = MARGIN.top + i * row;
    const w = (Math.max(0, b.value) / max) * pw;
    const label = b.label.length > 34 ? `${b.label.slice(0, 33)}…` : b.label;
    parts.push(`<text class="tick" x="${left - 6}" y="${y + 13}" text-anchor="end">${escapeHtml(label)}<title>${escapeHtml(b.label)}</title></text>`);
    parts.push(`<rect class="bar" x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${row - 6}"/>`);
    parts.push(`<text class="tick" x="${(left + w + 4).toFixed(1)}" y="${y + 13}">${escapeHtml(num(b.value, 3))}</text>`);
  });
  parts.push(`<text class="axis-label" x="${left + pw / 2}" y="${height - 8}" text-anchor="middle">${escapeHtml(o.xLabel)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}
