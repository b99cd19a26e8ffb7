import type { Histogram } from '../src/core/native.js';
import type { AmaxRule } from './amax-rule.js';

/** TensorRT's IInt8MinMaxCalibrator: the exact max |x| seen (tracked exactly, not binned). */
export class MinMax implements AmaxRule {
  readonly name = 'minmax';
  readonly algorithm = 'MinMaxCalibration';
  async computeAmax(histogram: Histogram): Promise<number> {
    return histogram.stats().absmax;
  }
}
