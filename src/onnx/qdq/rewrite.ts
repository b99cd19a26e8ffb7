/**
 * Applies a plan: inserts QuantizeLinear → DequantizeLinear after each quantized activation,
 * replaces quantized weights by int8 initializers + DequantizeLinear, rewires the consumers,
 * and emits nodes in topological order with stable, unique names.
 */
import { InternalError } from '../../core/errors.js';
import { nodeInputs } from '../graph.js';
import type { GraphProto, NodeProto, TensorProto } from '../proto.js';
import { intAttr, makeNode } from '../upgrade/nodes.js';
import { float32Tensor, floatValues, int8Tensor, uint8Tensor } from '../upgrade/tensors.js';
import { Namer } from './namer.js';
import type { PlanBuilder, WeightUse } from './plan.js';
import type { ActivationParams } from './types.js';
import { quantizeValue, quantizeWeight, scaleFor } from './weights.js';

export interface RewriteResult {
  graph: GraphProto;
  quantizeLinear: number;
  dequantizeLinear: number;
  quantizedWeights: number;
}

export function rewrite(plan: PlanBuilder): RewriteResult {
  const { index } = plan;
  const graph = index.graph;
  const namer = new Namer(graph);
  const initializers: TensorProto[] = [];
  let quantizeLinear = 0;
  let dequantizeLinear = 0;

  /** Q → DQ for each quantized activation, created lazily where the tensor is produced. */
  const dequantized = new Map<string, string>();
  const qdqNodes = (tensor: string): NodeProto[] => {
    const params = plan.scales.params(tensor);
    if (!params) throw new InternalError(`tensor ${tensor} was quantized without a scale`);
    const scale = namer.take(`${tensor}_scale`);
    const zeroPoint = namer.take(`${tensor}_zero_point`);
    initializers.push(float32Tensor(scale, [params.scale], []), zeroPointTensor(zeroPoint, params, []));
    const q = namer.take(`${tensor}_quantized`);
    const dq = namer.take(`${tensor}_dequantized`);
    dequantized.set(tensor, dq);
    quantizeLinear++;
    dequantizeLinear++;
    return [
      makeNode({ opType: 'QuantizeLinear', name: namer.take(`${tensor}_QuantizeLinear`), inputs: [tensor, scale, zeroPoint], outputs: [q] }),
      makeNode({ opType: 'DequantizeLinear', name: namer.take(`${tensor}_DequantizeLinear`), inputs: [q, scale, zeroPoint], outputs: [dq] }),
    ];
  };

  /** Offline-quantized constants, shared by uses with the same tensor, axis and kind. */
  const weightOutputs = new Map<string, string>();
  const weightKey = (w: WeightUse) => `${w.node.input![w.input]}\u0000${w.axis ?? ''}\u0000${w.kind}`;
  const weightNodes = (w: WeightUse): NodeProto[] => {
    const key = weightKey(w);
    if (weightOutputs.has(key)) return [];
    const source = w.node.input![w.input]!;
    const tensor = index.constants.get(source);
    if (!tensor) throw new InternalError(`weight ${source} is not a constant`);
    const dims = (tensor.dims ?? []).map(Number);
    const quantizedName = namer.take(`${source}_quantized`);
    const scale = namer.take(`${source}_scale`);
    const zeroPoint = namer.take(`${source}_zero_point`);
    const attributes = [];
    if (w.kind === 'weight') {
      const q = quantizeWeight(tensor, w.axis, plan.weightLevels);
      const scaleDims = w.axis === undefined ? [] : [q.scales.length];
      initializers.push(int8Tensor(quantizedName, q.values, dims), float32Tensor(scale, q.scales, scaleDims),
        int8Tensor(zeroPoint, new Int8Array(q.scales.length), scaleDims));
      if (w.axis !== undefined) attributes.push(intAttr('axis', w.axis));
    } else {
      const values = floatValues(tensor);
      const params = constantParams(values);
      const q = Array.from(values, (v) => quantizeValue(v, params.scale, params.zeroPoint, 0, 255));
      initializers.push(uint8Tensor(quantizedName, q, dims), float32Tensor(scale, [params.scale], []), zeroPointTensor(zeroPoint, params, []));
    }
    const output = namer.take(`${source}_dequantized`);
    weightOutputs.set(key, output);
    dequantizeLinear++;
    return [makeNode({ opType: 'DequantizeLinear', name: namer.take(`${source}_DequantizeLinear`), inputs: [quantizedName, scale, zeroPoint], outputs: [output], attributes })];
  };

  const weightUses = new Map<NodeProto, WeightUse[]>();
  for (const w of plan.weights) weightUses.set(w.node, [...(weightUses.get(w.node) ?? []), w]);

  const nodes: NodeProto[] = [];
  for (const input of graph.input ?? []) {
    if (input.name && plan.activations.has(input.name) && index.graphInputs.has(input.name)) nodes.push(...qdqNodes(input.name));
  }
  for (const node of index.nodes) {
    const uses = weightUses.get(node) ?? [];
    for (const w of uses) nodes.push(...weightNodes(w));
    const inputs = (node.input ?? []).map((name, i) => {
      const weight = uses.find((w) => w.input === i);
      if (weight) return weightOutputs.get(weightKey(weight))!;
      const rewired = plan.activations.get(name);
      // Excluded nodes always read the float tensor.
      const reads = rewired === 'all' ? !plan.isExcluded(node) : rewired?.some((u) => u.node === node && u.input === i);
      if (!reads) return name;
      const dq = dequantized.get(name);
      if (!dq) throw new InternalError(`tensor ${name} is read before it is quantized`);
      return dq;
    });
    nodes.push({ ...node, input: inputs });
    for (const out of node.output ?? []) if (out && plan.activations.has(out)) nodes.push(...qdqNodes(out));
  }
  const rewritten: GraphProto = {
    ...graph,
    node: nodes,
    initializer: [...(graph.initializer ?? []), ...initializers],
    // Initializers listed as inputs (IR < 4 style) would not be constants for the runtime.
    input: (graph.input ?? []).filter((i) => index.graphInputs.has(i.name ?? '')),
  };
  return { graph: withoutDeadConstants(rewritten, graph), quantizeLinear, dequantizeLinear, quantizedWeights: weightOutputs.size };
}

function zeroPointTensor(name: string, params: ActivationParams, dims: number[]): TensorProto {
  return params.type === 'int8' ? int8Tensor(name, [params.zeroPoint], dims) : uint8Tensor(name, [params.zeroPoint], dims);
}

/** uint8 parameters for a (scalar) constant operand: exact for a single value. */
function constantParams(values: Float32Array): ActivationParams {
  const amax = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return values.every((v) => v >= 0)
    ? { type: 'uint8', scale: scaleFor(amax, 255), zeroPoint: 0 }
    : { type: 'uint8', scale: scaleFor(amax, 127), zeroPoint: 128 };
}

/** Drops initializers and Constant nodes that the rewrite left unread (the float weights). */
function withoutDeadConstants(graph: GraphProto, before: GraphProto): GraphProto {
  const readBefore = readTensors(before);
  const readAfter = readTensors(graph);
  const dead = (name: string | null | undefined) => Boolean(name && readBefore.has(name) && !readAfter.has(name));
  return {
    ...graph,
    initializer: (graph.initializer ?? []).filter((t) => !dead(t.name)),
    node: (graph.node ?? []).filter((n) => !(n.opType === 'Constant' && !n.domain && dead(n.output?.[0]))),
  };
}

function readTensors(graph: GraphProto): Set<string> {
  const read = new Set<string>((graph.output ?? []).map((o) => o.name ?? ''));
  for (const node of graph.node ?? []) for (const name of nodeInputs(node)) read.add(name);
  return read;
}
