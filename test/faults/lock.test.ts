/**
 * Fault matrix, two int8cal processes on one run directory: the second refuses, naming the
 * owner's pid; a lock whose process is gone is taken over. (A real concurrent calibrate is
 * refused in signals.test.ts, while the long calibration runs.)
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calibrate } from '../../src/pipeline/calibrate.js';
import { Int8calError } from '../../src/core/errors.js';
import { RUN_FILES } from '../../src/run/layout.js';
import { assertCleanRunDir, assertNoCrash, assertUserError, cli, tempFolder } from '../support/faults-cli.js';
import { reluSpec, writeModel } from '../support/faults-models.js';
import { samples } from '../support/paths.js';

const { dir: work, cleanup } = await tempFolder('lock');
test.after(cleanup);

const data = samples('scenes', 'calibration');
const model = await writeModel(join(work, 'relu.onnx'), reluSpec());
const args = (out: string) => ['calibrate', '--model', model, '--data', data, '--out', out, '--max-images', '2', '--batch-size', '2'];

/** A process that is alive until killed: a stand-in for another int8cal holding the lock. */
async function liveProcess() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  return { pid: child.pid!, stop: async () => { child.kill('SIGKILL'); await once(child, 'exit'); } };
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}

test('a run directory locked by a live process: calibrate and evaluate refuse, naming its pid; the lock stays', async () => {
  const owner = await liveProcess();
  try {
    const out = join(work, 'busy');
    await mkdir(out);
    const lock = join(out, RUN_FILES.lock);
    await writeFile(lock, `${owner.pid}\n`);
    assertUserError(await cli(args(out)), [`in use by int8cal process ${owner.pid}`, out, 'another --out directory']);
    await assert.rejects(calibrate({ model, data, out, maxImages: 2 }), (error: unknown) =>
      error instanceof Int8calError && error.code === 'RUN_LOCKED' && error.subject.file === lock && error.message.includes(String(owner.pid)));
    assert.equal(await readFile(lock, 'utf8'), `${owner.pid}\n`, 'the owner keeps its lock');
  } finally {
    await owner.stop();
  }
});

test('evaluate refuses a run being written by another process', async () => {
  const out = join(work, 'evaluated');
  assert.equal((await cli(args(out))).code, 0);
  const owner = await liveProcess();
  try {
    await writeFile(join(out, RUN_FILES.lock), `${owner.pid}\n`);
    assertUserError(await cli(['evaluate', '--run', out, '--data', data, '--max-images', '2', '--iterations', '1']), [`in use by int8cal process ${owner.pid}`]);
  } finally {
    await owner.stop();
  }
});

test('a stale lock (its process is gone, or the file is garbage) is taken over', async () => {
  for (const [name, content] of [['dead', `${await deadPid()}\n`], ['garbage', 'not a pid'], ['empty', '']]) {
    const out = join(work, `stale-${name}`);
    await mkdir(out);
    await writeFile(join(out, RUN_FILES.lock), content);
    const result = await cli(args(out));
    assert.equal(result.code, 0, `${name}: ${result.stderr}`);
    assertNoCrash(result);
    assert.equal((await assertCleanRunDir(out)).length, 6, `${name}: calibrated, lock released`);
  }
});
