/**
 * An input model that is already quantized (Q/DQ on activations, or ONNX Runtime's QLinear /
 * integer ops) would be quantized twice: its int8 error compounds and its "fp32 reference" is
 * itself an int8 model. That is a user error with a clear message, never a silent rebuild.
 */
import { Int8calError } from '../../core/errors.js';
import type { GraphProto, NodeProto } from '../proto.js';
import { nodeLabel } from '../upgrade/nodes.js';

/** Ops only a quantized model contains (standard and com.microsoft). */
const QUANTIZED_OPS = new Set([
  'QuantizeLinear', 'DynamicQuantizeLinear', 'ConvInteger', 'MatMulInteger', 'QLinearConv', 'QLinearMatMul',
  'QLinearAdd', 'QLinearMul', 'QLinearSigmoid', 'QLinearLeakyRelu', 'QLinearSoftmax', 'QLinearConcat',
  'QLinearAveragePool', 'QLinearGlobalAveragePool', 'QGemm', 'MatMulIntegerToFloat', 'DynamicQuantizeMatMul',
]);

/** Throws MODEL_ALREADY_QUANTIZED when the graph holds quantization ops on activations. */
export function assertNotQuantized(graph: GraphProto, file?: string): void {
  const constants = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  for (const n of graph.node ?? []) if (n.opType === 'Constant') for (const o of n.output ?? []) constants.add(o);
  const quantized = (graph.node ?? []).filter((n) => isQuantizing(n, constants));
  if (quantized.length === 0) return;
  const ops = [...new Set(quantized.map((n) => n.opType))].join(', ');
  const first = quantized[0]!;
  throw new Int8calError(
    'MODEL_ALREADY_QUANTIZED',
    `The model is already quantized: ${quantized.length} quantization node(s) (${ops}), e.g. ${nodeLabel(first)}`,
    {
      ...(file ? { file } : {}),
      node: nodeLabel(first),
      hint: 'give int8cal the float (fp32 or fp16) model this one was made from: quantizing a quantized model compounds the error and leaves no float reference',
    },
  );
}

/** A DequantizeLinear of a constant only stores a weight compactly (it is folded); one of an activation is quantization. */
function isQuantizing(node: NodeProto, constants: ReadonlySet<string>): boolean {
  const op = node.opType ?? '';
  if (QUANTIZED_OPS.has(op)) return true;
  return op === 'DequantizeLinear' && !constants.has(node.input?.[0] ?? '');
}
