/**
 * How a stage publishes its outputs together (README "The run directory"): `manifest.json`
 * holds, per stage, the sha256 of every file it wrote and of every run file it read. A stage
 * first removes its entry and those of the stages after it, writes its files (each atomically),
 * and writes its entry last. Readers trust a run file only when the entry of the stage that
 * writes it vouches for its current bytes and every input that entry names is itself trusted
 * and unchanged. Anything else — a failed or interrupted stage, a file edited or replaced, a
 * file made from inputs that changed since — is stale: the reader refuses, naming the earliest
 * stage to rerun.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Int8calError, InternalError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import { RUN_FILES, runFileName, runPath, type RunFile } from './layout.js';
import { PLACEMENT_NAMES, placementOf } from '../onnx/qdq/placements/index.js';

export const STAGES = ['calibrate', 'build', 'tune', 'evaluate', 'report'] as const;
export type Stage = (typeof STAGES)[number];

/** The stage that writes each run file. */
export const PRODUCER: Partial<Record<RunFile, Stage>> = {
  run: 'calibrate', fp32: 'calibrate', histograms: 'calibrate', calibration: 'calibrate', cache: 'calibrate',
  fp16: 'build', build: 'build', tune: 'tune',
  engineFp32: 'build', engineFp16: 'build', engineInt8: 'build', engineInt8Qdq: 'build', trtCache: 'build', trtTimingCache: 'build',
  results: 'evaluate', reportHtml: 'report', reportMd: 'report',
  // Each placement's int8 model is build's, its tuned model tune's.
  ...Object.fromEntries(PLACEMENT_NAMES.map(placementOf).flatMap((p) => [[p.runFile, 'build'], [p.tunedRunFile, 'tune']])),
};

/** Every run file's name: the fixed ones, then each placement's models. */
const ALL_RUN_FILES = [...new Set([...Object.keys(RUN_FILES), ...Object.keys(PRODUCER)])] as RunFile[];
export const RUN_FILE_NAMES: readonly string[] = ALL_RUN_FILES.map(runFileName);

/** The run files a stage writes. */
export const filesOf = (stage: Stage): RunFile[] => (Object.keys(PRODUCER) as RunFile[]).filter((f) => PRODUCER[f] === stage);

export interface StageEntry {
  /** Run file name → sha256 of the bytes the stage wrote. */
  outputs: Record<string, string>;
  /** Run file name → sha256 of the bytes the stage read. */
  inputs: Record<string, string>;
}

export interface Manifest {
  schema: 'int8cal/manifest';
  version: 1;
  stages: Partial<Record<Stage, StageEntry>>;
}

const empty = (): Manifest => ({ schema: 'int8cal/manifest', version: 1, stages: {} });
const SHA256 = /^[0-9a-f]{64}$/;

function isEntry(value: unknown): value is StageEntry {
  const e = value as StageEntry | null;
  const hashes = (r: unknown) => typeof r === 'object' && r !== null && Object.entries(r).every(([k, v]) => typeof k === 'string' && typeof v === 'string' && SHA256.test(v));
  return typeof e === 'object' && e !== null && hashes(e.outputs) && hashes(e.inputs);
}

/** The run's manifest; a missing or unreadable one vouches for nothing. */
export async function readManifest(runDir: string): Promise<Manifest> {
  const text = await readFile(runPath(runDir, 'manifest'), 'utf8').catch(() => undefined);
  if (text === undefined) return empty();
  try {
    const value = JSON.parse(text) as Manifest;
    if (value?.schema !== 'int8cal/manifest' || value.version !== 1 || typeof value.stages !== 'object' || value.stages === null) return empty();
    const stages: Manifest['stages'] = {};
    for (const stage of STAGES) if (isEntry(value.stages[stage])) stages[stage] = value.stages[stage];
    return { ...empty(), stages };
  } catch {
    return empty();
  }
}

/** sha256 of a file, streamed (models can be large); undefined when it can't be read. */
export async function sha256File(path: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch {
    return undefined;
  }
  return hash.digest('hex');
}

/** A stage begins: its entry and those of every later stage no longer vouch for anything. */
export async function startStage(runDir: string, stage: Stage): Promise<void> {
  const manifest = await readManifest(runDir);
  const later = STAGES.slice(STAGES.indexOf(stage));
  if (!later.some((s) => manifest.stages[s])) return;
  for (const s of later) delete manifest.stages[s];
  await writeFileAtomic(runPath(runDir, 'manifest'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** A stage ends: its entry vouches for the outputs it wrote and records the run files it read. */
export async function finishStage(runDir: string, stage: Stage, outputs: readonly RunFile[], inputs: readonly RunFile[]): Promise<void> {
  const hashes = async (files: readonly RunFile[]) => {
    const out: Record<string, string> = {};
    for (const f of files) {
      const sha = await sha256File(runPath(runDir, f));
      if (sha === undefined) throw new Int8calError('RUN_FILE_MISSING', `${runPath(runDir, f)} vanished while ${stage} ran`, { file: runPath(runDir, f), hint: `run \`int8cal ${stage}\` again` });
      out[runFileName(f)] = sha;
    }
    return out;
  };
  const manifest = await readManifest(runDir);
  manifest.stages[stage] = { outputs: await hashes(outputs), inputs: await hashes(inputs) };
  await writeFileAtomic(runPath(runDir, 'manifest'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * A stage amends outputs it already published (run's calibrator check rewrites calibration.json
 * and the cache; run adds the accuracy target to results.json): its entry vouches for the new
 * bytes, and the entries of later stages, made from the old ones, are dropped.
 */
export async function amendStage(runDir: string, stage: Stage): Promise<void> {
  const manifest = await readManifest(runDir);
  const entry = manifest.stages[stage];
  if (!entry) throw new InternalError(`amendStage(${stage}) without a finished ${stage}`);
  for (const s of STAGES.slice(STAGES.indexOf(stage) + 1)) delete manifest.stages[s];
  for (const name of Object.keys(entry.outputs)) {
    const sha = await sha256File(`${runDir}/${name}`);
    if (sha === undefined) throw new InternalError(`amendStage(${stage}): ${name} vanished`);
    entry.outputs[name] = sha;
  }
  await writeFileAtomic(runPath(runDir, 'manifest'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Why a run file can't be trusted, and the earliest stage that must be rerun; undefined when it can. */
export interface Distrust {
  file: string;
  stage: Stage;
  why: string;
}

/** The run file (fixed, or a placement's model) a file name in RUN stands for; undefined for any other name. */
export const runFileOf = (name: string): RunFile | undefined => ALL_RUN_FILES.find((k) => runFileName(k) === name);

/** Checks files against the manifest, transitively through the inputs each stage recorded. */
export class TrustCheck {
  readonly #hashes = new Map<string, Promise<string | undefined>>();
  readonly #verdicts = new Map<string, Promise<Distrust | undefined>>();
  #manifest?: Promise<Manifest>;

  constructor(readonly runDir: string) {}

  #sha(name: string): Promise<string | undefined> {
    let sha = this.#hashes.get(name);
    if (!sha) this.#hashes.set(name, (sha = sha256File(`${this.runDir}/${name}`)));
    return sha;
  }

  check(file: RunFile): Promise<Distrust | undefined> {
    let verdict = this.#verdicts.get(file);
    if (!verdict) this.#verdicts.set(file, (verdict = this.#check(file)));
    return verdict;
  }

  /**
   * The stage to rerun when `stage` has no entry: the earliest one up to it that has files in
   * the directory but no entry (a failed calibrate leaves every later entry gone too).
   */
  async #earliestUnfinished(manifest: Manifest, stage: Stage): Promise<Stage> {
    for (const s of STAGES.slice(0, STAGES.indexOf(stage))) {
      if (manifest.stages[s]) continue;
      for (const f of filesOf(s)) if ((await this.#sha(runFileName(f))) !== undefined) return s;
    }
    return stage;
  }

  async #check(file: RunFile): Promise<Distrust | undefined> {
    const name = runFileName(file);
    const stage = PRODUCER[file];
    if (!stage) return undefined;
    const sha = await this.#sha(name);
    const manifest = await (this.#manifest ??= readManifest(this.runDir));
    if (sha === undefined) {
      // Missing because an earlier stage did not complete (a failed rebuild removed results.json): rerun that one.
      const earliest = await this.#earliestUnfinished(manifest, stage);
      return { file: name, stage: earliest, why: earliest === stage ? `${name} is missing` : `${name} is missing, and \`int8cal ${earliest}\` did not complete (it failed or was interrupted)` };
    }
    const entry = manifest.stages[stage];
    if (!entry || entry.outputs[name] === undefined) {
      return { file: name, stage: await this.#earliestUnfinished(manifest, stage), why: `${name} is not from a completed \`int8cal ${stage}\` (it failed, was interrupted, or never ran)` };
    }
    // Inputs first: when they are broken, the stage to rerun is theirs.
    for (const [input, expected] of Object.entries(entry.inputs)) {
      const key = runFileOf(input);
      const upstream = key ? await this.check(key) : undefined;
      if (upstream) return upstream;
      if ((await this.#sha(input)) !== expected) return { file: name, stage, why: `${name} was made from an older ${input}` };
    }
    if (entry.outputs[name] !== sha) return { file: name, stage, why: `${name} was changed after \`int8cal ${stage}\` wrote it` };
    return undefined;
  }
}

/**
 * Refuses to read run files that aren't trusted: RUN_STALE naming the file, why, and the stage
 * to rerun. Missing files the caller treats as optional are left to the caller.
 */
export async function requireTrusted(runDir: string, files: readonly RunFile[], trust = new TrustCheck(runDir)): Promise<void> {
  const problems = (await Promise.all(files.map((f) => trust.check(f)))).filter((d): d is Distrust => d !== undefined);
  if (!problems.length) return;
  const earliest = problems.reduce((a, b) => (STAGES.indexOf(b.stage) < STAGES.indexOf(a.stage) ? b : a));
  const path = `${runDir}/${earliest.file}`;
  const missing = earliest.why.endsWith('is missing');
  throw new Int8calError(missing ? 'RUN_FILE_MISSING' : 'RUN_STALE', `${path}: ${earliest.why}`, {
    file: path, hint: `${missing ? 'run' : 'rerun'} \`int8cal ${earliest.stage}\` for this run directory${missing ? ' first' : ''}`,
  });
}
