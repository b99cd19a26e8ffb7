/**
 * Fault matrix, memory: a --size at which one image cannot fit --max-activation-memory or the
 * machine's memory is refused from the model's shapes before any inference, naming the size, the
 * estimate and a size that fits; a --size the model cannot take names the node; a --size whose
 * crop would blow an image up blames the size, not the images. Nothing in the run changes.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { assertCleanRunDir, assertUserError, cli, tempFolder } from '../support/faults-cli.js';
import { model, samples } from '../support/paths.js';

const { dir: work, cleanup } = await tempFolder('memory');
test.after(cleanup);

const det = model('ch_PP-OCRv4_det_infer.onnx');
const data = samples('text', 'calibration');
const calibrate = (out: string, ...flags: string[]) => cli(['calibrate', '--model', det, '--data', data, '--max-images', '2', '--batch-size', '1', '--out', out, ...flags], { timeoutMs: 120_000 });

async function fileHashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = createHash('sha256').update(await readFile(join(dir, name))).digest('hex');
  return out;
}

test('--size 12000x12000: refused before inference with the estimate and a size that fits; a complete run is left as it was', async () => {
  const fresh = join(work, 'fresh');
  const started = Date.now();
  const result = await calibrate(fresh, '--size', '12000x12000');
  assertUserError(result, [
    /At --size 12000x12000, one image through .*ch_PP-OCRv4_det_infer\.onnx needs about \d+\.\d GiB of activations at once \(estimated from the model's shapes; the largest tensor, \S+, is \d+\.\d GiB\), over --max-activation-memory 2\.0 GiB/,
    /hint: use a smaller --size \(about \d+x\d+ fits\), or raise --max-activation-memory/,
  ]);
  assert.doesNotMatch(result.stderr, /Cannot decode|RangeError|ONNX Runtime/);
  assert.ok(Date.now() - started < 60_000, 'refused up front, not after a run');
  assert.deepEqual(await assertCleanRunDir(fresh), []);

  const existing = join(work, 'existing');
  const ok = await calibrate(existing, '--size', '320x320');
  assert.equal(ok.code, 0, ok.stderr);
  const before = await fileHashes(existing);
  assertUserError(await calibrate(existing, '--size', '12000x12000'), ['over --max-activation-memory']);
  assert.deepEqual(await fileHashes(existing), before, 'the complete run is untouched (manifest included)');
});

test('a --size beyond the machine\'s available memory: refused naming what is available', async () => {
  const out = join(work, 'machine');
  const result = await calibrate(out, '--size', '40000x40000', '--max-activation-memory', `${Math.ceil(totalmem() / 1024 ** 3) * 100}GiB`);
  assertUserError(result, [/needs about \d+\.\d GiB of activations at once .*more than the \d+\.\d GiB this machine has available/, /hint: use a smaller --size \(about \d+x\d+ fits\), or free memory/]);
  assert.deepEqual(await assertCleanRunDir(out), []);
});

test('--size the model cannot take: names the size and the node, not the images', async () => {
  const out = join(work, 'shape');
  const result = await calibrate(out, '--size', '1000x1', '--resize', 'stretch');
  assertUserError(result, [/--size 1000x1 does not fit .*ch_PP-OCRv4_det_infer\.onnx: Add node p2o\.Add\.\d+: shapes \[1, 96, 1, 63\] and \[1, 96, 2, 64\] do not broadcast/, 'node: p2o.Add.', 'hint: choose a --size the model is made for']);
  assert.doesNotMatch(result.stderr, /Cannot decode|skip-bad-images/);
  assert.deepEqual(await assertCleanRunDir(out), []);
});

test('--size 100000x1 with the crop resize: blames the size once, even with --skip-bad-images', async () => {
  for (const flags of [[], ['--skip-bad-images']]) {
    const out = join(work, `cover${flags.length}`);
    const result = await calibrate(out, '--size', '100000x1', ...flags);
    assertUserError(result, [/--size 100000x1 with --resize crop: covering it would resize \S+ \(\d+x\d+\) to \d+x\d+ = \d+\.\d megapixels before the crop, over the limit of 67\.1 megapixels/, 'hint: give a --size closer to the images\' aspect ratio, or --resize stretch or letterbox']);
    assert.doesNotMatch(result.stderr, /Cannot decode|skipped|None of the/);
    assert.deepEqual(await assertCleanRunDir(out), []);
  }
});
