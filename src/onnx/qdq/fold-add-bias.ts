/**
 * ort-cpu: Add(x, b) → Conv with no padding equals Conv(x) with bias B + W·b, since every
 * input pixel a Conv without padding reads is a real one. Folding it removes a QLinearAdd and
 * one requantization (PP-LCNet's learnable bias before each 1×1 Conv: PaddleOCR det logit SNR
 * +0.2 dB). With padding the border would read b instead of 0, so padded Convs keep the Add.
 */
import type { ModelProto, NodeProto, TensorProto } from '../proto.js';
import { intAttribute, intsAttribute, stringAttribute } from '../upgrade/nodes.js';
import { float32Tensor, floatValues } from '../upgrade/tensors.js';
import { isFloatType } from '../normalize/index.js';
import { excludedBy, type ExcludePattern } from './exclude.js';
import { GraphEdit } from './graph-edit.js';
import { GraphIndex } from './graph-index.js';
import { Namer } from './namer.js';

export function foldAddsIntoConvs(model: ModelProto, excludes: readonly ExcludePattern[]): { model: ModelProto; folded: number } {
  const index = new GraphIndex(model);
  const namer = new Namer(index.graph);
  const edit = new GraphEdit();
  let folded = 0;
  for (const add of index.nodes) {
    if (add.opType !== 'Add' || add.domain || add.input?.length !== 2) continue;
    const constantAt = add.input.findIndex((name) => index.isConstant(name));
    const x = add.input[1 - constantAt];
    const conv = index.soleConsumer(add.output![0]!);
    if (constantAt < 0 || !x || index.isConstant(x) || !conv || conv.opType !== 'Conv' || conv.domain || conv.input![0] !== add.output![0]) continue;
    if (!unpadded(conv) || excludedBy(add, excludes) !== undefined || excludedBy(conv, excludes) !== undefined || edit.replaced.has(conv)) continue;
    const weight = index.constants.get(conv.input![1] ?? '');
    const bias = conv.input![2] ? index.constants.get(conv.input![2]) : undefined;
    const addend = index.constants.get(add.input[constantAt]!)!;
    // Type-aware: only float tensors fold (an integer Add is shape arithmetic).
    if (!weight || (conv.input![2] && !bias) || ![weight, addend, ...(bias ? [bias] : [])].every((t) => isFloatType(t.dataType))) continue;
    const newBias = foldedBias(weight, bias, addend, intAttribute(conv, 'group', 1));
    if (!newBias) continue;
    const name = namer.take(`${conv.name || conv.output![0]}_bias_folded`);
    edit.added.push(float32Tensor(name, newBias, [newBias.length]));
    edit.replace(add, [], [add.input[constantAt]]);
    edit.replace(conv, [{ ...conv, input: [x, conv.input![1]!, name] }], [conv.input![2]]);
    folded++;
  }
  return { model: edit.apply(model), folded };
}

function unpadded(conv: NodeProto): boolean {
  const autoPad = stringAttribute(conv, 'auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') return false;
  return (intsAttribute(conv, 'pads') ?? []).every((p) => Number(p) === 0);
}

/**
 * B + W·b per output channel, for b a scalar or one value per input channel ([C,1,1] or
 * [1,C,1,1], which broadcast over NCHW channels); undefined for any other shape.
 */
function foldedBias(weight: TensorProto, bias: TensorProto | undefined, b: TensorProto, group: number): Float32Array | undefined {
  const dims = (weight.dims ?? []).map(Number);
  const [outChannels, perGroup] = [dims[0]!, dims[1]!];
  const inner = dims.slice(2).reduce((p, d) => p * d, 1);
  const values = floatValues(b);
  const bDims = (b.dims ?? []).map(Number);
  const perChannel = bDims.length >= 3 && bDims[bDims.length - 3] === perGroup * group && values.length === perGroup * group;
  if (values.length !== 1 && !perChannel) return undefined;
  const w = floatValues(weight);
  const baseBias = bias ? floatValues(bias) : new Float32Array(outChannels);
  const out = new Float32Array(outChannels);
  for (let m = 0; m < outChannels; m++) {
    const firstInput = Math.floor(m / (outChannels / group)) * perGroup;
    let sum = baseBias[m]!;
    for (let c = 0; c < perGroup; c++) {
      const bc = values.length === 1 ? values[0]! : values[firstInput + c]!;
      for (let k = 0; k < inner; k++) sum += w[(m * perGroup + c) * inner + k]! * bc;
    }
    out[m] = sum;
  }
  return out;
}
