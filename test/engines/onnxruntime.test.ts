import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readBatches, resolvePreprocessing } from '../../datasets/images/index.js';
import { OnnxRuntimeEngine } from '../../src/engines/onnxruntime.js';
import { Int8calError } from '../../src/core/errors.js';
import { decodeDetections, greedyMatch, nms, toSourcePixels, type Detection } from '../../src/metrics/detection/index.js';
import { model, samples } from '../support/paths.js';

test('fr_detect on dlib\'s 2007_007763.jpg finds ≥ 6 of the 7 ground-truth faces: images, preprocessing and engine agree', async () => {
  await using engine = await OnnxRuntimeEngine.create(model('fr_detect.onnx'), { threads: 2 });
  const input = engine.inputs[0]!;
  const spec = resolvePreprocessing(input, { resize: 'stretch', mean: 127, std: 128, scale: 1 });
  assert.deepEqual([spec.width, spec.height], [320, 240], 'size inferred from the model input');
  const photo = join(samples('people', 'evaluation'), '2007_007763.jpg');
  const batch = (await readBatches([photo], spec, { batchSize: 1 }).next()).value!;
  assert.ok(batch && 'data' in batch);
  const out = await engine.run({ [input.name]: { type: 'float32', data: batch.data, dims: batch.dims } });
  const candidates = decodeDetections(out.boxes!.data as Float32Array, out.scores!.data as Float32Array, { format: 'xyxy', scoreThreshold: 0.7, backgroundClass: 0 });
  const faces = nms(candidates, { scoreThreshold: 0.7, iouThreshold: 0.4 })
    .map((d) => toSourcePixels(d, batch.geometry[0]!, { width: spec.width, height: spec.height }) as Detection);
  const truth = JSON.parse(await readFile(join(samples('people'), 'faces.json'), 'utf8'))['2007_007763.jpg'] as Detection[];
  assert.equal(truth.length, 7);
  const matched = greedyMatch(truth.map((b) => ({ ...b, score: 1, label: 1 })), faces, 0.5);
  assert.ok(matched.truePositives >= 6, `found ${matched.truePositives} of 7 faces (${faces.length} detections)`);
});

test('bad model bytes and shape mismatches become the project\'s errors', async () => {
  await assert.rejects(OnnxRuntimeEngine.create(new Uint8Array([1, 2, 3, 4]), {}, 'junk.onnx'),
    (e: unknown) => e instanceof Int8calError && e.code === 'ENGINE_LOAD' && /junk\.onnx/.test(e.message));
  await using engine = await OnnxRuntimeEngine.create(await readFile(model('fr_detect.onnx')));
  await assert.rejects(engine.run({ input: { type: 'float32', data: new Float32Array(3 * 10 * 10), dims: [1, 3, 10, 10] } }),
    (e: unknown) => e instanceof Int8calError && /expects shape \[1, 3, 240, 320\] but got \[1, 3, 10, 10\]/.test(e.message));
});

test('sessions that share the cores (sharedCores: no spinning workers) compute the same outputs', async () => {
  const feeds = { input: { type: 'float32' as const, data: Float32Array.from({ length: 3 * 240 * 320 }, (_, i) => Math.sin(i) * 0.9), dims: [1, 3, 240, 320] } };
  await using spinning = await OnnxRuntimeEngine.create(model('fr_detect.onnx'), { threads: 2 });
  await using sleeping = await OnnxRuntimeEngine.create(model('fr_detect.onnx'), { threads: 2, sharedCores: true });
  const [a, b] = [await spinning.run(feeds), await sleeping.run(feeds)];
  assert.deepEqual(b.scores!.data, a.scores!.data);
});
