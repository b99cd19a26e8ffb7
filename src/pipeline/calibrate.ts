import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { listImages, resolvePreprocessing, type PreprocessingOptions } from '../../datasets/images/index.js';
import { ImageBatchSource } from './image-source.js';
import { writeHistogramFile } from '../run/histogram-file.js';
import { createAmaxRule } from '../../calibrators/registry.js';
import { BatchCalibrator } from './calibrator.js';
import { Int8calError } from '../core/errors.js';
import { encodeModel } from '../onnx/model-file.js';
import { loadModel, saveModel } from '../onnx/model-file.js';
import { graphInputs } from '../onnx/graph.js';
import { defaultOf } from '../options.js';
import type { ProgressCallback, WarningCallback } from '../core/progress.js';
import { DEFAULT_LINEAR_BINS, type HistogramMode } from '../core/native.js';
import { runPath } from '../run/layout.js';
import { lockRun } from '../run/lock.js';
import { writeRunJson } from '../run/files.js';
import type { CalibrationResult, RunManifest } from '../run/schema.js';
import { calibrationFromHistograms, writeCalibration } from './calibration-output.js';
import { collectHistograms } from './collect.js';
import { checkOnlyImageInput, selectImageInput } from './image-input.js';
import { activationTensors, prepareModel } from './prepare.js';
import { calibrationFromCache } from './calibrate-from-cache.js';

export interface CalibrateOptions extends PreprocessingOptions {
  /** The fp32 ONNX model. */
  model: string;
  /** Folder of calibration images (unused with `cache`). */
  data?: string;
  /** Run directory to write. */
  out: string;
  /** Model input that receives the images (when the model has several). */
  input?: string;
  calibrator?: string;
  percentile?: number;
  batchSize?: number;
  maxImages?: number;
  histogram?: HistogramMode;
  /** An existing TensorRT cache to take the scales from instead of calibrating. */
  cache?: string;
  trtVersion?: number;
  cacheHeader?: string;
  maxActivationMemory?: number;
  threads?: number;
  skipBadImages?: boolean;
  onProgress?: ProgressCallback;
  onWarning?: WarningCallback;
  signal?: AbortSignal;
}

export interface CalibrateSummary {
  runDir: string;
  calibration: CalibrationResult;
  /** Images fed (0 when the scales came from a cache). */
  images: number;
  /** Passes over the images (more than 1 when --max-activation-memory split the tensors). */
  passes: number;
  /** Images per inference run (below the batch size when --max-activation-memory chunked batches; 0 from a cache). */
  chunk: number;
  skipped: { file: string; reason: string }[];
}

/**
 * Calibrates a model on a folder of images and writes the run directory: run.json,
 * model.fp32.onnx (the prepared model), histograms.bin, calibration.json and
 * calibration.cache (TensorRT format). With `cache`, the scales come from that cache instead.
 */
export async function calibrate(options: CalibrateOptions): Promise<CalibrateSummary> {
  const o = withDefaults(options);
  const runDir = resolve(o.out);
  const lock = await lockRun(runDir);
  try {
    const source = await readFile(o.model).catch(() => null);
    const original = await loadModel(o.model);
    const threads = o.threads;
    const prepared = await prepareModel(original, threads, o.onWarning, o.model);
    const input = selectImageInput(graphInputs(prepared.graph!), o.input, o.model);
    checkOnlyImageInput(graphInputs(prepared.graph!), input, o.model);
    const preprocessing = resolvePreprocessing(input, o);
    const tensors = await activationTensors(prepared, threads);
    const header = { trtVersion: o.trtVersion, algorithm: o.cacheHeader };
    const manifest = (images: string[], data: string, cache?: string): RunManifest => ({
      schema: 'int8cal/run', version: 1,
      model: { source: resolve(o.model), sha256: createHash('sha256').update(source ?? encodeModel(original)).digest('hex') },
      input: input.name, preprocessing,
      calibration: { calibrator: o.calibrator, percentile: o.percentile, histogram: o.histogram, batchSize: o.batchSize, images, data, ...(cache ? { cache: resolve(cache) } : {}) },
    });

    const rule = createAmaxRule(o.calibrator, { percentile: o.percentile });
    if (o.cache) {
      const reused = await new BatchCalibrator({ batchSize: o.batchSize, rule, cachePath: o.cache }).readCalibrationCache();
      const calibration = await calibrationFromCache(reused!, o.cache, tensors, o.model, o.onWarning);
      await saveModel(prepared, runPath(runDir, 'fp32'));
      await writeCalibration(runDir, calibration);
      await writeRunJson(runDir, 'run', manifest([], '', o.cache));
      return { runDir, calibration, images: 0, passes: 0, chunk: 0, skipped: [] };
    }

    if (!o.data) throw new Int8calError('MISSING_OPTION', 'Calibration needs images: give --data DIR (or --cache FILE)', { hint: 'point --data at a folder of images like the ones the model sees in use' });
    const data = resolve(o.data);
    const files = (await listImages(data, { onWarning: o.onWarning })).slice(0, o.maxImages ?? Infinity);
    const batchDim = input.dims[0];
    const batchSize = typeof batchDim === 'number' ? batchDim : o.batchSize;
    if (typeof batchDim === 'number' && batchDim !== o.batchSize && options.batchSize !== undefined) {
      o.onWarning?.(`Input ${input.name} has a fixed batch of ${batchDim}; using batches of ${batchDim} instead of --batch-size ${o.batchSize}`);
    }
    if (files.length < batchSize) {
      throw new Int8calError('TOO_FEW_IMAGES', `${data} has ${files.length} image(s), fewer than one batch of ${batchSize}`, {
        file: data, hint: 'add images (hundreds are typical) or lower --batch-size',
      });
    }
    const skipped: { file: string; reason: string }[] = [];
    const batchSource = new ImageBatchSource(input.name, files, preprocessing, {
      batchSize, skipBadImages: o.skipBadImages, signal: o.signal,
      onWarning: (message) => o.onWarning?.(message),
    }, typeof batchDim === 'number', skipped);
    const calibrator = new BatchCalibrator({ batchSize, source: batchSource, rule, cachePath: runPath(runDir, 'cache') });
    const collected = await collectHistograms({
      model: prepared, tensors, inputs: [input.name], calibrator, mode: o.histogram,
      threads, maxActivationMemory: o.maxActivationMemory, images: files.length, onProgress: o.onProgress, signal: o.signal,
    });
    const calibration = await calibrationFromHistograms(collected.histograms, rule, o.histogram, header);
    const used = batchSource.used.map((f) => relative(data, f));
    await saveModel(prepared, runPath(runDir, 'fp32'));
    await writeHistogramFile(runPath(runDir, 'histograms'), { mode: o.histogram, linearBins: DEFAULT_LINEAR_BINS, tensors: collected.histograms });
    await writeCalibration(runDir, calibration, calibrator);
    await writeRunJson(runDir, 'run', manifest(used, data));
    return { runDir, calibration, images: used.length, passes: collected.passes, chunk: collected.chunk, skipped };
  } finally {
    await lock.release();
  }
}

function withDefaults(o: CalibrateOptions) {
  return {
    ...o,
    calibrator: o.calibrator ?? defaultOf('calibrator'),
    percentile: o.percentile ?? defaultOf('percentile'),
    batchSize: o.batchSize ?? defaultOf('batchSize'),
    histogram: o.histogram ?? (defaultOf('histogram') as HistogramMode),
    trtVersion: o.trtVersion ?? defaultOf('trtVersion'),
    cacheHeader: o.cacheHeader ?? defaultOf('cacheHeader'),
    maxActivationMemory: o.maxActivationMemory ?? defaultOf('maxActivationMemory'),
    threads: o.threads ?? defaultOf('threads'),
    skipBadImages: o.skipBadImages ?? defaultOf('skipBadImages'),
  };
}
