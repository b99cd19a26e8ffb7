import { candidateRule, type AutoCandidate } from '../../../calibrators/auto.js';
import { readHistogramFile } from '../../run/histogram-file.js';
import { pooledPsnr, toDecibels } from '../../metrics/psnr.js';
import { encodeModel, loadModel } from '../../onnx/model-file.js';
import { buildInt8, placementOf } from '../../onnx/qdq/index.js';
import type { ProgressCallback } from '../../core/progress.js';
import { checkCalibration } from '../../run/check.js';
import { readRunJson } from '../../run/files.js';
import { runPath } from '../../run/layout.js';
import { amendStage } from '../../run/manifest.js';
import type { AutoSummary, CalibrationResult } from '../../run/schema.js';
import type { CalibrateOptions } from '../calibrate.js';
import { calibrationFromHistograms, writeCalibration } from '../calibration-output.js';
import { progressOf, type AccuracyTarget, type TargetMetric, type TargetMetrics } from './accuracy-target.js';
import { CONFIRM_CANDIDATES } from './candidates.js';
import { crossFit, type CrossFit } from './cross-fit.js';
import type { AccuracyProbe } from './probe.js';

export { CONFIRM_CANDIDATES } from './candidates.js';

interface Scored {
  calibrator: string;
  calibration: CalibrationResult;
  metrics: TargetMetrics;
  psnrPerImage: number[];
}

/**
 * `run`'s check of `--calibrator auto` on evaluation images: the per-tensor choice and every
 * single calibrator, each built (TensorRT placement) and scored on the probe's subset; the best
 * for this model (target's first metric, then PSNR) is kept in calibration.json, with every
 * score. With `crossFitOn` (`--calibrator-check cross-fit`: the run's calibrate options), the
 * candidates the choosing images cannot tell from the best (`tiedWithBest`) are decided by their
 * PSNR pooled over those images and the calibration images, cross-fitted. A run calibrated with
 * a named calibrator is left alone (returns undefined).
 */
export async function confirmAutoCalibration(runDir: string, probe: AccuracyProbe, target: AccuracyTarget, onProgress?: ProgressCallback, crossFitOn?: CalibrateOptions): Promise<CalibrationResult | undefined> {
  const current = await readRunJson(runDir, 'calibration', checkCalibration, 'calibrate');
  if (current.calibrator !== 'auto' || !current.auto) return undefined;
  const set = await readHistogramFile(runPath(runDir, 'histograms'));
  const fp32 = await loadModel(runPath(runDir, 'fp32'));
  const scored: Scored[] = [];
  for (const [done, name] of CONFIRM_CANDIDATES.entries()) {
    onProgress?.({ stage: 'check auto calibrator', done, total: CONFIRM_CANDIDATES.length, unit: 'calibrators' });
    const calibration = name === 'auto (per tensor)' ? current : await singleCalibration(name, set, current);
    const amax = new Map(Object.entries(calibration.tensors).map(([n, t]) => [n, t.amax]));
    const engine = await probe.open(encodeModel(buildInt8(fp32, amax, { placement: 'tensorrt' }).model), placementOf('tensorrt').qdqOnOrt);
    try {
      scored.push({ calibrator: name, calibration, ...(await probe.scoreImages(engine)) });
    } finally {
      await engine.dispose();
    }
  }
  const rank = (m: TargetMetrics) => [progressOf(m, target), m.psnr ?? -Infinity] as const;
  const better = (a: Scored, b: Scored) => { const [x, y] = [rank(a.metrics), rank(b.metrics)]; return x[0] > y[0] || (x[0] === y[0] && x[1] > y[1]); };
  const best = scored.reduce((b, s) => (better(s, b) ? s : b));
  const fit = crossFitOn ? await crossFit(crossFitOn, runDir, onProgress) : undefined;
  const tied = fit ? tiedWithBest(scored, best, target) : [best];
  const pooled = (s: Scored) => pooledPsnr([...fit!.scores.find((c) => c.calibrator === s.calibrator)!.psnrPerImage, ...s.psnrPerImage]);
  const kept = fit ? tied.reduce((b, s) => (pooled(s) > pooled(b) ? s : b)) : best;
  const runnerUp = scored.filter((s) => s !== kept).reduce((b, s) => (better(s, b) ? s : b));
  const confirmed = confirmedRecord(scored, kept, runnerUp, probe, target.conditions[0]!.metric);
  if (fit) confirmed.crossFit = crossFitRecord(fit, tied);
  const result: CalibrationResult = { ...kept.calibration, calibrator: 'auto', auto: { ...current.auto, confirmed } };
  await writeCalibration(runDir, result);
  await amendStage(runDir, 'calibrate');
  return result;
}

/** Per-image PSNR clamped so that ∞ (identical outputs) and −∞ can be differenced. */
const clampDb = (db: number) => Math.max(-20, Math.min(80, db));
/** Standard errors the paired per-image difference may lie below zero and still count as a tie. */
const TIE_STANDARD_ERRORS = 2;

/**
 * The candidates the choosing images cannot tell from `best`: the same value of the target's
 * metric (unless that is PSNR), and a mean paired per-image PSNR difference within 2 standard errors of zero (or
 * above). With 3 images and heavy-tailed per-image PSNR (a classifier's flipped image), that is
 * most of them — which is the point: their order on so few images is mostly which images.
 */
export function tiedWithBest<T extends { metrics: TargetMetrics; psnrPerImage: number[] }>(scored: readonly T[], best: T, target: AccuracyTarget): T[] {
  return scored.filter((s) => {
    if (s === best) return true;
    const sameTargetMetric = target.conditions[0]!.metric === 'psnr' || progressOf(s.metrics, target) === progressOf(best.metrics, target);
    if (!sameTargetMetric || s.psnrPerImage.length !== best.psnrPerImage.length || !s.psnrPerImage.length) return false;
    const d = s.psnrPerImage.map((db, i) => clampDb(db) - clampDb(best.psnrPerImage[i]!));
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, d.length - 1));
    return mean + (TIE_STANDARD_ERRORS * sd) / Math.sqrt(d.length) >= 0;
  });
}

function crossFitRecord(fit: CrossFit, tied: readonly Scored[]): NonNullable<NonNullable<AutoSummary['confirmed']>['crossFit']> {
  return {
    data: fit.data, folds: fit.foldImages.length, samples: fit.foldImages.flat(), tied: tied.map((s) => s.calibrator),
    psnr: fit.scores.map((s) => ({ calibrator: s.calibrator, value: toDecibels(Math.round(pooledPsnr(s.psnrPerImage) * 100) / 100) })),
  };
}

/**
 * calibration.json's `auto.confirmed`: every candidate's score (and worst-output PSNR per
 * choosing image), the one kept, and how consistently it beat the runner-up image by image —
 * a lead on the pooled metric that only some images share is one the next photos may not.
 */
function confirmedRecord(scored: readonly Scored[], kept: Scored, runnerUp: Scored, probe: AccuracyProbe, metric: TargetMetric): NonNullable<AutoSummary['confirmed']> {
  const value = (m: TargetMetrics) => (metric === 'psnr' ? toDecibels(m.psnr ?? -Infinity) : m[metric] ?? 0);
  const images = Math.min(kept.psnrPerImage.length, runnerUp.psnrPerImage.length);
  const wins = kept.psnrPerImage.slice(0, images).filter((db, i) => db > runnerUp.psnrPerImage[i]!).length;
  return {
    metric, images: probe.imageCount, data: probe.choice.data, samples: probe.choice.samples, kept: kept.calibrator,
    scores: scored.map((s) => ({
      calibrator: s.calibrator, value: value(s.metrics), ...(metric !== 'psnr' && s.metrics.psnr !== undefined ? { psnr: toDecibels(s.metrics.psnr) } : {}),
      psnrPerImage: s.psnrPerImage.map((db) => toDecibels(Math.round(db * 100) / 100)),
    })),
    runnerUp: { calibrator: runnerUp.calibrator, value: value(runnerUp.metrics), psnrWins: wins, images },
  };
}

/** A single candidate's scales from the histograms; tensors keep auto's per-candidate record. */
async function singleCalibration(name: AutoCandidate, set: Awaited<ReturnType<typeof readHistogramFile>>, auto: CalibrationResult): Promise<CalibrationResult> {
  const single = await calibrationFromHistograms(set.tensors, candidateRule(name), set.mode, auto.cacheHeader);
  for (const [tensor, t] of Object.entries(single.tensors)) {
    t.calibrator = name;
    if (auto.tensors[tensor]?.auto) t.auto = auto.tensors[tensor]!.auto;
  }
  return single;
}
