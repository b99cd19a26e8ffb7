/**
 * ort-cpu: ONNX Runtime has no integer HardSigmoid, so a squeeze-excitation gate
 * Conv → HardSigmoid(α, β) leaves a float island (DequantizeLinear, HardSigmoid, float Mul,
 * QuantizeLinear, and Transposes around ORT's NHWC integer convolutions). Rewritten as
 * Conv(α·W, α·b + β) → Clip(0, 1) — the same function — the Clip is absorbed into the Conv's
 * uint8 QuantizeLinear (zero point 0) and the gate stays in integer kernels.
 */
import type { ModelProto } from '../proto.js';
import { floatAttribute, makeNode } from '../upgrade/nodes.js';
import { float32Tensor, floatValues } from '../upgrade/tensors.js';
import { excludedBy, type ExcludePattern } from './exclude.js';
import { GraphEdit } from './graph-edit.js';
import { GraphIndex } from './graph-index.js';
import { Namer } from './namer.js';

export function foldHardSigmoids(model: ModelProto, excludes: readonly ExcludePattern[]): { model: ModelProto; folded: number } {
  const index = new GraphIndex(model);
  const namer = new Namer(index.graph);
  const edit = new GraphEdit();
  let folded = 0;
  for (const gate of index.nodes) {
    if (gate.opType !== 'HardSigmoid' || gate.domain) continue;
    const conv = index.producer.get(gate.input![0]!);
    if (!conv || conv.opType !== 'Conv' || conv.domain || index.soleConsumer(conv.output![0]!) !== gate) continue;
    if (excludedBy(conv, excludes) !== undefined || excludedBy(gate, excludes) !== undefined) continue;
    const weight = index.constants.get(conv.input![1] ?? '');
    const bias = conv.input![2] ? index.constants.get(conv.input![2]) : undefined;
    if (!weight || (conv.input![2] && !bias)) continue;
    const alpha = floatAttribute(gate, 'alpha', 0.2);
    const beta = floatAttribute(gate, 'beta', 0.5);
    const dims = (weight.dims ?? []).map(Number);
    const channels = dims[0]!;
    const biasValues = bias ? floatValues(bias) : new Float32Array(channels);
    const base = gate.name || gate.output![0]!;
    const names = { weight: namer.take(`${base}_conv_weight`), bias: namer.take(`${base}_conv_bias`), linear: namer.take(`${base}_linear`),
      min: namer.take(`${base}_min`), max: namer.take(`${base}_max`) };
    edit.added.push(
      float32Tensor(names.weight, floatValues(weight).map((w) => w * alpha), dims),
      float32Tensor(names.bias, biasValues.map((b) => b * alpha + beta), [channels]),
      float32Tensor(names.min, [0], []), float32Tensor(names.max, [1], []),
    );
    edit.replace(conv, [{ ...conv, input: [conv.input![0]!, names.weight, names.bias], output: [names.linear] }], conv.input!.slice(1));
    edit.replace(gate, [makeNode({ opType: 'Clip', name: gate.name ?? '', inputs: [names.linear, names.min, names.max], outputs: [gate.output![0]!] })]);
    folded++;
  }
  return { model: edit.apply(model), folded };
}
