/**
 * Constants as build expects them: float32 initializers read directly by the ops. Exports hold
 * weights in `Constant` nodes, behind `Cast`s (fp16 storage), `Identity`s or
 * `DequantizeLinear`s (int8 storage): a constant is a constant whatever stands in between.
 * Only constant subgraphs of these four ops are folded; everything else is left to ONNX Runtime.
 */
import type { AttributeProto, GraphProto, NodeProto, TensorProto } from '../proto.js';
import { DataType } from '../proto.js';
import { intAttribute } from '../upgrade/nodes.js';
import { float32Tensor, float16Tensor, floatValues, intValues, int64Tensor } from '../upgrade/tensors.js';

const FLOATS: readonly number[] = [DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE, DataType.BFLOAT16];
export const isFloatType = (type: number | null | undefined): boolean => FLOATS.includes(type ?? 0);

/** `Constant` nodes (tensor or scalar/list attributes) become initializers of the same name. */
export function liftConstantNodes(graph: GraphProto): { graph: GraphProto; lifted: number } {
  const lifted: TensorProto[] = [];
  const nodes = (graph.node ?? []).filter((node) => {
    if (node.opType !== 'Constant' || (node.domain ?? '') !== '' || !node.output?.[0]) return true;
    const tensor = constantValue(node.attribute?.[0], node.output[0]);
    if (!tensor) return true;
    lifted.push(tensor);
    return false;
  });
  if (lifted.length === 0) return { graph, lifted: 0 };
  return { graph: { ...graph, node: nodes, initializer: [...(graph.initializer ?? []), ...lifted] }, lifted: lifted.length };
}

function constantValue(attribute: AttributeProto | undefined, name: string): TensorProto | undefined {
  switch (attribute?.name) {
    case 'value': return attribute.t ? { ...attribute.t, name } : undefined;
    case 'value_float': return float32Tensor(name, [attribute.f ?? 0], []);
    case 'value_floats': return float32Tensor(name, attribute.floats ?? []);
    case 'value_int': return int64Tensor(name, [BigInt(String(attribute.i ?? 0))], []);
    case 'value_ints': return int64Tensor(name, (attribute.ints ?? []).map((i) => BigInt(String(i))));
    default: return undefined; // sparse_value, strings: left to ONNX Runtime
  }
}

/**
 * Folds Identity, Cast (between float types, or integer → float) and DequantizeLinear of
 * initializers into float initializers, repeatedly (chains), in node order.
 */
export function foldConstantChains(graph: GraphProto): { graph: GraphProto; folded: number } {
  const constants = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const removed = new Set<NodeProto>();
  for (let changed = true; changed;) {
    changed = false;
    for (const node of graph.node ?? []) {
      const out = node.output?.[0];
      if (removed.has(node) || !out || outputs.has(out) || (node.domain ?? '') !== '') continue;
      const value = foldNode(node, constants, out);
      if (!value) continue;
      constants.set(out, value);
      removed.add(node);
      changed = true;
    }
  }
  if (removed.size === 0) return { graph, folded: 0 };
  const used = new Set((graph.node ?? []).filter((n) => !removed.has(n)).flatMap((n) => n.input ?? []));
  for (const o of outputs) used.add(o);
  const initializer = [...constants.values()].filter((t) => used.has(t.name ?? ''));
  return { graph: { ...graph, node: (graph.node ?? []).filter((n) => !removed.has(n)), initializer }, folded: removed.size };
}

function foldNode(node: NodeProto, constants: ReadonlyMap<string, TensorProto>, out: string): TensorProto | undefined {
  const inputs = (node.input ?? []).filter(Boolean);
  if (inputs.length === 0 || !inputs.every((i) => constants.has(i))) return undefined;
  const x = constants.get(inputs[0]!)!;
  switch (node.opType) {
    case 'Identity': return { ...x, name: out };
    case 'Cast': return castTensor(x, intAttribute(node, 'to', 0), out);
    case 'DequantizeLinear': return dequantize(node, constants, out);
    default: return undefined;
  }
}

function castTensor(x: TensorProto, to: number, out: string): TensorProto | undefined {
  const dims = (x.dims ?? []).map(Number);
  const values = isFloatType(x.dataType) ? floatValues(x) : isIntegerType(x.dataType) ? Float32Array.from(intValues(x), Number) : undefined;
  if (!values) return undefined;
  if (to === DataType.FLOAT) return float32Tensor(out, values, dims);
  if (to === DataType.FLOAT16 && isFloatType(x.dataType)) return float16Tensor(out, values, dims);
  return undefined; // integer targets (shape arithmetic) are left to ONNX Runtime
}

function isIntegerType(type: number | null | undefined): boolean {
  return [DataType.INT8, DataType.UINT8, DataType.INT16, DataType.UINT16, DataType.INT32, DataType.INT64].includes(type ?? 0);
}

/** y = (x − zero point) · scale, per tensor or along `axis` (opset 13). */
function dequantize(node: NodeProto, constants: ReadonlyMap<string, TensorProto>, out: string): TensorProto | undefined {
  const [xName, sName, zName] = node.input ?? [];
  const x = constants.get(xName!)!;
  const scale = constants.get(sName ?? '');
  if (!scale || !isIntegerType(x.dataType) || !isFloatType(scale.dataType)) return undefined;
  const q = intValues(x).map(Number);
  const s = floatValues(scale);
  const z = zName && constants.get(zName) ? intValues(constants.get(zName)!).map(Number) : [0];
  const dims = (x.dims ?? []).map(Number);
  const axis = s.length > 1 ? normalizedAxis(intAttribute(node, 'axis', 1), dims.length) : undefined;
  const inner = axis === undefined ? q.length : dims.slice(axis + 1).reduce((p, d) => p * d, 1);
  const channels = axis === undefined ? 1 : dims[axis]!;
  const values = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const c = axis === undefined ? 0 : Math.floor(i / inner) % channels;
    values[i] = (q[i]! - (z[c] ?? z[0] ?? 0)) * s[c]!;
  }
  return float32Tensor(out, values, dims);
}

function normalizedAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
