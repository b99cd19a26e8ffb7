import { Int8calError, InternalError } from '../core/errors.js';
import type { TensorInfo } from '../onnx/graph.js';
import type { Feeds, HostTensor } from '../core/tensor.js';

export type { Feeds, HostTensor };

/**
 * How far an engine may rewrite the graph before running it: `none` runs it as written,
 * `portable` only rewrites that keep it plain ONNX any engine runs (constant folding, dead
 * nodes), `full` every fusion the engine has (int8 kernels from Q/DQ pairs need it). Each
 * backend maps these onto its own settings.
 */
export const GRAPH_REWRITES = ['none', 'portable', 'full'] as const;
export type GraphRewrites = (typeof GRAPH_REWRITES)[number];

/**
 * How an engine runs Q/DQ pairs: `kernels` lets it fuse them into its own int8 kernels (ONNX
 * Runtime then also rounds Conv/Gemm float biases to int32 multiples of the input scales);
 * `as-written` runs them as the graph says, biases in float: another engine's explicit
 * quantization emulated (TensorRT's int8-qdq engine matched that on fr_detect within 0.05 dB over
 * 94 photos, while the int32 biases put the emulation 0.37 dB off).
 */
export type QdqExecution = 'kernels' | 'as-written';

export interface EngineOptions {
  /** Intra-op threads (0 = the engine's default: all cores). */
  threads?: number;
  rewrites?: GraphRewrites;
  /** Default `kernels`. */
  qdq?: QdqExecution;
  /** Where to save the graph after the engine's optimizations (for inspection). */
  optimizedModelPath?: string;
  /**
   * Several engines take turns on the same cores (interleaved timing): idle worker threads must
   * sleep, not spin. ONNX Runtime's spinning pools otherwise steal the cores from the engine
   * that runs next (fr_detect int8-ort measured 2.6× slower than fp32 that way, 0.9× without).
   */
  sharedCores?: boolean;
  /**
   * Off: no ONNX Runtime CPU arena, tensors are freed as they die instead of kept for reuse.
   * Calibration sessions that return hundreds of large activations peak lower without it.
   */
  memoryArena?: boolean;
}

/**
 * An inference engine over one model. The base class checks state and inputs once;
 * backends implement `runImpl` and `disposeImpl`. Always dispose (or `await using`).
 */
export abstract class Engine {
  #disposed = false;

  constructor(
    /** Short backend name for results, e.g. "onnxruntime-cpu". */
    readonly backend: string,
    readonly inputs: readonly TensorInfo[],
    readonly outputs: readonly TensorInfo[],
  ) {}

  /** Runs one batch; returns the requested outputs (all graph outputs by default). */
  async run(feeds: Feeds, outputNames?: readonly string[]): Promise<Record<string, HostTensor>> {
    if (this.#disposed) throw new InternalError('Engine.run called after dispose()');
    for (const input of this.inputs) {
      const feed = feeds[input.name];
      if (!feed) {
        throw new Int8calError('ENGINE_INPUT', `Missing input ${input.name}`, {
          tensor: input.name, hint: `the model expects inputs ${this.inputs.map((i) => i.name).join(', ')}`,
        });
      }
      checkDims(input, feed.dims);
    }
    const names = outputNames ?? this.outputs.map((o) => o.name);
    return this.runImpl(feeds, names);
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.disposeImpl();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  protected abstract runImpl(feeds: Feeds, outputNames: readonly string[]): Promise<Record<string, HostTensor>>;
  protected abstract disposeImpl(): Promise<void>;
}

function checkDims(input: TensorInfo, dims: readonly number[]) {
  const mismatch = input.dims.length !== dims.length ||
    input.dims.some((d, i) => typeof d === 'number' && d !== dims[i]);
  if (mismatch) {
    throw new Int8calError('ENGINE_INPUT',
      `Input ${input.name} expects shape [${input.dims.map((d) => d ?? '?').join(', ')}] but got [${dims.join(', ')}]`,
      { tensor: input.name, hint: 'check --size, --layout and --batch-size against the model input' });
  }
}
