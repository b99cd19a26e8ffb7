/**
 * Fault matrix, Ctrl-C and SIGTERM: a long calibration (PaddleOCR det at 640×640 on every
 * text and scenes photo) and a long evaluation are stopped mid-way. The process must exit
 * within a few seconds with code 130, say it stopped, and leave only complete files and no
 * lock; running the command again must work. While the calibration runs, a second int8cal on
 * the same run directory is refused, naming the first one's pid.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { calibrate } from '../../src/pipeline/calibrate.js';
import { RUN_FILES } from '../../src/run/layout.js';
import { assertCleanRunDir, assertNoCrash, assertUserError, cli, startCli, tempFolder, type CliResult } from '../support/faults-cli.js';
import { reluSpec, writeModel } from '../support/faults-models.js';
import { model, samples } from '../support/paths.js';

const { dir: work, cleanup } = await tempFolder('signals');
test.after(cleanup);

const det = model('ch_PP-OCRv4_det_infer.onnx');
/** Every text and scenes calibration photo (64), through links: the reader follows them. */
const photos = join(work, 'photos');
await mkdir(photos);
await symlink(samples('text', 'calibration'), join(photos, 'text'));
await symlink(samples('scenes', 'calibration'), join(photos, 'scenes'));

/** Exit within this long of the signal (the product waits at most 1 s before ending a blocked step). */
const STOP_MS = 3000;

async function waitFor(path: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await access(path).then(() => true, () => false)) return;
    await sleep(50);
  }
  assert.fail(`${path} did not appear within ${timeoutMs} ms`);
}

/** Starts `args`, waits until it holds the run's lock and has worked `workMs`, runs `meanwhile`, signals it. */
async function interrupt(args: string[], runDir: string, signal: NodeJS.Signals, meanwhile: (pid: number) => Promise<void> = async () => {}): Promise<CliResult & { stopMs: number }> {
  const started = startCli(args, { timeoutMs: 120_000 });
  await waitFor(join(runDir, RUN_FILES.lock), 60_000);
  const workStarted = Date.now();
  let lockOwner = NaN;
  while (Number.isNaN(lockOwner)) lockOwner = Number.parseInt(await readFile(join(runDir, RUN_FILES.lock), 'utf8'), 10); // the pid is written just after the file is created
  await meanwhile(lockOwner);
  await sleep(Math.max(0, 1500 - (Date.now() - workStarted)));
  const signalled = Date.now();
  started.child.kill(signal);
  const result = await started.done;
  return { ...result, stopMs: Date.now() - signalled };
}

function assertStopped(result: CliResult & { stopMs: number }, signal: NodeJS.Signals): void {
  const shown = `exit ${result.code} ${result.signal ?? ''} after ${result.stopMs} ms\n${result.stderr}`;
  assert.ok(result.stopMs < STOP_MS, `stopped within ${STOP_MS} ms: ${shown}`);
  assert.equal(result.code, 130, shown);
  assertNoCrash(result);
  assert.match(result.stderr, new RegExp(`(stopped by|Interrupted by) ${signal}`), shown);
  assert.match(result.stderr, /run the (same )?command again/, shown);
}

test('SIGINT during calibration: stops within seconds, exit 130, nothing half-written, no lock; a rerun completes', async () => {
  const run = join(work, 'calibrate');
  const args = ['calibrate', '--model', det, '--data', photos, '--out', run, '--size', '640x640', '--resize', 'stretch'];
  const tiny = await writeModel(join(work, 'relu.onnx'), reluSpec());
  const result = await interrupt(args, run, 'SIGINT', async (owner) => {
    // Meanwhile a second int8cal on the same run directory is refused, naming the first.
    const second = await cli(['calibrate', '--model', tiny, '--data', photos, '--out', run, '--max-images', '2']);
    assertUserError(second, [`in use by int8cal process ${owner}`, run]);
  });
  assertStopped(result, 'SIGINT');
  assert.deepEqual(await assertCleanRunDir(run), [], 'stopped before anything was written');
  // The same run again (smaller, to keep the suite quick): not blocked by a stale lock or leftovers.
  const rerun = await cli([...args.slice(0, -4), '--size', '160x160', '--resize', 'stretch', '--max-images', '4', '--batch-size', '2']);
  assert.equal(rerun.code, 0, rerun.stderr);
  assertNoCrash(rerun);
  assert.deepEqual(await assertCleanRunDir(run), ['calibration.cache', 'calibration.json', 'histograms.bin', 'manifest.json', 'model.fp32.onnx', 'run.json']);
});

test('SIGTERM during evaluation: stops within seconds, exit 130, the run keeps its complete files; a rerun completes', async () => {
  // A run at 640×640 made quickly: scales from a small calibration's cache (same tensor names).
  const small = join(work, 'small');
  await calibrate({ model: det, data: samples('text', 'calibration'), out: small, size: '160x160', resize: 'stretch', maxImages: 2, batchSize: 2 });
  const run = join(work, 'evaluate');
  await calibrate({ model: det, out: run, size: '640x640', resize: 'stretch', cache: join(small, 'calibration.cache') });
  const before = await assertCleanRunDir(run);
  const cacheBefore = await readFile(join(run, 'calibration.cache'));
  const args = ['evaluate', '--run', run, '--data', photos, '--variants', 'fp32', '--iterations', '1'];
  const result = await interrupt(args, run, 'SIGTERM');
  assertStopped(result, 'SIGTERM');
  assert.deepEqual(await assertCleanRunDir(run), before, 'no results.json, nothing else touched');
  assert.deepEqual(await readFile(join(run, 'calibration.cache')), cacheBefore);
  const rerun = await cli([...args, '--max-images', '2'], { timeoutMs: 120_000 });
  assert.equal(rerun.code, 0, rerun.stderr);
  assertNoCrash(rerun);
  assert.deepEqual(await assertCleanRunDir(run), [...before, 'results.json'].sort());
});

test('a second Ctrl-C does not wait at all', async () => {
  const run = join(work, 'twice');
  const started = startCli(['calibrate', '--model', det, '--data', photos, '--out', run, '--size', '640x640', '--resize', 'stretch'], { timeoutMs: 120_000 });
  await waitFor(join(run, RUN_FILES.lock), 60_000);
  const signalled = Date.now();
  started.child.kill('SIGINT');
  await sleep(100);
  started.child.kill('SIGINT');
  const result = await started.done;
  assert.ok(Date.now() - signalled < 1500, `stopped within 1.5 s: ${Date.now() - signalled} ms`);
  assert.equal(result.code, 130, result.stderr);
  assertNoCrash(result);
  await assertCleanRunDir(run);
});
