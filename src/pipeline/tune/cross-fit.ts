import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Auto, candidateRule, type AutoCandidate } from '../../../calibrators/auto.js';
import { CONFIRM_CANDIDATES, type ConfirmCandidate } from './candidates.js';
import type { AmaxRule } from '../../../calibrators/amax-rule.js';
import type { ProgressCallback } from '../../core/progress.js';
import { encodeModel, loadModel } from '../../onnx/model-file.js';
import { buildInt8, placementOf } from '../../onnx/qdq/index.js';
import { defaultOf } from '../../options.js';
import { Int8calError } from '../../core/errors.js';
import { isTensorFile } from '../../../datasets/tensors/index.js';
import { checkShardManifest } from '../../run/check.js';
import { readRunJson } from '../../run/files.js';
import { readHistogramFile } from '../../run/histogram-file.js';
import { runPath } from '../../run/layout.js';
import { calibrate, type CalibrateOptions } from '../calibrate.js';
import { calibrationFromHistograms } from '../calibration-output.js';
import type { TargetMetrics } from './accuracy-target.js';
import { AccuracyProbe } from './probe.js';


/** How many folds the calibration images are split into. */
export const CROSS_FIT_FOLDS = 2;

/** One candidate's scores: `folds[k]` = scales from every fold but k, scored on fold k's images. */
export interface CrossFitScore {
  calibrator: ConfirmCandidate;
  folds: TargetMetrics[];
  /** Each fold image's PSNR of the worst output (dB), fold after fold. */
  psnrPerImage: number[];
}

export interface CrossFit {
  /** Calibration images of each fold (absolute paths), in order. */
  foldImages: string[][];
  data: string;
  scores: CrossFitScore[];
}

export function ruleOf(name: ConfirmCandidate): AmaxRule {
  return name === 'auto (per tensor)' ? new Auto() : candidateRule(name as AutoCandidate);
}

/** `--calibrator-check cross-fit` splits the calibration into `calibrate --shard` runs: refuses, before calibrating, what can't be. */
export function checkCrossFittable(o: CalibrateOptions): void {
  const why = (o.calibrator ?? defaultOf('calibrator')) !== 'auto' ? `--calibrator ${o.calibrator} (the check is of --calibrator auto)`
    : (o.histogram ?? defaultOf('histogram')) !== 'exact' ? `--histogram ${o.histogram} (folds need exact histograms)`
      : o.cache !== undefined ? '--cache (no images are calibrated)'
        : o.source || !o.data || isTensorFile(o.data) ? 'calibration data that is not a folder of images' : undefined;
  if (why) {
    throw new Int8calError('BAD_CALIBRATOR_CHECK', `--calibrator-check cross-fit does not apply with ${why}`, { hint: 'use --calibrator-check evaluation (the default)' });
  }
}

/**
 * Cross-fitted check of the calibrators on the calibration images: the images are split into
 * folds (`calibrate --shard k/n`, exact histograms), each candidate's scales come from the
 * other folds' histograms and are scored (TensorRT placement, against fp32) on the held-out
 * fold's images. No evaluation image is used, and no image scores scales it helped fit.
 */
export async function crossFit(options: CalibrateOptions, runDir: string, onProgress?: ProgressCallback): Promise<CrossFit> {
  const work = await mkdtemp(join(tmpdir(), 'int8cal-cross-fit-'));
  try {
    const shards: string[] = [];
    for (let k = 1; k <= CROSS_FIT_FOLDS; k++) {
      const out = join(work, `shard-${k}`);
      await calibrate({ ...options, out, shard: { index: k, count: CROSS_FIT_FOLDS }, onProgress: undefined, onWarning: undefined });
      shards.push(out);
    }
    const manifests = await Promise.all(shards.map((s) => readRunJson(s, 'run', checkShardManifest, 'calibrate --shard')));
    const data = resolve(manifests[0]!.calibration.data);
    const foldImages = manifests.map((m) => m.calibration.images.map((f) => resolve(data, f)));
    const histograms = await Promise.all(shards.map((s) => readHistogramFile(runPath(s, 'histograms'))));
    const fp32 = await loadModel(runPath(runDir, 'fp32'));
    const scores: CrossFitScore[] = CONFIRM_CANDIDATES.map((calibrator) => ({ calibrator, folds: [], psnrPerImage: [] }));
    for (let k = 0; k < CROSS_FIT_FOLDS; k++) {
      const folder = await linkFolder(foldImages[k]!, join(work, `fold-${k + 1}`));
      const probe = await AccuracyProbe.create({ ...options, run: runDir, data: folder, images: foldImages[k]!.length });
      try {
        const fit = otherFolds(histograms, k);
        for (const [i, name] of CONFIRM_CANDIDATES.entries()) {
          onProgress?.({ stage: 'cross-fit calibrators', done: k * CONFIRM_CANDIDATES.length + i, total: CROSS_FIT_FOLDS * CONFIRM_CANDIDATES.length, unit: 'models' });
          const calibration = await calibrationFromHistograms(fit.tensors, ruleOf(name), fit.mode, HEADER);
          const amax = new Map(Object.entries(calibration.tensors).map(([n, t]) => [n, t.amax]));
          const engine = await probe.open(encodeModel(buildInt8(fp32, amax, { placement: 'tensorrt' }).model), placementOf('tensorrt').qdqOnOrt);
          try {
            const scored = await probe.scoreImages(engine);
            scores[i]!.folds.push(scored.metrics);
            scores[i]!.psnrPerImage.push(...scored.psnrPerImage);
          } finally {
            await engine.dispose();
          }
        }
      } finally {
        await probe.dispose();
      }
    }
    return { foldImages, data, scores };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Only the amax of these calibrations is used: the cache header is never written. */
const HEADER = { trtVersion: defaultOf('trtVersion'), algorithm: defaultOf('cacheHeader') };

type HistogramSet = Awaited<ReturnType<typeof readHistogramFile>>;

/** The sum of every fold's histograms but fold k (with 2 folds: the other one). */
function otherFolds(sets: readonly HistogramSet[], k: number): HistogramSet {
  const others = sets.filter((_, i) => i !== k);
  if (others.length !== 1) throw new Error('cross-fit: only 2 folds are implemented');
  return others[0]!;
}

/** A folder of links to `files` (names prefixed by their index: distinct, in the same order). */
async function linkFolder(files: readonly string[], dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [i, f] of files.entries()) await symlink(f, join(dir, `${String(i).padStart(5, '0')}-${basename(f)}`));
  return dir;
}
