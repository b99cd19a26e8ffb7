import type { Histogram } from '../src/core/native.js';
import type { AmaxRule } from './amax-rule.js';
import { searchAmax } from './linear-search.js';

/** The amax minimising the mean squared int8 quantization error over the histogram. */
export class Mse implements AmaxRule {
  readonly name = 'mse';
  readonly algorithm = 'MSE';
  computeAmax(histogram: Histogram): Promise<number> {
    return searchAmax(histogram, 'mse');
  }
}
