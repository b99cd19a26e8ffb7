import { copyFileAtomic } from '../core/atomic.js';
import { checkCacheAlgorithm } from '../../calibrators/cache.js';
import { Int8calError } from '../core/errors.js';
import { finishStage, requireTrusted, startStage } from '../run/manifest.js';
import { resolve } from 'node:path';
import { readHistogramFile } from '../run/histogram-file.js';
import { createAmaxRule } from '../../calibrators/registry.js';
import { defaultOf } from '../options.js';
import { runPath } from '../run/layout.js';
import { lockRun } from '../run/lock.js';
import { readRunJson, writeRunJson } from '../run/files.js';
import { checkRunManifest } from '../run/check.js';
import type { CalibrationResult } from '../run/schema.js';
import { calibrationFromHistograms, writeCalibration } from './calibration-output.js';

export interface RecalibrateOptions {
  /** Run directory holding histograms.bin, run.json and model.fp32.onnx. */
  from: string;
  /** Run directory to write (may be the same). */
  out: string;
  calibrator?: string;
  percentile?: number;
  trtVersion?: number;
  cacheHeader?: string;
}

/**
 * Recomputes scales from a run's saved histograms without running the model: a calibrator
 * sweep costs no inference. The same calibrator reproduces the cache byte for byte.
 */
export async function recalibrate(options: RecalibrateOptions): Promise<CalibrationResult> {
  const from = resolve(options.from);
  const out = resolve(options.out);
  const calibratorName = options.calibrator ?? defaultOf('calibrator');
  const percentile = options.percentile ?? defaultOf('percentile');
  if (options.percentile !== undefined && calibratorName !== 'percentile') {
    throw new Int8calError('CONFLICTING_OPTIONS', `--percentile ${options.percentile} applies only to --calibrator percentile (the calibrator is ${calibratorName})`, { hint: 'add --calibrator percentile, or drop --percentile' });
  }
  checkCacheAlgorithm(options.cacheHeader ?? defaultOf('cacheHeader'));
  await requireTrusted(from, ['run', 'fp32', 'histograms']);
  const run = await readRunJson(from, 'run', checkRunManifest, 'calibrate');
  const set = await readHistogramFile(runPath(from, 'histograms'));
  const lock = await lockRun(out);
  try {
    await startStage(out, 'calibrate');
    const rule = createAmaxRule(calibratorName, { percentile });
    const header = { trtVersion: options.trtVersion ?? defaultOf('trtVersion'), algorithm: options.cacheHeader ?? defaultOf('cacheHeader') };
    const calibration = await calibrationFromHistograms(set.tensors, rule, set.mode, header);
    if (from !== out) {
      await copyFileAtomic(runPath(from, 'fp32'), runPath(out, 'fp32'));
      await copyFileAtomic(runPath(from, 'histograms'), runPath(out, 'histograms'));
    }
    await writeCalibration(out, calibration);
    await writeRunJson(out, 'run', { ...run, calibration: { ...run.calibration, calibrator: calibratorName, percentile } });
    await finishStage(out, 'calibrate', ['run', 'fp32', 'histograms', 'calibration', 'cache'], []);
    return calibration;
  } finally {
    await lock.release();
  }
}
