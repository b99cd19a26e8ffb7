/**
 * The first Conv of a network that takes raw, un-centred pixels (calibrated input range within
 * [0, 255] with a maximum above 1: no mean subtraction, no 1/255 scaling) stays float in both
 * placements. Its input never goes negative, so symmetric int8 spends half its levels on nothing
 * (a step of 2 pixel levels), and the input's large offset multiplies the weights' rounding error
 * into every output. Measured on the zoo's YOLOX (ddddocr, raw 0–255 BGR, minmax): F1 vs fp32 over
 * 22 fp32 boxes 0.821 → 0.909 (TensorRT placement) and 0.894 → 0.905 (ort-cpu) with only this
 * Conv float; its input and its weights each carry about half of the objectness error it adds.
 * A model whose only compute op is that Conv keeps it quantized (an int8 model of nothing helps no
 * one).
 */
import type { NodeProto } from '../proto.js';
import { COMPUTE_OPS } from './coverage.js';
import type { GraphIndex } from './graph-index.js';
import type { ActivationScales } from './scales.js';

/** Ops that only move or reorder values: Focus/space-to-depth stems, an NHWC input's Transpose. */
const DATA_MOVEMENT = new Set([
  'Slice', 'Concat', 'Transpose', 'Reshape', 'Split', 'Identity', 'Squeeze', 'Unsqueeze', 'SpaceToDepth', 'DepthToSpace', 'Flatten',
]);
/** Above this input maximum the pixels are not in unit scale (0–1 or normalized). */
const UNIT_SCALE_MAX = 1.5;

/** Why `conv` stays float as the first layer on raw pixels, or undefined. */
export function rawPixelInputReason(index: GraphIndex, scales: ActivationScales, conv: NodeProto): string | undefined {
  const inputs = networkInputsOf(index, conv.input?.[0] ?? '');
  if (!inputs || inputs.size === 0) return undefined;
  const ranges = [...inputs].map((name) => scales.observedRange(name));
  if (ranges.some((r) => !r || r.min < 0 || r.max <= UNIT_SCALE_MAX)) return undefined;
  const computeOps = index.nodes.filter((n) => !n.domain && COMPUTE_OPS.includes(n.opType ?? '')).length;
  if (computeOps < 2) return undefined;
  const max = Math.max(...ranges.map((r) => r!.max));
  return `first layer on raw, un-centred pixels (network input range [0, ${+max.toFixed(1)}]): int8 would waste half its levels on the never-negative input and its offset amplifies the weights' rounding error`;
}

/** The network inputs `tensor` is moved from (through data-movement ops only), or undefined. */
function networkInputsOf(index: GraphIndex, tensor: string, depth = 0): Set<string> | undefined {
  if (index.graphInputs.has(tensor)) return new Set([tensor]);
  const node = index.producer.get(tensor);
  if (!node || node.domain || !DATA_MOVEMENT.has(node.opType ?? '') || depth > 16) return undefined;
  const sources = node.opType === 'Concat' ? index.activationInputs(node) : [node.input?.[0] ?? ''];
  const found = new Set<string>();
  for (const source of sources) {
    const inputs = networkInputsOf(index, source, depth + 1);
    if (!inputs) return undefined;
    for (const i of inputs) found.add(i);
  }
  return found;
}
