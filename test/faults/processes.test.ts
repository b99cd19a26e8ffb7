/**
 * Fault matrix, crashes, hangs and runaway processes (issue 11): integer outputs, unknown
 * output names, files that are not regular files as --model, too many threads, `kill -9` of
 * the CLI (its worker must die with it), and truncated JPEGs named the same way every time.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { decodeImage, resolvePreprocessing } from '../../datasets/images/index.js';
import { RUN_FILES } from '../../src/run/layout.js';
import { assertCleanRunDir, assertNoCrash, assertUserError, cli, startCli, tempFolder } from '../support/faults-cli.js';
import { integerOutputSpec, reluSpec, writeModel } from '../support/faults-models.js';
import { calibrationData, evaluationData, stageArgs } from '../support/faults-run.js';
import { model, samples } from '../support/paths.js';
import { truncatedJpeg } from '../datasets/images/fixtures.js';

const exec = promisify(execFile);
const { dir: work, cleanup } = await tempFolder('processes');
test.after(cleanup);

const relu = await writeModel(join(work, 'relu.onnx'), reluSpec());
const calibrateArgs = (modelFile: string, out: string) => stageArgs(modelFile, out)[0]!;

test('integer outputs (int64 ArgMax) never crash evaluate', async () => {
  const ints = await writeModel(join(work, 'ints.onnx'), integerOutputSpec());
  const run = join(work, 'ints');
  assert.equal((await cli(calibrateArgs(ints, run))).code, 0);
  assert.equal((await cli(['build', '--run', run, '--precisions', 'fp16'])).code, 0);
  const result = await cli(['evaluate', '--run', run, '--data', evaluationData, '--max-images', '2', '--iterations', '1', '--batch-size', '2', '--variants', 'fp32,fp16']);
  assertNoCrash(result);
  assert.equal(result.code, 0, result.stderr);
  const results = JSON.parse(await readFile(join(run, RUN_FILES.results), 'utf8'));
  assert.deepEqual(results.evaluation.outputs, ['y', 'label']);
});

test('--boxes naming no output: a user error listing the outputs, before any work', async () => {
  const run = join(work, 'boxes');
  assert.equal((await cli(calibrateArgs(relu, run))).code, 0);
  const files = await assertCleanRunDir(run);
  assertUserError(await cli(['evaluate', '--run', run, '--data', evaluationData, '--max-images', '2', '--boxes', 'nosuch']), ['--boxes nosuch: the model has no output "nosuch"', 'hint: outputs: y']);
  assert.deepEqual(await assertCleanRunDir(run), files);
});

test('/dev/zero, a FIFO and a folder as --model are refused at once (no unbounded read, no hang)', async () => {
  const fifo = join(work, 'model.fifo');
  await exec('mkfifo', [fifo]);
  for (const [file, kind] of [['/dev/zero', 'a device'], [fifo, 'a named pipe (FIFO)'], [work, 'a directory']] as const) {
    const out = join(work, `not-a-file-${kind.length}`);
    const result = await cli(calibrateArgs(file, out), { timeoutMs: 20_000 });
    assertUserError(result, [`Model ${file} is ${kind}, not a regular file`, 'hint: check the path to the .onnx file']);
    assert.ok(result.ms < 15_000, `answered in ${result.ms} ms`);
    assert.deepEqual(await assertCleanRunDir(out), []);
  }
});

test('--threads above the core count: a warning, capped, exit 0', async () => {
  const cores = availableParallelism();
  const result = await cli([...calibrateArgs(relu, join(work, 'threads')), '--threads', '1000']);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stderr.includes(`int8cal: warning: --threads 1000 is more than the ${cores} core(s) of this machine; using ${cores}`), result.stderr);
});

/** Whether `pid` is still a running process (a zombie waiting to be reaped counts as gone). */
async function running(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
}

test('kill -9 of the int8cal process: its worker dies too (checked by pid), and a rerun takes over the stale lock', async () => {
  const run = join(work, 'killed');
  const args = ['calibrate', '--model', model('ch_PP-OCRv4_det_infer.onnx'), '--data', samples('text', 'calibration'), '--out', run, '--size', '640x640', '--resize', 'stretch'];
  const started = startCli(args, { timeoutMs: 120_000 });
  const lock = join(run, RUN_FILES.lock);
  for (let waited = 0; !(await access(lock).then(() => true, () => false)); waited += 50) {
    assert.ok(waited < 60_000, 'the lock appeared');
    await sleep(50);
  }
  let worker = NaN;
  while (Number.isNaN(worker)) worker = Number.parseInt(await readFile(lock, 'utf8'), 10); // written just after it is created
  assert.ok(worker > 0 && worker !== started.child.pid, `the lock names the worker ${worker}, not the CLI ${started.child.pid}`);
  await sleep(500);
  started.child.kill('SIGKILL');
  await started.done;
  for (let waited = 0; await running(worker); waited += 100) {
    assert.ok(waited < 3000, `worker ${worker} still running ${waited} ms after kill -9 of its parent`);
    await sleep(100);
  }
  const rerun = await cli([...calibrateArgs(relu, run)]);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.deepEqual(await assertCleanRunDir(run), ['calibration.cache', 'calibration.json', 'histograms.bin', 'manifest.json', 'model.fp32.onnx', 'run.json']);
});

test('a truncated JPEG gets the same message every time, whatever libvips path fails (24 concurrent decodes)', async () => {
  const bad = await truncatedJpeg(join(work, 'truncated.jpg'));
  const spec = resolvePreprocessing({ name: 'x', dims: [1, 3, 64, 64], elementType: 'float32' });
  const good = join(calibrationData, 'opencv-aero1.jpg');
  const outcomes = await Promise.allSettled(Array.from({ length: 24 }, (_, i) => decodeImage(i % 3 === 2 ? good : bad, spec)));
  const messages = new Set(outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.message as string));
  assert.deepEqual([...messages], [`Cannot decode image ${bad}: premature end of JPEG data: the file is truncated (no end-of-image marker)`]);
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 8);
});

test('lesser: duplicate calibration images warned; a file name with terminal escape codes printed escaped; --json errors on stdout; --exclude matching nothing warned', async () => {
  const photos = join(work, 'dupes');
  await mkdir(photos);
  await copyFile(join(calibrationData, 'opencv-aero1.jpg'), join(photos, 'a.jpg'));
  await copyFile(join(calibrationData, 'opencv-aero1.jpg'), join(photos, 'b.jpg'));
  await writeFile(join(photos, 'evil\u001b[31mred.jpg'), 'not an image');
  const run = join(work, 'lesser');
  const calibrated = await cli(['calibrate', '--model', relu, '--data', photos, '--out', run, '--batch-size', '2', '--skip-bad-images']);
  assert.equal(calibrated.code, 0, calibrated.stderr);
  assert.ok(calibrated.stderr.includes('int8cal: warning: 1 of the 3 calibration images are byte-identical copies of others (b.jpg = a.jpg): they add no information'), calibrated.stderr);
  assert.ok(!calibrated.stderr.includes('\u001b') && !calibrated.stdout.includes('\u001b'), 'no raw escape code on the terminal');
  assert.ok(calibrated.stdout.includes('evil\\x1b[31mred.jpg'), calibrated.stdout);
  const json = await cli(['calibrate', '--model', '/dev/zero', '--data', photos, '--out', join(work, 'json'), '--json']);
  assert.equal(json.code, 1);
  assert.deepEqual(JSON.parse(json.stdout), { error: { code: 'NOT_A_FILE', message: 'Model /dev/zero is a device, not a regular file', file: '/dev/zero', hint: 'check the path to the .onnx file' } });
  const built = await cli(['build', '--run', run, '--precisions', 'int8', '--target', 'tensorrt', '--exclude', 'no_such_node']);
  assert.equal(built.code, 0, built.stderr);
  assert.ok(built.stderr.includes(`int8cal: warning: --exclude no_such_node matches no node of ${join(run, RUN_FILES.fp32)}`), built.stderr);
});
