import { AUTO_CANDIDATES, candidateRule, type AutoCandidate } from '../../../calibrators/auto.js';
import { readHistogramFile } from '../../run/histogram-file.js';
import { toDecibels } from '../../metrics/psnr.js';
import { encodeModel, loadModel } from '../../onnx/model-file.js';
import { buildInt8 } from '../../onnx/qdq/index.js';
import type { ProgressCallback } from '../../core/progress.js';
import { checkCalibration } from '../../run/check.js';
import { readRunJson } from '../../run/files.js';
import { runPath } from '../../run/layout.js';
import { amendStage } from '../../run/manifest.js';
import type { AutoSummary, CalibrationResult } from '../../run/schema.js';
import { calibrationFromHistograms, writeCalibration } from '../calibration-output.js';
import { progressOf, type AccuracyTarget, type TargetMetric, type TargetMetrics } from './accuracy-target.js';
import type { AccuracyProbe } from './probe.js';

/** The per-tensor choice, then each single calibrator, in this order (ties keep the earlier). */
export const CONFIRM_CANDIDATES = ['auto (per tensor)', ...AUTO_CANDIDATES] as const;

/**
 * `run`/`tune` check of `--calibrator auto` on evaluation images: the per-tensor choice and
 * every single calibrator, each built (TensorRT placement) and scored on the probe's subset;
 * the best for this model (target's first metric, then PSNR) is kept in calibration.json,
 * with every score. A run calibrated with a named calibrator is left alone (returns undefined).
 */
export async function confirmAutoCalibration(runDir: string, probe: AccuracyProbe, target: AccuracyTarget, onProgress?: ProgressCallback): Promise<CalibrationResult | undefined> {
  const current = await readRunJson(runDir, 'calibration', checkCalibration, 'calibrate');
  if (current.calibrator !== 'auto' || !current.auto) return undefined;
  const set = await readHistogramFile(runPath(runDir, 'histograms'));
  const fp32 = await loadModel(runPath(runDir, 'fp32'));
  const scored: Scored[] = [];
  for (const [done, name] of CONFIRM_CANDIDATES.entries()) {
    onProgress?.({ stage: 'check auto calibrator', done, total: CONFIRM_CANDIDATES.length, unit: 'calibrators' });
    const calibration = name === 'auto (per tensor)' ? current : await singleCalibration(name, set, current);
    const amax = new Map(Object.entries(calibration.tensors).map(([n, t]) => [n, t.amax]));
    const engine = await probe.open(encodeModel(buildInt8(fp32, amax, { placement: 'tensorrt' }).model));
    try {
      scored.push({ calibrator: name, calibration, ...(await probe.scoreImages(engine)) });
    } finally {
      await engine.dispose();
    }
  }
  const rank = (m: TargetMetrics) => [progressOf(m, target), m.psnr ?? -Infinity] as const;
  const better = (a: TargetMetrics, b: TargetMetrics) => { const [x, y] = [rank(a), rank(b)]; return x[0] > y[0] || (x[0] === y[0] && x[1] > y[1]); };
  const kept = scored.reduce((best, s) => (better(s.metrics, best.metrics) ? s : best));
  const runnerUp = scored.filter((s) => s !== kept).reduce((best, s) => (better(s.metrics, best.metrics) ? s : best));
  const confirmed = confirmedRecord(scored, kept, runnerUp, probe, target.conditions[0]!.metric);
  const result: CalibrationResult = { ...kept.calibration, calibrator: 'auto', auto: { ...current.auto, confirmed } };
  await writeCalibration(runDir, result);
  await amendStage(runDir, 'calibrate');
  return result;
}

interface Scored {
  calibrator: string;
  calibration: CalibrationResult;
  metrics: TargetMetrics;
  psnrPerImage: number[];
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
