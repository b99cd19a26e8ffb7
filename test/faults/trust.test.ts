/**
 * Fault matrix, silent wrong results (issue 11): metrics with nothing to measure, a broken fp32
 * reference, re-runs that fail half-way, gates on missing data, baselines that don't compare,
 * run files edited by hand. Through the CLI: exact message and exit code, and the run
 * directory checked file by file afterwards.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkCalibration, checkRunManifest } from '../../src/run/check.js';
import { FAIL_WRITE_ENV } from '../../src/core/atomic.js';
import { RUN_FILES } from '../../src/run/layout.js';
import { defaultOf } from '../../src/options.js';
import { assertCleanRunDir, assertNoCrash, assertUserError, cli, tempFolder } from '../support/faults-cli.js';
import { blindDetectorSpec, nanSpec, reluSpec, writeModel } from '../support/faults-models.js';
import { assertRerun, calibrationData, completeRun, evaluationData, snapshot, stageArgs, vouchedStages } from '../support/faults-run.js';
import { repoRoot } from '../support/paths.js';

const { dir: work, cleanup } = await tempFolder('trust');
test.after(cleanup);

const relu = await writeModel(join(work, 'relu.onnx'), reluSpec());
const [calibrateArgs, buildArgs, evaluateArgs, reportArgs] = stageArgs(relu, '<run>').map((args) => (out: string) => args.map((a) => (a === '<run>' ? out : a)));
/** One complete run, copied for tests that damage it. */
const complete = join(work, 'complete');
await completeRun(relu, complete);
let copies = 0;
/** A copy of the complete run (the manifest vouches for bytes, not paths: the copy is complete too). */
async function copyOfComplete(): Promise<string> {
  const dir = join(work, `copy-${++copies}`);
  await cp(complete, dir, { recursive: true });
  assert.deepEqual(await vouchedStages(dir), ['calibrate', 'build', 'evaluate', 'report']);
  return dir;
}

test('F1 with nothing detected is undefined, shown as such, and --fail-on "f1<0.99" fails (exit 2); --score-threshold above 1 is refused', async () => {
  const blind = await writeModel(join(work, 'blind.onnx'), blindDetectorSpec());
  const run = join(work, 'blind');
  assert.equal((await cli(calibrateArgs(run).map((a) => (a === relu ? blind : a)))).code, 0);
  assert.equal((await cli(['build', '--run', run, '--precisions', 'fp16'])).code, 0);
  const gated = await cli([...evaluateArgs(run), '--variants', 'fp32,fp16', '--fail-on', 'f1<0.99']);
  assertNoCrash(gated);
  assert.equal(gated.code, 2, gated.stderr);
  assert.ok(gated.stdout.includes('gate failed: fp16: f1 undefined: the reference detected nothing in 2 image(s) [--fail-on f1<0.99]'), gated.stdout);
  const results = JSON.parse(await readFile(join(run, RUN_FILES.results), 'utf8'));
  const fp16 = results.variants.find((v: { name: string }) => v.name === 'fp16');
  assert.equal(fp16.detection.f1.value, null);
  assert.deepEqual(fp16.verdict.checks.map((c: { metric: string; value: unknown; verdict: string }) => [c.metric, c.value, c.verdict]), [['f1', null, 'fail']]);
  assert.equal((await cli(reportArgs(run))).code, 0);
  assert.match(await readFile(join(run, RUN_FILES.reportMd), 'utf8'), /undefined \(the reference detected nothing in 2 image\(s\)\)/);
  const before = await snapshot(run);
  const above = await cli([...evaluateArgs(run), '--score-threshold', '1.5']);
  assert.equal(above.code, 1);
  assert.ok(above.stderr.includes('Expected a number in [0, 1] for --score-threshold but received "1.5" of type string'), above.stderr);
  assert.deepEqual(await snapshot(run), before, 'nothing touched');
});

test('NaN/Inf in the fp32 reference is an error on the reference (which output, how many values, which images), not a verdict on the variants', async () => {
  const nan = await writeModel(join(work, 'nan.onnx'), nanSpec());
  const run = join(work, 'nan');
  assert.equal((await cli([...calibrateArgs(run).map((a) => (a === relu ? nan : a)), '--preset', 'raw'])).code, 0);
  assert.equal((await cli(['build', '--run', run, '--precisions', 'fp16'])).code, 0);
  const before = await snapshot(run);
  const result = await cli(evaluateArgs(run));
  assertUserError(result, [
    /The fp32 reference .*model\.fp32\.onnx is not finite: output log has \d+ NaN\/Inf value\(s\) in 2 image\(s\): dlib-mmod_cars_test_image\.jpg, \S+; no variant can be scored against it/,
    'hint: fix the fp32 model or its preprocessing',
  ]);
  assert.deepEqual(await snapshot(run), before, 'no results.json, nothing else touched');
});

test('a re-run of calibrate that fails half-way (a write fails): the directory says calibrate must be rerun, and every later stage refuses', async () => {
  const run = await copyOfComplete();
  const old = await snapshot(run);
  const failed = await cli([...calibrateArgs(run), '--max-images', '3', '--batch-size', '3'], { env: { ...process.env, [FAIL_WRITE_ENV]: RUN_FILES.calibration } });
  assertUserError(failed, [`Could not write ${join(run, RUN_FILES.calibration)}: ENOSPC`]);
  // File by file: the new model and histograms, the old run.json, calibration.json and cache, no later stage's files, nothing vouched.
  assert.deepEqual(await assertCleanRunDir(run), ['calibration.cache', 'calibration.json', 'histograms.bin', 'manifest.json', 'model.fp32.onnx', 'run.json']);
  const now = await snapshot(run);
  assert.notEqual(now['histograms.bin'], old['histograms.bin'], 'histograms.bin is the new run\'s');
  for (const name of ['run.json', 'calibration.json', 'calibration.cache']) assert.equal(now[name], old[name], `${name} is the old run's`);
  assert.deepEqual(await vouchedStages(run), []);
  assertRerun(await cli(buildArgs(run)), 'calibrate', [`${join(run, RUN_FILES.fp32)}: model.fp32.onnx is not from a completed \`int8cal calibrate\``]);
  assertRerun(await cli(evaluateArgs(run)), 'calibrate', ['run.json is not from a completed `int8cal calibrate`']);
  assertRerun(await cli(['calibrate', '--from-histograms', run, '--out', join(work, 'from-mixed')]), 'calibrate');
  assert.deepEqual(await snapshot(run), now, 'refusals touch nothing');
  assert.equal((await cli(calibrateArgs(run))).code, 0);
  assert.deepEqual(await vouchedStages(run), ['calibrate']);
});

test('a re-run of build that fails half-way (a write fails): results and report are gone, the build files are no longer vouched, and evaluate and report refuse naming build', async () => {
  const run = await copyOfComplete();
  const old = await snapshot(run);
  const failed = await cli(buildArgs(run), { env: { ...process.env, [FAIL_WRITE_ENV]: 'model.int8-ort.onnx' } });
  assertUserError(failed, [`Could not write ${join(run, 'model.int8-ort.onnx')}: ENOSPC`]);
  // File by file: results.json and the report are gone; the build files are the old build's (or rebuilt byte-identical:
  // build is deterministic) but no longer vouched for, calibrate's untouched.
  assert.deepEqual(await assertCleanRunDir(run), ['build.json', 'calibration.cache', 'calibration.json', 'histograms.bin', 'manifest.json', 'model.fp16.onnx',
    'model.fp32.onnx', 'model.int8-ort.onnx', 'model.int8.onnx', 'run.json']);
  const now = await snapshot(run);
  for (const [name, sha] of Object.entries(now)) if (name !== 'manifest.json') assert.equal(sha, old[name], `${name} is as it was`);
  assert.deepEqual(await vouchedStages(run), ['calibrate']);
  assertRerun(await cli([...evaluateArgs(run), '--fail-on', 'psnr<1']), 'build', [/model\.(fp16|int8|int8-ort)\.onnx is (not from a completed `int8cal build`|missing)/]);
  assertRerun(await cli(reportArgs(run)), 'build', [`${join(run, RUN_FILES.results)}: results.json is missing, and \`int8cal build\` did not complete (it failed or was interrupted)`]);
  assert.deepEqual(await snapshot(run), now, 'refusals touch nothing');
});

test('every calibrate option is checked before any work: a bad --cache-header, --percentile without percentile, --cache with --data leave the run as it was', async () => {
  const before = await snapshot(complete);
  assertUserError(await cli([...calibrateArgs(complete), '--cache-header', 'bad-header!']), ['Cache algorithm "bad-header!" must be letters, digits or _', 'hint: use e.g. --cache-header EntropyCalibration2']);
  assertUserError(await cli([...calibrateArgs(complete), '--percentile', '50']), [`--percentile 50 applies only to --calibrator percentile (the calibrator is ${defaultOf('calibrator')})`]);
  assertUserError(await cli([...calibrateArgs(complete), '--cache', join(complete, RUN_FILES.cache)]), ['--cache and --data both given: the scales would come from the cache and the images be ignored']);
  assert.deepEqual(await snapshot(complete), before);
});

test('gates fail when they cannot be evaluated: variants not built, a metric no variant has (exit 2)', async () => {
  const run = join(work, 'unbuilt');
  assert.equal((await cli(calibrateArgs(run))).code, 0);
  const unbuilt = await cli([...evaluateArgs(run), '--fail-on', 'psnr<30']);
  assert.equal(unbuilt.code, 2, unbuilt.stderr);
  for (const [variant, file] of [['fp16', 'model.fp16.onnx'], ['int8', 'model.int8.onnx'], ['int8-ort', 'model.int8-ort.onnx']]) {
    assert.ok(unbuilt.stdout.includes(`gate failed: ${variant}: --fail-on psnr<30 could not be evaluated: ${file} is not built`), unbuilt.stdout);
  }
  // The results record the failed gate (vouched: they are this run's); nothing of a build exists.
  assert.deepEqual(await assertCleanRunDir(run), ['calibration.cache', 'calibration.json', 'histograms.bin', 'manifest.json', 'model.fp32.onnx', 'results.json', 'run.json']);
  assert.deepEqual(await vouchedStages(run), ['calibrate', 'evaluate']);
  assert.equal((await cli(['build', '--run', run, '--precisions', 'fp16'])).code, 0);
  const nothing = await cli([...evaluateArgs(run), '--variants', 'fp32,fp16', '--fail-on', 'top1<0.9']);
  assert.equal(nothing.code, 2, nothing.stderr);
  assert.ok(nothing.stdout.includes('gate failed: fp16: top1 cannot be evaluated: variant fp16 has no top1 [--fail-on top1<0.9]'), nothing.stdout);
  assert.equal((await cli([...evaluateArgs(run), '--variants', 'fp32,fp16', '--fail-on', 'psnr<30'])).code, 0, 'a gate that can be evaluated and holds passes');
});

test('run files edited by hand are stale: the reader refuses naming the stage; their contents are checked like flags', async () => {
  const run = await copyOfComplete();
  const runJson = JSON.parse(await readFile(join(run, RUN_FILES.run), 'utf8'));
  runJson.preprocessing.mean = [0.5, 0.5];
  await writeFile(join(run, RUN_FILES.run), JSON.stringify(runJson));
  const before = await snapshot(run);
  assertRerun(await cli(evaluateArgs(run)), 'calibrate', [`${join(run, RUN_FILES.run)}: run.json was changed after \`int8cal calibrate\` wrote it`]);
  assert.throws(() => checkRunManifest(runJson, 'run.json'), /run\.json: preprocessing\.mean must hold 3 numbers \(one per channel\), found \[0\.5,0\.5\]/);
  const calibration = JSON.parse(await readFile(join(run, RUN_FILES.calibration), 'utf8'));
  const [tensor] = Object.keys(calibration.tensors);
  calibration.tensors[tensor!].scale = 1e30;
  await writeFile(join(run, RUN_FILES.calibration), JSON.stringify(calibration));
  assertRerun(await cli(buildArgs(run)), 'calibrate', ['was changed after `int8cal calibrate` wrote it']);
  assert.throws(() => checkCalibration(calibration, 'calibration.json'), new RegExp(`calibration\\.json: tensor ${tensor} has scale 1e\\+30, but its amax`));
  const results = join(run, RUN_FILES.results);
  await writeFile(results, (await readFile(results, 'utf8')).replace('"p50"', '"p50": "fast", "was"'));
  assertRerun(await cli(reportArgs(run)), 'calibrate');
  assert.deepEqual(Object.keys(await snapshot(run)), Object.keys(before));
});

test('a re-run of evaluate removes the old report; report takes the run\'s lock', async () => {
  const run = await copyOfComplete();
  assert.equal((await cli(evaluateArgs(run))).code, 0);
  assert.deepEqual(await assertCleanRunDir(run), ['build.json', 'calibration.cache', 'calibration.json', 'histograms.bin', 'manifest.json', 'model.fp16.onnx',
    'model.fp32.onnx', 'model.int8-ort.onnx', 'model.int8.onnx', 'results.json', 'run.json']);
  assert.deepEqual(await vouchedStages(run), ['calibrate', 'build', 'evaluate']);
  await writeFile(join(run, RUN_FILES.lock), `${process.pid}\n`);
  assertUserError(await cli(reportArgs(run)), [`Run directory ${run} is in use by int8cal process ${process.pid}`]);
  await rm(join(run, RUN_FILES.lock));
  assert.equal((await cli(reportArgs(run))).code, 0);
});

test('report --baseline: other evaluation images, preprocessing or outputs are refused naming them; --baseline-force compares, labelled; a v1 results.json reads; wrong types are refused', async () => {
  const other = join(work, 'other-images');
  assert.equal((await cli(calibrateArgs(other))).code, 0);
  assert.equal((await cli([...evaluateArgs(other).map((a) => (a === evaluationData ? calibrationData : a))])).code, 0);
  const before = await snapshot(complete);
  assertUserError(await cli([...reportArgs(complete), '--baseline', other]), [
    `Cannot compare with baseline ${join(other, RUN_FILES.results)}: evaluation images: 2 here, 2 in the baseline; first difference at #1: dlib-mmod_cars_test_image.jpg vs dlib-mmod_cars_test_image2.jpg`,
    'or pass --baseline-force to compare anyway (labelled)',
  ]);
  assert.deepEqual(await snapshot(complete), before, 'refused: the old report stays vouched');
  const unit = join(work, 'other-preprocessing');
  assert.equal((await cli([...calibrateArgs(unit), '--preset', 'unit'])).code, 0);
  assert.equal((await cli(evaluateArgs(unit))).code, 0);
  assertUserError(await cli([...reportArgs(complete), '--baseline', unit]), [
    `Cannot compare with baseline ${join(unit, RUN_FILES.results)}: preprocessing: imagenet: NCHW 3x16x16 rgb`, ' vs unit: NCHW 3x16x16 rgb',
  ]);
  assert.deepEqual(await snapshot(complete), before);
  // Another model (labelled, not refused) whose output has another name: refused for the outputs.
  const renamed = await writeModel(join(work, 'renamed.onnx'), { ...reluSpec(), nodes: reluSpec().nodes.map((n) => ({ ...n, output: n.output!.map((o) => (o === 'y' ? 'out' : o)) })), outputs: ['out'] });
  const otherOutputs = join(work, 'other-outputs');
  assert.equal((await cli(calibrateArgs(otherOutputs).map((a) => (a === relu ? renamed : a)))).code, 0);
  assert.equal((await cli(evaluateArgs(otherOutputs))).code, 0);
  assertUserError(await cli([...reportArgs(complete), '--baseline', otherOutputs]), [`Cannot compare with baseline ${join(otherOutputs, RUN_FILES.results)}: outputs: y vs out in the baseline`]);
  assert.deepEqual(await snapshot(complete), before);
  assert.equal((await cli([...reportArgs(complete), '--baseline', other, '--baseline-force'])).code, 0);
  assert.match(await readFile(join(complete, RUN_FILES.reportMd), 'utf8'), /Compared anyway \(--baseline-force\) although evaluation images/);
  // A results.json of version 1, written by int8cal before this change, on the same images.
  const v1 = join(repoRoot, 'test', 'fixtures', 'results-v1');
  const v1Result = await cli([...reportArgs(complete), '--baseline', v1]);
  assert.equal(v1Result.code, 0, v1Result.stderr);
  const md = await readFile(join(complete, RUN_FILES.reportMd), 'utf8');
  assert.match(md, /Compared with baseline run \/runs\/v1/);
  assert.match(md, /The baseline evaluated another model \(\/models\/relu\.onnx/);
  assert.match(md, /The baseline's results\.json is version 1: its images are compared by name only/);
  const broken = join(work, 'broken-baseline');
  await mkdir(broken);
  const value = JSON.parse(await readFile(join(v1, RUN_FILES.results), 'utf8'));
  value.variants[1].latency.p50 = 'fast';
  await writeFile(join(broken, RUN_FILES.results), JSON.stringify(value));
  assertUserError(await cli([...reportArgs(complete), '--baseline', broken]), [
    `${join(broken, RUN_FILES.results)} is not valid int8cal results: results.variants[1].latency.p50 is "fast", expected a finite number`,
  ]);
});
