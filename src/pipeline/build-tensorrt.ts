import { readFile, rm } from 'node:fs/promises';
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
import { loadTensorRt, requireGpu, translateTrtError, TRT_ENGINES, TRT_PRECISION_CONSTRAINTS, TRT_SCALES, type TensorRtBinding, type TrtScales, type TrtBuildMode, type TrtBuildOutput, type TrtGpu, type TrtLibraries, type TrtPrecisionConstraints } from '../core/tensorrt.js';
import { sha256File } from '../run/manifest.js';
import { cacheForTensorRt, missingScaleTensors } from './tensorrt-scales.js';
import { engineLayers, type EngineLayers } from './tensorrt-layers.js';

const ENGINE_FILES: Record<TrtBuildMode, RunFile> = { fp32: 'engineFp32', fp16: 'engineFp16', int8: 'engineInt8', 'int8-qdq': 'engineInt8Qdq' };

export interface TensorRtBuildOptions {
  run: string;
  engines?: readonly TrtBuildMode[];
  /** int8 (implicit): int8cal's calibration.cache, or TensorRT's own EntropyCalibration2 from int8cal's batches. */
  scales?: TrtScales;
  optimizationLevel?: number;
  /** fp16 engine: ask every float layer for fp16 (TensorRT otherwise keeps some in fp32). */
  precisionConstraints?: TrtPrecisionConstraints;
  /** int8 with int8cal's scales: add the constants' `<name>_output` entries (default true). */
  constantScales?: boolean;
  /** int8-qdq: kINT8 | kFP16 (default) or kINT8 only. */
  qdqFp16?: boolean;
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
  /** sha256 of that model's bytes: a kept engine whose model changed since is dropped. */
  fromSha256: string;
  flags: string[];
  /** What its layers really run in (TensorRT's engine inspector); absent when it could not tell. */
  layers?: EngineLayers;
  /** fp16: precision constraints asked for, and on how many layers. */
  precisionConstraints?: { mode: TrtPrecisionConstraints; layers: number };
  buildMs: number;
  bytes: number;
  /** Tensors TensorRT reported without a scale ("Missing scale and zero-point for tensor …"). */
  missingScales?: { count: number; tensors: string[] };
  calibration?: { scales: TrtScales; algorithm: string; getBatchCalls: number; batches: number; constantsAdded?: number; cacheFile?: string };
  /** int8: false when built with --no-trt-constant-scales. */
  constantScales?: boolean;
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
  const constraints = o.precisionConstraints ?? defaultOf('trtPrecisionConstraints');
  const qdqFp16 = o.qdqFp16 ?? defaultOf('trtQdqFp16');
  if (!TRT_PRECISION_CONSTRAINTS.includes(constraints)) throw invalidParameter('trt-precision-constraints', TRT_PRECISION_CONSTRAINTS.join(', '), constraints);
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
    const handle = binding.build({
      model, mode, optimizationLevel: level, inputShape, timingCache, calibrator: calib?.calibrator, calibrationCache: calib?.cache, batchTimeoutMs: 120_000,
      ...(mode === 'fp16' ? { precisionConstraints: constraints } : {}),
      ...(mode === 'int8-qdq' ? { fp16: qdqFp16 } : {}),
    }, calib?.source);
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
    const record = await recordEngine(runDir, mode, from, out, calib, o.onWarning);
    if (mode === 'int8-qdq' && !qdqFp16) record.flags = ['INT8'];
    section.engines[mode] = { ...record, fromSha256: (await sha256File(from))!, ...inspectLayers(binding, out.plan, from, o.onWarning),
      ...(out.constrainedLayers !== undefined ? { precisionConstraints: { mode: constraints, layers: out.constrainedLayers } } : {}),
      ...(mode === 'int8' && calib?.cache && o.constantScales === false ? { constantScales: false } : {}) };
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
    const { text: rewritten, constants } = cacheForTensorRt(text, await loadModel(runPath(runDir, 'fp32')), libs.libVersion, algorithm, o.constantScales ?? defaultOf('trtConstantScales'));
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

/** The layer precisions of a plan just built (it is opened once on the GPU to ask TensorRT). */
function inspectLayers(binding: TensorRtBinding, plan: Uint8Array, from: string, onWarning?: WarningCallback): { layers?: EngineLayers } {
  let engine;
  try {
    engine = new binding.Engine(plan);
  } catch (error) {
    throw translateTrtError(error, from);
  }
  try {
    const layers = engineLayers(engine.layers());
    if (!layers) onWarning?.(`TensorRT's engine inspector gave no per-layer precisions for ${from}: build.json cannot say which layers run in which precision`);
    return layers ? { layers } : {};
  } finally {
    engine.dispose();
  }
}

/**
 * The run files a TensorRT build section vouches for: its engines, TensorRT's calibration cache
 * and the timing cache when it lives in RUN.
 */
export function tensorRtRunFiles(runDir: string, section: TensorRtBuildJson): RunFile[] {
  const files: RunFile[] = Object.keys(section.engines).map((m) => ENGINE_FILES[m as TrtBuildMode]);
  if (Object.values(section.engines).some((e) => e?.calibration?.cacheFile)) files.push('trtCache');
  if (resolve(section.timingCache) === runPath(resolve(runDir), 'trtTimingCache')) files.push('trtTimingCache');
  return files;
}

/**
 * The engine records of an earlier TensorRT build still valid after this one: each kept only
 * while its plan is there and the model it was built from has the same bytes.
 */
export async function keptEngines(runDir: string, previous: TensorRtBuildJson | undefined, rebuilt: readonly TrtBuildMode[], onWarning?: WarningCallback): Promise<Partial<Record<TrtBuildMode, TrtEngineBuild>>> {
  const kept: Partial<Record<TrtBuildMode, TrtEngineBuild>> = {};
  for (const [mode, record] of Object.entries(previous?.engines ?? {}) as [TrtBuildMode, TrtEngineBuild][]) {
    if (rebuilt.includes(mode) || !ENGINE_FILES[mode]) continue;
    const plan = runPath(runDir, ENGINE_FILES[mode]);
    const [planSha, modelSha] = await Promise.all([sha256File(plan), sha256File(join(runDir, record.from))]);
    if (planSha !== undefined && record.fromSha256 !== undefined && modelSha === record.fromSha256) {
      kept[mode] = record;
      continue;
    }
    if (planSha !== undefined) onWarning?.(`${runFileName(ENGINE_FILES[mode])} was built from an older ${record.from}: removed (rebuild it with --trt-engines ${mode})`);
    await rm(plan, { force: true });
  }
  return kept;
}

async function recordEngine(runDir: string, mode: TrtBuildMode, from: string, out: TrtBuildOutput, calib: CalibrationInputs | undefined, onWarning?: WarningCallback): Promise<Omit<TrtEngineBuild, 'fromSha256'>> {
  const file = runFileName(ENGINE_FILES[mode]);
  await writeFileAtomic(runPath(runDir, ENGINE_FILES[mode]), out.plan);
  const missing = missingScaleTensors(out.warnings);
  const record: Omit<TrtEngineBuild, 'fromSha256'> = {
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
