import { calibrate, type CalibrateOptions } from './calibrate.js';
import { build, type BuildOptions } from './build.js';
import { tensorRtPreflight } from './build-tensorrt.js';
import { evaluate, type EvaluateOptions } from './evaluate/index.js';
import { report, type ReportPaths } from './report.js';
import { tune, type TuneOptions } from './tune/index.js';
import { defaultAccuracyTarget, meetsTarget, parseAccuracyTarget, toJsonMetrics, type AccuracyTarget } from './tune/accuracy-target.js';
import { confirmAutoCalibration } from './tune/confirm-calibrator.js';
import { checkCrossFittable } from './tune/cross-fit.js';
import type { CalibratorCheck } from '../../calibrators/auto.js';
import { AccuracyProbe, targetMetricsOf } from './tune/probe.js';
import { resolve } from 'node:path';
import { listImages } from '../../datasets/images/index.js';
import { isTensorFile } from '../../datasets/tensors/index.js';
import { defaultOf } from '../options.js';
import { writeRunJson } from '../run/files.js';
import { amendStage } from '../run/manifest.js';
import type { Results } from '../../reports/results-schema.js';

export type RunOptions = CalibrateOptions
  & Omit<BuildOptions, 'run' | 'cache'>
  & Omit<EvaluateOptions, 'run' | 'data'>
  & Pick<TuneOptions, 'maxEvaluations' | 'tuneImages' | 'tuneIterations'>
  & {
    /** Evaluation images (distinct from the calibration images in `data`). */
    evalData: string;
    baseline?: string;
    /** How auto's calibrator check decides (see confirmAutoCalibration); default 'evaluation'. */
    calibratorCheck?: CalibratorCheck;
    /** Pass condition; when given, tune runs after build and its variants are evaluated too. */
    accuracyTarget?: string;
    baselineForce?: boolean;
  };

export interface RunSummary {
  results: Results;
  report: ReportPaths;
}

/**
 * How many of the evaluation images (the first, sorted) choose — auto's calibrator check and
 * tune — at most half of them: evaluate holds those out, so the rest judge on unseen images.
 */
async function choosingImages(evalData: string, requested: number, maxImages?: number): Promise<number> {
  if (isTensorFile(evalData)) return requested;
  const total = Math.min((await listImages(resolve(evalData))).length, maxImages ?? Infinity);
  return Math.max(1, Math.min(requested, Math.floor(total / 2)));
}

/**
 * calibrate → (auto: check the calibrator on the evaluation images) → build → (tune, with an
 * accuracy target) → evaluate → report, each stage reading what the previous one wrote. Every
 * variant is judged against the target: the user's, or the task's default.
 */
export async function runPipeline(options: RunOptions): Promise<RunSummary> {
  if (options.engine === 'tensorrt') tensorRtPreflight(); // no GPU: fail before calibrating
  const crossFitOn = (options.calibratorCheck ?? defaultOf('calibratorCheck')) === 'cross-fit' ? options : undefined;
  if (crossFitOn) checkCrossFittable(crossFitOn);
  await calibrate(options);
  const run = options.out;
  const userTarget = options.accuracyTarget ? parseAccuracyTarget(options.accuracyTarget) : undefined;
  const tuneImages = await choosingImages(options.evalData, options.tuneImages ?? defaultOf('tuneImages'), options.maxImages);
  const probe = await AccuracyProbe.create({ ...options, run, data: options.evalData, images: tuneImages });
  let target: AccuracyTarget;
  try {
    target = userTarget ?? defaultAccuracyTarget(probe.task);
    await confirmAutoCalibration(run, probe, target.conditions.some((c) => c.metric === 'pd') ? defaultAccuracyTarget(probe.task) : target, options.onProgress, crossFitOn);
  } finally {
    await probe.dispose();
  }
  await build({ ...options, run });
  if (userTarget) await tune({ ...options, run, data: options.evalData, accuracyTarget: userTarget.expression, tuneImages });
  const evaluated = await evaluate({ ...options, run, data: options.evalData });
  const results: Results = {
    ...evaluated,
    accuracyTarget: {
      expression: target.expression, source: target.source,
      variants: evaluated.variants.filter((v) => v.name !== evaluated.reference).map((v) => {
        const metrics = targetMetricsOf(v.outputs, v.detection);
        return { name: v.name, meets: meetsTarget(metrics, target), metrics: toJsonMetrics(metrics) };
      }),
    },
  };
  await writeRunJson(run, 'results', results);
  await amendStage(run, 'evaluate');
  return { results, report: await report({ run, baseline: options.baseline, baselineForce: options.baselineForce }) };
}
