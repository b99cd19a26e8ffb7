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
  return new Rewriter(plan).run();
}

/** One rewrite of one plan: the names taken and initializers made so far. */
class Rewriter {
  readonly #index: PlanBuilder['index'];
  readonly #namer: Namer;
  readonly #initializers: TensorProto[] = [];
  /** Activation → its DequantizeLinear output, made where the tensor is produced. */
  readonly #dequantized = new Map<string, string>();
  /** Offline-quantized constants, shared by uses with the same tensor, axis and kind. */
  readonly #weightOutputs = new Map<string, string>();
  #quantizeLinear = 0;
  #dequantizeLinear = 0;

  constructor(private readonly plan: PlanBuilder) {
    this.#index = plan.index;
    this.#namer = new Namer(plan.index.graph);
  }

  run(): RewriteResult {
    const graph = this.#index.graph;
    const weightUses = new Map<NodeProto, WeightUse[]>();
    for (const w of this.plan.weights) weightUses.set(w.node, [...(weightUses.get(w.node) ?? []), w]);
    const nodes: NodeProto[] = [];
    for (const input of graph.input ?? []) {
      if (input.name && this.plan.activations.has(input.name) && this.#index.graphInputs.has(input.name)) nodes.push(...this.#qdqNodes(input.name));
    }
    for (const node of this.#index.nodes) {
      const uses = weightUses.get(node) ?? [];
      for (const w of uses) nodes.push(...this.#weightNodes(w));
      nodes.push({ ...node, input: (node.input ?? []).map((name, i) => this.#inputOf(node, name, i, uses)) });
      for (const out of node.output ?? []) if (out && this.plan.activations.has(out)) nodes.push(...this.#qdqNodes(out));
    }
    const rewritten: GraphProto = {
      ...graph,
      node: nodes,
      initializer: [...(graph.initializer ?? []), ...this.#initializers],
      // Initializers listed as inputs (IR < 4 style) would not be constants for the runtime.
      input: (graph.input ?? []).filter((i) => this.#index.graphInputs.has(i.name ?? '')),
    };
    return {
      graph: withoutDeadConstants(rewritten, graph),
      quantizeLinear: this.#quantizeLinear, dequantizeLinear: this.#dequantizeLinear, quantizedWeights: this.#weightOutputs.size,
    };
  }

  /** What input `i` of `node` reads after the rewrite: a dequantized weight or activation, or the float tensor. */
  #inputOf(node: NodeProto, name: string, i: number, uses: readonly WeightUse[]): string {
    const weight = uses.find((w) => w.input === i);
    if (weight) return this.#weightOutputs.get(weightKey(weight))!;
    const rewired = this.plan.activations.get(name);
    // Excluded nodes always read the float tensor.
    const reads = rewired === 'all' ? !this.plan.isExcluded(node) : rewired?.some((u) => u.node === node && u.input === i);
    if (!reads) return name;
    const dq = this.#dequantized.get(name);
    if (!dq) throw new InternalError(`tensor ${name} is read before it is quantized`);
    return dq;
  }

  /** Q → DQ for a quantized activation. */
  #qdqNodes(tensor: string): NodeProto[] {
    const params = this.plan.scales.params(tensor);
    if (!params) throw new InternalError(`tensor ${tensor} was quantized without a scale`);
    const namer = this.#namer;
    const scale = namer.take(`${tensor}_scale`);
    const zeroPoint = namer.take(`${tensor}_zero_point`);
    this.#initializers.push(float32Tensor(scale, [params.scale], []), zeroPointTensor(zeroPoint, params, []));
    const q = namer.take(`${tensor}_quantized`);
    const dq = namer.take(`${tensor}_dequantized`);
    this.#dequantized.set(tensor, dq);
    this.#quantizeLinear++;
    this.#dequantizeLinear++;
    return [
      makeNode({ opType: 'QuantizeLinear', name: namer.take(`${tensor}_QuantizeLinear`), inputs: [tensor, scale, zeroPoint], outputs: [q] }),
      makeNode({ opType: 'DequantizeLinear', name: namer.take(`${tensor}_DequantizeLinear`), inputs: [q, scale, zeroPoint], outputs: [dq] }),
    ];
  }

  /** The quantized constant + DequantizeLinear of a weight use (none when an equal use made it). */
  #weightNodes(w: WeightUse): NodeProto[] {
    const key = weightKey(w);
    if (this.#weightOutputs.has(key)) return [];
    const source = w.node.input![w.input]!;
    const tensor = this.#index.constants.get(source);
    if (!tensor) throw new InternalError(`weight ${source} is not a constant`);
    const namer = this.#namer;
    const quantizedName = namer.take(`${source}_quantized`);
    const scale = namer.take(`${source}_scale`);
    const zeroPoint = namer.take(`${source}_zero_point`);
    const attributes = w.kind === 'weight'
      ? this.#weightInitializers(w, tensor, quantizedName, scale, zeroPoint)
      : this.#constantInitializers(tensor, quantizedName, scale, zeroPoint);
    const output = namer.take(`${source}_dequantized`);
    this.#weightOutputs.set(key, output);
    this.#dequantizeLinear++;
    return [makeNode({ opType: 'DequantizeLinear', name: namer.take(`${source}_DequantizeLinear`), inputs: [quantizedName, scale, zeroPoint], outputs: [output], attributes })];
  }

  /** Symmetric int8 per channel (or per tensor); returns the DequantizeLinear's attributes. */
  #weightInitializers(w: WeightUse, tensor: TensorProto, name: string, scale: string, zeroPoint: string) {
    const dims = (tensor.dims ?? []).map(Number);
    const q = quantizeWeight(tensor, w.axis, this.plan.weightLevels);
    const scaleDims = w.axis === undefined ? [] : [q.scales.length];
    this.#initializers.push(int8Tensor(name, q.values, dims), float32Tensor(scale, q.scales, scaleDims),
      int8Tensor(zeroPoint, new Int8Array(q.scales.length), scaleDims));
    return w.axis !== undefined ? [intAttr('axis', w.axis)] : [];
  }

  /** A constant operand of an integer op (uint8, per tensor). */
  #constantInitializers(tensor: TensorProto, name: string, scale: string, zeroPoint: string) {
    const dims = (tensor.dims ?? []).map(Number);
    const values = floatValues(tensor);
    const params = constantParams(values);
    const q = Array.from(values, (v) => quantizeValue(v, params.scale, params.zeroPoint, 0, 255));
    this.#initializers.push(uint8Tensor(name, q, dims), float32Tensor(scale, [params.scale], []), zeroPointTensor(zeroPoint, params, []));
    return [];
  }
}

const weightKey = (w: WeightUse) => `${w.node.input![w.input]}\u0000${w.axis ?? ''}\u0000${w.kind}`;

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
