/**
 * INT8 Q/DQ builder: symmetric int8 weights per output channel, activations per tensor with
 * calibrated scales, placed for TensorRT or for ONNX Runtime's CPU integer kernels.
 * Deterministic: same model, amax and options → byte-identical model.
 */
import { invalidParameter } from '../../core/errors.js';
import { opsetVersion } from '../graph.js';
import type { ModelProto } from '../proto.js';
import { upgradeOpset } from '../upgrade/index.js';
import { nodeLabel } from '../upgrade/nodes.js';
import { parseExcludes } from './exclude.js';
import { GraphIndex } from './graph-index.js';
import { PlanBuilder } from './plan.js';
import { placeOrtCpu } from './placement-ort.js';
import { placeTensorRT } from './placement-tensorrt.js';
import { foldAddsIntoConvs } from './fold-add-bias.js';
import { foldHardSigmoids } from './fold-hardsigmoid.js';
import { foldScaleOps } from './fold-scales.js';
import { rewrite } from './rewrite.js';
import { ActivationScales } from './scales.js';
import type { BuildInt8Options, BuildReport, Placement } from './types.js';

export type { ActivationParams, BuildInt8Options, BuildReport, FloatNode, Placement, QuantizedNode, SignedRange } from './types.js';
export { parseExcludes } from './exclude.js';

const QDQ_OPSET = 13;

/**
 * Weight range. ONNX Runtime's x86 U8S8 kernels without VNNI (AVX2) add pairs of u8 × s8
 * products in saturating int16: u8 255 × s8 127 × 2 overflows, 255 × 63 × 2 does not. On such
 * CPUs the ort-cpu model needs 7-bit weights ([−63, 63], ORT's own `reduce_range`); with VNNI
 * (int32 accumulation) or on ARM that only costs resolution (PaddleOCR det, weights alone:
 * logit SNR 29 dB at 8 bits, 24 dB at 7), so 8 bits is the default. TensorRT: always 8.
 */
export function weightLevels(placement: Placement, ortWeightBits: 7 | 8 = 8): number {
  return placement === 'ort-cpu' && ortWeightBits === 7 ? 63 : 127;
}

export function buildInt8(
  model: ModelProto,
  amax: ReadonlyMap<string, number>,
  options: BuildInt8Options,
): { model: ModelProto; report: BuildReport } {
  if (options.placement !== 'tensorrt' && options.placement !== 'ort-cpu') {
    throw invalidParameter('placement', 'tensorrt or ort-cpu', options.placement);
  }
  const excludes = parseExcludes(options.exclude);
  const upgraded = opsetVersion(model) < QDQ_OPSET ? upgradeOpset(model, QDQ_OPSET) : model;
  // ort-cpu only: TensorRT fuses these itself, and its placement must see the model as it is.
  const gates = options.placement === 'ort-cpu' ? foldHardSigmoids(upgraded, excludes) : { model: upgraded, folded: 0 };
  const adds = options.placement === 'ort-cpu' ? foldAddsIntoConvs(gates.model, excludes) : { model: gates.model, folded: 0 };
  const source = adds.model;
  const index = new GraphIndex(source);
  const scales = new ActivationScales(index, amax, options.placement, options.ranges);
  if (options.placement === 'tensorrt') {
    // Concat members share one scale, so TensorRT can move Q/DQ across the Concat exactly.
    // (ort-cpu keeps Concat float, each member with its own scale: see placement-ort.)
    for (const node of index.nodes) {
      if (node.opType === 'Concat' && !node.domain) scales.join([...index.activationInputs(node), node.output![0]!]);
    }
  }
  if (options.ortWeightBits !== undefined && options.ortWeightBits !== 7 && options.ortWeightBits !== 8) {
    throw invalidParameter('ortWeightBits', '7 or 8', options.ortWeightBits);
  }
  const levels = weightLevels(options.placement, options.ortWeightBits);
  const plan = new PlanBuilder(index, scales, excludes, options.perTensorWeights ?? false, levels);
  if (options.placement === 'tensorrt') placeTensorRT(plan);
  else placeOrtCpu(plan);
  const result = rewrite(plan);
  const { graph, folded } = options.placement === 'ort-cpu' ? foldScaleOps(result.graph) : { graph: result.graph, folded: 0 };
  const built: ModelProto = { ...source, graph };
  const count = (opType: string) => (graph.node ?? []).filter((n) => n.opType === opType && !n.domain).length;
  const excluded = [...plan.floatNodes.values()].sort((a, b) => order(index, a.node) - order(index, b.node));
  const report: BuildReport = {
    placement: options.placement,
    opset: opsetVersion(built),
    activationType: options.placement === 'tensorrt' ? 'int8' : 'uint8',
    notes: notes(options, opsetVersion(model)),
    quantized: plan.quantized,
    excluded,
    unscaled: [...plan.unscaled].map(([tensor, reason]) => ({ tensor, reason })),
    counts: {
      nodes: index.nodes.length,
      quantizedNodes: plan.quantized.length,
      excludedNodes: excluded.length,
      quantizedActivations: plan.activations.size,
      quantizedWeights: result.quantizedWeights,
      quantizeLinear: count('QuantizeLinear'),
      dequantizeLinear: count('DequantizeLinear'),
      foldedScaleOps: folded,
      foldedHardSigmoids: gates.folded,
      foldedAdds: adds.folded,
    },
  };
  return { model: built, report };
}

function order(index: GraphIndex, label: string): number {
  const i = index.nodes.findIndex((n) => nodeLabel(n) === label);
  return i < 0 ? Number.MAX_SAFE_INTEGER : i;
}

function notes(options: BuildInt8Options, sourceOpset: number): string[] {
  const list: string[] = [];
  if (sourceOpset < QDQ_OPSET) list.push(`upgraded from opset ${sourceOpset} to ${QDQ_OPSET} (per-channel Q/DQ needs 13)`);
  const levels = weightLevels(options.placement, options.ortWeightBits);
  list.push(`weights: symmetric int8 in [-${levels}, ${levels}], zero point 0, ${options.perTensorWeights ? 'one scale per tensor' : 'one scale per output channel'}`);
  if (levels < 127) {
    list.push('weights use 7 bits (--ort-weight-bits 7): ONNX Runtime\'s x86 AVX2 integer kernels without VNNI sum pairs of uint8 x int8 products in saturating int16, which full-range weights overflow');
  } else if (options.placement === 'ort-cpu') {
    list.push('weights use 8 bits: right for CPUs with VNNI and ARM; x86 CPUs with AVX2 but no VNNI need --ort-weight-bits 7 (their int16 sums saturate)');
  }
  if (options.placement === 'tensorrt') {
    list.push('activations: symmetric int8, zero point 0, scale = amax / 127');
  } else {
    const signed = options.ranges
      ? 'signed tensors asymmetric over their calibrated range clipped to ±amax (255 steps, integer zero point)'
      : 'signed tensors zero point 128, scale = amax / 127 (the same grid as symmetric int8; no signed ranges in the calibration)';
    list.push(`activations: uint8 for ONNX Runtime's x86 U8S8 kernels — ${signed}; ` +
      'non-negative tensors (Relu/Clip outputs…) zero point 0, scale = amax / 255 so ORT absorbs the Relu/Clip into the QuantizeLinear');
    list.push('biases stay float; ONNX Runtime quantizes them to int32 when it fuses');
    list.push('Concat runs in float and each input keeps its own scale (a shared scale costs small-range members their resolution)');
    list.push('rewritten so blocks stay in integer kernels (counts.folded*): Mul/Div by a positive constant folded into the next DequantizeLinear\'s scale, ' +
      'Conv → HardSigmoid as Conv(α·W, α·b + β) → Clip(0, 1), Add of a constant before an unpadded Conv folded into its bias');
    list.push('MaxPool, and a shallow first Conv on a gray/RGB input, run in float: ONNX Runtime\'s int8 kernels are slower than float there on x86');
  }
  return list;
}
