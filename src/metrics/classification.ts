/**
 * Top-1 agreement with fp32: the fraction of images whose arg-max class is the same in the
 * test output as in the reference. Scores are [N, K] (or [N, K, 1, 1]): each of the N rows
 * holds K class scores; ties go to the lowest index (as numpy's argmax).
 */
import { InternalError } from '../core/errors.js';
import type { NumericData } from './data.js';
import { checked } from '../../reports/verdict.js';
import type { ClassificationResult, Top1AccuracyResult } from '../../reports/metric-results.js';
import type { OutputMetric } from './output-metric.js';
export type { ClassificationResult, Top1AccuracyResult };

export function argmax(data: NumericData, start = 0, end = data.length): number {
  let best = start;
  for (let i = start + 1; i < end; i++) if (data[i]! > data[best]! || Number.isNaN(data[best]!)) best = i;
  return best - start;
}

/** The arg-max class of each of the `rows` rows. */
export function top1(data: NumericData, rows = 1): number[] {
  if (rows < 1 || data.length % rows !== 0) throw new InternalError(`${data.length} scores do not split into ${rows} rows`);
  const k = data.length / rows;
  return Array.from({ length: rows }, (_, r) => argmax(data, r * k, (r + 1) * k));
}

export interface ClassificationOptions {
  /** Pass when agreement ≥ this fraction (0..1). */
  minAgreement?: number;
}

export class ClassificationAccumulator {
  readonly #pairs: { reference: number; test: number }[] = [];

  constructor(readonly options: ClassificationOptions = {}) {}

  /** `rows`: images in this batch (dims[0] of the output). */
  add(ref: NumericData, test: NumericData, rows = 1): void {
    if (ref.length !== test.length) throw new InternalError(`comparing ${ref.length} reference scores with ${test.length} test scores`);
    const r = top1(ref, rows);
    const t = top1(test, rows);
    r.forEach((reference, i) => this.#pairs.push({ reference, test: t[i]! }));
  }

  result(): ClassificationResult {
    const total = this.#pairs.length;
    if (total === 0) throw new InternalError('top-1 agreement of no images');
    const agreed = this.#pairs.filter((p) => p.reference === p.test).length;
    const value = agreed / total;
    return { metric: 'top1-agreement', value, agreed, total, perImage: [...this.#pairs], ...checked(value, this.options.minAgreement, 'min') };
  }
}

export const classification = (options: ClassificationOptions = {}): ClassificationAccumulator => new ClassificationAccumulator(options);

/** Top-1 accuracy against true labels (a folder-per-class evaluation set), not against fp32. */
export function top1Accuracy(predicted: readonly number[], labels: readonly number[]): Top1AccuracyResult {
  if (predicted.length !== labels.length || labels.length === 0) throw new InternalError(`${predicted.length} predictions for ${labels.length} labels`);
  const correct = predicted.filter((p, i) => p === labels[i]).length;
  return { metric: 'top1-accuracy', value: correct / labels.length, correct, total: labels.length };
}

/** Top-1 agreement of a classifier's [N, K] scores. */
export const classificationMetric: OutputMetric = {
  field: 'classification',
  applies: (o, ctx) => ctx.task === 'classification' && !o.integer && o.dims.length === 2,
  create: () => {
    const acc = classification();
    return { add: (b) => acc.add(b.reference.data as NumericData, b.test.data as NumericData, b.images), result: () => acc.result() };
  },
  gates: { top1: (r: ClassificationResult) => r.value },
};
