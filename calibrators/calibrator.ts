import type { Feeds } from '../src/engines/engine.js';
import type { Histogram } from '../src/native.js';

/** The TensorRT algorithm names that go into a cache header. */
export type CalibrationAlgorithm = 'EntropyCalibration2' | 'MinMaxCalibration' | 'Percentile' | 'MSE';

/** Where a calibrator's batches come from (the image reader, or a user's own loader). */
export interface BatchSource {
  /** Next batch keyed by input name, or null when the data is exhausted. */
  next(): Promise<Feeds | null>;
  /** Starts again from the first batch (one pass per tensor group). */
  rewind(): void;
}

/**
 * Mirrors TensorRT's IInt8Calibrator, so TensorRT users recognise it: the builder asks for
 * batches with `getBatch` and offers/asks for the cache. int8cal adds `computeAmax`: how this
 * calibrator turns a tensor's histogram into a range (the math is native).
 */
export interface Calibrator {
  /** Registry name, e.g. "entropy2". */
  readonly name: string;
  /** The algorithm TensorRT knows this calibrator as. */
  readonly algorithm: CalibrationAlgorithm;
  readonly batchSize: number;
  /** Next batch for the named inputs, or null when calibration data is exhausted. */
  getBatch(names: readonly string[]): Promise<Feeds | null>;
  /** A previously written cache to reuse instead of calibrating, or null. */
  readCalibrationCache(): Promise<Uint8Array | null>;
  writeCalibrationCache(cache: Uint8Array): Promise<void>;
  /** The calibrated range of a tensor from its histogram. */
  computeAmax(histogram: Histogram): Promise<number>;
}

export interface CalibratorOptions {
  batchSize: number;
  source: BatchSource;
  /** Path of a TensorRT cache to read instead of calibrating / to write to. */
  cachePath?: string;
  /** Percentile for the percentile calibrator. */
  percentile: number;
}
