/** Clip (min/max → inputs at 11) and Pad (pads/value → inputs at 11; `paddings` → `pads` at 2). */
import { baseName, cannotConvert, converter, type Converter } from './converter.js';
import { floatAttribute, intsAttr, intsAttribute, stringAttribute, withAttributes } from './nodes.js';

/** Clip-6 defaults: the float range, i.e. no clipping on that side. */
const FLOAT_MAX = 3.4028234663852886e38;

export const clipPadConverters: Converter[] = [
  converter('Clip', 11, (node, ctx) => {
    const min = floatAttribute(node, 'min', -FLOAT_MAX);
    const max = floatAttribute(node, 'max', FLOAT_MAX);
    // Scalars of the input's type; these models' Clip inputs are float32 (Clip-6 is float-only).
    const minName = min > -FLOAT_MAX ? ctx.float(baseName(node, 'min'), [min], []) : '';
    const maxName = max < FLOAT_MAX ? ctx.float(baseName(node, 'max'), [max], []) : '';
    const inputs = [node.input![0]!, minName, maxName];
    while (inputs.length > 1 && inputs[inputs.length - 1] === '') inputs.pop();
    return [{ ...withAttributes(node, ['min', 'max']), input: inputs }];
  }),
  converter('Pad', 2, (node) => {
    const paddings = intsAttribute(node, 'paddings');
    return [paddings ? withAttributes(node, ['paddings'], [intsAttr('pads', paddings)]) : node];
  }),
  converter('Pad', 11, (node, ctx) => {
    const pads = intsAttribute(node, 'pads');
    if (!pads) throw cannotConvert(node, 11, 'it has no pads attribute');
    const mode = stringAttribute(node, 'mode', 'constant');
    const value = floatAttribute(node, 'value', 0);
    const inputs = [node.input![0]!, ctx.int64(baseName(node, 'pads'), pads)];
    if (mode === 'constant' && value !== 0) inputs.push(ctx.float(baseName(node, 'value'), [value], []));
    return [{ ...withAttributes(node, ['pads', 'value']), input: inputs }];
  }),
];
