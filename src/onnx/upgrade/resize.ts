/**
 * Upsample → Resize. Opset-9 Upsample (and opset-10 Resize) compute
 * x_in = x_out / scale ("asymmetric") and nearest takes floor(x_in); Resize-11 makes both
 * explicit attributes, so the converted node says exactly what the old one did.
 */
import { cannotConvert, converter, baseName, type Converter } from './converter.js';
import { floatsAttribute, stringAttr, stringAttribute, withAttributes } from './nodes.js';
import { floatValues } from './tensors.js';

export const resizeConverters: Converter[] = [
  converter('Upsample', 7, (node) => {
    throw cannotConvert(node, 7, 'opset-1 Upsample (height_scale/width_scale attributes) is experimental and not supported');
  }),
  // Upsample-7 has a `scales` attribute; Upsample-9 takes scales as an input.
  converter('Upsample', 9, (node, ctx) => {
    const scales = floatsAttribute(node, 'scales');
    if (!scales) throw cannotConvert(node, 9, 'it has no scales attribute');
    const name = ctx.float(baseName(node, 'scales'), scales);
    return [{ ...withAttributes(node, ['scales']), input: [node.input![0]!, name] }];
  }),
  // Upsample is deprecated at 10: the same node as an opset-10 Resize.
  converter('Upsample', 10, (node) => [{ ...node, opType: 'Resize' }]),
  converter('Resize', 11, (node, ctx) => {
    const mode = stringAttribute(node, 'mode', 'nearest');
    if (mode !== 'nearest' && mode !== 'linear') throw cannotConvert(node, 11, `unknown mode "${mode}"`);
    const scales = ctx.constant(node.input?.[1] ?? '');
    // Opset-10 nearest *down*sampling rounds differently in ONNX Runtime ("simple" mode): refuse
    // a known scale below 1 rather than change the result silently.
    if (mode === 'nearest' && scales && [...floatValues(scales)].some((s) => s < 1)) {
      throw cannotConvert(node, 11, 'nearest downsampling (a scale below 1) has no exact opset-11 equivalent');
    }
    const roi = ctx.target >= 13 ? '' : ctx.float(baseName(node, 'roi'), [], [0]);
    const attributes = [stringAttr('mode', mode), stringAttr('coordinate_transformation_mode', 'asymmetric')];
    if (mode === 'nearest') attributes.push(stringAttr('nearest_mode', 'floor'));
    return [{ ...withAttributes(node, ['mode'], attributes), input: [node.input![0]!, roi, node.input![1]!] }];
  }),
  converter('Resize', 13, (node) => {
    if (stringAttribute(node, 'coordinate_transformation_mode') === 'tf_half_pixel_for_nn') {
      throw cannotConvert(node, 13, 'coordinate_transformation_mode tf_half_pixel_for_nn was removed at opset 13');
    }
    return [node];
  }),
];

