/**
 * Model outputs that are pictures: N×C×H×W with C = 1 or 3 (depth maps, masks, probability
 * maps, restored or generated images). Helpers shared by PD and the report thumbnails:
 * picking one image out of a batch, mapping its values to 0..255 pixels, bilinear resizing.
 */
import { InternalError } from '../core/errors.js';
import { sliceView, type NumericData } from './data.js';

/** Smallest height/width for an output to count as a picture (smaller maps are feature grids). */
export const MIN_IMAGE_SIDE = 8;

/** One C×H×W image, channels planar. */
export interface ImagePlanes {
  channels: 1 | 3;
  height: number;
  width: number;
  data: NumericData;
}

export function isImageLike(dims: readonly number[]): boolean {
  return dims.length === 4 && (dims[1] === 1 || dims[1] === 3) && dims[2]! >= MIN_IMAGE_SIDE && dims[3]! >= MIN_IMAGE_SIDE;
}

/** Image `n` of an N×C×H×W output (a view, no copy when `data` is a typed array). */
export function imageAt(data: NumericData, dims: readonly number[], n: number): ImagePlanes {
  if (!isImageLike(dims)) throw new InternalError(`output [${dims.join(', ')}] is not N×1|3×H×W`);
  const [batch, channels, height, width] = dims as [number, 1 | 3, number, number];
  if (!(n >= 0 && n < batch)) throw new InternalError(`image ${n} of a batch of ${batch}`);
  const size = channels * height * width;
  return { channels, height, width, data: sliceView(data, n * size, (n + 1) * size) };
}

/** Value range [lo, hi] that maps to pixels 0..255. */
export type ValueRange = readonly [number, number];

/** Standard ranges tried in order by `autoRange`. */
export const STANDARD_RANGES: readonly ValueRange[] = [[0, 1], [-1, 1], [0, 255]];

/**
 * The range an output's values are meant to span, judged from the reference image: the first
 * of [0, 1], [−1, 1], [0, 255] that holds all its finite values (1e-3 tolerance), else its
 * own [min, max] (a constant image gets [v − 0.5, v + 0.5]). The same range is then used for
 * the test image, so the mapping never hides a difference.
 */
export function autoRange(reference: NumericData): ValueRange {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < reference.length; i++) {
    const v = reference[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return [0, 1];
  for (const [a, b] of STANDARD_RANGES) {
    const tol = 1e-3 * (b - a);
    if (lo >= a - tol && hi <= b + tol) return [a, b];
  }
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

/** value → pixel: (v − lo) / (hi − lo) · 255, clipped to 0..255 (as a display would); NaN → 0. */
export function toPixel(v: number, range: ValueRange): number {
  const p = ((v - range[0]) / (range[1] - range[0])) * 255;
  return p >= 255 ? 255 : p > 0 ? p : 0;
}

/**
 * Bilinear resize of one plane with half-pixel centres (OpenCV INTER_LINEAR, PIL without
 * antialias, ONNX Resize `half_pixel`): source x = (x + 0.5)·inW/outW − 0.5, clamped.
 */
export function resizeBilinear(src: NumericData, inW: number, inH: number, outW: number, outH: number, out = new Float32Array(outW * outH)): Float32Array {
  const sx = inW / outW;
  const sy = inH / outH;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), inH - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, inH - 1);
    const wy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), inW - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, inW - 1);
      const wx = fx - x0;
      const top = src[y0 * inW + x0]! * (1 - wx) + src[y0 * inW + x1]! * wx;
      const bottom = src[y1 * inW + x0]! * (1 - wx) + src[y1 * inW + x1]! * wx;
      out[y * outW + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/**
 * An image as 3 planes of 0..255 pixels at outW×outH: values mapped through `range`,
 * one channel replicated to three, then resized bilinearly.
 */
export function toRgbPixels(image: ImagePlanes, range: ValueRange, outW: number, outH: number): Float32Array[] {
  const plane = image.height * image.width;
  const planes: Float32Array[] = [];
  for (let c = 0; c < image.channels; c++) {
    const px = new Float32Array(plane);
    for (let i = 0; i < plane; i++) px[i] = toPixel(image.data[c * plane + i]!, range);
    planes.push(image.width === outW && image.height === outH ? px : resizeBilinear(px, image.width, image.height, outW, outH));
  }
  return image.channels === 1 ? [planes[0]!, planes[0]!, planes[0]!] : planes;
}
