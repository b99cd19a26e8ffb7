import { percent } from '../format.js';
import type { Block, Section } from '../blocks.js';
import type { CalibrationSummary, Results } from '../results-schema.js';
import { calibrationTable } from '../view.js';
import type { RenderOptions } from './options.js';

/** Per-tensor calibration, most clipping first, and histograms of the most clipped tensors. */
export function calibrationSection(results: Results, options: RenderOptions): Section | undefined {
  const cal = results.calibration;
  if (!cal) return undefined;
  const shown = options.calibrationRows ?? 25;
  const charts = cal.histograms.map((h) => ({
    title: `${h.tensor} — ${percent(h.fractionClipped)} clipped`, counts: h.counts, range: h.range, threshold: h.threshold,
  }));
  return {
    id: 'calibration', title: 'Calibration', blocks: [
      { kind: 'paragraph', text: `${cal.tensors.length} tensors, calibrator ${cal.calibrator}, ${cal.histogram} histograms; most clipping first.` },
      ...autoBlocks(cal),
      { kind: 'folded-table', table: calibrationTable(cal), shown, foldedLabel: 'more tensors' },
      ...(charts.length ? [{ kind: 'histogram-charts', title: 'Histograms of the most clipped tensors', charts } as const] : []),
    ],
  };
}

/** How firm the check's choice is: the runner-up, and on how many choosing images the kept one led it. */
function runnerUpText(r: NonNullable<NonNullable<CalibrationSummary['auto']>['confirmed']>['runnerUp']): string {
  if (!r || r.images === 0) return '';
  const firm = r.psnrWins === r.images ? '' : ' — not on every image: with this few images the ranking can change on other photos';
  return ` Runner-up ${r.calibrator}; the kept one had the higher PSNR on ${r.psnrWins} of ${r.images} images${firm}.`;
}

/** What `--calibrator auto` chose per tensor, and run's check of it per model. */
function autoBlocks(cal: CalibrationSummary): Block[] {
  if (!cal.auto) return [];
  const c = cal.auto.confirmed;
  const blocks: Block[] = [
    { kind: 'paragraph', text: `auto: ${cal.auto.criterion}.` },
    { kind: 'table', table: { columns: ['candidate', 'tensors it won'], rows: Object.entries(cal.auto.chosen).map(([k, n]) => [{ text: k }, { text: String(n), numeric: true }]) } },
  ];
  if (c) {
    const shown = (v: number | 'inf' | '-inf' | undefined) => (v === undefined ? '–' : typeof v === 'number' ? v.toFixed(c.metric === 'psnr' ? 2 : 4) : v === 'inf' ? '∞' : '−∞');
    const crossFit = c.crossFit?.tied.length === 1 ? ' No other candidate came within 2 standard errors of it on those images (paired per-image PSNR), so the calibration images did not decide.'
      : c.crossFit ? ` Those images could not tell ${c.crossFit.tied.join(', ')} apart (paired per-image PSNR within 2 standard errors): among them, the best over them and the ${c.crossFit.samples.length} calibration images (each half scored with scales from the other half) was kept.`
      : '';
    blocks.push({ kind: 'paragraph', text: `Checked on ${c.images} evaluation images (TensorRT placement, ${c.metric}), held out of the judgement below: kept ${c.kept}.${crossFit}${runnerUpText(c.runnerUp)}` });
    blocks.push({ kind: 'table', table: { columns: ['calibrator', c.metric, ...(c.scores.some((s) => s.psnr !== undefined) ? ['psnr'] : [])],
      rows: c.scores.map((s) => [{ text: `${s.calibrator}${s.calibrator === c.kept ? ' (kept)' : ''}` }, { text: shown(s.value), numeric: true },
        ...(s.psnr !== undefined ? [{ text: shown(s.psnr), numeric: true }] : [])]) } });
  }
  return blocks;
}
