import { readFile } from 'node:fs/promises';
import { Int8calError } from '../core/errors.js';
import type { TensorInfo } from '../onnx/graph.js';
import { loadedTensorRtVersion, loadTensorRt, requireGpu, translateTrtError, type NativeTrtEngine } from '../core/tensorrt.js';
import { Engine, type EngineOptions, type Feeds, type HostTensor } from './engine.js';

/** A TensorRT plan (RUN/engine.*.plan) on the GPU; batch shapes come from the feeds. */
export class TensorRtEngine extends Engine {
  private constructor(private readonly native: NativeTrtEngine, inputs: TensorInfo[], outputs: TensorInfo[]) {
    super('tensorrt-gpu', inputs, outputs);
  }

  /** Opens a serialized plan (RUN/engine.*.plan, or its bytes); the options are ONNX Runtime's. */
  static async create(model: string | Uint8Array, _options: EngineOptions = {}, name = typeof model === 'string' ? model : '<plan>'): Promise<TensorRtEngine> {
    const { binding } = loadTensorRt();
    requireGpu();
    const planPath = name;
    const plan = typeof model === 'string' ? new Uint8Array(await readFile(model)) : model;
    let native: NativeTrtEngine;
    try {
      native = new binding.Engine(plan);
    } catch (error) {
      throw translateTrtError(error, planPath);
    }
    const io = native.io();
    const info = (t: (typeof io)[number]): TensorInfo => ({ name: t.name, elementType: t.type, dims: t.dims.map((d) => (d >= 0 ? d : null)) });
    return new TensorRtEngine(native, io.filter((t) => t.input).map(info), io.filter((t) => !t.input).map(info));
  }

  /** The loaded TensorRT's version; "not loaded" until a TensorRT engine was opened (loading costs). */
  static get version(): string {
    return loadedTensorRtVersion() ?? 'not loaded';
  }

  protected async runImpl(feeds: Feeds, outputNames: readonly string[]): Promise<Record<string, HostTensor>> {
    const inputs: Record<string, ArrayBufferView> = {};
    const shapes: Record<string, number[]> = {};
    for (const [name, t] of Object.entries(feeds)) {
      inputs[name] = t.data;
      shapes[name] = [...t.dims];
    }
    let raw: ReturnType<NativeTrtEngine['run']>;
    try {
      raw = this.native.run(inputs, shapes);
    } catch (error) {
      throw translateTrtError(error);
    }
    const out: Record<string, HostTensor> = {};
    for (const name of outputNames) {
      const t = raw[name];
      if (!t) throw new Int8calError('ENGINE_RUN', `The TensorRT engine has no output ${name}`, { tensor: name });
      out[name] = { type: t.type, dims: t.dims, data: typed(t.type, t.data) };
    }
    return out;
  }

  /** GPU milliseconds per run of the last fed shapes (CUDA events, non-default stream). */
  time(options: { warmup: number; iterations: number; cudaGraph?: boolean }): number[] {
    try {
      return [...this.native.time(options)];
    } catch (error) {
      throw translateTrtError(error);
    }
  }

  protected async disposeImpl(): Promise<void> {
    this.native.dispose();
  }
}

function typed(type: string, bytes: Uint8Array): HostTensor['data'] {
  const { buffer, byteOffset, byteLength } = bytes;
  switch (type) {
    case 'float32': return new Float32Array(buffer, byteOffset, byteLength / 4);
    case 'int32': return new Int32Array(buffer, byteOffset, byteLength / 4);
    case 'int64': return new BigInt64Array(buffer, byteOffset, byteLength / 8);
    case 'float16': return new Uint16Array(buffer, byteOffset, byteLength / 2);
    case 'int8': return new Int8Array(buffer, byteOffset, byteLength);
    default: return bytes;
  }
}
