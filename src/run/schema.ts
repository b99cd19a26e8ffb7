import type { Preprocessing } from '../../datasets/images/index.js';

/** `run.json`: what calibration did, so later stages repeat it exactly. */
export interface RunManifest {
  schema: 'int8cal/run';
  version: 1;
  /** The model the user gave (absolute path) and its sha256. */
  model: { source: string; sha256: string };
  /** Model input that receives the images. */
  input: string;
  preprocessing: Preprocessing;
  calibration: {
    calibrator: string;
    percentile: number;
    histogram: 'exact' | 'trt';
    batchSize: number;
    /** Images used, in order (paths relative to `data`). */
    images: string[];
    data: string;
    /** Set when scales came from an existing TensorRT cache instead of images. */
    cache?: string;
  };
}

/** Why a tensor's scale is special. */
export type TensorFlag = 'all-zero' | 'nan-or-inf' | 'from-cache' | 'zero-scale-in-cache' | 'heavy-clipping';

/** One calibrated tensor in `calibration.json`. */
export interface TensorCalibration {
  amax: number;
  /** amax / 127 as float32 — the number in the TensorRT cache. */
  scale: number;
  calibrator: string;
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

/** `calibration.json`. Tensors keep the prepared model's topological order. */
export interface CalibrationResult {
  schema: 'int8cal/calibration';
  version: 1;
  calibrator: string;
  histogram: 'exact' | 'trt' | 'none';
  cacheHeader: { trtVersion: number; algorithm: string };
  tensors: Record<string, TensorCalibration>;
}
