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
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { repoRoot } from '../../support/paths.js';
import { demoOptions } from '../../../src/cli/run.js';
import { calibrate } from '../../../src/pipeline/calibrate.js';
import { confirmAutoCalibration, tiedWithBest } from '../../../src/pipeline/tune/confirm-calibrator.js';
import { checkCrossFittable } from '../../../src/pipeline/tune/cross-fit.js';
import { runPipeline } from '../../../src/pipeline/run.js';
import type { CalibrateOptions } from '../../../src/pipeline/calibrate.js';
import { parseAccuracyTarget } from '../../../src/pipeline/tune/accuracy-target.js';
import { AccuracyProbe } from '../../../src/pipeline/tune/probe.js';
import { fromDecibels, pooledPsnr as pooledDb } from '../../../src/metrics/psnr.js';

const work = await mkdtemp(join(tmpdir(), 'int8cal-confirm-'));
test.after(() => rm(work, { recursive: true, force: true }));
const demo = demoOptions();

const calibrateOptions = (out: string): CalibrateOptions => ({ model: demo.model!, data: demo.data!, out, resize: 'stretch', mean: 127, std: 128, scale: 1, maxImages: 8 });

async function check(run: string, crossFitOn?: CalibrateOptions) {
  const probe = await AccuracyProbe.create({ run, data: demo.evalData!, images: 3, scoreThreshold: 0.7, nmsIou: 0.4 });
  try {
    return (await confirmAutoCalibration(run, probe, parseAccuracyTarget('psnr>=30'), undefined, crossFitOn))!;
  } finally {
    await probe.dispose();
  }
}

test('fr_detect: the calibrator check records per-image PSNR, the runner-up and its image-by-image margin; same bytes twice', async () => {
  const run = join(work, 'auto');
  await calibrate(calibrateOptions(run));
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

test('--calibrator-check cross-fit: the calibration images, half by half, decide among the candidates the 3 choosing photos cannot tell apart', async (t) => {
  const run = join(work, 'cross-fit');
  await calibrate(calibrateOptions(run));
  const again = join(work, 'cross-fit-again');
  await cp(run, again, { recursive: true });
  const c = (await check(run, calibrateOptions(run))).auto!.confirmed!;
  const fit = c.crossFit!;
  assert.equal(fit.folds, 2);
  assert.equal(fit.samples.length, 8, 'every calibration image, in one fold or the other');
  assert.ok(fit.samples.every((f) => f.startsWith(demo.data!)) && !fit.samples.some((f) => c.samples!.includes(f)), 'calibration images, not the choosing photos');
  const per = (name: string) => c.scores.find((s) => s.calibrator === name)!.psnrPerImage!.map(fromDecibels);
  const entries = c.scores.map((s) => ({ name: s.calibrator, metrics: { psnr: fromDecibels(s.value) }, psnrPerImage: per(s.calibrator) }));
  const best = entries.reduce((b, e) => (e.metrics.psnr > b.metrics.psnr ? e : b));
  assert.deepEqual(fit.tied, tiedWithBest(entries, best, parseAccuracyTarget('psnr>=30')).map((e) => e.name), 'the tie set is the paired test on the recorded per-image PSNRs');
  assert.ok(fit.tied.includes(best.name) && fit.tied.includes(c.kept));
  // Kept: the tied candidate with the best PSNR over the 8 calibration images and the 3 photos.
  const both = (name: string) => {
    const cf = fromDecibels(fit.psnr.find((p) => p.calibrator === name)!.value);
    return -10 * Math.log10((8 * 10 ** (-cf / 10) + per(name).reduce((a, db) => a + 10 ** (-db / 10), 0)) / 11);
  };
  t.diagnostic(`tied ${fit.tied.join(', ')}; kept ${c.kept}`);
  assert.ok(fit.tied.every((n) => both(c.kept) >= both(n) - 0.02), `kept ${c.kept}: ${fit.tied.map((n) => `${n} ${both(n).toFixed(2)}`).join(', ')}`);
  await check(again, calibrateOptions(again));
  assert.equal(await readFile(join(again, 'calibration.json'), 'utf8'), await readFile(join(run, 'calibration.json'), 'utf8'));
  assert.deepEqual(await readFile(join(again, 'calibration.cache')), await readFile(join(run, 'calibration.cache')));
});

test('--calibrator-check cross-fit refuses, before calibrating, what cannot be split into folds', async () => {
  assert.throws(() => checkCrossFittable({ ...calibrateOptions(join(work, 'x')), histogram: 'trt' }), /--calibrator-check cross-fit does not apply with --histogram trt/);
  assert.throws(() => checkCrossFittable({ ...calibrateOptions(join(work, 'x')), calibrator: 'entropy2' }), /does not apply with --calibrator entropy2/);
  await assert.rejects(runPipeline({ ...calibrateOptions(join(work, 'refused')), evalData: demo.evalData!, calibratorCheck: 'cross-fit', histogram: 'trt' }), /BAD_CALIBRATOR_CHECK|does not apply/);
  await assert.rejects(readFile(join(work, 'refused', 'run.json')), 'nothing calibrated');
});

test('int8cal run --calibrator-check cross-fit: the CLI takes the flag and says what the check kept, among which, on how many images', async () => {
  const out = join(work, 'cli-run');
  const { stdout } = await promisify(execFile)('node', [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), 'run', '--model', demo.model!, '--data', demo.data!, '--eval-data', demo.evalData!,
    '--out', out, '--max-images', '8', '--resize', 'stretch', '--mean', '127', '--std', '128', '--scale', '1', '--score-threshold', '0.7', '--nms-iou', '0.4',
    '--precisions', 'int8', '--variants', 'fp32,int8', '--iterations', '1', '--calibrator-check', 'cross-fit', '--quiet']);
  const c = JSON.parse(await readFile(join(out, 'calibration.json'), 'utf8')).auto.confirmed;
  assert.equal(c.crossFit.samples.length, 8);
  assert.match(stdout, new RegExp(`calibrator check \\(3 images, cross-fit among ${c.crossFit.tied.join(', ').replace(/[()]/g, '\\$&')}\\): kept ${c.kept.replace(/[()]/g, '\\$&')}`));
});
