import type { HostTensor } from '../../engines/engine.js';
import { withExtraOutputs } from '../../onnx/graph.js';
import { encodeModel } from '../../onnx/model-file.js';
import type { ModelProto } from '../../onnx/proto.js';
import type { QuantizedNode } from '../../onnx/qdq/index.js';
import { OnnxRuntimeEngine } from '../../engines/onnxruntime.js';
import type { Feeds } from '../../engines/engine.js';

/** How much one quantized node costs, estimated in one pass and (for the top ones) measured. */
export interface NodeSensitivity {
  node: string;
  opType: string;
  /** SQNR (dB) of the node's output in the int8 model vs fp32: error accumulated up to it. */
  accumulatedSqnrDb: number;
  /** "Only this node quantized": SQNR (dB) of its fp32 input fake-quantized with its calibrated scale. */
  localSqnrDb: number;
  /** SQNR lost across this node: its inputs' accumulated SQNR minus its output's (its own share). */
  ownLossDb: number;
  /** Measured: the target metric with only this node kept in float, minus the all-int8 metric. */
  measuredGain?: number;
}

/** SQNR cap (dB): identical tensors (inputs of the first node) would be +∞. */
const SQNR_CAP = 120;

/**
 * One-pass estimate: the fp32 and int8 models run on the same images with every activation
 * exposed; each quantized node's own loss is its inputs' SQNR minus its output's. Sorted most
 * sensitive first (ties: graph order).
 */
export async function estimateSensitivity(
  fp32: ModelProto, int8: ModelProto, quantized: readonly QuantizedNode[], floatTensors: ReadonlySet<string>, amax: ReadonlyMap<string, number>, feeds: readonly Feeds[], threads: number,
): Promise<NodeSensitivity[]> {
  const byName = new Map((fp32.graph!.node ?? []).map((n) => [n.name ?? '', n]));
  const nodes = quantized.filter((q) => byName.has(q.node) && byName.get(q.node)!.output?.[0]);
  const tensors = [...new Set(nodes.flatMap((q) => [...(byName.get(q.node)!.input ?? []), byName.get(q.node)!.output![0]!]))];
  const int8Names = new Set((int8.graph!.node ?? []).flatMap((n) => n.output ?? []));
  const graphInputs = new Set((fp32.graph!.input ?? []).map((i) => i.name));
  const exposed = tensors.filter((t) => floatTensors.has(t) && int8Names.has(t) && !graphInputs.has(t));
  const references: Record<string, HostTensor>[] = [];
  const local = new Map<string, { signal: number; noise: number }>();
  const signal = new Map<string, number>();
  const noise = new Map<string, number>();
  for (const [model, isReference] of [[fp32, true], [int8, false]] as const) {
    const engine = await OnnxRuntimeEngine.create(encodeModel(withExtraOutputs(model, exposed)), { threads, optimization: 'basic' });
    try {
      for (const [b, f] of feeds.entries()) {
        const out = await engine.run(f, exposed);
        if (isReference) {
          references[b] = out;
          fakeQuantError({ ...f, ...out });
        }
        else accumulate(references[b]!, out);
      }
    } finally {
      await engine.dispose();
    }
  }
  const sqnr = (t: string): number => {
    if (!signal.has(t)) return SQNR_CAP;
    const n = noise.get(t)!;
    return n === 0 ? SQNR_CAP : Math.min(SQNR_CAP, 10 * Math.log10(signal.get(t)! / n));
  };
  const result = nodes.map((q, order) => {
    const node = byName.get(q.node)!;
    const inputs = (node.input ?? []).filter((t) => signal.has(t));
    const localIn = (node.input ?? []).filter((t) => local.has(t)).map(localSqnr);
    const localDb = localIn.length ? Math.min(...localIn) : SQNR_CAP;
    // A graph input has no upstream error: what it loses is its own quantization.
    const before = inputs.length ? Math.min(...inputs.map(sqnr)) : localDb;
    const after = sqnr(node.output![0]!);
    return { entry: { node: q.node, opType: q.opType, localSqnrDb: round(localDb), accumulatedSqnrDb: round(after), ownLossDb: round(Math.max(0, before - after)) }, order };
  });
  result.sort((a, b) => b.entry.ownLossDb - a.entry.ownLossDb || a.order - b.order);
  return result.map((r) => r.entry);

  function localSqnr(t: string): number {
    const { signal: sig, noise: n } = local.get(t)!;
    return n === 0 ? SQNR_CAP : Math.min(SQNR_CAP, 10 * Math.log10(sig / n));
  }

  /** Each quantized node's activation inputs, fake-quantized alone (symmetric int8, its amax). */
  function fakeQuantError(values: Record<string, HostTensor>): void {
    for (const t of new Set(nodes.flatMap((q) => byName.get(q.node)!.input ?? []))) {
      {
        const a = amax.get(t);
        const v = values[t]?.data;
        if (!(a && a > 0) || !(v instanceof Float32Array) || !floatTensors.has(t)) continue;
        const step = a / 127;
        let sig = 0;
        let n = 0;
        for (let i = 0; i < v.length; i++) {
          const x = v[i]!;
          const fq = Math.max(-127, Math.min(127, Math.round(x / step))) * step;
          sig += x * x;
          n += (fq - x) * (fq - x);
        }
        const prev = local.get(t) ?? { signal: 0, noise: 0 };
        local.set(t, { signal: prev.signal + sig, noise: prev.noise + n });
      }
    }
  }

  function accumulate(ref: Record<string, HostTensor>, test: Record<string, HostTensor>): void {
    for (const t of exposed) {
      const r = ref[t]!.data as Float32Array;
      const x = test[t]!.data as Float32Array;
      let s = 0;
      let e = 0;
      for (let i = 0; i < r.length; i++) {
        s += r[i]! * r[i]!;
        const d = r[i]! - x[i]!;
        e += Number.isFinite(d) ? d * d : 1e30;
      }
      signal.set(t, (signal.get(t) ?? 0) + s);
      noise.set(t, (noise.get(t) ?? 0) + e);
    }
  }
}
const round = (x: number): number => Math.round(x * 100) / 100;
