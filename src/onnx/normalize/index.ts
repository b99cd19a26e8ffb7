/**
 * Puts a model in the form the rest of int8cal expects before ONNX Runtime optimizes it:
 * refuses an already-quantized model, lifts `Constant` nodes to initializers, turns an fp16
 * model into its fp32 twin, and folds constants behind Cast/Identity/DequantizeLinear chains
 * into float32 initializers (so build sees every weight as a constant).
 */
import type { ModelProto } from '../proto.js';
import { assertNotQuantized } from './quantized.js';
import { foldConstantChains, liftConstantNodes } from './constants.js';
import { widenFloat16 } from './widen-fp16.js';

export { isFloatType } from './constants.js';

export interface NormalizeReport {
  liftedConstants: number;
  widenedFp16: number;
  foldedConstants: number;
}

export function normalizeModel(model: ModelProto, file?: string): { model: ModelProto; report: NormalizeReport } {
  const graph = model.graph!;
  assertNotQuantized(graph, file);
  const lifted = liftConstantNodes(graph);
  const widened = widenFloat16(lifted.graph);
  const folded = foldConstantChains(widened.graph);
  return {
    model: { ...model, graph: folded.graph },
    report: { liftedConstants: lifted.lifted, widenedFp16: widened.changes, foldedConstants: folded.folded },
  };
}
