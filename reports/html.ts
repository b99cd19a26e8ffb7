/**
 * results → report.html: one self-contained page (inline CSS and SVG, no script, no network;
 * a Content-Security-Policy forbids both), verdict first. Every string from results goes
 * through `escapeHtml`; thumbnails are accepted only as PNG data URIs.
 */
import { basename } from 'node:path';
import type { Block, Section } from './blocks.js';
import { escapeHtml, safePngDataUri } from './escape.js';
import type { Results } from './results-schema.js';
import { reportSections, type RenderOptions } from './sections/index.js';
import { barChart, histogramChart, scatterChart } from './svg.js';
import { choiceNote, type Cell, type Table } from './view.js';

export type { RenderOptions } from './sections/index.js';

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

function blockHtml(b: Block): string {
  switch (b.kind) {
    case 'paragraph': return `<p class="sub">${escapeHtml(b.text)}</p>`;
    case 'heading': return `<h3>${escapeHtml(b.text)}${b.note ? ` <span class="sub">${escapeHtml(b.note)}</span>` : ''}</h3>`;
    case 'table': return htmlTable(b.table);
    case 'folded-table': {
      const rest = { columns: b.table.columns, rows: b.table.rows.slice(b.shown) };
      const folded = rest.rows.length ? `<details><summary>${escapeHtml(`${rest.rows.length} ${b.foldedLabel}`)}</summary>${htmlTable(rest)}</details>` : '';
      return htmlTable({ columns: b.table.columns, rows: b.table.rows.slice(0, b.shown) }) + folded;
    }
    case 'verdicts':
      return `<div class="summary ${b.overall}">${b.lines.map((l) => `<div class="v-${l.verdict}">${escapeHtml(l.sentence)}</div>`).join('')}</div>`;
    case 'scatter-charts': return `<div class="charts">${b.charts.map(scatterChart).join('')}</div><p class="sub">${escapeHtml(b.note)}</p>`;
    case 'histogram-charts': return `<h3>${escapeHtml(b.title)}</h3><div class="charts">${b.charts.map(histogramChart).join('')}</div>`;
    case 'bar-chart': return `<div class="charts">${barChart(b.chart)}</div>`;
  }
}

const sectionHtml = (s: Section): string => `<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>\n${s.blocks.map(blockHtml).join('\n')}\n</section>`;

export function renderHtml(results: Results, options: RenderOptions = {}): string {
  const { baseline } = options;
  const model = basename(results.model.source);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`int8cal report: ${model}`)}</title>
<style>${CSS}</style></head>
<body><main>
<header><h1>${escapeHtml(`int8cal report: ${model}`)}</h1>
<p class="sub">${escapeHtml(`${results.variants.length} variants on ${results.evaluation.images.length} images · ${results.createdAt} · run ${results.run}`)}</p>
${choiceNote(results) ? `<p class="sub">${escapeHtml(choiceNote(results)!)}</p>` : ''}
${baseline ? `<p class="sub">${escapeHtml(`Compared with baseline run ${baseline.run} (${baseline.createdAt}): small coloured figures under each value are the change since then.`)}</p>` : ''}
${baseline ? (options.baselineNotes ?? []).map((n) => `<p class="sub baseline-note">${escapeHtml(n)}</p>`).join('') : ''}
</header>
${reportSections(results, options).map(sectionHtml).join('\n')}
<footer>${escapeHtml(`Generated by int8cal ${results.environment.int8cal} from results.json (schema ${results.schema} v${results.version}).`)}</footer>
</main></body></html>
`;
}
