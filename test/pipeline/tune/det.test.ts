/**
 * PaddleOCR det, the model where the calibrator matters (entropy2 23.4 dB, percentile 28.0 dB,
 * TensorRT placement): `run` with auto keeps the best calibrator for the model, and
 * `--accuracy-target "psnr>=30"` tunes it to ≥ 30 dB on the evaluation photos with a few nodes
 * in float, named as model.fp32.onnx names them. Small subsets keep it to a few minutes.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type RunOptions } from '../../../src/pipeline/run.js';
import { loadModel } from '../../../src/onnx/model-file.js';
import { fromDecibels } from '../../../src/metrics/psnr.js';
import type { CalibrationResult } from '../../../src/run/schema.js';
import type { TuneResult } from '../../../src/pipeline/tune/index.js';
import { model, samples } from '../../support/paths.js';

const work = await mkdtemp(join(tmpdir(), 'int8cal-tune-det-'));
test.after(() => rm(work, { recursive: true, force: true }));
const json = async <T>(file: string): Promise<T> => JSON.parse(await readFile(file, 'utf8')) as T;

/** Best single calibrator measured on the 7 evaluation photos (percentile 99.99, TensorRT placement). */
const BEST_SINGLE_DB = 27.98;

test('PaddleOCR det: auto ≥ the best single calibrator; tune reaches psnr>=30 on the evaluation photos', async (t) => {
  const out = join(work, 'det');
  const { results } = await runPipeline({
    model: model('ch_PP-OCRv4_det_infer.onnx'), data: samples('text', 'calibration'), evalData: samples('text', 'evaluation'),
    out, size: '640x640', resize: 'stretch', batchSize: 1, precisions: ['int8'], targets: ['tensorrt'], variants: ['fp32', 'int8', 'int8-tuned'],
    iterations: 1, accuracyTarget: 'psnr>=30', tuneImages: 3, maxEvaluations: 16,
  } as RunOptions);
  const psnr = (name: string) => fromDecibels(results.variants.find((v) => v.name === name)!.outputs[0]!.psnr!.value);
  const calibration = await json<CalibrationResult>(join(out, 'calibration.json'));
  const confirmed = calibration.auto!.confirmed!;
  assert.equal(confirmed.scores.length, 7, 'the per-tensor choice and six single calibrators');
  assert.ok(psnr('int8') >= BEST_SINGLE_DB - 0.01, `auto (kept ${confirmed.kept}) ${psnr('int8')} dB vs ${BEST_SINGLE_DB}`);

  const tune = await json<TuneResult>(join(out, 'tune.json'));
  const p = tune.placements[0]!;
  const chosen = p.steps[p.chosen]!;
  assert.ok(p.reached && chosen.meetsTarget, 'target reached on the tune subset');
  assert.ok(psnr('int8-tuned') >= 30, `int8-tuned ${psnr('int8-tuned')} dB on all ${results.evaluation.images.length} photos`);
  assert.ok(chosen.floatNodes.length < p.quantizedNodes, `${chosen.floatNodes.length} of ${p.quantizedNodes} nodes float`);
  t.diagnostic(`steps: ${p.steps.map((s) => `${s.phase} ${s.floatNodes.length} → ${s.metrics.psnr}`).join('; ')}; ${p.evaluations} evaluations`);
  // The shortest prefix that holds: once bisection ran to the end, one node fewer fails.
  const bisected = p.steps.some((s) => s.floatNodes.length === chosen.floatNodes.length - 1);
  if (chosen.floatNodes.length > 0 && (bisected || p.evaluations < 16)) {
    assert.ok(p.steps.some((s) => s.floatNodes.length === chosen.floatNodes.length - 1 && !s.meetsTarget), 'one node fewer misses the target');
  }
  const names = new Set((await loadModel(join(out, 'model.fp32.onnx'))).graph!.node!.map((n) => n.name));
  for (const s of [...p.steps, ...p.sensitivity.map((x) => ({ floatNodes: [x.node] }))]) {
    for (const node of s.floatNodes) assert.ok(names.has(node), `${node} is a node of model.fp32.onnx`);
  }
  assert.ok(p.steps.every((s) => s.latencyRatio === null && s.latencyNote === 'n/a (TensorRT engine needed)'));
  assert.ok(p.evaluations < p.quantizedNodes, `${p.evaluations} evaluations vs ${p.quantizedNodes} for one node at a time`);
});
