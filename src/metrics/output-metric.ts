/**
 * What an output metric is to evaluate: it says which outputs it scores, streams batches of the
 * reference's and a variant's values, and returns a plain result stored under its own field of
 * the output's results (results.json `outputs[].<field>`). Metrics are listed once, in
 * output-metrics.ts; scoring and `--fail-on` gates read that list, so a new metric is its own
 * file plus one line there.
 */
import type { HostTensor } from '../core/tensor.js';
import type { Decibels } from '../../reports/decibels.js';
import type { Task } from '../../reports/results-schema.js';
import type { FeatureNetwork } from './pd.js';

/** The evaluation as metrics see it. */
export interface MetricContext {
  task: Task;
  /** Image-like outputs scored with PD (when a feature network is loaded). */
  pdOutputs: readonly string[];
  pd?: FeatureNetwork;
  /** Probability maps are binarized here for IoU. */
  mapThreshold: number;
}

/** One output, as known when its first batch arrives. */
export interface OutputInfo {
  name: string;
  dims: readonly number[];
  /** ArgMax labels, TopK indices: values are ids, not magnitudes. */
  integer: boolean;
}

/** One batch of one output. */
export interface OutputBatch {
  reference: HostTensor;
  test: HostTensor;
  images: number;
  /** PD: the reference images' embeddings, computed once per batch for every variant. */
  referenceEmbeddings?: readonly Float32Array[];
}

export interface OutputAccumulator {
  add(batch: OutputBatch): void | Promise<void>;
  /** Plain JSON-safe data. */
  result(): unknown;
}

/** A gate reads a number (or Decibels) from the metric's result; undefined where it has none. */
export type GateReader = (result: never) => number | Decibels | undefined;

export interface OutputMetric {
  /** The field of an output's results it fills, e.g. "psnr". */
  readonly field: string;
  applies(output: OutputInfo, ctx: MetricContext): boolean;
  create(output: OutputInfo, ctx: MetricContext): OutputAccumulator;
  /** `--fail-on` metric names → how each reads this metric's result. */
  readonly gates?: Readonly<Record<string, GateReader>>;
}
