import { fromDecibels } from '../decibels.js';
import type { Section } from '../blocks.js';
import type { Results } from '../results-schema.js';
import type { ScatterOptions, ScatterPoint } from '../svg.js';
import { worstPd, worstPsnr } from '../view.js';
import type { RenderOptions } from './options.js';

type Variant = Results['variants'][number];

const pointsFor = (r: Results, ghost: boolean, y: (v: Variant) => number | undefined, gpu: boolean): ScatterPoint[] =>
  r.variants.filter((v) => (v.device === 'gpu') === gpu).flatMap((v) => {
    const value = y(v);
    return value === undefined ? [] : [{ label: ghost ? `${v.name} (baseline)` : v.name, x: v.latency.p50, y: value, ghost }];
  });

const psnrOf = (r: Results) => (v: Variant): number | undefined => {
  if (v.name === r.reference) return Infinity;
  const w = worstPsnr(v);
  return w === undefined ? undefined : fromDecibels(w);
};
const pdOf = (r: Results) => (v: Variant): number | undefined => (v.name === r.reference ? 0 : worstPd(v));

/**
 * Latency × accuracy of every variant (and the baseline's, greyed). GPU variants (TensorRT) get
 * their own charts: their milliseconds and the CPU's share no axis.
 */
export function tradeoffSection(results: Results, { baseline }: RenderOptions): Section {
  const charts: ScatterOptions[] = [];
  for (const gpu of [false, true]) {
    if (gpu && !results.variants.some((v) => v.device === 'gpu')) continue;
    const both = (y: (r: Results) => (v: Variant) => number | undefined) =>
      [...(baseline ? pointsFor(baseline, true, y(baseline), gpu) : []), ...pointsFor(results, false, y(results), gpu)];
    const where = gpu ? ' — GPU (TensorRT)' : '';
    const xLabel = gpu ? 'GPU latency p50 (ms)' : 'latency p50 (ms)';
    charts.push({ title: `Latency vs PSNR (worst output)${where}`, xLabel, yLabel: 'PSNR (dB)', better: 'up', points: both(psnrOf) });
    if (results.variants.some((v) => worstPd(v) !== undefined)) {
      charts.push({
        title: `Latency vs perceptual distance${where}`, xLabel, yLabel: `PD (${results.evaluation.pd?.network ?? 'feature network'})`,
        better: 'down', points: both(pdOf),
      });
    }
  }
  const note = 'One point per variant; the orange dashed line joins the Pareto-optimal ones (faster and more accurate than any other). The reference sits at PSNR ∞ / PD 0.';
  return { id: 'tradeoff', title: 'Speed vs accuracy', blocks: [{ kind: 'scatter-charts', charts, note }] };
}
