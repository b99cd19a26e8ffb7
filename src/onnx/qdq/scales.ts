/**
 * Activation quantization parameters. Tensors that must share a scale are grouped (Concat
 * members always; for ort-cpu also the input and output of ops ONNX Runtime runs directly on
 * quantized data, which requires equal parameters); a group takes the largest amax of its
 * members.
 */
import type { NodeProto } from '../proto.js';
import { floatValues } from '../upgrade/tensors.js';
import { isFloatType } from '../normalize/index.js';
import type { GraphIndex } from './graph-index.js';
import type { ActivationParams, SignedRange } from './types.js';
import { scaleFor } from './weights.js';

/** Ops whose output is never negative when given any input. */
const NON_NEGATIVE_OPS = new Set(['Relu', 'Sigmoid', 'HardSigmoid', 'Softmax', 'Abs', 'Exp']);
/** Ops whose output is non-negative when their (first) input is. */
const SIGN_PRESERVING_OPS = new Set([
  'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'Resize', 'Reshape', 'Transpose',
  'Flatten', 'Squeeze', 'Unsqueeze', 'Slice', 'Gather', 'GatherElements', 'Expand', 'Tile', 'Split',
  'Identity', 'Concat', 'DepthToSpace', 'SpaceToDepth',
]);

/**
 * uint8 parameters over [max(min, −amax), min(max, amax)]: zero stays exactly representable
 * (an integer zero point). Undefined when there is no range or it is empty.
 */
export function asymmetricParams(amax: number, range: SignedRange | undefined): ActivationParams | undefined {
  if (!range) return undefined;
  const lo = Math.max(range.min, -amax);
  const hi = Math.min(range.max, amax);
  const scale = Math.fround((hi - lo) / 255);
  if (!(scale > 0) || !Number.isFinite(scale)) return undefined;
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return { type: 'uint8', scale, zeroPoint };
}

export class ActivationScales {
  readonly #parent = new Map<string, string>();
  readonly #nonNegative = new Map<string, boolean>();

  constructor(
    private readonly index: GraphIndex,
    private readonly amax: ReadonlyMap<string, number>,
    private readonly activationType: ActivationParams['type'],
    private readonly ranges?: ReadonlyMap<string, SignedRange>,
  ) {}

  /** Makes `names` share one scale. */
  join(names: readonly string[]): void {
    const [first, ...rest] = names.filter(Boolean);
    if (first === undefined) return;
    for (const name of rest) {
      const a = this.#root(first);
      const b = this.#root(name);
      if (a !== b) this.#parent.set(a < b ? b : a, a < b ? a : b);
    }
  }

  #root(name: string): string {
    let r = name;
    while (this.#parent.has(r)) r = this.#parent.get(r)!;
    return r;
  }

  #members(name: string): string[] {
    const root = this.#root(name);
    const all = new Set([name, root]);
    for (const key of this.#parent.keys()) if (this.#root(key) === root) all.add(key);
    return [...all].sort();
  }

  /** A usable calibrated amax for a tensor alone, or why there is none. */
  ownAmax(name: string): { amax: number } | { reason: string } {
    const value = this.amax.get(name);
    if (value === undefined) return { reason: 'no calibrated amax' };
    if (!Number.isFinite(value) || value < 0) return { reason: `calibrated amax is ${value}` };
    return { amax: value };
  }

  /** The group's amax (max over members that have one), or why there is none. */
  groupAmax(name: string): { amax: number } | { reason: string } {
    let best: number | undefined;
    let reason = 'no calibrated amax';
    for (const member of this.#members(name)) {
      const own = this.ownAmax(member);
      if ('amax' in own) best = Math.max(best ?? 0, own.amax);
      else if (member === name) reason = own.reason;
    }
    return best === undefined ? { reason } : { amax: best };
  }

  /** Q/DQ parameters of a tensor, or undefined when it has no usable amax. */
  params(name: string): ActivationParams | undefined {
    const group = this.groupAmax(name);
    if (!('amax' in group)) return undefined;
    if (this.activationType === 'int8') return { type: 'int8', scale: scaleFor(group.amax, 127), zeroPoint: 0 };
    // uint8 (ONNX Runtime's x86 integer kernels are U8S8). A non-negative group uses
    // zero point 0 so a Relu/Clip before the QuantizeLinear is absorbed by it; a signed one
    // spreads 255 steps over its observed range clipped to ±amax (Hardswish outputs, ≥ −0.375,
    // get nearly twice symmetric int8's resolution), or zero point 128 (symmetric int8's grid)
    // when its range is unknown.
    const members = this.#members(name);
    if (members.every((m) => this.isNonNegative(m))) return { type: 'uint8', scale: scaleFor(group.amax, 255), zeroPoint: 0 };
    return asymmetricParams(group.amax, this.#groupRange(members)) ?? { type: 'uint8', scale: scaleFor(group.amax, 127), zeroPoint: 128 };
  }

  /** The calibrated range of one tensor (calibration.json only: a TensorRT cache has none). */
  observedRange(name: string): SignedRange | undefined {
    return this.ranges?.get(name);
  }

  /** The members' combined observed range, when every member has one. */
  #groupRange(members: readonly string[]): SignedRange | undefined {
    let min = 0;
    let max = 0;
    for (const m of members) {
      const range = this.ranges?.get(m);
      if (!range) return undefined;
      min = Math.min(min, range.min);
      max = Math.max(max, range.max);
    }
    return { min, max };
  }

  /** Whether a tensor is non-negative by construction (Relu output, Clip(min ≥ 0)…). */
  isNonNegative(name: string): boolean {
    const known = this.#nonNegative.get(name);
    if (known !== undefined) return known;
    this.#nonNegative.set(name, false); // cycles are impossible, but never recurse forever
    const node = this.index.producer.get(name);
    const result = node !== undefined && this.#producesNonNegative(node);
    this.#nonNegative.set(name, result);
    return result;
  }

  #producesNonNegative(node: NodeProto): boolean {
    const op = node.opType ?? '';
    if (node.domain) return false;
    if (NON_NEGATIVE_OPS.has(op)) return true;
    if (op === 'Clip') {
      const min = node.input?.[1] ? this.index.constants.get(node.input[1]) : undefined;
      return min !== undefined && isFloatType(min.dataType) && floatValues(min)[0]! >= 0;
    }
    if (SIGN_PRESERVING_OPS.has(op)) {
      const inputs = op === 'Concat' ? this.index.activationInputs(node) : [node.input![0]!];
      return inputs.length > 0 && inputs.every((i) => this.isNonNegative(i));
    }
    return false;
  }
}
