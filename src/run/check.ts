import { Int8calError } from '../core/errors.js';
import { checkPreprocessing } from '../../datasets/images/index.js';
import type { CalibrationResult, RunManifest, ShardInfo } from './schema.js';

const corrupt = (path: string, what: string, extra: { tensor?: string } = {}): Int8calError =>
  new Int8calError('RUN_FILE_CORRUPT', `${path}: ${what}`, { file: path, ...extra, hint: 'the file was damaged or edited: rerun the stage that wrote it (`int8cal calibrate`)' });

function expectSchema(value: unknown, path: string, schema: string, version: number): Record<string, unknown> {
  const record = value as Record<string, unknown> | null;
  if (!record || typeof record !== 'object' || record.schema !== schema) {
    throw new Int8calError('RUN_FILE_CORRUPT', `${path} is not an ${schema} file`, { file: path });
  }
  if (typeof record.version !== 'number' || record.version > version) {
    throw new Int8calError('RUN_FILE_VERSION', `${path} has version ${String(record.version)}; this int8cal reads up to ${version}`, {
      file: path, hint: 'it was written by a newer int8cal: upgrade int8cal or re-run the stage',
    });
  }
  return record;
}

function checkAnyManifest(value: unknown, path: string): RunManifest {
  const record = expectSchema(value, path, 'int8cal/run', 1);
  const fed = typeof record.preprocessing === 'object' || (Array.isArray(record.inputs) && record.inputs.every((i) => typeof i === 'string'));
  if (typeof record.input !== 'string' || !fed || typeof record.calibration !== 'object' || !record.calibration) {
    throw new Int8calError('RUN_FILE_CORRUPT', `${path} lacks the input or preprocessing`, { file: path });
  }
  // Read back as strictly as the flags that made it (2 means for 3 channels fed NaN inputs).
  let preprocessing = record.preprocessing;
  if (typeof preprocessing === 'object' && preprocessing !== null) {
    const p = preprocessing as Record<string, unknown>;
    for (const key of ['mean', 'std'] as const) {
      if (!Array.isArray(p[key]) || (p[key] as unknown[]).length !== 3) throw corrupt(path, `preprocessing.${key} must hold 3 numbers (one per channel), found ${JSON.stringify(p[key])}`);
    }
    try {
      preprocessing = checkPreprocessing(p);
    } catch (error) {
      throw corrupt(path, `preprocessing: ${(error as Error).message}`);
    }
  }
  const model = record.model as Record<string, unknown> | undefined;
  if (typeof model?.source !== 'string' || typeof model.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(model.sha256)) throw corrupt(path, 'model must name its source and sha256');
  const c = record.calibration as Record<string, unknown>;
  if (typeof c.calibrator !== 'string' || !(Number.isInteger(c.batchSize) && (c.batchSize as number) > 0) || !Array.isArray(c.images) || !c.images.every((f) => typeof f === 'string')) {
    throw corrupt(path, 'calibration must hold calibrator, batchSize and images');
  }
  return { ...(record as unknown as RunManifest), ...(preprocessing === undefined ? {} : { preprocessing }) } as RunManifest;
}

/** run.json of a complete run; a shard run (partial histograms) is refused. */
export function checkRunManifest(value: unknown, path: string): RunManifest {
  const manifest = checkAnyManifest(value, path);
  const shard = manifest.calibration.shard;
  if (shard) {
    throw new Int8calError('RUN_IS_SHARD', `${path} is shard ${shard.index}/${shard.count} of a sharded calibration: it holds partial histograms and no scales`, {
      file: path, hint: 'merge the shard runs first: int8cal merge-histograms SHARD1 SHARD2 … --out RUN',
    });
  }
  return manifest;
}

/** run.json of a shard run (`calibrate --shard`). */
export function checkShardManifest(value: unknown, path: string): RunManifest & { calibration: { shard: ShardInfo } } {
  const manifest = checkAnyManifest(value, path);
  const shard = manifest.calibration.shard;
  const valid = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 1;
  if (!shard) {
    throw new Int8calError('RUN_NOT_SHARD', `${path} is a complete run, not a shard run`, { file: path, hint: 'merge-histograms takes the runs written by `calibrate --shard i/n`' });
  }
  if (!valid(shard.index) || !valid(shard.count) || shard.index > shard.count || !Number.isInteger(shard.totalImages)) {
    throw new Int8calError('RUN_FILE_CORRUPT', `${path} has an invalid shard ${JSON.stringify(shard)}`, { file: path });
  }
  return manifest as RunManifest & { calibration: { shard: ShardInfo } };
}

export function checkCalibration(value: unknown, path: string): CalibrationResult {
  const record = expectSchema(value, path, 'int8cal/calibration', 1);
  const tensors = record.tensors as Record<string, { amax?: unknown; scale?: unknown; min?: unknown; max?: unknown }> | undefined;
  if (!tensors || typeof tensors !== 'object') throw new Int8calError('RUN_FILE_CORRUPT', `${path} has no tensors`, { file: path });
  for (const [name, t] of Object.entries(tensors)) {
    if (typeof t.amax !== 'number' || typeof t.scale !== 'number' || !(t.scale > 0) || !Number.isFinite(t.scale) || !(t.amax >= 0) || !Number.isFinite(t.amax)) {
      throw new Int8calError('RUN_FILE_CORRUPT', `${path}: tensor ${name} has no valid amax/scale`, { file: path, tensor: name });
    }
    // scale = amax / 127 as float32 (the smallest positive scale for an all-zero tensor): anything else was edited.
    const expected = t.amax > 0 ? Math.fround(t.amax / 127) : undefined;
    if (expected !== undefined && Math.abs(t.scale - expected) > 1e-6 * expected) {
      throw corrupt(path, `tensor ${name} has scale ${t.scale}, but its amax ${t.amax} gives ${expected}`, { tensor: name });
    }
    if (expected === undefined && t.scale > 1e-30) throw corrupt(path, `tensor ${name} has amax 0 but scale ${t.scale}`, { tensor: name });
    const signed = t.min !== undefined || t.max !== undefined;
    if (signed && !(typeof t.min === 'number' && typeof t.max === 'number' && t.min <= 0 && t.max >= 0 && Number.isFinite(t.min - t.max))) {
      throw new Int8calError('RUN_FILE_CORRUPT', `${path}: tensor ${name} has an invalid min/max (need finite min ≤ 0 ≤ max)`, { file: path, tensor: name });
    }
  }
  return record as unknown as CalibrationResult;
}
