/**
 * TensorRT engines are run files like the others (README "The run directory"): build's manifest
 * entry vouches for engine.*.plan, calibration.tensorrt.cache and the timing cache in RUN, and
 * evaluate refuses a plan no completed build wrote. No GPU here, so no build writes a real plan:
 * the plans are bytes the test writes, vouched (or not) exactly as `build --engine tensorrt`
 * does (tensorRtRunFiles + finishStage); on a GPU bench/tensorrt-gpu.sh checks the real ones.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { keptEngines, tensorRtRunFiles, type TensorRtBuildJson, type TrtEngineBuild } from '../../src/pipeline/build-tensorrt.js';
import { RUN_FILES, runPath, type RunFile } from '../../src/run/layout.js';
import { finishStage, readManifest, runFileOf, sha256File } from '../../src/run/manifest.js';
import { assertNoCrash, cli, tempFolder } from '../support/faults-cli.js';
import { reluSpec, writeModel } from '../support/faults-models.js';
import { assertRerun, completeRun, evaluationData } from '../support/faults-run.js';

/** The TensorRT placement's Q/DQ model, which engine.int8-qdq.plan is built from. */
const INT8 = 'model.int8.onnx';
const { dir: work, cleanup } = await tempFolder('trt-manifest');
test.after(cleanup);
const complete = join(work, 'complete');
await completeRun(await writeModel(join(work, 'relu.onnx'), reluSpec()), complete);
let copies = 0;
async function copyOfComplete(): Promise<string> {
  const dir = join(work, `copy-${++copies}`);
  await cp(complete, dir, { recursive: true });
  return dir;
}
const evaluateTrt = (run: string) => cli(['evaluate', '--run', run, '--data', evaluationData, '--max-images', '2', '--iterations', '1', '--batch-size', '2', '--variants', 'fp32,trt-fp32']);

/** What `build --engine tensorrt` vouches for, with plan bytes written by the test. */
async function vouchAsTensorRtBuild(run: string, section: TensorRtBuildJson): Promise<void> {
  const entry = (await readManifest(run)).stages.build!;
  const outputs = Object.keys(entry.outputs).map((name): RunFile => runFileOf(name)!);
  await finishStage(run, 'build', [...new Set([...outputs, ...tensorRtRunFiles(run, section)])], ['fp32', 'calibration', 'run', 'cache']);
}

async function engineRecord(run: string, mode: 'fp32' | 'int8-qdq', from: string): Promise<TrtEngineBuild> {
  const file = mode === 'fp32' ? RUN_FILES.engineFp32 : RUN_FILES.engineInt8Qdq;
  await writeFile(join(run, file), `not a real plan: ${mode}`);
  return { file, mode, from, fromSha256: (await sha256File(join(run, from)))!, flags: [], buildMs: 1, bytes: 1 };
}

function section(run: string, engines: TensorRtBuildJson['engines'], timingCache = runPath(run, 'trtTimingCache')): TensorRtBuildJson {
  return { version: '10.6.0', libVersion: 100600, cudaRuntime: '12.6', gpu: { name: 'test', computeCapability: '9.0', memoryBytes: 1, cudaDriver: '13.0', count: 1 }, optimizationLevel: 1, timingCache, engines };
}

test('a plan no completed build wrote (copied in by hand) is refused by evaluate: RUN_STALE, rerun build', async () => {
  const run = await copyOfComplete();
  await writeFile(runPath(run, 'engineFp32'), 'copied in by hand');
  const results = await sha256File(runPath(run, 'results'));
  const result = await evaluateTrt(run);
  assertNoCrash(result);
  assertRerun(result, 'build', [`${RUN_FILES.engineFp32} is not from a completed \`int8cal build\``]);
  assert.equal(await sha256File(runPath(run, 'results')), results, 'the earlier results.json is untouched');
});

test('a vouched plan passes the trust check (evaluate gets to TensorRT); one changed byte makes it stale', async () => {
  const run = await copyOfComplete();
  const trt = section(run, { fp32: await engineRecord(run, 'fp32', RUN_FILES.fp32) });
  await writeFile(runPath(run, 'trtTimingCache'), 'timing');
  await vouchAsTensorRtBuild(run, trt);
  const vouched = (await readManifest(run)).stages.build!.outputs;
  assert.ok(vouched[RUN_FILES.engineFp32] && vouched[RUN_FILES.trtTimingCache], JSON.stringify(vouched));
  const trusted = await evaluateTrt(run);
  assertNoCrash(trusted);
  // Past the manifest: what stops it now is TensorRT itself (no GPU, or no TensorRT here).
  assert.match(trusted.stderr, /TensorRT needs an NVIDIA GPU|TensorRT libraries|without its TensorRT part/, trusted.stderr);
  assert.doesNotMatch(trusted.stderr, /not from a completed|was changed after/);
  await writeFile(runPath(run, 'engineFp32'), 'not a real plan: fp32, edited');
  const edited = await evaluateTrt(run);
  assertRerun(edited, 'build', [`${RUN_FILES.engineFp32} was changed after \`int8cal build\` wrote it`]);
});

test('an ONNX-only rebuild removes the plans and vouches for none; a trusted timing cache in RUN stays vouched', async () => {
  const run = await copyOfComplete();
  await writeFile(runPath(run, 'trtTimingCache'), 'timing');
  await vouchAsTensorRtBuild(run, section(run, { fp32: await engineRecord(run, 'fp32', RUN_FILES.fp32) }));
  const rebuilt = await cli(['build', '--run', run]);
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  assert.ok(!existsSync(runPath(run, 'engineFp32')), 'the plan is gone');
  const outputs = (await readManifest(run)).stages.build!.outputs;
  assert.equal(outputs[RUN_FILES.engineFp32], undefined);
  assert.equal(outputs[RUN_FILES.trtTimingCache], await sha256File(runPath(run, 'trtTimingCache')));
  assert.equal((JSON.parse(await readFile(runPath(run, 'build'), 'utf8')) as { tensorrt?: unknown }).tensorrt, undefined);
});

test('a TensorRT build keeps an earlier engine only while its model has the same bytes', async () => {
  const run = await copyOfComplete();
  const previous = section(run, { fp32: await engineRecord(run, 'fp32', RUN_FILES.fp32), 'int8-qdq': await engineRecord(run, 'int8-qdq', INT8) });
  await writeFile(runPath(run, INT8), Buffer.concat([await readFile(runPath(run, INT8)), Buffer.from([0])]));
  const warnings: string[] = [];
  const kept = await keptEngines(run, previous, [], (w) => warnings.push(w));
  assert.deepEqual(Object.keys(kept), ['fp32']);
  assert.ok(!existsSync(runPath(run, 'engineInt8Qdq')), 'the stale int8-qdq plan is removed');
  assert.deepEqual(warnings, [`${RUN_FILES.engineInt8Qdq} was built from an older ${INT8}: removed (rebuild it with --trt-engines int8-qdq)`]);
  assert.deepEqual(Object.keys(await keptEngines(run, previous, ['fp32'])), [], 'a rebuilt engine is not an earlier one');
});

test('the timing cache is a run file only when it lives in RUN', async () => {
  const run = join(work, 'layout-only');
  const engines: TensorRtBuildJson['engines'] = { fp32: { file: RUN_FILES.engineFp32, mode: 'fp32', from: RUN_FILES.fp32, fromSha256: '0'.repeat(64), flags: [], buildMs: 1, bytes: 1 } };
  assert.deepEqual(tensorRtRunFiles(run, section(run, engines)), ['engineFp32', 'trtTimingCache']);
  assert.deepEqual(tensorRtRunFiles(run, section(run, engines, join(work, 'shared.timing-cache'))), ['engineFp32']);
  const calibrated = { int8: { ...engines.fp32!, file: RUN_FILES.engineInt8, mode: 'int8' as const, calibration: { scales: 'tensorrt' as const, algorithm: 'EntropyCalibration2', getBatchCalls: 3, batches: 2, cacheFile: RUN_FILES.trtCache } } };
  assert.deepEqual(tensorRtRunFiles(run, section(run, calibrated, '/tmp/elsewhere')), ['engineInt8', 'trtCache']);
});

test('evaluate --engine tensorrt takes the engines the run has; with none it says to build them', async () => {
  const run = await copyOfComplete();
  const args = ['evaluate', '--run', run, '--data', evaluationData, '--max-images', '2', '--iterations', '1', '--batch-size', '2', '--engine', 'tensorrt'];
  const none = await cli(args);
  assertNoCrash(none);
  assert.equal(none.code, 1, none.stderr);
  assert.ok(none.stderr.includes(`${run} has no TensorRT engine (engine.*.plan)`) && none.stderr.includes('int8cal build --engine tensorrt'), none.stderr);
  await vouchAsTensorRtBuild(run, section(run, { fp32: await engineRecord(run, 'fp32', RUN_FILES.fp32) }, join(work, 'shared.timing-cache')));
  // Only engine.fp32.plan is built: the other GPU variants are skipped, and TensorRT itself is what stops it here.
  const one = await cli(args);
  assertNoCrash(one);
  assert.doesNotMatch(one.stderr, /engine\.fp16\.plan is missing|has no TensorRT engine/);
  assert.match(one.stderr, /TensorRT needs an NVIDIA GPU|TensorRT libraries|without its TensorRT part/, one.stderr);
});
