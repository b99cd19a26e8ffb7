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
import { placementOf } from './placements/index.js';
import { rewrite } from './rewrite.js';
import { coverageOf } from './coverage.js';
import { ActivationScales } from './scales.js';
import type { BuildInt8Options, BuildReport } from './types.js';

export type { ActivationParams, BuildCoverage, BuildInt8Options, BuildReport, FloatNode, Placement, QuantizedNode, SignedRange } from './types.js';
export { parseExcludes } from './exclude.js';
export { placementOf, PLACEMENT_NAMES, type QdqPlacement } from './placements/index.js';
export { COMPUTE_OPS, groupedReasons, isLowCoverage, MIN_COVERAGE } from './coverage.js';

const QDQ_OPSET = 13;

export function buildInt8(
  model: ModelProto,
  amax: ReadonlyMap<string, number>,
  options: BuildInt8Options,
): { model: ModelProto; report: BuildReport } {
  const placement = placementOf(options.placement);
  if (options.ortWeightBits !== undefined && options.ortWeightBits !== 7 && options.ortWeightBits !== 8) {
    throw invalidParameter('ortWeightBits', '7 or 8', options.ortWeightBits);
  }
  const excludes = parseExcludes(options.exclude);
  const upgraded = opsetVersion(model) < QDQ_OPSET ? upgradeOpset(model, QDQ_OPSET) : model;
  const prepared = placement.prepare(upgraded, excludes);
  const source = prepared.model;
  const index = new GraphIndex(source);
  const scales = new ActivationScales(index, amax, placement.activationType, options.ranges);
  placement.joinScales(index, scales);
  const levels = placement.weightLevels(options.ortWeightBits);
  const plan = new PlanBuilder(index, scales, excludes, options.perTensorWeights ?? false, levels);
  placement.place(plan);
  const result = rewrite(plan);
  const { graph, foldedScaleOps } = placement.finish(result.graph);
  const built: ModelProto = { ...source, graph };
  const count = (opType: string) => (graph.node ?? []).filter((n) => n.opType === opType && !n.domain).length;
  const excluded = [...plan.floatNodes.values()].sort((a, b) => order(index, a.node) - order(index, b.node));
  const report: BuildReport = {
    placement: placement.name,
    opset: opsetVersion(built),
    activationType: placement.activationType,
    notes: [...commonNotes(options, opsetVersion(model), levels), ...placement.notes(options)],
    coverage: coverageOf(index, plan, placement),
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
      foldedScaleOps,
      foldedHardSigmoids: prepared.foldedHardSigmoids,
      foldedAdds: prepared.foldedAdds,
    },
  };
  return { model: built, report };
}

function order(index: GraphIndex, label: string): number {
  const i = index.nodes.findIndex((n) => nodeLabel(n) === label);
  return i < 0 ? Number.MAX_SAFE_INTEGER : i;
}

function commonNotes(options: BuildInt8Options, sourceOpset: number, levels: number): string[] {
  const list: string[] = [];
  if (sourceOpset < QDQ_OPSET) list.push(`upgraded from opset ${sourceOpset} to ${QDQ_OPSET} (per-channel Q/DQ needs 13)`);
  list.push(`weights: symmetric int8 in [-${levels}, ${levels}], zero point 0, ${options.perTensorWeights ? 'one scale per tensor' : 'one scale per output channel'}`);
  if (levels < 127) {
    list.push('weights use 7 bits (--ort-weight-bits 7, or auto on a CPU without VNNI): ONNX Runtime\'s x86 integer kernels without VNNI sum pairs of uint8 x int8 products in saturating int16, which full-range weights overflow');
  }
  return list;
}
