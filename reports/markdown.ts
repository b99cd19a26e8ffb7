/**
 * results → report.md: the same tables as report.html (from view.ts) without charts or
 * thumbnails. Cells are escaped with `escapeMarkdown` (| and backticks, Markdown punctuation,
 * and < > & as entities so no HTML gets through).
 */
import { basename } from 'node:path';
import { escapeMarkdown } from './escape.js';
import type { RenderOptions } from './html.js';
import type { Results } from './results-schema.js';
import {
  calibrationTable, checksTable, checkText, detectionTable, environmentTable, latencyTable, outputTable, verdictTable, worstImagesTable,
  worstPsnrText, type Cell, type Table,
} from './view.js';

const ARROW = { better: '▲', worse: '▼', same: '' } as const;

function cellMarkdown(c: Cell): string {
  let text = escapeMarkdown(c.images ? '(thumbnails in report.html)' : c.text);
  if (c.verdict === 'pass' || c.verdict === 'fail') text = `**${text}**`;
  if (c.delta) text += ` (${ARROW[c.delta.trend]}${escapeMarkdown(c.delta.text)})`;
  return text;
}

export function markdownTable(t: Table): string {
  if (!t.rows.length) return '';
  const header = `| ${t.columns.map((c) => escapeMarkdown(c) || ' ').join(' | ')} |`;
  const align = `|${t.columns.map((_, i) => (t.rows[0]?.[i]?.numeric ? '---:' : '---')).join('|')}|`;
  const rows = t.rows.map((r) => `| ${r.map(cellMarkdown).join(' | ')} |`);
  return [header, align, ...rows].join('\n');
}

export function renderMarkdown(results: Results, options: RenderOptions = {}): string {
  const { baseline } = options;
  const out: string[] = [];
  const para = (s: string): void => void out.push(escapeMarkdown(s), '');
  out.push(`# int8cal report: ${escapeMarkdown(basename(results.model.source))}`, '');
  para(`${results.variants.length} variants on ${results.evaluation.images.length} images · ${results.createdAt} · run ${results.run}`);
  if (baseline) para(`Compared with baseline run ${baseline.run} (${baseline.createdAt}); figures in parentheses are the change since then (▲ better, ▼ worse).`);

  out.push('## Verdict', '');
  for (const v of results.variants.filter((x) => x.name !== results.reference)) {
    const verdict = v.verdict.verdict === 'none' ? 'no threshold applies' : `**${v.verdict.verdict.toUpperCase()}**`;
    out.push(`- ${escapeMarkdown(v.name)}: ${verdict}, worst PSNR ${escapeMarkdown(worstPsnrText(v))}, ${v.verdict.speedup.toFixed(2)}× the reference's speed${v.latency.emulated ? ' (emulated)' : ''}`);
    for (const c of v.verdict.checks.filter((x) => x.verdict === 'fail')) out.push(`  - ${escapeMarkdown(checkText(c))}`);
  }
  out.push('', markdownTable(verdictTable(results, baseline)), '');
  const checks = checksTable(results);
  if (checks.rows.length) out.push('### Checks', '', markdownTable(checks), '');

  out.push('## Per-output metrics', '');
  for (const v of results.variants.filter((x) => x.outputs.length)) {
    out.push(`### ${escapeMarkdown(`${v.name} vs ${results.reference}`)} (${escapeMarkdown(v.modelFile)})`, '', markdownTable(outputTable(v, baseline)), '');
  }
  const detection = detectionTable(results, baseline);
  if (detection) out.push('### Detection', '', markdownTable(detection), '');
  const worst = worstImagesTable(results);
  if (worst.rows.length) out.push('## Worst images', '', markdownTable(worst), '');
  out.push('## Latency', '', markdownTable(latencyTable(results, baseline)), '');
  if (results.calibration) {
    const cal = results.calibration;
    const rows = options.calibrationRows ?? 25;
    out.push('## Calibration', '');
    para(`${cal.tensors.length} tensors, calibrator ${cal.calibrator}, ${cal.histogram} histograms; the ${Math.min(rows, cal.tensors.length)} with the most clipping (all in report.html).`);
    out.push(markdownTable(calibrationTable(cal, rows)), '');
  }
  out.push('## Environment', '', markdownTable(environmentTable(results)), '');
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}
