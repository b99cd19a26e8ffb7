/** Greedy non-maximum suppression. */
import { iou, type Detection } from './boxes.js';

export interface NmsOptions {
  /** Drop detections scoring below this first. */
  scoreThreshold: number;
  /** Suppress a detection overlapping a kept one by more than this IoU. */
  iouThreshold: number;
  /** Only suppress within a class (default true). */
  perClass?: boolean;
  maxDetections?: number;
}

/** Keeps the highest-scoring detection, drops those overlapping it by IoU > threshold, repeats. Sorted by score. */
export function nms<D extends Detection>(detections: readonly D[], options: NmsOptions): D[] {
  const perClass = options.perClass ?? true;
  const max = options.maxDetections ?? Infinity;
  const sorted = detections
    .map((d, index) => ({ d, index }))
    .filter(({ d }) => d.score >= options.scoreThreshold)
    .sort((a, b) => b.d.score - a.d.score || a.index - b.index)
    .map(({ d }) => d);
  const kept: D[] = [];
  for (const d of sorted) {
    if (kept.length >= max) break;
    if (kept.some((k) => (!perClass || k.label === d.label) && iou(k, d) > options.iouThreshold)) continue;
    kept.push(d);
  }
  return kept;
}
