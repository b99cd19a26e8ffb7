/**
 * The only module that loads the native addon (build/Release/int8cal_native.node). It declares
 * exactly what the addon exports (`NativeBinding`), validates every argument before a native
 * call, and offers the friendly API the rest of int8cal uses: `Histogram`, `accumulateMany`,
 * `computeAmax`.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Int8calError, InternalError, invalidParameter } from './errors.js';

export type HistogramMode = 'exact' | 'trt';
export type ThresholdMethod = 'entropy' | 'percentile' | 'mse';

export const HISTOGRAM_MODES: readonly HistogramMode[] = ['exact', 'trt'];
export const THRESHOLD_METHODS: readonly ThresholdMethod[] = ['entropy', 'percentile', 'mse'];
/** Bins of the linear histogram the thresholds are computed on (TensorRT's 2048). */
export const DEFAULT_LINEAR_BINS = 2048;
/** Largest linear histogram `linear()` produces. */
export const MAX_LINEAR_BINS = 1 << 24;

/** Exact statistics of everything a histogram has seen (counts are exact below 2^53). */
export interface HistogramStats {
  readonly mode: HistogramMode;
  /** Every value seen, including NaN and ±Inf. */
  readonly count: number;
  readonly nanCount: number;
  readonly infCount: number;
  /** Exact zeros (±0). */
  readonly zeroCount: number;
  /** Exact max |x| over finite values (0 if none). */
  readonly absmax: number;
  /**
   * Signed range of the finite values, widened to include 0: −(max |x| over negative values)
   * and max over positive values. Histograms written before int8cal tracked signs (blob
   * version 1) report −absmax and absmax.
   */
  readonly min: number;
  readonly max: number;
  /** The amax `linear()` uses by default: absmax (exact mode) or the grown range (trt mode). */
  readonly range: number;
}

/** A threshold: `amax`, and the bin it came from (see computeAmax). */
export interface AmaxResult {
  readonly amax: number;
  readonly bin: number;
}

/** quantizationErrors' result: mean squared error per candidate, and the signal's mean square. */
export interface QuantizationErrors {
  readonly mse: Float64Array;
  readonly meanSquare: number;
}

/** One native histogram object, exactly as the addon exposes it. */
export interface NativeHistogram {
  readonly mode: HistogramMode;
  /** Folds the values in on a worker thread; keeps `values` alive until it resolves. */
  accumulate(values: Float32Array): Promise<void>;
  stats(): HistogramStats;
  /** `bins` linear bins over [0, amax] (default amax: stats().range); above amax → last bin. */
  linear(bins: number, amax?: number): Float64Array;
  serialize(): Uint8Array;
  /** Adds another exact histogram's counts and statistics (both idle). */
  merge(other: NativeHistogram): void;
}

/** x86 features as cpuid and the OS report them (wide registers count only when the OS saves them). */
export interface CpuFeatures {
  readonly x86: boolean;
  readonly avx2: boolean;
  readonly avxVnni: boolean;
  /** AVX-512 F, DQ, CD, BW and VL. */
  readonly avx512Core: boolean;
  readonly avx512Vnni: boolean;
}

/** Exactly what build/Release/int8cal_native.node exports. */
export interface NativeBinding {
  Histogram: new (mode: HistogramMode) => NativeHistogram;
  /** Throws Error('corrupt histogram: …') on truncated, malformed or inconsistent bytes. */
  deserializeHistogram(bytes: Uint8Array): NativeHistogram;
  /** Folds every pair in one worker, in order. */
  accumulateMany(pairs: Array<[NativeHistogram, Float32Array]>): Promise<void>;
  computeAmax(counts: Float64Array, amax: number, method: ThresholdMethod, param: number): Promise<AmaxResult>;
  /** Expected int8 error of each candidate amax on a linear histogram over [0, range], on a worker. */
  quantizationErrors(counts: Float64Array, range: number, amaxes: Float64Array): Promise<QuantizationErrors>;
  /** Same search on the calling thread (entropy < 1 ms, MSE a few ms on 2048 bins). */
  computeAmaxSync(counts: Float64Array, amax: number, method: ThresholdMethod, param: number): AmaxResult;
  /** Detaches the ArrayBuffers of whole-buffer typed arrays, freeing them now; returns the bytes released. */
  releaseArrays(arrays: ArrayBufferView[]): number;
  /** This CPU's x86 features that pick ONNX Runtime's int8 kernels (all false off x86). */
  cpuFeatures(): CpuFeatures;
  /** Present when the addon was compiled with its TensorRT part (see src/core/tensorrt.ts). */
  readonly tensorrt?: unknown;
  readonly constants: {
    readonly blobVersion: number;
    readonly subBinBits: number;
    readonly trtBins: number;
    readonly startBin: number;
  };
}

const addonCandidates = ['build/Release/int8cal_native.node', 'build/Debug/int8cal_native.node'];
let binding: NativeBinding | undefined;

/** Loads the addon once; throws Int8calError NATIVE_NOT_BUILT listing every load error. */
export function loadNative(): NativeBinding {
  if (binding) return binding;
  // This file compiles to dist/src/native.js: the repository root is two levels up.
  const root = new URL('../../../', import.meta.url);
  const require = createRequire(import.meta.url);
  const errors: string[] = [];
  for (const candidate of addonCandidates) {
    const path = fileURLToPath(new URL(candidate, root));
    try {
      const loaded = require(path) as NativeBinding;
      if (typeof loaded.Histogram !== 'function' || typeof loaded.computeAmax !== 'function') {
        throw new InternalError(`${path} does not export the expected functions`);
      }
      binding = loaded;
      return loaded;
    } catch (error) {
      if (error instanceof InternalError) throw error;
      errors.push(`  ${path}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new Int8calError(
    'NATIVE_NOT_BUILT',
    `The native addon int8cal_native.node is not built or could not be loaded:\n${errors.join('\n')}`,
    {
      file: fileURLToPath(new URL(addonCandidates[0]!, root)),
      hint: 'run `npm ci` (it builds the addon with node-gyp), or rebuild only the addon with ' +
        '`npm run install` or `npx node-gyp rebuild`; a C++17 compiler, make and python3 are needed',
    },
  );
}

/** Adds the JavaScript stack of the call site to an error raised later by native code. */
function withCallerStack(error: unknown, caller: Error): unknown {
  if (error instanceof Error && caller.stack) {
    error.stack = `${error.name}: ${error.message}\n${caller.stack.split('\n').slice(1).join('\n')}`;
  }
  return error;
}

function checkFloat32Array(name: string, value: unknown): asserts value is Float32Array {
  if (!(value instanceof Float32Array)) throw invalidParameter(name, 'a Float32Array', value);
}

function checkMode(value: unknown): asserts value is HistogramMode {
  if (!HISTOGRAM_MODES.includes(value as HistogramMode)) {
    throw invalidParameter('mode', `one of ${HISTOGRAM_MODES.map((m) => `"${m}"`).join(', ')}`, value);
  }
}

function checkAmax(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalidParameter(name, 'a finite number >= 0', value);
  }
}

/**
 * A histogram of |x| over all the values of one tensor. "exact" (default): order-independent,
 * binned by float32 bits; "trt": TensorRT's 2048 bins whose range doubles as batches grow.
 * Async work on one histogram runs in call order; reading it (stats, linear, serialize) while
 * an accumulate is pending throws HISTOGRAM_BUSY — await the accumulate first.
 */
export class Histogram {
  private native: NativeHistogram;
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(mode: HistogramMode = 'exact') {
    checkMode(mode);
    this.native = new (loadNative().Histogram)(mode);
  }

  /** Rebuilds a histogram from serialize()'s bytes; HISTOGRAM_CORRUPT if they are damaged. */
  static deserialize(bytes: Uint8Array): Histogram {
    if (!(bytes instanceof Uint8Array)) throw invalidParameter('bytes', 'a Uint8Array', bytes);
    let restored: NativeHistogram;
    try {
      restored = loadNative().deserializeHistogram(bytes);
    } catch (error) {
      throw new Int8calError('HISTOGRAM_CORRUPT', (error as Error).message, {}, { cause: error });
    }
    const histogram = new Histogram(restored.mode);
    histogram.native = restored;
    return histogram;
  }

  get mode(): HistogramMode {
    return this.native.mode;
  }

  /** True while an accumulate on this histogram has not settled. */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** Folds `values` in on a worker thread. In trt mode, one call is one batch. */
  accumulate(values: Float32Array): Promise<void> {
    checkFloat32Array('values', values);
    const caller = new Error();
    return Histogram.schedule([this], () => this.native.accumulate(values), caller);
  }

  stats(): HistogramStats {
    this.checkIdle('stats');
    return this.native.stats();
  }

  /**
   * `bins` linear bins over [0, amax] (default: stats().range). Exact mode spreads each sub-bin
   * over the bins its interval covers; counts above amax go to the last bin. Runs on the
   * calling thread: O(used sub-bins + bins), well under a millisecond for typical tensors.
   */
  linear(bins: number = DEFAULT_LINEAR_BINS, amax?: number): Float64Array {
    if (!Number.isInteger(bins) || bins < 1 || bins > MAX_LINEAR_BINS) {
      throw invalidParameter('bins', `an integer between 1 and ${MAX_LINEAR_BINS}`, bins);
    }
    if (amax !== undefined) checkAmax('amax', amax);
    this.checkIdle('linear');
    return this.native.linear(bins, amax);
  }

  /** Versioned bytes; equal histograms (whatever the accumulation order) give equal bytes. */
  serialize(): Uint8Array {
    this.checkIdle('serialize');
    return this.native.serialize();
  }

  /**
   * Adds `other`'s counts and statistics: exact histograms are sums, so the histograms of
   * disjoint parts of the data merge into the histogram of all of it, byte for byte. TensorRT
   * mode depends on the batch order and can't be merged (HISTOGRAM_NOT_MERGEABLE).
   */
  merge(other: Histogram): void {
    if (!(other instanceof Histogram)) throw invalidParameter('other', 'a Histogram', other);
    if (other === this) throw invalidParameter('other', 'another histogram', other);
    if (this.mode !== 'exact' || other.mode !== 'exact') {
      throw new Int8calError('HISTOGRAM_NOT_MERGEABLE', `Only exact histograms can be merged (got "${this.mode}" and "${other.mode}")`, {
        hint: 'TensorRT-mode histograms depend on the batch order: calibrate with --histogram exact to merge',
      });
    }
    this.checkIdle('merge');
    other.checkIdle('merge');
    this.native.merge(other.native);
  }

  private checkIdle(method: string): void {
    if (this.pending > 0) {
      throw new Int8calError('HISTOGRAM_BUSY', `Histogram.${method}() called while an accumulate is still running`, {
        hint: 'await accumulate() / accumulateMany() before reading the histogram',
      });
    }
  }

  /**
   * Folds one batch: every (histogram, values) pair, in order, in ONE worker. A histogram may
   * appear several times. Resolves when all are folded.
   */
  static accumulateMany(pairs: Iterable<readonly [Histogram, Float32Array]>): Promise<void> {
    if (pairs === null || typeof (pairs as Iterable<unknown> | undefined)?.[Symbol.iterator] !== 'function') {
      throw invalidParameter('pairs', 'an iterable of [Histogram, Float32Array]', pairs);
    }
    const list = [...pairs];
    list.forEach((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2 || !(pair[0] instanceof Histogram)) {
        throw invalidParameter(`pairs[${i}]`, 'a [Histogram, Float32Array] pair', pair);
      }
      checkFloat32Array(`pairs[${i}][1]`, pair[1]);
    });
    const caller = new Error();
    return Histogram.schedule(list.map(([h]) => h), () => {
      // Read the natives when the job starts, after the earlier jobs on these histograms.
      const natives = list.map(([h, values]): [NativeHistogram, Float32Array] => [h.native, values]);
      return loadNative().accumulateMany(natives);
    }, caller);
  }

  /** Runs `work` after every earlier job on these histograms, marking them busy meanwhile. */
  private static schedule(histograms: readonly Histogram[], work: () => Promise<void>, caller: Error): Promise<void> {
    const unique = [...new Set(histograms)];
    const earlier = Promise.all(unique.map((h) => h.tail));
    for (const h of unique) h.pending += 1;
    const release = (): void => {
      for (const h of unique) h.pending -= 1;
    };
    // Released before `done` settles, so code awaiting it can read the histogram at once.
    const done = earlier.then(work).then(release, (error: unknown) => {
      release();
      throw withCallerStack(error, caller);
    });
    const settled = done.catch(() => undefined);
    for (const h of unique) h.tail = settled;
    return done;
  }
}

/**
 * Frees typed arrays nobody reads any more at once (their ArrayBuffers are detached: every view
 * of them becomes empty) instead of when the garbage collector gets to them. Views of part of a
 * buffer are left alone. Returns the bytes released.
 */
export function releaseArrays(arrays: readonly ArrayBufferView[]): number {
  return loadNative().releaseArrays([...arrays]);
}

/** See Histogram.accumulateMany: folds one batch of (histogram, values) pairs in one worker. */
export function accumulateMany(pairs: Iterable<readonly [Histogram, Float32Array]>): Promise<void> {
  return Histogram.accumulateMany(pairs);
}

function checkThresholdArgs(counts: unknown, amax: unknown, method: unknown, param: unknown): number {
  if (!(counts instanceof Float64Array)) throw invalidParameter('counts', 'a Float64Array', counts);
  checkAmax('amax', amax);
  if (!THRESHOLD_METHODS.includes(method as ThresholdMethod)) {
    throw invalidParameter('method', `one of ${THRESHOLD_METHODS.map((m) => `"${m}"`).join(', ')}`, method);
  }
  const startBin = startBinOf();
  const minBins = method === 'entropy' ? startBin : method === 'mse' ? startBin + 1 : 1;
  if (counts.length < minBins) {
    throw invalidParameter('counts', `a Float64Array of at least ${minBins} bins for ${String(method)}`, `length ${counts.length}`);
  }
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (!(c >= 0) || c === Infinity) throw invalidParameter(`counts[${i}]`, 'a finite count >= 0', c);
  }
  if (method === 'percentile') {
    if (typeof param !== 'number' || !(param > 0 && param <= 100)) {
      throw invalidParameter('percentile', 'a number in (0, 100]', param);
    }
    return param;
  }
  if (param !== undefined) throw invalidParameter('param', `nothing for ${String(method)}`, param);
  return 0;
}

/**
 * The threshold for a linear histogram `counts` of |x| over [0, amax] (bin width
 * w = amax / counts.length), searched on a worker thread:
 * - entropy: EntropyCalibration2 as NVIDIA's reference; `bin` = bins kept, amax = bin·w;
 * - percentile (`param` = percentile in (0, 100]): `bin` = first index with cdf ≥ p/100,
 *   amax = bin·w;
 * - mse: `bin` = index of the chosen bin centre, amax = (bin + 0.5)·w.
 */
export function computeAmax(counts: Float64Array, amax: number, method: ThresholdMethod, param?: number): Promise<AmaxResult> {
  const checked = checkThresholdArgs(counts, amax, method, param);
  const caller = new Error();
  return loadNative()
    .computeAmax(counts, amax, method, checked)
    .catch((error: unknown) => {
      throw withCallerStack(error, caller);
    });
}

/** computeAmax on the calling thread: for tests, benchmarks and one-off small histograms. */
export function computeAmaxSync(counts: Float64Array, amax: number, method: ThresholdMethod, param?: number): AmaxResult {
  const checked = checkThresholdArgs(counts, amax, method, param);
  return loadNative().computeAmaxSync(counts, amax, method, checked);
}

/**
 * The expected symmetric-int8 quantization error (mean of (fq(x) − x)²) of each candidate amax,
 * for a linear histogram `counts` of |x| over [0, range] (values taken as uniform within a bin),
 * and the signal's mean square, on a worker thread. SQNR = meanSquare / mse.
 */
export function quantizationErrors(counts: Float64Array, range: number, amaxes: readonly number[]): Promise<QuantizationErrors> {
  if (!(counts instanceof Float64Array) || counts.length === 0) throw invalidParameter('counts', 'a non-empty Float64Array', counts);
  checkAmax('range', range);
  amaxes.forEach((a, i) => checkAmax(`amaxes[${i}]`, a));
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (!(c >= 0) || c === Infinity) throw invalidParameter(`counts[${i}]`, 'a finite count >= 0', c);
  }
  const caller = new Error();
  return loadNative()
    .quantizationErrors(counts, range, Float64Array.from(amaxes))
    .catch((error: unknown) => {
      throw withCallerStack(error, caller);
    });
}

/** Version of the native histogram blob layout this build writes (and the newest it reads). */
export function histogramBlobVersion(): number {
  return loadNative().constants.blobVersion;
}

/** Sub-bins per octave of the exact histogram, as a power of two (12 → 4096). */
export function exactSubBinBits(): number {
  return loadNative().constants.subBinBits;
}

/** First candidate of the entropy and MSE searches (NVIDIA's start_bin), as the addon defines it. */
export function startBinOf(): number {
  return loadNative().constants.startBin;
}

export function cpuFeatures(): CpuFeatures {
  return loadNative().cpuFeatures();
}
