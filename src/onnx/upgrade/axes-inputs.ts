/**
 * Attributes that became inputs: Slice (10), TopK (10), Split / Squeeze / Unsqueeze /
 * ReduceSum (13). The values move to int64 initializers; the meaning is unchanged.
 */
import type { NodeProto } from '../proto.js';
import type { UpgradeContext } from './context.js';
import { baseName, cannotConvert, converter, type Converter } from './converter.js';
import { intAttribute, intsAttr, intsAttribute, withAttributes } from './nodes.js';
import { intValues } from './tensors.js';

/** Moves int list attribute `name` to input slot `slot` (optional inputs before it become ''). */
function attributeToInput(node: NodeProto, ctx: UpgradeContext, name: string, slot: number, required = false): NodeProto {
  const values = intsAttribute(node, name);
  if (!values) {
    if (required) throw cannotConvert(node, ctx.target, `it has no ${name} attribute`);
    return node;
  }
  const inputs = [...(node.input ?? [])];
  while (inputs.length < slot) inputs.push('');
  inputs[slot] = ctx.int64(baseName(node, name), values);
  return { ...withAttributes(node, [name]), input: inputs };
}

export const axesInputConverters: Converter[] = [
  // Split-1 could take `split` as a second input; Split-2 only as an attribute.
  converter('Split', 2, (node, ctx) => {
    const sizes = node.input?.[1];
    if (!sizes) return [node];
    const value = ctx.constant(sizes);
    if (!value) throw cannotConvert(node, 2, 'its split sizes are computed at run time');
    return [{ ...withAttributes(node, [], [intsAttr('split', intValues(value))]), input: [node.input![0]!] }];
  }),
  converter('Split', 13, (node, ctx) => [attributeToInput(node, ctx, 'split', 1)]),
  converter('Squeeze', 13, (node, ctx) => [attributeToInput(node, ctx, 'axes', 1)]),
  converter('Unsqueeze', 13, (node, ctx) => [attributeToInput(node, ctx, 'axes', 1, true)]),
  converter('ReduceSum', 13, (node, ctx) => [attributeToInput(node, ctx, 'axes', 1)]),
  converter('TopK', 10, (node, ctx) => {
    const k = intAttribute(node, 'k');
    if (k === undefined) throw cannotConvert(node, 10, 'it has no k attribute');
    const name = ctx.int64(baseName(node, 'k'), [k]);
    return [{ ...withAttributes(node, ['k']), input: [node.input![0]!, name] }];
  }),
  converter('Slice', 10, (node, ctx) => {
    const starts = intsAttribute(node, 'starts');
    const ends = intsAttribute(node, 'ends');
    if (!starts || !ends) throw cannotConvert(node, 10, 'it lacks starts or ends');
    const axes = intsAttribute(node, 'axes');
    const inputs = [node.input![0]!, ctx.int64(baseName(node, 'starts'), starts), ctx.int64(baseName(node, 'ends'), ends)];
    if (axes) inputs.push(ctx.int64(baseName(node, 'axes'), axes));
    return [{ ...withAttributes(node, ['starts', 'ends', 'axes']), input: inputs }];
  }),
];
