import type { HostTensor } from '../../engines/engine.js';
import {
  agreement, autoRange, isIntegerData, type AgreementAccumulator, type IntegerData, averagePrecision, classification, top1, countNonFiniteMismatches, detectionMatch, imageAt, probabilityMap, psnr, similarity,
  type ClassificationAccumulator, type Detection, type DetectionMatchAccumulator, type FeatureNetwork,
  type GroundTruthBox, type NumericData, type PdAccumulator, type ProbabilityMapAccumulator, type PsnrAccumulator,
  type SimilarityAccumulator,
} from '../../metrics/index.js';
import type { DetectionMetrics, OutputMetrics, Task } from '../../../reports/results-schema.js';
import type { DetectionSpec } from './task.js';

/** Accumulators of one output of one variant vs the reference. */
interface OutputScores {
  dims: number[];
  /** Float outputs. */
  psnr?: PsnrAccumulator;
  similarity?: SimilarityAccumulator;
  /** Integer outputs: exact agreement. */
  agreement?: AgreementAccumulator;
  classification?: ClassificationAccumulator;
  map?: ProbabilityMapAccumulator;
  pd?: PdAccumulator;
}

/** Reference embeddings of one batch: output name → per image. */
export type ReferenceEmbeddings = Map<string, Float32Array[]>;

export interface ScoringContext {
  task: Task;
  outputs: readonly string[];
  /** Image-like outputs scored with PD (when a feature network is loaded). */
  pdOutputs: readonly string[];
  pd?: FeatureNetwork;
  detection?: DetectionSpec;
  mapThreshold: number;
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
      const r = ref[name]!;
      const t = test[name]!;
      const images = r.dims[0] ?? 1;
      const scores = this.#scores(name, r.dims, isIntegerData(r.data));
      if (scores.agreement) {
        scores.agreement.addBatch(r.data as IntegerData, t.data as IntegerData, images);
        continue;
      }
      scores.psnr!.addBatch(r.data as NumericData, t.data as NumericData, images);
      scores.similarity!.addBatch(r.data as NumericData, t.data as NumericData, images);
      scores.classification?.add(r.data as NumericData, t.data as NumericData, images);
      if (scores.map) {
        const per = r.data.length / images;
        for (let n = 0; n < images; n++) scores.map.add((r.data as Float32Array).subarray(n * per, (n + 1) * per), (t.data as Float32Array).subarray(n * per, (n + 1) * per));
      }
      const refs = refEmbeddings.get(name);
      if (scores.pd && refs) await this.#addPd(scores.pd, r, t, refs);
    }
  }

  /** PD per image; an image whose output has NaN/Inf where the reference differs is broken, not embedded. */
  async #addPd(pd: PdAccumulator, r: HostTensor, t: HostTensor, refs: Float32Array[]): Promise<void> {
    for (let n = 0; n < refs.length; n++) {
      const image = imageAt(t.data as NumericData, t.dims, n);
      const reference = imageAt(r.data as NumericData, r.dims, n);
      if (countNonFiniteMismatches(reference.data, image.data) > 0) pd.addBroken();
      else pd.add(refs[n]!, await this.ctx.pd!.embed(image, autoRange(reference.data)));
    }
  }

  #scores(name: string, dims: readonly number[], integer: boolean): OutputScores {
    let scores = this.#outputs.get(name);
    if (!scores && integer) {
      scores = { dims: [...dims], agreement: agreement(dims.length) };
      this.#outputs.set(name, scores);
    }
    if (!scores) {
      scores = {
        dims: [...dims],
        psnr: psnr(),
        similarity: similarity(),
        ...(this.ctx.task === 'classification' && dims.length === 2 ? { classification: classification() } : {}),
        ...(this.ctx.task === 'map' ? { map: probabilityMap({ threshold: this.ctx.mapThreshold }) } : {}),
        ...(this.ctx.pd && this.ctx.pdOutputs.includes(name) ? { pd: this.ctx.pd.accumulator() } : {}),
      };
      this.#outputs.set(name, scores);
    }
    return scores;
  }

  outputMetrics(): OutputMetrics[] {
    return [...this.#outputs].map(([name, s]) => ({
      name,
      dims: s.dims,
      ...(s.psnr ? { psnr: s.psnr.result() } : {}),
      ...(s.similarity ? { similarity: s.similarity.result() } : {}),
      ...(s.agreement ? { agreement: s.agreement.result() } : {}),
      ...(s.pd ? { pd: s.pd.result() } : {}),
      ...(s.classification ? { classification: s.classification.result() } : {}),
      ...(s.map ? { probabilityMap: s.map.result() } : {}),
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
