/**
 * Old schema details: Dropout (an Identity at inference), BatchNormalization's removed
 * attributes, consumed_inputs (gone at 6), legacy `broadcast` (gone at 7), Cast's string
 * `to`, Reshape's `shape` attribute (input at 5), Concat's default axis (required at 4),
 * Scatter (renamed ScatterElements at 11).
 */
import { DataType } from '../proto.js';
import { baseName, cannotConvert, converter, converters, type Converter } from './converter.js';
import { attribute, intAttr, intAttribute, intsAttribute, stringAttribute, withAttributes } from './nodes.js';

const CONSUMED_INPUTS_OPS = [
  'Abs', 'Add', 'Ceil', 'Clip', 'Div', 'Elu', 'Exp', 'Floor', 'Gemm', 'HardSigmoid',
  'InstanceNormalization', 'LeakyRelu', 'Log', 'Max', 'Mean', 'Min', 'Mul', 'Neg', 'PRelu',
  'Reciprocal', 'Relu', 'Selu', 'Sigmoid', 'Sqrt', 'Sub', 'Sum', 'Tanh',
];
const LEGACY_BROADCAST_OPS = ['Add', 'Sub', 'Mul', 'Div', 'Gemm', 'Equal', 'Greater', 'Less', 'And', 'Or', 'Xor', 'Pow'];

export const legacyConverters: Converter[] = [
  ...converters(['Dropout'], 6, toIdentity), ...converters(['Dropout'], 7, toIdentity),
  ...converters(['Dropout'], 10, toIdentity), ...converters(['Dropout'], 12, toIdentity),
  ...converters(['Dropout'], 13, toIdentity),
  ...converters(CONSUMED_INPUTS_OPS, 6, (node) => [withAttributes(node, ['consumed_inputs'])]),
  // Legacy broadcast without `axis` aligns trailing dimensions, as numpy broadcasting does.
  ...converters(LEGACY_BROADCAST_OPS, 7, (node) => {
    if (intAttribute(node, 'broadcast', 0) && attribute(node, 'axis')) {
      throw cannotConvert(node, 7, 'legacy broadcasting along an explicit axis has no opset-7 equivalent');
    }
    return [withAttributes(node, ['broadcast', 'axis'])];
  }),
  converter('BatchNormalization', 6, (node) => [withAttributes(node, ['consumed_inputs'])]),
  converter('BatchNormalization', 7, (node) => {
    if (intAttribute(node, 'is_test', 1) === 0) throw cannotConvert(node, 7, 'it is in training mode (is_test = 0)');
    return [withAttributes(node, ['is_test'])];
  }),
  converter('BatchNormalization', 9, (node) => {
    if (intAttribute(node, 'spatial', 1) === 0) {
      throw cannotConvert(node, 9, 'spatial = 0 (per-activation statistics) has no opset-9 equivalent');
    }
    if ((node.output ?? []).filter(Boolean).length > 1) throw cannotConvert(node, 9, 'it has training-mode outputs');
    return [withAttributes(node, ['spatial'])];
  }),
  converter('Cast', 6, (node) => {
    const to = stringAttribute(node, 'to');
    if (to === undefined) return [node];
    const type = (DataType as unknown as Record<string, number>)[to.toUpperCase()];
    if (type === undefined) throw cannotConvert(node, 6, `unknown Cast target "${to}"`);
    return [withAttributes(node, ['to'], [intAttr('to', type)])];
  }),
  converter('Reshape', 5, (node, ctx) => {
    const shape = intsAttribute(node, 'shape');
    if (!shape) throw cannotConvert(node, 5, 'it has no shape attribute');
    return [{ ...withAttributes(node, ['shape']), input: [node.input![0]!, ctx.int64(baseName(node, 'shape'), shape)] }];
  }),
  converter('Concat', 4, (node) => [attribute(node, 'axis') ? node : withAttributes(node, [], [intAttr('axis', 1)])]),
  converter('Scatter', 11, (node) => [{ ...node, opType: 'ScatterElements' }]),
];

/** Dropout does nothing at inference; its mask output would need a real conversion. */
function toIdentity(node: Parameters<Converter['convert']>[0]): ReturnType<Converter['convert']> {
  if ((node.output ?? []).filter(Boolean).length > 1) {
    throw cannotConvert(node, 13, 'its mask output is used', 'remove the Dropout mask output (it is only meaningful in training)');
  }
  return [{ ...node, opType: 'Identity', input: [node.input![0]!], output: [node.output![0]!], attribute: [] }];
}
