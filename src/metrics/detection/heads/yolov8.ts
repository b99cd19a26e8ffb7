/**
 * YOLOv8/11-style head (Ultralytics, anchor-free): [N, 4 + classes, boxes], channels first —
 * cx, cy, w, h in input pixels, then sigmoid class scores; no objectness; one box per cell of
 * strides 8/16/32.
 */
import type { Detection } from '../boxes.js';
import { classColumns, describeStrides, headShapeError, isStatic, rank3, shapeText, stridesFor } from './grid.js';
import type { HeadDecoder } from './types.js';

export const yolov8: HeadDecoder = {
  bind(outputs, ctx, strict) {
    const candidates = rank3(outputs);
    const head = candidates[0];
    if (!head) return { mismatch: 'no [N, 4 + classes, boxes] output' };
    const [, channels, boxes] = head.dims;
    if (typeof channels === 'number' && channels < 5) return { mismatch: `${head.name} ${shapeText(head.dims)} has fewer than 5 channels` };
    if (strict) {
      // Segmentation heads ([N, 4 + C + 32, boxes] + a prototype output) have more outputs: --classes tells them apart.
      if (!isStatic(head.dims) || candidates.length !== 1) return { mismatch: `${head.name} ${shapeText(head.dims)} is not the only static rank-3 output` };
      const levels = stridesFor(boxes as number, ctx.input);
      if (!levels) return { mismatch: `${head.name} ${shapeText(head.dims)}: ${boxes} columns are not one per cell of strides 8/16/32(/64)` };
      return { outputs: [head.name], classes: ctx.classes ?? (channels as number) - 4, reason: `${head.name} ${shapeText(head.dims)}: 4 + ${(channels as number) - 4} channels × one box per cell of strides ${describeStrides(levels)} at ${ctx.input.width}×${ctx.input.height}` };
    }
    return { outputs: [head.name], ...(ctx.classes !== undefined ? { classes: ctx.classes } : {}), reason: `${head.name} ${shapeText(head.dims)} read as [N, 4 + classes, boxes] (--detector yolov8)` };
  },
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
