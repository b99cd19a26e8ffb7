/**
 * Average precision against ground truth, PASCAL VOC style (2010+ devkit, "all points"):
 * detections of all images sorted by descending score; each is a true positive when its
 * best-overlapping ground-truth box of the same label (IoU ≥ threshold) is not yet taken,
 * otherwise a false positive; AP = area under the precision envelope
 * (precision made non-increasing from the right) over recall. IoU on continuous
 * coordinates (no "+1 pixel"). With labelled ground truth (COCO, YOLO txt) the value is the
 * mean over the classes that have ground truth of each class's AP (VOC mAP); unlabelled ground
 * truth (one class of object, e.g. dlib's faces) gives the AP of all detections pooled.
 */
import { InternalError } from '../../core/errors.js';
import { iou, type Box, type Detection } from './boxes.js';
import { MATCH_IOU } from './match.js';
import type { ApResult } from '../../../reports/metric-results.js';
export type { ApResult };

export interface GroundTruthBox extends Box {
  /** Unlabelled ground truth (single-class sets such as dlib's faces) matches a detection of any class. */
  label?: number;
}

/** AP from per-image detections and ground truth (same order, same coordinates). */
export function averagePrecision(detections: readonly (readonly Detection[])[], groundTruth: readonly (readonly GroundTruthBox[])[], iouThreshold = MATCH_IOU): ApResult {
  const boxes = groundTruth.flat();
  if (boxes.length === 0 || boxes.some((g) => g.label === undefined)) return pooledAp(detections, groundTruth, iouThreshold);
  const labels = [...new Set(boxes.map((g) => g.label!))].sort((a, b) => a - b);
  const perClass = labels.map((label) => {
    const r = pooledAp(detections.map((ds) => ds.filter((d) => d.label === label)), groundTruth.map((gs) => gs.filter((g) => g.label === label)), iouThreshold);
    return { label, value: r.value!, groundTruth: r.groundTruth, detections: r.detections, truePositives: r.truePositives };
  });
  return {
    metric: 'average-precision', value: perClass.reduce((sum, c) => sum + c.value, 0) / perClass.length, iouThreshold,
    groundTruth: boxes.length, detections: detections.reduce((n, ds) => n + ds.length, 0), truePositives: perClass.reduce((n, c) => n + c.truePositives, 0),
    perClass: perClass.map(({ truePositives: _, ...c }) => c),
  };
}

/** AP of all detections against all ground truth (labels still have to agree where given). */
function pooledAp(detections: readonly (readonly Detection[])[], groundTruth: readonly (readonly GroundTruthBox[])[], iouThreshold: number): ApResult {
  if (detections.length !== groundTruth.length) throw new InternalError(`${detections.length} images of detections but ${groundTruth.length} of ground truth`);
  const all = detections.flatMap((ds, image) => ds.map((d, k) => ({ d, image, k })));
  all.sort((a, b) => b.d.score - a.d.score || a.image - b.image || a.k - b.k);
  const taken = groundTruth.map((g) => new Array<boolean>(g.length).fill(false));
  const total = groundTruth.reduce((n, g) => n + g.length, 0);
  const tp: number[] = [];
  for (const { d, image } of all) {
    let best = -1;
    let bestIou = -Infinity;
    groundTruth[image]!.forEach((g, j) => {
      if (g.label !== undefined && g.label !== d.label) return;
      const o = iou(g, d);
      if (o > bestIou) [best, bestIou] = [j, o];
    });
    const hit = best >= 0 && bestIou >= iouThreshold && !taken[image]![best];
    if (hit) taken[image]![best] = true;
    tp.push(hit ? 1 : 0);
  }
  const truePositives = tp.reduce((a, b) => a + b, 0);
  const base = { metric: 'average-precision' as const, iouThreshold, groundTruth: total, detections: all.length, truePositives };
  if (total === 0) return { ...base, value: null };
  // Precision/recall after each detection, with sentinels (recall 0 and 1, precision 0).
  const recall = [0];
  const precision = [0];
  let cum = 0;
  tp.forEach((t, i) => {
    cum += t;
    recall.push(cum / total);
    precision.push(cum / (i + 1));
  });
  recall.push(1);
  precision.push(0);
  for (let i = precision.length - 2; i >= 0; i--) precision[i] = Math.max(precision[i]!, precision[i + 1]!);
  let ap = 0;
  for (let i = 1; i < recall.length; i++) ap += (recall[i]! - recall[i - 1]!) * precision[i]!;
  return { ...base, value: ap };
}
