import type { HistogramStats } from '../core/native.js';
import type { TensorCalibration, TensorFlag } from '../run/schema.js';

export const INT8_MAX = 127;
/**
 * Clipping above this fraction is flagged: entropy on a distribution far from zero (Exp,
 * Sigmoid outputs) can pick a threshold below the data — NVIDIA's reference does too.
 */
export const HEAVY_CLIPPING = 0.1;
/** Smallest positive normal float32: the scale of a tensor that is always zero (never 0). */
export const SMALLEST_SCALE = 2 ** -126;

/** amax → the float32 scale TensorRT stores; non-positive amax gets SMALLEST_SCALE. */
export function scaleOf(amax: number): number {
  return amax > 0 && Number.isFinite(amax) ? Math.fround(amax / INT8_MAX) : SMALLEST_SCALE;
}

/**
 * One tensor's entry in calibration.json. `linear` is its histogram over [0, stats.range]
 * (any bin count), used for the fraction of values the chosen amax clips.
 */
export function tensorCalibration(calibrator: string, amax: number, stats: HistogramStats, linear: Float64Array): TensorCalibration {
  const flags: TensorFlag[] = [];
  if (!(amax > 0)) flags.push('all-zero');
  if (stats.nanCount + stats.infCount > 0) flags.push('nan-or-inf');
  const finite = stats.count - stats.nanCount - stats.infCount;
  const fractionClipped = finite > 0 ? Math.min(1, clippedCount(linear, stats.range, amax) / finite) : 0;
  if (fractionClipped > HEAVY_CLIPPING) flags.push('heavy-clipping');
  return {
    amax: amax > 0 ? amax : 0,
    scale: scaleOf(amax),
    calibrator,
    fractionClipped,
    count: stats.count,
    nanCount: stats.nanCount,
    infCount: stats.infCount,
    absMax: stats.absmax,
    min: stats.min,
    max: stats.max,
    flags,
  };
}

/** Values above amax, from the linear histogram (fractional for the bin amax falls in). */
function clippedCount(linear: Float64Array, range: number, amax: number): number {
  if (range <= 0 || amax >= range) return 0;
  const position = (amax / range) * linear.length;
  const first = Math.floor(position);
  let clipped = (first + 1 - position) * (linear[first] ?? 0);
  for (let i = first + 1; i < linear.length; i++) clipped += linear[i]!;
  return clipped;
}
