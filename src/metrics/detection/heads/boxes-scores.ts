/**
 * Already-decoded heads with separate tensors: boxes [N, A, 4] (xyxy or cxcywh, `--box-format`)
 * and class scores [N, A, C] (SSD, UltraFace, NMS-free exports). A two-column score tensor is
 * [background, object]: column 0 is never reported, and the object class is label 0 (as in
 * ground truth that numbers the real classes from 0). Boxes whose coordinates are all ≤ 1.5 are
 * taken as normalized to the input size.
 */
import { decodeDetections } from '../boxes.js';
import { headShapeError } from './grid.js';
import type { HeadDecoder } from './types.js';

const NORMALIZED_LIMIT = 1.5;

export const boxesScores: HeadDecoder = {
  bind(outputs, ctx) {
    const boxes = ctx.boxes ?? outputs.find((t) => /^boxes$/i.test(t.name))?.name;
    const scores = ctx.scores ?? outputs.find((t) => /^scores$/i.test(t.name))?.name;
    if (!boxes || !scores) return { mismatch: 'no outputs named "boxes" and "scores" (--boxes, --scores)' };
    for (const name of [boxes, scores]) if (!outputs.some((o) => o.name === name)) return { mismatch: `the model has no output ${name}` };
    return { outputs: [boxes, scores], reason: `outputs ${boxes} (boxes) and ${scores} (scores)` };
  },
  decode([boxes, scores], ctx, scoreThreshold) {
    const anchors = boxes!.data.length / 4;
    if (!Number.isInteger(anchors) || anchors === 0 || scores!.data.length % anchors !== 0) {
      throw headShapeError('boxes-scores', boxes!.name, boxes!.dims, `${scores!.name} [${scores!.dims.join(', ')}] has no score row per box`);
    }
    const classes = scores!.data.length / anchors;
    const background = classes === 2;
    const candidates = decodeDetections(boxes!.data, scores!.data, {
      format: ctx.boxFormat ?? 'xyxy', scoreThreshold, ...(background ? { backgroundClass: 0 } : {}),
    }).map((d) => (background ? { ...d, label: d.label - 1 } : d));
    if (!candidates.every((d) => Math.max(d.x1, d.y1, d.x2, d.y2) <= NORMALIZED_LIMIT)) return candidates;
    const { width, height } = ctx.input;
    return candidates.map((d) => ({ ...d, x1: d.x1 * width, y1: d.y1 * height, x2: d.x2 * width, y2: d.y2 * height }));
  },
};
