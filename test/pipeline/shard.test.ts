import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../src/pipeline/build.js';
import { calibrate } from '../../src/pipeline/calibrate.js';
import { evaluate } from '../../src/pipeline/evaluate/index.js';
import { report } from '../../src/pipeline/report.js';
import { mergeHistograms } from '../../src/pipeline/merge-histograms.js';
import { recalibrate } from '../../src/pipeline/recalibrate.js';
import { Int8calError } from '../../src/core/errors.js';
import { shardImages } from '../../src/pipeline/shard.js';
import { model, samples } from '../support/paths.js';

const work = await mkdtemp(join(tmpdir(), 'int8cal-shard-'));
test.after(() => rm(work, { recursive: true, force: true }));

// 7 images in batches of 2 (2, 2, 2, 1): shards of whole batches are unequal for n = 2 and 3.
const options = { model: model('ch_PP-OCRv4_det_infer.onnx'), size: '160x160', resize: 'stretch', maxImages: 7, batchSize: 2, data: samples('text', 'calibration') };
const read = (run: string, file: string) => readFile(join(run, file));
const rejectsWith = (code: string) => (error: unknown) => {
  assert.ok(error instanceof Int8calError, String(error));
  assert.equal(error.code, code, error.message);
  return true;
};

test('shards split whole batches of the sorted images: disjoint, complete, unequal', () => {
  const files = Array.from({ length: 7 }, (_, i) => `${i}.jpg`);
  assert.deepEqual([1, 2, 3].map((index) => shardImages(files, 2, { index, count: 3 }).length), [2, 2, 3]);
  assert.deepEqual([1, 2].flatMap((index) => shardImages(files, 2, { index, count: 2 })), files);
  assert.throws(() => shardImages(files, 2, { index: 1, count: 5 }), rejectsWith('TOO_MANY_SHARDS'));
});

test('n shards merged equal the unsharded run byte for byte (n = 1, 2, 3)', async () => {
  const whole = join(work, 'whole');
  await calibrate({ ...options, out: whole });
  for (const count of [1, 2, 3]) {
    const shards: string[] = [];
    for (let index = 1; index <= count; index++) {
      const out = join(work, `n${count}-shard${index}`);
      const summary = await calibrate({ ...options, out, shard: { index, count } });
      assert.deepEqual(summary.shard, { index, count, totalImages: 7 });
      assert.deepEqual((await readdir(out)).sort(), ['histograms.bin', 'manifest.json', 'model.fp32.onnx', 'run.json'], 'a shard writes no scales');
      shards.push(out);
    }
    const merged = join(work, `n${count}-merged`);
    const summary = await mergeHistograms({ runs: [...shards].reverse(), out: merged });
    assert.equal(summary.images, 7);
    for (const file of ['calibration.cache', 'histograms.bin', 'calibration.json', 'model.fp32.onnx']) {
      assert.deepEqual(await read(merged, file), await read(whole, file), `n = ${count}: ${file}`);
    }
    const [a, b] = await Promise.all([merged, whole].map(async (d) => JSON.parse((await read(d, 'run.json')).toString())));
    assert.deepEqual(a, b, `n = ${count}: run.json`);
  }
});

test('a shard run is refused by every later stage; incomplete or mixed shards are refused by the merge', async () => {
  const shard = join(work, 'n2-shard1');
  await assert.rejects(build({ run: shard }), rejectsWith('RUN_IS_SHARD'));
  await assert.rejects(recalibrate({ from: shard, out: join(work, 'from-shard') }), rejectsWith('RUN_IS_SHARD'));
  await assert.rejects(evaluate({ run: shard, data: samples('text', 'evaluation') }), rejectsWith('RUN_IS_SHARD'));
  await assert.rejects(report({ run: shard }), rejectsWith('RUN_IS_SHARD'));
  await assert.rejects(mergeHistograms({ runs: [shard], out: join(work, 'm1') }), rejectsWith('SHARD_INCOMPLETE'));
  await assert.rejects(mergeHistograms({ runs: [shard, shard], out: join(work, 'm2') }), rejectsWith('SHARD_INCOMPLETE'));
  await assert.rejects(mergeHistograms({ runs: [shard, join(work, 'n3-shard2')], out: join(work, 'm3') }), rejectsWith('SHARD_MISMATCH'));
  await assert.rejects(mergeHistograms({ runs: [join(work, 'whole')], out: join(work, 'm4') }), rejectsWith('RUN_NOT_SHARD'));
});

test('--shard is refused with --histogram trt (order-dependent) and with --cache', async () => {
  await assert.rejects(calibrate({ ...options, out: join(work, 'trt'), histogram: 'trt', shard: { index: 1, count: 2 } }), rejectsWith('SHARD_NEEDS_EXACT'));
  await assert.rejects(calibrate({ ...options, out: join(work, 'cache'), cache: join(work, 'whole', 'calibration.cache'), shard: { index: 1, count: 2 } }), rejectsWith('SHARD_WITH_CACHE'));
});
