import type { Calibrator } from './calibrator.js';
import { Int8calError } from '../core/errors.js';
import type { Feeds, HostTensor } from '../engines/engine.js';
import type { Engine } from '../engines/engine.js';
import { createEngine } from '../engines/registry.js';
import { withExtraOutputs } from '../onnx/graph.js';
import { encodeModel } from '../onnx/model-file.js';
import type { ModelProto } from '../onnx/proto.js';
import { accumulateMany, Histogram, type HistogramMode } from '../core/native.js';
import type { ProgressCallback } from '../core/progress.js';
import { planCollection } from './collect-plan.js';

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
  /** Supplies the batches; rewound for every pass. */
  calibrator: Calibrator;
  mode: HistogramMode;
  threads: number;
  /** Bytes of requested activations held at once: above it batches are chunked or tensors split into passes. */
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
  /** Images per engine run: the batch size unless `maxActivationMemory` chunked the batches. */
  chunk: number;
}

/**
 * Streams the calibrator's batches through the model and folds every requested activation
 * into its histogram, chunk by chunk: activations are dropped once counted, so memory stays
 * within `maxActivationMemory` (see planCollection) — except the first run, which measures
 * them with every tensor on one image (a fixed batch: the whole batch).
 */
export async function collectHistograms(options: CollectOptions): Promise<Collected> {
  const { tensors, inputs, calibrator } = options;
  const histograms = new Map(tensors.map((t) => [t, new Histogram(options.mode)]));
  const inputSet = new Set(inputs);
  const requested = tensors.filter((t) => !inputSet.has(t));
  const fold = (feeds: Feeds, outputs: Record<string, HostTensor>, names: readonly string[], withInputs: boolean) => accumulateMany([
    ...(withInputs ? inputs.filter((n) => histograms.has(n)).map((n): [Histogram, Float32Array] => [histograms.get(n)!, asFloat32(feeds[n]!, n)]) : []),
    ...names.map((n): [Histogram, Float32Array] => [histograms.get(n)!, asFloat32(outputs[n]!, n)]),
  ]);
  let feeds = await calibrator.getBatch(inputs);
  if (!feeds) throw new Int8calError('NO_IMAGES', 'The calibration data yielded no batch', { hint: 'check --data and --max-images' });
  const batch = imageCount(feeds);
  let engine = await openSession(options, requested);
  try {
    const dynamic = engine.inputs.every((i) => typeof i.dims[0] !== 'number');
    const probed = dynamic ? 1 : batch;
    const probe = sliceImages(feeds, 0, probed);
    let outputs: Record<string, HostTensor> | undefined = await engine.run(probe, requested);
    const plan = planCollection(requested, requested.map((n) => outputs![n]!.data.byteLength / probed), {
      batch, budget: options.maxActivationMemory, chunkable: dynamic && options.mode === 'exact',
    });
    // Its outputs count, unless trt mode probed part of a batch (its range growth depends on the batch).
    const skip = options.mode === 'exact' || probed === batch ? probed : 0;
    if (skip) await fold(probe, outputs, requested, true);
    outputs = undefined;
    let batches = 0;
    for (const [pass, group] of plan.groups.entries()) {
      if (plan.groups.length > 1) {
        await engine.dispose();
        engine = await openSession(options, group);
      }
      if (pass > 0) {
        calibrator.rewind();
        feeds = await calibrator.getBatch(inputs);
      }
      const stage = plan.groups.length > 1 ? `calibrate (pass ${pass + 1}/${plan.groups.length})` : 'calibrate';
      batches = 0;
      let done = skip;
      for (; feeds; feeds = await calibrator.getBatch(inputs)) {
        const n = imageCount(feeds);
        for (let i = batches === 0 ? skip : 0; i < n; i += plan.chunk) {
          options.signal?.throwIfAborted();
          const chunk = sliceImages(feeds, i, Math.min(i + plan.chunk, n));
          await fold(chunk, await engine.run(chunk, group), group, pass === 0);
          done += imageCount(chunk);
          options.onProgress?.({ stage, done, total: options.images, unit: 'images' });
        }
        batches += 1;
      }
    }
    return { histograms, passes: plan.groups.length, batches, chunk: plan.chunk };
  } finally {
    await engine.dispose();
  }
}

function openSession(options: CollectOptions, outputs: string[]): Promise<Engine> {
  return createEngine('onnxruntime', encodeModel(withExtraOutputs(options.model, outputs)), { threads: options.threads, optimization: CALIBRATION_OPTIMIZATION });
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
