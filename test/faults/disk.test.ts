/**
 * Fault matrix, output not writable or disk full: a clear error naming the file, and nothing
 * half-written — every write is a temp file + rename, and a failed one removes its temp file.
 * The disk is a tiny tmpfs (mounting needs root: the tests that need it are skipped, saying
 * why, where mount is not permitted — except under CI=true, where a skipped fault test is a
 * failure). The same failures are also made without a mount, by the atomic-write module's test
 * hook (INT8CAL_TEST_FAIL_WRITE: the write fails half-way with ENOSPC), so they are always
 * covered. A path under a regular file needs no mount.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, stat, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { calibrate } from '../../src/pipeline/calibrate.js';
import { DataType } from '../../src/onnx/proto.js';
import { RUN_FILES } from '../../src/run/layout.js';
import { FAIL_WRITE_ENV } from '../../src/core/atomic.js';
import { assertCleanRunDir, assertUserError, cli, tempFolder } from '../support/faults-cli.js';
import { reluSpec, writeModel } from '../support/faults-models.js';
import { samples } from '../support/paths.js';

const exec = promisify(execFile);
const { dir: work, cleanup } = await tempFolder('disk');
const mounted: string[] = [];
test.after(async () => {
  for (const dir of mounted) await exec('umount', [dir]).catch(() => exec('umount', ['-l', dir]));
  await cleanup();
});

const data = samples('scenes', 'calibration');
const relu = await writeModel(join(work, 'relu.onnx'), reluSpec());
/** A model with 2 MiB of weights: its model.fp32.onnx alone overflows a 1 MiB disk. */
const big = await writeModel(join(work, 'big.onnx'), {
  initializers: [{ name: 'w', dataType: DataType.FLOAT, dims: [16, 32768], rawData: new Uint8Array(new Float32Array(16 * 32768).map((_, i) => Math.sin(i)).buffer) }],
  nodes: [
    { name: 'matmul', opType: 'MatMul', input: ['x', 'w'], output: ['y'] },
    { name: 'relu', opType: 'Relu', input: ['y'], output: ['z'] },
  ],
  outputs: ['z'],
});
const calibrateArgs = (model: string, out: string) => ['calibrate', '--model', model, '--data', data, '--out', out, '--max-images', '2', '--batch-size', '2'];

/** Mounts a tmpfs of `size` at a new folder; undefined with the reason when not permitted. */
async function tmpfs(name: string, size: string): Promise<{ dir: string } | { skip: string }> {
  const dir = join(work, name);
  await mkdir(dir);
  try {
    await exec('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  } catch (error) {
    return { skip: `cannot mount a tmpfs to simulate a full disk: ${String((error as { stderr?: string }).stderr || (error as Error).message).trim()}` };
  }
  mounted.push(dir);
  return { dir };
}

const probe = await tmpfs('probe', '64k');
const cannotMount = 'skip' in probe ? probe.skip : undefined;
if (cannotMount && process.env.CI === 'true') {
  test('CI=true: the disk-full fault tests must run, not be skipped', () => assert.fail(`they would be skipped: ${cannotMount}`));
}
const noMount = process.env.CI === 'true' ? undefined : cannotMount;
if (noMount) console.log(`# disk-full tests on a tmpfs skipped (the write-hook tests still run): ${noMount}`);

/** Fills the file system of `dir` until `leaveBlocks` blocks are free. */
async function fill(dir: string, leaveBlocks: number): Promise<void> {
  const fs = await statfs(dir);
  const bytes = (fs.bavail - leaveBlocks) * fs.bsize;
  if (bytes > 0) await writeFile(join(dir, 'filler'), Buffer.alloc(bytes));
  assert.equal((await statfs(dir)).bavail, leaveBlocks);
}

/** The file system holds no data beyond `keep` (bytes): failed writes left nothing behind. */
async function assertNoStrayData(dir: string, keep = 0): Promise<void> {
  const fs = await statfs(dir);
  const used = (fs.blocks - fs.bfree) * fs.bsize;
  assert.ok(used <= keep + fs.bsize, `${used} bytes in use on ${dir}, expected at most ${keep}`);
}

test('--out under a regular file (not a directory): a clear error, nothing created', async () => {
  const file = join(work, 'plain.txt');
  await writeFile(file, 'a file, not a folder\n');
  const out = join(file, 'run');
  assertUserError(await cli(calibrateArgs(relu, out)), [`Cannot create run directory ${out}`, 'not a directory', 'must be writable']);
  assertUserError(await cli(['evaluate', '--run', out, '--data', data]), [join(out, RUN_FILES.run), 'is missing', 'int8cal calibrate']);
  assert.equal(await readFile(file, 'utf8'), 'a file, not a folder\n');
});

test('disk full at the first write (1 MiB tmpfs, 2 MiB model): WRITE_FAILED naming the file, nothing written', { skip: noMount }, async () => {
  const disk = await tmpfs('full-1m', '1m');
  assert.ok('dir' in disk);
  const out = join(disk.dir, 'run');
  assertUserError(await cli(calibrateArgs(big, out)), [`Could not write ${join(out, RUN_FILES.fp32)}`, /no space left on device/i, 'disk is not full']);
  assert.deepEqual(await assertCleanRunDir(out), []);
  await assertNoStrayData(disk.dir);
});

test('disk full mid-run (the model fits, histograms.bin does not): the model is complete, nothing else', { skip: noMount }, async () => {
  const reference = join(work, 'reference');
  await calibrate({ model: big, data, out: reference, maxImages: 2, batchSize: 2 });
  const model = await readFile(join(reference, RUN_FILES.fp32));
  const histograms = (await stat(join(reference, RUN_FILES.histograms))).size;
  const page = 4096;
  const pages = (bytes: number) => Math.ceil(bytes / page);
  assert.ok(pages(histograms) > 10, `histograms.bin is ${histograms} bytes`);
  // Room for the model, the lock and half of histograms.bin.
  const disk = await tmpfs('full-mid', `${(pages(model.length) + 1 + pages(histograms) / 2) * (page / 1024)}k`);
  assert.ok('dir' in disk);
  const out = join(disk.dir, 'run');
  assertUserError(await cli(calibrateArgs(big, out)), [`Could not write ${join(out, RUN_FILES.histograms)}`, /no space left/i]);
  assert.deepEqual(await assertCleanRunDir(out), [RUN_FILES.fp32]);
  assert.deepEqual(await readFile(join(out, RUN_FILES.fp32)), model, 'the model written is complete');
  await assertNoStrayData(disk.dir, pages(model.length) * page);
});

test('disk entirely full: the lock cannot be taken — a clear error, and no empty lock file left', { skip: noMount }, async () => {
  const disk = await tmpfs('full-0', '256k');
  assert.ok('dir' in disk);
  const out = join(disk.dir, 'run');
  await mkdir(out);
  await fill(disk.dir, 0);
  assertUserError(await cli(calibrateArgs(relu, out)), [`Cannot write in run directory ${out}`, /no space left/i]);
  assert.deepEqual(await assertCleanRunDir(out), []);
});

test('disk full when evaluate writes results.json, and when report writes report.html: nothing half-written', { skip: noMount }, async () => {
  const disk = await tmpfs('full-eval', '1m');
  assert.ok('dir' in disk);
  const run = join(disk.dir, 'run');
  assert.equal((await cli(calibrateArgs(relu, run))).code, 0);
  const calibrated = await assertCleanRunDir(run);
  // One free block: enough for the lock, not for results.json (~10 kB).
  await fill(disk.dir, 1);
  const evaluate = ['evaluate', '--run', run, '--data', data, '--variants', 'fp32', '--max-images', '2', '--iterations', '1'];
  assertUserError(await cli(evaluate), [`Could not write ${join(run, RUN_FILES.results)}`, /no space left/i]);
  assert.deepEqual(await assertCleanRunDir(run), calibrated, 'no results.json, no temp file, no lock');
  // With room for results.json but not for the report.
  await writeFile(join(disk.dir, 'filler'), '');
  assert.equal((await cli(evaluate)).code, 0);
  const evaluated = await assertCleanRunDir(run);
  await fill(disk.dir, 0);
  // report takes the run's lock too (so it never reads results.json while evaluate writes it): on a full disk, that fails first.
  assertUserError(await cli(['report', '--run', run]), [`Cannot write in run directory ${run}`, /no space left/i]);
  assert.deepEqual(await assertCleanRunDir(run), evaluated);
});

test('a read-only file system: calibrate and evaluate refuse with a clear error, nothing changes', { skip: noMount }, async () => {
  const disk = await tmpfs('readonly', '1m');
  assert.ok('dir' in disk);
  const done = join(disk.dir, 'done');
  assert.equal((await cli(calibrateArgs(relu, done))).code, 0);
  const existing = join(disk.dir, 'existing');
  await mkdir(existing);
  await exec('mount', ['-o', 'remount,ro', disk.dir]);
  const files = await assertCleanRunDir(done);
  assertUserError(await cli(calibrateArgs(relu, join(disk.dir, 'new'))), [`Cannot create run directory ${join(disk.dir, 'new')}`, /read-only file system/i]);
  assertUserError(await cli(calibrateArgs(relu, existing)), [`Cannot write in run directory ${existing}`, /read-only file system/i]);
  assertUserError(await cli(['evaluate', '--run', done, '--data', data, '--max-images', '2']), [`Cannot write in run directory ${done}`, /read-only/i]);
  assert.deepEqual(await assertCleanRunDir(done), files);
  assert.deepEqual(await assertCleanRunDir(existing), []);
});

/** The same command with the atomic-write test hook failing writes of `file` half-way (ENOSPC). */
const failingWrite = (file: string) => ({ env: { ...process.env, [FAIL_WRITE_ENV]: file } });

test('write hook (no mount): the first write fails — WRITE_FAILED naming the file, nothing written', async () => {
  const out = join(work, 'hook-first');
  assertUserError(await cli(calibrateArgs(relu, out), failingWrite(RUN_FILES.fp32)), [`Could not write ${join(out, RUN_FILES.fp32)}: ENOSPC`, 'disk is not full']);
  assert.deepEqual(await assertCleanRunDir(out), []);
});

test('write hook (no mount): histograms.bin fails mid-run — the model written is complete, nothing else, nothing vouched', async () => {
  const out = join(work, 'hook-mid');
  assertUserError(await cli(calibrateArgs(relu, out), failingWrite(RUN_FILES.histograms)), [`Could not write ${join(out, RUN_FILES.histograms)}: ENOSPC`]);
  assert.deepEqual(await assertCleanRunDir(out), [RUN_FILES.fp32]);
});

test('write hook (no mount): results.json and report.html fail — nothing half-written, the earlier files kept', async () => {
  const run = join(work, 'hook-eval');
  assert.equal((await cli(calibrateArgs(relu, run))).code, 0);
  const calibrated = await assertCleanRunDir(run);
  const evaluate = ['evaluate', '--run', run, '--data', data, '--variants', 'fp32', '--max-images', '2', '--iterations', '1'];
  assertUserError(await cli(evaluate, failingWrite(RUN_FILES.results)), [`Could not write ${join(run, RUN_FILES.results)}: ENOSPC`]);
  assert.deepEqual(await assertCleanRunDir(run), calibrated);
  assert.equal((await cli(evaluate)).code, 0);
  const evaluated = await assertCleanRunDir(run);
  assertUserError(await cli(['report', '--run', run], failingWrite(RUN_FILES.reportHtml)), [`Could not write ${join(run, RUN_FILES.reportHtml)}: ENOSPC`]);
  assert.deepEqual(await assertCleanRunDir(run), evaluated);
});
