/** Numeric data as the metrics take it: typed arrays from engines, or plain arrays in tests. */
import { InternalError } from '../core/errors.js';

/** Numeric tensor data as engines return it (BigInt64 outputs are not compared). */
export type NumericData = ArrayLike<number>;

/** Elements [start, end): a view for typed arrays (no copy), a copy for plain arrays. */
export function sliceView(data: NumericData, start: number, end: number): NumericData {
  return ArrayBuffer.isView(data) ? (data as unknown as Float32Array).subarray(start, end) : Array.prototype.slice.call(data, start, end) as number[];
}

/** Splits a batch of `images` equal-sized images into per-image (reference, test) pairs. */
export function splitImages(ref: NumericData, test: NumericData, images: number): [NumericData, NumericData][] {
  if (!Number.isInteger(images) || images < 1 || ref.length % images !== 0 || test.length !== ref.length) {
    throw new InternalError(`cannot split ${ref.length} and ${test.length} values into ${images} images`);
  }
  const size = ref.length / images;
  return Array.from({ length: images }, (_, i) => [sliceView(ref, i * size, (i + 1) * size), sliceView(test, i * size, (i + 1) * size)]);
}

/**
 * A pair that is NaN or ±Inf on either side and not the same on both (NaN vs NaN and equal
 * infinities match): the elements every metric must count as broken rather than skip.
 */
export function nonFiniteMismatch(r: number, t: number): boolean {
  return !(Number.isFinite(r) && Number.isFinite(t)) && r !== t && !(Number.isNaN(r) && Number.isNaN(t));
}

/** How many element pairs are `nonFiniteMismatch`es. */
export function countNonFiniteMismatches(ref: NumericData, test: NumericData): number {
  if (ref.length !== test.length) throw new InternalError(`comparing ${ref.length} reference values with ${test.length} test values`);
  let n = 0;
  for (let i = 0; i < ref.length; i++) if (nonFiniteMismatch(ref[i]!, test[i]!)) n++;
  return n;
}
