import { resolve } from 'node:path';
import { Int8calError } from '../../core/errors.js';
import { loadModel } from '../../onnx/model-file.js';
import { buildInt8, placementOf, type Placement } from '../../onnx/qdq/index.js';
import { defaultOf } from '../../options.js';
import { resolveOrtWeightBits } from '../../engines/ort-int8-kernels.js';
import { checkCalibration } from '../../run/check.js';
import { readRunJson, writeRunJson } from '../../run/files.js';
import { finishStage, requireTrusted, startStage } from '../../run/manifest.js';
import { runPath } from '../../run/layout.js';
import { lockRun } from '../../run/lock.js';
import type { BuildJson } from '../build.js';
import { parseAccuracyTarget, unsupportedMetrics } from './accuracy-target.js';
import { AccuracyProbe } from './probe.js';
import { tunePlacement, type SearchContext } from './placement-search.js';
import type { PlacementTune, TuneOptions, TuneResult } from './types.js';

export type { PlacementTune, TuneOptions, TuneResult, TuneStep } from './types.js';

/** Calibration images every candidate is also scored on (the check set). */
export const CHECK_IMAGES = 8;

/**
 * Mixed precision to an accuracy target: ranks the quantized nodes by output-referred
 * sensitivity, then greedily keeps nodes in float until the target holds and prunes the ones it
 * holds without, every step a real Q/DQ model scored on the tune images (and the path timed, for
 * ort-cpu). Writes RUN/tune.json and the tuned model of each placement.
 */
export async function tune(options: TuneOptions): Promise<TuneResult> {
  const runDir = resolve(options.run);
  const target = parseAccuracyTarget(options.accuracyTarget);
  const targets = options.targets ?? (defaultOf('target') as Placement[]);
  const maxEvaluations = options.maxEvaluations ?? defaultOf('maxEvaluations');
  const probe = await AccuracyProbe.create({
    ...options, run: runDir, images: options.tuneImages ?? defaultOf('tuneImages'), pd: target.conditions.some((c) => c.metric === 'pd'),
    checkImages: CHECK_IMAGES,
  });
  const lock = await lockRun(runDir);
  try {
    const missing = unsupportedMetrics(target, probe.metrics);
    if (missing.length) {
      throw new Int8calError('BAD_ACCURACY_TARGET', `--accuracy-target names ${missing.join(', ')}, which task ${probe.task} does not measure`, {
        hint: `metrics here: ${probe.metrics.join(', ')}`,
      });
    }
    await requireTrusted(runDir, ['fp32', 'calibration', 'build']);
    await startStage(runDir, 'tune');
    const fp32 = await loadModel(runPath(runDir, 'fp32'));
    const calibration = await readRunJson(runDir, 'calibration', checkCalibration, 'calibrate');
    const amax = new Map(Object.entries(calibration.tensors).map(([n, t]) => [n, t.amax]));
    const ranges = new Map(Object.entries(calibration.tensors).flatMap(([n, t]) => (t.min !== undefined && t.max !== undefined ? [[n, { min: t.min, max: t.max }] as const] : [])));
    // The tuned ort-cpu model keeps the weights of the int8-ort model it starts from.
    const built = await readRunJson(runDir, 'build', (value) => value as BuildJson, 'build');
    const ortWeightBits = resolveOrtWeightBits(options.ortWeightBits ?? built.variants['int8-ort']?.options?.ortWeightBits ?? defaultOf('ortWeightBits'));
    const ctx: SearchContext = { options, probe, target, fp32, floatTensors: new Set(Object.keys(calibration.tensors)), amax, maxEvaluations,
      build: (placement, exclude) => buildInt8(fp32, amax, { placement, exclude, ranges, perTensorWeights: options.perTensorWeights, ortWeightBits }) };
    const placements: PlacementTune[] = [];
    for (const placement of targets) placements.push(await tunePlacement(ctx, placement, runDir));
    const result: TuneResult = { schema: 'int8cal/tune', version: 1, target, images: probe.imageCount, chosenOn: probe.choice, ...(probe.check ? { checkedOn: probe.check } : {}), task: probe.task, placements };
    await writeRunJson(runDir, 'tune', result);
    const written = placements.map((p) => placementOf(p.placement).tunedRunFile);
    await finishStage(runDir, 'tune', ['tune', ...written], ['fp32', 'calibration', 'build']);
    return result;
  } finally {
    await probe.dispose();
    await lock.release();
  }
}
