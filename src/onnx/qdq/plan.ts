import { nodeLabel } from '../upgrade/nodes.js';
import { intAttribute } from '../upgrade/nodes.js';
import { elementTypeName, type NodeProto } from '../proto.js';
import { isFloatType } from '../normalize/index.js';
import { excludedBy, type ExcludePattern } from './exclude.js';
import type { GraphIndex } from './graph-index.js';
import type { ActivationScales } from './scales.js';
import type { FloatNode, QuantizedNode } from './types.js';

export interface WeightUse {
  node: NodeProto;
  input: number;
  /** Channel axis; undefined = one scale for the tensor. */
  axis: number | undefined;
  /** 'weight': symmetric int8 (Conv/Gemm/MatMul); 'activation': a constant operand of a quantized elementwise op, quantized like an activation. */
  kind: 'weight' | 'activation';
}

/**
 * Collects a placement's decisions and the reasons for what stays float. Placements call
 * `allow` / `require*` before quantizing a node; each refusal is recorded once per node.
 */
export class PlanBuilder {
  /** tensor → consumer inputs reading the DQ output, or 'all' (every consumer). */
  readonly activations = new Map<string, { node: NodeProto; input: number }[] | 'all'>();
  readonly weights: WeightUse[] = [];
  readonly quantized: QuantizedNode[] = [];
  readonly quantizedNodes = new Set<NodeProto>();
  readonly floatNodes = new Map<NodeProto, FloatNode>();
  readonly unscaled = new Map<string, string>();

  constructor(
    readonly index: GraphIndex,
    readonly scales: ActivationScales,
    private readonly excludes: readonly ExcludePattern[],
    private readonly perTensorWeights: boolean,
    /** Largest quantized weight magnitude (127; 63 where kernels would saturate). */
    readonly weightLevels = 127,
  ) {}

  /** False (and recorded) when the user excluded the node. */
  allow(node: NodeProto): boolean {
    const pattern = excludedBy(node, this.excludes);
    if (pattern === undefined) return true;
    this.refuse(node, `excluded by --exclude ${pattern}`, pattern);
    return false;
  }

  isExcluded(node: NodeProto): boolean {
    return excludedBy(node, this.excludes) !== undefined;
  }

  refuse(node: NodeProto, reason: string, pattern?: string): void {
    if (this.floatNodes.has(node)) return;
    this.floatNodes.set(node, {
      node: nodeLabel(node), opType: node.opType ?? '', reason, excludedByUser: pattern !== undefined,
      ...(pattern !== undefined ? { pattern } : {}),
    });
  }

  requireConstantWeight(node: NodeProto, input: number): boolean {
    const name = node.input?.[input];
    const weight = name ? this.index.constants.get(name) : undefined;
    if (weight && isFloatType(weight.dataType)) return true;
    this.refuse(node, weight ? `its weight (input ${input}) is a ${elementTypeName(weight.dataType)} constant, not float` : `its weight (input ${input}) is not a constant`);
    return false;
  }

  /** True when every tensor has a usable amax (alone or through its scale group). */
  hasScales(tensors: readonly string[]): boolean {
    return tensors.every((t) => 'amax' in this.scales.groupAmax(t));
  }

  /** Like hasScales, but records the missing tensors and the node left float. */
  requireScales(node: NodeProto, tensors: readonly string[]): boolean {
    let ok = true;
    for (const tensor of tensors) {
      const group = this.scales.groupAmax(tensor);
      if ('amax' in group) continue;
      ok = false;
      if (!this.unscaled.has(tensor)) this.unscaled.set(tensor, `${group.reason}; needed by ${nodeLabel(node)} (${node.opType})`);
    }
    if (!ok) this.refuse(node, 'an input or output has no calibrated scale');
    return ok;
  }

  /** Rewires one consumer input to the dequantized tensor. */
  quantizeInput(node: NodeProto, input: number): void {
    const tensor = node.input![input]!;
    const uses = this.activations.get(tensor);
    if (uses === 'all') return;
    const list = uses ?? [];
    if (!list.some((u) => u.node === node && u.input === input)) list.push({ node, input });
    this.activations.set(tensor, list);
  }

  /**
   * Quantizes a tensor for every consumer except excluded nodes (ORT fusions need the
   * producer's only consumer to be the Q).
   */
  quantizeTensor(tensor: string): void {
    this.activations.set(tensor, 'all');
  }

  isQuantized(tensor: string): boolean {
    return this.activations.has(tensor);
  }

  quantizeWeight(node: NodeProto, input: number, axis: number | undefined, kind: WeightUse['kind'] = 'weight'): void {
    this.weights.push({ node, input, axis, kind });
  }

  /** Output channel axis of a node's weight (input 1), or undefined for per-tensor. */
  weightAxis(node: NodeProto): number | undefined {
    if (this.perTensorWeights) return undefined;
    const weight = this.index.constants.get(node.input?.[1] ?? '');
    const rank = (weight?.dims ?? []).length;
    switch (node.opType) {
      case 'Conv': return rank >= 1 ? 0 : undefined;
      case 'ConvTranspose': return rank >= 2 ? 1 : undefined;
      case 'Gemm': return rank === 2 ? (intAttribute(node, 'transB', 0) ? 0 : 1) : undefined;
      case 'MatMul': return rank === 2 ? 1 : undefined;
      default: return undefined;
    }
  }

  markQuantized(node: NodeProto): void {
    if (this.quantizedNodes.has(node)) return;
    this.quantizedNodes.add(node);
    this.floatNodes.delete(node);
    const weight = this.weights.find((w) => w.node === node && w.kind === 'weight');
    this.quantized.push({
      node: nodeLabel(node), opType: node.opType ?? '',
      ...(weight ? { weights: weight.axis === undefined ? 'per-tensor' as const : 'per-channel' as const } : {}),
    });
  }
}
