import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxRuntimeEngine } from '../engines/onnxruntime.js';
import { decodeModel, encodeModel } from '../onnx/model-file.js';
import { topologicalOrder, withExtraOutputs } from '../onnx/graph.js';
import type { ModelProto } from '../onnx/proto.js';

/**
 * The prepared fp32 model every variant is compared with: constants folded and
 * BatchNormalization folded into Conv by ONNX Runtime's `basic` graph optimizations
 * (which are provider-independent and save as plain ONNX).
 */
export async function prepareModel(model: ModelProto, threads: number): Promise<ModelProto> {
  const dir = await mkdtemp(join(tmpdir(), 'int8cal-prepare-'));
  try {
    const optimizedPath = join(dir, 'prepared.onnx');
    const engine = await OnnxRuntimeEngine.create(encodeModel(model), { threads, optimization: 'basic', optimizedModelPath: optimizedPath });
    await engine.dispose();
    return decodeModel(await readFile(optimizedPath), optimizedPath);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Every float activation of the model, in topological order: float graph inputs and every
 * node output ONNX Runtime types as float32 (Constant outputs are weights, not activations).
 */
export async function activationTensors(model: ModelProto, threads: number): Promise<string[]> {
  const graph = model.graph!;
  const nodes = topologicalOrder(graph).filter((n) => n.opType !== 'Constant');
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).map((i) => i.name ?? '').filter((n) => !initializers.has(n));
  const outputs = nodes.flatMap((n) => (n.output ?? []).filter(Boolean));
  const engine = await OnnxRuntimeEngine.create(encodeModel(withExtraOutputs(model, outputs)), { threads, optimization: 'disabled' });
  try {
    const types = new Map([...engine.inputs, ...engine.outputs].map((t) => [t.name, t.elementType]));
    return [...inputs, ...outputs].filter((name) => types.get(name) === 'float32');
  } finally {
    await engine.dispose();
  }
}
