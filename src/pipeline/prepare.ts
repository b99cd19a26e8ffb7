import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../engines/registry.js';
import { decodeModel, encodeModel } from '../onnx/model-file.js';
import { topologicalOrder, withExtraOutputs } from '../onnx/graph.js';
import type { ModelProto } from '../onnx/proto.js';
import { normalizeModel } from '../onnx/normalize/index.js';
import { upgradeOpset } from '../onnx/upgrade/index.js';
import { Int8calError } from '../core/errors.js';
import type { WarningCallback } from '../core/progress.js';

/**
 * The prepared fp32 model every variant is compared with: normalized (an already-quantized
 * model refused; Constant nodes lifted, an fp16 model widened to its fp32 twin, constants behind
 * Cast/Identity/DequantizeLinear folded: onnx/normalize), upgraded to opset 13 (per-channel
 * Q/DQ needs it), constants folded and BatchNormalization folded into Conv by ONNX Runtime's
 * `basic` graph optimizations (provider-independent, saved as plain ONNX). A model that can't
 * be upgraded is still calibrated (the TensorRT cache doesn't need opset 13), with a warning.
 */
export async function prepareModel(original: ModelProto, threads: number, onWarning?: WarningCallback, file?: string): Promise<ModelProto> {
  let model = normalizeModel(original, file).model;
  try {
    model = upgradeOpset(model);
  } catch (error) {
    if (!(error instanceof Int8calError)) throw error;
    onWarning?.(`${error.message}; calibrating at the model's own opset (int8cal build will need the upgrade)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'int8cal-prepare-'));
  try {
    const optimizedPath = join(dir, 'prepared.onnx');
    const engine = await createEngine('onnxruntime', encodeModel(model), { threads, rewrites: 'portable', optimizedModelPath: optimizedPath }, file)
      .catch((error: unknown) => { throw withUnknownOpNode(error, model); });
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
  const engine = await createEngine('onnxruntime', encodeModel(withExtraOutputs(model, outputs)), { threads, rewrites: 'none' });
  try {
    const types = new Map([...engine.inputs, ...engine.outputs].map((t) => [t.name, t.elementType]));
    return [...inputs, ...outputs].filter((name) => types.get(name) === 'float32');
  } finally {
    await engine.dispose();
  }
}

/** ONNX Runtime names an op it doesn't know ("domain:Op(version) is not a registered…"); the error also names its nodes. */
function withUnknownOpNode(error: unknown, model: ModelProto): unknown {
  if (!(error instanceof Int8calError)) return error;
  const match = /(?:([\w.]+):)?(\w+)\(-?\d+\) is not a registered function\/op|Could not find an implementation for (\w+)\(/.exec(error.message);
  const opType = match?.[2] ?? match?.[3];
  if (!opType) return error;
  const nodes = (model.graph?.node ?? []).filter((n) => n.opType === opType && (match?.[1] === undefined || (n.domain ?? '') === match[1]));
  if (!nodes.length) return error;
  const names = nodes.map((n) => n.name || `(unnamed ${opType})`);
  const shown = `${names.slice(0, 5).join(', ')}${names.length > 5 ? ` … (${names.length} in all)` : ''}`;
  return new Int8calError(error.code, `${error.message} (node${names.length > 1 ? 's' : ''} ${shown})`, { ...error.subject, node: names[0] }, { cause: error });
}
