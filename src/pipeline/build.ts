import type { ModelProto } from '../onnx/proto.js';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { calibrationFromCache, readCacheFile } from './calibrate-from-cache.js';
import { activationTensors } from './prepare.js';
import { Int8calError, invalidParameter } from '../core/errors.js';
import { opsetVersion } from '../onnx/graph.js';
import { loadModel, saveModel } from '../onnx/model-file.js';
import { buildFp16 } from '../onnx/fp16/index.js';
import { buildInt8, groupedReasons, isLowCoverage, MIN_COVERAGE, parseExcludes, placementOf, type BuildReport, type Placement, type SignedRange } from '../onnx/qdq/index.js';
import { defaultOf } from '../options.js';
import type { ProgressCallback, WarningCallback } from '../core/progress.js';
import { checkCalibration, checkRunManifest } from '../run/check.js';
import { readRunJson, refuseShardRun, removeRunFiles, writeRunJson } from '../run/files.js';
import { runPath, RUN_FILES, type RunFile } from '../run/layout.js';
import { lockRun } from '../run/lock.js';
import type { TrtBuildMode, TrtPrecisionConstraints, TrtScales } from '../core/tensorrt.js';
import type { EngineKind } from '../engines/registry.js';
import { resolveOrtWeightBits, type OrtWeightBitsChoice } from '../engines/ort-int8-kernels.js';
import { buildTensorRt, keptEngines, tensorRtPreflight, tensorRtRunFiles, type TensorRtBuildJson } from './build-tensorrt.js';
import { filesOf, finishStage, requireTrusted, runFileOf, startStage, TrustCheck } from '../run/manifest.js';

import { BUILD_PRECISIONS, type BuildPrecision } from '../onnx/precisions.js';
import { PLACEMENT_NAMES } from '../onnx/qdq/index.js';

export type Precision = BuildPrecision;


export interface BuildOptions {
  /** Run directory written by `calibrate` (model.fp32.onnx, calibration.json). */
  run: string;
  precisions?: readonly Precision[];
  /** Q/DQ placements built when int8 is among the precisions. */
  targets?: readonly Placement[];
  /** Nodes kept in float: node name, /regex/ or op type. */
  exclude?: readonly string[];
  perTensorWeights?: boolean;
  /** Weight bits of the ort-cpu model (7 for x86 CPUs without VNNI); auto (the default): this machine's. */
  ortWeightBits?: OrtWeightBitsChoice;
  /** A TensorRT calibration cache to take the scales from instead of RUN/calibration.json. */
  cache?: string;
  /** tensorrt: also build TensorRT engines (checked for a GPU before anything is written). */
  engine?: EngineKind;
  trtEngines?: readonly TrtBuildMode[];
  trtScales?: TrtScales;
  trtOptimizationLevel?: number;
  trtPrecisionConstraints?: TrtPrecisionConstraints;
  trtConstantScales?: boolean;
  trtQdqFp16?: boolean;
  trtTimingCache?: string;
  /** Write int8 variants that quantize under half of the compute ops instead of failing (they are reported "not quantized"). */
  allowLowCoverage?: boolean;
  onProgress?: ProgressCallback;
  onWarning?: WarningCallback;
  signal?: AbortSignal;
}

/** One model a build wrote. */
export interface BuiltVariant {
  /** Variant name as evaluate knows it: fp16, int8 (TensorRT placement), int8-ort. */
  name: string;
  file: string;
  precision: Precision;
  placement?: Placement;
  /** fp16 on CPU: Casts around fp32 compute, so its latency is not fp16 hardware's. */
  emulated?: true;
  /** int8: where the scales came from and the options used. */
  scales?: ScaleSource;
  options?: { exclude: string[]; perTensorWeights: boolean; ortWeightBits?: 7 | 8 };
  report?: BuildReport;
}

/** Where a build's scales came from: the run's calibration or a TensorRT cache. */
export interface ScaleSource {
  source: 'calibration' | 'cache';
  file: string;
  calibrator: string;
}

/** `build.json`: what the last builds of this run wrote, and how. */
export interface BuildJson {
  schema: 'int8cal/build';
  version: 1;
  opset: number;
  /** By variant name; a later build replaces the variants it rebuilds and keeps the others. */
  variants: Record<string, BuiltVariant>;
  /** TensorRT engines built with --engine tensorrt (dropped by a later ONNX-only build: they'd be stale). */
  tensorrt?: TensorRtBuildJson;
}

export interface BuildResult {
  runDir: string;
  built: BuiltVariant[];
  buildJson: BuildJson;
}

/** Engines and TensorRT's own cache: made from this stage's models, dropped by an ONNX-only build. */
const ALL_ENGINE_FILES: RunFile[] = ['engineFp32', 'engineFp16', 'engineInt8', 'engineInt8Qdq', 'trtCache'];

/** The build's options, checked before anything is read or written. */
function buildSettings(options: BuildOptions) {
  const engine = options.engine ?? defaultOf('engine');
  if (engine !== 'onnxruntime' && engine !== 'tensorrt') throw invalidParameter('engine', 'onnxruntime or tensorrt', engine);
  const exclude = [...(options.exclude ?? [])];
  return {
    precisions: checkList('precisions', options.precisions ?? defaultOf('precisions'), BUILD_PRECISIONS),
    targets: checkList('targets', options.targets ?? defaultOf('target'), PLACEMENT_NAMES),
    exclude,
    patterns: parseExcludes(exclude),
    perTensorWeights: options.perTensorWeights ?? defaultOf('perTensorWeights'),
    ortWeightBits: resolveOrtWeightBits(options.ortWeightBits ?? defaultOf('ortWeightBits')),
    engine,
  };
}
type BuildSettings = ReturnType<typeof buildSettings>;

/** The run's prepared fp32 model; warns about --exclude patterns that match none of its nodes. */
async function loadRunModel(runDir: string, settings: BuildSettings, onWarning?: (message: string) => void): Promise<ModelProto> {
  const fp32Path = runPath(runDir, 'fp32');
  const fp32 = await loadModel(fp32Path).catch((error: unknown) => {
    throw new Int8calError('RUN_FILE_MISSING', `Cannot load the run's fp32 model ${fp32Path}`, {
      file: fp32Path, hint: 'run `int8cal calibrate` for this run directory first',
    }, { cause: error });
  });
  for (const p of settings.patterns) {
    if (!(fp32.graph?.node ?? []).some((node) => p.matches(node))) onWarning?.(`--exclude ${p.source} matches no node of ${fp32Path} (node names and op types are the prepared model's)`);
  }
  return fp32;
}

/** Writes fp16 and each placement's int8 model. */
async function buildVariants(runDir: string, fp32: ModelProto, scales: Awaited<ReturnType<typeof readScales>>, settings: BuildSettings, options: BuildOptions): Promise<BuiltVariant[]> {
  const { precisions, targets, exclude, perTensorWeights, ortWeightBits } = settings;
  const jobs = [
    ...(precisions.includes('fp16') ? ['fp16' as const] : []),
    ...(precisions.includes('int8') ? targets.map(placementOf) : []),
  ];
  const built: BuiltVariant[] = [];
  for (const [done, job] of jobs.entries()) {
    const name = job === 'fp16' ? job : job.variant;
    options.signal?.throwIfAborted();
    options.onProgress?.({ stage: `build ${name}`, done, total: jobs.length, unit: 'models' });
    if (job === 'fp16') {
      await saveModel(buildFp16(fp32), runPath(runDir, 'fp16'));
      built.push({ name, file: RUN_FILES.fp16, precision: 'fp16', emulated: true });
      continue;
    }
    const placement: Placement = job.name;
    const { model, report } = buildInt8(fp32, scales.amax, { placement, exclude, perTensorWeights, ortWeightBits, ranges: scales.ranges });
    if (isLowCoverage(report.coverage) && !(options.allowLowCoverage ?? defaultOf('allowLowCoverage'))) throw lowCoverageError(name, report, runPath(runDir, 'fp32'));
    await saveModel(model, runPath(runDir, job.runFile));
    if (report.unscaled.length) {
      options.onWarning?.(`${name}: ${report.unscaled.length} tensor(s) have no usable scale and stay float (see build.json), e.g. ${report.unscaled[0]!.tensor}`);
    }
    built.push({ name, file: job.runFile, precision: 'int8', placement, scales: scales.describe, options: { exclude, perTensorWeights, ...(job.usesOrtWeightBits ? { ortWeightBits } : {}) }, report });
  }
  options.onProgress?.({ stage: 'build', done: jobs.length, total: jobs.length, unit: 'models' });
  return built;
}

/**
 * Builds the fp16 reference and the int8 Q/DQ models of a calibrated run and writes them with
 * build.json. Results and reports of the run are removed: they described other models.
 */
export async function build(options: BuildOptions): Promise<BuildResult> {
  const settings = buildSettings(options);
  const runDir = resolve(options.run);
  await refuseShardRun(runDir, checkRunManifest);
  if (settings.engine === 'tensorrt') tensorRtPreflight();
  const lock = await lockRun(runDir);
  try {
    const trust = new TrustCheck(runDir);
    await requireTrusted(runDir, options.cache === undefined ? ['fp32', 'calibration'] : ['fp32'], trust);
    const kept = await trustedBuildFiles(runDir, trust);
    const withCalibration = !(await trust.check('calibration'));
    await startStage(runDir, 'build');
    await removeRunFiles(runDir, filesOf('build').filter((f) => !kept.includes(f)));
    const fp32 = await loadRunModel(runDir, settings, options.onWarning);
    const scales = await readScales(runDir, options.cache, options.onWarning);
    // Engines are built from these models: an ONNX-only build drops them all (they'd be stale),
    // a TensorRT build rebuilds the ones it was asked for and keeps the others' records.
    // Tuned variants were searched from the old int8 models: a rebuild makes them stale too.
    await removeRunFiles(runDir, ['results', 'reportHtml', 'reportMd', ...(settings.engine === 'tensorrt' ? [] : ALL_ENGINE_FILES),
      ...(settings.precisions.includes('int8') ? filesOf('tune') : [])]);
    const built = await buildVariants(runDir, fp32, scales, settings, options);
    const previous = await readPreviousBuild(runDir, options.onWarning);
    const tensorrt = settings.engine === 'tensorrt' ? await buildEngines(runDir, options, previous?.tensorrt) : undefined;
    const buildJson: BuildJson = {
      schema: 'int8cal/build',
      version: 1,
      opset: Math.max(opsetVersion(fp32), 13),
      variants: { ...(previous?.variants ?? {}), ...Object.fromEntries(built.map((b) => [b.name, b])) },
      ...(tensorrt ? { tensorrt } : {}),
    };
    await writeRunJson(runDir, 'build', buildJson);
    // Engine files are vouched for only as the TensorRT section lists them (an ONNX-only build removed them).
    const outputs = new Set<RunFile>([...kept.filter((f) => f !== 'build' && !ALL_ENGINE_FILES.includes(f)), ...built.map((b) => runFileOf(b.file)!), ...(tensorrt ? tensorRtRunFiles(runDir, tensorrt) : []), 'build']);
    const inputs: RunFile[] = [...(withCalibration ? ['fp32', 'calibration'] as const : ['fp32'] as const), ...(tensorrt ? tensorRtInputs(tensorrt) : [])];
    await finishStage(runDir, 'build', [...outputs], inputs);
    return { runDir, built, buildJson };
  } finally {
    await lock.release();
  }
}

/** The TensorRT engines of this build, with the still-valid records of an earlier TensorRT build. */
async function buildEngines(runDir: string, o: BuildOptions, previous: TensorRtBuildJson | undefined): Promise<TensorRtBuildJson> {
  const section = await buildTensorRt({
    run: runDir, engines: o.trtEngines, scales: o.trtScales, optimizationLevel: o.trtOptimizationLevel, precisionConstraints: o.trtPrecisionConstraints,
    constantScales: o.trtConstantScales, qdqFp16: o.trtQdqFp16, timingCache: o.trtTimingCache, onProgress: o.onProgress, onWarning: o.onWarning, signal: o.signal,
  });
  const engines = { ...(await keptEngines(runDir, previous, Object.keys(section.engines) as TrtBuildMode[], o.onWarning)), ...section.engines };
  if (!Object.values(engines).some((e) => e?.calibration?.cacheFile)) await removeRunFiles(runDir, ['trtCache']);
  return { ...section, engines };
}

/** Run files the engines were made from besides the fp32 model: run.json (images, input) and int8cal's cache. */
function tensorRtInputs(section: TensorRtBuildJson): RunFile[] {
  const int8cal = Object.values(section.engines).some((e) => e?.calibration?.scales === 'int8cal');
  return ['run', ...(int8cal ? ['cache' as const] : [])];
}

/** build refuses to write an "int8" model that leaves most compute ops in float; the reasons say why. */
function lowCoverageError(name: string, report: BuildReport, file: string): Int8calError {
  const { quantized, quantizable, float } = report.coverage;
  return new Int8calError(
    'LOW_COVERAGE',
    `${name} (${report.placement} placement) would quantize only ${quantized} of ${quantizable} compute ops (Conv, ConvTranspose, Gemm, MatMul), ` +
      `under ${MIN_COVERAGE * 100} %; left in float:\n  ${groupedReasons(float).join('\n  ')}`,
    { file, hint: 'fix the cause above (see build.json), or pass --allow-low-coverage to write it anyway (it is then reported as "not quantized")' },
  );
}

function checkList<T extends string>(name: string, values: readonly string[], allowed: readonly T[]): T[] {
  if (!Array.isArray(values) || values.length === 0) throw invalidParameter(name, `a non-empty list of ${allowed.join(', ')}`, values);
  for (const v of values) {
    if (!allowed.includes(v as T)) throw invalidParameter(name, `one of ${allowed.join(', ')}`, v);
  }
  return [...new Set(values)] as T[];
}

interface Scales {
  amax: Map<string, number>;
  /** Observed signed ranges (calibration.json only: a TensorRT cache has none). */
  ranges?: Map<string, SignedRange>;
  describe: ScaleSource;
}

/** amax per tensor from RUN/calibration.json, or from a TensorRT cache (amax = scale · 127). */
async function readScales(runDir: string, cache: string | undefined, onWarning?: WarningCallback): Promise<Scales> {
  if (cache === undefined) {
    const calibration = await readRunJson(runDir, 'calibration', checkCalibration, 'calibrate');
    const amax = new Map(Object.entries(calibration.tensors).map(([name, t]) => [name, t.amax]));
    const ranges = new Map<string, SignedRange>();
    for (const [name, t] of Object.entries(calibration.tensors)) {
      if (t.min !== undefined && t.max !== undefined) ranges.set(name, { min: t.min, max: t.max });
    }
    return { amax, ranges, describe: { source: 'calibration', file: RUN_FILES.calibration, calibrator: calibration.calibrator } };
  }
  // Same rules as `calibrate --cache`: every activation the model needs must be in the cache.
  const fp32 = runPath(runDir, 'fp32');
  const tensors = await activationTensors(await loadModel(fp32), defaultOf('threads'));
  const fromCache = await calibrationFromCache(await readCacheFile(cache), cache, tensors, fp32, onWarning);
  const amax = new Map(Object.entries(fromCache.tensors).map(([name, t]) => [name, t.amax]));
  return { amax, describe: { source: 'cache', file: resolve(cache), calibrator: fromCache.cacheHeader.algorithm } };
}

/** Files of an earlier build that a completed build vouches for (the others are removed). */
async function trustedBuildFiles(runDir: string, trust: TrustCheck): Promise<RunFile[]> {
  const files = filesOf('build');
  const verdicts = await Promise.all(files.map((f) => trust.check(f)));
  const kept: RunFile[] = files.filter((_, i) => !verdicts[i]);
  return kept.includes('build') ? kept : [];
}

/** The build.json of an earlier build of this run (its other variants are kept), if any. */
async function readPreviousBuild(runDir: string, onWarning?: WarningCallback): Promise<BuildJson | undefined> {
  const path = runPath(runDir, 'build');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Int8calError('RUN_FILE_READ', `Cannot read ${path}: ${(error as Error).message}`, { file: path }, { cause: error });
  }
  try {
    const value = JSON.parse(text) as BuildJson;
    if (value?.schema === 'int8cal/build' && value.version === 1) return value;
  } catch {
    // reported below
  }
  onWarning?.(`${path} is not a build.json this int8cal reads; it is replaced`);
  return undefined;
}
