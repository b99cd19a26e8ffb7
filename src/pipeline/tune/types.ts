import type { ProgressCallback, WarningCallback } from '../../core/progress.js';
import type { OrtWeightBitsChoice } from '../../engines/ort-int8-kernels.js';
import type { Placement } from '../../onnx/qdq/index.js';
import type { TaskOptions } from '../evaluate/task.js';
import type { AccuracyTarget, JsonMetrics } from './accuracy-target.js';
import type { ChoiceImages } from './probe.js';
import type { SearchPhase } from './search.js';
import type { NodeSensitivity } from './sensitivity.js';

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
  /** Weight bits of the ort-cpu models (see BuildOptions); by default the run's int8-ort model's, else this machine's. */
  ortWeightBits?: OrtWeightBitsChoice;
  pdModel?: string;
  onProgress?: ProgressCallback;
  onWarning?: WarningCallback;
  signal?: AbortSignal;
}

/** One model of the search: which nodes are float, what it scored, what it costs. */
export interface TuneStep {
  /** Nodes kept in float (TensorRT placement: no Q/DQ, so TensorRT runs them in fp16). */
  floatNodes: string[];
  /** start: all int8; candidate: a move evaluated, not taken; grow: a move taken; bulk: the fallback's set of the nodes most harmful alone in int8; prune: a node back to int8. */
  phase: SearchPhase;
  /** On the search's path: start, the grow moves taken, the prunes after which the target still held. */
  taken: boolean;
  /** Index of the step this one was tried from. */
  base?: number;
  metrics: JsonMetrics;
  meetsTarget: boolean;
  /** The same on the check images (the run's calibration images): a grow move must raise the metric there too. */
  check?: { metrics: JsonMetrics; meetsTarget: boolean };
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
  /** Index in `steps` of the written model: the one meeting the target with the fewest float nodes, else the best. */
  chosen: number;
  steps: TuneStep[];
  sensitivity: NodeSensitivity[];
  quantizedNodes: number;
  /** Real evaluations on the tune images (every step, plus fp16 when not reached), vs one per node for "keep one node float" over all. */
  evaluations: number;
  /**
   * Batch runs of the output-referred sensitivity estimates, per ranking image (the check images,
   * else the first tune images): one per quantized node + all-int8 (none when all-int8 already
   * meets the target), plus one per node for the fallback's int8-alone ranking when it ran.
   */
  estimateRuns: number;
  /** Whether the metric never dropped along the grow moves taken (the search only takes moves that raise it). */
  monotone: boolean;
  /** Candidate moves that put more nodes in float and lowered the metric: keeping a node float is not always better. */
  worseningMoves: number;
  /** When not reached: the fp16 model's metrics on the same images (the ceiling short of fp32). */
  fp16?: { metrics: JsonMetrics; meetsTarget: boolean };
}

export interface TuneResult {
  schema: 'int8cal/tune';
  version: 1;
  target: AccuracyTarget;
  images: number;
  /** The images the search chose on (absolute paths): evaluate holds them out of its judgement. */
  chosenOn: ChoiceImages;
  /** The calibration images every step was also scored on (absent when the run has none to read); evaluate holds them out too. */
  checkedOn?: ChoiceImages;
  task: string;
  placements: PlacementTune[];
}
