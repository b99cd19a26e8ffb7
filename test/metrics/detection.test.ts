import test from 'node:test';
import assert from 'node:assert/strict';
import {
  averagePrecision, decodeDetections, detectionMatch, greedyMatch, iou, mapIou, nms,
  probabilityMap, splitChannelsFirst, toCorners, toSourcePixels, type Detection,
} from '../../src/metrics/detection/index.js';
import { planGeometry, resolvePreprocessing } from '../../datasets/images/index.js';

const det = (x1: number, y1: number, x2: number, y2: number, score = 1, label = 0): Detection => ({ x1, y1, x2, y2, score, label });
const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} ≉ ${b}`);

test('IoU of hand-made boxes', () => {
  close(iou(det(0, 0, 2, 2), det(1, 1, 3, 3)), 1 / 7); // ∩ 1, ∪ 4 + 4 − 1
  close(iou(det(0, 0, 2, 2), det(0, 0, 2, 2)), 1);
  assert.equal(iou(det(0, 0, 1, 1), det(1, 0, 2, 1)), 0); // touching
  close(iou(det(0, 0, 4, 2), det(0, 0, 2, 2)), 0.5);
});

test('box formats: xyxy and cxcywh', () => {
  assert.deepEqual(toCorners(10, 20, 4, 6, 'cxcywh'), { x1: 8, y1: 17, x2: 12, y2: 23 });
  assert.deepEqual(toCorners(3, 4, 1, 2, 'xyxy'), { x1: 1, y1: 2, x2: 3, y2: 4 });
});

test('NMS keeps the best box of each overlapping cluster, per class, after the score threshold', () => {
  const boxes = [
    det(0, 0, 10, 10, 0.9), det(1, 1, 11, 11, 0.8), // IoU 81/119 ≈ 0.68 → suppressed
    det(0, 0, 10, 10, 0.7, 1), // other class: kept
    det(20, 20, 30, 30, 0.6), // apart: kept
    det(20, 20, 30, 30, 0.2), // below score threshold
  ];
  const kept = nms(boxes, { scoreThreshold: 0.5, iouThreshold: 0.5 });
  assert.deepEqual(kept.map((d) => d.score), [0.9, 0.7, 0.6]);
  assert.deepEqual(nms(boxes, { scoreThreshold: 0.5, iouThreshold: 0.5, perClass: false }).map((d) => d.score), [0.9, 0.6]);
  assert.deepEqual(nms(boxes, { scoreThreshold: 0.5, iouThreshold: 0.7 }).map((d) => d.score), [0.9, 0.8, 0.7, 0.6]);
});

test('decode: UltraFace-style [A,4] boxes + [A,2] scores with background column 0', () => {
  const boxes = [0.1, 0.1, 0.2, 0.2, 0.5, 0.5, 0.6, 0.6];
  const scores = [0.1, 0.9, 0.8, 0.2];
  const d = decodeDetections(boxes, scores, { format: 'xyxy', scoreThreshold: 0.7, backgroundClass: 0 });
  assert.equal(d.length, 1);
  assert.equal(d[0]!.label, 1);
  assert.equal(d[0]!.score, 0.9);
  // YOLO head [4 + C, A]: two anchors, one class
  const head = [/* cx */ 50, 150, /* cy */ 10, 10, /* w */ 20, 20, /* h */ 20, 20, /* class 0 */ 0.5, 0.25];
  const split = splitChannelsFirst(head, 5);
  assert.deepEqual([...split.boxes], [50, 10, 20, 20, 150, 10, 20, 20]);
  assert.deepEqual([...split.scores], [0.5, 0.25]);
  const y = decodeDetections(split.boxes, split.scores, { format: 'cxcywh', scoreThreshold: 0.5 });
  assert.deepEqual(y.map((b) => [b.x1, b.y1, b.x2, b.y2]), [[40, 0, 60, 20]]);
});

test('normalized boxes → source pixels through letterbox and stretch geometry', () => {
  const spec = (preset: string, width: number, height: number) =>
    resolvePreprocessing({ name: 'x', dims: [1, 3, height, width], elementType: 'float32' }, { preset });
  // 640×480 photo letterboxed into 320×320: scale 0.5, 320×240 image, 40 px pad top and bottom.
  const g = planGeometry(640, 480, spec('yolo', 320, 320));
  assert.deepEqual([g.scaleX, g.padX, g.padY], [0.5, 0, 40]);
  const b = toSourcePixels(det(0.25, 0.25, 0.5, 0.5), g, { width: 320, height: 320 }); // input px (80, 80)-(160, 160)
  assert.deepEqual([b.x1, b.y1, b.x2, b.y2], [160, 80, 320, 240]);
  const s = toSourcePixels(det(0.5, 0.5, 1, 1), planGeometry(640, 480, spec('unit', 320, 240)), { width: 320, height: 240 });
  assert.deepEqual([s.x1, s.y1, s.x2, s.y2], [320, 240, 640, 480]);
  // input pixels, clipped to the photo
  const c = toSourcePixels(det(-10, 0, 400, 10), planGeometry(100, 100, spec('unit', 200, 200)));
  assert.deepEqual([c.x1, c.x2], [0, 100]);
});

test('greedy matching and F1 against fp32 at IoU 0.5', () => {
  const ref = [det(0, 0, 10, 10), det(20, 20, 30, 30), det(40, 40, 50, 50)];
  const got = [det(0, 0, 10, 9, 0.9), det(21, 21, 31, 31, 0.8), det(100, 100, 110, 110, 0.7)];
  // second: IoU 81/119 ≈ 0.68 → match; third: nothing → FP; ref 3 → FN
  const m = greedyMatch(ref, got);
  assert.deepEqual(m.matches, [0, 1, -1]);
  assert.deepEqual([m.truePositives, m.falsePositives, m.falseNegatives], [2, 1, 1]);
  const acc = detectionMatch({ minF1: 0.7 });
  acc.add(ref, got);
  acc.add([], []); // both empty: perfect
  const r = acc.result();
  close(r.precision, 2 / 3);
  close(r.recall, 2 / 3);
  close(r.value!, 2 / 3);
  assert.deepEqual(r.perImage.map((v) => Math.round(v * 1000) / 1000), [0.667, 1]);
  assert.equal(r.verdict, 'fail');
  // a higher-scoring prediction takes the shared reference box first
  const shared = greedyMatch([det(0, 0, 10, 10)], [det(0, 0, 10, 8, 0.5), det(0, 0, 10, 9, 0.9)]);
  assert.deepEqual(shared.matches, [-1, 0]);
  // labels must agree
  assert.equal(greedyMatch([det(0, 0, 10, 10, 1, 0)], [det(0, 0, 10, 10, 1, 1)]).truePositives, 0);
});

test('F1 is undefined (null, with the reason) when the reference detected nothing; a threshold on it fails', () => {
  const acc = detectionMatch({ minF1: 0.99 });
  acc.add([], []);
  acc.add([], []);
  const r = acc.result();
  assert.equal(r.value, null);
  assert.equal(r.undefinedReason, 'the reference detected nothing in 2 image(s)');
  assert.equal(r.verdict, 'fail');
  // the test inventing boxes where the reference has none: still nothing to measure against
  const invented = detectionMatch();
  invented.add([], [det(0, 0, 10, 10, 0.9)]);
  assert.equal(invented.result().value, null);
  assert.equal(invented.result().falsePositives, 1);
});

test('AP (VOC all-points) on hand-made detections', () => {
  const gt = [[det(0, 0, 10, 10), det(20, 20, 30, 30)], [det(0, 0, 10, 10)]];
  // scores: 0.9 TP (img0 box0), 0.8 FP (duplicate of img0 box0), 0.7 TP (img1), 0.6 FP (nothing), img0 box1 missed
  const dets = [[det(0, 0, 10, 10, 0.9), det(1, 0, 10, 10, 0.8), det(50, 50, 60, 60, 0.6)], [det(0, 0, 10, 10, 0.7)]];
  const r = averagePrecision(dets, gt);
  // precision/recall after each: (1, 1/3) (1/2, 1/3) (2/3, 2/3) (2/4, 2/3); envelope: 1 until r=1/3, 2/3 until 2/3
  close(r.value!, (1 / 3) * 1 + (1 / 3) * (2 / 3));
  assert.equal(r.truePositives, 2);
  assert.equal(r.groundTruth, 3);
  close(averagePrecision([[det(0, 0, 1, 1, 0.5)]], [[det(0, 0, 1, 1)]]).value!, 1);
  assert.equal(averagePrecision([[det(0, 0, 1, 1, 0.5)]], [[]]).value, null);
  assert.equal(averagePrecision([[]], [[det(0, 0, 1, 1)]]).value, 0);
});

test('probability-map IoU at a threshold', () => {
  close(mapIou([0.9, 0.8, 0.1, 0.1], [0.9, 0.2, 0.6, 0.1], 0.5), 1 / 3);
  assert.equal(mapIou([0, 0], [0.1, 0.2], 0.5), 1);
  const p = probabilityMap({ threshold: 0.3, minIou: 0.5 });
  p.add([0.9, 0.8, 0.1, 0.1], [0.9, 0.2, 0.6, 0.1]); // at 0.3: ∩ 1, ∪ 3
  p.add([0.5, 0.5], [0.5, 0.5]); // ∩ 2, ∪ 2
  const r = p.result();
  close(r.value, 3 / 5);
  assert.deepEqual(r.perImage.map((v) => Math.round(v * 1000) / 1000), [0.333, 1]);
  assert.equal(r.verdict, 'pass');
});
