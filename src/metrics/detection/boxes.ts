/**
 * Boxes: formats, IoU, and the way from a detector's output to source-image pixels.
 * A detector output is usually in model-input coordinates (normalized 0..1 or input pixels);
 * the images were letterboxed, stretched or cropped into the input, so a box goes back through
 * that geometry (datasets/images `Geometry`) before it is compared with ground truth drawn on
 * the original photo.
 */
import { InternalError } from '../../core/errors.js';
import type { Geometry } from '../../../datasets/images/index.js';
import type { NumericData } from '../data.js';

/** Corners in pixels (or any common unit), x1 ≤ x2, y1 ≤ y2. */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface Detection extends Box {
  score: number;
  /** Class index; detections only match boxes of the same label. */
  label: number;
}

export const BOX_FORMATS = ['xyxy', 'cxcywh'] as const;
export type BoxFormat = (typeof BOX_FORMATS)[number];

export function toCorners(a: number, b: number, c: number, d: number, format: BoxFormat): Box {
  if (format === 'xyxy') return { x1: Math.min(a, c), y1: Math.min(b, d), x2: Math.max(a, c), y2: Math.max(b, d) };
  return { x1: a - c / 2, y1: b - d / 2, x2: a + c / 2, y2: b + d / 2 };
}

export function area(b: Box): number {
  return Math.max(0, b.x2 - b.x1) * Math.max(0, b.y2 - b.y1);
}

/** Intersection over union on continuous coordinates (no VOC "+1 pixel"); 0 when both are empty. */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * A box in model-input coordinates → source-image pixels through the geometry the image
 * reader returned (letterbox, stretch or crop: src = (x − pad) / scale per axis), clipped to
 * the photo. `normalizedTo`: the box is in 0..1 of this input size (UltraFace, many SSDs);
 * omit it for boxes in input pixels (YOLO).
 */
export function toSourcePixels<B extends Box>(box: B, g: Geometry, normalizedTo?: { width: number; height: number }): B {
  const sx = normalizedTo?.width ?? 1;
  const sy = normalizedTo?.height ?? 1;
  const x = (v: number): number => Math.min(g.srcWidth, Math.max(0, (v * sx - g.padX) / g.scaleX));
  const y = (v: number): number => Math.min(g.srcHeight, Math.max(0, (v * sy - g.padY) / g.scaleY));
  return { ...box, x1: x(box.x1), y1: y(box.y1), x2: x(box.x2), y2: y(box.y2) };
}

export interface DecodeOptions {
  format: BoxFormat;
  /** Candidates below this score are dropped before NMS. */
  scoreThreshold: number;
  /** A class column that means "no object" (UltraFace: 0); never reported. */
  backgroundClass?: number;
}

/**
 * Candidates from one image: `boxes` holds A×4 values, `scores` A×C (C ≥ 1). Each anchor gives
 * at most one candidate: its best non-background class, if that score reaches the threshold.
 */
export function decodeDetections(boxes: NumericData, scores: NumericData, options: DecodeOptions): Detection[] {
  if (boxes.length % 4 !== 0) throw new InternalError(`${boxes.length} box values are not a multiple of 4`);
  const anchors = boxes.length / 4;
  if (anchors === 0 || scores.length % anchors !== 0) throw new InternalError(`${scores.length} scores do not match ${anchors} boxes`);
  const classes = scores.length / anchors;
  const out: Detection[] = [];
  for (let a = 0; a < anchors; a++) {
    let label = -1;
    let score = -Infinity;
    for (let c = 0; c < classes; c++) {
      if (c === options.backgroundClass) continue;
      const s = scores[a * classes + c]!;
      if (s > score) [label, score] = [c, s];
    }
    if (label < 0 || !(score >= options.scoreThreshold)) continue;
    const b = toCorners(boxes[a * 4]!, boxes[a * 4 + 1]!, boxes[a * 4 + 2]!, boxes[a * 4 + 3]!, options.format);
    out.push({ ...b, score, label });
  }
  return out;
}

/**
 * A YOLO-style head [4 + C, A] (channels first: cx, cy, w, h, then class scores) split into
 * anchor-major boxes A×4 and scores A×C, as `decodeDetections` takes them.
 */
export function splitChannelsFirst(data: NumericData, channels: number): { boxes: Float32Array; scores: Float32Array } {
  if (channels < 5 || data.length % channels !== 0) throw new InternalError(`${data.length} values are not [${channels}, A]`);
  const anchors = data.length / channels;
  const classes = channels - 4;
  const boxes = new Float32Array(anchors * 4);
  const scores = new Float32Array(anchors * classes);
  for (let a = 0; a < anchors; a++) {
    for (let k = 0; k < 4; k++) boxes[a * 4 + k] = data[k * anchors + a]!;
    for (let c = 0; c < classes; c++) scores[a * classes + c] = data[(4 + c) * anchors + a]!;
  }
  return { boxes, scores };
}
