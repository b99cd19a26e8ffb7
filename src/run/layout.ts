import { join } from 'node:path';

/** File names inside a run directory (README "The run directory"). Every stage reads and writes these. */
export const RUN_FILES = {
  run: 'run.json',
  fp32: 'model.fp32.onnx',
  histograms: 'histograms.bin',
  calibration: 'calibration.json',
  cache: 'calibration.cache',
  fp16: 'model.fp16.onnx',
  int8: 'model.int8.onnx',
  int8Ort: 'model.int8-ort.onnx',
  int8Tuned: 'model.int8-tuned.onnx',
  int8OrtTuned: 'model.int8-ort-tuned.onnx',
  tune: 'tune.json',
  build: 'build.json',
  engineFp32: 'engine.fp32.plan',
  engineFp16: 'engine.fp16.plan',
  engineInt8: 'engine.int8.plan',
  engineInt8Qdq: 'engine.int8-qdq.plan',
  trtCache: 'calibration.tensorrt.cache',
  trtTimingCache: 'tensorrt.timing-cache',
  results: 'results.json',
  reportHtml: 'report.html',
  reportMd: 'report.md',
  /** Which files each stage wrote, and from what (run/manifest.ts). */
  manifest: 'manifest.json',
  lock: '.int8cal.lock',
} as const;

export type RunFile = keyof typeof RUN_FILES;

export const runPath = (runDir: string, file: RunFile): string => join(runDir, RUN_FILES[file]);
