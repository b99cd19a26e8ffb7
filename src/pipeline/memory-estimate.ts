/**
 * One image's memory, estimated from the model's shapes before any inference: the activations
 * alive at once while ONNX Runtime runs it (each tensor from its producer to its last consumer),
 * the ones calibration fetches (kept to the end of the run, then copied to JavaScript), and the
 * weights. Stages refuse up front when one image cannot fit --max-activation-memory or the
 * machine's available memory, instead of ONNX Runtime failing an allocation mid-run.
 */
import { readFile } from 'node:fs/promises';
import { freemem } from 'node:os';
import { Int8calError } from '../core/errors.js';
import { nodeInputs, parameterBytes, topologicalOrder } from '../onnx/graph.js';
import type { GraphProto, ModelProto } from '../onnx/proto.js';
import type { TensorInfo } from '../onnx/graph.js';
import { imageDims, type Preprocessing } from '../../datasets/images/index.js';
import { inferShapes, tensorBytes } from '../onnx/shapes/index.js';

export interface MemoryEstimate {
  /** Bytes of each tensor (inputs and node outputs) whose shape is known, for one image. */
  tensorBytes: Map<string, number>;
  /** Node outputs whose size could not be inferred (the estimate is then a lower bound). */
  unknown: number;
  /** Initializers. */
  weights: number;
  /** Peak bytes of the activations alive at once in one image's run, nothing fetched. */
  peak: number;
  /** The biggest activation. */
  largest: { name: string; bytes: number };
  /** Evaluation order and last consumer of each tensor, for `runPeak`. */
  readonly liveness: Liveness;
}

interface Liveness {
  produced: string[][];
  freed: string[][];
  inputs: string[];
  outputs: Set<string>;
}

/** Estimates one image's memory with the graph inputs at `inputs` (batch 1). Throws MODEL_SHAPE for a size the model can't take. */
export function estimateMemory(model: ModelProto, inputs: Readonly<Record<string, readonly number[]>>): MemoryEstimate {
  const graph = model.graph!;
  const inferred = inferShapes(graph, inputs);
  const sizes = new Map<string, number>();
  for (const name of [...Object.keys(inputs), ...(graph.node ?? []).flatMap((n) => n.output ?? [])]) {
    const bytes = name ? tensorBytes(inferred, name) : undefined;
    if (bytes !== undefined) sizes.set(name, bytes);
  }
  let largest = { name: '', bytes: 0 };
  for (const [name, bytes] of sizes) if (bytes > largest.bytes && !(name in inputs)) largest = { name, bytes };
  const liveness = livenessOf(graph, Object.keys(inputs));
  const estimate = { tensorBytes: sizes, unknown: inferred.unknown.length, weights: parameterBytes(graph), peak: 0, largest, liveness };
  estimate.peak = runPeak(estimate, []);
  return estimate;
}

/**
 * Peak bytes of one image's run that fetches `fetched`: those stay alive to the end of the run,
 * and their JavaScript copies come on top (onnxruntime-node copies every output).
 */
export function runPeak(e: Pick<MemoryEstimate, 'tensorBytes' | 'liveness'>, fetched: readonly string[]): number {
  const kept = new Set([...e.liveness.outputs, ...fetched]);
  const size = (n: string) => e.tensorBytes.get(n) ?? 0;
  let live = e.liveness.inputs.reduce((sum, n) => sum + size(n), 0);
  let peak = live;
  e.liveness.produced.forEach((outputs, i) => {
    for (const n of outputs) live += size(n);
    peak = Math.max(peak, live);
    for (const n of e.liveness.freed[i]!) if (!kept.has(n)) live -= size(n);
  });
  const copies = [...new Set(fetched)].reduce((sum, n) => sum + size(n), 0);
  return Math.max(peak, live + copies);
}

function livenessOf(graph: GraphProto, inputs: string[]): Liveness {
  const order = topologicalOrder(graph);
  const fed = new Set(inputs);
  const weights = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const last = new Map<string, number>();
  order.forEach((node, i) => {
    for (const n of nodeInputs(node)) if (!weights.has(n) && !fed.has(n)) last.set(n, i);
    // A node output nobody reads dies at once.
    for (const n of node.output ?? []) if (n && !last.has(n)) last.set(n, i);
  });
  const freed = order.map((): string[] => []);
  for (const [name, i] of last) freed[i]!.push(name);
  return { produced: order.map((n) => (n.output ?? []).filter(Boolean)), freed, inputs, outputs: new Set((graph.output ?? []).map((o) => o.name ?? '')) };
}

/** Bytes the operating system can give without swapping: MemAvailable, else os.freemem(). */
export async function availableMemory(): Promise<number> {
  const meminfo = await readFile('/proc/meminfo', 'utf8').catch(() => '');
  const kib = /^MemAvailable:\s+(\d+) kB/m.exec(meminfo)?.[1];
  return kib ? Number(kib) * 1024 : freemem();
}

export const gib = (bytes: number): string => (bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${Math.ceil(bytes / 1024 ** 2)} MiB`);

/** What the estimate is checked against, and how to name what was chosen. */
export interface MemoryLimits {
  /** --max-activation-memory. */
  budget: number;
  /** Bytes available on the machine (availableMemory()). */
  available: number;
  /** The model file, for messages. */
  model: string;
  /** The chosen input size (width × height), when the model's is dynamic: the fix names a smaller one. */
  size?: { width: number; height: number };
}

/**
 * Refuses a size at which one image cannot run within the budget (its activations alive at once
 * plus the JavaScript copy of the biggest one, the least any run fetches) or the machine's
 * available memory (that, plus the weights).
 */
export function checkMemory(e: MemoryEstimate, limits: MemoryLimits): void {
  const need = e.peak + e.largest.bytes;
  const at = limits.size ? `At --size ${limits.size.width}x${limits.size.height}, one` : 'One';
  const what = `${at} image through ${limits.model} needs about ${gib(need)} of activations at once (estimated from the model's shapes; the largest tensor, ${e.largest.name}, is ${gib(e.largest.bytes)})`;
  const smaller = (fits: number) => (limits.size ? `use a smaller --size (about ${scaledSize(limits.size, fits / need)} fits)` : 'use a smaller input');
  if (need > limits.budget) {
    throw new Int8calError('ACTIVATION_MEMORY', `${what}, over --max-activation-memory ${gib(limits.budget)}`, {
      hint: `${smaller(limits.budget)}, or raise --max-activation-memory if the machine has the memory (${gib(limits.available)} available now)`,
    });
  }
  if (need + e.weights > limits.available) {
    throw new Int8calError('NOT_ENOUGH_MEMORY', `${what}, plus ${gib(e.weights)} of weights: more than the ${gib(limits.available)} this machine has available`, {
      hint: `${smaller(limits.available - e.weights)}, or free memory (close other programs)`,
    });
  }
}

/** `size` scaled by √factor (activations grow with the pixel count), in multiples of 32. */
function scaledSize(size: { width: number; height: number }, factor: number): string {
  const k = Math.sqrt(Math.max(factor, 0)) * 0.95;
  const round = (n: number) => Math.max(32, Math.floor((n * k) / 32) * 32);
  return `${round(size.width)}x${round(size.height)}`;
}

/**
 * The estimate for images fed to `input` at the preprocessing's size, checked against the budget
 * and the available memory. A size the model can't take (a dynamic input) is refused naming it.
 */
export async function checkImageMemory(model: ModelProto, input: TensorInfo, p: Preprocessing, o: { maxActivationMemory: number; model: string; batch?: number }): Promise<MemoryEstimate | undefined> {
  const batch = typeof input.dims[0] === 'number' ? input.dims[0] : o.batch ?? 1;
  const dynamic = input.dims.slice(1).some((d) => typeof d !== 'number');
  let estimate: MemoryEstimate;
  try {
    estimate = estimateMemory(model, { [input.name]: [batch, ...imageDims(p)] });
  } catch (error) {
    // Fixed dims the model itself declares: ONNX Runtime is the judge.
    if (!(error instanceof Int8calError) || error.code !== 'MODEL_SHAPE' || !dynamic) return undefined;
    throw new Int8calError('MODEL_SHAPE', `--size ${p.width}x${p.height} does not fit ${o.model}: ${error.message}`, {
      ...error.subject, hint: 'choose a --size the model is made for (its training size, or one with the aspect and multiples its strides need)',
    }, { cause: error });
  }
  checkMemory(estimate, { budget: o.maxActivationMemory, available: await availableMemory(), model: o.model, ...(dynamic ? { size: p } : {}) });
  return estimate;
}
