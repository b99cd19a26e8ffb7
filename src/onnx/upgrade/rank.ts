/**
 * Static rank inference for the ops common in vision models: enough to decide whether a
 * pre-13 Softmax's 2-D coercion and a 13 Softmax agree. Unknown stays unknown (callers then
 * take the always-correct path).
 */
import { topologicalOrder } from '../graph.js';
import type { GraphProto, NodeProto, TensorProto } from '../proto.js';
import { intAttribute, intsAttribute } from './nodes.js';
import { elementCount } from './tensors.js';

const SAME_AS_FIRST = new Set([
  'Relu', 'Sigmoid', 'Tanh', 'Clip', 'LeakyRelu', 'PRelu', 'Elu', 'Selu', 'HardSigmoid', 'HardSwish',
  'Softmax', 'LogSoftmax', 'Hardmax', 'BatchNormalization', 'InstanceNormalization', 'LRN', 'Conv',
  'ConvTranspose', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool',
  'Dropout', 'Identity', 'Cast', 'Pad', 'Slice', 'Resize', 'Upsample', 'Transpose', 'Abs', 'Neg',
  'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil', 'Round', 'Erf', 'Sign', 'Not', 'Softplus',
  'Softsign', 'DepthToSpace', 'SpaceToDepth', 'Tile', 'Split', 'CumSum', 'ScatterElements',
  'ScatterND', 'Scatter', 'QuantizeLinear', 'DequantizeLinear', 'MeanVarianceNormalization',
  'Celu', 'ThresholdedRelu', 'Shrink', 'IsNaN', 'IsInf', 'LpNormalization', 'GatherElements',
]);
const BROADCAST = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Equal', 'Greater', 'Less',
  'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Xor', 'Where', 'Mod', 'BitShift',
]);

type Constant = (name: string) => TensorProto | undefined;

export function inferRanks(graph: GraphProto, constant: Constant): Map<string, number> {
  const ranks = new Map<string, number>();
  /** Element counts of 1-D shape-like tensors (e.g. Shape → Gather → Concat chains). */
  const lengths = new Map<string, number>();
  for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    const shape = v.type?.tensorType?.shape;
    if (shape && v.name) ranks.set(v.name, (shape.dim ?? []).length);
  }
  for (const t of graph.initializer ?? []) {
    if (!t.name) continue;
    ranks.set(t.name, (t.dims ?? []).length);
    if ((t.dims ?? []).length === 1) lengths.set(t.name, elementCount(t));
  }
  for (const node of topologicalOrder(graph)) {
    const outs = (node.output ?? []).filter(Boolean);
    const rank = outputRank(node, ranks, lengths, constant);
    if (rank !== undefined) for (const o of outs) if (!ranks.has(o)) ranks.set(o, rank);
    const length = outputLength(node, ranks, lengths);
    if (length !== undefined && outs[0]) lengths.set(outs[0], length);
  }
  return ranks;
}

function outputRank(node: NodeProto, ranks: Map<string, number>, lengths: Map<string, number>, constant: Constant): number | undefined {
  const op = node.opType ?? '';
  const inputs = node.input ?? [];
  const r = (i: number) => (inputs[i] ? ranks.get(inputs[i]!) : undefined);
  const axesCount = (): number | undefined => {
    const attr = intsAttribute(node, 'axes');
    if (attr) return attr.length;
    const name = inputs[1];
    if (!name) return undefined;
    const t = constant(name);
    return t ? elementCount(t) : lengths.get(name);
  };
  if (node.domain && node.domain !== 'ai.onnx') return undefined;
  if (SAME_AS_FIRST.has(op)) return r(0);
  if (BROADCAST.has(op)) {
    const all = inputs.filter(Boolean).map((_, i) => r(i));
    return all.every((x) => x !== undefined) ? Math.max(...(all as number[])) : undefined;
  }
  switch (op) {
    case 'Constant': {
      const value = (node.attribute ?? []).find((a) => a.name === 'value')?.t;
      if (value) return (value.dims ?? []).length;
      const ints = (node.attribute ?? []).find((a) => a.name === 'value_ints');
      return ints ? 1 : (node.attribute ?? []).some((a) => a.name === 'value_int' || a.name === 'value_float') ? 0 : undefined;
    }
    case 'Concat': return inputs.map((_, i) => r(i)).find((x) => x !== undefined);
    case 'Flatten': case 'Gemm': case 'NonZero': case 'NonMaxSuppression': return 2;
    case 'Shape': case 'Range': case 'Compress': return 1;
    case 'Size': return 0;
    case 'MatMul': {
      const a = r(0); const b = r(1);
      if (a === undefined || b === undefined) return undefined;
      if (a === 1 && b === 1) return 0;
      if (a === 1) return b - 1;
      if (b === 1) return a - 1;
      return Math.max(a, b);
    }
    case 'Reshape': case 'Expand': case 'ConstantOfShape': {
      const shape = op === 'ConstantOfShape' ? inputs[0] : inputs[1];
      const length = shape ? (constant(shape) ? elementCount(constant(shape)!) : lengths.get(shape)) : undefined;
      if (op === 'Expand') return length !== undefined && r(0) !== undefined ? Math.max(length, r(0)!) : undefined;
      return length;
    }
    case 'Unsqueeze': { const a = r(0); const n = axesCount(); return a !== undefined && n !== undefined ? a + n : undefined; }
    case 'Squeeze': { const a = r(0); const n = axesCount(); return a !== undefined && n !== undefined ? a - n : undefined; }
    case 'Gather': { const a = r(0); const b = r(1); return a !== undefined && b !== undefined ? a + b - 1 : undefined; }
    case 'ArgMax': case 'ArgMin': { const a = r(0); return a === undefined ? undefined : intAttribute(node, 'keepdims', 1) ? a : a - 1; }
    case 'TopK': return r(0);
    default:
      if (op.startsWith('Reduce')) {
        const a = r(0);
        if (a === undefined) return undefined;
        if (intAttribute(node, 'keepdims', 1)) return a;
        const n = axesCount();
        return n === undefined ? (inputs[1] ? undefined : 0) : a - n;
      }
      return undefined;
  }
}

/** Length of a 1-D output built from shapes, when known. */
function outputLength(node: NodeProto, ranks: Map<string, number>, lengths: Map<string, number>): number | undefined {
  const inputs = node.input ?? [];
  switch (node.opType) {
    case 'Shape': return inputs[0] ? ranks.get(inputs[0]) : undefined;
    case 'Constant': {
      const value = (node.attribute ?? []).find((a) => a.name === 'value')?.t;
      return value && (value.dims ?? []).length === 1 ? elementCount(value) : undefined;
    }
    case 'Unsqueeze': return inputs[0] && ranks.get(inputs[0]) === 0 ? 1 : undefined;
    case 'Cast': case 'Identity': return inputs[0] ? lengths.get(inputs[0]) : undefined;
    case 'Concat': {
      const parts = inputs.map((i) => lengths.get(i));
      return parts.every((p) => p !== undefined) ? (parts as number[]).reduce((a, b) => a + b, 0) : undefined;
    }
    default: return undefined;
  }
}
