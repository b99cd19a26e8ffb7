import type { Histogram } from '../src/core/native.js';

/** The TensorRT algorithm names that go into a cache header. */
export type CalibrationAlgorithm = 'EntropyCalibration2' | 'MinMaxCalibration' | 'Percentile' | 'MSE';

/**
 * How a calibrator turns a tensor's histogram into its calibrated range (amax). One rule per
 * file; the math is native. Batches and caches are not a rule's business (src/pipeline/calibrator.ts).
 */
export interface AmaxRule {
  /** Registry name, e.g. "entropy2". */
  readonly name: string;
  /** The algorithm TensorRT knows this rule as. */
  readonly algorithm: CalibrationAlgorithm;
  computeAmax(histogram: Histogram): Promise<number>;
}

export interface AmaxRuleOptions {
  /** Percentile for the percentile rule. */
  percentile: number;
}
