/**
 * YOLOv8/11-style head (Ultralytics, anchor-free): [N, 4 + classes, boxes], channels first —
 * cx, cy, w, h in input pixels, then sigmoid class scores; no objectness; one box per cell of
 * strides 8/16/32.
 */
import type { Detection } from '../boxes.js';
import { classColumns, headShapeError } from './grid.js';
import { bindSingleTensor, stridesAt } from './single-tensor.js';
import type { HeadDecoder } from './types.js';

export const yolov8: HeadDecoder = {
  // Segmentation heads ([N, 4 + C + 32, boxes] + a prototype output) have more outputs: --classes tells them apart.
  bind: (outputs, ctx, strict) => bindSingleTensor({
    detector: 'yolov8', layout: '[N, 4 + classes, boxes]', cellsDim: 2, cellsWord: 'columns', valuesWord: 'channels', fixed: 4,
    explain: (levels, classes, ctx) => `4 + ${classes} channels × one box per cell of ${stridesAt(levels, ctx)}`,
    readAs: '[N, 4 + classes, boxes]',
  }, outputs, ctx, strict),
  decode([head], ctx, scoreThreshold) {
    const [channels, boxes] = head!.dims as [number, number];
    if (head!.dims.length !== 2 || channels < 5) throw headShapeError('yolov8', head!.name, head!.dims, 'expected [4 + classes, boxes] per image');
    const classes = classColumns(channels, 4, ctx.classes, 'yolov8', head!.name, head!.dims);
    const d = head!.data;
    const out: Detection[] = [];
    for (let a = 0; a < boxes; a++) {
      let label = 0;
      let score = d[4 * boxes + a]!;
      for (let c = 1; c < classes; c++) {
        const s = d[(4 + c) * boxes + a]!;
        if (s > score) [label, score] = [c, s];
      }
      if (!(score >= scoreThreshold)) continue;
      const [cx, cy, w, h] = [d[a]!, d[boxes + a]!, d[2 * boxes + a]!, d[3 * boxes + a]!];
      out.push({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score, label });
    }
    return out;
  },
};
