/** Numeric data as the metrics take it: typed arrays from engines, or plain arrays in tests. */
import { InternalError } from '../errors.js';

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
