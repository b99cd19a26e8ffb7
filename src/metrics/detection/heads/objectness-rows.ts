/**
 * Heads with one row per candidate — cx, cy, w, h, objectness, class scores (YOLOv5/v7, YOLOX):
 * score = objectness × best class score, as their packages rank candidates.
 */
import type { NumericData } from '../../data.js';
import type { Detection } from '../boxes.js';

/** Row a's box centre and size in input pixels from its first four values. */
export type RowBox = (data: NumericData, row: number, offset: number) => { cx: number; cy: number; w: number; h: number };

export function decodeObjectnessRows(data: NumericData, rows: number, columns: number, classes: number, scoreThreshold: number, box: RowBox): Detection[] {
  const out: Detection[] = [];
  for (let a = 0; a < rows; a++) {
    const o = a * columns;
    const objectness = data[o + 4]!;
    // Every class score is ≤ 1 (sigmoid), so a low objectness already rules the row out.
    if (!(objectness >= scoreThreshold)) continue;
    let label = 0;
    let best = data[o + 5]!;
    for (let c = 1; c < classes; c++) {
      const s = data[o + 5 + c]!;
      if (s > best) [label, best] = [c, s];
    }
    const score = objectness * best;
    if (!(score >= scoreThreshold)) continue;
    const { cx, cy, w, h } = box(data, a, o);
    out.push({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score, label });
  }
  return out;
}
