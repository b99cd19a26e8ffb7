import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Geometry } from '../../../datasets/images/index.js';
import { evaluationData } from '../evaluate/data.js';
import { Int8calError } from '../../core/errors.js';
import type { Engine, Feeds, GraphRewrites, HostTensor, QdqExecution } from '../../engines/engine.js';
import { createEngine } from '../../engines/registry.js';
import { FeatureNetwork, fromDecibels, interleavedTiming, isImageLike, latencyStats, type Detection } from '../../metrics/index.js';
import { defaultOf } from '../../options.js';
import { checkRunManifest } from '../../run/check.js';
import { readRunJson } from '../../run/files.js';
import type { RunManifest } from '../../run/schema.js';
import { runPath } from '../../run/layout.js';
import type { DetectionMetrics, OutputMetrics, Task } from '../../../reports/results-schema.js';
import { referenceEmbeddings, VariantScorer, type ReferenceEmbeddings, type ScoringContext } from '../evaluate/scoring.js';
import { detectionsOf, resolveRunTask, type TaskOptions } from '../evaluate/task.js';
import type { TargetMetric, TargetMetrics } from './accuracy-target.js';

/** Where a run's choices were made: `samples` are absolute image paths (or FILE#i for tensors). */
export interface ChoiceImages {
  data: string;
  samples: string[];
}

export interface ProbeOptions extends Partial<Omit<TaskOptions, 'input'>> {
  run: string;
  data: string;
  /** First N evaluation images (sorted): the subset every candidate model is scored on. */
  images: number;
  threads?: number;
  /**
   * Also score candidates on the first N of the run's calibration images (tune's check set: a
   * move must help there too); none when absent, 0, or the run was calibrated from a cache.
   */
  checkImages?: number;
  /** Load the PD feature network (only when a target names pd: it costs an embedding per image). */
  pd?: boolean;
  pdModel?: string;
  signal?: AbortSignal;
}

interface ProbeBatch {
  feeds: Feeds;
  reference: Record<string, HostTensor>;
  embeddings: ReferenceEmbeddings;
  detections: Detection[][];
  geometry: Geometry[];
  /** Network input size of this batch (per batch: `--resize fit` varies it). */
  size: { width: number; height: number };
}

/** One candidate scored on the subset (see AccuracyProbe.scoreImages). */
export interface ScoredImages {
  metrics: TargetMetrics;
  psnrPerImage: number[];
  /** The metrics on the check images (the run's calibration images). */
  check?: TargetMetrics;
}

const metricsOf = (scorer: VariantScorer): TargetMetrics => targetMetricsOf(scorer.outputMetrics(), scorer.detectionMetrics(undefined));

interface Loading {
  run: RunManifest;
  reference: Engine;
  ctx: ScoringContext;
  pd: FeatureNetwork | undefined;
  signal?: AbortSignal;
}

/** The first `images` samples of `data` as evaluate batches them, with fp32's outputs (and detections, embeddings). */
async function loadBatches(l: Loading, data: string, images: number): Promise<{ batches: ProbeBatch[]; samples: string[] }> {
  const { run, reference, ctx, pd } = l;
  const input = reference.inputs.find((i) => i.name === run.input)!;
  const batchSize = typeof input.dims[0] === 'number' ? input.dims[0] : 1;
  const source = await evaluationData(data, run, reference.inputs, { batchSize, fixedBatch: typeof input.dims[0] === 'number', maxImages: images, signal: l.signal });
  const batches: ProbeBatch[] = [];
  const samples: string[] = [];
  for await (const batch of source.batches()) {
    const feeds = batch.feeds;
    const size = run.preprocessing && run.preprocessing.resize !== 'fit' ? run.preprocessing : { width: batch.geometry[0]!.resizedWidth, height: batch.geometry[0]!.resizedHeight };
    const ref = await reference.run(feeds);
    if (batches.length === 0 && ctx.pdOutputs.length === 0) ctx.pdOutputs = pd ? ctx.outputs.filter((name) => isImageLike(ref[name]!.dims)) : [];
    const detections = ctx.detection ? batch.geometry.map((g, n) => detectionsOf(ref, ctx.detection!, n, g, size)) : [];
    batches.push({ feeds, reference: ref, embeddings: await referenceEmbeddings(ctx, ref), detections, geometry: batch.geometry, size });
    samples.push(...batch.samples);
  }
  return { batches, samples };
}

/** The worst-over-outputs metrics a target can name, from evaluate's per-output results. */
export function targetMetricsOf(outputs: readonly OutputMetrics[], detection?: DetectionMetrics): TargetMetrics {
  const m: TargetMetrics = {};
  // Integer outputs carry exact agreement instead of PSNR/cosine: they don't enter these.
  const psnr = outputs.flatMap((o) => (o.psnr ? [fromDecibels(o.psnr.value)] : []));
  if (psnr.length) m.psnr = Math.min(...psnr);
  const cosine = outputs.flatMap((o) => (o.similarity ? [o.similarity.cosine.min] : []));
  if (cosine.length) m.cosine = Math.min(...cosine);
  const pd = outputs.flatMap((o) => (o.pd ? [o.pd.value] : []));
  if (pd.length) m.pd = Math.max(...pd);
  const top1 = outputs.flatMap((o) => (o.classification ? [o.classification.value] : []));
  if (top1.length) m.top1 = Math.min(...top1);
  const miou = outputs.flatMap((o) => (o.segmentation ? [o.segmentation.miou] : []));
  if (miou.length) m.miou = Math.min(...miou);
  // F1 is undefined (null) when the reference detects nothing: such a target can't be met, not met by accident.
  if (detection?.f1 && detection.f1.value !== null) m.f1 = detection.f1.value;
  if (detection?.ap?.value != null) m.ap = detection.ap.value;
  return m;
}

/**
 * Scores candidate models against fp32 on a fixed subset of the evaluation images: the fp32
 * outputs (and their detections/embeddings) are computed once, and every candidate reuses them.
 * Used by tune (sensitivity, greedy steps) and by run's check of `--calibrator auto`.
 */
export class AccuracyProbe {
  private constructor(
    readonly task: Task,
    private readonly ctx: ScoringContext,
    private readonly batches: ProbeBatch[],
    private readonly reference: Engine,
    private readonly pd: FeatureNetwork | undefined,
    private readonly threads: number,
    /** The images (or tensor samples) candidates are chosen on: evaluate holds them out. */
    readonly choice: ChoiceImages,
    private readonly checkBatches: ProbeBatch[] = [],
    /** The calibration images (or samples) every candidate is also scored on; absent without a check set. */
    readonly check?: ChoiceImages,
  ) {}

  get imageCount(): number {
    return this.choice.samples.length;
  }

  static async create(o: ProbeOptions): Promise<AccuracyProbe> {
    const runDir = resolve(o.run);
    const threads = o.threads ?? defaultOf('threads');
    const run = await readRunJson(runDir, 'run', checkRunManifest, 'calibrate');
    const reference = await createEngine('onnxruntime', runPath(runDir, 'fp32'), { threads, rewrites: 'full', sharedCores: true });
    const { task, detection } = await resolveRunTask(runDir, run, reference, o);
    const pd = o.pd ? await FeatureNetwork.create({ model: o.pdModel, threads }) : undefined;
    const ctx: ScoringContext = { task, detection, outputs: reference.outputs.map((t) => t.name), pdOutputs: [], pd, mapThreshold: defaultOf('mapThreshold') };
    const loaded = await loadBatches({ run, reference, ctx, pd, signal: o.signal }, o.data, o.images);
    if (!loaded.batches.length) throw new Int8calError('NO_IMAGES', `No evaluation image could be read from ${o.data}`, { file: o.data });
    const checkable = o.checkImages && run.calibration.data && !run.calibration.cache && (await access(run.calibration.data).then(() => true, () => false));
    const check = checkable ? await loadBatches({ run, reference, ctx, pd, signal: o.signal }, run.calibration.data, o.checkImages!) : undefined;
    return new AccuracyProbe(task, ctx, loaded.batches, reference, pd, threads, { data: resolve(o.data), samples: loaded.samples.map((s) => resolve(s)) },
      check?.batches, check?.batches.length ? { data: resolve(run.calibration.data), samples: check.samples.map((s) => resolve(s)) } : undefined);
  }

  /** Inputs of the first two batches: what the one-pass sensitivity estimate runs on. */
  get feedsForEstimate(): Feeds[] {
    return this.batches.slice(0, 2).map((b) => b.feeds);
  }

  get batchCount(): number {
    return this.batches.length;
  }

  get checkBatchCount(): number {
    return this.checkBatches.length;
  }

  /** The metrics on the check images alone (undefined without a check set). */
  async scoreCheck(engine: Engine): Promise<TargetMetrics | undefined> {
    return this.checkBatches.length ? metricsOf(await this.#pass(engine, this.checkBatches)) : undefined;
  }

  /** The metrics this task gives (what a target may name). */
  get metrics(): TargetMetric[] {
    const m: TargetMetric[] = ['psnr', 'cosine'];
    if (this.task === 'classification') m.push('top1');
    if (this.task === 'detection') m.push('f1');
    if (this.task === 'segmentation') m.push('miou');
    if (this.pd) m.push('pd');
    return m;
  }

  /** Opens a session on a candidate model (bytes or a path); `qdq`: its placement's `qdqOnOrt`. */
  open(model: string | Uint8Array, qdq: QdqExecution, rewrites: GraphRewrites = 'full'): Promise<Engine> {
    return createEngine('onnxruntime', model, { threads: this.threads, rewrites, qdq, sharedCores: true });
  }

  /** Scores one candidate session on the subset (or its first `batches` batches). */
  async score(engine: Engine, batches = this.batches.length): Promise<TargetMetrics> {
    return (await this.scoreImages(engine, batches)).metrics;
  }

  /**
   * `score`, plus the per-image PSNR (dB, ±Infinity; empty without float outputs) of the output
   * with the worst pooled PSNR, the one the score is: pooling those images' errors gives it back.
   * With `check`, also the metrics on the check images (absent without a check set).
   */
  async scoreImages(engine: Engine, batches = this.batches.length, check = false): Promise<ScoredImages> {
    const scorer = await this.#pass(engine, this.batches.slice(0, batches));
    const outputs = scorer.outputMetrics();
    const worst = outputs.reduce<OutputMetrics | undefined>((w, o) => (o.psnr && (!w || fromDecibels(o.psnr.value) < fromDecibels(w.psnr!.value)) ? o : w), undefined);
    const psnrPerImage = worst ? worst.psnr!.perImage.map(fromDecibels) : [];
    const checked = check && this.checkBatches.length ? await this.#pass(engine, this.checkBatches) : undefined;
    return { metrics: metricsOf(scorer), psnrPerImage, ...(checked ? { check: metricsOf(checked) } : {}) };
  }

  async #pass(engine: Engine, batches: readonly ProbeBatch[]): Promise<VariantScorer> {
    const scorer = new VariantScorer(this.ctx, false);
    for (const b of batches) {
      const out = await engine.run(b.feeds);
      const detections = this.ctx.detection ? b.geometry.map((g, n) => detectionsOf(out, this.ctx.detection!, n, g, b.size)) : [];
      await scorer.add(b.reference, out, b.embeddings, b.detections, detections);
    }
    return scorer;
  }

  /** p50 latency of a candidate ÷ fp32's, timed interleaved on the first batch. */
  async latencyRatio(engine: Engine, iterations: number): Promise<number> {
    const feeds = this.batches[0]!.feeds;
    const timings = await interleavedTiming([
      { name: 'fp32', run: () => this.reference.run(feeds) },
      { name: 'candidate', run: () => engine.run(feeds) },
    ], { iterations, warmup: 2 });
    return latencyStats(timings.candidate!).p50 / latencyStats(timings.fp32!).p50;
  }

  async dispose(): Promise<void> {
    await this.reference.dispose();
    await this.pd?.dispose();
  }
}
