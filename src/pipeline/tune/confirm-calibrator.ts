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
import type { CalibrationResult } from '../../run/schema.js';
import { calibrationFromHistograms, writeCalibration } from '../calibration-output.js';
import { progressOf, type AccuracyTarget, type TargetMetrics } from './accuracy-target.js';
import type { AccuracyProbe } from './probe.js';

/** The per-tensor choice, then each single calibrator, in this order (ties keep the earlier). */
const CONFIRM_CANDIDATES = ['auto (per tensor)', ...AUTO_CANDIDATES] as const;

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
  const scored: { calibrator: string; calibration: CalibrationResult; metrics: TargetMetrics }[] = [];
  for (const [done, name] of CONFIRM_CANDIDATES.entries()) {
    onProgress?.({ stage: 'check auto calibrator', done, total: CONFIRM_CANDIDATES.length, unit: 'calibrators' });
    const calibration = name === 'auto (per tensor)' ? current : await singleCalibration(name, set, current);
    const amax = new Map(Object.entries(calibration.tensors).map(([n, t]) => [n, t.amax]));
    const engine = await probe.open(encodeModel(buildInt8(fp32, amax, { placement: 'tensorrt' }).model));
    try {
      scored.push({ calibrator: name, calibration, metrics: await probe.score(engine) });
    } finally {
      await engine.dispose();
    }
  }
  const rank = (m: TargetMetrics) => [progressOf(m, target), m.psnr ?? -Infinity] as const;
  const better = (a: TargetMetrics, b: TargetMetrics) => { const [x, y] = [rank(a), rank(b)]; return x[0] > y[0] || (x[0] === y[0] && x[1] > y[1]); };
  const kept = scored.reduce((best, s) => (better(s.metrics, best.metrics) ? s : best));
  const metric = target.conditions[0]!.metric;
  const confirmed = {
    metric, images: probe.imageCount, data: probe.choice.data, samples: probe.choice.samples, kept: kept.calibrator,
    scores: scored.map((s) => ({ calibrator: s.calibrator, value: metric === 'psnr' ? toDecibels(s.metrics.psnr ?? -Infinity) : s.metrics[metric] ?? 0, ...(metric !== 'psnr' && s.metrics.psnr !== undefined ? { psnr: toDecibels(s.metrics.psnr) } : {}) })),
  };
  const result: CalibrationResult = { ...kept.calibration, calibrator: 'auto', auto: { ...current.auto, confirmed } };
  await writeCalibration(runDir, result);
  await amendStage(runDir, 'calibrate');
  return result;
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
