import type { AmaxRule, CalibrationAlgorithm } from '../../calibrators/amax-rule.js';
import { writeFileAtomic } from '../core/atomic.js';
import { Int8calError } from '../core/errors.js';
import type { Feeds } from '../core/tensor.js';
import { readCacheFile } from './calibrate-from-cache.js';

/** Where calibration batches come from (the image reader, or a user's own loader). */
export interface BatchSource {
  /** Next batch keyed by input name, or null when the data is exhausted. */
  next(): Promise<Feeds | null>;
  /** Starts again from the first batch (one pass per tensor group). */
  rewind(): void;
}

/**
 * Mirrors TensorRT's IInt8Calibrator, so TensorRT users recognise it: the builder asks for
 * batches with `getBatch` and offers/asks for the cache. int8cal's collection pulls its
 * batches through it, `--cache` reads through it, and TensorRT's builder bridge calls it.
 */
export interface Calibrator {
  /** The algorithm TensorRT knows the calibrator's amax rule as. */
  readonly algorithm: CalibrationAlgorithm;
  readonly batchSize: number;
  /** How a histogram becomes a range. */
  readonly rule: AmaxRule;
  /** Next batch for the named inputs, or null when calibration data is exhausted. */
  getBatch(names: readonly string[]): Promise<Feeds | null>;
  /** Starts the batches over (int8cal's multi-pass collection; TensorRT never asks). */
  rewind(): void;
  /** A previously written cache to reuse instead of calibrating, or null. */
  readCalibrationCache(): Promise<Uint8Array | null>;
  writeCalibrationCache(cache: Uint8Array): Promise<void>;
}

export interface CalibratorOptions {
  batchSize: number;
  rule: AmaxRule;
  /** Omitted: the calibrator has no batches (recalibration from saved histograms). */
  source?: BatchSource;
  /** A TensorRT cache to read instead of calibrating / to write after calibrating. */
  cachePath?: string;
}

/** Batches from a BatchSource, the cache as a file. */
export class BatchCalibrator implements Calibrator {
  constructor(private readonly options: CalibratorOptions) {}

  get algorithm(): CalibrationAlgorithm {
    return this.options.rule.algorithm;
  }
  get batchSize(): number {
    return this.options.batchSize;
  }
  get rule(): AmaxRule {
    return this.options.rule;
  }

  async getBatch(names: readonly string[]): Promise<Feeds | null> {
    const feeds = (await this.options.source?.next()) ?? null;
    const missing = feeds ? names.filter((n) => !(n in feeds)) : [];
    if (missing.length > 0) {
      throw new Int8calError('CALIBRATION_INPUT', `The batch source does not provide input(s) ${missing.join(', ')}`, {
        tensor: missing[0], hint: 'every model input needs data; choose the image input with --input NAME',
      });
    }
    return feeds;
  }

  rewind(): void {
    this.options.source?.rewind();
  }

  async readCalibrationCache(): Promise<Uint8Array | null> {
    return this.options.cachePath ? readCacheFile(this.options.cachePath) : null;
  }

  async writeCalibrationCache(cache: Uint8Array): Promise<void> {
    if (this.options.cachePath) await writeFileAtomic(this.options.cachePath, cache);
  }
}
