/**
 * PSNR per output, pooled over the evaluation set:
 * 10·log10(peak² / MSE), MSE over every element of every image, peak = max |ref| over every
 * image. Per-image PSNR (same set-wide peak, the image's own MSE) only ranks the worst images.
 *
 * Infinity in JSON: PSNR is a `Decibels` value, a number or the string "inf" / "-inf".
 * JSON has no Infinity (JSON.stringify writes null, losing the meaning), so results keep
 * the string form everywhere — in memory too — and the type makes every consumer handle it;
 * `fromDecibels` gives a plain number for arithmetic and comparisons.
 * "inf": test equals reference (MSE 0). "-inf": the test output has NaN/Inf where the
 * reference has something else (or the peak is 0 while the test is not).
 */
import { InternalError } from '../core/errors.js';
import { nonFiniteMismatch, splitImages, type NumericData } from './data.js';
import { checked } from '../../reports/verdict.js';
import { fromDecibels, toDecibels, type Decibels } from '../../reports/decibels.js';
import type { PsnrResult } from '../../reports/metric-results.js';
import type { OutputMetric } from './output-metric.js';
export type { PsnrResult };

export { fromDecibels, toDecibels, type Decibels };

/** 10·log10(peak² / mse) with the limits spelled out: mse 0 → ∞; peak 0 with mse > 0 → −∞. */
export function psnrFromMse(mse: number, peak: number): number {
  if (mse === 0) return Infinity;
  if (!Number.isFinite(mse) || peak === 0) return -Infinity;
  return 10 * Math.log10((peak * peak) / mse);
}

export interface PsnrOptions {
  /** Pass when PSNR ≥ threshold (dB). No verdict without one. */
  threshold?: number;
}

/** Per-image numbers kept while streaming: the outputs themselves are not kept. */
interface ImageError {
  sumSquares: number;
  count: number;
  nonFinite: number;
}

/** Squared error of one image; pairs that are identical (same NaN, same ±Inf) count as 0. */
export function squaredError(ref: NumericData, test: NumericData): { sumSquares: number; nonFinite: number; absMax: number } {
  if (ref.length !== test.length) throw new InternalError(`comparing ${ref.length} reference values with ${test.length} test values`);
  let sumSquares = 0;
  let nonFinite = 0;
  let absMax = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i]!;
    const t = test[i]!;
    const a = Math.abs(r);
    if (a > absMax && a !== Infinity) absMax = a;
    const d = t - r;
    if (Number.isFinite(d)) sumSquares += d * d;
    else if (nonFiniteMismatch(r, t)) nonFinite++;
  }
  return { sumSquares, nonFinite, absMax };
}

/**
 * The PSNR of images pooled, from their per-image PSNRs against one peak (dB, ±Infinity): the
 * mean of their 10^(−dB/10), as PsnrAccumulator pools MSEs (equal element counts per image).
 */
export function pooledPsnr(perImage: readonly number[]): number {
  if (perImage.length === 0) return -Infinity;
  const mean = perImage.reduce((sum, db) => sum + 10 ** (-db / 10), 0) / perImage.length;
  return -10 * Math.log10(mean);
}

/** Streaming PSNR: `add(ref, test)` once per image (or batch), then `result()`. */
export class PsnrAccumulator {
  readonly #images: ImageError[] = [];
  #peak = 0;

  constructor(readonly options: PsnrOptions = {}) {}

  /** A batch of `images` images laid out one after another (an output's dims[0]): one `add` each. */
  addBatch(ref: NumericData, test: NumericData, images: number): void {
    for (const [r, t] of splitImages(ref, test, images)) this.add(r, t);
  }

  add(ref: NumericData, test: NumericData): void {
    const e = squaredError(ref, test);
    this.#peak = Math.max(this.#peak, e.absMax);
    this.#images.push({ sumSquares: e.sumSquares, count: ref.length, nonFinite: e.nonFinite });
  }

  get images(): number {
    return this.#images.length;
  }

  result(): PsnrResult {
    if (this.#images.length === 0) throw new InternalError('PSNR of no images');
    let sum = 0;
    let count = 0;
    let nonFinite = 0;
    for (const im of this.#images) {
      sum += im.sumSquares;
      count += im.count;
      nonFinite += im.nonFinite;
    }
    const mse = count === 0 ? 0 : sum / count;
    const dbOf = (m: number, bad: number): number => (bad > 0 ? -Infinity : psnrFromMse(m, this.#peak));
    const db = dbOf(mse, nonFinite);
    return {
      metric: 'psnr',
      value: toDecibels(db),
      mse,
      peak: this.#peak,
      nonFinite,
      perImage: this.#images.map((im) => toDecibels(dbOf(im.count === 0 ? 0 : im.sumSquares / im.count, im.nonFinite))),
      ...checked(db, this.options.threshold, 'min'),
    };
  }
}

/** Polygraphy-style factory: a fresh accumulator per output. */
export const psnr = (options: PsnrOptions = {}): PsnrAccumulator => new PsnrAccumulator(options);

/** PSNR of every float output (labels and indices have no magnitude to compare). */
export const psnrMetric: OutputMetric = {
  field: 'psnr',
  applies: (o) => !o.integer,
  create: () => {
    const acc = psnr();
    return { add: (b) => acc.addBatch(b.reference.data as NumericData, b.test.data as NumericData, b.images), result: () => acc.result() };
  },
  gates: { psnr: (r: PsnrResult) => r.value },
};

/** PSNR of a single pair (peak = max |ref| of that pair). */
export function psnrOf(ref: NumericData, test: NumericData): Decibels {
  const acc = new PsnrAccumulator();
  acc.add(ref, test);
  return acc.result().value;
}

/** Indices of the `count` worst images (lowest PSNR first; ties keep input order). */
export function worstImages(perImage: readonly Decibels[], count: number): number[] {
  return perImage
    .map((db, index) => ({ db: fromDecibels(db), index }))
    .sort((a, b) => a.db - b.db || a.index - b.index)
    .slice(0, count)
    .map((x) => x.index);
}
