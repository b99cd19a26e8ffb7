/**
 * Run-directory state for the trust fault tests: every file's sha256, and the stages the
 * manifest vouches for — so a test can check file by file what a failed command left.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readManifest, type Stage } from '../../src/run/manifest.js';
import { assertCleanRunDir, cli, type CliResult } from './faults-cli.js';
import { samples } from './paths.js';

export const calibrationData = samples('scenes', 'calibration');
export const evaluationData = samples('scenes', 'evaluation');

/** File name → sha256 of every file in `dir` (sorted by name). */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = createHash('sha256').update(await readFile(join(dir, name))).digest('hex');
  return out;
}

/** The stages the run's manifest vouches for, in order. */
export async function vouchedStages(dir: string): Promise<Stage[]> {
  return Object.keys((await readManifest(dir)).stages) as Stage[];
}

/** A complete run of the tiny model: calibrate, build (fp16 + int8), evaluate and report on 2 images each. */
export async function completeRun(model: string, out: string): Promise<void> {
  for (const args of stageArgs(model, out)) {
    const result = await cli(args);
    assert.equal(result.code, 0, `${args.join(' ')}\n${result.stderr}`);
  }
  assert.deepEqual(await vouchedStages(out), ['calibrate', 'build', 'evaluate', 'report']);
  await assertCleanRunDir(out);
}

/** The four stage commands of a small run. */
export function stageArgs(model: string, out: string): string[][] {
  return [
    ['calibrate', '--model', model, '--data', calibrationData, '--out', out, '--max-images', '2', '--batch-size', '2'],
    ['build', '--run', out],
    ['evaluate', '--run', out, '--data', evaluationData, '--max-images', '2', '--iterations', '1', '--batch-size', '2'],
    ['report', '--run', out],
  ];
}

/** A failed stage command: exit 1, the message, and the hint naming the stage to rerun. */
export function assertRerun(result: CliResult, stage: Stage, mentions: (string | RegExp)[] = []): void {
  const shown = `exit ${result.code}\n${result.stderr}`;
  assert.equal(result.code, 1, shown);
  assert.match(result.stderr, new RegExp(`hint: (re)?run \`int8cal ${stage}\``), shown);
  for (const m of mentions) assert.ok(typeof m === 'string' ? result.stderr.includes(m) : m.test(result.stderr), `mentions ${m}: ${shown}`);
}
