/**
 * YOLOv5/v7-style head: [N, boxes, 5 + classes], rows already decoded in the graph — cx, cy,
 * w, h in input pixels, sigmoid objectness, sigmoid class scores; 3 anchors per grid cell.
 */
import { classColumns, describeStrides, headShapeError, isStatic, rank3, shapeText, stridesFor } from './grid.js';
import { decodeObjectnessRows } from './objectness-rows.js';
import type { HeadDecoder } from './types.js';

const ANCHORS_PER_CELL = 3;

export const yolov5: HeadDecoder = {
  bind(outputs, ctx, strict) {
    const candidates = rank3(outputs);
    const head = candidates[0];
    if (!head) return { mismatch: 'no [N, boxes, 5 + classes] output' };
    const [, rows, columns] = head.dims;
    if (typeof columns === 'number' && columns < 6) return { mismatch: `${head.name} ${shapeText(head.dims)} has fewer than 6 columns` };
    if (strict) {
      if (!isStatic(head.dims) || candidates.length !== 1) return { mismatch: `${head.name} ${shapeText(head.dims)} is not the only static rank-3 output` };
      const levels = stridesFor(rows as number, ctx.input, ANCHORS_PER_CELL);
      if (!levels) return { mismatch: `${head.name} ${shapeText(head.dims)}: ${rows} rows are not 3 anchors per cell of strides 8/16/32(/64)` };
      return { outputs: [head.name], classes: ctx.classes ?? (columns as number) - 5, reason: `${head.name} ${shapeText(head.dims)}: 3 anchors per cell of strides ${describeStrides(levels)} at ${ctx.input.width}×${ctx.input.height}, 5 + ${(columns as number) - 5} columns` };
    }
    return { outputs: [head.name], ...(ctx.classes !== undefined ? { classes: ctx.classes } : {}), reason: `${head.name} ${shapeText(head.dims)} read as [N, boxes, 5 + classes] (--detector yolov5)` };
  },
  decode([head], ctx, scoreThreshold) {
    const [rows, columns] = head!.dims as [number, number];
    if (head!.dims.length !== 2 || columns < 6) throw headShapeError('yolov5', head!.name, head!.dims, 'expected [boxes, 5 + classes] per image');
    const classes = classColumns(columns, 5, ctx.classes, 'yolov5', head!.name, head!.dims);
    return decodeObjectnessRows(head!.data, rows, columns, classes, scoreThreshold, (d, _a, o) => ({ cx: d[o]!, cy: d[o + 1]!, w: d[o + 2]!, h: d[o + 3]! }));
  },
};
