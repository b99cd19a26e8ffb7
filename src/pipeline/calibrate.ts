import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { choosePreset, listImages, metadataOf, resolvePreprocessing, type FlatImage, type Preprocessing, type PreprocessingOptions } from '../../datasets/images/index.js';
import { isTensorFile, matchTensors, readTensorFile } from '../../datasets/tensors/index.js';
import { ImageBatchSource } from './image-source.js';
import { TensorBatchSource } from './tensor-source.js';
import { writeHistogramFile } from '../run/histogram-file.js';
import { createAmaxRule } from '../../calibrators/registry.js';
import type { AmaxRule } from '../../calibrators/amax-rule.js';
import { BatchCalibrator, type BatchSource } from './calibrator.js';
import { Int8calError, invalidParameter } from '../core/errors.js';
import { encodeModel } from '../onnx/model-file.js';
import { loadModel, saveModel } from '../onnx/model-file.js';
import { graphInputs, type TensorInfo } from '../onnx/graph.js';
import type { ModelProto } from '../onnx/proto.js';
import { defaultOf, percentage, positiveInt } from '../options.js';
import type { ProgressCallback, WarningCallback } from '../core/progress.js';
import { DEFAULT_LINEAR_BINS, type HistogramMode, HISTOGRAM_MODES } from '../core/native.js';
import { checkCacheAlgorithm } from '../../calibrators/cache.js';
import { CALIBRATOR_NAMES, type CalibratorName } from '../../calibrators/registry.js';
import { filesOf, finishStage, startStage } from '../run/manifest.js';
import { capThreads } from '../engines/threads.js';
import type { RunFile } from '../run/layout.js';
import { runPath } from '../run/layout.js';
import { lockRun } from '../run/lock.js';
import { removeRunFiles, writeRunJson } from '../run/files.js';
import type { CalibrationResult, RunManifest, ShardInfo } from '../run/schema.js';
import { calibrationFromHistograms, writeCalibration } from './calibration-output.js';
import { collectHistograms, type CollectOptions, type CollectTiming } from './collect.js';
import { checkOnlyImageInput, selectImageInput } from './image-input.js';
import { activationTensors, prepareModel } from './prepare.js';
import { calibrationFromCache } from './calibrate-from-cache.js';
import { checkShardable, shardImages, type ShardSpec } from './shard.js';
import { checkImageMemory } from './memory-estimate.js';
import { duplicateImages, flatImages, report, type CalibrationDataWarning } from './calibration-data-checks.js';

export interface CalibrateOptions extends PreprocessingOptions {
  /** The fp32 ONNX model. */
  model: string;
  /** Folder of calibration images, or a .npy/.npz of input tensors (unused with `cache` or `source`). */
  data?: string;
  /** Your own batches (keyed by input name, every model input) instead of `data`. */
  source?: BatchSource;
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
  /** Calibrate only this part of the images and write partial histograms (no scales). */
  shard?: ShardSpec;
  /** Where calibration's time goes, filled in (see CollectOptions). */
  timing?: CollectTiming;
  /** See CollectOptions.onRun (benchmarks). */
  onRun?: CollectOptions['onRun'];
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
  /** What about the calibration images deserves a warning (copies, flat colours); also passed to onWarning. */
  warnings: CalibrationDataWarning[];
  /** Set for a shard run: histograms.bin is partial, calibration.json and the cache aren't written. */
  shard?: ShardInfo;
}

/**
 * Calibrates a model on a folder of images and writes the run directory: run.json,
 * model.fp32.onnx (the prepared model), histograms.bin, calibration.json and
 * calibration.cache (TensorRT format). With `cache`, the scales come from that cache instead.
 */
export async function calibrate(options: CalibrateOptions): Promise<CalibrateSummary> {
  const o = withDefaults(options);
  checkCalibrateOptions(options, o);
  const runDir = resolve(o.out);
  checkShardable(o.shard, o.histogram, o.cache);
  const lock = await lockRun(runDir);
  try {
    const original = await loadModel(o.model);
    const source = await readFile(o.model).catch(() => null);
    const threads = capThreads(o.threads, o.onWarning);
    const prepared = await prepareModel(original, threads, o.onWarning, o.model);
    const modelInputs = graphInputs(prepared.graph!);
    const { direct, input, fed, preprocessing } = feeding(o, modelInputs, metadataOf(original.metadataProps));
    const tensors = await activationTensors(prepared, threads);
    // Checked before the stage starts: a size that can't fit must not make the run stale.
    const estimate = !o.cache && preprocessing ? await checkImageMemory(prepared, input, preprocessing, o) : undefined;
    await startStage(runDir, 'calibrate');
    const header = { trtVersion: o.trtVersion, algorithm: o.cacheHeader };
    const manifest = runManifestOf(o, original, source, input.name, preprocessing, fed);

    const rule = createAmaxRule(o.calibrator, { percentile: o.percentile });
    if (o.cache) return await calibrateFromCacheFile(runDir, o.cache, rule, prepared, tensors, manifest, o);

    const batchDim = input.dims[0];
    const batchSize = calibrationBatchSize(o, options.batchSize !== undefined, input, preprocessing);
    const data = direct
      ? await tensorData(o, modelInputs, batchSize, typeof batchDim === 'number')
      : await imageData(o, input.name, preprocessing!, batchSize, typeof batchDim === 'number');
    const calibrator = new BatchCalibrator({ batchSize, source: data.source, rule, cachePath: runPath(runDir, 'cache') });
    const collected = await collectHistograms({
      model: prepared, tensors, inputs: fed, calibrator, mode: o.histogram,
      threads, maxActivationMemory: o.maxActivationMemory, estimate, images: data.total, onProgress: o.onProgress, signal: o.signal, timing: o.timing, onRun: o.onRun,
    });
    const calibration = await calibrationFromHistograms(collected.histograms, rule, o.histogram, header);
    await saveModel(prepared, runPath(runDir, 'fp32'));
    await writeHistogramFile(runPath(runDir, 'histograms'), { mode: o.histogram, linearBins: DEFAULT_LINEAR_BINS, tensors: collected.histograms });
    const used = data.used();
    report(data.flat && flatImages(data.flat(), used.length, data.path), data.warnings, o.onWarning);
    const summary = { runDir, calibration, images: used.length, passes: collected.passes, chunk: collected.chunk, skipped: data.skipped, warnings: data.warnings };
    if (data.shard) {
      // Partial histograms only: scales from part of the images would be wrong for the model.
      await removeRunFiles(runDir, ['calibration', 'cache', ...filesOf('build'), 'results', 'reportHtml', 'reportMd']);
      const m = manifest(used, data.path);
      await writeRunJson(runDir, 'run', { ...m, calibration: { ...m.calibration, shard: data.shard } });
      await finishStage(runDir, 'calibrate', ['run', 'fp32', 'histograms'], []);
      return { ...summary, shard: data.shard };
    }
    await writeCalibration(runDir, calibration, calibrator);
    await writeRunJson(runDir, 'run', direct ? manifest([], data.path, { samples: used.length }) : manifest(used, data.path));
    await finishStage(runDir, 'calibrate', CALIBRATE_OUTPUTS, []);
    return summary;
  } finally {
    await lock.release();
  }
}

/** `--cache`: the scales of a TensorRT cache instead of histograms (no images are read). */
async function calibrateFromCacheFile(runDir: string, cache: string, rule: AmaxRule, prepared: ModelProto, tensors: Parameters<typeof calibrationFromCache>[2], manifest: ReturnType<typeof runManifestOf>, o: ReturnType<typeof withDefaults>): Promise<CalibrateSummary> {
  const reused = await new BatchCalibrator({ batchSize: o.batchSize, rule, cachePath: cache }).readCalibrationCache();
  const calibration = await calibrationFromCache(reused!, cache, tensors, o.model, o.onWarning);
  await removeRunFiles(runDir, ['histograms']);
  await saveModel(prepared, runPath(runDir, 'fp32'));
  await writeCalibration(runDir, calibration);
  await writeRunJson(runDir, 'run', manifest([], '', { cache }));
  await finishStage(runDir, 'calibrate', ['run', 'fp32', 'calibration', 'cache'], []);
  return { runDir, calibration, images: 0, passes: 0, chunk: 0, skipped: [], warnings: [] };
}

/** run.json for this calibration: the model, how its input is fed, and what calibrated it. */
function runManifestOf(o: ReturnType<typeof withDefaults>, original: ModelProto, source: Buffer | null, input: string, preprocessing: Preprocessing | undefined, fed: RunManifest['inputs']) {
  return (images: string[], data: string, extra: { cache?: string; samples?: number } = {}): RunManifest => ({
    schema: 'int8cal/run', version: 1,
    model: { source: resolve(o.model), sha256: createHash('sha256').update(source ?? encodeModel(original)).digest('hex') },
    input, ...(preprocessing ? { preprocessing } : { inputs: fed }),
    calibration: {
      calibrator: o.calibrator, percentile: o.percentile, histogram: o.histogram, batchSize: o.batchSize, images, data,
      ...(extra.cache ? { cache: resolve(extra.cache) } : {}), ...(extra.samples !== undefined ? { samples: extra.samples } : {}),
    },
  });
}

/** The model's fixed batch, 1 for --resize fit (every image its own size), else --batch-size; says when it overrides the flag. */
function calibrationBatchSize(o: ReturnType<typeof withDefaults>, asked: boolean, input: TensorInfo, preprocessing: Preprocessing | undefined): number {
  const batchDim = input.dims[0];
  const batchSize = preprocessing?.resize === 'fit' ? 1 : typeof batchDim === 'number' ? batchDim : o.batchSize;
  if (batchSize !== o.batchSize && asked) {
    o.onWarning?.(preprocessing?.resize === 'fit' ? `--resize fit gives every image its own size: batches of 1 instead of --batch-size ${o.batchSize}`
      : `Input ${input.name} has a fixed batch of ${batchDim}; using batches of ${batchDim} instead of --batch-size ${o.batchSize}`);
  }
  return batchSize;
}

/**
 * What calibration feeds: tensors given directly (a .npy/.npz or a batch source) go to every
 * input; images go to one input, through the preprocessing (preset chosen as inspect says).
 */
function feeding(o: Defaulted, inputs: TensorInfo[], metadata: Record<string, string>) {
  const direct = o.source !== undefined || (o.data !== undefined && isTensorFile(o.data));
  if (direct) {
    const input = o.input !== undefined ? selectImageInput(inputs, o.input, o.model) : inputs[0]!;
    return { direct, input, fed: inputs.map((i) => i.name), preprocessing: undefined };
  }
  const input = selectImageInput(inputs, o.input, o.model);
  checkOnlyImageInput(inputs, input, o.model);
  const preprocessing: Preprocessing = resolvePreprocessing(input, { ...o, preset: choosePreset(o.preset, metadata).preset });
  return { direct, input, fed: [input.name], preprocessing };
}

/** Where the batches come from, how many samples a pass holds, and which were fed. */
interface CalibrationData {
  source: BatchSource;
  /** Samples in one pass (for progress; 0 when unknown). */
  total: number;
  /** The image paths relative to `path`, or one label per sample fed. */
  used: () => string[];
  /** The folder or file (absolute), or '' for a user source. */
  path: string;
  skipped: { file: string; reason: string }[];
  /** Warnings about the data found so far. */
  warnings: CalibrationDataWarning[];
  /** Images fed of one flat colour (images only). */
  flat?: () => FlatImage[];
  /** Which part of the images a `--shard` run feeds. */
  shard?: ShardInfo;
}

async function imageData(o: Defaulted, input: string, preprocessing: Preprocessing, batchSize: number, fixedBatch: boolean): Promise<CalibrationData> {
  if (!o.data) throw new Int8calError('MISSING_OPTION', 'Calibration needs images: give --data DIR (or --cache FILE)', { hint: 'point --data at a folder of images like the ones the model sees in use, or at a .npy/.npz of input tensors' });
  const data = resolve(o.data);
  const files = (await listImages(data, { onWarning: o.onWarning })).slice(0, o.maxImages ?? Infinity);
  const warnings: CalibrationDataWarning[] = [];
  report(await duplicateImages(files, data), warnings, o.onWarning);
  if (files.length < batchSize) {
    throw new Int8calError('TOO_FEW_IMAGES', `${data} has ${files.length} image(s), fewer than one batch of ${batchSize}`, {
      file: data, hint: 'add images (hundreds are typical) or lower --batch-size',
    });
  }
  const shard = o.shard && { ...o.shard, totalImages: files.length };
  const part = shard ? shardImages(files, batchSize, shard) : files;
  const skipped: { file: string; reason: string }[] = [];
  const source = new ImageBatchSource(input, part, preprocessing, {
    batchSize, skipBadImages: o.skipBadImages, signal: o.signal, onWarning: (message) => o.onWarning?.(message),
  }, fixedBatch, skipped);
  return {
    source, total: part.length, used: () => source.used.map((f) => relative(data, f)), path: data, skipped, warnings, flat: () => source.flat, ...(shard ? { shard } : {}),
  };
}

/** Tensors given directly: a .npy/.npz (every model input, matched by name), or the caller's own source. */
async function tensorData(o: Defaulted, inputs: readonly TensorInfo[], batchSize: number, fixedBatch: boolean): Promise<CalibrationData> {
  if (o.shard) throw new Int8calError('SHARD_NEEDS_IMAGES', '--shard splits a folder of images; it does not apply to tensors given directly', { hint: 'split the .npy/.npz yourself, or calibrate on image folders' });
  if (o.source) {
    const counted = new CountingSource(o.source);
    return { source: counted, total: 0, used: () => Array.from({ length: counted.used }, (_, i) => `#${i}`), path: '', skipped: [], warnings: [] };
  }
  const file = resolve(o.data!);
  const matched = matchTensors(await readTensorFile(file), inputs, file, o.model);
  for (const name of matched.unused) o.onWarning?.(`${file}: array ${name} matches no input of ${o.model}; ignored`);
  const arrays = new Map([...matched.arrays].map(([name, a]) => [name, { ...a, shape: [Math.min(a.shape[0]!, o.maxImages ?? Infinity), ...a.shape.slice(1)] }]));
  const source = new TensorBatchSource(arrays, batchSize, fixedBatch, o.onWarning);
  if (source.samples < batchSize) {
    throw new Int8calError('TOO_FEW_IMAGES', `${file} has ${source.samples} sample(s), fewer than one batch of ${batchSize}`, { file, hint: 'add samples or lower --batch-size' });
  }
  return { source, total: source.samples, used: () => Array.from({ length: source.used }, (_, i) => `#${i}`), path: file, skipped: [], warnings: [] };
}

/** A user's batch source, counting the samples it yields (first dimension of its first tensor). */
class CountingSource implements BatchSource {
  used = 0;
  constructor(private readonly inner: BatchSource) {}
  async next() {
    const feeds = await this.inner.next();
    if (feeds) this.used += Object.values(feeds)[0]?.dims[0] ?? 1;
    return feeds;
  }
  rewind(): void {
    this.used = 0;
    this.inner.rewind();
  }
}

type Defaulted = ReturnType<typeof withDefaults>;

/** What a calibration from images writes (run/manifest.ts). */
export const CALIBRATE_OUTPUTS: readonly RunFile[] = ['run', 'fp32', 'histograms', 'calibration', 'cache'];

/** Every option is checked before any work: a bad one must not cost an inference pass, nor replace a file. */
function checkCalibrateOptions(given: CalibrateOptions, o: ReturnType<typeof withDefaults>): void {
  if (o.cache && (o.data || o.source) && !o.shard) {
    throw new Int8calError('CONFLICTING_OPTIONS', '--cache and --data both given: the scales would come from the cache and the images be ignored', { hint: 'give --cache FILE to reuse a cache, or --data DIR to calibrate on images, not both' });
  }
  if (!o.cache && !o.data && !o.source) throw new Int8calError('MISSING_OPTION', 'Calibration needs images: give --data DIR (or --cache FILE)', { hint: 'point --data at a folder of images like the ones the model sees in use' });
  if (!CALIBRATOR_NAMES.includes(o.calibrator as CalibratorName)) {
    throw new Int8calError('UNKNOWN_CALIBRATOR', `Unknown calibrator "${o.calibrator}"`, { hint: `choose one of ${CALIBRATOR_NAMES.join(', ')}` });
  }
  if (given.percentile !== undefined && o.calibrator !== 'percentile') {
    throw new Int8calError('CONFLICTING_OPTIONS', `--percentile ${given.percentile} applies only to --calibrator percentile (the calibrator is ${o.calibrator})`, { hint: 'add --calibrator percentile, or drop --percentile' });
  }
  percentage(String(o.percentile), '--percentile');
  positiveInt(String(o.trtVersion), '--trt-version');
  positiveInt(String(o.batchSize), '--batch-size');
  checkCacheAlgorithm(o.cacheHeader);
  if (!HISTOGRAM_MODES.includes(o.histogram)) throw invalidParameter('--histogram', `one of ${HISTOGRAM_MODES.join(', ')}`, o.histogram);
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
