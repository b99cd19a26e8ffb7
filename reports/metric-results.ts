/**
 * The metric results results.json carries: plain data that src/metrics computes and the
 * renderers read. Owned here so reports depend on nothing but this contract.
 */
import type { Decibels } from './decibels.js';
import type { Verdict } from './verdict.js';

/** Mean, extremes and the 5th percentile of per-image values (the aggregates the reports show). */
export interface Summary {
  count: number;
  mean: number;
  min: number;
  /** 5th percentile: the value 95 % of images reach or beat (for higher-is-better metrics). */
  p5: number;
  max: number;
}

export interface SimilarityResult {
  metric: 'similarity';
  /** Per-image cosine similarity aggregated over images. */
  cosine: Summary;
  /** Largest |test − ref| over all images (over the finite pairs). */
  maxAbs: number;
  /** Mean |test − ref| over all elements of all images (over the finite pairs). */
  meanAbs: number;
  /** Element pairs left out because one side is NaN/±Inf and the other differs: > 0 fails the output. */
  nonFinite: number;
  /** Cosine per image, in the order added. */
  perImage: number[];
  threshold?: number;
  verdict?: Verdict;
}

export interface PdResult {
  metric: 'pd';
  /** Mean PD over the images with finite embeddings (lower is better); 0 when there are none. */
  value: number;
  /** Over the same images; absent when every embedding was broken. */
  summary?: Summary;
  /** Per image in the order added; null where the output or an embedding had NaN/±Inf. */
  perImage: (number | null)[];
  /** The feature network: a known id ("fr-expression"), the model file's name, or "model" (own features). */
  network: string;
  tensor: string;
  featureSize: number;
  /** Images whose test output (vs the reference) or an embedding had NaN/±Inf: a failed verdict whatever the mean. */
  brokenImages: number;
  threshold?: number;
  thresholdSource?: string;
  verdict?: Verdict;
}

export interface LatencyStats {
  /** Timed runs. */
  count: number;
  /** Milliseconds per run. */
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Median absolute deviation from p50, ms: the run-to-run noise, robust to outliers (absent in results written before it). */
  mad?: number;
  /** Images per run (batch size) × 1000 / mean ms. */
  imagesPerSecond: number;
}

export const SPEED_WORDS = ['faster', 'slower', 'same speed'] as const;
export type SpeedWord = (typeof SPEED_WORDS)[number];

/** A variant's latency against the reference's, and whether the evidence allows a speed word (src/metrics/speed.ts). */
export interface SpeedComparison {
  /** Variant p50 ÷ reference p50: below 1 is faster. */
  latencyRatio: number;
  /** Twice the relative median absolute deviation (MAD ÷ p50) of the slower one's runs: the noise band around 1. */
  noise: number;
  /** Timed runs behind it (the fewer of the two). */
  runs: number;
  /** Absent with fewer than 20 runs: the numbers only. */
  word?: SpeedWord;
}

/** Arg-max label maps of [N, C, H, W] class scores vs fp32's: pixel agreement (`value`) and mean IoU over the classes either map has. */
export interface SegmentationResult {
  metric: 'segmentation';
  value: number;
  miou: number;
  /** Classes present in either label map. */
  classes: number;
  pixels: number;
  /** Pixel agreement per image. */
  perImage: number[];
}

export interface ClassificationResult {
  metric: 'top1-agreement';
  /** agreed / total, 0..1. */
  value: number;
  agreed: number;
  total: number;
  /** Per image (row): reference class, test class. */
  perImage: { reference: number; test: number }[];
  threshold?: number;
  verdict?: Verdict;
}

/** Top-1 accuracy against true labels (a folder-per-class evaluation set), not against fp32. */
export interface Top1AccuracyResult {
  metric: 'top1-accuracy';
  /** correct / total, 0..1. */
  value: number;
  correct: number;
  total: number;
}

/** The detector head the outputs are decoded with (src/metrics/detection/heads), and why. */
export interface DetectorChoice {
  /** A `--detector` name: yolov5, yolov8, yolox, picodet, boxes-scores. */
  detector: string;
  /** The outputs it reads, in decode order. */
  outputs: string[];
  classes?: number;
  reason: string;
  /** true when auto-detected from the output shapes, false when given with --detector. */
  guessed: boolean;
}

export interface ApResult {
  metric: 'average-precision';
  /** AP in 0..1; null when there is no ground truth at all (AP is undefined). */
  value: number | null;
  iouThreshold: number;
  groundTruth: number;
  detections: number;
  truePositives: number;
  /** Labelled ground truth: AP of each class that has ground truth, by label. */
  perClass?: { label: number; value: number; groundTruth: number; detections: number }[];
}

export interface ProbabilityMapResult {
  metric: 'probability-map-iou';
  /** Pooled IoU. */
  value: number;
  binarizeAt: number;
  perImageSummary: Summary;
  perImage: number[];
  threshold?: number;
  verdict?: Verdict;
}

export interface PsnrResult {
  metric: 'psnr';
  /** Pooled PSNR in dB. */
  value: Decibels;
  /** Over the finite element pairs. */
  mse: number;
  peak: number;
  /** Elements where test or reference were NaN/±Inf and not identical. */
  nonFinite: number;
  /** One per image, in the order added; same peak as the pooled value. */
  perImage: Decibels[];
  threshold?: number;
  verdict?: Verdict;
}

export interface MatchCounts {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

export interface DetectionMatchResult extends MatchCounts {
  metric: 'detection-f1';
  /** Pooled F1 vs fp32; null when the reference detected nothing at all (see `undefinedReason`). */
  value: number | null;
  /** Why F1 is undefined, e.g. "the reference detected nothing in 4 image(s)". */
  undefinedReason?: string;
  precision: number;
  recall: number;
  iouThreshold: number;
  /** F1 per image. */
  perImage: number[];
  threshold?: number;
  verdict?: Verdict;
}

/** Why a tensor's scale is special. */
export type TensorFlag = 'all-zero' | 'nan-or-inf' | 'from-cache' | 'zero-scale-in-cache' | 'heavy-clipping';

/** One calibrated tensor in `calibration.json`. */
export interface TensorCalibration {
  amax: number;
  /** amax / 127 as float32 — the number in the TensorRT cache. */
  scale: number;
  /** The rule that gave amax (with `auto`: the candidate it chose, e.g. "percentile 99.99"). */
  calibrator: string;
  /** With `--calibrator auto`: every candidate's amax and expected SQNR (why `calibrator` won). */
  auto?: { candidates: { calibrator: string; amax: number; sqnrDb: number | 'inf' }[] };
  /** Fraction of finite values with |x| > amax (clipped by quantization). */
  fractionClipped: number;
  /** Values seen (finite + NaN + Inf). */
  count: number;
  nanCount: number;
  infCount: number;
  /** Exact max |x| over finite values. */
  absMax: number;
  /**
   * Observed signed range, widened to include 0 (min ≤ 0 ≤ max). Absent when the scales came
   * from a TensorRT cache, which only has amax.
   */
  min?: number;
  max?: number;
  flags: TensorFlag[];
}

/** Integer outputs (ArgMax labels, TopK indices): exact agreement with the reference. */
export interface AgreementResult {
  metric: 'agreement';
  /** Equal elements / all elements, pooled over the images. */
  value: number;
  equal: number;
  total: number;
  /** "pixels" for label maps (rank ≥ 3), "elements" otherwise. */
  unit: 'pixels' | 'elements';
  /** Agreement per image, in the order added. */
  perImage: number[];
}
