/**
 * PaddleOCR det, the model where the calibrator matters (entropy2 23.4 dB, percentile 28.0 dB on
 * the 7 evaluation photos, TensorRT placement). `run` chooses on the first 3 evaluation photos
 * (auto's calibrator check, tune) and judges on the other 4, held out: there auto must reach the
 * best single calibrator, and `--accuracy-target "psnr>=30"` must reach 30 dB with a 1-minimal
 * float set (pruning tried every node back), named as model.fp32.onnx names them.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { defaultOf } from '../../../src/options.js';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { runPipeline, type RunOptions } from '../../../src/pipeline/run.js';
import { encodeModel, loadModel } from '../../../src/onnx/model-file.js';
import { buildInt8, placementOf } from '../../../src/onnx/qdq/index.js';
import { calibrationFromHistograms } from '../../../src/pipeline/calibration-output.js';
import { readHistogramFile } from '../../../src/run/histogram-file.js';
import { AccuracyProbe } from '../../../src/pipeline/tune/probe.js';
import { AUTO_CANDIDATES, candidateRule } from '../../../calibrators/auto.js';
import { fromDecibels } from '../../../src/metrics/psnr.js';
import type { CalibrationResult } from '../../../src/run/schema.js';
import type { TuneResult } from '../../../src/pipeline/tune/index.js';
import { model, samples } from '../../support/paths.js';

const work = await mkdtemp(join(tmpdir(), 'int8cal-tune-det-'));
test.after(() => rm(work, { recursive: true, force: true }));
const json = async <T>(file: string): Promise<T> => JSON.parse(await readFile(file, 'utf8')) as T;
// Greedy growth stalls on det and the fallback reaches the target; the default budget leaves room to prune.
const MAX_EVALUATIONS = defaultOf('maxEvaluations');

/** Worst-output PSNR of each single calibrator (TensorRT placement) on the held-out images. */
async function singlesOnHeldOut(run: string, heldOut: string[]): Promise<Map<string, number>> {
  const folder = join(work, 'held-out');
  await mkdir(folder, { recursive: true });
  for (const f of heldOut) await symlink(f, join(folder, basename(f)));
  const fp32 = await loadModel(join(run, 'model.fp32.onnx'));
  const set = await readHistogramFile(join(run, 'histograms.bin'));
  const probe = await AccuracyProbe.create({ run, data: folder, images: heldOut.length });
  const scores = new Map<string, number>();
  try {
    for (const name of AUTO_CANDIDATES) {
      const single = await calibrationFromHistograms(set.tensors, candidateRule(name), set.mode, (await json<CalibrationResult>(join(run, 'calibration.json'))).cacheHeader);
      const engine = await probe.open(encodeModel(buildInt8(fp32, new Map(Object.entries(single.tensors).map(([n, t]) => [n, t.amax])), { placement: 'tensorrt' }).model), placementOf('tensorrt').qdqOnOrt);
      scores.set(name, (await probe.score(engine)).psnr!);
      await engine.dispose();
    }
  } finally {
    await probe.dispose();
  }
  return scores;
}

let detReached: boolean | undefined;

test('PaddleOCR det: chosen on 3 photos, judged on 4 held out: auto ≥ the best single calibrator; the tune search and its record', async (t) => {
  const out = join(work, 'det');
  const { results } = await runPipeline({
    model: model('ch_PP-OCRv4_det_infer.onnx'), data: samples('text', 'calibration'), evalData: samples('text', 'evaluation'),
    out, size: '640x640', resize: 'stretch', batchSize: 1, precisions: ['int8'], targets: ['tensorrt'], variants: ['fp32', 'int8', 'int8-tuned'],
    iterations: 1, accuracyTarget: 'psnr>=30', tuneImages: 3,
  } as RunOptions);
  const psnr = (name: string) => fromDecibels(results.variants.find((v) => v.name === name)!.outputs[0]!.psnr!.value);
  const calibration = await json<CalibrationResult>(join(out, 'calibration.json'));
  const confirmed = calibration.auto!.confirmed!;
  const tune = await json<TuneResult>(join(out, 'tune.json'));
  const choice = results.evaluation.choice!;
  assert.deepEqual(choice.by, ['calibrator check', 'tune']);
  assert.equal(choice.heldOut.length, 3, 'the 3 chosen-on photos are held out');
  assert.deepEqual(tune.chosenOn.samples, confirmed.samples);
  assert.equal(results.evaluation.images.length, 4);
  assert.ok(results.evaluation.images.every((f) => !confirmed.samples!.some((s) => s.endsWith(`/${f}`))), 'judged images are not chosen-on images');

  assert.equal(confirmed.scores.length, 7, 'the per-tensor choice and six single calibrators');
  const singles = await singlesOnHeldOut(out, results.evaluation.images.map((f) => join(results.evaluation.data, f)));
  const bestSingle = Math.max(...singles.values());
  t.diagnostic(`held out: auto (kept ${confirmed.kept}) ${psnr('int8').toFixed(2)} dB; singles ${[...singles].map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
  assert.ok(psnr('int8') >= bestSingle - 0.01, `auto ${psnr('int8')} dB vs best single ${bestSingle} dB on the held-out photos`);

  const p = tune.placements[0]!;
  const chosen = p.steps[p.chosen]!;
  t.diagnostic(`steps: ${p.steps.map((s) => `${s.phase}${s.taken ? '*' : ''} ${s.floatNodes.length} → ${Number(s.metrics.psnr).toFixed(2)}`).join('; ')}; ${p.evaluations} evaluations + ${p.estimateRuns} estimate runs`);
  detReached = p.reached;
  if (p.steps.some((s) => s.phase === 'bulk')) assert.ok(p.sensitivity.every((s) => s.int8Alone !== undefined), 'the fallback ranked every node by int8 alone');
  // Not reached, tune also evaluates fp16 once to say whether that meets the target.
  assert.ok(p.evaluations <= MAX_EVALUATIONS + (p.reached ? 0 : 1) && p.evaluations < p.quantizedNodes, `${p.evaluations} evaluations vs ${p.quantizedNodes} for one node at a time`);
  if (!p.reached) {
    // Not reached: tune says so, marks its best point and says that fp16 meets the target.
    assert.ok(p.fp16?.meetsTarget, 'fp16 meets the target');
    assert.ok(p.steps.every((s) => Number(s.metrics.psnr) <= Number(chosen.metrics.psnr)), 'the chosen point is the best one found');
  } else {
    assert.ok(chosen.meetsTarget, 'the chosen point meets the target on the tune images');
    assert.ok(psnr('int8-tuned') >= 30, `int8-tuned ${psnr('int8-tuned')} dB on the ${results.evaluation.images.length} held-out photos`);
    assert.ok(chosen.floatNodes.length <= 12, `${chosen.floatNodes.length} of ${p.quantizedNodes} nodes float`);
  }
  if (p.reached && p.evaluations < MAX_EVALUATIONS) {
    // 1-minimal: every float node was tried back in int8 and the target then failed.
    for (const node of chosen.floatNodes) {
      const without = p.steps.find((s) => s.floatNodes.length === chosen.floatNodes.length - 1 && !s.floatNodes.includes(node) && chosen.floatNodes.every((n) => n === node || s.floatNodes.includes(n)));
      assert.ok(without && !without.meetsTarget, `without ${node} the target fails`);
    }
  }
  const value = (i: number) => Number(p.steps[i]!.metrics.psnr);
  assert.equal(p.monotone, p.steps.every((s) => s.phase !== 'grow' || value(p.steps.indexOf(s)) >= value(s.base!)), 'monotone is what the grow moves did');
  assert.equal(p.worseningMoves, p.steps.filter((s) => s.phase === 'candidate' && value(p.steps.indexOf(s)) < value(s.base!)).length);
  const names = new Set((await loadModel(join(out, 'model.fp32.onnx'))).graph!.node!.map((n) => n.name));
  for (const s of [...p.steps, ...p.sensitivity.map((x) => ({ floatNodes: [x.node] }))]) {
    for (const node of s.floatNodes) assert.ok(names.has(node), `${node} is a node of model.fp32.onnx`);
  }
  assert.ok(p.steps.every((s) => s.latencyRatio === null && s.latencyNote === 'n/a (TensorRT engine needed)'));
});

// #12's must-hold. On these 3 tune photos more float nodes mostly lower the PSNR (all-int8 25.6
// dB; the top 1 / 2 / 4 / 16 / 48 of 74 nodes by outputGain float: 28.5 / 23.5 / 20.9 / 21.1 /
// 18.8 dB), so greedy growth stalls near 29 dB. The pooled PSNR is the motion-blurred licence
// plate's, and there each of the first Convs alone in int8 costs 3–9 dB: the fallback floats the
// nodes most harmful alone in int8 (9 of them measured 31.7 dB) and prunes.
test('PaddleOCR det: tune reaches psnr>=30 on its 3 tune photos', () => {
  assert.equal(detReached, true);
});
