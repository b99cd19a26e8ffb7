/**
 * TensorRT through the native addon's optional `tensorrt` part (native/tensorrt): what it
 * exports, where its libraries are looked for, and the user-facing errors when the part, the
 * libraries or a GPU are missing. The addon itself is loaded by src/native.ts only.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Int8calError } from './errors.js';
import { loadNative } from './native.js';

export type TrtBuildMode = 'fp32' | 'fp16' | 'int8' | 'int8-qdq';
export const TRT_ENGINES: readonly TrtBuildMode[] = ['fp32', 'fp16', 'int8', 'int8-qdq'];
/** Where the implicit-INT8 engine's scales come from: int8cal's cache, or TensorRT's own calibration. */
export type TrtScales = 'int8cal' | 'tensorrt';
export const TRT_SCALES: readonly TrtScales[] = ['int8cal', 'tensorrt'];
/** fp16 engine: leave TensorRT free to keep layers in fp32, or ask every float layer for fp16 (prefer: where it can; obey: or fail). */
export type TrtPrecisionConstraints = 'none' | 'prefer' | 'obey';
export const TRT_PRECISION_CONSTRAINTS: readonly TrtPrecisionConstraints[] = ['none', 'prefer', 'obey'];


export interface TrtLibraries {
  /** e.g. "10.6.0" */
  version: string;
  /** getInferLibVersion(): major·10000 + minor·100 + patch, the cache header's number. */
  libVersion: number;
  headerVersion: string;
  onnxParserVersion: number;
  cudaRuntime: string;
  nvinfer: string;
  onnxparser: string;
  cudart: string;
  /** libnvinfer_builder_resource preloaded from there, or null (building engines will fail). */
  builderResource: string | null;
}

export interface TrtGpu {
  name: string;
  computeCapability: string;
  memoryBytes: number;
  cudaDriver: string;
  count: number;
}

export interface TrtBuildRequest {
  model: Uint8Array;
  mode: TrtBuildMode;
  calibrator?: 'entropy2' | 'minmax';
  optimizationLevel: number;
  timingCache?: Uint8Array;
  /** The cache handed to readCalibrationCache (int8cal's scales), if any. */
  calibrationCache?: Uint8Array;
  /** The image input's shape (batch 1): pins dynamic dims and sizes calibration batches. */
  inputShape: number[];
  batchTimeoutMs?: number;
  /** fp16 only. */
  precisionConstraints?: TrtPrecisionConstraints;
  /** int8, int8-qdq: also allow fp16 (kFP16; default true). */
  fp16?: boolean;
}

export interface TrtBuildOutput {
  plan: Uint8Array;
  timingCache: Uint8Array;
  buildMs: number;
  /** TensorRT's warnings, e.g. "Missing scale and zero-point for tensor …". */
  warnings: string[];
  calibration?: { getBatchCalls: number; batches: number; cache: Uint8Array | null };
  /** fp16 with precision constraints: how many layers were asked to run in fp16. */
  constrainedLayers?: number;
}

export interface TrtIoTensor { name: string; input: boolean; type: string; dims: number[] }

export interface NativeTrtEngine {
  io(): TrtIoTensor[];
  run(inputs: Record<string, ArrayBufferView>, shapes: Record<string, number[]>): Record<string, { type: string; dims: number[]; data: Uint8Array }>;
  time(options: { warmup: number; iterations: number; cudaGraph?: boolean }): Float64Array;
  /** The engine inspector's JSON (detailed when the plan was built by int8cal). */
  layers(): string;
  dispose(): void;
}

/** Exactly what the addon's `tensorrt` export is. */
export interface TensorRtBinding {
  load(dirs: string[]): TrtLibraries;
  gpu(): TrtGpu;
  build(request: TrtBuildRequest, source?: () => Promise<Float32Array | null>): { promise: Promise<TrtBuildOutput>; cancel(reason?: string): void };
  Engine: new (plan: Uint8Array) => NativeTrtEngine;
  headerMajor: number;
}

/** The cache folder of `npm run tensorrt` (INT8CAL_TENSORRT_CACHE overrides it). */
export function tensorrtCacheDir(): string {
  return process.env.INT8CAL_TENSORRT_CACHE || join(homedir(), '.cache', 'int8cal', 'tensorrt-10.6');
}

/** Where the TensorRT and CUDA libraries are looked for, in order (then the loader's own search). */
export function libraryDirs(): string[] {
  const dirs = [process.env.TENSORRT_LIB_DIR, process.env.TENSORRT_ROOT && join(process.env.TENSORRT_ROOT, 'lib'), join(tensorrtCacheDir(), 'lib')];
  return dirs.filter((d): d is string => Boolean(d));
}

/** Where binding.gyp looks for TensorRT headers (native/tensorrt/find-headers.cjs, same order). */
export function headerDirs(): string[] {
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  const list = process.env.TENSORRT_ROOT ? [join(process.env.TENSORRT_ROOT, 'include')] : [];
  for (let dir = dirname(repo.replace(/\/$/, '')); ; dir = dirname(dir)) {
    list.push(join(dir, 'shared', 'tensorrt', 'include'));
    if (dirname(dir) === dir) break;
  }
  return list;
}

const INSTALL_HINT = 'run `npm run tensorrt` (fetches TensorRT 10.6 and the CUDA 12.6 runtime into ' +
  `${tensorrtCacheDir()} and rebuilds the addon), or point TENSORRT_ROOT (include/ + lib/) or TENSORRT_LIB_DIR at your own TensorRT 10`;

let loaded: { binding: TensorRtBinding; libraries: TrtLibraries } | undefined;

/**
 * The addon's TensorRT part with its libraries loaded (once). Throws Int8calError
 * TENSORRT_NOT_COMPILED (no headers at build time) or TENSORRT_MISSING (libraries not found),
 * saying where it looked and how to install.
 */
export function loadTensorRt(): { binding: TensorRtBinding; libraries: TrtLibraries } {
  if (loaded) return loaded;
  const binding = loadNative().tensorrt as TensorRtBinding | undefined;
  if (!binding) {
    const found = headerDirs().filter((d) => existsSync(join(d, 'NvInfer.h')));
    const cuda = existsSync(join(tensorrtCacheDir(), 'include', 'cuda_runtime_api.h'));
    throw new Int8calError('TENSORRT_NOT_COMPILED',
      'The native addon was built without its TensorRT part: ' +
      (found.length ? `TensorRT headers found in ${found[0]} but ` : `no TensorRT headers (NvInfer.h) in ${headerDirs().join(', ')}; `) +
      (cuda ? 'the addon predates them' : `no CUDA headers (cuda_runtime_api.h) in ${join(tensorrtCacheDir(), 'include')}, $CUDA_INCLUDE_DIR or /usr/local/cuda/include`),
      { hint: INSTALL_HINT });
  }
  try {
    loaded = { binding, libraries: binding.load(libraryDirs()) };
    return loaded;
  } catch (error) {
    const e = error as Error & { code?: string };
    throw new Int8calError(e.code === 'TRT_VERSION' ? 'TENSORRT_VERSION' : 'TENSORRT_MISSING', `TensorRT libraries: ${e.message}`, { hint: INSTALL_HINT }, { cause: error });
  }
}

/** The version of TensorRT loaded so far in this process, if any. */
export function loadedTensorRtVersion(): string | undefined {
  return loaded?.libraries.version;
}

/** The GPU TensorRT will use; throws Int8calError TENSORRT_NO_GPU ("TensorRT needs an NVIDIA GPU and driver: …"). */
export function requireGpu(): TrtGpu {
  const { binding } = loadTensorRt();
  try {
    return binding.gpu();
  } catch (error) {
    throw translateTrtError(error);
  }
}

/** A native TensorRT error (with `code` TRT_*) as the user-facing Int8calError. */
export function translateTrtError(error: unknown, file?: string): Int8calError {
  const e = error as Error & { code?: string; errors?: string[] };
  const detail = e.errors?.length ? `\n  TensorRT said: ${e.errors.slice(-3).join('\n  ')}` : '';
  switch (e.code) {
    case 'TRT_NO_GPU':
      return new Int8calError('TENSORRT_NO_GPU', e.message, { hint: 'run on a machine with an NVIDIA GPU and its driver (nvidia-smi must work); ONNX Runtime on CPU (the default engine) needs neither' }, { cause: error });
    case 'TRT_PARSE':
      return new Int8calError('TENSORRT_PARSE', e.message, { file, hint: 'the model uses something TensorRT 10.6\'s ONNX parser does not support' }, { cause: error });
    case 'TRT_CANCELLED':
      return new Int8calError('CANCELLED', e.message, {}, { cause: error });
    case 'TRT_CALIBRATION':
      return new Int8calError('TENSORRT_CALIBRATION', e.message + detail, { file, hint: 'the calibration images could not be supplied; see the message' }, { cause: error });
    default:
      return new Int8calError('TENSORRT_FAILED', `${e.message ?? String(error)}${detail}`, { file, hint: 'see TensorRT\'s messages; --trt-optimization-level 0 builds faster and simpler engines' }, { cause: error });
  }
}
