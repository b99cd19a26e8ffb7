import type { Preprocessing } from '../../datasets/images/index.js';
import type { HistogramMode } from '../core/native.js';
import type { TensorFlag, TensorCalibration } from '../../reports/metric-results.js';
export type { TensorFlag, TensorCalibration };

/** `run.json`: what calibration did, so later stages repeat it exactly. */
export interface RunManifest {
  schema: 'int8cal/run';
  version: 1;
  /** The model the user gave (absolute path) and its sha256. */
  model: { source: string; sha256: string };
  /** Model input that receives the images (with tensor data: the first input). */
  input: string;
  /** How images became `input`; absent when calibration was fed tensors directly (see `inputs`). */
  preprocessing?: Preprocessing;
  /** Calibrated from tensors (a .npy/.npz or a library batch source): every input fed. */
  inputs?: string[];
  calibration: {
    calibrator: string;
    percentile: number;
    histogram: HistogramMode;
    batchSize: number;
    /** Images used, in order (paths relative to `data`); empty with tensor data. */
    images: string[];
    /** The image folder or tensor file ('' for a library batch source). */
    data: string;
    /** Samples fed, with tensor data. */
    samples?: number;
    /** Set when scales came from an existing TensorRT cache instead of images. */
    cache?: string;
    /** Set on a shard run (`calibrate --shard`): partial histograms, no scales, until merged. */
    shard?: ShardInfo;
  };
}

/** Which part of the images a shard run calibrated. */
export interface ShardInfo {
  /** 1-based. */
  index: number;
  count: number;
  /** Images of all the shards together (before the split). */
  totalImages: number;
}

/** `calibration.json`. Tensors keep the prepared model's topological order. */
export interface CalibrationResult {
  schema: 'int8cal/calibration';
  version: 1;
  calibrator: string;
  histogram: HistogramMode | 'none';
  cacheHeader: { trtVersion: number; algorithm: string };
  /** With `--calibrator auto`: how it chose, and how many tensors each candidate won. */
  auto?: AutoSummary;
  tensors: Record<string, TensorCalibration>;
}

/** calibration.json's account of an `auto` calibration. */
export interface AutoSummary {
  criterion: string;
  /** Candidate → tensors it won, in candidate order. */
  chosen: Record<string, number>;
  /**
   * Set by `run`/`tune`, which have evaluation images: the per-model check of the per-tensor
   * choice against each single calibrator on them, and the one kept; `data`/`samples` name those
   * images (absolute paths), which evaluate holds out of its judgement.
   */
  confirmed?: {
    metric: string; images: number; data?: string; samples?: string[]; kept: string;
    /** `psnrPerImage`: PSNR of the worst output (lowest pooled PSNR) on each choosing image, in `samples` order (dB, 2 decimals). */
    scores: { calibrator: string; value: number | 'inf' | '-inf'; psnr?: number | 'inf' | '-inf'; psnrPerImage?: (number | 'inf' | '-inf')[] }[];
    /** The second best, and on how many of the `images` choosing images the kept one's PSNR was higher. */
    runnerUp?: { calibrator: string; value: number | 'inf' | '-inf'; psnrWins: number; images: number };
    /**
     * `--calibrator-check cross-fit`: the calibration images (`samples`, fold after fold), the
     * candidates the choosing images could not tell apart (`tied`), and each candidate's PSNR on
     * the calibration images with scales from the other fold's histograms.
     */
    crossFit?: { data: string; folds: number; samples: string[]; tied: string[]; psnr: { calibrator: string; value: number | 'inf' | '-inf' }[] };
  };
}
