import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InternalError } from '../core/errors.js';
import { EXIT } from './exit-codes.js';
import { isAtomicTempFile } from '../core/atomic.js';
import { PARENT_ENV } from './parent-watch.js';
import { printable } from './printable.js';
import { RUN_FILES, runPath } from '../run/layout.js';
import { RUN_FILE_NAMES } from '../run/manifest.js';

/**
 * Ctrl-C must stop int8cal within a second or two, but ONNX Runtime's Node binding runs a
 * session synchronously on the JS thread: one batch can block it for many seconds, and no
 * signal handler runs meanwhile. So a command that writes a run directory runs in a child
 * process, and this process only waits for it. A SIGINT/SIGTERM is passed on: the child stops
 * at its next safe point (its writes are atomic, its lock released). If it hasn't exited after
 * GRACE_MS, it is killed, and what a kill can leave — temp files of atomic writes, its lock,
 * its scratch folder — is removed here. Either way the run directory holds complete files only.
 */
export const SUPERVISED_ENV = 'INT8CAL_SUPERVISED';
export const GRACE_MS = 1000;

/** The run directory a command writes (`--out`, else `--run`), when it must be supervised. */
export function supervisedRunDir(args: readonly unknown[]): string | undefined {
  if (process.env[SUPERVISED_ENV] === '1') return undefined;
  // Commander calls an action with (...arguments, options, command).
  const flags = args[args.length - 2] as { out?: unknown; run?: unknown } | undefined;
  if (typeof flags !== 'object' || flags === null) return undefined;
  const dir = typeof flags.out === 'string' ? flags.out : flags.run;
  return typeof dir === 'string' ? resolve(dir) : undefined;
}

/** Runs this same command line in a child process; returns the exit code to use. */
export async function runSupervised(runDir: string): Promise<number> {
  const scratch = await mkdtemp(join(tmpdir(), 'int8cal-'));
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--inspect'));
  const child = spawn(process.execPath, [...execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    // The child's own temp folders (model preparation) go in scratch, removed even after a kill.
    env: { ...process.env, [SUPERVISED_ENV]: '1', [PARENT_ENV]: String(process.pid), TMPDIR: scratch },
  });
  let received: NodeJS.Signals | undefined;
  let killed = false;
  let grace: NodeJS.Timeout | undefined;
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killed = true;
    child.kill('SIGKILL');
  };
  const onSignal = (name: NodeJS.Signals) => {
    if (received) return kill(); // a second Ctrl-C: no more waiting
    received = name;
    child.kill(name);
    grace = setTimeout(kill, GRACE_MS);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const failed = once(child, 'error').then(([error]) => {
      throw new InternalError(`could not start the int8cal worker process: ${(error as Error).message}`, { cause: error });
    });
    const [code, signal] = await Promise.race([exited, failed]);
    if (!killed && signal === null) return code ?? 1;
    const kept = await removeLeftovers(runDir, child.pid);
    if (process.stderr.isTTY) process.stderr.write('\n');
    if (received) {
      process.stderr.write(`int8cal: stopped by ${received}: the step under way was ended, nothing half-written is left\n` +
        `  ${printable(kept.length ? `${runDir} holds complete files only: ${kept.join(', ')}` : `nothing was written to ${runDir}`)}\n` +
        '  hint: run the same command again to redo the unfinished stage\n');
      return EXIT.interrupted;
    }
    process.stderr.write(`int8cal: error: the int8cal process was killed by ${signal}${signal === 'SIGKILL' ? ' (out of memory?)' : ''}\n` +
      `  ${printable(kept.length ? `${runDir} holds complete files only: ${kept.join(', ')}` : `nothing was written to ${runDir}`)}\n` +
      '  hint: with too little memory, lower --batch-size or --max-activation-memory\n');
    return 128 + (constants.signals[signal!] ?? 0);
  } finally {
    clearTimeout(grace);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * After the child was killed: removes the temp files of its unfinished atomic writes and its
 * lock (only if the lock is the child's: else another int8cal owns the directory and its files).
 * Returns the run files left, all complete.
 */
async function removeLeftovers(runDir: string, pid: number | undefined): Promise<string[]> {
  const lock = runPath(runDir, 'lock');
  const owner = await readFile(lock, 'utf8').then((text) => Number.parseInt(text, 10), () => undefined);
  // An empty lock file: the child was killed between creating it and writing its pid.
  const ours = owner === undefined || owner === pid || Number.isNaN(owner);
  const names = await readdir(runDir).catch(() => [] as string[]);
  if (ours) {
    await Promise.all(names.filter(isAtomicTempFile).map((name) => rm(join(runDir, name), { force: true })));
    if (owner !== undefined) await rm(lock, { force: true });
  }
  const known = RUN_FILE_NAMES;
  return names.filter((n) => known.includes(n) && n !== RUN_FILES.lock).sort((a, b) => known.indexOf(a) - known.indexOf(b));
}
