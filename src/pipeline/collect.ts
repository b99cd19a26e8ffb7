import type { Calibrator } from './calibrator.js';
import { Int8calError } from '../core/errors.js';
import type { Engine, Feeds, HostTensor } from '../engines/engine.js';
import { createEngine } from '../engines/registry.js';
import { withExtraOutputs } from '../onnx/graph.js';
import { encodeModel } from '../onnx/model-file.js';
import type { ModelProto } from '../onnx/proto.js';
import { accumulateMany, Histogram, releaseArrays, type HistogramMode } from '../core/native.js';
import type { ProgressCallback } from '../core/progress.js';
import { planCollection, type CollectPlan } from './collect-plan.js';
import { downscaledImage, probeAreaFactor } from './collect-probe.js';
import { permutationAliases } from './tensor-aliases.js';
import type { MemoryEstimate } from './memory-estimate.js';

/**
 * Level `all` (ORT's NCHWc kernels on x86) measured batch-invariant on the sample models: an
 * image's activations are bit-identical whatever batch it is in, so the cache doesn't depend
 * on --batch-size. At `basic`, 59 of 328 PaddleOCR tensors differed by up to 1.5e-4 between
 * batch 1 and 3 — and `all` is also ~1.8x faster.
 */
const CALIBRATION_REWRITES = 'full';

/**
 * Activations gathered before they are histogrammed, when the budget has room: each histogram's
 * counting table (about 1 MiB over the octaves a tensor spans) is then warm for several runs'
 * values instead of cold for every run. fr_detect (25 MiB a run, measured on its real
 * activations): 4 runs folded together 68–87 ms, one by one 98–131 ms.
 */
const FOLD_TARGET = 128 * 1024 ** 2;

export interface CollectOptions {
  model: ModelProto;
  /** Tensors to histogram, in order: graph inputs are read from the feeds, the rest requested from the engine. */
  tensors: readonly string[];
  inputs: readonly string[];
  /** Supplies the batches; rewound for every pass. */
  calibrator: Calibrator;
  mode: HistogramMode;
  threads: number;
  /** Bytes of requested activations held at once: above it batches are chunked or tensors split into passes. */
  maxActivationMemory: number;
  /** One image's activation sizes from the model's shapes (memory-estimate.ts): plans without a probe run when it knows every tensor. */
  estimate?: MemoryEstimate;
  /** Images in one pass, for the progress total. */
  images: number;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** Filled in with where the time went (bench/calibrate.ts reads it). */
  timing?: CollectTiming;
  /**
   * Called after each engine run with its images, outside the timed parts (the benchmark times
   * the plain model there). Its histograms are finished first, so nothing overlaps it.
   */
  onRun?: (feeds: Feeds) => Promise<void>;
}

/** Milliseconds spent, summed over the passes. */
export interface CollectTiming {
  /** Creating the sessions that return every activation. */
  sessionMs: number;
  /** The first run on the probe image(s), which measures the activations, and its histograms. */
  probeMs: number;
  /** Waiting for the calibrator's next batch (decoding images). */
  waitMs: number;
  /** Engine runs returning every activation (after the probe). */
  runMs: number;
  /** Waiting for native histogramming that did not overlap the next run. */
  histogramMs: number;
  runs: number;
  /** Images of the probe run (not in runMs). */
  probedImages: number;
  /** Activation bytes histogrammed after the probe (graph inputs included). */
  activationBytes: number;
  /** Tensors copied from the one they rearrange (Reshape, Transpose…) instead of fetched. */
  aliased: number;
  /** Whether histogramming of one run overlapped the next run. */
  overlapped: boolean;
  /** Engine runs whose activations are histogrammed together (one native call, each histogram's values back to back). */
  runsPerFold: number;
}

export const emptyTiming = (): CollectTiming => ({ sessionMs: 0, probeMs: 0, waitMs: 0, runMs: 0, histogramMs: 0, runs: 0, probedImages: 0, activationBytes: 0, aliased: 0, overlapped: false, runsPerFold: 1 });

export interface Collected {
  histograms: Map<string, Histogram>;
  passes: number;
  /** Batches fed per pass. */
  batches: number;
  /** Images per engine run: the batch size unless `maxActivationMemory` chunked the batches. */
  chunk: number;
}

/**
 * Streams the calibrator's batches through the model and folds every requested activation
 * into its histogram, chunk by chunk: activations are dropped once counted, so memory stays
 * within `maxActivationMemory` (see planCollection) — except the first run, which measures
 * them with every tensor on one image (a fixed batch: the whole batch). A tensor that only
 * rearranges another's values (Reshape, Transpose…) is not fetched: it gets a copy of that
 * tensor's histogram. While one run's activations are histogrammed off the JS thread, the
 * next run starts, when two runs' activations fit the budget.
 */
export async function collectHistograms(options: CollectOptions): Promise<Collected> {
  const timing = options.timing ?? emptyTiming();
  const aliases = permutationAliases(options.model, options.tensors);
  const counted = options.tensors.filter((t) => !aliases.has(t));
  const histograms = new Map(options.tensors.map((t) => [t, new Histogram(options.mode)]));
  const inputSet = new Set(options.inputs);
  const requested = counted.filter((t) => !inputSet.has(t));
  let feeds = await options.calibrator.getBatch(options.inputs);
  if (!feeds) throw new Int8calError('NO_IMAGES', 'The calibration data yielded no batch', { hint: 'check --data and --max-images' });
  const collector = new Collector(options, histograms, timing);
  let engine = await collector.createEngine(requested);
  try {
    const { plan, skip } = await collector.probe(engine, feeds, requested);
    let batches = 0;
    for (const [pass, group] of plan.groups.entries()) {
      if (plan.groups.length > 1) {
        await engine.dispose();
        engine = await collector.createEngine(group);
      }
      if (pass > 0) {
        options.calibrator.rewind();
        feeds = await options.calibrator.getBatch(options.inputs);
      }
      batches = await collector.pass(engine, feeds, group, pass, plan, skip);
    }
    for (const [alias, root] of aliases) histograms.set(alias, Histogram.deserialize(histograms.get(root)!.serialize()));
    timing.aliased += aliases.size;
    return { histograms, passes: plan.groups.length, batches, chunk: plan.chunk };
  } finally {
    await collector.settle().catch(() => undefined);
    await engine.dispose();
  }
}

/** The state of one collection: histograms, the fold in flight, timings. */
class Collector {
  #inFlight: { folding: Promise<void>; outputs: Float32Array[] } | undefined;
  /** Runs done but not yet histogrammed (at most #foldRuns). */
  #pending: { feeds: Feeds; outputs: Record<string, HostTensor> }[] = [];
  #foldRuns = 1;
  #overlap = false;
  /** ORT's arena, off once a run's activations are a large part of the budget (it keeps their peak). */
  #arena = true;

  constructor(private readonly options: CollectOptions, private readonly histograms: Map<string, Histogram>, private readonly timing: CollectTiming) {}

  async createEngine(outputs: string[]): Promise<Engine> {
    const start = performance.now();
    // Idle ORT threads sleep instead of spinning: the histogram workers need those cores
    // between runs (fr_detect, every activation out: 23 vs 34 ms a run, measured interleaved).
    const engine = await createEngine('onnxruntime', encodeModel(withExtraOutputs(this.options.model, outputs)), {
      threads: this.options.threads, rewrites: CALIBRATION_REWRITES, sharedCores: true, memoryArena: this.#arena,
    });
    this.timing.sessionMs += performance.now() - start;
    return engine;
  }

  /**
   * Measures one image's activation sizes and plans from them. Usually a run of every tensor on
   * the first image(s), whose histograms count (`skip`: images of the first batch done). When a
   * run at 1/16 of the pixels (dynamic height/width) says one image's activations alone would
   * take more than half the budget, the plan comes from that estimate and no full run of every
   * tensor is made: it alone would exceed --max-activation-memory (1024×1024 segmentation: 5.6 GiB).
   */
  async probe(engine: Engine, feeds: Feeds, requested: string[]): Promise<{ plan: CollectPlan; skip: number }> {
    const start = performance.now();
    const batch = imageCount(feeds);
    const dynamic = engine.inputs.every((i) => typeof i.dims[0] !== 'number');
    const chunkable = dynamic && this.options.mode === 'exact';
    const budget = this.options.maxActivationMemory;
    const known = this.options.estimate;
    if (known && requested.every((n) => known.tensorBytes.has(n))) {
      // Shapes say it all: no probe run (its images are counted by the pass like any other).
      const perImage = requested.map((n) => known.tensorBytes.get(n)! / (dynamic ? 1 : batch));
      const plan = planCollection(requested, perImage, { batch, budget, chunkable, transient: known.peak / (dynamic ? 1 : batch) });
      this.#planned(plan, requested, perImage, start, 0);
      return { plan, skip: 0 };
    }
    const estimate = await this.#estimate(engine, feeds, requested);
    if (estimate && estimate.reduce((a, b) => a + b, 0) * (dynamic ? 1 : batch) > budget / 2) {
      const plan = planCollection(requested, estimate, { batch, budget, chunkable });
      this.#planned(plan, requested, estimate, start, 0);
      return { plan, skip: 0 };
    }
    const probed = dynamic ? 1 : batch;
    const probe = sliceImages(feeds, 0, probed);
    const outputs = await engine.run(probe, requested);
    const perImage = requested.map((n) => outputs[n]!.data.byteLength / probed);
    const plan = planCollection(requested, perImage, { batch, budget, chunkable });
    // Its outputs count, unless trt mode probed part of a batch (its range growth depends on the batch).
    const skip = this.options.mode === 'exact' || probed === batch ? probed : 0;
    const counted = this.timing.activationBytes;
    if (skip) {
      this.#inFlight = this.fold([{ feeds: probe, outputs }], requested, true);
      await this.settle();
    }
    this.timing.activationBytes = counted; // the probe is timed as a whole
    this.#planned(plan, requested, perImage, start, probed);
    return { plan, skip };
  }

  /** Bytes per image per tensor from a downscaled run, scaled up (undefined: no estimate). */
  async #estimate(engine: Engine, feeds: Feeds, requested: string[]): Promise<number[] | undefined> {
    const small = downscaledImage(sliceImages(feeds, 0, 1), engine.inputs);
    if (!small) return undefined;
    try {
      const outputs = await engine.run(small, requested);
      const factor = probeAreaFactor(engine.inputs);
      return requested.map((n) => outputs[n]!.data.byteLength * factor);
    } catch {
      return undefined; // a model that can't run smaller images: the full probe measures
    }
  }

  #planned(plan: CollectPlan, requested: string[], perImage: number[], start: number, probed: number): void {
    const runBytes = Math.max(...plan.groups.map((g) => g.reduce((sum, n) => sum + perImage[requested.indexOf(n)]!, 0))) * plan.chunk;
    const transient = (this.options.estimate?.peak ?? 0) * plan.chunk;
    // A run holds its outputs twice at its end (ONNX Runtime's and their JavaScript copies); while
    // the next run runs, the last one's copies wait for their histograms (the fold completes on
    // the JS thread, which ONNX Runtime's run blocks): overlapping holds three copies at once.
    this.#overlap = 3 * runBytes + transient <= this.options.maxActivationMemory;
    this.#arena = 4 * runBytes <= this.options.maxActivationMemory;
    // During a run: its two copies, up to k − 1 runs waiting for their fold and, overlapping, a fold of k runs in flight.
    const runs = (this.options.maxActivationMemory - transient) / Math.max(runBytes, 1) - 1;
    const room = Math.floor(this.#overlap ? (runs + 1) / 2 - 1 : runs);
    this.#foldRuns = Math.max(1, Math.min(Math.floor(FOLD_TARGET / Math.max(runBytes, 1)), room));
    this.timing.overlapped = this.#overlap;
    this.timing.runsPerFold = this.#foldRuns;
    this.timing.probeMs += performance.now() - start;
    this.timing.probedImages = probed;
  }

  /** One pass over the images with the tensors of `group`; returns the batches fed. */
  async pass(engine: Engine, first: Feeds | null, group: string[], pass: number, plan: CollectPlan, skip: number): Promise<number> {
    const { options, timing } = this;
    const stage = plan.groups.length > 1 ? `calibrate (pass ${pass + 1}/${plan.groups.length})` : 'calibrate';
    let batches = 0;
    let done = skip;
    for (let feeds = first; feeds; feeds = await this.#nextBatch()) {
      const n = imageCount(feeds);
      for (let i = batches === 0 ? skip : 0; i < n; i += plan.chunk) {
        options.signal?.throwIfAborted();
        const chunk = sliceImages(feeds, i, Math.min(i + plan.chunk, n));
        const start = performance.now();
        const outputs = await engine.run(chunk, group);
        timing.runMs += performance.now() - start;
        timing.runs += 1;
        this.#pending.push({ feeds: chunk, outputs });
        if (this.#pending.length >= this.#foldRuns) await this.#flush(group, pass === 0);
        await options.onRun?.(chunk);
        done += imageCount(chunk);
        options.onProgress?.({ stage, done, total: options.images, unit: 'images' });
      }
      batches += 1;
    }
    await this.#flush(group, pass === 0);
    await this.settle();
    return batches;
  }

  /** Starts histogramming the pending runs once the fold before them is done (and waits for it unless they may overlap the next run). */
  async #flush(group: string[], withInputs: boolean): Promise<void> {
    if (!this.#pending.length) return;
    await this.settle();
    const runs = this.#pending;
    this.#pending = [];
    this.#inFlight = this.fold(runs, group, withInputs);
    if (!this.#overlap || this.options.onRun) await this.settle();
  }

  /**
   * Waits for the fold in flight (rethrowing its error), then frees its activations at once:
   * left to the garbage collector, a run's copies (hundreds of MiB on a 1024×1024 model) were
   * still resident when the next run allocated as much again.
   */
  async settle(): Promise<void> {
    const inFlight = this.#inFlight;
    if (!inFlight) return;
    this.#inFlight = undefined;
    const start = performance.now();
    try {
      await inFlight.folding;
    } finally {
      releaseArrays(inFlight.outputs);
      this.timing.histogramMs += performance.now() - start;
    }
  }

  async #nextBatch(): Promise<Feeds | null> {
    const start = performance.now();
    const feeds = await this.options.calibrator.getBatch(this.options.inputs);
    this.timing.waitMs += performance.now() - start;
    return feeds;
  }

  /**
   * Starts folding runs' activations (and the images, `withInputs`) into their histograms, in one
   * native call: each histogram gets its values in run order (the TensorRT-mode histogram depends on it).
   */
  fold(runs: readonly { feeds: Feeds; outputs: Record<string, HostTensor> }[], names: readonly string[], withInputs: boolean): { folding: Promise<void>; outputs: Float32Array[] } {
    const inputs = withInputs ? this.options.inputs.filter((n) => this.histograms.has(n)) : [];
    const fetched: Float32Array[] = [];
    const pairs: [Histogram, Float32Array][] = [];
    for (const { feeds, outputs } of runs) {
      for (const n of inputs) pairs.push([this.histograms.get(n)!, asFloat32(feeds[n]!, n)]);
      for (const n of names) {
        const data = asFloat32(outputs[n]!, n);
        fetched.push(data);
        pairs.push([this.histograms.get(n)!, data]);
      }
    }
    this.timing.activationBytes += pairs.reduce((sum, [, d]) => sum + d.byteLength, 0);
    const folding = accumulateMany(pairs);
    folding.catch(() => undefined); // observed by settle()
    return { folding, outputs: fetched };
  }
}

const imageCount = (feeds: Feeds): number => Object.values(feeds)[0]?.dims[0] ?? 1;

/** Images [from, to) of a batch, as views (no copy); the batch itself when that is all of it. */
function sliceImages(batch: Feeds, from: number, to: number): Feeds {
  const n = imageCount(batch);
  if (from === 0 && to === n) return batch;
  const feeds: Feeds = {};
  for (const [name, t] of Object.entries(batch)) {
    const per = t.data.length / n;
    feeds[name] = { ...t, data: t.data.subarray(from * per, to * per) as HostTensor['data'], dims: [to - from, ...t.dims.slice(1)] };
  }
  return feeds;
}

function asFloat32(tensor: HostTensor, name: string): Float32Array {
  if (tensor.data instanceof Float32Array) return tensor.data;
  throw new Int8calError('CALIBRATION_TENSOR_TYPE', `Tensor ${name} is ${tensor.type}, not float32`, { tensor: name });
}
