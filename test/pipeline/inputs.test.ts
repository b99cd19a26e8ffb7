/** RGBA and fitted (dynamic H/W) inputs through calibrate → build → evaluate, on real photos. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { Int8calError } from '../../src/core/errors.js';
import { encodeModel } from '../../src/onnx/model-file.js';
import { DataType } from '../../src/onnx/proto.js';
import { build } from '../../src/pipeline/build.js';
import { calibrate } from '../../src/pipeline/calibrate.js';
import { evaluate } from '../../src/pipeline/evaluate/index.js';
import { randomFloats, tinyModel, valueInfo } from '../onnx/helpers/tiny-model.js';
import { samples } from '../support/paths.js';

const work = await mkdtemp(join(tmpdir(), 'int8cal-inputs-'));
after(() => rm(work, { recursive: true, force: true }));

/** Conv(C→16, 3x3) → Relu → Conv(16→8, 3x3) → output; H/W as given (numbers or names). */
async function convModel(file: string, channels: number, h: number | string, w: number | string): Promise<string> {
  const w1 = { name: 'w1', dataType: DataType.FLOAT, dims: [16, channels, 3, 3], floatData: [...randomFloats(16 * channels * 9, 7, 0.4)] };
  const w2 = { name: 'w2', dataType: DataType.FLOAT, dims: [8, 16, 3, 3], floatData: [...randomFloats(8 * 16 * 9, 9, 0.2)] };
  const pads = { name: 'pads', type: 7, ints: [1, 1, 1, 1] };
  await writeFile(file, encodeModel(tinyModel({
    opset: 13,
    inputs: [valueInfo('image', [1, channels, h, w])],
    outputs: [valueInfo('features', [1, 8, h, w])],
    initializers: [w1, w2],
    nodes: [
      { opType: 'Conv', input: ['image', 'w1'], output: ['c1'], name: 'conv1', attribute: [pads] },
      { opType: 'Relu', input: ['c1'], output: ['r1'], name: 'relu1' },
      { opType: 'Conv', input: ['r1', 'w2'], output: ['features'], name: 'conv2', attribute: [pads] },
    ],
  })));
  return file;
}

/** Real photos turned into RGBA PNGs: the alpha is a disc (opaque inside, transparent outside). */
async function rgbaPhotos(dir: string, count: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  const photos = (await readdir(samples('scenes', 'calibration'))).sort().slice(0, count);
  for (const name of photos) {
    const image = sharp(join(samples('scenes', 'calibration'), name)).resize(64, 48, { fit: 'fill' }).removeAlpha();
    const mask = Buffer.from(Array.from({ length: 64 * 48 }, (_, i) => (Math.hypot((i % 64) - 32, Math.floor(i / 64) - 24) < 20 ? 255 : 0)));
    await image.joinChannel(mask, { raw: { width: 64, height: 48, channels: 1 } }).png().toFile(join(dir, name.replace(/\.\w+$/, '.png')));
  }
  return dir;
}

describe('input kinds end to end', () => {
  it('an RGBA-input model calibrates on the photos\' alpha, builds and evaluates', async () => {
    const modelFile = await convModel(join(work, 'rgba.onnx'), 4, 48, 64);
    const calibration = await rgbaPhotos(join(work, 'rgba-calibration'), 6);
    const evaluation = await rgbaPhotos(join(work, 'rgba-evaluation'), 3);
    const out = join(work, 'rgba');
    await calibrate({ model: modelFile, data: calibration, out, preset: 'unit', batchSize: 1 });
    const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8'));
    assert.deepEqual([run.preprocessing.channels, run.preprocessing.alpha], [4, 'keep']);
    await build({ run: out });
    const results = await evaluate({ run: out, data: evaluation, iterations: 2, task: 'none' });
    assert.match(results.preprocessing, /rgb\+alpha \(keep\)/);
    const psnr = results.variants.find((v) => v.name === 'int8')!.outputs[0]!.psnr!.value;
    assert.ok(typeof psnr === 'number' && psnr > 25 && psnr < 80, `int8 PSNR ${String(psnr)}`);
  });

  it('--resize fit feeds each photo at its own size to a dynamic-H/W model, one per batch', async () => {
    const modelFile = await convModel(join(work, 'dynamic.onnx'), 3, 'H', 'W');
    const out = join(work, 'fit');
    const warnings: string[] = [];
    // Two photo shapes: 480x360 scenes → 96x72, 512x512 faces → 96x96.
    const data = join(work, 'fit-photos');
    await mkdir(data);
    for (const [set, name] of [['scenes', 'scratch-baseball-field.jpg'], ['scenes', 'scratch-brick-wall-and-stairs.jpg'], ['faces', 'gnome-cat.jpg']] as const) {
      await writeFile(join(data, name), await readFile(join(samples(set, 'calibration'), name)));
    }
    const summary = await calibrate({ model: modelFile, data, out, resize: 'fit', size: '96x96', batchSize: 4, onWarning: (m) => warnings.push(m) });
    assert.equal(summary.images, 3);
    assert.ok(warnings.some((w) => /--resize fit gives every image its own size: batches of 1/.test(w)), warnings.join('\n'));
    // ort-cpu keeps this tiny model's two shallow Convs in float: built anyway, reported as not quantized.
    await build({ run: out, allowLowCoverage: true });
    const results = await evaluate({ run: out, data, iterations: 2, task: 'none' });
    assert.equal(results.evaluation.batchSize, 1);
    assert.match(results.preprocessing, /fit within 96x96 \(no padding\)/);
    assert.equal(results.variants.length, 4);
    await assert.rejects(calibrate({ model: await convModel(join(work, 'fixed.onnx'), 3, 48, 64), data, out: join(work, 'fit-fixed'), resize: 'fit' }),
      (e: Int8calError) => e.code === 'PREPROCESSING_CONFLICT');
  });

  it('the units trap stops calibrate before any inference, with the fix', async () => {
    const modelFile = join(work, 'rgb.onnx');
    await convModel(modelFile, 3, 48, 64);
    await assert.rejects(calibrate({ model: modelFile, data: samples('scenes', 'calibration'), out: join(work, 'units'), mean: '127', std: '128' }),
      (e: Int8calError) => e.code === 'PREPROCESSING_UNITS' && /add --scale 1 /.test(e.subject.hint ?? ''));
    await assert.rejects(readdir(join(work, 'units', 'histograms.bin')));
  });
});
