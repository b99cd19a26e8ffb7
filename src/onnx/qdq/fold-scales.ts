/**
 * ort-cpu: a Mul or Div by one positive constant between two quantized tensors costs ONNX
 * Runtime a DequantizeLinear, a float op and a QuantizeLinear (and, around its NHWC integer
 * convolutions, Transposes) for what is only a change of scale. After the rewrite, fold it into
 * the scale of the DequantizeLinears that read its output:
 *   DQ(q, s, z) → Mul(k) → Q → DQ(s_u, z_u) → op   ⇒   DQ(q, s·k, z) → op
 * Exact up to float32 rounding of s·k, and it drops a requantization (less noise, not more).
 * Hardswish's "/ 6" and PP-LCNet's learnable scales are such ops.
 */
import type { GraphProto, NodeProto, TensorProto } from '../proto.js';
import { elementCount, float32Tensor, floatValues } from '../upgrade/tensors.js';
import { isFloatType } from '../normalize/index.js';
import { ORT_QUANTIZED_DATA_OPS } from './ort-ops.js';

/**
 * k when `node` computes activation × k with k a positive finite scalar constant (Mul by k or
 * Div by 1/k), with the index of its activation input; undefined otherwise.
 */
export function scaleFactor(node: NodeProto, constants: ReadonlyMap<string, TensorProto>): { factor: number; input: number } | undefined {
  if (node.domain || (node.opType !== 'Mul' && node.opType !== 'Div') || node.input?.length !== 2) return undefined;
  const constantAt = node.opType === 'Div' ? [1] : [1, 0];
  for (const c of constantAt) {
    const tensor = constants.get(node.input[c] ?? '');
    const other = node.input[1 - c]!;
    // Type-aware: an integer Mul/Div is shape arithmetic, never a scale.
    if (!tensor || constants.has(other) || elementCount(tensor) !== 1 || !isFloatType(tensor.dataType)) continue;
    const value = floatValues(tensor)[0]!;
    const factor = node.opType === 'Div' ? 1 / value : value;
    if (factor > 0 && Number.isFinite(factor)) return { factor, input: 1 - c };
  }
  return undefined;
}

export function foldScaleOps(graph: GraphProto): { graph: GraphProto; folded: number } {
  const nodes = [...(graph.node ?? [])];
  const constants = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const producer = new Map<string, NodeProto>();
  const readers = new Map<string, NodeProto[]>();
  for (const n of nodes) {
    for (const out of n.output ?? []) producer.set(out, n);
    for (const i of n.input ?? []) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  }
  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const removed = new Set<NodeProto>();
  const added: TensorProto[] = [];
  const replaced = new Map<NodeProto, NodeProto>();
  const originalOf = new Map<NodeProto, NodeProto>();
  let folded = 0;
  for (const op of nodes) {
    const scale = scaleFactor(op, constants);
    if (!scale) continue;
    const dq = producer.get(op.input![scale.input]!);
    const out = op.output![0]!;
    const [q] = readers.get(out) ?? [];
    if (!dq || !isPerTensorDq(dq, constants) || outputs.has(out) || readers.get(out)!.length !== 1 || q!.opType !== 'QuantizeLinear') continue;
    const dqOuts = readers.get(q!.output![0]!) ?? [];
    const foldable = !outputs.has(q!.output![0]!) && dqOuts.length > 0 && dqOuts.every((d) => isPerTensorDq(d, constants) &&
      !outputs.has(d.output![0]!) && (readers.get(d.output![0]!) ?? []).every((r) => r.domain || !ORT_QUANTIZED_DATA_OPS.has(r.opType ?? '')));
    if (!foldable) continue;
    const [, sName, zName] = dq.input!;
    const scaled = `${out}_folded_scale`;
    const tensor = float32Tensor(scaled, [Math.fround(floatValues(constants.get(sName!)!)[0]! * scale.factor)], []);
    added.push(tensor);
    constants.set(scaled, tensor);
    for (const d of dqOuts) {
      const rescaled = { ...d, input: [dq.input![0]!, scaled, zName!] };
      replaced.set(d, rescaled);
      originalOf.set(rescaled, d);
      producer.set(d.output![0]!, rescaled); // a chain of scale ops folds into one DQ
    }
    removed.add(op).add(q!);
    if ((readers.get(dq.output![0]!) ?? []).length === 1) removed.add(originalOf.get(dq) ?? dq);
    folded++;
  }
  if (folded === 0) return { graph, folded };
  return {
    graph: { ...graph, node: nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n), initializer: [...(graph.initializer ?? []), ...added] },
    folded,
  };
}

/** A DequantizeLinear with scalar scale and zero point initializers (not per channel). */
function isPerTensorDq(node: NodeProto, constants: ReadonlyMap<string, TensorProto>): boolean {
  if (node.opType !== 'DequantizeLinear' || node.domain) return false;
  const [, s, z] = node.input ?? [];
  return Boolean(s && z && constants.has(s) && constants.has(z) && elementCount(constants.get(s)!) === 1);
}
