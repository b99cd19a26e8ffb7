/**
 * A variant whose output has NaN where fp32 has numbers must fail, whatever else it scores:
 * real tiny ONNX models run by ONNX Runtime on real photos, through evaluate, the reports and
 * the CLI summary. The int8 file of the run is replaced by a model equal to fp32 except for
 * NaN at dark pixels (sqrt of a negative number), so every metric computed over the finite
 * elements alone (cosine 1, max |Δ| 0, a small PD) would look perfect.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibrate } from '../../src/pipeline/calibrate.js';
import { evaluate } from '../../src/pipeline/evaluate/index.js';
import { summary } from '../../src/cli/evaluate.js';
import { runPath } from '../../src/run/layout.js';
import { finishStage } from '../../src/run/manifest.js';
import { renderHtml, renderMarkdown } from '../../reports/index.js';
import type { OutputMetrics, Results, VariantResult } from '../../reports/results-schema.js';
import { samples } from '../support/paths.js';
import { scalar, writeTinyModel } from '../support/tiny-models.js';

const work = await mkdtemp(join(tmpdir(), 'int8cal-evaluate-nan-'));
test.after(() => rm(work, { recursive: true, force: true }));

const SIZE = 32;
const data = samples('people', 'evaluation');
const variant = (r: Results, name: string): VariantResult => r.variants.find((v) => v.name === name)!;
const output = (r: Results, name: string): OutputMetrics => variant(r, name).outputs[0]!;

/** fp32: y = x·0.5 (an image-like output, so PD scores it). */
const halfSpec = {
  size: SIZE,
  initializers: [scalar('half', 0.5)],
  nodes: [{ opType: 'Mul', input: ['x', 'half'], output: ['y'], name: 'half' }],
  outputs: ['y'],
};

/** The broken variant: y = x·0.5 + 0·sqrt(x − 12), NaN where the raw pixel is below 12. */
const darkNanSpec = {
  size: SIZE,
  initializers: [scalar('half', 0.5), scalar('dark', 12), scalar('zero', 0)],
  nodes: [
    { opType: 'Mul', input: ['x', 'half'], output: ['scaled'], name: 'half' },
    { opType: 'Sub', input: ['x', 'dark'], output: ['shifted'], name: 'shift' },
    { opType: 'Sqrt', input: ['shifted'], output: ['root'], name: 'sqrt' },
    { opType: 'Mul', input: ['root', 'zero'], output: ['nanMask'], name: 'mask' },
    { opType: 'Add', input: ['scaled', 'nanMask'], output: ['y'], name: 'add' },
  ],
  outputs: ['y'],
};

let results: Results;

test.before(async () => {
  const model = join(work, 'half.onnx');
  await writeTinyModel(model, halfSpec);
  const run = join(work, 'run');
  await calibrate({ model, data: samples('scenes', 'calibration'), out: run, preset: 'raw', resize: 'stretch', maxImages: 2, batchSize: 1 });
  await writeTinyModel(runPath(run, 'model.int8.onnx'), darkNanSpec);
  // A healthy variant for contrast: fp32 itself as "fp16".
  await copyFile(runPath(run, 'fp32'), runPath(run, 'fp16'));
  // Vouched as a build of this run would vouch its models (run/manifest.ts).
  await finishStage(run, 'build', ['model.int8.onnx', 'fp16'], ['fp32', 'calibration']);
  results = await evaluate({ run, data, variants: ['fp32', 'fp16', 'int8'], maxImages: 6, batchSize: 1, iterations: 1 });
});

test('the broken variant has NaN outputs: PSNR −∞, counted, and the verdict fails saying why', () => {
  const o = output(results, 'int8');
  assert.ok(o.psnr!.nonFinite > 0, 'NaN elements counted');
  assert.ok(o.psnr!.nonFinite < (6 * 3 * SIZE * SIZE) / 2, `only the dark pixels are NaN (${o.psnr!.nonFinite})`);
  assert.equal(o.psnr!.value, '-inf');
  assert.ok(o.psnr!.perImage.includes('-inf') && o.psnr!.perImage.includes('inf'), `photos with and without dark pixels: ${o.psnr!.perImage}`);
  assert.equal(o.similarity!.nonFinite, o.psnr!.nonFinite);
  const v = variant(results, 'int8');
  assert.equal(v.verdict.verdict, 'fail');
  const nan = v.verdict.checks.find((c) => c.metric === 'non-finite');
  assert.ok(nan, `a non-finite check: ${JSON.stringify(v.verdict.checks)}`);
  assert.equal(nan.verdict, 'fail');
  assert.equal(nan.value, o.psnr!.nonFinite);
  assert.equal(nan.output, 'y');
  assert.equal(v.worstImages[0]!.psnr, '-inf');
  // The healthy variant is identical to fp32.
  assert.equal(output(results, 'fp16').psnr!.value, 'inf');
  assert.notEqual(variant(results, 'fp16').verdict.verdict, 'fail');
});

test('cosine, max |Δ| and PD do not skip the NaN elements silently', () => {
  const o = output(results, 'int8');
  // Over the finite pairs the variant equals fp32 — counted, and not believed:
  assert.equal(o.similarity!.nonFinite, o.psnr!.nonFinite);
  assert.equal(o.similarity!.maxAbs, 0);
  assert.ok(o.pd, 'PD scored (the default feature network is installed)');
  assert.ok(o.pd.brokenImages > 0, 'images with NaN outputs are broken for PD, not embedded as black pixels');
  assert.ok(o.pd.perImage.includes(null) && o.pd.perImage.includes(0), 'broken images, and 0 for the photo without NaN');
  assert.equal(o.pd.verdict, 'fail', 'the fr-expression threshold applies and fails');
  const pd = variant(results, 'int8').verdict.checks.find((c) => c.metric === 'pd')!;
  assert.equal(pd.verdict, 'fail');
  assert.match(pd.note ?? '', /^\d+ NaN\/Inf$/);
});

test('gates on any output metric fail on NaN outputs: cosine, max |Δ|, PD, PSNR', async () => {
  const run = join(work, 'run');
  const gated = await evaluate({ run, data, variants: ['fp32', 'int8'], maxImages: 6, batchSize: 1, iterations: 1, failOn: 'psnr<20,cosine<0.99,maxabs>1,meanabs>1,pd>100' });
  const checks = variant(gated, 'int8').verdict.checks.filter((c) => c.source.startsWith('--fail-on'));
  assert.deepEqual(checks.map((c) => c.metric).sort(), ['cosine', 'maxabs', 'meanabs', 'pd', 'psnr']);
  for (const c of checks) assert.equal(c.verdict, 'fail', `${c.metric}: ${JSON.stringify(c)}`);
});

test('reports and the CLI summary show the failure and the NaN outputs, with no gate given', () => {
  const md = renderMarkdown(results);
  const html = renderHtml(results);
  for (const text of [md, html]) {
    assert.match(text, /int8: (\*\*)?FAIL/);
    assert.match(text, /−∞ \(\d+ NaN\/Inf\)/);
    assert.match(text, /y has \d+ NaN\/Inf values where the reference has other values/);
    assert.match(text, /NaN\/Inf left out/);
    assert.doesNotMatch(text, /NaN dB|Infinity|\bnull\b/);
  }
  const cli = summary(results);
  const line = cli.split('\n').find((l) => l.startsWith('int8 '))!;
  assert.match(line, /^int8\s+fail\s+PSNR −∞ \(\d+ NaN\/Inf\)/);
  assert.match(line, /failed: .*non-finite\(y\)/);
  assert.match(cli, /^fp16\s+pass\s+PSNR ∞/m);
  assert.doesNotMatch(cli, /Infinity/);
});
