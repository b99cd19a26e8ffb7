import type { HostTensor } from '../../engines/engine.js';
import {
  autoRange, averagePrecision, detectionMatch, imageAt, isIntegerData, OUTPUT_METRICS, top1,
  type Detection, type DetectionMatchAccumulator, type GroundTruthBox, type MetricContext, type NumericData, type OutputAccumulator,
} from '../../metrics/index.js';
import type { DetectionMetrics, OutputMetrics } from '../../../reports/results-schema.js';
import type { DetectionSpec } from './task.js';

/** The metrics of one output of one variant vs the reference, by results field. */
interface OutputScores {
  dims: number[];
  metrics: { field: string; accumulator: OutputAccumulator }[];
}

/** Reference embeddings of one batch: output name → per image. */
export type ReferenceEmbeddings = Map<string, Float32Array[]>;

export interface ScoringContext extends MetricContext {
  outputs: readonly string[];
  detection?: DetectionSpec;
}

/** Streams one variant's outputs against the reference's, batch by batch; keeps no outputs. */
export class VariantScorer {
  readonly #outputs = new Map<string, OutputScores>();
  readonly #f1?: DetectionMatchAccumulator;
  /** Per image, this variant's detections (for AP against ground truth). */
  readonly detections: Detection[][] = [];
  /** Classification: per image, this variant's top-1 class (for accuracy against labels). */
  readonly predictions: number[] = [];

  constructor(private readonly ctx: ScoringContext, readonly isReference: boolean) {
    if (ctx.detection && !isReference) this.#f1 = detectionMatch();
  }

  /** One batch: the reference's and this variant's outputs, and their detections per image. */
  async add(ref: Record<string, HostTensor>, test: Record<string, HostTensor>, refEmbeddings: ReferenceEmbeddings, refDetections: Detection[][], testDetections: Detection[][]): Promise<void> {
    this.detections.push(...testDetections);
    if (this.ctx.task === 'classification') {
      const t = test[this.ctx.outputs[0]!]!;
      this.predictions.push(...top1(t.data as NumericData, t.dims[0] ?? 1));
    }
    if (this.isReference) return;
    testDetections.forEach((d, i) => this.#f1?.add(refDetections[i]!, d));
    for (const name of this.ctx.outputs) {
      const reference = ref[name]!;
      const batch = { reference, test: test[name]!, images: reference.dims[0] ?? 1, referenceEmbeddings: refEmbeddings.get(name) };
      for (const m of this.#scores(name, reference).metrics) await m.accumulator.add(batch);
    }
  }

  #scores(name: string, reference: HostTensor): OutputScores {
    let scores = this.#outputs.get(name);
    if (!scores) {
      const output = { name, dims: reference.dims, integer: isIntegerData(reference.data) };
      const metrics = OUTPUT_METRICS.filter((m) => m.applies(output, this.ctx)).map((m) => ({ field: m.field, accumulator: m.create(output, this.ctx) }));
      scores = { dims: [...reference.dims], metrics };
      this.#outputs.set(name, scores);
    }
    return scores;
  }

  outputMetrics(): OutputMetrics[] {
    return [...this.#outputs].map(([name, s]) => ({
      name,
      dims: s.dims,
      // Each result under its metric's field: the registry is what ties fields to result types.
      ...(Object.fromEntries(s.metrics.map((m) => [m.field, m.accumulator.result()])) as Partial<OutputMetrics>),
    }));
  }

  detectionMetrics(groundTruth: GroundTruthBox[][] | undefined): DetectionMetrics | undefined {
    const spec = this.ctx.detection;
    if (!spec) return undefined;
    return {
      ...spec,
      ...(this.#f1 ? { f1: this.#f1.result() } : {}),
      ...(groundTruth ? { ap: averagePrecision(this.detections, groundTruth) } : {}),
    };
  }
}

/** Embeds each image of the reference's image-like outputs once, for every variant's PD. */
export async function referenceEmbeddings(ctx: ScoringContext, ref: Record<string, HostTensor>): Promise<ReferenceEmbeddings> {
  const out: ReferenceEmbeddings = new Map();
  if (!ctx.pd) return out;
  for (const name of ctx.pdOutputs) {
    const r = ref[name]!;
    const list: Float32Array[] = [];
    for (let n = 0; n < (r.dims[0] ?? 1); n++) {
      const image = imageAt(r.data as NumericData, r.dims, n);
      list.push(await ctx.pd.embed(image, autoRange(image.data)));
    }
    out.set(name, list);
  }
  return out;
}
