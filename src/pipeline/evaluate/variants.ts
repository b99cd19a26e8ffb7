import { access, readFile } from 'node:fs/promises';
import { Int8calError } from '../../core/errors.js';
import type { GraphRewrites, QdqExecution } from '../../engines/engine.js';
import { runFileName, runPath, type RunFile } from '../../run/layout.js';
import type { EngineLayerCounts, Placement, Precision, VariantCoverage } from '../../../reports/results-schema.js';
import { PLACEMENT_NAMES, placementOf, type QdqPlacement } from '../../onnx/qdq/index.js';

/** A model variant of a run, as evaluate runs it. */
export interface VariantSpec {
  name: string;
  file: RunFile;
  precision: Precision;
  placement?: Placement;
  /**
   * ORT graph optimization: `all` everywhere (int8-ort needs it for the QDQ fusions; the
   * others get the same so latencies compare like with like), except fp16, whose emulation
   * Casts must survive — `basic` keeps them.
   */
  rewrites: GraphRewrites;
  /** How ONNX Runtime runs the Q/DQ pairs of an int8 variant (its placement's choice). */
  qdq?: QdqExecution;
  /**
   * Its CPU latency isn't the target hardware's: fp16 is emulated (Casts to fp32); a Q/DQ model
   * ONNX Runtime runs as written (TensorRT placement) is fake quantization in float.
   */
  emulated?: true;
  /** Runs as a TensorRT engine on the GPU (RUN/engine.*.plan) instead of ONNX Runtime on the CPU. */
  engine?: 'tensorrt';
  /** Written only by `tune`: skipped silently when absent unless asked for by name. */
  optional?: true;
}

/** An int8 variant of a placement as ONNX Runtime runs it. */
function int8On(p: QdqPlacement): Pick<VariantSpec, 'precision' | 'placement' | 'rewrites' | 'qdq' | 'emulated'> {
  return { precision: 'int8', placement: p.name, rewrites: 'full', qdq: p.qdqOnOrt, ...(p.qdqOnOrt === 'as-written' ? { emulated: true as const } : {}) };
}

export const VARIANTS: readonly VariantSpec[] = [
  { name: 'fp32', file: 'fp32', precision: 'fp32', rewrites: 'full' },
  { name: 'fp16', file: 'fp16', precision: 'fp16', rewrites: 'portable', emulated: true },
  ...PLACEMENT_NAMES.map(placementOf).map((p): VariantSpec => ({ name: p.variant, file: p.runFile, ...int8On(p) })),
  ...PLACEMENT_NAMES.map(placementOf).map((p): VariantSpec => ({ name: p.tunedVariant, file: p.tunedRunFile, ...int8On(p), optional: true })),
  { name: 'trt-fp32', file: 'engineFp32', precision: 'fp32', rewrites: 'full', engine: 'tensorrt' },
  { name: 'trt-fp16', file: 'engineFp16', precision: 'fp16', rewrites: 'full', engine: 'tensorrt' },
  { name: 'trt-int8', file: 'engineInt8', precision: 'int8', rewrites: 'full', engine: 'tensorrt' },
  { name: 'trt-int8-qdq', file: 'engineInt8Qdq', precision: 'int8', placement: 'tensorrt', rewrites: 'full', engine: 'tensorrt' },
];

/** The TensorRT variants `evaluate --engine tensorrt` adds; their speed-up is relative to trt-fp32. */
export const GPU_VARIANTS: readonly string[] = VARIANTS.filter((v) => v.engine === 'tensorrt').map((v) => v.name);
export const GPU_REFERENCE = 'trt-fp32';

/**
 * The variants to evaluate, fp32 (the reference) first. Explicitly requested variants must
 * exist, except those in `skippable` (the GPU variants `--engine tensorrt` adds); by default
 * those the run hasn't built are skipped with a warning.
 */
export async function selectVariants(runDir: string, requested: readonly string[] | undefined, onWarning?: (m: string) => void, skipped: { variant: string; reason: string }[] = [], skippable: readonly string[] = []): Promise<VariantSpec[]> {
  const names = requested ?? VARIANTS.filter((v) => !v.engine).map((v) => v.name);
  const unknown = names.filter((n) => !VARIANTS.some((v) => v.name === n));
  if (unknown.length) {
    throw new Int8calError('UNKNOWN_VARIANT', `Unknown variant(s) ${unknown.join(', ')}`, { hint: `variants: ${VARIANTS.map((v) => v.name).join(', ')}` });
  }
  const chosen: VariantSpec[] = [];
  for (const spec of VARIANTS.filter((v) => v.name === 'fp32' || names.includes(v.name))) {
    const path = runPath(runDir, spec.file);
    const exists = await access(path).then(() => true, () => false);
    if (exists) chosen.push(spec);
    else if (spec.optional) continue;
    else if (spec.name === 'fp32' || (requested && !skippable.includes(spec.name))) {
      throw new Int8calError('RUN_FILE_MISSING', `${path} is missing`, {
        file: path, hint: spec.name === 'fp32' ? 'run `int8cal calibrate` for this run directory first' : 'run `int8cal build` for this run directory first',
      });
    } else {
      skipped.push({ variant: spec.name, reason: `${runFileName(spec.file)} is not built` });
      onWarning?.(`${runFileName(spec.file)} is not built; skipping variant ${spec.name}`);
    }
  }
  return chosen;
}

/**
 * Compute-op coverage of each int8 variant, from the run's build.json (none when the run has
 * no build.json, e.g. models built elsewhere, or one from before coverage was recorded).
 */
export async function readCoverage(runDir: string): Promise<Map<string, VariantCoverage>> {
  const out = new Map<string, VariantCoverage>();
  let parsed: { variants?: Record<string, { report?: { coverage?: VariantCoverage } }> };
  try {
    parsed = JSON.parse(await readFile(runPath(runDir, 'build'), 'utf8'));
  } catch {
    return out;
  }
  for (const [name, variant] of Object.entries(parsed?.variants ?? {})) {
    const c = variant?.report?.coverage;
    if (c && Number.isInteger(c.quantized) && Number.isInteger(c.quantizable)) out.set(name, { quantized: c.quantized, quantizable: c.quantizable });
  }
  return out;
}

/** Layer precisions of each TensorRT engine variant (trt-fp16 …), from build.json's tensorrt section. */
export async function readEngineLayers(runDir: string): Promise<Map<string, EngineLayerCounts>> {
  const out = new Map<string, EngineLayerCounts>();
  let parsed: { tensorrt?: { engines?: Record<string, { layers?: EngineLayerCounts }> } };
  try {
    parsed = JSON.parse(await readFile(runPath(runDir, 'build'), 'utf8'));
  } catch {
    return out;
  }
  for (const [mode, engine] of Object.entries(parsed?.tensorrt?.engines ?? {})) {
    const l = engine?.layers;
    const counts = l?.byPrecision;
    if (l && Number.isInteger(l.total) && counts && [counts.int8, counts.fp16, counts.fp32, counts.other].every(Number.isInteger)) {
      out.set(`trt-${mode}`, { total: l.total, byPrecision: { int8: counts.int8, fp16: counts.fp16, fp32: counts.fp32, other: counts.other } });
    }
  }
  return out;
}
