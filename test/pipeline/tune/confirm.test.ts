/**
 * run's check of `--calibrator auto` on evaluation images (fr_detect, 3 people photos): what
 * calibration.json records must be what was measured — every candidate's worst-output PSNR per
 * choosing image (pooling them gives the candidate's score), the runner-up and on how many images
 * the kept one led it — and the check is deterministic (same inputs → same bytes).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoOptions } from '../../../src/cli/run.js';
import { calibrate } from '../../../src/pipeline/calibrate.js';
import { confirmAutoCalibration } from '../../../src/pipeline/tune/confirm-calibrator.js';
import { parseAccuracyTarget } from '../../../src/pipeline/tune/accuracy-target.js';
import { AccuracyProbe } from '../../../src/pipeline/tune/probe.js';
import { fromDecibels } from '../../../src/metrics/psnr.js';
import { pooledDb } from '../../../bench/choice-splits.js';

const work = await mkdtemp(join(tmpdir(), 'int8cal-confirm-'));
test.after(() => rm(work, { recursive: true, force: true }));
const demo = demoOptions();

async function check(run: string) {
  const probe = await AccuracyProbe.create({ run, data: demo.evalData!, images: 3, scoreThreshold: 0.7, nmsIou: 0.4 });
  try {
    return (await confirmAutoCalibration(run, probe, parseAccuracyTarget('psnr>=30')))!;
  } finally {
    await probe.dispose();
  }
}

test('fr_detect: the calibrator check records per-image PSNR, the runner-up and its image-by-image margin; same bytes twice', async () => {
  const run = join(work, 'auto');
  await calibrate({ model: demo.model!, data: demo.data!, out: run, resize: 'stretch', mean: 127, std: 128, scale: 1, maxImages: 8 });
  const again = join(work, 'auto-again');
  await cp(run, again, { recursive: true });
  const c = (await check(run)).auto!.confirmed!;
  assert.equal(c.images, 3);
  assert.equal(c.scores.length, 7, 'the per-tensor choice and six single calibrators');
  for (const s of c.scores) {
    const perImage = s.psnrPerImage!.map(fromDecibels);
    assert.equal(perImage.length, 3, s.calibrator);
    // Per-image PSNRs share the set-wide peak, so pooling their errors gives the candidate's score.
    assert.ok(Math.abs(pooledDb(perImage) - fromDecibels(s.value)) < 0.02, `${s.calibrator}: pooled ${pooledDb(perImage)} vs ${s.value}`);
  }
  const value = (name: string) => fromDecibels(c.scores.find((s) => s.calibrator === name)!.value);
  assert.ok(c.scores.every((s) => value(c.kept) >= fromDecibels(s.value)), 'kept the best');
  const r = c.runnerUp!;
  assert.notEqual(r.calibrator, c.kept);
  assert.ok(c.scores.every((s) => s.calibrator === c.kept || value(r.calibrator) >= fromDecibels(s.value)), 'runner-up is the second best');
  const per = (name: string) => c.scores.find((s) => s.calibrator === name)!.psnrPerImage!.map(fromDecibels);
  assert.equal(r.images, 3);
  assert.equal(r.psnrWins, per(c.kept).filter((db, i) => db > per(r.calibrator)[i]!).length);

  await check(again);
  assert.equal(await readFile(join(again, 'calibration.json'), 'utf8'), await readFile(join(run, 'calibration.json'), 'utf8'));
  assert.deepEqual(await readFile(join(again, 'calibration.cache')), await readFile(join(run, 'calibration.cache')));
});
