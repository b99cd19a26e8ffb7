/**
 * The whole pipeline on the real sample models and photos, each calibrated on its own domain
 * and evaluated on photos not used for calibration — and the accuracy floors of the
 * build issue, read from results.json.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { demoOptions } from '../../src/cli/run.js';
import { runPipeline, type RunOptions } from '../../src/pipeline/run.js';
import { fromDecibels } from '../../src/metrics/psnr.js';
import type { Results, VariantResult } from '../../reports/results-schema.js';
import { model, repoRoot, samples } from '../support/paths.js';
import { chromium, consoleProblems, findChromium } from '../support/chromium.js';

const exec = promisify(execFile);
const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const work = await mkdtemp(join(tmpdir(), 'int8cal-run-'));
test.after(() => rm(work, { recursive: true, force: true }));

const variant = (r: Results, name: string): VariantResult => r.variants.find((v) => v.name === name)!;
const psnrOf = (v: VariantResult, output: string) => fromDecibels(v.outputs.find((o) => o.name === output)!.psnr!.value);
const pipeline = (o: Partial<RunOptions>) => runPipeline({ iterations: 3, ...o } as RunOptions);

test('the sample job (fr_detect): all variants, results.json + report.html + report.md; int8 detections match fp32 (F1 ≥ 0.9)', async () => {
  const out = join(work, 'demo');
  const { results, report } = await pipeline({ ...demoOptions(), out });
  assert.deepEqual(results.variants.map((v) => v.name), ['fp32', 'fp16', 'int8', 'int8-ort']);
  const files = await readdir(out);
  for (const f of ['results.json', 'report.html', 'report.md', 'model.int8.onnx', 'model.int8-ort.onnx', 'model.fp16.onnx', 'calibration.cache']) assert.ok(files.includes(f), f);
  assert.ok(!files.some((f) => f.endsWith('.tmp')), 'no temp files left');
  for (const name of ['int8', 'int8-ort', 'fp16']) {
    const f1 = variant(results, name).detection!.f1!.value;
    assert.ok(f1 !== null && f1 >= 0.9, `${name} detection F1 vs fp32 ${f1}`);
  }
  const ap = variant(results, 'fp32').detection!.ap!;
  // The photos run chose the calibrator on are not judged: dlib's faces of the others.
  assert.ok(ap.groundTruth >= 15 && ap.value! > 0.5, `fp32 AP against dlib's boxes: ${ap.value} over ${ap.groundTruth} faces`);
  assert.equal(variant(results, 'fp16').latency.emulated, true);
  assert.equal(variant(results, 'int8').latency.emulated, true, 'the TensorRT placement runs as fake quantization on ONNX Runtime');
  assert.equal(variant(results, 'int8-ort').latency.emulated, undefined, 'int8-ort runs ONNX Runtime\'s int8 kernels');
  assert.match(await readFile(report.markdown, 'utf8'), /int8-ort/);

  const binary = await findChromium();
  const dump = await chromium(binary, join(work, 'profile'), ['--dump-dom', pathToFileURL(report.html).href]);
  assert.ok((dump.stdout.match(/<svg /g) ?? []).length >= 2, 'charts rendered as SVG');
  assert.deepEqual(consoleProblems(dump.stderr), []);
});

test('PaddleOCR det: probability map PSNR ≥ 25 dB for int8 (both placements) and ≥ 45 dB for fp16 on the text photos', async () => {
  // Percentile, not entropy2: entropy clips the learnable-affine outputs feeding each Conv at
  // ~1/10 of their max (0.5–0.9 % of values), and the map loses text on blurred photos
  // (TensorRT placement 23.4 dB with entropy2, 28.0 dB with percentile; ort-cpu 25.0 / 25.8 dB).
  const { results } = await pipeline({
    model: model('ch_PP-OCRv4_det_infer.onnx'), data: samples('text', 'calibration'), evalData: samples('text', 'evaluation'),
    out: join(work, 'det'), size: '640x640', resize: 'stretch', batchSize: 1, calibrator: 'percentile',
  });
  assert.equal(results.evaluation.task, 'map');
  const psnr = (name: string) => psnrOf(variant(results, name), 'sigmoid_0.tmp_0');
  assert.ok(psnr('fp16') >= 45, `fp16: ${psnr('fp16')} dB`);
  for (const name of ['int8', 'int8-ort']) assert.ok(psnr(name) >= 25, `${name}: ${psnr(name)} dB`);
  assert.ok(variant(results, 'int8').outputs[0]!.pd, 'PD scored on the image-like output');
});

test('fr_expression: int8 top-1 agrees with fp32 on ≥ 90 % of the 47 LFW crops not chosen on', async () => {
  const { results } = await pipeline({
    model: model('fr_expression.onnx'), data: samples('faces', 'calibration'), evalData: samples('lfw', 'evaluation'),
    out: join(work, 'expr'), preset: 'unit', resize: 'stretch', variants: ['fp32', 'int8', 'int8-ort'], precisions: ['int8'],
  });
  // The auto calibrator check chose on the first 8 crops: they are held out of the judgement.
  assert.equal(results.evaluation.choice!.heldOut.length, 8);
  assert.equal(results.evaluation.images.length, 55 - 8);
  for (const name of ['int8', 'int8-ort']) {
    const top1 = variant(results, name).outputs[0]!.classification!;
    assert.ok(top1.value >= 0.9, `${name} top-1 agreement ${top1.agreed}/${top1.total}`);
  }
});

test('--fail-on exits 2 exactly when a gate fails; --baseline shows the change since an older run of the same evaluation, and refuses another', async () => {
  const run = join(work, 'demo');
  const evalData = demoOptions().evalData!;
  // The baseline: this run's results before a re-evaluation (a baseline needs only results.json).
  const before = join(work, 'demo-before');
  await mkdir(before, { recursive: true });
  await copyFile(join(run, 'results.json'), join(before, 'results.json'));
  const evaluate = (gates: string) => exec('node', [cli, 'evaluate', '--run', run, '--data', evalData, '--iterations', '2', '--fail-on', gates, '--quiet']);
  await evaluate('psnr<5,f1<0.5');
  await assert.rejects(evaluate('psnr<1000'), (e: { code: number; stdout: string }) => e.code === 2 && /failed: psnr/.test(e.stdout));
  await exec('node', [cli, 'report', '--run', run, '--baseline', before]);
  const md = await readFile(join(run, 'report.md'), 'utf8');
  assert.match(md, /Compared with baseline run .*demo/);
  assert.doesNotMatch(md, /another model|--baseline-force/);
  // PaddleOCR det: other images, preprocessing and outputs — refused, naming what differs; forced: labelled.
  const other = join(work, 'det');
  await assert.rejects(exec('node', [cli, 'report', '--run', run, '--baseline', other]), (e: { code: number; stderr: string }) =>
    e.code === 1 && /Cannot compare with baseline .*det.*results\.json: evaluation images: .*; preprocessing: .*; outputs: .* vs sigmoid_0\.tmp_0/.test(e.stderr) && /--baseline-force/.test(e.stderr));
  await exec('node', [cli, 'report', '--run', run, '--baseline', other, '--baseline-force']);
  const forced = await readFile(join(run, 'report.md'), 'utf8');
  assert.match(forced, /another model/);
  assert.match(forced, /Compared anyway \(--baseline-force\)/);
});
