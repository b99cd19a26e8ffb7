/**
 * Running the real CLI for the fault matrix (test/faults): exit codes, messages, signals, and
 * what a run directory holds afterwards.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_FILES } from '../../src/run/layout.js';
import { RUN_FILE_NAMES } from '../../src/run/manifest.js';
import { PARENT_ENV } from '../../src/cli/parent-watch.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from './paths.js';

export const CLI = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

export interface CliOptions extends Pick<SpawnOptions, 'cwd' | 'uid' | 'gid' | 'env'> {
  /** Killed (SIGKILL) after this long, and the test fails: a hang is a bug. Default 60 s. */
  timeoutMs?: number;
}

/** Starts `int8cal ARGS`; `done` resolves when it exits. stderr is a pipe, so no progress bar. */
export function startCli(args: string[], options: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult>; stderrSoFar: () => string } {
  const started = Date.now();
  const { timeoutMs = 60_000, ...spawnOptions } = options;
  const child = spawn(process.execPath, [CLI, ...args], { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`int8cal ${args.join(' ')} hung: killed after ${timeoutMs} ms\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
  return { child, done, stderrSoFar: () => stderr };
}

export const cli = (args: string[], options: CliOptions = {}): Promise<CliResult> => startCli(args, options).done;

/**
 * A user error as the CLI must report it: exit code `exit` (1 unless said), the message mentions
 * every string of `mentions`, it carries a hint, and there is no crash (no internal error, no
 * stack trace).
 */
export function assertUserError(result: CliResult, mentions: (string | RegExp)[], exit = 1): void {
  const shown = `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}\nstderr:\n${result.stderr}\nstdout:\n${result.stdout}`;
  assert.equal(result.signal, null, shown);
  assert.equal(result.code, exit, shown);
  assertNoCrash(result);
  assert.match(result.stderr, /int8cal: error: /, shown);
  assert.match(result.stderr, /hint: \S/, `a hint: ${shown}`);
  for (const m of mentions) {
    if (typeof m === 'string') assert.ok(result.stderr.includes(m), `message mentions ${m}: ${shown}`);
    else assert.match(result.stderr, m, shown);
  }
}

/** No internal error, no JavaScript stack trace, no native abort. */
export function assertNoCrash(result: CliResult): void {
  const output = result.stderr + result.stdout;
  assert.doesNotMatch(output, /internal error|InternalError|TypeError|RangeError|ReferenceError|Unhandled|terminate called/, output);
  assert.doesNotMatch(output, /^\s+at .+\(.+:\d+:\d+\)$/m, `a stack trace:\n${output}`);
  assert.notEqual(result.code, 3, output);
}

/** Files a finished stage may leave in a run directory. */
const COMPLETE = new Set<string>(RUN_FILE_NAMES.filter((f) => f !== RUN_FILES.lock));

/**
 * The run directory holds only complete run files: no temp file of an atomic write, no lock
 * left behind, nothing unexpected, and no empty file. Returns the names found, sorted.
 */
export async function assertCleanRunDir(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  for (const name of names) {
    assert.ok(!name.endsWith('.tmp'), `temp file left in ${dir}: ${name}`);
    assert.notEqual(name, RUN_FILES.lock, `lock left in ${dir}`);
    assert.ok(COMPLETE.has(name), `unexpected file in ${dir}: ${name}`);
    assert.ok((await stat(join(dir, name))).size > 0, `empty file in ${dir}: ${name}`);
  }
  return names.sort();
}

/** A fresh temp folder and its cleanup. */
export async function tempFolder(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `int8cal-faults-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Live worker processes that the int8cal process `parent` started (found by their INT8CAL_PARENT_PID; zombies don't count). */
export async function workersOf(parent: number): Promise<number[]> {
  const marker = `${PARENT_ENV}=${parent}`;
  const found: number[] = [];
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const environ = await readFile(`/proc/${name}/environ`, 'latin1').catch(() => '');
    if (!environ.split('\0').includes(marker)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    if (stat !== '' && !/^\d+ \(.*\) Z/s.test(stat)) found.push(Number(name));
  }
  return found;
}

/**
 * After `kill -9` of the int8cal process `parent`: waits until its worker is gone too (it polls
 * for its parent every 0.2 s), so the next command doesn't meet a lock held by a process on its
 * way out. On a loaded machine that can take a while; past `timeoutMs` it is a bug, and fails.
 */
export async function waitForWorkersGone(parent: number, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  for (let left = await workersOf(parent); left.length; left = await workersOf(parent)) {
    assert.ok(Date.now() - started < timeoutMs, `worker(s) ${left.join(', ')} of int8cal ${parent} still running ${timeoutMs} ms after it was killed`);
    await sleep(100);
  }
}
