/**
 * What a report section holds, as plain data: both renderers (html.ts, markdown.ts) walk the
 * same blocks, adding only markup and escaping. Charts are data too; Markdown shows none.
 */
import type { BarOptions, HistogramOptions, ScatterOptions } from './svg.js';
import type { Table } from './view.js';

export type Block =
  | { kind: 'paragraph'; text: string }
  | { kind: 'heading'; text: string; note?: string }
  | { kind: 'table'; table: Table }
  /** A table whose rows past `shown` are folded away in HTML (Markdown: only the first `shown`). */
  | { kind: 'folded-table'; table: Table; shown: number; foldedLabel: string }
  /** One line per variant: a sentence (HTML), or verdict + facts with the failed checks under it (Markdown). */
  | { kind: 'verdicts'; overall: VerdictWord; lines: { variant: string; sentence: string; verdict: VerdictWord; facts: string; failed: string[]; label?: string }[] }
  | { kind: 'scatter-charts'; charts: ScatterOptions[]; note: string }
  | { kind: 'histogram-charts'; title: string; charts: HistogramOptions[] }
  | { kind: 'bar-chart'; chart: BarOptions };

export type VerdictWord = 'pass' | 'fail' | 'none';

export interface Section {
  /** HTML anchor. */
  id: string;
  title: string;
  blocks: Block[];
}
