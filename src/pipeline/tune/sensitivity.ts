import type { Feeds, HostTensor } from '../../engines/engine.js';
import { withExtraOutputs } from '../../onnx/graph.js';
import { encodeModel } from '../../onnx/model-file.js';
import type { ModelProto, NodeProto } from '../../onnx/proto.js';
import type { QuantizedNode } from '../../onnx/qdq/index.js';
import { createEngine } from '../../engines/registry.js';

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
  /**
   * Output-referred: the target metric with everything int8 but this node, minus all-int8, on the
   * ranking images (the check images, else the first tune images; one run per node). What the search ranks by.
   */
  outputGain?: number;
  /**
   * From the float side: the target metric (signed: larger is better; ±1e6 for ±∞) with only
   * this node int8 and every other node float, on the ranking images. Measured only when greedy
   * growth ended short of the target: the fallback floats the lowest first.
   */
  int8Alone?: number;
  /** Measured by the search: the target metric gained when this node went float on the tune images. */
  measuredGain?: number;
}

/** SQNR cap (dB): identical tensors (inputs of the first node) would be +∞. */
const SQNR_CAP = 120;

interface EstimateInputs {
  fp32: ModelProto;
  int8: ModelProto;
  quantized: readonly QuantizedNode[];
  floatTensors: ReadonlySet<string>;
  amax: ReadonlyMap<string, number>;
  feeds: readonly Feeds[];
  threads: number;
}

/** Sums of signal and noise power per tensor over the estimate images. */
class PowerSums {
  private readonly sums = new Map<string, { signal: number; noise: number }>();

  add(tensor: string, signal: number, noise: number): void {
    const prev = this.sums.get(tensor) ?? { signal: 0, noise: 0 };
    this.sums.set(tensor, { signal: prev.signal + signal, noise: prev.noise + noise });
  }

  has(tensor: string): boolean {
    return this.sums.has(tensor);
  }

  sqnr(tensor: string): number {
    const s = this.sums.get(tensor);
    if (!s || s.noise === 0) return SQNR_CAP;
    return Math.min(SQNR_CAP, 10 * Math.log10(s.signal / s.noise));
  }
}

/**
 * One-pass estimate: the fp32 and int8 models run on the same images with every activation
 * exposed; each quantized node's own loss is its inputs' SQNR minus its output's. In graph
 * order; the search ranks by the output-referred gain (outputGain) instead.
 */
export async function estimateSensitivity(inputs: EstimateInputs): Promise<NodeSensitivity[]> {
  const byName = new Map((inputs.fp32.graph!.node ?? []).map((n) => [n.name ?? '', n]));
  const nodes = inputs.quantized.filter((q) => byName.get(q.node)?.output?.[0]);
  const exposed = exposedTensors(inputs, nodes.map((q) => byName.get(q.node)!));
  const local = new PowerSums();
  const accumulated = new PowerSums();
  const references: Record<string, HostTensor>[] = [];
  await runExposed(inputs.fp32, exposed, inputs, (b, feeds, out) => {
    references[b] = out;
    fakeQuantError({ ...feeds, ...out }, nodes.map((q) => byName.get(q.node)!), inputs, local);
  });
  await runExposed(inputs.int8, exposed, inputs, (b, _feeds, out) => accumulateError(references[b]!, out, exposed, accumulated));
  return nodes.map((q) => {
    const node = byName.get(q.node)!;
    const localIn = (node.input ?? []).filter((t) => local.has(t)).map((t) => local.sqnr(t));
    const localDb = localIn.length ? Math.min(...localIn) : SQNR_CAP;
    const upstream = (node.input ?? []).filter((t) => accumulated.has(t)).map((t) => accumulated.sqnr(t));
    // A graph input has no upstream error: what it loses is its own quantization.
    const before = upstream.length ? Math.min(...upstream) : localDb;
    const after = accumulated.sqnr(node.output![0]!);
    return { node: q.node, opType: q.opType, localSqnrDb: round(localDb), accumulatedSqnrDb: round(after), ownLossDb: round(Math.max(0, before - after)) };
  });
}

/** The quantized nodes' inputs and outputs that both models compute (graph inputs are fed, not exposed). */
function exposedTensors(inputs: EstimateInputs, nodes: readonly NodeProto[]): string[] {
  const tensors = [...new Set(nodes.flatMap((n) => [...(n.input ?? []), n.output![0]!]))];
  const int8Names = new Set((inputs.int8.graph!.node ?? []).flatMap((n) => n.output ?? []));
  const graphInputs = new Set((inputs.fp32.graph!.input ?? []).map((i) => i.name));
  return tensors.filter((t) => inputs.floatTensors.has(t) && int8Names.has(t) && !graphInputs.has(t));
}

async function runExposed(model: ModelProto, exposed: string[], inputs: EstimateInputs,
  visit: (batch: number, feeds: Feeds, out: Record<string, HostTensor>) => void): Promise<void> {
  const engine = await createEngine('onnxruntime', encodeModel(withExtraOutputs(model, exposed)), { threads: inputs.threads, rewrites: 'portable' });
  try {
    for (const [b, feeds] of inputs.feeds.entries()) visit(b, feeds, await engine.run(feeds, exposed));
  } finally {
    await engine.dispose();
  }
}

/** Each quantized node's activation inputs, fake-quantized alone (symmetric int8, its amax). */
function fakeQuantError(values: Record<string, HostTensor>, nodes: readonly NodeProto[], inputs: EstimateInputs, local: PowerSums): void {
  for (const t of new Set(nodes.flatMap((n) => n.input ?? []))) {
    const a = inputs.amax.get(t);
    const v = values[t]?.data;
    if (!(a && a > 0) || !(v instanceof Float32Array) || !inputs.floatTensors.has(t)) continue;
    const step = a / 127;
    let signal = 0;
    let noise = 0;
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      const fq = Math.max(-127, Math.min(127, Math.round(x / step))) * step;
      signal += x * x;
      noise += (fq - x) * (fq - x);
    }
    local.add(t, signal, noise);
  }
}

function accumulateError(ref: Record<string, HostTensor>, test: Record<string, HostTensor>, exposed: readonly string[], sums: PowerSums): void {
  for (const t of exposed) {
    const r = ref[t]!.data as Float32Array;
    const x = test[t]!.data as Float32Array;
    let signal = 0;
    let noise = 0;
    for (let i = 0; i < r.length; i++) {
      signal += r[i]! * r[i]!;
      const d = r[i]! - x[i]!;
      noise += Number.isFinite(d) ? d * d : 1e30;
    }
    sums.add(t, signal, noise);
  }
}

/**
 * Most sensitive first: by output-referred gain (measured), then the one-pass own loss, then
 * graph order — so nodes whose float copy changes nothing sit last.
 */
export function rankBySensitivity(entries: readonly NodeSensitivity[]): NodeSensitivity[] {
  const order = new Map(entries.map((e, i) => [e.node, i]));
  return [...entries].sort((a, b) => (b.outputGain ?? 0) - (a.outputGain ?? 0) || b.ownLossDb - a.ownLossDb || order.get(a.node)! - order.get(b.node)!);
}

const round = (x: number): number => Math.round(x * 100) / 100;
