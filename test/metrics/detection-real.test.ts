/** Detection metrics on a real detector and real ground truth: UltraFace (fr_detect) on dlib's VOC photos. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxRuntimeEngine } from '../../src/engines/onnxruntime.js';
import { averagePrecision, decodeDetections, detectionMatch, nms, toSourcePixels, type Detection, type GroundTruthBox } from '../../src/metrics/detection/index.js';
import { decodeImage, resolvePreprocessing } from '../../datasets/images/index.js';
import { model, samples } from '../support/paths.js';

function requireData(path: string): string {
  if (!existsSync(path)) assert.fail(`${path} is missing: run \`npm run datasets\` first (it installs the sample models and photos)`);
  return path;
}

test('fr_detect + NMS finds the 7 faces of 2007_007763.jpg; AP against dlib boxes; F1 of a run against itself is 1', async (t) => {
  const file = requireData(model('fr_detect.onnx'));
  const truth = JSON.parse(readFileSync(requireData(join(samples('people'), 'faces.json')), 'utf8')) as Record<string, GroundTruthBox[]>;
  await using engine = await OnnxRuntimeEngine.create(file, { threads: 2 });
  const input = engine.inputs[0]!;
  // UltraFace: RGB, (x − 127) / 128, stretched to 320×240
  const spec = resolvePreprocessing({ name: input.name, dims: input.dims, elementType: 'float32' }, { preset: 'raw', mean: 127, std: 128, resize: 'stretch' });
  const images = ['2007_007763.jpg', '2008_002470.jpg', '2008_002506.jpg'];
  const detections: Detection[][] = [];
  const groundTruth: GroundTruthBox[][] = [];
  for (const name of images) {
    const photo = requireData(join(samples('people', 'evaluation'), name));
    const { data, geometry } = await decodeImage(photo, spec);
    const out = await engine.run({ [input.name]: { type: 'float32', data, dims: [1, 3, spec.height, spec.width] } });
    const candidates = decodeDetections(out.boxes!.data as Float32Array, out.scores!.data as Float32Array, { format: 'xyxy', scoreThreshold: 0.7, backgroundClass: 0 });
    const kept = nms(candidates, { scoreThreshold: 0.7, iouThreshold: 0.4 }).map((d) => ({ ...toSourcePixels(d, geometry, spec), label: 0 }));
    detections.push(kept);
    groundTruth.push(truth[name] ?? []);
  }
  assert.equal(detections[0]!.length, 7, `faces found on ${images[0]}: ${detections[0]!.length}`);
  const ap = averagePrecision(detections, groundTruth);
  t.diagnostic(`AP@0.5 = ${ap.value} (${ap.truePositives}/${ap.groundTruth} faces, ${ap.detections} detections)`);
  assert.ok(ap.value !== null && ap.value > 0.5 && ap.value <= 1, `AP ${ap.value}`);
  assert.equal(ap.groundTruth, groundTruth.flat().length);
  const agreement = detectionMatch({ minF1: 0.99 });
  detections.forEach((d) => agreement.add(d, d));
  assert.equal(agreement.result().value, 1);
  assert.equal(agreement.result().verdict, 'pass');
});
