/**
 * TensorRT placement (what NVIDIA recommends for explicit quantization): Q/DQ on the inputs of
 * Conv, ConvTranspose, Gemm, MatMul and pooling; for a residual Add only on the skip branch,
 * so TensorRT fuses Conv + Add; data movement and everything else unquantized (TensorRT
 * propagates and fuses around them itself).
 */
import type { NodeProto } from '../../proto.js';
import type { PlanBuilder } from '../plan.js';
import type { QdqPlacement } from './placement.js';
import { rawPixelInputReason } from '../raw-pixel-input.js';

const POOLING = new Set(['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool']);
const FUSING_PRODUCERS = new Set(['Conv', 'ConvTranspose']);

export function placeTensorRT(plan: PlanBuilder): void {
  const { index } = plan;
  for (const node of index.nodes) {
    const op = node.opType ?? '';
    if (node.domain && node.domain !== 'ai.onnx') continue;
    if (op === 'Conv' || op === 'ConvTranspose') {
      if (!plan.allow(node)) continue;
      if (!plan.requireConstantWeight(node, 1)) continue;
      const raw = rawPixelInputReason(index, plan.scales, node);
      if (raw) {
        plan.refuse(node, raw);
        continue;
      }
      const x = node.input![0]!;
      if (!plan.requireScales(node, [x])) continue;
      plan.quantizeInput(node, 0);
      plan.quantizeWeight(node, 1, plan.weightAxis(node));
      plan.markQuantized(node);
    } else if (op === 'Gemm' || op === 'MatMul') {
      if (!plan.allow(node)) continue;
      const [a, b] = [node.input![0]!, node.input![1]!];
      const activations = [a, ...(index.isConstant(b) ? [] : [b])];
      if (!plan.requireScales(node, activations)) continue;
      plan.quantizeInput(node, 0);
      if (index.isConstant(b)) plan.quantizeWeight(node, 1, plan.weightAxis(node));
      else plan.quantizeInput(node, 1);
      plan.markQuantized(node);
    } else if (POOLING.has(op)) {
      if (!plan.allow(node)) continue;
      if (!plan.requireScales(node, [node.input![0]!])) continue;
      plan.quantizeInput(node, 0);
      plan.markQuantized(node);
    } else if (op === 'Add') {
      placeResidualAdd(plan, node);
    }
  }
}

/**
 * Add(conv_out, skip): quantize only the skip input, so TensorRT fuses the Add into the Conv
 * that produces the other input. An Add with no such Conv input stays unquantized.
 */
function placeResidualAdd(plan: PlanBuilder, node: NodeProto): void {
  const { index } = plan;
  const inputs = node.input ?? [];
  if (inputs.length !== 2 || inputs.some((i) => !i || index.isConstant(i))) return;
  const fusing = inputs.map((name) => {
    const producer = index.producer.get(name);
    return producer !== undefined && FUSING_PRODUCERS.has(producer.opType ?? '') && index.soleConsumer(name) === node;
  });
  if (!fusing[0] && !fusing[1]) return;
  let skip: number;
  if (fusing[0] && fusing[1]) {
    // Both are Conv outputs (a projection shortcut): the Conv computed last is the main branch.
    const order = inputs.map((name) => index.order.get(index.producer.get(name)!)!);
    skip = order[0]! < order[1]! ? 0 : 1;
  } else {
    skip = fusing[0] ? 1 : 0;
  }
  if (!plan.allow(node)) return;
  if (!plan.requireScales(node, [inputs[skip]!])) return;
  plan.quantizeInput(node, skip);
  plan.markQuantized(node);
}

/** Symmetric int8 everywhere, the model as it is (TensorRT fuses by itself). */
export const tensorRtPlacement: QdqPlacement = {
  name: 'tensorrt',
  description: 'symmetric int8 Q/DQ on the inputs of Conv, ConvTranspose, Gemm, MatMul and pooling, and\non the skip branch of residual Adds: what TensorRT\'s explicit quantization expects',
  variant: 'int8',
  runFile: 'model.int8.onnx',
  tunedVariant: 'int8-tuned',
  tunedRunFile: 'model.int8-tuned.onnx',
  // ONNX Runtime runs this placement as float with fake quantization: its CPU time means nothing.
  // TensorRT keeps biases in float: ONNX Runtime's int32 biases would emulate another engine.
  qdqOnOrt: 'as-written',
  latencyNote: 'n/a (TensorRT engine needed)',
  activationType: 'int8',
  usesOrtWeightBits: false,
  weightLevels: () => 127,
  prepare: (model) => ({ model, foldedHardSigmoids: 0, foldedAdds: 0 }),
  joinScales(index, scales) {
    // Concat members share one scale, so TensorRT can move Q/DQ across the Concat exactly.
    for (const node of index.nodes) {
      if (node.opType === 'Concat' && !node.domain) scales.join([...index.activationInputs(node), node.output![0]!]);
    }
  },
  place: placeTensorRT,
  finish: (graph) => ({ graph, foldedScaleOps: 0 }),
  notes: () => ['activations: symmetric int8, zero point 0, scale = amax / 127'],
};
