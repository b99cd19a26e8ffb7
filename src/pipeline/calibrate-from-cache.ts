import { readFile } from 'node:fs/promises';
import { parseCache } from '../../calibrators/cache.js';
import { INT8_MAX, SMALLEST_SCALE } from './tensor-calibration.js';
import { Int8calError } from '../core/errors.js';
import type { WarningCallback } from '../core/progress.js';
import type { CalibrationResult, TensorCalibration } from '../run/schema.js';

const LISTED = 12;
const list = (names: string[]) => `${names.slice(0, LISTED).join(', ')}${names.length > LISTED ? ` … (${names.length} in all)` : ''}`;

/**
 * Scales from an existing TensorRT cache (its header is kept). Every tensor the model needs must be in it (else
 * an error listing the missing ones); tensors the model lacks are only a warning, since real
 * caches hold TensorRT's internal names.
 */
export async function calibrationFromCache(
  bytes: Uint8Array,
  path: string,
  tensors: readonly string[],
  model: string,
  onWarning?: WarningCallback,
): Promise<CalibrationResult> {
  const cache = parseCache(new TextDecoder().decode(bytes), path);
  const missing = tensors.filter((t) => !cache.scales.has(t));
  if (missing.length) {
    throw new Int8calError('CACHE_MISMATCH',
      `${path} lacks ${missing.length} of the ${tensors.length} tensors ${model} needs: ${list(missing)}`,
      { file: path, hint: 'was the cache made for another model? calibrate again with --data instead of --cache' });
  }
  const needed = new Set(tensors);
  const extra = [...cache.scales.keys()].filter((t) => !needed.has(t));
  if (extra.length) onWarning?.(`${path} has ${extra.length} tensor(s) the model does not: ${list(extra)} (ignored)`);
  const result: Record<string, TensorCalibration> = {};
  for (const name of tensors) {
    const scale = cache.scales.get(name)!;
    if (!Number.isFinite(scale) || scale < 0) {
      throw new Int8calError('CACHE_SCALE', `${path}: tensor ${name} has an invalid scale ${scale}`, {
        file: path, tensor: name, hint: 'scales must be finite and positive; regenerate the cache',
      });
    }
    if (scale === 0) onWarning?.(`${path}: tensor ${name} has scale 0; using the smallest positive scale`);
    result[name] = {
      amax: scale * INT8_MAX, scale: scale === 0 ? SMALLEST_SCALE : scale, calibrator: 'cache',
      fractionClipped: 0, count: 0, nanCount: 0, infCount: 0, absMax: 0,
      flags: scale === 0 ? ['from-cache', 'zero-scale-in-cache'] : ['from-cache'],
    };
  }
  return { schema: 'int8cal/calibration', version: 1, calibrator: 'cache', histogram: 'none', cacheHeader: { trtVersion: cache.trtVersion, algorithm: cache.algorithm }, tensors: result };
}

/** The bytes of a TensorRT cache file given by the user. */
export async function readCacheFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new Int8calError('CACHE_READ', `Cannot read calibration cache ${path}: ${(error as Error).message}`, { file: path, hint: 'check the --cache path' }, { cause: error });
  }
}
