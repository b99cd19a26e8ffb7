/**
 * Softmax / LogSoftmax / Hardmax: before 13 the input is coerced to 2-D at `axis` (default 1)
 * and normalized over the whole right-hand part; from 13 only over the single `axis`
 * (default −1). They agree when `axis` is the last dimension; otherwise the old semantics are
 * rebuilt as Flatten(axis) → op(axis = 1) → Reshape(Shape(x)).
 */
import { baseName, converters, type Converter } from './converter.js';
import { intAttr, intAttribute, makeNode, withAttributes } from './nodes.js';

export const softmaxConverters: Converter[] = converters(['Softmax', 'LogSoftmax', 'Hardmax'], 13, (node, ctx) => {
  const x = node.input![0]!;
  const y = node.output![0]!;
  const rank = ctx.rank(x);
  let axis = intAttribute(node, 'axis', 1);
  if (axis < 0 && rank !== undefined) axis += rank;
  if (rank !== undefined && axis === rank - 1) {
    return [withAttributes(node, [], [intAttr('axis', axis)])];
  }
  const flat = ctx.uniqueName(baseName(node, 'flat2d'));
  const flatOut = ctx.uniqueName(baseName(node, 'flat2d_out'));
  const shape = ctx.uniqueName(baseName(node, 'shape'));
  return [
    makeNode({ opType: 'Flatten', name: ctx.uniqueName(baseName(node, 'flatten')), inputs: [x], outputs: [flat], attributes: [intAttr('axis', axis)] }),
    { ...withAttributes(node, [], [intAttr('axis', 1)]), input: [flat], output: [flatOut] },
    makeNode({ opType: 'Shape', name: ctx.uniqueName(baseName(node, 'shape_of_input')), inputs: [x], outputs: [shape] }),
    makeNode({ opType: 'Reshape', name: ctx.uniqueName(baseName(node, 'restore_shape')), inputs: [flatOut, shape], outputs: [y] }),
  ];
});
