/**
 * `--calibrator auto` on the sample face detector: it must remove entropy2's 100 % clipping of
 * tensor 474 (an Exp output far from zero) without losing worst-output PSNR, deterministically;
 * and tune must stop with exit 2, a clear message and its best point when a target is out of reach.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { demoOptions } from '../../../src/cli/run.js';
import { calibrate } from '../../../src/pipeline/calibrate.js';
import { recalibrate } from '../../../src/pipeline/recalibrate.js';
import { build } from '../../../src/pipeline/build.js';
import { evaluate } from '../../../src/pipeline/evaluate/index.js';
import { fromDecibels } from '../../../src/metrics/psnr.js';
import type { CalibrationResult } from '../../../src/run/schema.js';
import type { TuneResult } from '../../../src/pipeline/tune/index.js';
import { repoRoot } from '../../support/paths.js';

const exec = promisify(execFile);
const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const work = await mkdtemp(join(tmpdir(), 'int8cal-auto-'));
test.after(() => rm(work, { recursive: true, force: true }));
const demo = demoOptions();
const calibrateOptions = { model: demo.model!, data: demo.data!, resize: 'stretch' as const, mean: 127, std: 128, scale: 1 };
const json = async <T>(file: string): Promise<T> => JSON.parse(await readFile(file, 'utf8')) as T;

async function worstPsnr(run: string): Promise<number> {
  await build({ run, precisions: ['int8'], targets: ['tensorrt'] });
  const results = await evaluate({ run, data: demo.evalData!, variants: ['fp32', 'int8'], iterations: 1, scoreThreshold: 0.7, nmsIou: 0.4 });
  return Math.min(...results.variants[1]!.outputs.map((o) => fromDecibels(o.psnr!.value)));
}

test('fr_detect: auto (the default) stops clipping tensor 474, keeps worst-output PSNR ≥ entropy2 − 0.2 dB, same cache twice', async () => {
  const auto = join(work, 'auto');
  const again = join(work, 'auto-again');
  const summary = await calibrate({ ...calibrateOptions, out: auto });
  await calibrate({ ...calibrateOptions, out: again, batchSize: 3 });
  assert.deepEqual(await readFile(join(auto, 'calibration.cache')), await readFile(join(again, 'calibration.cache')), 'byte-identical cache');
  assert.equal(summary.calibration.calibrator, 'auto');
  const t474 = summary.calibration.tensors['474']!;
  assert.ok(t474.fractionClipped < 0.01 && !t474.flags.includes('heavy-clipping'), `474 clips ${t474.fractionClipped}`);
  assert.equal(t474.auto!.candidates.length, 6);
  assert.ok(Object.values(summary.calibration.auto!.chosen).reduce((a, b) => a + b, 0) === Object.keys(summary.calibration.tensors).length);

  const entropy = join(work, 'entropy2');
  const e = await recalibrate({ from: auto, out: entropy, calibrator: 'entropy2' });
  assert.ok(e.tensors['474']!.fractionClipped > 0.99, 'entropy2 still clips 474 (the case auto fixes)');
  const [autoDb, entropyDb] = [await worstPsnr(auto), await worstPsnr(entropy)];
  assert.ok(autoDb >= entropyDb - 0.2, `auto ${autoDb} dB vs entropy2 ${entropyDb} dB`);
});

test('tune: an unreachable target ends with a clear message, the best point found and exit 2', async () => {
  const run = join(work, 'auto');
  await build({ run, precisions: ['int8'], targets: ['ort-cpu'] });
  const failed = await exec('node', [cli, 'tune', '--run', run, '--data', demo.evalData!, '--accuracy-target', 'psnr>=200', '--target', 'ort-cpu',
    '--max-evaluations', '4', '--tune-images', '2', '--tune-iterations', '2', '--score-threshold', '0.7', '--nms-iou', '0.4', '--quiet'])
    .then(() => assert.fail('tune should exit 2'), (error: { code: number; stdout: string }) => error);
  assert.equal(failed.code, 2);
  assert.match(failed.stdout, /int8-ort-tuned: target NOT reached within \d+ evaluations; best point: \d+ of \d+ nodes in float, psnr [\d.]+ dB/);
  assert.match(failed.stdout, /fp16 does not meet it either/);
  const tune = await json<TuneResult>(join(run, 'tune.json'));
  const p = tune.placements[0]!;
  assert.equal(p.reached, false);
  assert.ok(p.steps.every((s, i) => (s.taken || i === p.chosen ? typeof s.latencyRatio === 'number' && s.latencyRatio > 0 : s.latencyRatio === null)), 'ort-cpu: the path and the chosen step are timed');
  assert.ok(p.evaluations <= 5, `${p.evaluations} evaluations: 4 of the search + fp16`);
  assert.ok(p.estimateRuns > 0 && p.sensitivity.every((s) => s.outputGain !== undefined), 'output-referred ranking ran');
  const calibration = await json<CalibrationResult>(join(run, 'calibration.json'));
  assert.ok(calibration.tensors, 'run still intact');
  await readFile(join(run, 'model.int8-ort-tuned.onnx'));
});
