/** calibration.json (+ histograms) → the calibration part of results.json. Pure. */
import type { CalibrationResult } from '../../run/schema.js';
import type { CalibrationSummary, TensorHistogram } from '../../../reports/results-schema.js';

/** A linear histogram of |x| over [0, range], as derived from histograms.bin. */
export interface LinearHistogram {
  range: number;
  counts: ArrayLike<number>;
}

export interface CalibrationSummaryOptions {
  /** Histograms kept: the tensors with the largest clipped fraction. */
  histograms?: number;
  /** Bins kept per histogram (neighbours summed), so results.json stays small. */
  bins?: number;
}

export function summarizeCalibration(
  calibration: CalibrationResult,
  histogramOf?: (tensor: string) => LinearHistogram | undefined,
  options: CalibrationSummaryOptions = {},
): CalibrationSummary {
  const tensors = Object.entries(calibration.tensors).map(([name, t]) => ({
    name,
    amax: t.amax,
    scale: t.scale,
    calibrator: t.calibrator,
    fractionClipped: t.fractionClipped,
    absMax: t.absMax,
    nanCount: t.nanCount,
    infCount: t.infCount,
    flags: [...t.flags],
  }));
  const mostClipped = tensors
    .map((t, i) => ({ t, i }))
    .filter(({ t }) => t.fractionClipped > 0)
    .sort((a, b) => b.t.fractionClipped - a.t.fractionClipped || a.i - b.i)
    .map(({ t }) => t);
  const histograms: TensorHistogram[] = [];
  for (const t of mostClipped) {
    if (histograms.length >= (options.histograms ?? 4)) break;
    const h = histogramOf?.(t.name);
    if (!h || !(h.range > 0) || h.counts.length === 0) continue;
    histograms.push({ tensor: t.name, ...rebin(h, options.bins ?? 256), threshold: t.amax, fractionClipped: t.fractionClipped });
  }
  return { calibrator: calibration.calibrator, ...(calibration.auto ? { auto: calibration.auto } : {}), histogram: calibration.histogram, tensors, histograms };
}

/**
 * Sums groups of neighbouring bins so at most `bins` remain. All bins keep one width: when the
 * count does not divide evenly, the range grows to cover the last (partly empty) group.
 */
export function rebin(h: LinearHistogram, bins: number): { range: number; counts: number[] } {
  const n = h.counts.length;
  const group = Math.max(1, Math.ceil(n / bins));
  const counts: number[] = [];
  for (let i = 0; i < n; i += group) {
    let s = 0;
    for (let j = i; j < Math.min(i + group, n); j++) s += h.counts[j]!;
    counts.push(s);
  }
  return { range: (h.range / n) * group * counts.length, counts };
}
