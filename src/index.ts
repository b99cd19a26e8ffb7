/**
 * int8cal as a library: each function is what a CLI command does, with plain-data results.
 * The library never prints or exits; long calls report progress through `onProgress` and
 * warnings through `onWarning`; bad input throws `Int8calError` (code, file/tensor, hint).
 * Option defaults are those of the CLI's options table (`OPTIONS`).
 */
import { build } from './pipeline/build.js';
import { calibrate } from './pipeline/calibrate.js';
import { evaluate } from './pipeline/evaluate/index.js';
import { inspect } from './pipeline/inspect.js';
import { mergeHistograms } from './pipeline/merge-histograms.js';
import { recalibrate } from './pipeline/recalibrate.js';
import { report } from './pipeline/report.js';
import { runPipeline } from './pipeline/run.js';

export {
  /** Reads a model: inputs, opset, operators and the preprocessing int8cal would infer. */
  inspect,
  /** Runs the model over calibration images: histograms, scales, TensorRT cache, run directory. */
  calibrate,
  /** Recomputes scales with another calibrator from a run's saved histograms, without inference. */
  recalibrate,
  /** Sums the partial histograms of `calibrate({ shard })` runs into one complete run (scales, cache). */
  mergeHistograms,
  /** Builds the int8 Q/DQ models (one per placement) and the fp16 reference of a calibrated run. */
  build,
  /** Runs every variant on the same evaluation images and scores it against fp32: results.json. */
  evaluate,
  /** Renders results.json as report.html and report.md. */
  report,
};
/** calibrate → build → evaluate → report, as `int8cal run`. */
export const run = runPipeline;

export type { InspectReport, InspectOptions } from './pipeline/inspect.js';
export type { CalibrateOptions, CalibrateSummary } from './pipeline/calibrate.js';
export type { RecalibrateOptions } from './pipeline/recalibrate.js';
export type { MergeHistogramsOptions, MergeSummary } from './pipeline/merge-histograms.js';
export type { BuildOptions, BuildResult, BuiltVariant, BuildJson } from './pipeline/build.js';
export type { EvaluateOptions } from './pipeline/evaluate/index.js';
export type { ReportOptions, ReportPaths } from './pipeline/report.js';
export type { RunOptions, RunSummary } from './pipeline/run.js';
export type { Results, VariantResult } from '../reports/results-schema.js';
export { Int8calError, InternalError, type ErrorSubject } from './core/errors.js';
export type { ProgressEvent, ProgressCallback, WarningCallback } from './core/progress.js';
export type { RunManifest, CalibrationResult, TensorCalibration } from './run/schema.js';
export { RUN_FILES } from './run/layout.js';
export { OPTIONS } from './options.js';
export { Engine, type HostTensor, type EngineOptions } from './engines/engine.js';
export { createEngine, ENGINE_KINDS, type EngineKind } from './engines/registry.js';
export { parseCache, formatCache, type CalibrationCache } from '../calibrators/cache.js';
export type { Calibrator, BatchSource } from './pipeline/calibrator.js';
export { BatchCalibrator } from './pipeline/calibrator.js';
export type { AmaxRule } from '../calibrators/amax-rule.js';
export { createAmaxRule, CALIBRATOR_NAMES } from '../calibrators/registry.js';
export { resolvePreprocessing, type Preprocessing, type PreprocessingOptions } from '../datasets/images/index.js';
/** Detector heads: the `--detector` names, the shape-based guess, and one image's decoded candidates. */
export { DETECTORS, chooseDetector, decodeHead, type DetectorChoice, type DetectorName } from './metrics/detection/heads/index.js';
export { tune, type TuneOptions, type TuneResult, type TuneStep, type PlacementTune } from './pipeline/tune/index.js';
export { parseAccuracyTarget, defaultAccuracyTarget, type AccuracyTarget } from './pipeline/tune/accuracy-target.js';
export type { NodeSensitivity } from './pipeline/tune/sensitivity.js';
