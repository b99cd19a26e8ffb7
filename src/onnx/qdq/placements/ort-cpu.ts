/**
 * ONNX Runtime CPU placement: Q/DQ exactly where ORT's QDQ fusions (level extended/all) turn
 * DQ → op → Q into integer kernels — QLinearConv, QGemm, QLinearMatMul / MatMulIntegerToFloat,
 * QLinearAdd/Mul, QLinearAveragePool / GlobalAveragePool, QLinearSigmoid / LeakyRelu — and data-movement ops it runs directly on quantized data (Reshape, Transpose,
 * Resize…: ort-ops.ts). Rules that follow from ORT's selectors:
 * - the fused op's output must feed only a QuantizeLinear (so a quantized tensor is quantized
 *   for all its consumers), except Gemm/MatMul which may keep a float output;
 * - a Relu, or a Clip with min ≥ 0, between the op and the Q is absorbed when the Q's zero
 *   point is the type minimum (uint8 zero point 0), so non-negative tensors use that;
 * - weights are int8 (per channel), float biases are quantized by ORT itself (int32).
 * Compute ops (Conv, Gemm, MatMul) are quantized first; cheaper ops join when all their inputs
 * are already quantized (so no extra QuantizeLinear is needed for them).
 * The image-resolution stem (a shallow Conv on the RGB input and a narrow depthwise Conv after
 * it) stays float: ORT's float kernels are faster there (stem.ts).
 * Mul/Div by a positive constant is quantized on both sides and then folded into the scale of
 * the DequantizeLinear after it (fold-scales.ts).
 * Concat stays float: QLinearConcat would give all members the largest member's scale, which
 * costs DenseNet-style concatenations most of their resolution (fr_expression: pooled PSNR
 * 19.0 → 16.0 dB); each member keeps its own scale instead.
 */
import type { NodeProto } from '../../proto.js';
import { elementCount } from '../../upgrade/tensors.js';
import { isFloatType } from '../../normalize/index.js';
import { nodeLabel } from '../../upgrade/nodes.js';
import { scaleFactor } from '../fold-scales.js';
import { ORT_QUANTIZED_DATA_OPS } from '../ort-ops.js';
import type { PlanBuilder } from '../plan.js';
import { floatStemReason } from '../stem.js';
import { rawPixelInputReason } from '../raw-pixel-input.js';
import { foldAddsIntoConvs } from '../fold-add-bias.js';
import { foldHardSigmoids } from '../fold-hardsigmoid.js';
import { foldScaleOps } from '../fold-scales.js';
import type { BuildInt8Options } from '../types.js';
import type { QdqPlacement } from './placement.js';

const ANCHORS = new Set(['Conv', 'Gemm', 'MatMul']);
/**
 * Softmax is left out on purpose: QLinearSoftmax reads uint8 logits, whose rounding an
 * exponential turns into relative errors of the attention weights (LayerNorm/GELU chains have no
 * fused kernel and stay float anyway); its float output is still quantized where a MatMul reads it.
 */
const UNARY = new Set(['AveragePool', 'GlobalAveragePool', 'Sigmoid', 'LeakyRelu']);
const BINARY = new Set(['Add', 'Mul']);
const DROP = ORT_QUANTIZED_DATA_OPS;
/** Ops that may output float from quantized inputs (QGemm, MatMulIntegerToFloat). */
const FLOAT_OUTPUT_OK = new Set(['Gemm', 'MatMul']);

export function placeOrtCpu(plan: PlanBuilder): void {
  const { index } = plan;
  for (const node of index.nodes) {
    if (isDefaultDomain(node) && ANCHORS.has(node.opType ?? '') && plan.allow(node)) tryQuantize(plan, node, true);
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const node of index.nodes) {
      const op = node.opType ?? '';
      if (plan.quantizedNodes.has(node) || !isDefaultDomain(node) || plan.isExcluded(node)) continue;
      const scale = scaleFactor(node, index.constants);
      if (scale) {
        if (quantizeScaleOp(plan, node, scale.input)) changed = true;
        continue;
      }
      if (!UNARY.has(op) && !BINARY.has(op) && !DROP.has(op)) continue;
      const inputs = dataInputs(plan, node);
      const forward = inputs.length > 0 && inputs.every((t) => plan.isQuantized(t));
      const backward = DROP.has(op) && inputs.length === 1 && plan.isQuantized(node.output![0]!);
      if ((forward || backward) && tryQuantize(plan, node, false)) changed = true;
    }
  }
  for (const node of index.nodes) {
    if (isDefaultDomain(node) && plan.isExcluded(node)) plan.allow(node);
  }
}

/**
 * Mul/Div by a positive constant after a quantized tensor: quantize its output too, so that
 * fold-scales.ts can fold the op into the DequantizeLinear scale after the rewrite.
 */
function quantizeScaleOp(plan: PlanBuilder, node: NodeProto, input: number): boolean {
  const out = node.output?.[0];
  if (!out || !plan.isQuantized(node.input![input]!) || plan.index.graphOutputs.has(out) || !plan.hasScales([out])) return false;
  if (plan.index.consumersOf(out).some((c) => plan.isExcluded(c.node))) return false;
  plan.quantizeTensor(out);
  plan.markQuantized(node);
  return true;
}

/** Float data inputs: for data-movement ops only input 0 (the others are shapes and indices). */
function dataInputs(plan: PlanBuilder, node: NodeProto): string[] {
  if (DROP.has(node.opType ?? '')) return node.input?.[0] && !plan.index.isConstant(node.input[0]) ? [node.input[0]] : [];
  return plan.index.activationInputs(node);
}

function isDefaultDomain(node: NodeProto): boolean {
  return !node.domain || node.domain === 'ai.onnx';
}

/** The tensor the Q goes on: the op's output, or the output of a Relu/Clip it absorbs. */
function quantizedOutput(plan: PlanBuilder, node: NodeProto): { tensor: string; absorbed?: NodeProto } {
  const out = node.output![0]!;
  if (DROP.has(node.opType ?? '')) return { tensor: out };
  const next = plan.index.soleConsumer(out);
  if (!next || plan.isExcluded(next) || plan.index.graphOutputs.has(next.output![0]!)) return { tensor: out };
  if (next.opType === 'Relu' || (next.opType === 'Clip' && clipAbsorbable(plan, next))) {
    return { tensor: next.output![0]!, absorbed: next };
  }
  return { tensor: out };
}

/** Clip(min ≥ 0, max) with constant bounds: ORT drops it before a uint8 zero-point-0 Q. */
function clipAbsorbable(plan: PlanBuilder, clip: NodeProto): boolean {
  const [, min, max] = clip.input ?? [];
  return Boolean(min && max && plan.index.isConstant(min) && plan.index.isConstant(max)) && plan.scales.isNonNegative(clip.output![0]!);
}

/** Quantizes `node` if ORT can fuse it here; records why not for compute ops (`report`). */
function tryQuantize(plan: PlanBuilder, node: NodeProto, report: boolean): boolean {
  const { index } = plan;
  const op = node.opType ?? '';
  const refuse = (why: string) => (report && plan.refuse(node, why), false);
  const outputs = (node.output ?? []).filter(Boolean);
  if (outputs.length !== 1) return refuse('it has several outputs');
  const inputs = node.input ?? [];
  const activations = dataInputs(plan, node);
  const constants = inputs.map((name, i) => ({ name, i })).filter(({ name }) => name && index.isConstant(name));
  if (op === 'Conv') {
    if (!plan.requireConstantWeight(node, 1)) return false;
    if (inputs[2] && !index.isConstant(inputs[2])) return refuse('its bias is not a constant');
    const stem = floatStemReason(index, node) ?? rawPixelInputReason(index, plan.scales, node);
    if (stem) return refuse(stem);
  } else if (op === 'Gemm') {
    if (inputs[2] && !index.isConstant(inputs[2])) return refuse('its C input is not a constant');
  } else if (op === 'MatMul') {
    // A constant B is a weight; an activation B is quantized like A.
  } else if (BINARY.has(op)) {
    // Constant operands are quantized like activations: exact only for scalars.
    if (constants.some(({ name }) => elementCount(index.constants.get(name)!) !== 1 || !isFloatType(index.constants.get(name)!.dataType))) return false;
  } else if (!DROP.has(op) && constants.length > 0) {
    return false;
  }
  if (activations.length === 0) return false;
  const isGraphOutput = index.graphOutputs.has(outputs[0]!);
  if (isGraphOutput && !FLOAT_OUTPUT_OK.has(op)) return refuse('its output is a graph output (ORT needs a QuantizeLinear after a fused op)');
  const out = quantizedOutput(plan, node);
  // A fused op's output may only feed its QuantizeLinear; an excluded reader needs the float value.
  const excludedReader = index.consumersOf(out.tensor).find((c) => plan.isExcluded(c.node));
  if (excludedReader) return refuse(`its output feeds excluded node ${nodeLabel(excludedReader.node)}`);
  const quantizeOut = !isGraphOutput && (!FLOAT_OUTPUT_OK.has(op) || (plan.hasScales([out.tensor]) && !feedsSoftmax(plan, out.tensor)));
  const needed = [...activations, ...(quantizeOut ? [out.tensor] : [])];
  if (report ? !plan.requireScales(node, needed) : !plan.hasScales(needed)) return false;
  for (const t of activations) plan.quantizeTensor(t);
  if (quantizeOut) plan.quantizeTensor(out.tensor);
  if (op === 'Conv' || ((op === 'Gemm' || op === 'MatMul') && index.isConstant(inputs[1] ?? ''))) {
    plan.quantizeWeight(node, 1, plan.weightAxis(node));
  }
  if (BINARY.has(op)) {
    for (const { i } of constants) plan.quantizeWeight(node, i, undefined, 'activation');
  }
  if (DROP.has(op)) plan.scales.join([activations[0]!, out.tensor]);
  plan.markQuantized(node);
  if (out.absorbed) plan.markQuantized(out.absorbed);
  return true;
}

/**
 * Whether `tensor` reaches a Softmax through scale ops (Mul/Div by a constant), constant Adds
 * (masks, biases) and data movement: attention logits. A Gemm/MatMul producing them keeps a float
 * output (MatMulIntegerToFloat), so the whole logits → Softmax chain runs in float.
 */
function feedsSoftmax(plan: PlanBuilder, tensor: string): boolean {
  for (let t = tensor, depth = 0; depth < 8; depth++) {
    const next = plan.index.soleConsumer(t);
    if (!next || !isDefaultDomain(next)) return false;
    const op = next.opType ?? '';
    if (op === 'Softmax') return true;
    const passes = DROP.has(op) || scaleFactor(next, plan.index.constants) !== undefined
      || (op === 'Add' && plan.index.activationInputs(next).length === 1);
    if (!passes || !next.output?.[0]) return false;
    t = next.output[0];
  }
  return false;
}

/** uint8 activations placed for ONNX Runtime's x86 integer kernels, blocks rewritten to stay integer. */
export const ortCpuPlacement: QdqPlacement = {
  name: 'ort-cpu',
  description: 'Q/DQ where ONNX Runtime fuses them into integer kernels (QLinearConv…); uint8\nactivations (x86 kernels are U8S8); run it with graph optimization level "all"',
  variant: 'int8-ort',
  runFile: 'model.int8-ort.onnx',
  floatOps: { ConvTranspose: 'ONNX Runtime has no fused int8 ConvTranspose kernel on CPU, so the ort-cpu placement keeps it float' },
  tunedVariant: 'int8-ort-tuned',
  tunedRunFile: 'model.int8-ort-tuned.onnx',
  activationType: 'uint8',
  qdqOnOrt: 'kernels',
  usesOrtWeightBits: true,
  // U8S8 without VNNI (AVX2) sums pairs of products in saturating int16: 7 bits there.
  weightLevels: (ortWeightBits = 8) => (ortWeightBits === 7 ? 63 : 127),
  prepare(model, excludes) {
    const gates = foldHardSigmoids(model, excludes);
    const adds = foldAddsIntoConvs(gates.model, excludes);
    return { model: adds.model, foldedHardSigmoids: gates.folded, foldedAdds: adds.folded };
  },
  // Concat stays float, each member with its own scale (see above): nothing is joined.
  joinScales: () => {},
  place: placeOrtCpu,
  finish(graph) {
    const { graph: folded, folded: foldedScaleOps } = foldScaleOps(graph);
    return { graph: folded, foldedScaleOps };
  },
  notes: ortNotes,
};

function ortNotes(options: BuildInt8Options): string[] {
  const signed = options.ranges
    ? 'signed tensors asymmetric over their calibrated range clipped to ±amax (255 steps, integer zero point)'
    : 'signed tensors zero point 128, scale = amax / 127 (the same grid as symmetric int8; no signed ranges in the calibration)';
  return [
    ...(options.ortWeightBits === 7 ? [] : ['weights use 8 bits: right for CPUs with VNNI and ARM; x86 CPUs without VNNI need --ort-weight-bits 7 (their int16 sums saturate)']),
    `activations: uint8 for ONNX Runtime's x86 U8S8 kernels — ${signed}; ` +
      'non-negative tensors (Relu/Clip outputs…) zero point 0, scale = amax / 255 so ORT absorbs the Relu/Clip into the QuantizeLinear',
    'biases stay float; ONNX Runtime quantizes them to int32 when it fuses',
    'Concat runs in float and each input keeps its own scale (a shared scale costs small-range members their resolution)',
    'rewritten so blocks stay in integer kernels (counts.folded*): Mul/Div by a positive constant folded into the next DequantizeLinear\'s scale, ' +
      'Conv → HardSigmoid as Conv(α·W, α·b + β) → Clip(0, 1), Add of a constant before an unpadded Conv folded into its bias',
    'MaxPool, and a shallow first Conv on a gray/RGB input, run in float: ONNX Runtime\'s int8 kernels are slower than float there on x86',
  ];
}
