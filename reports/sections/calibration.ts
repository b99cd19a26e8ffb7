import { percent } from '../format.js';
import type { Section } from '../blocks.js';
import type { Results } from '../results-schema.js';
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
      { kind: 'folded-table', table: calibrationTable(cal), shown, foldedLabel: 'more tensors' },
      ...(charts.length ? [{ kind: 'histogram-charts', title: 'Histograms of the most clipped tensors', charts } as const] : []),
    ],
  };
}
