/**
 * `results.json`: what `int8cal evaluate` measured, and all the report renderers read.
 * Plain JSON-safe data: no Infinity or NaN anywhere (PSNR ∞ is the string "inf", see
 * src/metrics/psnr.ts `Decibels`; other metrics are finite by construction).
 * Metric results are the metrics' own result objects (value, threshold, verdict together).
 */
import type { Direction, Verdict } from './verdict.js';
import type { ApResult, ClassificationResult, DetectorChoice, Top1AccuracyResult, DetectionMatchResult, LatencyStats, AgreementResult, PdResult, SpeedComparison, ProbabilityMapResult, PsnrResult, SegmentationResult, SimilarityResult, TensorCalibration, TensorFlag } from './metric-results.js';
import type { Decibels } from './decibels.js';

export const RESULTS_SCHEMA = 'int8cal/results';
/**
 * 2: evaluation.imageSha256 and outputs (what a baseline must share), F1 null when undefined,
 * checks with value null for gates that could not be evaluated, evaluation.skipped. Readers
 * migrate every older version (reports/results-check.ts).
 */
export const RESULTS_VERSION = 2;

export interface Results {
  schema: typeof RESULTS_SCHEMA;
  version: typeof RESULTS_VERSION;
  /** Set when read from an older results.json (the version it had). */
  migratedFrom?: number;
  /** ISO 8601, when the evaluation finished. */
  createdAt: string;
  /** The run directory, as given. */
  run: string;
  /** The model the user gave (from run.json). */
  model: { source: string; sha256?: string };
  /** Model input fed with the images, and the preprocessing (`describePreprocessing`). */
  input: string;
  preprocessing: string;
  evaluation: EvaluationSettings;
  environment: Environment;
  /** Name of the variant every other one is compared with (normally "fp32"). */
  reference: string;
  /** In evaluation order; the reference is one of them. */
  variants: VariantResult[];
  /** From calibration.json (absent when the run has none). */
  calibration?: CalibrationSummary;
  /** Set by `run`: every variant judged against the accuracy target. */
  accuracyTarget?: AccuracyTargetVerdicts;
  /** RUN/tune.json when `tune` ran: its steps and sensitivity ranking. */
  tune?: TuneReport;
}

type JsonNumber = number | 'inf' | '-inf';

/** What the report shows of tune.json (src/pipeline/tune writes it). */
export interface TuneReport {
  target: { expression: string; source: string };
  images: number;
  placements: {
    placement: string;
    variant: string;
    reached: boolean;
    chosen: number;
    quantizedNodes: number;
    evaluations: number;
    steps: {
      floatNodes: string[]; phase: string; metrics: Partial<Record<string, JsonNumber>>; meetsTarget: boolean; latencyRatio: number | null; latencyNote?: string;
      /** The same step scored on tune's check images (the run's calibration images). */
      check?: { metrics: Partial<Record<string, JsonNumber>>; meetsTarget: boolean };
    }[];
    sensitivity: { node: string; opType: string; localSqnrDb: number; accumulatedSqnrDb: number; ownLossDb: number; outputGain?: number; int8Alone?: number; measuredGain?: number }[];
    fp16?: { metrics: Partial<Record<string, JsonNumber>>; meetsTarget: boolean };
  }[];
}

/** Task metrics evaluate knows; `auto` (an option value) guesses one from the outputs. */
export const TASKS = ['classification', 'detection', 'map', 'segmentation', 'none'] as const;
export type Task = (typeof TASKS)[number];

export interface EvaluationSettings {
  /** Folder of evaluation images. */
  data: string;
  /** Images evaluated (paths relative to `data`), in order; per-image arrays follow this order. */
  images: string[];
  /** sha256 of each image's bytes, in `images` order (absent in version 1). */
  imageSha256?: string[];
  /** The model outputs compared, in order (absent in version 1). */
  outputs?: string[];
  task: Task;
  /** Detection: the head decoder, its outputs and why (guessed from the shapes or given). */
  detector?: DetectorChoice;
  /** `--ground-truth`: the file (or YOLO label folder) and its format. */
  groundTruth?: { file: string; format: 'int8cal-json' | 'coco-json' | 'yolo-txt' };
  /** `--class-folders`: class index → folder name, and how they were numbered. */
  classFolders?: { classes: string[]; numbering: 'folder-index' | 'sorted-names' };
  batchSize: number;
  iterations: number;
  warmup: number;
  /** The PD feature network used for image-like outputs (absent when none is). */
  pd?: { network: string; model: string; tensor: string; threshold?: number; thresholdSource?: string };
  /** `--fail-on` gates, as given and as parsed. */
  gates: Gate[];
  /** Default variants not evaluated (not built): with gates, the gates fail on them (they could not be checked). */
  skipped?: { variant: string; reason: string }[];
  /**
   * Images the run chose on (auto's calibrator check, tune's search): `heldOut` are those of this
   * data left out of the judgement (`images` lists only the others); `notHeldOut` counts
   * chosen-on tensor samples that are judged anyway (a tensor file is evaluated whole).
   */
  choice?: { by: string[]; data: string[]; images: number; heldOut: string[]; notHeldOut: number };
}

/** One `--fail-on` condition, e.g. "psnr<30": the variant fails when `metric op value` holds. */
export interface Gate {
  expression: string;
  metric: string;
  op: '<' | '<=' | '>' | '>=';
  value: number;
}

export interface Environment {
  /** CPU model string and logical cores. */
  cpu: string;
  cores: number;
  /** Intra-op threads used (0 = the engine's default). */
  threads: number;
  platform: string;
  arch: string;
  node: string;
  onnxruntime: string;
  int8cal: string;
  /** Engine backend, e.g. "onnxruntime-cpu". */
  backend: string;
  /** Where GPU variants ran (TensorRT): GPU, CUDA driver/runtime and TensorRT versions. */
  gpu?: { name: string; computeCapability: string; cudaDriver: string; cudaRuntime: string; tensorrt: string; cudaGraph: boolean };
}

export type Precision = 'fp32' | 'fp16' | 'int8';

/** A Q/DQ placement's registry name (tensorrt, ort-cpu, …). */
export type Placement = string;

export interface VariantLatency extends LatencyStats {
  /**
   * On a CPU the timing is not the target hardware's: fp16 Casts back to fp32; a TensorRT
   * placement's int8 model runs as fake quantization in float (TensorRT fuses it into int8 kernels).
   */
  emulated?: true;
}

export interface VariantResult {
  /** "fp32", "fp16", "int8", "int8-ort". */
  name: string;
  /** File name inside the run directory, e.g. "model.int8.onnx". */
  modelFile: string;
  precision: Precision;
  placement?: Placement;
  /** "gpu" for TensorRT engines (latency from CUDA events; speed-up relative to trt-fp32); absent = CPU. */
  device?: 'gpu';
  latency: VariantLatency;
  /** One per model output compared (empty for the reference itself). */
  outputs: OutputMetrics[];
  /** Detection task metrics: F1 vs the reference (not for the reference), AP vs ground truth (every variant). */
  detection?: DetectionMetrics;
  /** Top-1 accuracy against the class folders' labels (every variant, with --class-folders). */
  accuracy?: Top1AccuracyResult;
  /** Lowest per-image PSNR first (empty for the reference). */
  worstImages: WorstImage[];
  verdict: VariantVerdict;
  /** int8 variants: compute ops (Conv, ConvTranspose, Gemm, MatMul) in int8, from build.json. */
  coverage?: VariantCoverage;
  /** GPU variants: what precision the engine's layers really run in (TensorRT's engine inspector, from build.json). */
  layers?: EngineLayerCounts;
}

export interface EngineLayerCounts {
  /** Compute layers (Reformat/NoOp excluded). */
  total: number;
  byPrecision: { int8: number; fp16: number; fp32: number; other: number };
}

export interface VariantCoverage {
  quantized: number;
  quantizable: number;
}

export interface OutputMetrics {
  name: string;
  dims: number[];
  /**
   * Float outputs only. `psnr.nonFinite` > 0 (NaN/Inf where the reference has other values):
   * PSNR "-inf" and the variant fails.
   */
  psnr?: PsnrResult;
  similarity?: SimilarityResult;
  /** Integer outputs only (ArgMax labels, TopK indices): exact agreement with the reference, never PSNR. */
  agreement?: AgreementResult;
  /** For image-like outputs (or the model's own features on request). */
  pd?: PdResult;
  classification?: ClassificationResult;
  probabilityMap?: ProbabilityMapResult;
  segmentation?: SegmentationResult;
}

export interface DetectionMetrics extends DetectorChoice {
  /** Results written before heads had decoders: the boxes and scores outputs (now `outputs`). */
  boxes?: string;
  scores?: string;
  /** Box encoding of a boxes-scores head. */
  boxFormat: 'xyxy' | 'cxcywh';
  scoreThreshold: number;
  nmsIou: number;
  f1?: DetectionMatchResult;
  ap?: ApResult;
}

export interface WorstImage {
  /** Relative to the evaluation folder. */
  file: string;
  output: string;
  psnr: Decibels;
  pd?: number;
  /** For image-like outputs: small PNGs (`data:image/png;base64,…`) of the reference and test output. */
  thumbnails?: { reference: string; test: string };
}

/** One pass/fail check behind a verdict. */
export interface VerdictCheck {
  /**
   * "psnr", "pd", "cosine", "top1", "f1", … and "non-finite": added (failed) for each output
   * with NaN/±Inf where the reference has other values; `value` is how many such elements.
   */
  metric: string;
  /** The output checked (absent for variant-wide metrics such as detection F1). */
  output?: string;
  /** null: the metric could not be evaluated (undefined, or the variant lacks it); the check fails and `note` says why. */
  value: number | Decibels | null;
  threshold: number;
  /** min: pass when value ≥ threshold; max: pass when ≤ (> / < when `strict`, from a gate written with <= or >=). */
  direction: Direction;
  strict?: true;
  verdict: Verdict;
  /** Where the threshold comes from: "--fail-on psnr<30", the PD network's table entry… */
  source: string;
  /**
   * Why the check failed whatever its value, e.g. "1234 NaN/Inf": the output is broken, and
   * cosine, |Δ| and PD were computed over what was left (metrics/gates.ts).
   */
  note?: string;
}

export interface VariantVerdict {
  /** "none": no threshold applied to this variant (no gate, no PD network threshold) and no output has NaN/Inf. */
  /**
   * "not-quantized": an int8 variant with under half of its compute ops in int8 — never a pass,
   * whatever its metrics (they compare fp32 with itself, mostly).
   */
  verdict: Verdict | 'none' | 'not-quantized';
  checks: VerdictCheck[];
  /** Reference p50 latency / this variant's p50 (1 for the reference). */
  speedup: number;
  /** Whether the difference is more than noise (src/metrics/speed.ts); absent for the reference and in results written before it. */
  speed?: SpeedComparison;
}

/** The pass condition a run is judged by (the user's --accuracy-target, or the task's default). */
export interface AccuracyTargetVerdicts {
  expression: string;
  /** "user" or e.g. "default for task detection". */
  source: string;
  variants: { name: string; meets: boolean; metrics: Partial<Record<string, number | 'inf' | '-inf'>> }[];
}

export interface CalibrationSummary {
  calibrator: string;
  /** `--calibrator auto`: its rule, tensors won per candidate, and run's check on evaluation images. */
  auto?: {
    criterion: string;
    chosen: Record<string, number>;
    confirmed?: {
      metric: string; images: number; kept: string; scores: { calibrator: string; value: JsonNumber; psnr?: JsonNumber; psnrPerImage?: JsonNumber[] }[];
      /** The second best, and on how many of the `images` choosing images the kept one's PSNR was higher. */
      runnerUp?: { calibrator: string; value: JsonNumber; psnrWins: number; images: number };
      /** `run --calibrator-check cross-fit`: see calibration.json's `auto.confirmed.crossFit`. */
      crossFit?: { data: string; folds: number; samples: string[]; tied: string[]; psnr: { calibrator: string; value: JsonNumber }[] };
    };
  };
  histogram: string;
  /** Every calibrated tensor, in calibration.json order. */
  tensors: CalibratedTensor[];
  /** Histograms of the tensors with the most clipping (a few). */
  histograms: TensorHistogram[];
}

export interface CalibratedTensor extends Pick<TensorCalibration, 'amax' | 'scale' | 'calibrator' | 'fractionClipped' | 'absMax' | 'nanCount' | 'infCount'> {
  name: string;
  flags: TensorFlag[];
}

/** A linear histogram of |x| over [0, range], with the calibrated threshold (amax) marked. */
export interface TensorHistogram {
  tensor: string;
  range: number;
  counts: number[];
  threshold: number;
  fractionClipped: number;
}

/** Whether a parsed JSON value claims to be current results (the full check: results-check.ts). */
export function isResults(value: unknown): value is Results {
  const v = value as Partial<Results> | null;
  return typeof v === 'object' && v !== null && v.schema === RESULTS_SCHEMA && v.version === RESULTS_VERSION && Array.isArray(v.variants);
}
