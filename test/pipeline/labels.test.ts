/**
 * Accuracy against labels, not only against fp32: AP from COCO JSON and YOLO txt boxes (dlib's
 * face boxes of the people photos, test/fixtures/ground-truth, made from faces.json), and top-1
 * from a folder-per-class set (text lines cropped from opencv's scene-text photos, upright in
 * 0/ and turned 180° in 1/, for PaddleOCR's 0°/180° classifier).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { demoOptions } from '../../src/cli/run.js';
import { build } from '../../src/pipeline/build.js';
import { calibrate } from '../../src/pipeline/calibrate.js';
import { evaluate } from '../../src/pipeline/evaluate/index.js';
import { readGroundTruth } from '../../src/pipeline/evaluate/ground-truth.js';
import { runPipeline, type RunOptions } from '../../src/pipeline/run.js';
import type { Int8calError } from '../../src/core/errors.js';
import type { Results } from '../../reports/results-schema.js';
import { fixturesDir, model, samples } from '../support/paths.js';

const work = await mkdtemp(join(tmpdir(), 'int8cal-labels-'));
test.after(() => rm(work, { recursive: true, force: true }));
const coco = join(fixturesDir, 'ground-truth', 'people-faces.coco.json');
const yolo = join(fixturesDir, 'ground-truth', 'people-yolo');
const facesJson = join(samples('people'), 'faces.json');

test('COCO JSON and YOLO txt give the boxes of faces.json (labelled class 0); bad lines are named', async () => {
  const [own, c, y] = await Promise.all([readGroundTruth(facesJson), readGroundTruth(coco), readGroundTruth(yolo)]);
  assert.deepEqual([c.format, y.format], ['coco-json', 'yolo-txt']);
  const size = { width: 500, height: 375 };
  const expected = own.boxesOf('2007_007763.jpg', size);
  assert.equal(expected.length, 7);
  assert.deepEqual(c.boxesOf('some/dir/2007_007763.jpg', size), expected.map((b) => ({ ...b, label: 0 })));
  const fromYolo = y.boxesOf('2007_007763.jpg', size);
  fromYolo.forEach((b, i) => {
    for (const k of ['x1', 'y1', 'x2', 'y2'] as const) assert.ok(Math.abs(b[k] - expected[i]![k]) < 0.01, `${k} ${b[k]} vs ${expected[i]![k]}`);
    assert.equal(b.label, 0);
  });
  assert.deepEqual(y.boxesOf('no-labels.jpg', size), []);
  const bad = join(work, 'bad-yolo');
  await mkdir(bad);
  await sharp({ create: { width: 1, height: 1, channels: 3, background: 'black' } }).png().toFile(join(bad, 'x.png'));
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(bad, 'x.txt'), '0 0.5 0.5 0.2 0.2\n0 10 20 30 40\n');
  await assert.rejects(readGroundTruth(bad), (e: Int8calError) => e.code === 'GROUND_TRUTH' && /x\.txt: line 2 "0 10 20 30 40" is not "class cx cy w h"/.test(e.message));
});

test('fr_detect: AP against dlib\'s faces is the same from faces.json, COCO JSON and YOLO txt', async (t) => {
  const run = join(work, 'faces');
  const d = demoOptions();
  await calibrate({ ...d, out: run, maxImages: 4 } as Parameters<typeof calibrate>[0]);
  await build({ run, precisions: ['int8'], targets: ['tensorrt'] });
  const apWith = async (groundTruth: string) => {
    const r = await evaluate({ run, data: d.evalData!, groundTruth, variants: ['fp32', 'int8'], iterations: 1, scoreThreshold: 0.2, nmsIou: 0.4 }); // low: false positives among the detections
    return r.variants.map((v) => v.detection!.ap!);
  };
  const [own, fromCoco, fromYolo] = [await apWith(facesJson), await apWith(coco), await apWith(yolo)];
  const fp32 = own[0]!;
  assert.equal(fp32.groundTruth, 32, 'faces over the 6 evaluation photos');
  assert.ok(fp32.value! > 0.5 && fp32.detections > fp32.truePositives, `fp32 AP ${fp32.value}: ${fp32.truePositives} of ${fp32.detections} detections`);
  for (const other of [fromCoco, fromYolo]) {
    other.forEach((ap, i) => {
      assert.equal(ap.groundTruth, own[i]!.groundTruth);
      assert.equal(ap.truePositives, own[i]!.truePositives);
      assert.ok(Math.abs(ap.value! - own[i]!.value!) < 1e-9, `AP ${ap.value} vs ${own[i]!.value}`);
    });
  }
  assert.deepEqual(fromCoco[0]!.perClass?.map((c) => c.label), [0], 'labelled ground truth: per-class AP');
  t.diagnostic(`AP@0.5 fp32 ${fp32.value}, int8 ${own[1]!.value} (${fp32.groundTruth} faces, fp32 ${fp32.detections} detections)`);
});

/** Text lines (left, top, width, height) of opencv's segmented-word photos, 640×480. */
const LINES: [string, number, number, number, number][] = [
  ['calibration/opencv-scenetext_segmented_word01.jpg', 120, 216, 430, 84], // HOTEL
  ['evaluation/opencv-scenetext_segmented_word02.jpg', 50, 215, 550, 90], // Stationery Box
  ['calibration/opencv-scenetext_segmented_word03.jpg', 130, 70, 360, 60], // Customer
  ['calibration/opencv-scenetext_segmented_word03.jpg', 80, 240, 450, 70], // Private Hire
  ['evaluation/opencv-scenetext_segmented_word04.jpg', 80, 290, 500, 80], // FOSTER'S
  ['calibration/opencv-scenetext_segmented_word05.jpg', 180, 44, 310, 86], // SANYO
  ['calibration/opencv-scenetext_segmented_word05.jpg', 180, 330, 300, 50], // PRO xtraX
];

async function classFolders(dir: string): Promise<void> {
  await mkdir(join(dir, '0'), { recursive: true });
  await mkdir(join(dir, '1'), { recursive: true });
  for (const [i, [file, left, top, width, height]] of LINES.entries()) {
    const line = sharp(join(samples('text'), file)).extract({ left, top, width, height });
    await line.clone().png().toFile(join(dir, '0', `line${i}.png`));
    await line.clone().rotate(180).png().toFile(join(dir, '1', `line${i}.png`));
  }
}

test('PaddleOCR 0°/180° classifier: top-1 accuracy against class folders, for every variant', async () => {
  const data = join(work, 'lines');
  await classFolders(data);
  const options = {
    model: model('ch_ppocr_mobile_v2.0_cls_infer.onnx'), data, evalData: data, out: join(work, 'cls'), preset: 'symmetric', resize: 'stretch', size: '192x48',
    batchSize: 2, precisions: ['int8'], variants: ['fp32', 'int8'], iterations: 1, classFolders: true,
  } as RunOptions;
  const { results } = await runPipeline(options);
  assert.deepEqual(results.evaluation.classFolders, { classes: ['0', '1'], numbering: 'folder-index' });
  const accuracy = (r: Results, name: string) => r.variants.find((v) => v.name === name)!.accuracy!;
  // run chose the calibrator on some of the 14 lines (at most half) and judges on the others.
  const judged = 14 - (results.evaluation.choice?.heldOut.length ?? 0);
  assert.ok(judged >= 7, `judged on ${judged} lines`);
  assert.deepEqual(accuracy(results, 'fp32'), { metric: 'top1-accuracy', value: 1, correct: judged, total: judged });
  assert.ok(accuracy(results, 'int8').value >= 0.9, `int8 ${JSON.stringify(accuracy(results, 'int8'))}`);
  await assert.rejects(evaluate({ run: options.out, data: samples('text', 'evaluation'), classFolders: true, variants: ['fp32'], iterations: 1 }),
    (e: Int8calError) => e.code === 'CLASS_FOLDERS' && /is not inside a class folder of/.test(e.message));
});
