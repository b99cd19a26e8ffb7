/**
 * Probability-map IoU for segmentation / text-probability outputs: both maps binarised at a
 * threshold (value ≥ threshold is foreground), IoU = |A ∩ B| / |A ∪ B|. Pooled over images
 * (Σ intersections / Σ unions) and per image; two empty maps agree perfectly (IoU 1).
 */
import { InternalError } from '../../core/errors.js';
import { summarize } from '../stats.js';
import type { NumericData } from '../data.js';
import { checked } from '../../../reports/verdict.js';
import type { ProbabilityMapResult } from '../../../reports/metric-results.js';
import type { OutputMetric } from '../output-metric.js';
export type { ProbabilityMapResult };

/** Default binarisation threshold. */
export const MAP_THRESHOLD = 0.5;

export function binaryCounts(ref: NumericData, test: NumericData, threshold: number): { intersection: number; union: number } {
  if (ref.length !== test.length) throw new InternalError(`comparing maps of ${ref.length} and ${test.length} values`);
  let intersection = 0;
  let union = 0;
  for (let i = 0; i < ref.length; i++) {
    const a = ref[i]! >= threshold;
    const b = test[i]! >= threshold;
    if (a && b) intersection++;
    if (a || b) union++;
  }
  return { intersection, union };
}

export function mapIou(ref: NumericData, test: NumericData, threshold: number): number {
  const c = binaryCounts(ref, test, threshold);
  return c.union === 0 ? 1 : c.intersection / c.union;
}

export interface ProbabilityMapOptions {
  /** Binarisation threshold (default MAP_THRESHOLD; DBNet-style text detectors often use 0.3). */
  threshold?: number;
  /** Pass when pooled IoU ≥ this. */
  minIou?: number;
}

export class ProbabilityMapAccumulator {
  #intersection = 0;
  #union = 0;
  readonly #perImage: number[] = [];

  constructor(readonly options: ProbabilityMapOptions = {}) {}

  add(ref: NumericData, test: NumericData): void {
    const c = binaryCounts(ref, test, this.options.threshold ?? MAP_THRESHOLD);
    this.#intersection += c.intersection;
    this.#union += c.union;
    this.#perImage.push(c.union === 0 ? 1 : c.intersection / c.union);
  }

  result(): ProbabilityMapResult {
    if (this.#perImage.length === 0) throw new InternalError('probability-map IoU of no images');
    const value = this.#union === 0 ? 1 : this.#intersection / this.#union;
    return {
      metric: 'probability-map-iou',
      value,
      binarizeAt: this.options.threshold ?? MAP_THRESHOLD,
      perImageSummary: summarize(this.#perImage),
      perImage: [...this.#perImage],
      ...checked(value, this.options.minIou, 'min'),
    };
  }
}

export const probabilityMap = (options: ProbabilityMapOptions = {}): ProbabilityMapAccumulator => new ProbabilityMapAccumulator(options);

/** Probability-map IoU of every float output of a `--task map` model, image by image. */
export const probabilityMapMetric: OutputMetric = {
  field: 'probabilityMap',
  applies: (o, ctx) => ctx.task === 'map' && !o.integer,
  create: (_o, ctx) => {
    const acc = probabilityMap({ threshold: ctx.mapThreshold });
    return {
      add: ({ reference, test, images }) => {
        const per = reference.data.length / images;
        const [r, t] = [reference.data as Float32Array, test.data as Float32Array];
        for (let n = 0; n < images; n++) acc.add(r.subarray(n * per, (n + 1) * per), t.subarray(n * per, (n + 1) * per));
      },
      result: () => acc.result(),
    };
  },
  gates: { 'map-iou': (r: ProbabilityMapResult) => r.value },
};
