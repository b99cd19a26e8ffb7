import { computeAmax, DEFAULT_LINEAR_BINS, type Histogram, type ThresholdMethod } from '../src/core/native.js';

/** A threshold searched natively on the 2048-bin linear histogram of |x| over [0, range]. */
export async function searchAmax(histogram: Histogram, method: ThresholdMethod, param?: number): Promise<number> {
  const { range } = histogram.stats();
  if (range === 0) return 0;
  const counts = histogram.linear(DEFAULT_LINEAR_BINS, range);
  return (await computeAmax(counts, range, method, param)).amax;
}
