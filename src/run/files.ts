import { readFile, rm } from 'node:fs/promises';
import { Int8calError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import { runPath, type RunFile } from './layout.js';

/** Writes a run file as pretty JSON, atomically. */
export async function writeRunJson(runDir: string, file: RunFile, value: unknown): Promise<void> {
  await writeFileAtomic(runPath(runDir, file), `${JSON.stringify(value, null, 2)}\n`);
}

/** Reads a run file written by an earlier stage; a missing one names the stage to run first. */
export async function readRunJson<T>(runDir: string, file: RunFile, check: (value: unknown, path: string) => T, producer: string): Promise<T> {
  const path = runPath(runDir, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Int8calError('RUN_FILE_MISSING', `${path} is missing`, {
      file: path, hint: `run \`int8cal ${producer}\` for this run directory first`,
    }, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Int8calError('RUN_FILE_CORRUPT', `${path} is not valid JSON: ${(error as Error).message}`, {
      file: path, hint: `re-run \`int8cal ${producer}\``,
    }, { cause: error });
  }
  return check(value, path);
}

/** Removes files that later stages derived from an older state of the run. */
export async function removeRunFiles(runDir: string, files: readonly RunFile[]): Promise<void> {
  await Promise.all(files.map((f) => rm(runPath(runDir, f), { force: true })));
}

/**
 * Refuses a shard run (RUN_IS_SHARD) before a stage that needs scales; a run without run.json
 * (built from a cache elsewhere) passes, the stage reports what it lacks.
 */
export async function refuseShardRun(runDir: string, check: (value: unknown, path: string) => unknown): Promise<void> {
  let text: string;
  try {
    text = await readFile(runPath(runDir, 'run'), 'utf8');
  } catch {
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return; // the stage reading it reports the damage
  }
  if ((value as { calibration?: { shard?: unknown } } | null)?.calibration?.shard) check(value, runPath(runDir, 'run'));
}
