/**
 * INT8 Q/DQ builder: symmetric int8 weights per output channel, activations per tensor with
 * calibrated scales, placed for TensorRT or for ONNX Runtime's CPU integer kernels.
 * Deterministic: same model, amax and options → byte-identical model.
 */
import { invalidParameter } from '../../errors.js';
import { opsetVersion } from '../graph.js';
import type { ModelProto } from '../proto.js';
import { upgradeOpset } from '../upgrade/index.js';
import { parseExcludes } from './exclude.js';
import { GraphIndex } from './graph-index.js';
import { PlanBuilder } from './plan.js';
import { placeOrtCpu } from './placement-ort.js';
import { placeTensorRT } from './placement-tensorrt.js';
import { rewrite } from './rewrite.js';
import { ActivationScales } from './scales.js';
import type { BuildInt8Options, BuildReport } from './types.js';

export type { ActivationParams, BuildInt8Options, BuildReport, FloatNode, Placement, QuantizedNode } from './types.js';
export { parseExcludes } from './exclude.js';

const QDQ_OPSET = 13;

export function buildInt8(
  model: ModelProto,
  amax: ReadonlyMap<string, number>,
  options: BuildInt8Options,
): { model: ModelProto; report: BuildReport } {
  if (options.placement !== 'tensorrt' && options.placement !== 'ort-cpu') {
    throw invalidParameter('placement', 'tensorrt or ort-cpu', options.placement);
  }
  const excludes = parseExcludes(options.exclude);
  const source = opsetVersion(model) < QDQ_OPSET ? upgradeOpset(model, QDQ_OPSET) : model;
  const index = new GraphIndex(source);
  const scales = new ActivationScales(index, amax, options.placement);
  for (const node of index.nodes) {
    if (node.opType === 'Concat' && !node.domain) scales.join([...index.activationInputs(node), node.output![0]!]);
  }
  const plan = new PlanBuilder(index, scales, excludes, options.perTensorWeights ?? false);
  if (options.placement === 'tensorrt') placeTensorRT(plan);
  else placeOrtCpu(plan);
  const result = rewrite(plan);
  const built: ModelProto = { ...source, graph: result.graph };
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
      quantizeLinear: result.quantizeLinear,
      dequantizeLinear: result.dequantizeLinear,
    },
  };
  return { model: built, report };
}

function order(index: GraphIndex, label: string): number {
  const i = index.nodes.findIndex((n) => (n.name || `${n.opType} → ${n.output?.[0] ?? '?'}`) === label);
  return i < 0 ? Number.MAX_SAFE_INTEGER : i;
}

function notes(options: BuildInt8Options, sourceOpset: number): string[] {
  const list: string[] = [];
  if (sourceOpset < QDQ_OPSET) list.push(`upgraded from opset ${sourceOpset} to ${QDQ_OPSET} (per-channel Q/DQ needs 13)`);
  list.push(options.perTensorWeights
    ? 'weights: symmetric int8, one scale per tensor'
    : 'weights: symmetric int8 [-127, 127], one scale per output channel, zero point 0');
  if (options.placement === 'tensorrt') {
    list.push('activations: symmetric int8, zero point 0, scale = amax / 127');
  } else {
    list.push('activations: uint8 for ONNX Runtime\'s x86 U8S8 kernels — signed tensors zero point 128, scale = amax / 127 (the same grid as symmetric int8); ' +
      'non-negative tensors (Relu/Clip outputs…) zero point 0, scale = amax / 255 so ORT absorbs the Relu/Clip into the QuantizeLinear');
    list.push('biases stay float; ONNX Runtime quantizes them to int32 when it fuses');
  }
  return list;
}
