import { join } from 'node:path';

/** File names inside a run directory (README "The run directory"). Every stage reads and writes these. */
export const RUN_FILES = {
  run: 'run.json',
  fp32: 'model.fp32.onnx',
  histograms: 'histograms.bin',
  calibration: 'calibration.json',
  cache: 'calibration.cache',
  fp16: 'model.fp16.onnx',
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

/**
 * A quantized variant's model, `model.<variant>.onnx`: each Q/DQ placement names its own (and
 * its tuned one), so a new placement needs no line here.
 */
export type VariantModelFile = `model.${string}.onnx`;

/** A fixed run file (a key of RUN_FILES) or a variant's model file. */
export type RunFile = keyof typeof RUN_FILES | VariantModelFile;

export const isVariantModelFile = (file: string): file is VariantModelFile => /^model\.[^/\\]+\.onnx$/.test(file);

/** The file's name in the run directory. */
export const runFileName = (file: RunFile): string => (isVariantModelFile(file) ? file : RUN_FILES[file]);

export const runPath = (runDir: string, file: RunFile): string => join(runDir, runFileName(file));
