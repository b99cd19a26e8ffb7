/**
 * Coverage: how many of the model's compute ops (Conv, ConvTranspose, Gemm, MatMul — where
 * int8 buys speed and costs accuracy) a placement quantized, and why each other one stays float.
 * A variant that quantizes few of them is not an int8 model, whatever its file name says.
 */
import { nodeLabel } from '../upgrade/nodes.js';
import { isFloatType } from '../normalize/index.js';
import type { GraphIndex } from './graph-index.js';
import type { PlanBuilder } from './plan.js';
import type { BuildCoverage } from './types.js';
import type { QdqPlacement } from './placements/placement.js';

export const COMPUTE_OPS: readonly string[] = ['Conv', 'ConvTranspose', 'Gemm', 'MatMul'];
/** Below this fraction of compute ops in int8, `build` fails (unless --allow-low-coverage) and reports say "not quantized". */
export const MIN_COVERAGE = 0.5;

export function coverageOf(index: GraphIndex, plan: PlanBuilder, placement: QdqPlacement): BuildCoverage {
  const compute = index.nodes.filter((n) => (!n.domain || n.domain === 'ai.onnx') && COMPUTE_OPS.includes(n.opType ?? '') && !isIntegerOp(index, n.input ?? []));
  const float = compute.filter((n) => !plan.quantizedNodes.has(n)).map((n) => ({
    node: nodeLabel(n),
    opType: n.opType ?? '',
    reason: plan.floatNodes.get(n)?.reason ?? placement.floatOps?.[n.opType ?? ''] ?? `the ${placement.name} placement does not quantize it`,
  }));
  const quantized = compute.length - float.length;
  return { quantized, quantizable: compute.length, fraction: compute.length ? quantized / compute.length : 1, float };
}

/** A compute op on integer constants (integer MatMul) is not an int8 candidate. */
function isIntegerOp(index: GraphIndex, inputs: readonly string[]): boolean {
  return inputs.some((name) => {
    const constant = index.constants.get(name);
    return constant !== undefined && !isFloatType(constant.dataType);
  });
}

/** True when a variant's coverage is too low to call it int8 (no compute ops: nothing to judge). */
export function isLowCoverage(coverage: Pick<BuildCoverage, 'quantized' | 'quantizable'>): boolean {
  return coverage.quantizable > 0 && coverage.quantized / coverage.quantizable < MIN_COVERAGE;
}

/** "Conv ×12: its weight (input 1) is not a constant; …", most frequent reason first. */
export function groupedReasons(float: BuildCoverage['float']): string[] {
  const groups = new Map<string, { reason: string; ops: Map<string, number>; first: string }>();
  for (const f of float) {
    const group = groups.get(f.reason) ?? { reason: f.reason, ops: new Map(), first: f.node };
    group.ops.set(f.opType, (group.ops.get(f.opType) ?? 0) + 1);
    groups.set(f.reason, group);
  }
  const count = (g: { ops: Map<string, number> }): number => [...g.ops.values()].reduce((a, b) => a + b, 0);
  return [...groups.values()].sort((a, b) => count(b) - count(a)).map((g) =>
    `${[...g.ops].map(([op, n]) => `${op} ×${n}`).join(', ')}: ${g.reason} (e.g. ${g.first})`);
}
