import test from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibrate } from '../../src/pipeline/calibrate.js';
import { recalibrate } from '../../src/pipeline/recalibrate.js';
import { Int8calError } from '../../src/core/errors.js';
import { parseCache } from '../../calibrators/cache.js';
import { SMALLEST_SCALE } from '../../src/pipeline/tensor-calibration.js';
import { model, samples } from '../support/paths.js';
import { scalar, writeTinyModel } from '../support/tiny-models.js';

const work = await mkdtemp(join(tmpdir(), 'int8cal-calibrate-'));
test.after(() => rm(work, { recursive: true, force: true }));

const det = model('ch_PP-OCRv4_det_infer.onnx');
// Small inputs keep the test quick; the pipeline is the same at 640x640.
const detOptions = { model: det, size: '160x160', resize: 'stretch', maxImages: 6 };
const read = (run: string, file: string) => readFile(join(run, file));

test('calibrates the PaddleOCR detector end to end on text photos', async () => {
  const out = join(work, 'det');
  const summary = await calibrate({ ...detOptions, data: samples('text', 'calibration'), out, batchSize: 2 });
  assert.equal(summary.images, 6);
  assert.deepEqual((await readdir(out)).sort(), ['calibration.cache', 'calibration.json', 'histograms.bin', 'manifest.json', 'model.fp32.onnx', 'run.json']);
  const calibration = JSON.parse(await readFile(join(out, 'calibration.json'), 'utf8'));
  const tensors = Object.entries(calibration.tensors) as [string, { amax: number; scale: number; absMax: number }][];
  assert.ok(tensors.length > 100, `expected every activation, got ${tensors.length}`);
  assert.ok('x' in calibration.tensors && 'sigmoid_0.tmp_0' in calibration.tensors, 'graph input and output are calibrated');
  for (const [name, t] of tensors) {
    assert.ok(t.scale > 0 && Number.isFinite(t.scale), `${name} scale`);
    assert.ok(t.amax <= t.absMax * (1 + 1e-6), `${name}: auto amax ≤ absmax`);
  }
  const cache = parseCache(await readFile(join(out, 'calibration.cache'), 'utf8'));
  assert.equal(cache.algorithm, 'EntropyCalibration2');
  assert.equal(cache.scales.size, tensors.length);
  assert.equal(cache.scales.get('x'), Math.fround(calibration.tensors.x.scale));
});

test('same images in another order or another batch size → byte-identical cache', async () => {
  const shuffled = join(work, 'shuffled');
  await mkdir(shuffled);
  const files = (await readdir(samples('text', 'calibration'))).sort().slice(0, 6);
  // Renaming reverses the sorted order the reader feeds them in.
  await Promise.all(files.map((f, i) => cp(join(samples('text', 'calibration'), f), join(shuffled, `${String(files.length - i).padStart(2, '0')}-${f}`))));
  const a = join(work, 'order-a');
  const b = join(work, 'order-b');
  await calibrate({ ...detOptions, data: samples('text', 'calibration'), out: a, batchSize: 1 });
  await calibrate({ ...detOptions, data: shuffled, out: b, batchSize: 3 });
  assert.deepEqual(await read(a, 'calibration.cache'), await read(b, 'calibration.cache'));
});

test('--from-histograms reproduces the cache byte for byte, and sweeps calibrators without inference', async () => {
  const base = join(work, 'det');
  const same = join(work, 'det-again');
  await recalibrate({ from: base, out: same, calibrator: 'auto' });
  assert.deepEqual(await read(same, 'calibration.cache'), await read(base, 'calibration.cache'));
  const minmax = await recalibrate({ from: base, out: join(work, 'det-minmax'), calibrator: 'minmax' });
  for (const t of Object.values(minmax.tensors)) assert.equal(t.amax, t.absMax);
  const pct = await recalibrate({ from: base, out: join(work, 'det-pct'), calibrator: 'percentile', percentile: 99.9 });
  assert.equal(pct.calibrator, 'percentile');
});

test('--cache reuses a covering TensorRT cache; a cache from another model fails listing the tensors', async () => {
  const reused = await calibrate({ model: det, size: '160x160', out: join(work, 'reuse'), cache: join(work, 'det', 'calibration.cache') });
  assert.equal(reused.images, 0);
  assert.deepEqual(await read(join(work, 'reuse'), 'calibration.cache'), await read(join(work, 'det'), 'calibration.cache'));
  const other = join(work, 'frd');
  await calibrate({ model: model('fr_detect.onnx'), data: samples('people', 'calibration'), out: other, mean: 127, std: 128, scale: 1, resize: 'stretch', maxImages: 2 });
  await assert.rejects(calibrate({ model: det, size: '160x160', out: join(work, 'wrong'), cache: join(other, 'calibration.cache') }), (error: unknown) => {
    assert.ok(error instanceof Int8calError);
    assert.equal(error.code, 'CACHE_MISMATCH');
    assert.match(error.message, /lacks \d+ of the \d+ tensors .*: x, /);
    return true;
  });
});

test('an empty folder and fewer images than one batch fail clearly', async () => {
  const empty = join(work, 'empty');
  await mkdir(empty);
  await assert.rejects(calibrate({ ...detOptions, data: empty, out: join(work, 'e') }), /no images|No images|none/i);
  await assert.rejects(calibrate({ ...detOptions, data: samples('text', 'calibration'), out: join(work, 'few'), maxImages: 3, batchSize: 4 }),
    (error: unknown) => error instanceof Int8calError && error.code === 'TOO_FEW_IMAGES' && /3 image\(s\), fewer than one batch of 4/.test(error.message));
});

test('NaN/Inf activations are counted and excluded; an all-zero tensor gets the smallest positive scale', async () => {
  const tiny = join(work, 'tiny.onnx');
  // raw pixels minus 128 are negative for dark pixels: Log gives NaN there and -Inf at exactly 0.
  await writeTinyModel(tiny, {
    initializers: [scalar('offset', 128), scalar('zero', 0)],
    nodes: [
      { opType: 'Sub', input: ['x', 'offset'], output: ['centered'], name: 'sub' },
      { opType: 'Log', input: ['centered'], output: ['log'], name: 'log' },
      { opType: 'Mul', input: ['x', 'zero'], output: ['zeros'], name: 'mul' },
    ],
    outputs: ['log', 'zeros'],
  });
  const out = join(work, 'tiny-run');
  const summary = await calibrate({ model: tiny, data: samples('scenes', 'calibration'), out, preset: 'raw', maxImages: 4, batchSize: 1 });
  const log = summary.calibration.tensors.log!;
  assert.ok(log.nanCount > 0, 'NaN counted');
  assert.ok(log.flags.includes('nan-or-inf'));
  assert.ok(Number.isFinite(log.amax) && log.amax > 0 && log.amax <= log.absMax);
  const zeros = summary.calibration.tensors.zeros!;
  assert.equal(zeros.absMax, 0);
  assert.equal(zeros.scale, SMALLEST_SCALE);
  assert.deepEqual(zeros.flags, ['all-zero']);
  const cache = parseCache(await readFile(join(out, 'calibration.cache'), 'utf8'));
  assert.ok(cache.scales.get('zeros')! > 0);
});

test('--max-activation-memory below one image splits tensors into passes with the same result', async () => {
  const one = join(work, 'det');
  const split = join(work, 'det-split');
  // One det image at 160x160: ~41 MiB of activations, ~4 MiB alive at once in ONNX Runtime.
  const summary = await calibrate({ ...detOptions, data: samples('text', 'calibration'), out: split, batchSize: 2, maxActivationMemory: 24 * 1024 ** 2 });
  assert.ok(summary.passes > 1, `expected several passes, got ${summary.passes}`);
  assert.equal(summary.chunk, 1);
  assert.deepEqual(await read(split, 'calibration.cache'), await read(one, 'calibration.cache'));
});

test('--max-activation-memory chunks batches in one pass (exact histograms); trt mode keeps batches whole and splits tensors', async () => {
  // One det image at 160x160 has ~41 MiB of activations, held twice (ONNX Runtime's and the
  // JavaScript copies) beside ~4 MiB of ONNX Runtime's own: 200 MiB holds 2 of a batch of 3.
  const options = { ...detOptions, data: samples('text', 'calibration'), batchSize: 3 };
  const small = { ...options, maxActivationMemory: 200 * 1024 ** 2 };
  const chunked = await calibrate({ ...small, out: join(work, 'det-chunked') });
  assert.deepEqual([chunked.passes, chunked.chunk], [1, 2]);
  for (const file of ['calibration.cache', 'histograms.bin']) {
    assert.deepEqual(await read(join(work, 'det-chunked'), file), await read(join(work, 'det'), file), file);
  }
  const trt = await calibrate({ ...small, histogram: 'trt', out: join(work, 'det-trt-split') });
  assert.ok(trt.passes > 1, `expected several passes, got ${trt.passes}`);
  assert.equal(trt.chunk, 3);
  await calibrate({ ...options, histogram: 'trt', out: join(work, 'det-trt') });
  for (const file of ['calibration.cache', 'histograms.bin']) {
    assert.deepEqual(await read(join(work, 'det-trt-split'), file), await read(join(work, 'det-trt'), file), file);
  }
});

await writeFile(join(work, '.keep'), '');
