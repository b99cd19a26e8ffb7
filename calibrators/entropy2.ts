import type { Histogram } from '../src/core/native.js';
import type { AmaxRule } from './amax-rule.js';
import { searchAmax } from './linear-search.js';

/** TensorRT's IInt8EntropyCalibrator2: minimal KL divergence (NVIDIA's public reference). */
export class Entropy2 implements AmaxRule {
  readonly name = 'entropy2';
  readonly algorithm = 'EntropyCalibration2';
  computeAmax(histogram: Histogram): Promise<number> {
    return searchAmax(histogram, 'entropy');
  }
}
