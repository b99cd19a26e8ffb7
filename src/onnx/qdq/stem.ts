/**
 * ort-cpu: the image-resolution stem of a CNN runs faster in float on ONNX Runtime's x86 CPU
 * kernels than as int8. A shallow Conv on a gray/RGB network input (an RGB 3×3 conv makes 27
 * products per output) is slower as QLinearConv than as ORT's float NCHWc kernel, and would
 * need the full-resolution image quantized; the narrow depthwise Conv that usually follows it
 * (MobileNet-style stems) is slower too, and would need a full-resolution QuantizeLinear of its
 * own. Measured on fr_detect: 1.15× fp32 all int8 → 0.94× first Conv float → 0.86× with the
 * depthwise one float too; PaddleOCR det 0.54 → 0.51×.
 */
import type { NodeProto, TensorProto } from '../proto.js';
import type { GraphIndex } from './graph-index.js';

/** Below this reduction depth (channels × kernel), a Conv on the network input stays float. */
const SHALLOW = 64;
/** A depthwise Conv with at most this many channels right after a float stem Conv stays float. */
const NARROW = 32;
/** Ops between stem convs that keep the stem going (activations, affine constants). */
const PASS_THROUGH = new Set(['Relu', 'Clip', 'LeakyRelu', 'PRelu', 'HardSigmoid', 'HardSwish', 'Sigmoid', 'Mul', 'Add', 'Div', 'BatchNormalization']);

/** Why `conv` belongs to the float stem, or undefined. */
export function floatStemReason(index: GraphIndex, conv: NodeProto): string | undefined {
  const weight = index.constants.get(conv.input?.[1] ?? '');
  if (!weight) return undefined;
  if (isInputConv(index, conv, weight)) {
    return `it reads the network input with only ${reductionDepth(weight)} products per output: ORT's int8 kernel is slower than float there, and the input would be quantized at full resolution`;
  }
  const channels = Number(weight.dims?.[0]);
  const depthwise = Number(weight.dims?.[1]) === 1 && channels > 1;
  if (!depthwise || channels > NARROW) return undefined;
  const before = upstreamConv(index, conv.input![0]!);
  const stem = before && index.constants.get(before.input?.[1] ?? '');
  if (!before || !stem || !isInputConv(index, before, stem)) return undefined;
  return `narrow depthwise Conv (${channels} channels) right after the float stem Conv ${before.name || before.output![0]}: ORT's int8 depthwise kernel is slower than float at this resolution`;
}

function isInputConv(index: GraphIndex, conv: NodeProto, weight: TensorProto): boolean {
  const imageChannels = [1, 3].includes(Number(weight.dims?.[1]));
  return index.graphInputs.has(conv.input?.[0] ?? '') && imageChannels && reductionDepth(weight) < SHALLOW;
}

/** The Conv whose output reaches `tensor` through single-activation pass-through ops only. */
function upstreamConv(index: GraphIndex, tensor: string): NodeProto | undefined {
  for (let node = index.producer.get(tensor); node; ) {
    if (node.opType === 'Conv' && !node.domain) return node;
    const activations = index.activationInputs(node);
    if (node.domain || !PASS_THROUGH.has(node.opType ?? '') || activations.length !== 1) return undefined;
    node = index.producer.get(activations[0]!);
  }
  return undefined;
}

/** Products per output of a Conv weight [M, C/group, kH, kW]: C/group · kH · kW. */
function reductionDepth(weight: TensorProto): number {
  return (weight.dims ?? []).slice(1).reduce((p: number, d) => p * Number(d), 1);
}
