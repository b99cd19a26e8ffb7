/**
 * YOLOv5/v7-style head: [N, boxes, 5 + classes], rows already decoded in the graph — cx, cy,
 * w, h in input pixels, sigmoid objectness, sigmoid class scores; 3 anchors per grid cell.
 */
import { classColumns, headShapeError } from './grid.js';
import { bindSingleTensor, stridesAt } from './single-tensor.js';
import { decodeObjectnessRows } from './objectness-rows.js';
import type { HeadDecoder } from './types.js';

const ANCHORS_PER_CELL = 3;

export const yolov5: HeadDecoder = {
  bind: (outputs, ctx, strict) => bindSingleTensor({
    detector: 'yolov5', layout: '[N, boxes, 5 + classes]', cellsDim: 1, cellsWord: 'rows', valuesWord: 'columns', fixed: 5, anchorsPerCell: ANCHORS_PER_CELL,
    explain: (levels, classes, ctx) => `3 anchors per cell of ${stridesAt(levels, ctx)}, 5 + ${classes} columns`,
    readAs: '[N, boxes, 5 + classes]',
  }, outputs, ctx, strict),
  decode([head], ctx, scoreThreshold) {
    const [rows, columns] = head!.dims as [number, number];
    if (head!.dims.length !== 2 || columns < 6) throw headShapeError('yolov5', head!.name, head!.dims, 'expected [boxes, 5 + classes] per image');
    const classes = classColumns(columns, 5, ctx.classes, 'yolov5', head!.name, head!.dims);
    return decodeObjectnessRows(head!.data, rows, columns, classes, scoreThreshold, (d, _a, o) => ({ cx: d[o]!, cy: d[o + 1]!, w: d[o + 2]!, h: d[o + 3]! }));
  },
};
