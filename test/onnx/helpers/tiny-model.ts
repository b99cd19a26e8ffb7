/** Small ONNX models built in the tests, and running them with ONNX Runtime. */
import { OnnxRuntimeEngine } from '../../../src/engines/onnxruntime.js';
import type { GraphRewrites, HostTensor } from '../../../src/engines/engine.js';
import { encodeModel } from '../../../src/onnx/model-file.js';
import { DataType, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from '../../../src/onnx/proto.js';

export function valueInfo(name: string, dims: readonly (number | string)[], elemType: number = DataType.FLOAT): ValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export interface TinySpec {
  nodes: NodeProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  initializers?: TensorProto[];
  opset: number;
  irVersion?: number;
}

export function tinyModel(spec: TinySpec): ModelProto {
  return {
    irVersion: spec.irVersion ?? (spec.opset >= 13 ? 7 : spec.opset >= 10 ? 5 : 4),
    producerName: 'int8cal-test',
    opsetImport: [{ domain: '', version: spec.opset }],
    graph: {
      name: 'tiny',
      node: spec.nodes,
      input: spec.inputs,
      output: spec.outputs,
      initializer: spec.initializers ?? [],
    },
  };
}

/** Deterministic pseudo-random floats in [−scale, scale). */
export function randomFloats(count: number, seed = 1, scale = 1): Float32Array {
  let state = seed >>> 0 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    out[i] = ((state / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

export function floatFeed(data: Float32Array, dims: readonly number[]): HostTensor {
  return { type: 'float32', data, dims };
}

/** Runs a model once (no graph rewrites unless asked) and returns all outputs. */
export async function runModel(model: ModelProto, feeds: Record<string, HostTensor>, rewrites: GraphRewrites = 'none'): Promise<Record<string, HostTensor>> {
  const engine = await OnnxRuntimeEngine.create(encodeModel(model), { rewrites, threads: 1 });
  try {
    return await engine.run(feeds);
  } finally {
    await engine.dispose();
  }
}

export function maxAbsDiff(a: HostTensor['data'], b: HostTensor['data']): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(Number(a[i]) - Number(b[i])));
  return a.length === b.length ? max : Infinity;
}
