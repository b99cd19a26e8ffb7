/**
 * fp16 reference variant, emulated on CPU: weights are stored as float16 initializers followed
 * by a Cast back to float32, and every float32 activation is rounded to float16 (Cast to
 * float16 → Cast to float32) where it is produced, so outputs carry fp16's rounding while every
 * op still runs in float32. Graph inputs and outputs keep their float32 type.
 */
import { Int8calError } from '../../core/errors.js';
import { opsetVersion, topologicalOrder } from '../graph.js';
import { DataType, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from '../proto.js';
import { collectNames } from '../upgrade/context.js';
import { intAttr, makeNode } from '../upgrade/nodes.js';
import { elementCount, float16Tensor, floatValues } from '../upgrade/tensors.js';
import { inferElementTypes } from './element-types.js';

/** Inputs that are parameters of the op rather than data (kept float32). */
const PARAMETER_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Resize: [1, 2, 3], Upsample: [1], Range: [0, 1, 2], ConstantOfShape: [0],
};
const FP16_MAX = 65504;
/** Cast exists in every opset; its `to` attribute is an int from opset 6. */
const MIN_OPSET = 6;

export function buildFp16(model: ModelProto): ModelProto {
  if (opsetVersion(model) < MIN_OPSET) {
    throw new Int8calError('FP16_OPSET', `The fp16 variant needs opset ${MIN_OPSET} or later; the model has opset ${opsetVersion(model)}`, {
      hint: 'build from the prepared model (model.fp32.onnx), which is upgraded to opset 13',
    });
  }
  const graph = model.graph!;
  const used = new Set<string>();
  collectNames(graph, used);
  const take = (base: string) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
  const parameters = parameterTensors(graph);
  const weights = storeWeightsAsFp16(graph, parameters, take);
  const result: GraphProto = {
    ...graph,
    node: [...weights.castNodes, ...roundActivations(graph, parameters, take)],
    initializer: weights.initializers,
    input: (graph.input ?? []).filter((i) => !weights.names.has(i.name ?? '')),
  };
  return { ...model, graph: result };
}

type TakeName = (base: string) => string;

/** float32 weights (not op parameters) stored as float16, each Cast back to its float32 name. */
function storeWeightsAsFp16(graph: GraphProto, parameters: ReadonlySet<string>, take: TakeName) {
  const names = new Set((graph.initializer ?? [])
    .filter((t) => t.name && t.dataType === DataType.FLOAT && elementCount(t) > 0 && !parameters.has(t.name))
    .map((t) => t.name!));
  const initializers: TensorProto[] = [];
  const castNodes: NodeProto[] = [];
  for (const t of graph.initializer ?? []) {
    if (!t.name || !names.has(t.name)) { initializers.push(t); continue; }
    const stored = take(`${t.name}_fp16`);
    const values = Float32Array.from(floatValues(t), (v) => Math.max(-FP16_MAX, Math.min(FP16_MAX, v)));
    initializers.push(float16Tensor(stored, values, (t.dims ?? []).map(Number)));
    castNodes.push(cast(take(`${t.name}_to_float32`), stored, t.name, DataType.FLOAT));
  }
  return { names, initializers, castNodes };
}

/** The graph's nodes with every float32 activation rounded through float16 where it is produced. */
function roundActivations(graph: GraphProto, parameters: ReadonlySet<string>, take: TakeName): NodeProto[] {
  const types = inferElementTypes(graph);
  const isFloat = (name: string) => types.get(name) === DataType.FLOAT;
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  /** Consumers of a rounded tensor read the rounded name. */
  const renamed = new Map<string, string>();
  const round = (tensor: string, rounded: string): NodeProto[] => {
    const half = take(`${tensor}_fp16`);
    return [cast(take(`${tensor}_round_to_fp16`), tensor, half, DataType.FLOAT16), cast(take(`${tensor}_back_to_fp32`), half, rounded, DataType.FLOAT)];
  };
  const nodes: NodeProto[] = [];
  const initializerNames = new Set((graph.initializer ?? []).map((t) => t.name));
  for (const input of graph.input ?? []) {
    const name = input.name ?? '';
    if (!name || initializerNames.has(name) || !isFloat(name)) continue;
    const rounded = take(`${name}_rounded`);
    renamed.set(name, rounded);
    nodes.push(...round(name, rounded));
  }
  for (const node of topologicalOrder(graph)) {
    const outputs = [...(node.output ?? [])];
    const after: NodeProto[] = [];
    outputs.forEach((out, i) => {
      if (!out || !isFloat(out) || parameters.has(out)) return;
      if (graphOutputs.has(out)) {
        // The graph output keeps its name, on the rounded value.
        const raw = take(`${out}_unrounded`);
        outputs[i] = raw;
        after.push(...round(raw, out));
      } else {
        const rounded = take(`${out}_rounded`);
        renamed.set(out, rounded);
        after.push(...round(out, rounded));
      }
    });
    nodes.push({ ...node, input: (node.input ?? []).map((n) => renamed.get(n) ?? n), output: outputs }, ...after);
  }
  return nodes;
}

function cast(name: string, input: string, output: string, to: number): NodeProto {
  return makeNode({ opType: 'Cast', name, inputs: [input], outputs: [output], attributes: [intAttr('to', to)] });
}

/** Tensors read as op parameters (sizes, scales, ranges): rounding them would change shapes. */
function parameterTensors(graph: GraphProto): Set<string> {
  const names = new Set<string>();
  for (const node of graph.node ?? []) {
    const positions = PARAMETER_INPUTS[node.opType ?? ''] ?? [];
    (node.input ?? []).forEach((name, i) => { if (name && positions.includes(i)) names.add(name); });
  }
  return names;
}
