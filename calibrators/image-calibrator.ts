import { readFile } from 'node:fs/promises';
import { Int8calError } from '../src/errors.js';
import type { Feeds } from '../src/engines/engine.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { computeAmax, DEFAULT_LINEAR_BINS, type Histogram, type ThresholdMethod } from '../src/native.js';
import type { CalibrationAlgorithm, Calibrator, CalibratorOptions } from './calibrator.js';

/**
 * Shared behaviour of int8cal's calibrators: batches come from a BatchSource, the cache is a
 * file. Subclasses only say how a histogram becomes an amax.
 */
export abstract class HistogramCalibrator implements Calibrator {
  abstract readonly name: string;
  abstract readonly algorithm: CalibrationAlgorithm;

  constructor(protected readonly options: CalibratorOptions) {}

  get batchSize(): number {
    return this.options.batchSize;
  }

  async getBatch(names: readonly string[]): Promise<Feeds | null> {
    const feeds = await this.options.source.next();
    if (feeds && names.some((n) => !(n in feeds))) {
      const missing = names.filter((n) => !(n in feeds));
      throw new Int8calError('CALIBRATION_INPUT', `The batch source does not provide input(s) ${missing.join(', ')}`, {
        tensor: missing[0], hint: 'every model input needs data; choose the image input with --input NAME',
      });
    }
    return feeds;
  }

  async readCalibrationCache(): Promise<Uint8Array | null> {
    const path = this.options.cachePath;
    if (!path) return null;
    try {
      return await readFile(path);
    } catch (error) {
      throw new Int8calError('CACHE_READ', `Cannot read calibration cache ${path}: ${(error as Error).message}`, {
        file: path, hint: 'check the --cache path',
      }, { cause: error });
    }
  }

  async writeCalibrationCache(cache: Uint8Array): Promise<void> {
    if (this.options.cachePath) await writeFileAtomic(this.options.cachePath, cache);
  }

  abstract computeAmax(histogram: Histogram): Promise<number>;
}

/** Threshold searched natively on the 2048-bin linear histogram over [0, range]. */
abstract class SearchCalibrator extends HistogramCalibrator {
  protected abstract readonly method: ThresholdMethod;
  protected get param(): number | undefined {
    return undefined;
  }

  async computeAmax(histogram: Histogram): Promise<number> {
    const { range } = histogram.stats();
    if (range === 0) return 0;
    const counts = histogram.linear(DEFAULT_LINEAR_BINS, range);
    return (await computeAmax(counts, range, this.method, this.param)).amax;
  }
}

/** TensorRT's IInt8EntropyCalibrator2: minimal KL divergence (NVIDIA's public reference). */
export class EntropyCalibrator2 extends SearchCalibrator {
  readonly name = 'entropy2';
  readonly algorithm = 'EntropyCalibration2';
  protected readonly method = 'entropy';
}

/** TensorRT's IInt8MinMaxCalibrator: the exact max |x| seen. */
export class MinMaxCalibrator extends HistogramCalibrator {
  readonly name = 'minmax';
  readonly algorithm = 'MinMaxCalibration';
  async computeAmax(histogram: Histogram): Promise<number> {
    return histogram.stats().absmax;
  }
}

/** The p-th percentile of |x| (left edge of the first bin whose cdf reaches p). */
export class PercentileCalibrator extends SearchCalibrator {
  readonly name = 'percentile';
  readonly algorithm = 'Percentile';
  protected readonly method = 'percentile';
  protected override get param(): number {
    return this.options.percentile;
  }
}

/** The amax minimising the mean squared int8 quantization error over the histogram. */
export class MseCalibrator extends SearchCalibrator {
  readonly name = 'mse';
  readonly algorithm = 'MSE';
  protected readonly method = 'mse';
}
