import { fromDecibels } from '../decibels.js';
import type { Block, Section } from '../blocks.js';
import type { Results, TuneReport } from '../results-schema.js';
import type { ScatterPoint } from '../svg.js';
import type { Table } from '../view.js';

type JsonNumber = number | 'inf' | '-inf';
type Placement = TuneReport['placements'][number];
const value = (v: JsonNumber | undefined): number | undefined => (v === undefined ? undefined : fromDecibels(v));
const shown = (metric: string, v: JsonNumber | undefined): string => {
  const x = value(v);
  if (x === undefined) return '–';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  return metric === 'psnr' ? `${x.toFixed(2)} dB` : x.toFixed(4);
};
const cell = (text: string, numeric = false) => (numeric ? { text, numeric } : { text });

/** The accuracy target every variant is judged by, and tune's search when it ran. */
export function tuneSection(results: Results): Section | undefined {
  const target = results.accuracyTarget;
  const tune = results.tune;
  if (!target && !tune) return undefined;
  const blocks: Block[] = [];
  if (target) {
    blocks.push({ kind: 'paragraph', text: `Accuracy target ${target.expression} (${target.source}).` });
    blocks.push({ kind: 'table', table: { columns: ['variant', 'meets the target', ...metricColumns(target.variants.map((v) => v.metrics))],
      rows: target.variants.map((v) => [cell(v.name), { text: v.meets ? 'yes' : 'no', verdict: v.meets ? 'pass' as const : 'fail' as const },
        ...metricColumns(target.variants.map((x) => x.metrics)).map((m) => cell(shown(m, v.metrics[m]), true))]) } });
  }
  for (const p of tune?.placements ?? []) blocks.push(...placementBlocks(results, tune!, p));
  return { id: 'tune', title: 'Accuracy target and mixed precision', blocks };
}

function metricColumns(all: Partial<Record<string, JsonNumber>>[]): string[] {
  return ['psnr', 'cosine', 'f1', 'top1', 'ap', 'miou', 'pd'].filter((m) => all.some((x) => x[m] !== undefined));
}

function placementBlocks(results: Results, tune: TuneReport, p: Placement): Block[] {
  const metric = tune.target.expression.split(/[<>=]/)[0]!.trim().toLowerCase();
  const chosen = p.steps[p.chosen]!;
  const verdict = p.reached
    ? `reached with ${chosen.floatNodes.length} of ${p.quantizedNodes} quantized nodes in float`
    : `not reached within ${p.evaluations} evaluations; the best point is marked${p.fp16 ? `, fp16 ${p.fp16.meetsTarget ? 'meets it' : 'does not meet it either'} (${shown(metric, p.fp16.metrics[metric])})` : ''}`;
  const blocks: Block[] = [
    { kind: 'heading', text: `${p.variant} (${p.placement} placement)`, note: `${verdict}; ${p.evaluations} real evaluations on ${tune.images} images (one node at a time over all nodes: ${p.quantizedNodes})` },
  ];
  const fp32 = results.variants.find((v) => v.name === results.reference);
  const timed = p.steps.every((s) => s.latencyRatio !== null) && fp32;
  const label = (i: number) => `${i === p.chosen ? '★ chosen: ' : ''}${p.steps[i]!.floatNodes.length} float`;
  const points: ScatterPoint[] = p.steps.flatMap((s, i) => {
    const y = value(s.metrics[metric]);
    if (y === undefined) return [];
    return [{ label: label(i), x: timed ? s.latencyRatio! * fp32!.latency.p50 : s.floatNodes.length, y }];
  });
  if (timed) {
    for (const v of results.variants) {
      const y = value(target(results, v.name)?.[metric]);
      if (y !== undefined) points.push({ label: v.name, x: v.latency.p50, y });
    }
  }
  blocks.push({ kind: 'scatter-charts', charts: [{
    title: timed ? `Latency vs ${metric}: variants and tune steps` : `Nodes in float vs ${metric}: tune steps`,
    xLabel: timed ? 'latency p50 (ms)' : `nodes kept in float (latency ${chosen.latencyNote ?? 'n/a'})`, yLabel: metric, better: 'up', points,
  }], note: timed ? 'Every tune step is a real Q/DQ model timed against fp32; ★ marks the one written.' : 'Latency of this placement needs a TensorRT engine; ★ marks the step written.' });
  const top = p.sensitivity.slice(0, 20);
  const referred = top.some((n) => n.outputGain !== undefined);
  blocks.push({ kind: 'bar-chart', chart: referred
    ? { title: `Most sensitive nodes (output-referred: ${metric} gained with only this node in float, check images, else the first tune images)`, xLabel: `${metric} gained`,
      bars: top.map((n) => ({ label: `${n.node} (${n.opType})`, value: n.outputGain ?? 0 })) }
    : { title: 'Most sensitive nodes (own SQNR loss, one-pass estimate)', xLabel: 'dB of SQNR lost across the node',
      bars: top.map((n) => ({ label: `${n.node} (${n.opType})`, value: n.ownLossDb })) } });
  blocks.push({ kind: 'table', table: sensitivityTable(top, metric, /^[^,]*<=/.test(tune.target.expression)) });
  blocks.push({ kind: 'table', table: stepsTable(p, metric) });
  return blocks;
}

function target(results: Results, variant: string) {
  return results.accuracyTarget?.variants.find((v) => v.name === variant)?.metrics;
}

/** `lowerIsBetter`: the target's first condition is `<=` (int8Alone is stored signed, larger better). */
function sensitivityTable(top: Placement['sensitivity'], metric: string, lowerIsBetter: boolean): Table {
  const alone = top.some((n) => n.int8Alone !== undefined);
  const aloneCell = (v: number | undefined) => {
    if (v === undefined) return cell('–', true);
    const x = lowerIsBetter ? -v : v;
    return cell(Math.abs(x) >= 1e6 ? (x > 0 ? '∞' : '−∞') : x.toFixed(3), true);
  };
  return {
    columns: ['node', 'op', 'own SQNR loss (dB)', 'accumulated SQNR (dB)', 'only this node quantized: SQNR (dB)', `${metric} gain, only this node float (estimate)`,
      ...(alone ? [`${metric}, only this node int8 (fallback)`] : []), `measured ${metric} gain kept float`],
    rows: top.map((n) => [cell(n.node), cell(n.opType), cell(n.ownLossDb.toFixed(2), true), cell(n.accumulatedSqnrDb.toFixed(2), true),
      cell(n.localSqnrDb.toFixed(2), true), cell(n.outputGain === undefined ? '–' : n.outputGain.toFixed(3), true), ...(alone ? [aloneCell(n.int8Alone)] : []),
      cell(n.measuredGain === undefined ? '–' : n.measuredGain.toFixed(3), true)]),
  };
}

function stepsTable(p: Placement, metric: string): Table {
  const checked = p.steps.some((s) => s.check);
  return {
    columns: ['step', 'phase', 'nodes in float', metric, 'meets target', ...(checked ? [`${metric} on the check images`] : []), 'latency ÷ fp32'],
    rows: p.steps.map((s, i) => [cell(`${i}${i === p.chosen ? ' ★' : ''}`), cell(s.phase), cell(String(s.floatNodes.length), true),
      cell(shown(metric, s.metrics[metric]), true), { text: s.meetsTarget ? 'yes' : 'no', verdict: s.meetsTarget ? 'pass' as const : 'fail' as const },
      ...(checked ? [cell(shown(metric, s.check?.metrics[metric]), true)] : []),
      cell(s.latencyRatio === null ? s.latencyNote ?? 'n/a' : `${s.latencyRatio.toFixed(2)}×`, true)]),
  };
}
