/**
 * Head decoders on synthetic head tensors with known boxes: each tensor is what the head's
 * export writes for those boxes (grid offsets, log sizes, DFL distributions), the rest zeros.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { chooseDetector, decodeHead, isDetectorChoice, nms, type Detection, type DetectorChoice } from '../../src/metrics/detection/index.js';
import { Int8calError } from '../../src/core/errors.js';

const input = { width: 64, height: 64 };
/** Cells of strides 8/16/32 at 64×64: 8·8 + 4·4 + 2·2. */
const CELLS = 84;
const ctx = { input };

function close(actual: Detection, expected: Omit<Detection, 'score'> & { score?: number }, tolerance = 1e-4): void {
  for (const k of ['x1', 'y1', 'x2', 'y2'] as const) assert.ok(Math.abs(actual[k] - expected[k]) < tolerance, `${k}: ${actual[k]} vs ${expected[k]}`);
  assert.equal(actual.label, expected.label);
  if (expected.score !== undefined) assert.ok(Math.abs(actual.score - expected.score) < 1e-6, `score ${actual.score} vs ${expected.score}`);
}

function guess(outputs: { name: string; dims: number[] }[]): DetectorChoice {
  const choice = chooseDetector(outputs, ctx);
  assert.ok(isDetectorChoice(choice), JSON.stringify(choice));
  return choice;
}

test('yolov5: [1, 3·cells, 5 + C] rows in input pixels, score = objectness × class; auto-detected from 3 anchors per cell', () => {
  const columns = 7; // cx, cy, w, h, objectness, 2 classes
  const data = new Float32Array(3 * CELLS * columns);
  const row = (r: number, values: number[]) => data.set(values, r * columns);
  row(10, [20, 30, 10, 20, 0.9, 0.2, 0.95]); // box (15, 20)–(25, 40), class 1, score 0.855
  row(200, [50, 10, 8, 4, 0.8, 0.75, 0.1]); // box (46, 8)–(54, 12), class 0, score 0.6
  row(201, [50, 10, 8, 4, 0.05, 1, 1]); // objectness too low
  const choice = guess([{ name: 'output0', dims: [1, 3 * CELLS, columns] }]);
  assert.equal(choice.detector, 'yolov5');
  assert.equal(choice.classes, 2);
  assert.match(choice.reason, /3 anchors per cell of strides 8\/16\/32 at 64×64/);
  const found = decodeHead(choice, { output0: { data, dims: [1, 3 * CELLS, columns] } }, 0, ctx, 0.25);
  assert.equal(found.length, 2);
  close(found[0]!, { x1: 15, y1: 20, x2: 25, y2: 40, label: 1, score: Math.fround(0.9) * Math.fround(0.95) });
  close(found[1]!, { x1: 46, y1: 8, x2: 54, y2: 12, label: 0, score: Math.fround(0.8) * Math.fround(0.75) });
});

test('yolov8: [1, 4 + C, cells] channels first, no objectness; the second image of a batch; --classes ignores extra channels', () => {
  const channels = 4 + 3 + 2; // 3 classes, then 2 mask coefficients
  const one = new Float32Array(channels * CELLS);
  const set = (a: number, values: number[]) => values.forEach((v, c) => { one[c * CELLS + a] = v; });
  set(5, [32, 32, 16, 8, 0.1, 0.2, 0.7, 0.99, 0.99]); // box (24, 28)–(40, 36), class 2
  set(83, [4, 60, 8, 8, 0.6, 0, 0, 0, 0]); // box (0, 56)–(8, 64), class 0
  const batch = new Float32Array(2 * one.length);
  batch.set(one, one.length); // image 0 empty, image 1 holds the boxes
  const dims = [2, channels, CELLS];
  const outputs = [{ name: 'output0', dims }];
  assert.equal(guess(outputs).detector, 'yolov8');
  const choice = chooseDetector(outputs, { ...ctx, classes: 3 }) as DetectorChoice;
  assert.equal(choice.classes, 3);
  const tensors = { output0: { data: batch, dims } };
  assert.deepEqual(decodeHead(choice, tensors, 0, ctx, 0.5), []);
  const found = nms(decodeHead(choice, tensors, 1, ctx, 0.5), { scoreThreshold: 0.5, iouThreshold: 0.45 });
  assert.equal(found.length, 2);
  close(found[0]!, { x1: 24, y1: 28, x2: 40, y2: 36, label: 2, score: Math.fround(0.7) });
  close(found[1]!, { x1: 0, y1: 56, x2: 8, y2: 64, label: 0 });
  // Without --classes the mask coefficients would read as classes 3 and 4.
  assert.equal(decodeHead(guess(outputs), tensors, 1, ctx, 0.5)[0]!.label, 3);
});

test('yolox: raw grid rows — (offset + cell) · stride, exp(log size) · stride; auto-detected from one row per cell', () => {
  const columns = 6;
  const data = new Float32Array(CELLS * columns);
  // Stride 16 level starts after the 64 stride-8 cells; its cell (column 1, row 2) is row 64 + 2·4 + 1.
  data.set([0.5, 0.25, Math.log(2), Math.log(0.5), 0.8, 0.5], (64 + 9) * columns); // centre (24, 36), 32 × 8
  data.set([-0.5, 0.5, 0, 0, 0.3, 0.1], 7 * columns); // stride 8, cell (7, 0): score 0.03 < 0.1
  const choice = guess([{ name: 'output', dims: [1, CELLS, columns] }]);
  assert.equal(choice.detector, 'yolox');
  const found = decodeHead(choice, { output: { data, dims: [1, CELLS, columns] } }, 0, ctx, 0.1);
  assert.equal(found.length, 1);
  close(found[0]!, { x1: 8, y1: 32, x2: 40, y2: 40, label: 0, score: Math.fround(0.8) * Math.fround(0.5) });
});

test('picodet: per-stride score maps + DFL box maps → centre ± expected distance · stride, every class over the threshold', () => {
  const classes = 3;
  const bins = 8;
  const [cells8, cells16] = [64, 16];
  const scores8 = new Float32Array(cells8 * classes);
  const scores16 = new Float32Array(cells16 * classes);
  const boxes8 = new Float32Array(cells8 * 4 * bins);
  const boxes16 = new Float32Array(cells16 * 4 * bins);
  // Stride 16, cell (column 2, row 1): centre (40, 24); distances l, t, r, b = 1, 0.5, 2, 1.5 bins.
  const cell = 1 * 4 + 2;
  scores16.set([0.9, 0, 0.6], cell * classes);
  const twoBins = (at: number, lo: number, w: number) => { boxes16[at + lo] = Math.log(1 - w); boxes16[at + lo + 1] = Math.log(w); };
  [[1, 0], [0, 0.5], [2, 0], [1, 0.5]].forEach(([lo, w], side) => {
    const at = cell * 4 * bins + side! * bins;
    boxes16.fill(-1e9, at, at + bins);
    if (w === 0) boxes16[at + lo!] = 0;
    else twoBins(at, lo!, w!);
  });
  const outputs = [
    { name: 's8', dims: [1, cells8, classes] }, { name: 's16', dims: [1, cells16, classes] },
    { name: 'b8', dims: [1, cells8, 4 * bins] }, { name: 'b16', dims: [1, cells16, 4 * bins] },
  ];
  const choice = guess(outputs);
  assert.equal(choice.detector, 'picodet');
  assert.equal(choice.classes, 3);
  const tensors = { s8: { data: scores8, dims: outputs[0]!.dims }, s16: { data: scores16, dims: outputs[1]!.dims }, b8: { data: boxes8, dims: outputs[2]!.dims }, b16: { data: boxes16, dims: outputs[3]!.dims } };
  const found = decodeHead(choice, tensors, 0, ctx, 0.5);
  assert.equal(found.length, 2, 'classes 0 and 2 of the same cell');
  const box = { x1: 40 - 16, y1: 24 - 8, x2: 40 + 32, y2: 24 + 24 };
  close(found[0]!, { ...box, label: 0 }, 1e-3);
  close(found[1]!, { ...box, label: 2 }, 1e-3);
});

test('auto-detection: named boxes/scores win; shapes that fit no head or a wrong --detector are said so', () => {
  assert.equal(guess([{ name: 'scores', dims: [1, 4420, 2] }, { name: 'boxes', dims: [1, 4420, 4] }]).detector, 'boxes-scores');
  const none = chooseDetector([{ name: 'logits', dims: [1, 1000] }], ctx);
  assert.ok(!isDetectorChoice(none) && none.candidates.length === 0);
  assert.match(none.reasons.yolox!, /no \[N, cells, 5 \+ classes\] output/);
  const odd = chooseDetector([{ name: 'out', dims: [1, 100, 6] }], ctx);
  assert.ok(!isDetectorChoice(odd) && odd.candidates.length === 0, '100 rows are no grid at 64×64');
  assert.throws(() => chooseDetector([{ name: 'logits', dims: [1, 1000] }], ctx, 'yolov8'),
    (e: Int8calError) => e.code === 'DETECTOR_OUTPUTS' && /not a yolov8 head: no \[N, 4 \+ classes, boxes\] output/.test(e.message));
  const wrong = chooseDetector([{ name: 'out', dims: [1, 100, 6] }], ctx, 'yolox');
  assert.throws(() => decodeHead(wrong as DetectorChoice, { out: { data: new Float32Array(600), dims: [1, 100, 6] } }, 0, ctx, 0.1),
    (e: Int8calError) => e.code === 'DETECTOR_SHAPE' && /one row per cell of strides 8\/16\/32 at 64×64/.test(e.message));
});
