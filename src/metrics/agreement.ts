/**
 * Integer outputs (ArgMax labels, TopK indices) are scored by exact agreement with the
 * reference: the fraction of elements that are equal — pixels of a label map, one class per
 * image for an index vector. PSNR of class ids would rank a wrong label 1 vs 2 above 0 vs 2.
 */
import { InternalError } from '../core/errors.js';
import type { AgreementResult } from '../../reports/metric-results.js';

import type { OutputMetric } from './output-metric.js';

export type { AgreementResult };

export type IntegerData = BigInt64Array | Int32Array | Int8Array | Uint8Array | Uint16Array;


export interface AgreementAccumulator {
  addBatch(reference: IntegerData, test: IntegerData, images: number): void;
  result(): AgreementResult;
}

/** True for the integer element types ONNX Runtime returns. */
export function isIntegerData(data: ArrayLike<unknown>): data is IntegerData {
  return data instanceof BigInt64Array || data instanceof Int32Array || data instanceof Int8Array || data instanceof Uint8Array || data instanceof Uint16Array;
}

export function agreement(rank: number): AgreementAccumulator {
  const perImage: number[] = [];
  let equal = 0;
  let total = 0;
  return {
    addBatch(reference, test, images) {
      if (reference.length !== test.length || images <= 0 || reference.length % images !== 0) {
        throw new InternalError(`agreement of ${reference.length} vs ${test.length} elements over ${images} images`);
      }
      const per = reference.length / images;
      for (let n = 0; n < images; n++) {
        let same = 0;
        for (let i = n * per; i < (n + 1) * per; i++) if (reference[i] === test[i]) same++;
        perImage.push(per === 0 ? 1 : same / per);
        equal += same;
        total += per;
      }
    },
    result() {
      if (perImage.length === 0) throw new InternalError('agreement of no images');
      return { metric: 'agreement', value: total === 0 ? 1 : equal / total, equal, total, unit: rank >= 3 ? 'pixels' : 'elements', perImage };
    },
  };
}

/** Exact agreement of every integer output (its only metric). */
export const agreementMetric: OutputMetric = {
  field: 'agreement',
  applies: (o) => o.integer,
  create: (o) => {
    const acc = agreement(o.dims.length);
    return { add: (b) => acc.addBatch(b.reference.data as IntegerData, b.test.data as IntegerData, b.images), result: () => acc.result() };
  },
  gates: { agreement: (r: AgreementResult) => r.value },
};
