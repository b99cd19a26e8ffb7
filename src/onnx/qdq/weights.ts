/**
 * Offline weight quantization: symmetric int8, zero point 0, values in [−levels, levels]
 * (127 by default; round half to even), one scale per output channel (or per tensor).
 */
import type { TensorProto } from '../proto.js';
import { floatValues } from '../upgrade/tensors.js';

export interface QuantizedWeight {
  values: Int8Array;
  /** One float32 scale per channel along `axis`, or a single one when per tensor. */
  scales: Float32Array;
  axis: number | undefined;
}

/** Round half to even, as QuantizeLinear does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : r;
}

/** `round(x / scale)` clamped to [lo, hi], in float32 like ONNX Runtime computes it. */
export function quantizeValue(x: number, scale: number, zeroPoint: number, lo: number, hi: number): number {
  const q = roundHalfEven(Math.fround(x / scale)) + zeroPoint;
  return Math.min(hi, Math.max(lo, q));
}

/** A positive float32 scale for a range; an all-zero range gets scale 1 (any scale is exact). */
export function scaleFor(amax: number, levels: number): number {
  const scale = Math.fround(amax / levels);
  return scale > 0 && Number.isFinite(scale) ? scale : 1;
}

export function quantizeWeight(tensor: TensorProto, axis: number | undefined, levels = 127): QuantizedWeight {
  const data = floatValues(tensor);
  const dims = (tensor.dims ?? []).map(Number);
  const channels = axis === undefined ? 1 : dims[axis]!;
  const inner = axis === undefined ? data.length : dims.slice(axis + 1).reduce((p, d) => p * d, 1);
  const channelOf = (i: number) => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  const amax = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) {
    const c = channelOf(i);
    const v = Math.abs(data[i]!);
    if (v > amax[c]!) amax[c] = v;
  }
  const scales = Float32Array.from(amax, (a) => scaleFor(a, levels));
  const values = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) values[i] = quantizeValue(data[i]!, scales[channelOf(i)]!, 0, -levels, levels);
  return { values, scales, axis };
}
