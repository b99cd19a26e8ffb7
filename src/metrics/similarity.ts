/**
 * Cosine similarity (per image, then mean / min / 5th percentile over images), max |Δ| and
 * mean |Δ| between reference and test outputs. Streaming: `add(ref, test)` per image.
 * Element pairs where either side is NaN/±Inf (and they are not identical) are left out of
 * every number and counted in `nonFinite`, so no result is NaN. A non-zero count is a
 * failure, not a footnote: the cosine threshold fails, and so does every check of the output
 * in the variant's verdict (gates.ts); the reports mark the numbers as over the finite pairs.
 */
import { InternalError } from '../core/errors.js';
import { summarize } from './stats.js';
import { nonFiniteMismatch, splitImages, type NumericData } from './data.js';
import { checked } from '../../reports/verdict.js';
import type { SimilarityResult } from '../../reports/metric-results.js';
import type { OutputMetric } from './output-metric.js';
export type { SimilarityResult };

/** Cosine of two vectors; 1 when both are all zero (identical), 0 when only one is. */
export function cosineSimilarity(a: NumericData, b: NumericData): number {
  return pairStats(a, b).cosine;
}

interface PairStats {
  cosine: number;
  maxAbs: number;
  sumAbs: number;
  count: number;
  nonFinite: number;
}

function pairStats(ref: NumericData, test: NumericData): PairStats {
  if (ref.length !== test.length) throw new InternalError(`comparing ${ref.length} reference values with ${test.length} test values`);
  let dot = 0;
  let rr = 0;
  let tt = 0;
  let maxAbs = 0;
  let sumAbs = 0;
  let count = 0;
  let nonFinite = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i]!;
    const t = test[i]!;
    if (!Number.isFinite(r) || !Number.isFinite(t)) {
      if (nonFiniteMismatch(r, t)) nonFinite++;
      continue;
    }
    dot += r * t;
    rr += r * r;
    tt += t * t;
    const d = Math.abs(t - r);
    if (d > maxAbs) maxAbs = d;
    sumAbs += d;
    count++;
  }
  let cosine: number;
  if (rr === 0 && tt === 0) cosine = 1;
  else if (rr === 0 || tt === 0) cosine = 0;
  else cosine = Math.max(-1, Math.min(1, dot / Math.sqrt(rr * tt)));
  return { cosine, maxAbs, sumAbs, count, nonFinite };
}

export interface SimilarityOptions {
  /** Pass when the mean cosine ≥ this. */
  minCosine?: number;
}

export class SimilarityAccumulator {
  readonly #cosines: number[] = [];
  #maxAbs = 0;
  #sumAbs = 0;
  #count = 0;
  #nonFinite = 0;

  constructor(readonly options: SimilarityOptions = {}) {}

  /** A batch of `images` images laid out one after another (an output's dims[0]): one `add` each. */
  addBatch(ref: NumericData, test: NumericData, images: number): void {
    for (const [r, t] of splitImages(ref, test, images)) this.add(r, t);
  }

  add(ref: NumericData, test: NumericData): void {
    const s = pairStats(ref, test);
    this.#cosines.push(s.cosine);
    this.#maxAbs = Math.max(this.#maxAbs, s.maxAbs);
    this.#sumAbs += s.sumAbs;
    this.#count += s.count;
    this.#nonFinite += s.nonFinite;
  }

  result(): SimilarityResult {
    if (this.#cosines.length === 0) throw new InternalError('similarity of no images');
    const cosine = summarize(this.#cosines);
    const check = checked(cosine.mean, this.options.minCosine, 'min');
    if (check.verdict && this.#nonFinite > 0) check.verdict = 'fail';
    return {
      metric: 'similarity',
      cosine,
      maxAbs: this.#maxAbs,
      meanAbs: this.#count === 0 ? 0 : this.#sumAbs / this.#count,
      nonFinite: this.#nonFinite,
      perImage: [...this.#cosines],
      ...check,
    };
  }
}

export const similarity = (options: SimilarityOptions = {}): SimilarityAccumulator => new SimilarityAccumulator(options);

/** Cosine and |Δ| of every float output. */
export const similarityMetric: OutputMetric = {
  field: 'similarity',
  applies: (o) => !o.integer,
  create: () => {
    const acc = similarity();
    return { add: (b) => acc.addBatch(b.reference.data as NumericData, b.test.data as NumericData, b.images), result: () => acc.result() };
  },
  gates: {
    cosine: (r: SimilarityResult) => r.cosine.mean,
    'cosine-p5': (r: SimilarityResult) => r.cosine.p5,
    maxabs: (r: SimilarityResult) => r.maxAbs,
    meanabs: (r: SimilarityResult) => r.meanAbs,
  },
};
