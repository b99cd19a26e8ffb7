import { formatCache, parseCache } from '../../calibrators/cache.js';
import { floatValues } from '../onnx/upgrade/tensors.js';
import type { ModelProto } from '../onnx/proto.js';

const WEIGHT_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);
const FLOAT = 1;

/**
 * int8cal's calibration.cache as TensorRT `libVersion` reads it: the header names the loaded
 * library's version (TensorRT ignores other versions' caches) and the calibrator's algorithm,
 * and the constants TensorRT turns into layers get entries named as TensorRT's own cache names
 * them (`<initializer or Constant output>_output`, amax = max |constant|; measured on 10.6).
 * Weights of Conv/Gemm/MatMul are not such tensors and get none.
 */
export function cacheForTensorRt(cacheText: string, model: ModelProto, libVersion: number, algorithm: string, withConstants = true): { text: string; constants: number } {
  const cache = parseCache(cacheText);
  const scales = new Map(cache.scales);
  let constants = 0;
  for (const [name, amax] of withConstants ? constantAmax(model) : []) {
    const key = `${name}_output`;
    if (scales.has(key) || !(amax > 0)) continue;
    scales.set(key, amax / 127);
    constants++;
  }
  return { text: formatCache({ trtVersion: libVersion, algorithm, scales }), constants };
}

function constantAmax(model: ModelProto): Map<string, number> {
  const graph = model.graph!;
  const weights = new Set<string>();
  for (const node of graph.node ?? []) {
    if (WEIGHT_OPS.has(node.opType ?? '')) for (const input of (node.input ?? []).slice(1)) weights.add(input);
  }
  const out = new Map<string, number>();
  const add = (name: string, values: Float32Array) => {
    let amax = 0;
    for (const v of values) amax = Math.max(amax, Math.abs(v));
    out.set(name, amax);
  };
  for (const init of graph.initializer ?? []) {
    if (init.dataType === FLOAT && init.name && !weights.has(init.name)) add(init.name, floatValues(init));
  }
  for (const node of graph.node ?? []) {
    const value = node.opType === 'Constant' ? node.attribute?.find((a) => a.name === 'value')?.t : undefined;
    const name = node.output?.[0];
    if (value && value.dataType === FLOAT && name && !weights.has(name)) add(name, floatValues(value));
  }
  return out;
}

/** Tensor names of TensorRT's "Missing scale and zero-point for tensor X, expect fall back…" warnings. */
export function missingScaleTensors(warnings: readonly string[]): string[] {
  const names = new Set<string>();
  for (const w of warnings) {
    const m = /Missing scale and zero-point for tensor (.+?), expect fall back/.exec(w) ?? /Missing scale and zero-point for tensor (\S+)/.exec(w);
    if (m) names.add(m[1]!);
  }
  return [...names];
}
