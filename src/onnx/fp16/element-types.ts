/**
 * Static element-type inference, enough to know which tensors carry float32 activations
 * (shape arithmetic in int64 must not be rounded to fp16). Unknown stays unknown.
 */
import { topologicalOrder } from '../graph.js';
import { DataType, type GraphProto, type NodeProto } from '../proto.js';
import { attribute, intAttribute } from '../upgrade/nodes.js';

const INT64_OUTPUT = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'NonMaxSuppression']);
const BOOL_OUTPUT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);
const FLOAT_OUTPUT = new Set(['DequantizeLinear', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike']);

export function inferElementTypes(graph: GraphProto): Map<string, number> {
  const types = new Map<string, number>();
  for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    const t = v.type?.tensorType?.elemType;
    if (v.name && t) types.set(v.name, t);
  }
  for (const t of graph.initializer ?? []) if (t.name && t.dataType) types.set(t.name, t.dataType);
  for (const node of topologicalOrder(graph)) {
    const outputs = (node.output ?? []).filter(Boolean);
    outputs.forEach((out, i) => {
      if (types.has(out)) return;
      const t = outputType(node, i, types);
      if (t !== undefined) types.set(out, t);
    });
  }
  return types;
}

function outputType(node: NodeProto, output: number, types: Map<string, number>): number | undefined {
  if (node.domain && node.domain !== 'ai.onnx') return undefined;
  const op = node.opType ?? '';
  const input = (i: number) => (node.input?.[i] ? types.get(node.input[i]!) : undefined);
  if (INT64_OUTPUT.has(op)) return DataType.INT64;
  if (BOOL_OUTPUT.has(op)) return DataType.BOOL;
  if (FLOAT_OUTPUT.has(op)) return DataType.FLOAT;
  switch (op) {
    case 'Cast': return intAttribute(node, 'to');
    case 'CastLike': return input(1);
    case 'Constant': {
      const value = attribute(node, 'value')?.t;
      if (value) return value.dataType ?? undefined;
      if (attribute(node, 'value_float') || attribute(node, 'value_floats')) return DataType.FLOAT;
      if (attribute(node, 'value_int') || attribute(node, 'value_ints')) return DataType.INT64;
      return undefined;
    }
    case 'ConstantOfShape': return attribute(node, 'value')?.t?.dataType ?? DataType.FLOAT;
    case 'QuantizeLinear': return node.input?.[2] ? input(2) : DataType.UINT8;
    case 'TopK': return output === 1 ? DataType.INT64 : input(0);
    case 'MaxPool': return output === 1 ? DataType.INT64 : input(0);
    case 'Where': return input(1) ?? input(2);
    case 'If': case 'Loop': case 'Scan': return undefined;
    default: return input(0);
  }
}
