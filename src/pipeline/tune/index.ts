import { resolve } from 'node:path';
import { Int8calError } from '../../core/errors.js';
import { encodeModel, loadModel, saveModel } from '../../onnx/model-file.js';
import type { ModelProto } from '../../onnx/proto.js';
import { buildFp16 } from '../../onnx/fp16/index.js';
import { buildInt8, placementOf, type Placement } from '../../onnx/qdq/index.js';
import { defaultOf } from '../../options.js';
import type { ProgressCallback, WarningCallback } from '../../core/progress.js';
import { checkCalibration } from '../../run/check.js';
import { readRunJson, writeRunJson } from '../../run/files.js';
import { finishStage, requireTrusted, startStage } from '../../run/manifest.js';
import { runPath } from '../../run/layout.js';
import { lockRun } from '../../run/lock.js';
import type { TaskOptions } from '../evaluate/task.js';
import { fromJsonMetrics, meetsTarget, parseAccuracyTarget, progressOf, toJsonMetrics, unsupportedMetrics, type AccuracyTarget, type JsonMetrics, type TargetMetrics } from './accuracy-target.js';
import { AccuracyProbe } from './probe.js';
import { estimateSensitivity, type NodeSensitivity } from './sensitivity.js';

export interface TuneOptions extends Partial<Omit<TaskOptions, 'input'>> {
  /** Run directory with model.fp32.onnx and calibration.json. */
  run: string;
  /** Evaluation images (the first `tuneImages` are used). */
  data: string;
  /** Pass condition, e.g. "psnr>=30" or "f1>=0.95,cosine>=0.99". */
  accuracyTarget: string;
  targets?: readonly Placement[];
  /** Real evaluations per placement (sensitivity checks + greedy steps). */
  maxEvaluations?: number;
  tuneImages?: number;
  /** Timed runs per ort-cpu step. */
  tuneIterations?: number;
  threads?: number;
  perTensorWeights?: boolean;
  ortWeightBits?: 7 | 8;
  pdModel?: string;
  onProgress?: ProgressCallback;
  onWarning?: WarningCallback;
  signal?: AbortSignal;
}

/** One model of the search: which nodes are float, what it scored, what it costs. */
export interface TuneStep {
  /** Nodes kept in float (TensorRT placement: no Q/DQ, so TensorRT runs them in fp16). */
  floatNodes: string[];
  /** start: all int8; grow: the ranking's first 1, 2, 4… nodes float; bisect: the shortest prefix that holds. */
  phase: 'start' | 'grow' | 'bisect';
  metrics: JsonMetrics;
  meetsTarget: boolean;
  /** p50 ÷ fp32 on ONNX Runtime CPU (ort-cpu); null where the placement's latencyNote says why (TensorRT). */
  latencyRatio: number | null;
  latencyNote?: string;
}

export interface PlacementTune {
  placement: Placement;
  /** int8-tuned (TensorRT placement) or int8-ort-tuned (ort-cpu). */
  variant: string;
  file: string;
  reached: boolean;
  /** Index in `steps` of the written model: the first that meets the target, else the best. */
  chosen: number;
  steps: TuneStep[];
  sensitivity: NodeSensitivity[];
  quantizedNodes: number;
  /** Real evaluations spent (sensitivity checks + steps), vs one per node for "keep one node float" over all. */
  evaluations: number;
  /** Whether the metric never dropped as more nodes went float (steps sorted by float nodes). */
  monotone: boolean;
  /** When not reached: the fp16 model's metrics on the same images (the ceiling short of fp32). */
  fp16?: { metrics: JsonMetrics; meetsTarget: boolean };
}

export interface TuneResult {
  schema: 'int8cal/tune';
  version: 1;
  target: AccuracyTarget;
  images: number;
  task: string;
  placements: PlacementTune[];
}


/**
 * Mixed precision to an accuracy target: ranks the quantized nodes by sensitivity (one-pass
 * estimate, the top ones confirmed by real evaluations), then greedily keeps the most sensitive
 * in float until the target holds, every step a real Q/DQ model scored on the evaluation subset
 * (and timed, for ort-cpu). Writes RUN/tune.json and the tuned model of each placement.
 */
export async function tune(options: TuneOptions): Promise<TuneResult> {
  const runDir = resolve(options.run);
  const target = parseAccuracyTarget(options.accuracyTarget);
  const targets = options.targets ?? (defaultOf('target') as Placement[]);
  const maxEvaluations = options.maxEvaluations ?? defaultOf('maxEvaluations');
  const probe = await AccuracyProbe.create({
    ...options, run: runDir, images: options.tuneImages ?? defaultOf('tuneImages'), pd: target.conditions.some((c) => c.metric === 'pd'),
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
    const ctx: SearchContext = { options, probe, target, fp32, floatTensors: new Set(Object.keys(calibration.tensors)), amax, maxEvaluations,
      build: (placement, exclude) => buildInt8(fp32, amax, { placement, exclude, ranges, perTensorWeights: options.perTensorWeights, ortWeightBits: options.ortWeightBits }) };
    const placements: PlacementTune[] = [];
    for (const placement of targets) placements.push(await tunePlacement(ctx, placement, runDir));
    const result: TuneResult = { schema: 'int8cal/tune', version: 1, target, images: probe.imageCount, task: probe.task, placements };
    await writeRunJson(runDir, 'tune', result);
    const written = placements.map((p) => placementOf(p.placement).tunedRunFile);
    await finishStage(runDir, 'tune', ['tune', ...written], ['fp32', 'calibration', 'build']);
    return result;
  } finally {
    await probe.dispose();
    await lock.release();
  }
}

interface SearchContext {
  options: TuneOptions;
  probe: AccuracyProbe;
  target: AccuracyTarget;
  fp32: ModelProto;
  floatTensors: ReadonlySet<string>;
  amax: ReadonlyMap<string, number>;
  maxEvaluations: number;
  build: (placement: Placement, exclude: string[]) => ReturnType<typeof buildInt8>;
}

async function tunePlacement(ctx: SearchContext, placement: Placement, runDir: string): Promise<PlacementTune> {
  const { options, probe, target } = ctx;
  const spec = placementOf(placement);
  const stage = `tune ${placement}`;
  const base = ctx.build(placement, []);
  const quantized = base.report.quantized;
  options.onProgress?.({ stage: `${stage}: sensitivity`, done: 0, total: ctx.maxEvaluations, unit: 'evaluations' });
  const sensitivity = await estimateSensitivity(ctx.fp32, base.model, quantized, ctx.floatTensors, ctx.amax, probe.feedsForEstimate, options.threads ?? defaultOf('threads'));
  let evaluations = 0;
  const evaluate = async (floatNodes: string[], model?: ModelProto, optimization: 'all' | 'basic' = 'all'): Promise<{ metrics: TargetMetrics; model: ModelProto; latencyRatio: number | null }> => {
    options.signal?.throwIfAborted();
    const built = model ?? ctx.build(placement, floatNodes).model;
    const engine = await probe.open(encodeModel(built), optimization);
    try {
      const metrics = await probe.score(engine);
      const latencyRatio = spec.latencyNote === undefined ? await probe.latencyRatio(engine, options.tuneIterations ?? defaultOf('tuneIterations')) : null;
      evaluations += 1;
      options.onProgress?.({ stage, done: evaluations, total: ctx.maxEvaluations, unit: 'evaluations' });
      return { metrics, model: built, latencyRatio };
    } finally {
      await engine.dispose();
    }
  };
  const start = await evaluate([], base.model);
  const step = (floatNodes: string[], r: { metrics: TargetMetrics; latencyRatio: number | null }, phase: TuneStep['phase']): TuneStep => ({
    floatNodes, phase, metrics: toJsonMetrics(r.metrics), meetsTarget: meetsTarget(r.metrics, target),
    latencyRatio: r.latencyRatio, ...(spec.latencyNote ? { latencyNote: spec.latencyNote } : {}),
  });
  const steps: TuneStep[] = [step([], start, 'start')];
  const models = new Map<number, ModelProto>([[0, start.model]]);
  const order = steps[0]!.meetsTarget ? [] : await confirmedOrder(sensitivity, ctx, evaluate, progressOf(start.metrics, target));
  // Grow the float prefix of the ranking by doubling until the target holds, then bisect
  // for the shortest prefix that holds: ~2·log2(nodes) evaluations instead of one per node.
  const tryPrefix = async (k: number, phase: TuneStep['phase']): Promise<boolean> => {
    const floatNodes = order.slice(0, k).map((e) => e.node);
    const r = await evaluate(floatNodes);
    steps.push(step(floatNodes, r, phase));
    models.set(k, r.model);
    return steps.at(-1)!.meetsTarget;
  };
  let fails = 0;
  let holds: number | undefined = steps[0]!.meetsTarget ? 0 : undefined;
  const budgetLeft = () => evaluations < ctx.maxEvaluations;
  for (let k = 1; order.length && holds === undefined && budgetLeft(); k = Math.min(order.length, k * 2)) {
    if (await tryPrefix(k, 'grow')) holds = k;
    else fails = k;
    if (k === order.length) break;
  }
  while (holds !== undefined && holds - fails > 1 && budgetLeft()) {
    const mid = Math.floor((fails + holds) / 2);
    if (await tryPrefix(mid, 'bisect')) holds = mid;
    else fails = mid;
  }
  const prefixOf = (s: TuneStep) => s.floatNodes.length;
  const best = steps.reduce((b, s, i) => (progressOf(fromJsonMetrics(s.metrics), target) > progressOf(fromJsonMetrics(steps[b]!.metrics), target) ? i : b), 0);
  const chosen = holds !== undefined ? steps.findIndex((s) => s.meetsTarget && prefixOf(s) === holds) : best;
  await saveModel(models.get(prefixOf(steps[chosen]!))!, runPath(runDir, spec.tunedRunFile));
  const byPrefix = [...steps].sort((a, b) => prefixOf(a) - prefixOf(b));
  const monotone = byPrefix.every((s, i) => i === 0 || progressOf(fromJsonMetrics(s.metrics), target) >= progressOf(fromJsonMetrics(byPrefix[i - 1]!.metrics), target));
  const fp16 = holds === undefined ? await evaluate([], buildFp16(ctx.fp32), 'basic')
    .then((r) => ({ metrics: toJsonMetrics(r.metrics), meetsTarget: meetsTarget(r.metrics, target) })) : undefined;
  const reachedAt = holds;
  return {
    placement, variant: spec.tunedVariant, file: runPath('', spec.tunedRunFile),
    reached: reachedAt !== undefined, chosen, steps, sensitivity, quantizedNodes: quantized.length, evaluations, monotone, ...(fp16 ? { fp16 } : {}),
  };
}

type Evaluate = (floatNodes: string[]) => Promise<{ metrics: TargetMetrics }>;

/** Nodes checked one at a time ("only this node in float") before the search. */
export const SENSITIVITY_CHECKS = 4;

/**
 * The estimate's top nodes, each measured alone in float (within a quarter of the budget),
 * reordered by measured gain; the rest keep the estimate's order.
 */
async function confirmedOrder(sensitivity: NodeSensitivity[], ctx: SearchContext, evaluate: Evaluate, startProgress: number): Promise<NodeSensitivity[]> {
  const checks = Math.min(sensitivity.length, SENSITIVITY_CHECKS, Math.floor(ctx.maxEvaluations / 4));
  for (const entry of sensitivity.slice(0, checks)) {
    entry.measuredGain = round(progressOf((await evaluate([entry.node])).metrics, ctx.target) - startProgress);
  }
  return [...sensitivity.slice(0, checks)].sort((a, b) => b.measuredGain! - a.measuredGain!).concat(sensitivity.slice(checks));
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
