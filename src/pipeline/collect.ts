import type { BatchSource, Calibrator } from '../../calibrators/calibrator.js';
import { Int8calError } from '../errors.js';
import type { Feeds, HostTensor } from '../engines/engine.js';
import { OnnxRuntimeEngine } from '../engines/onnxruntime.js';
import { withExtraOutputs } from '../onnx/graph.js';
import { encodeModel } from '../onnx/model-file.js';
import type { ModelProto } from '../onnx/proto.js';
import { accumulateMany, Histogram, type HistogramMode } from '../native.js';
import type { ProgressCallback } from '../progress.js';

/**
 * Level `all` (ORT's NCHWc kernels on x86) measured batch-invariant on the sample models: an
 * image's activations are bit-identical whatever batch it is in, so the cache doesn't depend
 * on --batch-size. At `basic`, 59 of 328 PaddleOCR tensors differed by up to 1.5e-4 between
 * batch 1 and 3 — and `all` is also ~1.8x faster.
 */
const CALIBRATION_OPTIMIZATION = 'all';

export interface CollectOptions {
  model: ModelProto;
  /** Tensors to histogram, in order: graph inputs are read from the feeds, the rest requested from the engine. */
  tensors: readonly string[];
  inputs: readonly string[];
  calibrator: Calibrator;
  /** The calibrator's batch source, rewound for every pass. */
  source: BatchSource;
  mode: HistogramMode;
  threads: number;
  /** Bytes of requested activations one batch may hold before tensors are split into passes. */
  maxActivationMemory: number;
  /** Images in one pass, for the progress total. */
  images: number;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface Collected {
  histograms: Map<string, Histogram>;
  passes: number;
  /** Batches fed per pass. */
  batches: number;
}

/**
 * Streams the calibrator's batches through the model and folds every requested activation
 * into its histogram, batch by batch: activations are dropped once counted, so memory is
 * one batch's activations — or less, when `maxActivationMemory` splits them into passes.
 */
export async function collectHistograms(options: CollectOptions): Promise<Collected> {
  const { tensors, inputs, calibrator } = options;
  const histograms = new Map(tensors.map((t) => [t, new Histogram(options.mode)]));
  const inputSet = new Set(inputs);
  const requested = tensors.filter((t) => !inputSet.has(t));
  const groups = await planPasses(options, requested);
  let batches = 0;
  for (const [pass, group] of groups.entries()) {
    const engine = await OnnxRuntimeEngine.create(encodeModel(withExtraOutputs(options.model, group)), { threads: options.threads, optimization: CALIBRATION_OPTIMIZATION });
    const stage = groups.length > 1 ? `calibrate (pass ${pass + 1}/${groups.length})` : 'calibrate';
    try {
      options.source.rewind();
      batches = 0;
      let images = 0;
      for (let feeds = await nextBatch(calibrator, inputs); feeds; feeds = await nextBatch(calibrator, inputs)) {
        options.signal?.throwIfAborted();
        const outputs = await engine.run(feeds, group);
        const pairs: [Histogram, Float32Array][] = group.map((name) => [histograms.get(name)!, asFloat32(outputs[name]!, name)]);
        if (pass === 0) pairs.unshift(...inputs.filter((n) => histograms.has(n)).map((n): [Histogram, Float32Array] => [histograms.get(n)!, asFloat32(feeds![n]!, n)]));
        await accumulateMany(pairs);
        batches += 1;
        images += feeds[inputs[0]!]!.dims[0] ?? 1;
        options.onProgress?.({ stage, done: images, total: options.images, unit: 'images' });
      }
    } finally {
      await engine.dispose();
    }
  }
  return { histograms, passes: groups.length, batches };
}

async function nextBatch(calibrator: Calibrator, inputs: readonly string[]): Promise<Feeds | null> {
  return calibrator.getBatch(inputs);
}

/**
 * Splits the requested tensors into groups whose activations for one batch fit the memory
 * budget, measured on a probe run of the first image (scaled to the batch: probing the whole
 * batch would itself hold every activation of it). One group = one pass over the images.
 */
async function planPasses(options: CollectOptions, requested: string[]): Promise<string[][]> {
  const { calibrator, inputs } = options;
  const probe = await calibrator.getBatch(inputs);
  if (!probe) {
    throw new Int8calError('NO_IMAGES', 'The calibration data yielded no batch', { hint: 'check --data and --max-images' });
  }
  const engine = await OnnxRuntimeEngine.create(encodeModel(withExtraOutputs(options.model, requested)), { threads: options.threads, optimization: CALIBRATION_OPTIMIZATION });
  let sizes: number[];
  try {
    const { feeds, scale } = firstImage(probe, engine.inputs);
    const outputs = await engine.run(feeds, requested);
    sizes = requested.map((name) => outputs[name]!.data.byteLength * scale);
  } finally {
    await engine.dispose();
  }
  return groupTensors(requested, sizes, options.maxActivationMemory);
}

/** Consecutive groups of tensors whose bytes stay within `budget` (a bigger tensor goes alone). */
export function groupTensors(names: readonly string[], sizes: readonly number[], budget: number): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  names.forEach((name, i) => {
    if (current.length && bytes + sizes[i]! > budget) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(name);
    bytes += sizes[i]!;
  });
  if (current.length || groups.length === 0) groups.push(current);
  return groups;
}

/** The batch's first image when the batch dimension is dynamic, and the factor back to the batch. */
function firstImage(batch: Feeds, inputs: readonly { name: string; dims: readonly unknown[] }[]): { feeds: Feeds; scale: number } {
  const dynamic = inputs.every((i) => typeof i.dims[0] !== 'number');
  const n = Object.values(batch)[0]?.dims[0] ?? 1;
  if (!dynamic || n <= 1) return { feeds: batch, scale: 1 };
  const feeds: Feeds = {};
  for (const [name, t] of Object.entries(batch)) {
    const per = t.data.length / n;
    feeds[name] = { ...t, data: t.data.slice(0, per) as HostTensor['data'], dims: [1, ...t.dims.slice(1)] };
  }
  return { feeds, scale: n };
}

function asFloat32(tensor: HostTensor, name: string): Float32Array {
  if (tensor.data instanceof Float32Array) return tensor.data;
  throw new Int8calError('CALIBRATION_TENSOR_TYPE', `Tensor ${name} is ${tensor.type}, not float32`, { tensor: name });
}
