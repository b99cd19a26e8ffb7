/**
 * results → report.html: one self-contained page (inline CSS and SVG, no script, no network;
 * a Content-Security-Policy forbids both), verdict first. Every string from results goes
 * through `escapeHtml`; thumbnails are accepted only as PNG data URIs.
 */
import { basename } from 'node:path';
import { fromDecibels } from './decibels.js';
import { escapeHtml, safePngDataUri } from './escape.js';
import { percent } from './format.js';
import type { Results } from './results-schema.js';
import { histogramChart, scatterChart, type ScatterPoint } from './svg.js';
import {
  calibrationTable, checksTable, checkText, detectionTable, environmentTable, findVariant, latencyTable, outputTable, verdictTable,
  worstImagesTable, worstPd, worstPsnr, worstPsnrText, type Cell, type Table,
} from './view.js';

export interface RenderOptions {
  /** An earlier run's results: every metric shows its change since then. */
  baseline?: Results;
  /** Calibration rows shown before the rest are folded away. */
  calibrationRows?: number;
}

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const CSS = `
:root { --fg: #1d2330; --muted: #5b6477; --line: #d9dde6; --pass: #17753a; --fail: #b3261e; --accent: #2f5fb3; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0; background: #f6f7fa; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 8px; } .sub { color: var(--muted); margin: 0 0 6px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 14px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #eef1f6; font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td { overflow-wrap: break-word; }
.delta { display: block; font-size: 11px; } .delta.better { color: var(--pass); } .delta.worse { color: var(--fail); } .delta.same { color: var(--muted); }
.badge { display: inline-block; white-space: nowrap; padding: 1px 8px; border-radius: 10px; font-weight: 700; font-size: 12px; }
td.num.v-fail { color: var(--fail); font-weight: 600; } td.num.v-pass { color: var(--pass); }
.v-pass .badge { background: #dcf2e3; color: var(--pass); } .v-fail .badge { background: #fbe0de; color: var(--fail); } .v-none .badge { background: #eceef2; color: var(--muted); }
.summary { font-size: 15px; padding: 10px 14px; border-radius: 6px; background: #f1f4f9; margin: 12px 0; }
.summary.fail { background: #fdeceb; } .summary.pass { background: #e8f6ed; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
svg.chart { background: #fff; border: 1px solid var(--line); border-radius: 4px; font-size: 11px; }
svg .plot { fill: #fbfcfe; stroke: var(--line); } svg .grid { stroke: #e8ebf1; } svg .tick { fill: var(--muted); }
svg .chart-title { font-weight: 600; font-size: 13px; fill: var(--fg); } svg .axis-label { fill: var(--muted); }
svg .point circle { fill: var(--accent); stroke: #fff; stroke-width: 1.5; } svg .point.front circle { fill: #e07b00; }
svg .point.ghost circle { fill: #b8c0cf; } svg .point.ghost text { fill: #9aa3b3; } svg .point-label { fill: var(--fg); }
svg .pareto { fill: none; stroke: #e07b00; stroke-width: 1.5; stroke-dasharray: 4 3; }
svg .bar { fill: var(--accent); } svg .clipped { fill: #fbe0de; opacity: .6; } svg .threshold { stroke: var(--fail); stroke-width: 2; }
svg .threshold-label { fill: var(--fail); font-weight: 600; }
img.thumb { width: 96px; height: auto; image-rendering: pixelated; border: 1px solid var(--line); margin-right: 4px; }
details summary { cursor: pointer; color: var(--accent); margin: 4px 0; }
footer { color: var(--muted); font-size: 12px; margin-top: 32px; }
`;

function cellHtml(c: Cell, header = false): string {
  if (header) return `<th>${escapeHtml(c.text)}</th>`;
  // Class names come from a fixed set, never from results.json text.
  const verdict = c.verdict === 'pass' || c.verdict === 'fail' || c.verdict === 'none' ? `v-${c.verdict}` : c.verdict ? 'v-none' : '';
  const classes = [c.numeric && 'num', verdict].filter(Boolean).join(' ');
  let body = escapeHtml(c.text);
  if (c.verdict && !c.numeric) body = `<span class="badge">${body}</span>`;
  if (c.images) {
    const ref = safePngDataUri(c.images.reference);
    const test = safePngDataUri(c.images.test);
    body = ref && test ? `<img class="thumb" src="${ref}" alt="reference output"><img class="thumb" src="${test}" alt="test output">` : '—';
  }
  if (c.delta) body += `<span class="delta ${c.delta.trend}" title="change since the baseline run">${escapeHtml(c.delta.text)}</span>`;
  return `<td${classes ? ` class="${classes}"` : ''}>${body}</td>`;
}

export function htmlTable(t: Table, caption?: string): string {
  const head = t.columns.some((c) => c) ? `<thead><tr>${t.columns.map((c) => cellHtml({ text: c }, true)).join('')}</tr></thead>` : '';
  const body = t.rows.map((r) => `<tr>${r.map((c) => cellHtml(c)).join('')}</tr>`).join('\n');
  return `<table>${caption ? `<caption>${escapeHtml(caption)}</caption>` : ''}${head}<tbody>${body}</tbody></table>`;
}

/** One sentence per non-reference variant: what failed, or that it passed. */
function summaryLines(results: Results): { text: string; verdict: string }[] {
  return results.variants.filter((v) => v.name !== results.reference).map((v) => {
    const failed = v.verdict.checks.filter((c) => c.verdict === 'fail');
    const speed = `${v.verdict.speedup.toFixed(2)}× the reference's speed${v.latency.emulated ? ' (emulated)' : ''}`;
    if (v.verdict.verdict === 'fail') {
      const why = failed.map(checkText);
      return { text: `${v.name}: FAIL — ${why.join('; ')}; ${speed}`, verdict: 'fail' };
    }
    if (v.verdict.verdict === 'pass') return { text: `${v.name}: PASS (${v.verdict.checks.length} checks); ${speed}`, verdict: 'pass' };
    return { text: `${v.name}: no threshold applies (PSNR ${worstPsnrText(v)}); ${speed}`, verdict: 'none' };
  });
}

function tradeoffCharts(results: Results, baseline?: Results): string {
  const pointsFor = (r: Results, ghost: boolean, y: (v: Results['variants'][number]) => number | undefined): ScatterPoint[] =>
    r.variants.flatMap((v) => {
      const value = y(v);
      return value === undefined ? [] : [{ label: ghost ? `${v.name} (baseline)` : v.name, x: v.latency.p50, y: value, ghost }];
    });
  const psnrOf = (r: Results) => (v: Results['variants'][number]): number | undefined => {
    if (v.name === r.reference) return Infinity;
    const w = worstPsnr(v);
    return w === undefined ? undefined : fromDecibels(w);
  };
  const pdOf = (r: Results) => (v: Results['variants'][number]): number | undefined => (v.name === r.reference ? 0 : worstPd(v));
  const charts = [scatterChart({
    title: 'Latency vs PSNR (worst output)', xLabel: 'latency p50 (ms)', yLabel: 'PSNR (dB)', better: 'up',
    points: [...(baseline ? pointsFor(baseline, true, psnrOf(baseline)) : []), ...pointsFor(results, false, psnrOf(results))],
  })];
  if (results.variants.some((v) => worstPd(v) !== undefined)) {
    charts.push(scatterChart({
      title: 'Latency vs perceptual distance', xLabel: 'latency p50 (ms)', yLabel: `PD (${results.evaluation.pd?.network ?? 'feature network'})`, better: 'down',
      points: [...(baseline ? pointsFor(baseline, true, pdOf(baseline)) : []), ...pointsFor(results, false, pdOf(results))],
    }));
  }
  return `<div class="charts">${charts.join('')}</div><p class="sub">One point per variant; the orange dashed line joins the Pareto-optimal ones (faster and more accurate than any other). The reference sits at PSNR ∞ / PD 0.</p>`;
}

function calibrationSection(results: Results, rowsShown: number): string {
  const cal = results.calibration;
  if (!cal) return '';
  const all = calibrationTable(cal);
  const shown = { columns: all.columns, rows: all.rows.slice(0, rowsShown) };
  const rest = { columns: all.columns, rows: all.rows.slice(rowsShown) };
  const histograms = cal.histograms.map((h) => histogramChart({
    title: `${h.tensor} — ${percent(h.fractionClipped)} clipped`, counts: h.counts, range: h.range, threshold: h.threshold,
  }));
  return `<section id="calibration"><h2>Calibration</h2>
<p class="sub">${escapeHtml(`${cal.tensors.length} tensors, calibrator ${cal.calibrator}, ${cal.histogram} histograms; most clipping first.`)}</p>
${htmlTable(shown)}
${rest.rows.length ? `<details><summary>${escapeHtml(`${rest.rows.length} more tensors`)}</summary>${htmlTable(rest)}</details>` : ''}
${histograms.length ? `<h3>Histograms of the most clipped tensors</h3><div class="charts">${histograms.join('')}</div>` : ''}
</section>`;
}

export function renderHtml(results: Results, options: RenderOptions = {}): string {
  const { baseline } = options;
  const model = basename(results.model.source);
  const lines = summaryLines(results);
  const overall = lines.some((l) => l.verdict === 'fail') ? 'fail' : lines.some((l) => l.verdict === 'pass') ? 'pass' : 'none';
  const outputs = results.variants.filter((v) => v.outputs.length).map((v) =>
    `<h3>${escapeHtml(`${v.name} vs ${results.reference}`)} <span class="sub">${escapeHtml(v.modelFile)}</span></h3>${htmlTable(outputTable(v, baseline))}`);
  const detection = detectionTable(results, baseline);
  const worst = worstImagesTable(results);
  const checks = checksTable(results);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`int8cal report: ${model}`)}</title>
<style>${CSS}</style></head>
<body><main>
<header><h1>${escapeHtml(`int8cal report: ${model}`)}</h1>
<p class="sub">${escapeHtml(`${results.variants.length} variants on ${results.evaluation.images.length} images · ${results.createdAt} · run ${results.run}`)}</p>
${baseline ? `<p class="sub">${escapeHtml(`Compared with baseline run ${baseline.run} (${baseline.createdAt}): small coloured figures under each value are the change since then.`)}</p>` : ''}
</header>
<section id="verdict"><h2>Verdict</h2>
<div class="summary ${overall}">${lines.map((l) => `<div class="v-${l.verdict}">${escapeHtml(l.text)}</div>`).join('')}</div>
${htmlTable(verdictTable(results, baseline))}
${checks.rows.length ? `<h3>Checks</h3>${htmlTable(checks)}` : ''}
</section>
<section id="tradeoff"><h2>Speed vs accuracy</h2>${tradeoffCharts(results, baseline)}</section>
<section id="outputs"><h2>Per-output metrics</h2>${outputs.join('\n') || '<p class="sub">No variant besides the reference.</p>'}
${detection ? `<h3>Detection</h3>${htmlTable(detection)}` : ''}</section>
${worst.rows.length ? `<section id="worst"><h2>Worst images</h2><p class="sub">Lowest per-image PSNR first (same peak as the pooled PSNR).</p>${htmlTable(worst)}</section>` : ''}
<section id="latency"><h2>Latency</h2>${htmlTable(latencyTable(results, baseline))}</section>
${calibrationSection(results, options.calibrationRows ?? 25)}
<section id="environment"><h2>Environment</h2>${htmlTable(environmentTable(results))}</section>
${baseline && !results.variants.every((v) => findVariant(baseline, v.name)) ? `<p class="sub">${escapeHtml('Variants missing from the baseline show no change.')}</p>` : ''}
<footer>${escapeHtml(`Generated by int8cal ${results.environment.int8cal} from results.json (schema ${results.schema} v${results.version}).`)}</footer>
</main></body></html>
`;
}
