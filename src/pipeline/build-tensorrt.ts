import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ImageBatchSource } from './image-source.js';
import { formatCache, parseCache } from '../../calibrators/cache.js';
import { Int8calError, InternalError, invalidParameter } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import { loadModel } from '../onnx/model-file.js';
import { defaultOf } from '../options.js';
import type { ProgressCallback, WarningCallback } from '../core/progress.js';
import { checkRunManifest } from '../run/check.js';
import { readRunJson } from '../run/files.js';
import { runFileName, runPath, type RunFile } from '../run/layout.js';
import { tensorRtPlacement } from '../onnx/qdq/placements/tensorrt.js';
import type { RunManifest } from '../run/schema.js';
import { loadTensorRt, requireGpu, translateTrtError, TRT_ENGINES, TRT_SCALES, type TrtScales, type TrtBuildMode, type TrtBuildOutput, type TrtGpu, type TrtLibraries } from '../core/tensorrt.js';
import { cacheForTensorRt, missingScaleTensors } from './tensorrt-scales.js';

const ENGINE_FILES: Record<TrtBuildMode, RunFile> = { fp32: 'engineFp32', fp16: 'engineFp16', int8: 'engineInt8', 'int8-qdq': 'engineInt8Qdq' };

export interface TensorRtBuildOptions {
  run: string;
  engines?: readonly TrtBuildMode[];
  /** int8 (implicit): int8cal's calibration.cache, or TensorRT's own EntropyCalibration2 from int8cal's batches. */
  scales?: TrtScales;
  optimizationLevel?: number;
  /** Timing cache read and updated (default RUN/tensorrt.timing-cache). */
  timingCache?: string;
  onProgress?: ProgressCallback;
  onWarning?: WarningCallback;
  signal?: AbortSignal;
}

export interface TrtEngineBuild {
  file: string;
  mode: TrtBuildMode;
  /** The ONNX model it was built from, and the builder flags. */
  from: string;
  flags: string[];
  buildMs: number;
  bytes: number;
  /** Tensors TensorRT reported without a scale ("Missing scale and zero-point for tensor …"). */
  missingScales?: { count: number; tensors: string[] };
  calibration?: { scales: TrtScales; algorithm: string; getBatchCalls: number; batches: number; constantsAdded?: number; cacheFile?: string };
}

export interface TensorRtBuildJson {
  version: string;
  libVersion: number;
  cudaRuntime: string;
  gpu: TrtGpu;
  optimizationLevel: number;
  timingCache: string;
  engines: Partial<Record<TrtBuildMode, TrtEngineBuild>>;
}

/** Loads TensorRT and checks for a GPU before anything is written: throws the user-facing error. */
export function tensorRtPreflight(): { libraries: TrtLibraries; gpu: TrtGpu } {
  const { libraries } = loadTensorRt();
  return { libraries, gpu: requireGpu() };
}

/**
 * Builds the TensorRT engines of a run (after the ONNX build: int8-qdq needs model.int8.onnx).
 * The caller holds the run lock. Returns build.json's `tensorrt` section.
 */
export async function buildTensorRt(o: TensorRtBuildOptions): Promise<TensorRtBuildJson> {
  const engines = [...new Set(o.engines ?? TRT_ENGINES)];
  for (const e of engines) if (!TRT_ENGINES.includes(e)) throw invalidParameter('trt-engines', `a list of ${TRT_ENGINES.join(', ')}`, e);
  const scales = o.scales ?? defaultOf('trtScales');
  if (!TRT_SCALES.includes(scales)) throw invalidParameter('trt-scales', TRT_SCALES.join(' or '), scales);
  const level = o.optimizationLevel ?? defaultOf('trtOptimizationLevel');
  if (!Number.isInteger(level) || level < 0 || level > 5) throw invalidParameter('trt-optimization-level', 'an integer 0–5', level);
  const runDir = resolve(o.run);
  const { libraries, gpu } = tensorRtPreflight();
  const { binding } = loadTensorRt();
  const run = await readRunJson(runDir, 'run', checkRunManifest, 'calibrate');
  const timingPath = resolve(o.timingCache ?? runPath(runDir, 'trtTimingCache'));
  let timingCache: Uint8Array | undefined = await readFile(timingPath).then((b) => new Uint8Array(b), () => undefined);
  const inputShape = imageInputShape(run);
  const section: TensorRtBuildJson = { version: libraries.version, libVersion: libraries.libVersion, cudaRuntime: libraries.cudaRuntime, gpu, optimizationLevel: level, timingCache: timingPath, engines: {} };
  for (const [done, mode] of engines.entries()) {
    o.signal?.throwIfAborted();
    o.onProgress?.({ stage: `tensorrt ${mode}`, done, total: engines.length, unit: 'engines' });
    const from = mode === 'int8-qdq' ? runPath(runDir, tensorRtPlacement.runFile) : runPath(runDir, 'fp32');
    const model = new Uint8Array(await readFile(from).catch((error: unknown) => {
      throw new Int8calError('RUN_FILE_MISSING', `Cannot read ${from}`, { file: from, hint: 'run `int8cal build` (the ONNX models) for this run first' }, { cause: error });
    }));
    const calib = mode === 'int8' ? await calibrationInputs(runDir, run, scales, libraries, o) : undefined;
    const handle = binding.build({ model, mode, optimizationLevel: level, inputShape, timingCache, calibrator: calib?.calibrator, calibrationCache: calib?.cache, batchTimeoutMs: 120_000 }, calib?.source);
    const abort = () => handle.cancel('interrupted');
    o.signal?.addEventListener('abort', abort);
    let out: TrtBuildOutput;
    try {
      out = await handle.promise;
    } catch (error) {
      throw translateTrtError(error, from);
    } finally {
      o.signal?.removeEventListener('abort', abort);
    }
    if (out.timingCache.length) timingCache = out.timingCache;
    section.engines[mode] = await recordEngine(runDir, mode, from, out, calib, o.onWarning);
  }
  if (timingCache) await writeFileAtomic(timingPath, timingCache);
  o.onProgress?.({ stage: 'tensorrt', done: engines.length, total: engines.length, unit: 'engines' });
  return section;
}

interface CalibrationInputs {
  calibrator: 'entropy2' | 'minmax';
  algorithm: string;
  cache?: Uint8Array;
  constantsAdded?: number;
  source?: () => Promise<Float32Array | null>;
}

async function calibrationInputs(runDir: string, run: RunManifest, scales: TrtScales, libs: TrtLibraries, o: TensorRtBuildOptions): Promise<CalibrationInputs> {
  const calibrator = run.calibration.calibrator === 'minmax' ? 'minmax' : 'entropy2';
  const algorithm = calibrator === 'minmax' ? 'MinMaxCalibration' : 'EntropyCalibration2';
  if (scales === 'int8cal') {
    const cachePath = runPath(runDir, 'cache');
    const text = await readFile(cachePath, 'utf8');
    const { text: rewritten, constants } = cacheForTensorRt(text, await loadModel(runPath(runDir, 'fp32')), libs.libVersion, algorithm);
    return { calibrator, algorithm, cache: new TextEncoder().encode(rewritten), constantsAdded: constants };
  }
  // TensorRT's own calibration: batch 1, the run's images in the run's order and preprocessing.
  const files = run.calibration.images.map((f) => join(run.calibration.data, f));
  const source = new ImageBatchSource(run.input, files, imagePreprocessing(run), { batchSize: 1, onWarning: o.onWarning, signal: o.signal }, true);
  return {
    calibrator, algorithm,
    source: async () => {
      const feeds = await source.next();
      return feeds ? (feeds[run.input]!.data as Float32Array) : null;
    },
  };
}

async function recordEngine(runDir: string, mode: TrtBuildMode, from: string, out: TrtBuildOutput, calib: CalibrationInputs | undefined, onWarning?: WarningCallback): Promise<TrtEngineBuild> {
  const file = runFileName(ENGINE_FILES[mode]);
  await writeFileAtomic(runPath(runDir, ENGINE_FILES[mode]), out.plan);
  const missing = missingScaleTensors(out.warnings);
  const record: TrtEngineBuild = {
    file, mode, from: from.slice(runDir.length + 1), buildMs: Math.round(out.buildMs), bytes: out.plan.length,
    flags: mode === 'fp32' ? [] : mode === 'fp16' ? ['FP16'] : ['INT8', 'FP16'],
    ...(mode === 'int8' ? { missingScales: { count: missing.length, tensors: missing.slice(0, 200) } } : {}),
  };
  if (calib && out.calibration) {
    const { getBatchCalls, batches } = out.calibration;
    const scales: TrtScales = calib.source ? 'tensorrt' : 'int8cal';
    if (scales === 'int8cal' && getBatchCalls > 0) {
      throw new InternalError(`TensorRT called getBatch ${getBatchCalls} time(s) although it was handed int8cal's cache (header or algorithm not accepted)`);
    }
    let cacheFile: string | undefined;
    if (scales === 'tensorrt') {
      if (!out.calibration.cache) throw new Int8calError('TENSORRT_CALIBRATION', 'TensorRT calibrated but wrote no calibration cache', { hint: 'see TensorRT\'s warnings in build.json' });
      const parsed = parseCache(new TextDecoder().decode(out.calibration.cache), 'TensorRT writeCalibrationCache');
      await writeFileAtomic(runPath(runDir, 'trtCache'), formatCache(parsed));
      cacheFile = runFileName('trtCache');
    }
    record.calibration = { scales, algorithm: calib.algorithm, getBatchCalls, batches, ...(calib.constantsAdded !== undefined ? { constantsAdded: calib.constantsAdded } : {}), ...(cacheFile ? { cacheFile } : {}) };
  }
  if (missing.length) onWarning?.(`TensorRT ${mode}: ${missing.length} tensor(s) without a scale fall back to higher precision (see build.json), e.g. ${missing[0]}`);
  return record;
}

/** The run's image preprocessing; runs calibrated from tensor files have none. */
function imagePreprocessing(run: RunManifest): NonNullable<RunManifest['preprocessing']> {
  if (!run.preprocessing) {
    throw new Int8calError('TENSORRT_INPUT', 'The TensorRT engines are built for an image input; this run was calibrated from tensor files', {
      hint: 'calibrate the run from a folder of images (--data DIR) to build TensorRT engines',
    });
  }
  return run.preprocessing;
}

/** The image input's shape at batch 1, from the run's preprocessing. */
function imageInputShape(run: RunManifest): number[] {
  const { width, height, channels, layout } = imagePreprocessing(run);
  return layout === 'NHWC' ? [1, height, width, channels] : [1, channels, height, width];
}
