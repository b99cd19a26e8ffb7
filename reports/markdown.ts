/**
 * results → report.md: the same sections as report.html (sections/index.ts) without charts or
 * thumbnails. Cells are escaped with `escapeMarkdown` (| and backticks, Markdown punctuation,
 * and < > & as entities so no HTML gets through).
 */
import { basename } from 'node:path';
import { escapeMarkdown } from './escape.js';
import type { Block } from './blocks.js';
import type { Results } from './results-schema.js';
import { reportSections, type RenderOptions } from './sections/index.js';
import { choiceNote, type Cell, type Table } from './view.js';

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

function blockMarkdown(b: Block): string[] {
  switch (b.kind) {
    case 'paragraph': return [escapeMarkdown(b.text)];
    case 'heading': return [`### ${escapeMarkdown(b.text)}${b.note ? ` (${escapeMarkdown(b.note)})` : ''}`];
    case 'table': return [markdownTable(b.table)];
    case 'folded-table': {
      const rest = b.table.rows.length - b.shown;
      return [markdownTable({ columns: b.table.columns, rows: b.table.rows.slice(0, b.shown) }), ...(rest > 0 ? [escapeMarkdown(`${rest} ${b.foldedLabel} in report.html.`)] : [])];
    }
    case 'verdicts':
      return [b.lines.flatMap((l) => [
        `- ${escapeMarkdown(l.variant)}: ${l.label ?? (l.verdict === 'none' ? 'no threshold applies' : `**${l.verdict.toUpperCase()}**`)}, ${escapeMarkdown(l.facts)}`,
        ...l.failed.map((d) => `  - ${escapeMarkdown(d)}`),
      ]).join('\n')];
    case 'scatter-charts':
    case 'histogram-charts':
    case 'bar-chart':
      return [];
  }
}

export function renderMarkdown(results: Results, options: RenderOptions = {}): string {
  const { baseline } = options;
  const out: string[] = [`# int8cal report: ${escapeMarkdown(basename(results.model.source))}`, ''];
  const para = (s: string): void => void out.push(escapeMarkdown(s), '');
  para(`${results.variants.length} variants on ${results.evaluation.images.length} images · ${results.createdAt} · run ${results.run}`);
  const choice = choiceNote(results);
  if (choice) para(choice);
  if (baseline) para(`Compared with baseline run ${baseline.run} (${baseline.createdAt}); figures in parentheses are the change since then (▲ better, ▼ worse).`);
  if (baseline) for (const note of options.baselineNotes ?? []) para(note);
  for (const section of reportSections(results, options)) {
    const blocks = section.blocks.flatMap(blockMarkdown).filter(Boolean);
    if (blocks.length) out.push(`## ${escapeMarkdown(section.title)}`, '', ...blocks.flatMap((b) => [b, '']));
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}
