/**
 * int8cal as a library: each function is what a CLI command does, with plain-data results.
 * The library never prints or exits; long calls report progress through `onProgress`.
 */
export { inspect, type InspectReport, type InspectOptions } from './pipeline/inspect.js';
export { calibrate, type CalibrateOptions, type CalibrateSummary } from './pipeline/calibrate.js';
export { recalibrate, type RecalibrateOptions } from './pipeline/recalibrate.js';
export { Int8calError, InternalError, type ErrorSubject } from './core/errors.js';
export type { ProgressEvent, ProgressCallback, WarningCallback } from './core/progress.js';
export type { RunManifest, CalibrationResult, TensorCalibration } from './run/schema.js';
export { RUN_FILES } from './run/layout.js';
export { OPTIONS } from './options.js';
export { Engine, type HostTensor, type EngineOptions } from './engines/engine.js';
export { OnnxRuntimeEngine } from './engines/onnxruntime.js';
export { createEngine, ENGINE_KINDS, type EngineKind } from './engines/registry.js';
export { parseCache, formatCache, type CalibrationCache } from '../calibrators/cache.js';
export type { Calibrator, BatchSource } from './pipeline/calibrator.js';
export { BatchCalibrator } from './pipeline/calibrator.js';
export type { AmaxRule } from '../calibrators/amax-rule.js';
export { createAmaxRule, CALIBRATOR_NAMES } from '../calibrators/registry.js';
export { resolvePreprocessing, type Preprocessing, type PreprocessingOptions } from '../datasets/images/index.js';
